// The benchmark report with a Firefox environment (issue 15): its own section, an adapter line
// that says adapter.info is empty, and the Chromium vs Firefox table of the cases both ran.
// Pure rendering of a run derived from the committed bench/results.json: no GPU work.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { environmentHeading, resultsMarkdown, type BenchRun } from '../bench/report/markdown.ts';
import { matmulChartSvg } from '../bench/report/svg.ts';

const committed = JSON.parse(readFileSync('bench/results.json', 'utf8')) as BenchRun;

/** The committed run plus a Firefox environment: the Chromium rows, every figure halved in speed. */
function withFirefox(): BenchRun {
  const run = structuredClone(committed);
  const chromium = run.runs.find((r) => r.environment.kind === 'chromium')!;
  const firefox = structuredClone(chromium);
  firefox.environment.kind = 'firefox';
  firefox.environment.label = 'firefox/153.0 (headless)';
  Object.assign(firefox.environment.adapter, { vendor: '', architecture: '', device: '', description: '', isFallbackAdapter: true });
  for (const row of firefox.rows) {
    if (!row.metric) continue;
    row.metric.value = /\/s$/.test(row.metric.unit) ? row.metric.value / 2 : row.metric.value * 2;
  }
  run.runs.push(firefox);
  return run;
}

describe('bench report with Firefox', () => {
  const run = withFirefox();
  const md = resultsMarkdown(run, null);

  it('has a Firefox section whose heading and adapter line say the adapter info is empty', () => {
    expect(environmentHeading(run.runs[2])).toBe('Firefox: fallback adapter (adapter.info empty)');
    expect(md).toContain('\n## Firefox: fallback adapter (adapter.info empty)\n');
    expect(md).toContain('- Adapter: adapter.info empty (driver: browser, fallback adapter)');
    expect(md.match(/^## /gm)!.length).toBe(4); // Node, Chromium, Firefox, the comparison
  });

  it('compares the engines case by case (Firefox speed over Chromium)', () => {
    const section = md.slice(md.indexOf('## Chromium vs Firefox'));
    const rows = section.split('\n').filter((l) => /^\| (matmul|training) \|/.test(l));
    expect(rows.length).toBeGreaterThan(5);
    for (const line of rows) expect(line.trim().endsWith('| 0.50x |'), line).toBe(true);
  });

  it('the committed two-environment run has no comparison section, and the chart names Firefox', () => {
    expect(resultsMarkdown(committed, null)).not.toContain('Chromium vs Firefox');
    expect(matmulChartSvg(run)).toContain('Firefox: fallback adapter');
  });
});
