// The gradient-check suite in the browser: same cases, same code, this page's WebGPU adapter.
// Sets window.__results (a SuiteResult) for scripts/browser-harness.ts, and shows the table.
import { init } from 'webgrad';
import { describe } from '../../../src/gpu/device.ts';
import { formatTable, runSuite } from '../../../src/check/suite.ts';

const out = document.getElementById('out')!;
/** 'firefox Firefox/153.0' or 'chromium Chrome/156...': the report has a column per engine. */
const engine = () => {
  const ff = navigator.userAgent.match(/Firefox\/[\d.]+/)?.[0];
  return ff ? `firefox ${ff}` : `chromium ${navigator.userAgent.match(/Chrom(e|ium)\/[\d.]+/)?.[0] ?? ''}`;
};
const w = window as unknown as Record<string, unknown>;
try {
  const adapter = await init();
  const filter = new URLSearchParams(location.search).get('filter');
  const res = await runSuite({
    environment: `${engine()} on ${describe(adapter)}`,
    filter: filter ? new RegExp(filter) : undefined,
    onRow: (r) => (out.textContent += `\n${r.passed ? 'PASS' : 'FAIL'} ${r.group} / ${r.case}`),
  });
  out.textContent = formatTable(res);
  w.__results = res;
} catch (e) {
  w.__error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  out.textContent = String(w.__error);
}
