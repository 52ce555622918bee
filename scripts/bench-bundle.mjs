// npm run bench:bundle: the Node benchmark (webgrad, TF.js, jax-js) as one self-contained
// ESM file (bench.mjs, started by run.mjs) plus the dawn.node it loads, in bench-bundle/, so that
//
//   node bench-bundle/run.mjs --node [--quick] [--suites ...]
//
// runs on a machine with only Node >= 20 and a Vulkan / Metal / D3D12 driver: no npm install,
// no network, no Chromium. It writes the same JSON and Markdown as npm run bench (into
// bench-bundle/out/ unless --out is given) and records the adapter. Only the Dawn build of this
// platform is copied (the webgpu package keeps one per platform; together they would not fit
// the 40 MiB budget). The browser half (puppeteer, vite) is left out: the bundle runs Node only
// (a browser is what it exists to avoid).
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'bench-bundle');
const MAX_BYTES = 40 * 1024 * 1024;

const pkgDir = (name) => join(root, 'node_modules', ...name.split('/'));
const version = (name) => JSON.parse(readFileSync(join(pkgDir(name), 'package.json'), 'utf8')).version;
const versions = {
  webgrad: JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version,
  '@tensorflow/tfjs': version('@tensorflow/tfjs'),
  '@tensorflow/tfjs-backend-webgpu': version('@tensorflow/tfjs-backend-webgpu'),
  '@jax-js/jax': version('@jax-js/jax'),
  webgpu: version('webgpu'),
};

/**
 * The browser half of the bench (puppeteer, and vite's dev server that serves the page) is
 * left out: those imports resolve to stand-ins that throw if called. --node never calls them.
 */
const nodeOnly = {
  name: 'bench-node-only',
  setup(b) {
    b.onResolve({ filter: /^(puppeteer|vite)$/ }, (args) => ({ path: args.path, namespace: 'bench-bundle' }));
    b.onLoad({ filter: /.*/, namespace: 'bench-bundle' }, (args) => ({
      loader: 'js',
      contents: `
        const none = () => { throw new Error('the bench bundle runs Node only: ${"$"}{JSON.stringify(args.path)} is not bundled (use npm run bench for the browsers)'); };
        export default { launch: none };
        export const createServer = none;
      `,
    }));
  },
};

rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });
await build({
  entryPoints: [join(root, 'bench', 'run.ts')],
  outfile: join(outDir, 'bench.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  conditions: ['webgrad-source'],
  // dawn.node is loaded at run time from <bundle>/dist/<platform>-<arch>/ by the webgpu package's
  // own loader (a computed require); the rest is JavaScript and goes into the one file.
  banner: {
    js: [
      "import { createRequire as __benchRequire } from 'node:module';",
      'const require = __benchRequire(import.meta.url);',
      "import { dirname as __benchDirname } from 'node:path';",
      "import { fileURLToPath as __benchPath } from 'node:url';",
      `globalThis.__webgradBench = { versions: ${JSON.stringify(versions)}, root: __benchDirname(__benchPath(import.meta.url)) };`,
    ].join('\n'),
  },
  plugins: [nodeOnly],
  logLevel: 'warning',
  legalComments: 'none',
});

const arch = process.platform === 'darwin' ? 'universal' : process.arch;
const dawnDir = join(pkgDir('webgpu'), 'dist', `${process.platform}-${arch}`);
const target = join(outDir, 'dist', `${process.platform}-${arch}`);
mkdirSync(target, { recursive: true });
copyFileSync(join(dawnDir, 'dawn.node'), join(target, 'dawn.node'));
// run.mjs only imports the bundle: scripts that run their CLI when they are the main module
// (import.meta.url === argv[1], as scripts/browser-harness.ts does) must not see the bundle,
// whose modules all share one import.meta.url, as the main module.
writeFileSync(join(outDir, 'run.mjs'), "// node run.mjs --node [--quick] [--suites ...]: see scripts/bench-bundle.mjs\nimport './bench.mjs';\n");
writeFileSync(join(outDir, 'package.json'), `${JSON.stringify({ name: 'webgrad-bench-bundle', private: true, type: 'module', version: versions.webgrad }, null, 2)}\n`);

const bytes = ['run.mjs', 'bench.mjs', 'package.json', join('dist', `${process.platform}-${arch}`, 'dawn.node')].reduce((s, f) => s + statSync(join(outDir, f)).size, 0);
console.log(`bench-bundle/: run.mjs, bench.mjs + dawn.node (${process.platform}-${arch}), ${(bytes / 2 ** 20).toFixed(1)} MiB`);
if (bytes > MAX_BYTES) {
  console.error(`bench-bundle is ${(bytes / 2 ** 20).toFixed(1)} MiB, over the 40 MiB budget`);
  process.exit(1);
}
