// The gradient-check suite in headless Chromium and Firefox (issues 4, 15): the same cases as
// the Node run (test/gradcheck-suite.test.ts), through scripts/pages/gradcheck on navigator.gpu.
import { expect, it } from 'vitest';
import { BROWSER_TITLE, browserGate, pageResults, suiteBrowsers, withBrowserPage } from '../../scripts/browser-harness.ts';
import { formatTable, type SuiteResult } from '../../src/check/suite.ts';

for (const engine of suiteBrowsers()) {
  const gate = browserGate(engine);
  it.skipIf(gate.skip)(`gradcheck suite passes in ${BROWSER_TITLE[engine]}${gate.skip ? ` — skipped: ${gate.reason}` : ''}`, async () => {
    const res = await withBrowserPage('scripts/pages/gradcheck/index.html', (page, ctx) =>
      pageResults<SuiteResult>(page, { timeoutMs: 600_000, logs: ctx.logs }), { browser: engine, timeoutMs: 600_000 });
    const table = formatTable(res);
    expect(res.environment).toMatch(engine === 'firefox' ? /^firefox Firefox\/\d+/ : /^chromium Chrom/);
    expect(res.uncovered, table).toEqual([]);
    expect(res.rows.filter((r) => !r.passed).map((r) => `${r.group} / ${r.case}: ${r.worst}`), table).toEqual([]);
    expect(res.rows.length).toBeGreaterThan(60);
  }, 700_000);
}
