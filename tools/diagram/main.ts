/**
 * Regenerates docs/architecture.dot and docs/architecture.svg from the synthesized template in cdk.out/.
 *
 *   npm run diagram                         # synthesizes (npm run synth), then writes both files
 *   tsx tools/diagram/main.ts [--out docs/architecture] [--no-svg]
 *
 * Without cdk.out/*.template.json the app is synthesized first. The SVG needs Graphviz's `dot`
 * (Debian: apt-get install -y graphviz); the DOT file does not.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildDot, type CfnTemplate } from './graph';

const root = resolve(new URL('../..', import.meta.url).pathname);
const args = process.argv.slice(2);
const outIndex = args.indexOf('--out');
const outBase = resolve(root, outIndex >= 0 ? (args[outIndex + 1] ?? 'docs/architecture') : 'docs/architecture');
const cdkOut = join(root, 'cdk.out');

const templates = () => (existsSync(cdkOut) ? readdirSync(cdkOut).filter((name) => name.endsWith('.template.json')).sort() : []);
if (templates().length === 0) {
  process.stderr.write('No template in cdk.out/: synthesizing first\n');
  execFileSync('npm', ['run', 'synth'], { cwd: root, stdio: 'inherit' });
}
const found = templates();
if (found.length !== 1) {
  process.stderr.write(`Expected one stack template in cdk.out/, found ${found.length}: ${found.join(', ')}\n`);
  process.exit(1);
}
const templateFile = join(cdkOut, found[0] ?? '');
const dot = buildDot(JSON.parse(readFileSync(templateFile, 'utf8')) as CfnTemplate);
writeFileSync(`${outBase}.dot`, dot);
process.stdout.write(`wrote ${outBase}.dot from ${templateFile}\n`);

if (!args.includes('--no-svg')) {
  try {
    const svg = execFileSync('dot', ['-Tsvg'], { input: dot, encoding: 'utf8' });
    writeFileSync(`${outBase}.svg`, svg);
    process.stdout.write(`wrote ${outBase}.svg\n`);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    process.stderr.write(code === 'ENOENT' ? 'Graphviz `dot` not found: apt-get install -y graphviz (or brew install graphviz)\n' : `dot failed: ${(error as Error).message}\n`);
    process.exit(1);
  }
}
