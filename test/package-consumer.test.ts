// The package as a user gets it: `npm pack` (prepack builds dist/ from scratch), the tarball
// installed into a fresh temporary project with npm, then used the ways users use it:
//   - a plain-JavaScript Node script (no tsx) that trains a tiny MLP; its leak report and its
//     stderr (Dawn's two warnings are filtered unless WEBGRAD_DEBUG is set)
//   - a strict TypeScript consumer (strict, skipLibCheck: false, node16 and bundler resolution)
//   - a fresh Vite app that imports 'webgrad': built with zero warnings, served from 127.0.0.1,
//     trains in headless Chromium
//   - a plain HTML page importing the one-file browser build (webgrad/browser) from a
//     <script type="module"> without an import map, trains in headless Chromium
//   - error names survive `esbuild --minify`
// Everything runs from the installed copy in <tmp>/node_modules/webgrad, never from src/.
// Pack and install happen once for the file. npm resolves the three dependencies
// (wgsl-preprocessor, @webgpu/types, optional webgpu) with --prefer-offline, from the cache
// `npm ci` filled. With CI=true a missing Chromium fails instead of skipping.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve } from 'node:path';
import puppeteer, { type Browser } from 'puppeteer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROME_ARGS, browserGate, chromePath, pageResults } from '../scripts/browser-harness.ts';
import { FIXTURES } from './package-fixtures.ts';

const ROOT = resolve(import.meta.dirname, '..');
const bin = (pkg: string, file: string) => join(ROOT, 'node_modules', pkg, file);
let work = '';
let app = ''; // the consumer project with webgrad installed from the tarball
const installed = () => join(app, 'node_modules', 'webgrad');

