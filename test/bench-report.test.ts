// The committed benchmark results (bench/RESULTS.md, issue 7) are exactly what the report code
// renders from the committed run (bench/results.json), and every target verdict in them agrees
// with the figures in its row. Pure Markdown rendering: no GPU work.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { resultsMarkdown, runFailures, type BenchRun } from '../bench/report/markdown.ts';

const run = JSON.parse(readFileSync('bench/results.json', 'utf8')) as BenchRun;
const committed = readFileSync('bench/RESULTS.md', 'utf8');

describe('committed benchmark results', () => {
  it('bench/RESULTS.md is the rendering of bench/results.json (no hand edits)', () => {
    expect(resultsMarkdown(run, { matmul: 'charts/matmul.svg', training: 'charts/training.svg' })).toBe(committed);
  });

  it('the run has both environments, every result checked and correct', () => {
    const kinds = run.runs.map((r) => r.environment.kind).sort();
    expect(kinds.filter((k) => k !== 'firefox')).toEqual(['chromium', 'node']); // Firefox when the run had it
    expect(runFailures(run)).toEqual([]);
  });

  it('every target verdict matches its ratio (met iff ratio >= the target; misses say by how much)', () => {
    const rows = committed.split('\n').filter((l) => /^\| (matmul \d+\^3|MLP 784)/.test(l) && /\| (met|missed|not measured)/.test(l));
    const browsers = run.runs.filter((r) => r.environment.kind !== 'node').length;
    expect(rows.length).toBe(10 + 8 * browsers); // node: 6 matmul (incl. the lavapipe floor) + 4 training; each browser: 4 + 4
    for (const line of rows) {
      const cells = line.split('|').map((c) => c.trim());
      const [what, , , ratioCell, verdict] = cells.slice(1);
      const need = /faster than/.test(what) ? 1 : Number(/>= ([\d.]+)(x| GFLOP)/.exec(what)![1]) / (/GFLOP/.test(what) ? 15 : 1);
      const ratio = Number(ratioCell.replace('x', ''));
      if (ratio >= need + 0.005) expect(verdict, line).toBe('met');
      else if (ratio < need - 0.005) expect(verdict, line).toMatch(/^missed: needs [\d.]+x more$/);
    }
  });
});
