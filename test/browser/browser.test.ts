// The browser suite: test/browser/page runs CHECKS on navigator.gpu in headless Chromium
// (scripts/browser-harness.ts); every check becomes one test case here.
// Skipped (with the reason in the test name) only when Chromium is missing outside CI.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserGate, pageResults, withBrowserPage } from '../../scripts/browser-harness.ts';
import { Rng } from '../../src/index.ts';
import { expectClose } from '../helpers.ts';
import { CHECKS, RANDN_COUNT, RANDN_SEED } from './page/checks.ts';
import type { CheckResult, PageResults } from './page/main.ts';

const gate = browserGate();
if (gate.skip) console.warn(`[browser suite] skipped: ${gate.reason}`);

describe.skipIf(gate.skip)(`browser (headless Chromium, navigator.gpu)${gate.skip ? ` — skipped: ${gate.reason}` : ''}`, () => {
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
      });
    } catch (e) {
      failure = e as Error;
    }
  });

  afterAll(() => {
    if (results && !results.ok) console.error(`[browser suite] page log:\n${logs.join('\n')}`);
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

  it('reports a WebGPU adapter (SwiftShader without a GPU)', () => {
    const adapter = result('init() acquires navigator.gpu').detail as { vendor: string; architecture: string; driver: string };
    console.log(`[browser suite] adapter: ${JSON.stringify(adapter)}`);
    expect(adapter.driver).toBe('browser');
    expect(`${adapter.vendor}${adapter.architecture}`.length).toBeGreaterThan(0);
  });

  it('seeded randn gives the same values in the browser and in Node', () => {
    const { values } = result('seeded randn matches Node').detail as { values: number[] };
    const rng = new Rng(RANDN_SEED);
    const expected = Float32Array.from({ length: RANDN_COUNT }, () => rng.normal());
    expectClose(values, expected, { rtol: 0, atol: 0 });
  });
});
