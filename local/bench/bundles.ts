/**
 * Bundles every Lambda handler the way `RotatorFunction` (lib/lambda-defaults.ts) has the CDK do it, and reports
 * the size of each bundle's JavaScript (the source map ships beside it but is not loaded unless asked).
 */
import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { build } from 'esbuild';
import { PROJECT_ROOT } from '../../lib/lambda-defaults';

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

export async function measureBundles(): Promise<BundleSize[]> {
  const sizes: BundleSize[] = [];
  for (const entry of handlerFiles()) {
    const result = await build({
      entryPoints: [entry],
      bundle: true,
      write: false,
      outfile: join(PROJECT_ROOT, 'out', 'bench-bundle', 'index.mjs'),
      format: 'esm',
      platform: 'node',
      target: 'node22',
      minify: true,
      treeShaking: true,
      keepNames: true,
      sourcemap: false,
      external: ['@aws-sdk/*'],
      mainFields: ['module', 'main'],
      banner: { js: "import { createRequire } from 'module';const require = createRequire(import.meta.url);" },
      logLevel: 'silent',
    });
    const bytes = result.outputFiles.reduce((sum, file) => sum + file.contents.byteLength, 0);
    sizes.push({ handler: basename(entry, '.ts'), bytes });
  }
  return sizes;
}
