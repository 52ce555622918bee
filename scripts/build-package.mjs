// `npm run build` (and `prepack`): the published package is dist/ only.
//   1. dist/ from scratch (a stale file from an older build must never ship)
//   2. tsc -p tsconfig.build.json: dist/**/*.js + .d.ts (the ESM entry that bundlers and Node use;
//      package.json "imports" #platform picks dist/platform/node.js or browser.js per environment)
//   3. esbuild: dist/webgrad.browser.js, the `webgrad/browser` export (also unpkg / jsdelivr):
//      one ES module with wgsl-preprocessor inlined and the browser platform, for a plain
//      <script type="module"> without a bundler or an import map
//   4. checks: the browser file has no `node:` or bare-specifier imports
// Shaders are already inside src/gpu/shaderSources.ts (npm's prebuild runs gen-shaders.mjs).
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
export const BROWSER_FILE = join(dist, 'webgrad.browser.js');

rmSync(dist, { recursive: true, force: true });
execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')], {
  stdio: 'inherit',
});

const result = await build({
  entryPoints: [join(dist, 'index.js')],
  outfile: BROWSER_FILE,
  bundle: true,
  format: 'esm',
  platform: 'browser', // conditions browser/import/default: #platform is dist/platform/browser.js
  target: 'es2022',
  legalComments: 'eof',
  logLevel: 'warning',
  metafile: true,
});
if (result.warnings.length) {
  console.error(`build-package: esbuild printed ${result.warnings.length} warning(s) for the browser bundle`);
  process.exit(1);
}
const inputs = Object.keys(result.metafile.inputs);
const leaked = inputs.filter((f) => f.includes('platform/node.js') || f.startsWith('node:'));
const text = readFileSync(BROWSER_FILE, 'utf8');
// Any import left in the bundle is a specifier the page would have to resolve.
const imports = [...text.matchAll(/(?:^|[;\s])(?:import|export)\s*(?:[\w*{}\s,]+from\s*)?["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1] ?? m[2]);
if (leaked.length || imports.length || /["']node:/.test(text)) {
  console.error(`build-package: the browser bundle must be self-contained; node modules: ${leaked.join(', ') || 'none'}, imports: ${imports.join(', ') || 'none'}`);
  process.exit(1);
}
const kb = (Buffer.byteLength(text) / 1024).toFixed(0);
console.log(`build-package: dist/ (tsc) and dist/webgrad.browser.js (${kb} KiB, ${inputs.length} modules inlined)`);
