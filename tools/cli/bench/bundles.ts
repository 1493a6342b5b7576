/**
 * Bundles every Lambda handler with the settings `RotatorFunction` hands the CDK (`LAMBDA_BUNDLING` in
 * lib/lambda-defaults.ts), and reports the size of each bundle's JavaScript (the source map ships beside it but is
 * not loaded unless asked).
 */
import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { build, type BuildOptions } from 'esbuild';
import { LAMBDA_BUNDLING, type LambdaBundling, PROJECT_ROOT } from '../../../lib/lambda-defaults';

export interface BundleSize {
  readonly handler: string;
  readonly bytes: number;
}

export const HANDLERS_DIR = join(PROJECT_ROOT, 'functions', 'handlers');

export function handlerFiles(): string[] {
  return readdirSync(HANDLERS_DIR)
    .filter((name) => name.endsWith('.ts'))
    .sort()
    .map((name) => join(HANDLERS_DIR, name));
}

/** The CDK runs esbuild's CLI with `--bundle --platform=node` and these settings; this is the same in its API. */
function esbuildOptions(bundling: LambdaBundling): BuildOptions {
  return {
    bundle: true,
    platform: 'node',
    format: bundling.format,
    target: bundling.target,
    minify: bundling.minify,
    sourcemap: bundling.sourcemap,
    keepNames: bundling.keepNames,
    external: [...bundling.external],
    banner: { js: bundling.banner },
    mainFields: [...bundling.mainFields],
    alias: { ...bundling.alias },
  };
}

export async function measureBundles(): Promise<BundleSize[]> {
  const sizes: BundleSize[] = [];
  const outfile = join(PROJECT_ROOT, 'out', 'bench-bundle', 'index.mjs');
  for (const entry of handlerFiles()) {
    const result = await build({ ...esbuildOptions(LAMBDA_BUNDLING), entryPoints: [entry], write: false, outfile, logLevel: 'silent' });
    const bundle = result.outputFiles.find((file) => file.path === outfile);
    if (!bundle) throw new Error(`esbuild wrote no ${outfile} for ${entry}`);
    sizes.push({ handler: basename(entry, '.ts'), bytes: bundle.contents.byteLength });
  }
  return sizes;
}
