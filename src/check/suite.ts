// The gradient-check suite: every case of ./cases.ts through gradcheck(), with a coverage check
// (every op of the op table recorded by at least one of its own cases), a text table and a
// Markdown report. Runs in Node (scripts/gradcheck.ts) and in the browser (its page) alike.
import { OPS, type OpName } from '../ops/registry.ts';
import { gradcheck, type GradcheckReport } from './gradcheck.ts';
import { GPU_MODE_CASES, NETWORK_CASES, OP_CASES, type GradcheckCase } from './cases.ts';

export interface SuiteRow {
  group: string; // op name, 'network' or 'gpu-mode'
  case: string;
  mode: 'reference' | 'gpu';
  passed: boolean;
  maxRelError: number;
  verdict: string;
  worst: string;
  checked: number;
  skippedNearKink: number;
  seconds: number;
}

export interface SuiteResult {
  passed: boolean;
  rows: SuiteRow[];
  /** Ops of the table without a case that records them (must be empty). */
  uncovered: string[];
  environment: string;
}

export async function runSuite(opts: { filter?: RegExp; environment?: string; onRow?: (r: SuiteRow) => void } = {}): Promise<SuiteResult> {
  const rows: SuiteRow[] = [];
  const covered = new Set<string>();
  const run = async (group: string, c: GradcheckCase, mode: 'reference' | 'gpu') => {
    if (opts.filter && !opts.filter.test(`${group} ${c.name}`)) return;
    const t0 = performance.now();
    const inputs = c.inputs();
    let report: GradcheckReport;
    try {
      report = await gradcheck(c.fn, inputs, { ...c.options, mode });
    } finally {
      inputs.forEach((t) => t.dispose());
    }
    if (report.ops.includes(group)) covered.add(group);
    const row = toRow(group, c.name, report, (performance.now() - t0) / 1000);
    rows.push(row);
    opts.onRow?.(row);
  };
  for (const op of Object.keys(OPS) as OpName[]) for (const c of OP_CASES[op]) await run(op, c, 'reference');
  for (const c of NETWORK_CASES) await run('network', c, 'reference');
  for (const c of GPU_MODE_CASES) await run('gpu-mode', c, 'gpu');
  const uncovered = opts.filter ? [] : Object.keys(OPS).filter((op) => !covered.has(op));
  return { passed: rows.every((r) => r.passed) && uncovered.length === 0, rows, uncovered, environment: opts.environment ?? '' };
}

function toRow(group: string, name: string, r: GradcheckReport, seconds: number): SuiteRow {
  const worstInput = r.inputs.reduce((a, b) => (b.maxRelError > a.maxRelError ? b : a), r.inputs[0]);
  const dirFail = r.directional.find((d) => !d.passed);
  const maxRel = Math.max(worstInput?.maxRelError ?? 0, ...r.directional.filter((d) => !d.skippedNearKink).map((d) => d.relError));
  const w = worstInput?.worst;
  return {
    group,
    case: name,
    mode: r.mode,
    passed: r.passed,
    maxRelError: maxRel,
    verdict: worstInput?.verdict ?? 'n/a',
    worst: dirFail
      ? `direction: num ${dirFail.numerical.toPrecision(6)} vs ana ${dirFail.analytical.toPrecision(6)}`
      : w
        ? `input ${worstInput.input} [${w.index.join(',')}]: num ${w.numerical.toPrecision(6)} vs ana ${w.analytical.toPrecision(6)}`
        : '',
    checked: r.inputs.reduce((s, i) => s + i.checked, 0),
    skippedNearKink: r.inputs.reduce((s, i) => s + i.skippedNearKink, 0),
    seconds,
  };
}

export function formatTable(res: SuiteResult): string {
  const head = ['op', 'case', 'mode', 'max rel err', 'verdict', 'ok'];
  const body = res.rows.map((r) => [r.group, r.case, r.mode, r.maxRelError.toExponential(2), r.verdict, r.passed ? 'PASS' : 'FAIL']);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ');
  const out = [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)];
  const failed = res.rows.filter((r) => !r.passed);
  out.push('', `${res.rows.length - failed.length} passed, ${failed.length} failed${res.environment ? ` (${res.environment})` : ''}`);
  for (const f of failed) out.push(`  FAIL ${f.group} / ${f.case}: ${f.worst}`);
  if (res.uncovered.length) out.push(`  ops without a gradcheck case that records them: ${res.uncovered.join(', ')}`);
  return out.join('\n');
}

export function toMarkdown(results: SuiteResult[]): string {
  const out = ['# Gradient check report', '', 'Analytic gradients from webgrad\'s WGSL backward kernels vs central differences',
    '(reference mode: float64 CPU replay of the tape; gpu mode: fp32 forward on the GPU).',
    'Relative error as in seed 003; verdict bands: < 1e-7 excellent, < 1e-5 fine, < 1e-3 check, above: likely a bug.', ''];
  for (const res of results) {
    const failed = res.rows.filter((r) => !r.passed).length;
    out.push(`## ${res.environment || 'run'}: ${res.rows.length - failed} passed, ${failed} failed`, '');
    out.push('| op | case | mode | max rel err | verdict | checked | skipped (kink) | ok |', '|---|---|---|---|---|---|---|---|');
    for (const r of res.rows) {
      out.push(`| ${r.group} | ${r.case} | ${r.mode} | ${r.maxRelError.toExponential(2)} | ${r.verdict} | ${r.checked} | ${r.skippedNearKink} | ${r.passed ? 'pass' : '**FAIL**'} |`);
    }
    if (res.uncovered.length) out.push('', `Ops without a case: ${res.uncovered.join(', ')}`);
    out.push('');
  }
  return out.join('\n');
}
