/**
 * Bundles the handler of every step in the registry (functions/steps.ts) with the settings `RotatorFunction` hands the CDK (`LAMBDA_BUNDLING` in
 * lib/lambda-defaults.ts), and reports the size of each bundle's JavaScript (the source map ships beside it but is
 * not loaded unless asked).
 */
import { join } from 'node:path';
import { build, type BuildOptions } from 'esbuild';
import { STEP_IDS, STEPS } from '../../../functions/steps';
import { handlerEntry, LAMBDA_BUNDLING, type LambdaBundling, PROJECT_ROOT } from '../../../lib/lambda-defaults';

export interface BundleSize {
  readonly handler: string;
  readonly bytes: number;
}

/** Each step's handler (file name without extension) and its entry file, sorted by handler. */
export function stepHandlers(): Array<{ readonly handler: string; readonly entry: string }> {
  return STEP_IDS.map((step) => STEPS[step].handler)
    .sort()
    .map((handler) => ({ handler, entry: handlerEntry(handler) }));
}

/** The CDK runs esbuild's CLI with `--bundle --platform=node` and these settings; this is the same in its API. */
function esbuildOptions(bundling: LambdaBundling): BuildOptions {
  return {
    bundle: true,
    platform: 'node',
    // Where the CDK runs esbuild: relative aliases resolve from the project root.
    absWorkingDir: PROJECT_ROOT,
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
  for (const { handler, entry } of stepHandlers()) {
    const result = await build({ ...esbuildOptions(LAMBDA_BUNDLING), entryPoints: [entry], write: false, outfile, logLevel: 'silent' });
    const bundle = result.outputFiles.find((file) => file.path === outfile);
    if (!bundle) throw new Error(`esbuild wrote no ${outfile} for ${entry}`);
    sizes.push({ handler, bytes: bundle.contents.byteLength });
  }
  return sizes;
}