function run(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}, timeout = 180_000): string {
  const r = spawnSync(cmd, args, { cwd, env: { ...process.env, ...env }, encoding: 'utf8', timeout });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} (in ${cwd}) exited ${r.status ?? r.signal}:\n${out.slice(-4000)}`);
  return out;
}

/** Write each FIXTURES file under `dir`. */
function writeFixtures(dir: string, names: (keyof typeof FIXTURES)[]): void {
  for (const name of names) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), FIXTURES[name]);
  }
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'webgrad-package-'));
  // npm pack runs prepack (npm run build): dist/ is rebuilt from scratch before it is packed.
  const packed = run('npm', ['pack', '--json', '--pack-destination', work], ROOT, { npm_config_loglevel: 'error' });
  const info = JSON.parse(packed.slice(packed.indexOf('[')).trim().split('\n]')[0] + '\n]') as { filename: string; files: { path: string }[] }[];
  (globalThis as { __packedFiles?: string[] }).__packedFiles = info[0].files.map((f) => f.path);
  app = join(work, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', join(work, info[0].filename)], app);
}, 300_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true, maxRetries: 3 });
});

describe('the packed tarball', () => {
  it('ships dist/, README and LICENSE only, with a self-contained browser build', () => {
    const files = (globalThis as { __packedFiles?: string[] }).__packedFiles ?? [];
    expect(files).toContain('LICENSE');
    expect(files).toContain('dist/index.d.ts');
    expect(files).toContain('dist/ops/registry.d.ts'); // TS4023 once left it out
    expect(files).toContain('dist/webgrad.browser.js');
    expect(files.filter((f) => !/^(dist\/|README\.md$|LICENSE$|package\.json$)/.test(f))).toEqual([]);
    const pkg = JSON.parse(readFileSync(join(installed(), 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(pkg.dependencies).toHaveProperty('@webgpu/types');
    // methods.js patches Tensor.prototype; index.js must be listed too, or Rollup drops its
    // side-effect import when an app uses only re-exported names (a Vite app lost zeroGrad()).
    expect(pkg.sideEffects).toEqual(expect.arrayContaining(['./dist/index.js', './dist/ops/methods.js']));
    const browser = readFileSync(join(installed(), 'dist/webgrad.browser.js'), 'utf8');
    expect(browser).not.toMatch(/["']node:|from\s*["'](?![./])|import\(\s*["']/);
    expect(browser).toContain('wgsl-preprocessor/wgsl-preprocessor.js'); // inlined: esbuild names each inlined module in a comment
    // Node resolves the "node" condition of #platform; the browser build carries the other one.
    expect(readFileSync(join(installed(), 'dist/gpu/device.js'), 'utf8')).not.toMatch(/["']node:/);
  });
});

describe('a plain-JavaScript Node consumer (npm install of the tarball, no tsx)', () => {
  it('trains a tiny MLP (the loss drops) and its leak report points at the script, not at dist/', () => {
    writeFixtures(app, ['train.mjs']);
    // A shell pipe, as when a user pipes the output: stderr is a pipe Dawn writes to natively.
    const out = run('bash', ['-c', 'node train.mjs 2>&1 | cat'], app, { WEBGRAD_QUIET: '0', WEBGRAD_DEBUG: '' });
    const result = JSON.parse(out.split('\n').find((l) => l.startsWith('RESULT '))!.slice(7)) as { losses: number[]; site: string; own: boolean };
    expect(result.losses.at(-1)!).toBeLessThan(result.losses[0] * 0.5);
    expect(result.site).toContain('train.mjs');
    expect(result.own).toBe(false);
    expect(out).toContain('stderr still works after init'); // the filter put fd 2 back
    expect(out).not.toMatch(/artificially reduced/);
  });

  it("WEBGRAD_DEBUG=1 lets Dawn's warnings through (they are filtered, not lost by accident)", () => {
    writeFixtures(app, ['adapter.mjs']);
    const quiet = run('bash', ['-c', 'node adapter.mjs 2>&1 | cat'], app, { WEBGRAD_DEBUG: '' });
    const debug = run('bash', ['-c', 'node adapter.mjs 2>&1 | cat'], app, { WEBGRAD_DEBUG: '1' });
    const driver = /driver: (\w+)/.exec(debug)?.[1];
    expect(quiet).toContain('ADAPTER OK');
    expect(quiet).not.toMatch(/artificially reduced/);
    // lavapipe reports 10^6 dynamic buffers, which Dawn caps with these two lines.
    if (driver === 'lavapipe') expect(debug.match(/artificially reduced/g)?.length).toBe(2);
  });
});

describe('a strict TypeScript consumer (skipLibCheck: false)', () => {
  for (const resolution of ['node16', 'bundler'] as const) {
    it(`compiles against dist/*.d.ts with moduleResolution ${resolution}`, () => {
      writeFixtures(app, ['consumer.ts']);
      const tsconfig = {
        compilerOptions: {
          strict: true,
          skipLibCheck: false,
          noEmit: true,
          target: 'es2022',
          module: resolution === 'node16' ? 'node16' : 'esnext',
          moduleResolution: resolution,
          lib: ['es2022'], // no DOM listed: webgrad's .d.ts brings what @webgpu/types needs
          types: [],
        },
        files: ['consumer.ts'],
      };
      writeFileSync(join(app, `tsconfig.${resolution}.json`), JSON.stringify(tsconfig));
      run(process.execPath, [bin('typescript', 'bin/tsc'), '-p', `tsconfig.${resolution}.json`], app);
    });
  }
});

describe('minified bundles', () => {
  it('keep every error class name (names are string literals, not the minified class names)', () => {
    const out = join(work, 'min');
    mkdirSync(out, { recursive: true });
    run(bin('esbuild', 'bin/esbuild'), [join(installed(), 'dist/index.js'), '--bundle', '--minify', '--format=esm', '--platform=browser', `--outfile=${join(out, 'webgrad.min.js')}`, '--log-level=error'], app);
    writeFixtures(out, ['names.mjs']);
    const r = JSON.parse(run(process.execPath, ['names.mjs'], out).trim()) as { checked: string[]; wrong: string[]; renamed: number };
    expect(r.checked.length).toBeGreaterThanOrEqual(12);
    expect(r.wrong).toEqual([]);
    expect(r.renamed).toBeGreaterThan(0); // the minifier did rename the classes themselves
  });
});

// ------------------------------------------------------------------------------ browsers

const gate = browserGate('chromium');
if (gate.skip) console.warn(`[package consumer] Chromium skipped: ${gate.reason}`);

describe.skipIf(gate.skip)(`browser consumers (headless Chromium)${gate.skip ? ` — skipped: ${gate.reason}` : ''}`, () => {
  let server: Server | null = null;
  let browser: Browser | null = null;
  let origin = '';
  let profile = '';

  beforeAll(async () => {
    profile = mkdtempSync(join(tmpdir(), 'webgrad-package-chromium-'));
    server = staticServer(app);
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    browser = await puppeteer.launch({ executablePath: chromePath(), headless: true, userDataDir: profile, args: CHROME_ARGS, protocolTimeout: 150_000 });
  }, 120_000);

  afterAll(async () => {
    await browser?.close().catch(() => {});
    await new Promise((r) => (server ? server.close(r) : r(null)));
    if (profile) rmSync(profile, { recursive: true, force: true, maxRetries: 3 });
  });

  async function trainIn(path: string): Promise<{ losses: number[]; site: string; name: string }> {
    const page = await browser!.newPage();
    const logs: string[] = [];
    page.on('console', (m) => logs.push(`[console.${m.type()}] ${m.text()}`));
    page.on('pageerror', (e) => logs.push(`[pageerror] ${String(e)}`));
    page.on('requestfailed', (r) => logs.push(`[requestfailed] ${r.url()}`));
    try {
      await page.goto(`${origin}${path}`, { waitUntil: 'load' });
      return await pageResults(page, { logs, timeoutMs: 120_000 });
    } finally {
      await page.close();
    }
  }

  it('a fresh Vite app importing webgrad builds with zero warnings and trains', async () => {
    writeFixtures(app, ['vite/index.html', 'vite/main.js', 'train-page.js']);
    // --logLevel warn: a clean build prints nothing at all; any line is a warning or an error.
    const out = run(process.execPath, [bin('vite', 'bin/vite.js'), 'build', 'vite', '--base', './', '--logLevel', 'warn', '--outDir', 'dist', '--emptyOutDir'], app);
    expect(out.trim()).toBe('');
    const r = await trainIn('/vite/dist/index.html');
    expect(r.losses.at(-1)!).toBeLessThan(r.losses[0] * 0.5);
  }, 180_000);

  it('a plain page imports the browser build with <script type="module"> (no bundler, no import map) and trains', async () => {
    writeFixtures(app, ['plain/index.html', 'plain/main.js', 'plain/train-page.js']);
    const html = readFileSync(join(app, 'plain/index.html'), 'utf8');
    expect(html).not.toMatch(/importmap/);
    const r = await trainIn('/plain/index.html');
    expect(r.losses.at(-1)!).toBeLessThan(r.losses[0] * 0.5);
    // The leak report skips the frames of webgrad.browser.js and names the page's own module.
    expect(r.site).toContain('/train-page.js');
    expect(r.name).toBe('ShapeError');
  }, 180_000);
});

const MIME: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.json': 'application/json', '.css': 'text/css' };

/** Serve `dir` read-only (module scripts need a JavaScript MIME type; 127.0.0.1 is a secure origin). */
function staticServer(dir: string): Server {
  return createServer((req, res) => {
    const path = normalize(join(dir, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)));
    if (!path.startsWith(dir) || !existsSync(path)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': MIME[extname(path)] ?? 'application/octet-stream' });
    res.end(readFileSync(path));
  });
}
