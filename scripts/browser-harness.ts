// Browser harness: serve a page of this repo with Vite and open it in a headless browser:
// Chromium (Dawn + Tint; WebGPU on SwiftShader when there is no GPU) or Firefox (wgpu + naga;
// its fallback adapter when there is no GPU). Shared by the browser test suite, the
// gradient-check suite, the demo self-test and the benchmark runner.
//
//   import { withBrowserPage, pageResults } from '../scripts/browser-harness.ts';
//   const results = await withBrowserPage('test/browser/page/index.html', (page) => pageResults(page), { browser: 'firefox' });
//
// Page protocol (what pageResults() waits for): the page's module sets `window.__results` to any
// JSON value when it is done, or `window.__error` to a message when it failed. Pages import
// webgrad as `import { ... } from 'webgrad'` (resolved to src/index.ts by the `webgrad-source`
// condition in vite.config.ts) or by relative path; `/src/...` also works (root is the repo).
//
// CLI, to look at a page's results by hand:
//   npx tsx scripts/browser-harness.ts test/browser/page/index.html [--browser chromium|firefox|all] [--timeout 120000]
//
// Engines (scripts/setup-system.sh installs both from Debian):
//   chromium  $CHROME_PATH or /usr/bin/chromium, flags CHROME_ARGS, driven over CDP.
//   firefox   $FIREFOX_PATH or /usr/bin/firefox-esr (else /usr/bin/firefox), prefs FIREFOX_PREFS
//             (WebGPU is off by default in Firefox on Linux), driven over WebDriver BiDi
//             (puppeteer 24 drives Firefox only over BiDi).
// Which engines the suites use: $WEBGRAD_BROWSERS ('chromium', 'firefox', 'chromium,firefox';
// default both). An engine that is not installed is skipped, except with CI=true, where it is a
// failure. Each launch gets a fresh profile in a temporary directory, removed afterwards.
// Puppeteer's own browser download is disabled (.puppeteerrc.cjs) and never used.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import puppeteer, { type Browser, type LaunchOptions, type Page } from 'puppeteer';
import { createServer, type ViteDevServer } from 'vite';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export type BrowserName = 'chromium' | 'firefox';
export const ALL_BROWSERS: readonly BrowserName[] = ['chromium', 'firefox'];
export const BROWSER_TITLE: Record<BrowserName, string> = { chromium: 'Chromium', firefox: 'Firefox' };

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

/**
 * Firefox prefs for WebGPU: without the first `navigator.gpu` is missing; without the second
 * `requestAdapter()` returns null on an adapter Firefox's blocklist refuses (every software one).
 */
export const FIREFOX_PREFS: Readonly<Record<string, boolean | number | string>> = {
  'dom.webgpu.enabled': true,
  'gfx.webgpu.ignore-blocklist': true,
};

export function chromePath(): string {
  return process.env.CHROME_PATH || '/usr/bin/chromium';
}

export function firefoxPath(): string {
  if (process.env.FIREFOX_PATH) return process.env.FIREFOX_PATH;
  return ['/usr/bin/firefox-esr', '/usr/bin/firefox'].find((p) => existsSync(p)) ?? '/usr/bin/firefox-esr';
}

export function browserPath(browser: BrowserName): string {
  return browser === 'firefox' ? firefoxPath() : chromePath();
}

export const inCI = (): boolean => /^(1|true|yes)$/i.test(process.env.CI ?? '');

/** Parse a browser list ('chromium', 'firefox', 'all', or comma-separated); throws on an unknown name. */
export function parseBrowsers(value: string | undefined): BrowserName[] {
  if (!value || value === 'all') return [...ALL_BROWSERS];
  const items = value.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = items.filter((x) => !ALL_BROWSERS.includes(x as BrowserName));
  if (bad.length || !items.length) throw new Error(`browser-harness: unknown browser '${bad.join(', ') || value}' (known: ${ALL_BROWSERS.join(', ')}, all)`);
  return [...new Set(items as BrowserName[])];
}

/** The engines the suites run on: $WEBGRAD_BROWSERS, default both (each then gated by browserGate). */
export function suiteBrowsers(): BrowserName[] {
  return parseBrowsers(process.env.WEBGRAD_BROWSERS);
}

/**
 * Whether a browser suite must be skipped: `{ skip: true, reason }` only when the engine is
 * missing and we are not in CI. In CI (CI=true) a missing browser is not skipped: the launch fails loudly.
 */
export function browserGate(browser: BrowserName = 'chromium'): { skip: boolean; reason: string } {
  const path = browserPath(browser);
  if (existsSync(path)) return { skip: false, reason: '' };
  const reason =
    browser === 'firefox'
      ? `Firefox not found at ${path} (set FIREFOX_PATH, or run \`npm run setup\` to install Debian firefox-esr)`
      : `Chromium not found at ${path} (set CHROME_PATH, or run \`npm run setup\` to install Debian chromium)`;
  return { skip: !inCI(), reason };
}

