// The browser suite: test/browser/page runs CHECKS on navigator.gpu in headless Chromium and
// in headless Firefox (scripts/browser-harness.ts; $WEBGRAD_BROWSERS narrows it); every check
// becomes one test case per engine here.
// Skipped (with the reason in the test name) only when the engine is missing outside CI.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BROWSER_TITLE, browserGate, pageResults, suiteBrowsers, withBrowserPage, type BrowserName } from '../../scripts/browser-harness.ts';
import { Rng, type AdapterSummary } from '../../src/index.ts';
import { adapterKind, describeKind, hasAdapterInfo } from '../../src/gpu/kind.ts';
import { expectClose } from '../helpers.ts';
import { CHECKS, RANDN_COUNT, RANDN_SEED } from './page/checks.ts';
import type { CheckResult, PageResults } from './page/main.ts';

for (const engine of suiteBrowsers()) suite(engine);

function suite(engine: BrowserName): void {
const gate = browserGate(engine);
if (gate.skip) console.warn(`[browser suite] ${engine} skipped: ${gate.reason}`);

describe.skipIf(gate.skip)(`browser (headless ${BROWSER_TITLE[engine]}, navigator.gpu)${gate.skip ? ` — skipped: ${gate.reason}` : ''}`, () => {
  let results: PageResults | null = null;
  let failure: Error | null = null;
  const logs: string[] = [];

  beforeAll(async () => {
    try {
      results = await withBrowserPage('test/browser/page/index.html', async (page, ctx) => {
        try {
          return await pageResults<PageResults>(page, { logs: ctx.logs });
        } finally {
          logs.push(...ctx.logs);
        }
      }, { browser: engine });
    } catch (e) {
      failure = e as Error;
    }
  });

  afterAll(() => {
    if (results && !results.ok) console.error(`[browser suite] ${engine} page log:\n${logs.join('\n')}`);
  });

  function result(name: string): CheckResult {
    if (failure) throw failure;
    const r = results?.checks.find((c) => c.name === name);
    if (!r) throw new Error(`the page reported no result for '${name}'`);
    return r;
  }

  it('the page ran every check', () => {
    if (failure) throw failure;
    expect(results!.checks.map((c) => c.name)).toEqual(CHECKS.map((c) => c.name));
  });

  for (const { name } of CHECKS) {
    it(name, () => {
      const r = result(name);
      if (!r.ok) expect.fail(`${r.error}`);
    });
  }

  it('reports a WebGPU adapter and picks its kernel family by the documented rule', () => {
    const adapter = result('init() acquires navigator.gpu').detail as AdapterSummary & { kernels: string };
    console.log(`[browser suite] ${engine} adapter: ${JSON.stringify(adapter)}`);
    expect(adapter.driver).toBe('browser');
    expect(adapter.kernels).toBe(describeKind(adapterKind(adapter, 'auto')));
    // init() logs the adapter and the choice with its reason.
    expect(logs.filter((l) => l.includes('[webgrad] WebGPU adapter:') && l.endsWith(adapter.kernels)), logs.join('\n')).toHaveLength(1);
    // Chromium names its adapter (SwiftShader without a GPU); Firefox's software adapter has
    // an empty adapter.info and says only that it is a fallback adapter.
    if (engine === 'chromium') expect(hasAdapterInfo(adapter)).toBe(true);
    else if (!hasAdapterInfo(adapter)) expect(adapter.isFallbackAdapter || !adapterKind(adapter, 'auto').cpu).toBe(true);
    expect(results!.userAgent).toMatch(engine === 'firefox' ? /Firefox\/\d+/ : /Chrom(e|ium)\/\d+/);
  });

  it('seeded randn gives the same values in the browser and in Node', () => {
    const { values } = result('seeded randn matches Node').detail as { values: number[] };
    const rng = new Rng(RANDN_SEED);
    const expected = Float32Array.from({ length: RANDN_COUNT }, () => rng.normal());
    expectClose(values, expected, { rtol: 0, atol: 0 });
  });
});
}
