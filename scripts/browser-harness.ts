// Browser harness: serve a page of this repo with Vite and open it in headless Chromium
// (WebGPU on SwiftShader when there is no GPU). Shared by the browser test suite, the
// gradient-check suite and the benchmark runner.
//
//   import { withBrowserPage, pageResults } from '../scripts/browser-harness.ts';
//   const results = await withBrowserPage('test/browser/page/index.html', (page) => pageResults(page));
//
// Page protocol (what pageResults() waits for): the page's module sets `window.__results` to any
// JSON value when it is done, or `window.__error` to a message when it failed. Pages import
// webgrad as `import { ... } from 'webgrad'` (resolved to src/index.ts by the `webgrad-source`
// condition in vite.config.ts) or by relative path; `/src/...` also works (root is the repo).
//
// CLI, to look at a page's results by hand:
//   npx tsx scripts/browser-harness.ts test/browser/page/index.html [--timeout 120000]
//
// Chromium: $CHROME_PATH or /usr/bin/chromium (Debian `chromium`, see scripts/setup-system.sh).
// Puppeteer's own browser download is disabled (.puppeteerrc.cjs) and never used.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import puppeteer, { type Browser, type Page } from 'puppeteer';
import { createServer, type ViteDevServer } from 'vite';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Chromium flags for WebGPU without a GPU (puppeteer adds --headless=new for `headless: true`). */
export const CHROME_ARGS = [
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

export function chromePath(): string {
  return process.env.CHROME_PATH || '/usr/bin/chromium';
}

export const inCI = (): boolean => /^(1|true|yes)$/i.test(process.env.CI ?? '');

/**
 * Whether browser suites must be skipped: `{ skip: true, reason }` only when Chromium is missing
 * and we are not in CI. In CI (CI=true) a missing browser is not skipped: the launch fails loudly.
 */
export function browserGate(): { skip: boolean; reason: string } {
  const path = chromePath();
  if (existsSync(path)) return { skip: false, reason: '' };
  const reason = `Chromium not found at ${path} (set CHROME_PATH, or run \`npm run setup\` to install Debian chromium)`;
  return { skip: !inCI(), reason };
}

export interface HarnessOptions {
  /** Page navigation and pageResults() timeout (ms). Default 120 s (SwiftShader is slow). */
  timeoutMs?: number;
  /** Extra Chromium flags. */
  args?: string[];
  /** Query string appended to the page URL (without '?'), e.g. 'size=256'. */
  query?: string;
  /** Called with every console line, page error and failed request (default: keep quiet). */
  onLog?: (line: string) => void;
}

export interface HarnessContext {
  url: string;
  browser: Browser;
  server: ViteDevServer;
  /** Everything the page logged so far (console, errors, failed requests). */
  logs: string[];
}

/**
 * Start a Vite dev server on a free 127.0.0.1 port (a secure origin: navigator.gpu exists),
 * launch Chromium with a fresh profile, open `entryHtml` (a path relative to the repo root, or
 * absolute inside it) and run `fn`. Browser, server and profile are closed even when `fn` throws.
 */
export async function withBrowserPage<T>(
  entryHtml: string,
  fn: (page: Page, ctx: HarnessContext) => Promise<T>,
  opts: HarnessOptions = {},
): Promise<T> {
  const timeout = opts.timeoutMs ?? 120_000;
  const abs = isAbsolute(entryHtml) ? entryHtml : join(REPO_ROOT, entryHtml);
  const rel = relative(REPO_ROOT, abs).split('\\').join('/');
  if (rel.startsWith('..') || !existsSync(abs)) throw new Error(`browser-harness: no page at ${abs} (must be inside ${REPO_ROOT})`);
  const executablePath = chromePath();
  if (!existsSync(executablePath)) throw new Error(browserGate().reason);

  const tmp = mkdtempSync(join(tmpdir(), 'webgrad-browser-'));
  const logs: string[] = [];
  const log = (line: string) => {
    logs.push(line);
    opts.onLog?.(line);
  };
  let server: ViteDevServer | null = null;
  let browser: Browser | null = null;
  try {
    server = await createServer({
      configFile: join(REPO_ROOT, 'vite.config.ts'),
      root: REPO_ROOT,
      // A private dependency cache: parallel harnesses (and vitest's own server) never race on it.
      cacheDir: join(tmp, 'vite-cache'),
      logLevel: 'warn',
      clearScreen: false,
      server: { host: '127.0.0.1', port: 0, strictPort: false, hmr: false, watch: null },
      optimizeDeps: { entries: [rel] },
    });
    await server.listen();
    const addr = server.httpServer?.address();
    if (!addr || typeof addr === 'string') throw new Error('browser-harness: the Vite server has no TCP address');
    const url = `http://127.0.0.1:${addr.port}/${rel}${opts.query ? `?${opts.query}` : ''}`;

    browser = await puppeteer.launch({
      executablePath,
      headless: true,
      userDataDir: join(tmp, 'profile'),
      args: [...CHROME_ARGS, ...(opts.args ?? [])],
      protocolTimeout: timeout + 30_000,
    });
    const page = await browser.newPage();
    page.setDefaultTimeout(timeout);
    page.on('console', (m) => log(`[console.${m.type()}] ${m.text()}`));
    page.on('pageerror', (e) => log(`[pageerror] ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`));
    page.on('requestfailed', (r) => log(`[requestfailed] ${r.url()}: ${r.failure()?.errorText ?? ''}`));
    await page.goto(url, { waitUntil: 'load', timeout });
    return await fn(page, { url, browser, server, logs });
  } finally {
    await closeBrowser(browser);
    await server?.close().catch(() => {});
    rmSync(tmp, { recursive: true, force: true, maxRetries: 3 });
  }
}

async function closeBrowser(browser: Browser | null): Promise<void> {
  if (!browser) return;
  const proc = browser.process();
  const closed = browser.close().then(() => true, () => false);
  const ok = await Promise.race([closed, new Promise<boolean>((r) => setTimeout(() => r(false), 10_000))]);
  if (!ok && proc && proc.exitCode === null) proc.kill('SIGKILL');
}

/**
 * Wait until the page sets `window[name]` (default `__results`) and return it; throw if it sets
 * `window.__error` instead, or on timeout. Errors carry the page's last log lines.
 */
export async function pageResults<T = unknown>(page: Page, opts: { name?: string; timeoutMs?: number; logs?: string[] } = {}): Promise<T> {
  const name = opts.name ?? '__results';
  try {
    await page.waitForFunction(
      (n: string) => (window as unknown as Record<string, unknown>)[n] !== undefined || (window as unknown as Record<string, unknown>).__error !== undefined,
      { timeout: opts.timeoutMs ?? 120_000, polling: 100 },
      name,
    );
  } catch (e) {
    throw new Error(`browser-harness: the page did not set window.${name}: ${(e as Error).message}${tail(opts.logs)}`);
  }
  const { value, error } = await page.evaluate((n: string) => {
    const w = window as unknown as Record<string, unknown>;
    return { value: w[n], error: w.__error === undefined ? null : String(w.__error) };
  }, name);
  if (error !== null) throw new Error(`browser-harness: the page failed: ${error}${tail(opts.logs)}`);
  return value as T;
}

function tail(logs: string[] | undefined): string {
  if (!logs?.length) return '';
  return `\n--- last page log lines ---\n${logs.slice(-30).join('\n')}`;
}

// --------------------------------------------------------------------------------------- CLI

async function main(argv: string[]): Promise<number> {
  const entry = argv.find((a) => !a.startsWith('--'));
  const t = argv.indexOf('--timeout');
  if (!entry) {
    console.error('usage: npx tsx scripts/browser-harness.ts <page.html> [--timeout ms]');
    return 2;
  }
  const timeoutMs = t >= 0 ? Number(argv[t + 1]) : 120_000;
  const results = await withBrowserPage(entry, (page, ctx) => pageResults(page, { timeoutMs, logs: ctx.logs }), {
    timeoutMs,
    onLog: (l) => console.error(l),
  });
  console.log(JSON.stringify(results, null, 2));
  return (results as { ok?: boolean } | null)?.ok === false ? 1 : 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      console.error(e instanceof Error ? e.message : e);
      process.exit(1);
    },
  );
}