export interface HarnessOptions {
  /** Which engine to launch (default 'chromium'). */
  browser?: BrowserName;
  /** Page navigation and pageResults() timeout (ms). Default 120 s (SwiftShader is slow). */
  timeoutMs?: number;
  /** Extra Chromium flags (Chromium only: giving them for Firefox is an error). */
  args?: string[];
  /** Extra Firefox prefs, on top of FIREFOX_PREFS (Firefox only: giving them for Chromium is an error). */
  firefoxPrefs?: Record<string, boolean | number | string>;
  /** Query string appended to the page URL (without '?'), e.g. 'size=256'. */
  query?: string;
  /** Called with every console line, page error and failed request (default: keep quiet). */
  onLog?: (line: string) => void;
}

export interface HarnessContext {
  url: string;
  /** The engine that was launched. */
  engine: BrowserName;
  browser: Browser;
  server: ViteDevServer;
  /** Everything the page logged so far (console, errors, failed requests). */
  logs: string[];
}

/**
 * Start a Vite dev server on a free 127.0.0.1 port (a secure origin: navigator.gpu exists),
 * launch the engine (`opts.browser`, default Chromium) with a fresh profile, open `entryHtml` (a path relative to the repo root, or
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
  const engine = opts.browser ?? 'chromium';
  if (!ALL_BROWSERS.includes(engine)) throw new Error(`browser-harness: unknown browser '${String(engine)}' (known: ${ALL_BROWSERS.join(', ')})`);
  if (engine === 'firefox' && opts.args?.length) throw new Error(`browser-harness: args are Chromium flags; Firefox takes firefoxPrefs (got args ${JSON.stringify(opts.args)})`);
  if (engine === 'chromium' && opts.firefoxPrefs && Object.keys(opts.firefoxPrefs).length) throw new Error(`browser-harness: firefoxPrefs were given for Chromium (use args for Chromium flags)`);
  const executablePath = browserPath(engine);
  if (!existsSync(executablePath)) throw new Error(browserGate(engine).reason);

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

    browser = await puppeteer.launch(launchOptions(engine, executablePath, join(tmp, 'profile'), timeout, opts));
    const page = await browser.newPage();
    page.setDefaultTimeout(timeout);
    page.on('console', (m) => {
      // Over BiDi (Firefox) an Error argument's text is 'JSHandle@error': add where it was logged.
      const where = m.text().includes('JSHandle@') ? m.stackTrace().map((f) => ` at ${f.url}:${f.lineNumber ?? 0}`).join('') : '';
      log(`[console.${m.type()}] ${m.text()}${where}`);
    });
    page.on('pageerror', (e) => log(`[pageerror] ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`));
    page.on('requestfailed', (r) => log(`[requestfailed] ${r.url()}: ${r.failure()?.errorText ?? ''}`));
    await page.goto(url, { waitUntil: 'load', timeout });
    return await fn(page, { url, engine, browser, server, logs });
  } finally {
    await closeBrowser(browser);
    await server?.close().catch(() => {});
    rmSync(tmp, { recursive: true, force: true, maxRetries: 3 });
  }
}

function launchOptions(engine: BrowserName, executablePath: string, userDataDir: string, timeout: number, opts: HarnessOptions): LaunchOptions {
  const common = { executablePath, headless: true, userDataDir, protocolTimeout: timeout + 30_000 } as const;
  if (engine === 'chromium') return { ...common, browser: 'chrome', args: [...CHROME_ARGS, ...(opts.args ?? [])] };
  return { ...common, browser: 'firefox', protocol: 'webDriverBiDi', extraPrefsFirefox: { ...FIREFOX_PREFS, ...(opts.firefoxPrefs ?? {}) } };
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
  const value = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const entry = argv.find((a, i) => !a.startsWith('--') && !['--timeout', '--browser'].includes(argv[i - 1]));
  if (!entry) {
    console.error('usage: npx tsx scripts/browser-harness.ts <page.html> [--browser chromium|firefox|all] [--timeout ms]');
    return 2;
  }
  const timeoutMs = value('--timeout') ? Number(value('--timeout')) : 120_000;
  const named = value('--browser');
  // Without --browser: every engine that is installed (CI: every engine, a missing one fails).
  const engines = parseBrowsers(named).filter((b) => named || !browserGate(b).skip);
  if (!engines.length) throw new Error(`browser-harness: no browser installed (${ALL_BROWSERS.map((b) => browserGate(b).reason).join('; ')})`);
  let failed = false;
  for (const browser of engines) {
    const results = await withBrowserPage(entry, (page, ctx) => pageResults(page, { timeoutMs, logs: ctx.logs }), {
      browser,
      timeoutMs,
      onLog: (l) => console.error(`[${browser}] ${l}`),
    });
    console.log(`== ${BROWSER_TITLE[browser]} ==\n${JSON.stringify(results, null, 2)}`);
    failed ||= (results as { ok?: boolean } | null)?.ok === false;
  }
  return failed ? 1 : 0;
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
