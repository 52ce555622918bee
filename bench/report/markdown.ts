// The Markdown report of one run: environments, the targets (met or missed, by how much), one
// comparison table per suite (each peer's figure and webgrad's ratio to it), per-step counters
// of the training steps, and every check.
import type { EngineName } from '../engines/types.ts';
import { fmt } from '../suites/common.ts';
import { ENGINE_TITLE, cell, ourRow, ratio, targetLine, value, x, type Target } from './rows.ts';
import { NEW_SUITES, countersTable, memoryTable, suiteTargets } from './targets.ts';
import type { Row, RunSettings, SuiteName, SuiteRun } from '../suites/types.ts';

export interface BenchRun {
  command: string;
  date: string;
  machine: {
    cpus: number;
    cpuModel: string;
    loadBefore: number[];
    loadAfter: number[];
    /** 1-minute load average sampled every 10 s during the run: min / median / max. */
    loadDuring?: { min: number; median: number; max: number; samples: number };
  };
  settings: RunSettings;
  runs: SuiteRun[];
  notes: string[];
  seconds?: number;
}

const PEERS: EngineName[] = ['tfjs', 'jax-js', 'jax-js-jit'];
const ENVIRONMENT_TITLE: Record<SuiteRun['environment']['kind'], string> = { node: 'Node (Dawn)', chromium: 'Chromium', firefox: 'Firefox' };

const SUITE_TITLE: Record<SuiteName, string> = {
  warmup: 'Pipeline warm-up: time to first result (ms, lower is better)',
  matmul: 'Matmul f32 (GFLOP/s, higher is better)',
  bandwidth: 'Bandwidth: elementwise add and bias-gradient sum (GB/s, higher is better)',
  'softmax-ce': 'Softmax cross-entropy, forward + backward (ms, lower is better)',
  dispatch: 'Dispatch overhead (wall-clock us per op, lower is better)',
  training: 'Training step: forward + backward + SGD (wall-clock ms/step, lower is better)',
  conv: 'Convolution and max-pool, forward and gradients (GFLOP/s for conv2d, higher is better; ms for max-pool, lower is better)',
  cnn: 'SimpleConvNet training step: forward + backward + SGD (wall-clock ms/step, lower is better)',
  attention: 'Causal attention B=8 H=4 D=64, forward and forward + backward (ms, lower is better)',
  layernorm: 'Layer norm, forward and forward + backward (GB/s of the bytes a fused kernel must move, higher is better)',
  gpt: 'GPT training step: forward + backward + SGD (wall-clock tokens/s, higher is better)',
};

/** Every failed check and error, as lines (empty: the run passed). */
export function runFailures(run: BenchRun): string[] {
  const out: string[] = [];
  for (const r of run.runs) {
    for (const row of r.rows) {
      const where = `${r.environment.kind} | ${row.suite} | ${row.case} | ${row.engine}`;
      if (row.error) out.push(`${where}: ${row.error}`);
      else if (row.check && !row.check.ok) out.push(`${where}: wrong result: ${row.check.detail}`);
    }
    for (const n of r.notes) if (/could not be loaded|ADAPTER MISMATCH/.test(n)) out.push(`${r.environment.kind}: ${n}`);
  }
  return out;
}

/** The roofline column of a suite: its ceiling's title and value (matmul: FMA peak, bandwidth: copy). */
function roofline(run: SuiteRun, suite: SuiteName): { title: string; peak: number | null } | null {
  const p = run.environment.peaks;
  if (suite === 'matmul') return { title: 'webgrad / FMA peak', peak: p ? p.fmaGflops : null };
  if (suite === 'bandwidth') return { title: 'webgrad / copy BW', peak: p ? p.copyGBs : null };
  return null;
}

/** webgrad's figure as a fraction of the adapter's measured ceiling. */
function fraction(row: Row | undefined, peak: number | null): string {
  if (peak === null || !(peak > 0)) return 'not measured';
  if (!row?.metric || row.error) return '';
  const f = (100 * row.metric.value) / peak;
  return `${f >= 10 ? f.toFixed(0) : f.toPrecision(2)}%`;
}

function suiteTable(run: SuiteRun, suite: SuiteName): string {
  const rows = run.rows.filter((r) => r.suite === suite);
  if (!rows.length) return '';
  const engines = [...new Set(rows.map((r) => r.engine))];
  const peers = PEERS.filter((p) => engines.includes(p));
  const ours = engines.filter((e) => e.startsWith('webgrad'));
  const roof = roofline(run, suite);
  const head = ['case', ...ours.map((e) => ENGINE_TITLE[e]), ...(roof ? [roof.title] : []), ...peers.flatMap((p) => [ENGINE_TITLE[p], `ours / ${ENGINE_TITLE[p]}`])];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`];
  for (const c of [...new Set(rows.map((r) => r.case))]) {
    const us = ourRow(rows, c);
    const roofCell = roof ? [fraction(value(rows, c, 'webgrad'), roof.peak)] : [];
    const cells = [c, ...ours.map((e) => cell(value(rows, c, e))), ...roofCell, ...peers.flatMap((p) => [cell(value(rows, c, p)), x(ratio(us, value(rows, c, p)))])];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

/** Issue 7's targets: matmul 1024^3 and 2048^3, the two training steps, lavapipe's GFLOP/s floor. */
function targets(run: SuiteRun): string {
  const rows = run.rows;
  const t: Target[] = [];
  const a = run.environment.adapter;
  const lavapipe = a.driver === 'lavapipe' || /llvmpipe/i.test(a.description);
  for (const mm of ['1024^3', '2048^3']) {
    t.push({ what: `matmul ${mm} >= 2.5x TF.js`, ours: value(rows, mm, 'webgrad'), peer: value(rows, mm, 'tfjs'), need: 2.5 });
    t.push({ what: `matmul ${mm} >= 1.5x jax-js`, ours: value(rows, mm, 'webgrad'), peer: value(rows, mm, 'jax-js'), need: 1.5 });
    if (lavapipe) t.push({ what: `matmul ${mm} >= 15 GFLOP/s on lavapipe`, ours: value(rows, mm, 'webgrad'), peer: undefined, need: 1, floor: 15 });
  }
  const tr = rows.filter((r) => r.suite === 'training');
  const need: Record<string, [number, number]> = { 'MLP 784-50-10 b100': [3, 1.5], 'MLP 784-512-512-10 b256': [2.5, 1] };
  for (const c of [...new Set(tr.map((r) => r.case))]) {
    const [tf, jit] = need[c] ?? [2.5, 1];
    t.push({ what: `${c} >= ${tf}x TF.js`, ours: ourRow(tr, c), peer: value(tr, c, 'tfjs'), need: tf });
    t.push({ what: jit === 1 ? `${c} faster than jax-js jit` : `${c} >= ${jit}x jax-js jit`, ours: ourRow(tr, c), peer: value(tr, c, 'jax-js-jit'), need: jit });
  }
  t.push(...suiteTargets(run));
  const lines = ['| target | webgrad | peer | ratio | verdict | GPU-time ratio |', '|---|---:|---:|---:|---|---:|'];
  for (const g of t) lines.push(targetLine(g));
  return lines.join('\n');
}

/** The peers' figures measured on this machine before the runner existed (issue 7), per adapter. */
const EARLIER: Record<string, [string, EngineName, string, string][]> = {
  lavapipe: [
    ['matmul', 'tfjs', '1024^3', '~4.1 GFLOP/s'],
    ['matmul', 'jax-js', '1024^3', '3.1-3.8 GFLOP/s'],
    ['training', 'tfjs', 'MLP 784-50-10 b100', '~32 ms'],
    ['training', 'tfjs', 'MLP 784-512-512-10 b256', '~345 ms'],
    ['training', 'jax-js-jit', 'MLP 784-50-10 b100', '12-14 ms'],
    ['training', 'jax-js-jit', 'MLP 784-512-512-10 b256', '261-323 ms'],
  ],
  swiftshader: [
    ['matmul', 'tfjs', '1024^3', '~0.6 GFLOP/s'],
    ['matmul', 'jax-js', '1024^3', '2.1-3.0 GFLOP/s'],
    ['training', 'tfjs', 'MLP 784-50-10 b100', '~147 ms'],
    ['training', 'tfjs', 'MLP 784-512-512-10 b256', '~2,100 ms'],
    ['training', 'jax-js-jit', 'MLP 784-50-10 b100', '~20 ms'],
    ['training', 'jax-js-jit', 'MLP 784-512-512-10 b256', '~486 ms'],
  ],
};

/** This run's peer figures next to the earlier ones: does the harness reproduce the peers? */
function peerSanity(run: SuiteRun): string {
  const a = run.environment.adapter;
  const key = a.driver === 'lavapipe' || /llvmpipe/i.test(a.description) ? 'lavapipe' : /swiftshader/i.test(`${a.architecture} ${a.description}`) ? 'swiftshader' : '';
  const ref = EARLIER[key];
  if (!ref) return '';
  const lines = ['| peer | case | this run | measured earlier |', '|---|---|---:|---:|'];
  for (const [suite, engine, c, earlier] of ref) {
    const row = run.rows.find((r) => r.suite === suite && r.engine === engine && r.case === c);
    if (!row) continue;
    lines.push(`| ${ENGINE_TITLE[engine]} | ${c} | ${cell(row)} ${row.metric ? row.metric.unit.replace('/step', '') : ''} | ${earlier} |`);
  }
  return lines.length > 2 ? lines.join('\n') : '';
}

function environmentBlock(run: SuiteRun): string {
  const e = run.environment;
  const a = e.adapter;
  const lim = (k: string) => (a.limits[k] === undefined ? 'n/a' : String(a.limits[k]));
  return [
    `- Runtime: ${e.label} — ${e.runtime}`,
    `- Adapter: ${[a.vendor, a.architecture, a.device, a.description].filter(Boolean).join(' / ') || 'adapter.info empty'} (driver: ${a.driver}${a.isFallbackAdapter ? ', fallback adapter' : ''})`,
    `- Timing: ${e.timing === 'gpu-timestamp' ? 'GPU time from timestamp-query (sum of compute-pass durations)' : 'wall clock around completed submissions (no timestamp-query)'}; training steps and dispatch overhead are wall clock`,
    `- Limits: maxStorageBufferBindingSize ${lim('maxStorageBufferBindingSize')}, maxBufferSize ${lim('maxBufferSize')}, maxComputeWorkgroupStorageSize ${lim('maxComputeWorkgroupStorageSize')}, maxComputeInvocationsPerWorkgroup ${lim('maxComputeInvocationsPerWorkgroup')}, maxComputeWorkgroupsPerDimension ${lim('maxComputeWorkgroupsPerDimension')}`,
    `- Features: ${a.features.join(', ') || 'none'}`,
    `- Roofline: ${e.peaks ? `FMA peak ${fmt(e.peaks.fmaGflops)} GFLOP/s (fma-chain kernel), copy bandwidth ${fmt(e.peaks.copyGBs)} GB/s (buffer copy kernel), both measured on this adapter by the run (${e.peaks.timing})` : 'not measured in this run (FMA peak and copy bandwidth)'}`,
    `- Engines: ${Object.entries(e.engines).map(([k, v]) => `${k} ${v}`).join(', ')}`,
    `- Suite time: ${run.seconds.toFixed(0)} s`,
    ...run.notes.map((n) => `- Note: ${n}`),
  ].join('\n');
}

function checksBlock(run: SuiteRun): string {
  const rows = run.rows.filter((r) => r.check || r.error);
  const bad = rows.filter((r) => r.error || (r.check && !r.check.ok));
  const skipped = run.rows.filter((r) => r.skipped);
  const head = bad.length ? `${bad.length} of ${rows.length} results FAILED:` : `All ${rows.length} results match their references.`;
  return [
    head,
    ...bad.map((r) => `- ${r.suite} | ${r.case} | ${r.engine}: ${r.error ?? r.check?.detail}`),
    ...skipped.map((r) => `- skipped: ${r.suite} | ${r.case} | ${r.engine}: ${r.skipped}`),
  ].join('\n');
}

/** What ran the kernels: software adapters on this machine, or the GPUs a run was taken on. */
function hardware(run: BenchRun): string {
  const software = (r: SuiteRun) => r.environment.adapter.isFallbackAdapter || /llvmpipe|lavapipe|swiftshader|software/i.test(`${r.environment.adapter.driver} ${r.environment.adapter.description} ${r.environment.adapter.architecture}`);
  if (run.runs.every(software)) return 'no GPU (software WebGPU adapters)';
  return `GPU: ${[...new Set(run.runs.map((r) => r.environment.adapter.description || r.environment.adapter.architecture))].join(', ')}`;
}

/** 'Node (Dawn): lavapipe', 'Chromium: swiftshader', 'Firefox: fallback adapter (adapter.info empty)'. */
export function environmentHeading(r: SuiteRun): string {
  const a = r.environment.adapter;
  const title = ENVIRONMENT_TITLE[r.environment.kind];
  if (a.driver !== 'browser') return `${title}: ${a.driver}`;
  const name = a.description || a.architecture || a.vendor;
  return `${title}: ${name || (a.isFallbackAdapter ? 'fallback adapter (adapter.info empty)' : 'adapter.info empty')}`;
}

/**
 * The same cases in each browser (webgrad and each peer): what the engine's WebGPU stack
 * changes. Ratios are Firefox over Chromium in speed (above 1x: faster in Firefox).
 */
function browserComparison(run: BenchRun): string {
  const chromium = run.runs.find((r) => r.environment.kind === 'chromium');
  const firefox = run.runs.find((r) => r.environment.kind === 'firefox');
  if (!chromium || !firefox) return '';
  const lines = [
    `Chromium (${chromium.environment.label}, Dawn + Tint, ${chromium.environment.timing}) vs Firefox (${firefox.environment.label}, wgpu + naga, ${firefox.environment.timing}) on the same machine:`, '',
    '| suite | case | engine | Chromium | Firefox | Firefox speed / Chromium |', '|---|---|---|---:|---:|---:|',
  ];
  for (const c of chromium.rows) {
    const f = firefox.rows.find((r) => r.suite === c.suite && r.case === c.case && r.engine === c.engine);
    if (!f || !c.metric || !f.metric || c.error || f.error) continue;
    const lowerIsBetter = !/\/s$/.test(c.metric.unit);
    const speed = lowerIsBetter ? c.metric.value / f.metric.value : f.metric.value / c.metric.value;
    lines.push(`| ${c.suite} | ${c.case} | ${ENGINE_TITLE[c.engine]} | ${cell(c)} | ${cell(f)} | ${x(speed)} |`);
  }
  return lines.length > 4 ? lines.join('\n') : '';
}

export function resultsMarkdown(run: BenchRun, charts: { matmul: string; training: string } | null, opts: { compact?: boolean } = {}): string {
  const out: string[] = [];
  if (!opts.compact) {
    out.push('# webgrad benchmark results', '');
    out.push(`Produced by \`${run.command}\` on ${run.date.slice(0, 19).replace('T', ' ')} UTC${run.seconds ? ` in ${(run.seconds / 60).toFixed(1)} min` : ''}.`, '');
    out.push(`Machine: ${run.machine.cpus} x ${run.machine.cpuModel || 'CPU'}, ${hardware(run)}. Load average (1/5/15 min) before: ${run.machine.loadBefore.map((v) => v.toFixed(2)).join(' / ')}, after: ${run.machine.loadAfter.map((v) => v.toFixed(2)).join(' / ')}${run.machine.loadDuring ? `; 1-min load during the run (sampled every 10 s): min ${run.machine.loadDuring.min.toFixed(2)}, median ${run.machine.loadDuring.median.toFixed(2)}, max ${run.machine.loadDuring.max.toFixed(2)}` : ''}. Profile: ${run.settings.profile}.`, '');
    out.push('Method: every engine runs the same shapes on the same adapter from the same host data, after warm-up; figures are medians of repeated samples with (min-max). Each timed result is read back once at the end and checked against a float64 reference; a wrong result fails the run. Ratios are webgrad\'s speed-up over the peer (above 1x: webgrad is faster); for training steps the faster of webgrad eager and captured is compared.', '');
    for (const n of run.notes) out.push(`Note: ${n}`, '');
    if (charts) out.push(`![matmul GFLOP/s](${charts.matmul})`, '', `![training ms/step](${charts.training})`, '');
  }
  for (const r of run.runs) {
    out.push(`## ${environmentHeading(r)}`, '');
    if (!opts.compact) out.push(environmentBlock(r), '');
    out.push('### Targets', '', targets(r), '');
    const sanity = opts.compact ? '' : peerSanity(r);
    if (sanity) out.push('Peers in this run vs the figures measured on this machine before (issue 7):', '', sanity, '');
    for (const s of ['matmul', 'training', 'bandwidth', 'softmax-ce', 'dispatch', 'warmup', ...NEW_SUITES] as SuiteName[]) {
      const table = suiteTable(r, s);
      if (table) out.push(`### ${SUITE_TITLE[s]}`, '', table, '');
      if (s === 'attention' && table) {
        const mt = memoryTable(r);
        if (mt) out.push('Peak GPU memory per case: the most bytes of the engine\'s device buffers alive at once while the case\'s inputs are created and its first evaluation runs (inputs, outputs, saved activations, gradients, temporaries; webgrad\'s and TF.js\'s buffer pools emptied before it; jax-js\'s pool is private, so buffers it pooled in earlier cases can hide allocations):', '', mt, '');
      }
      if ((s === 'cnn' || s === 'gpt') && table && !opts.compact) {
        const ct = countersTable(r, s);
        if (ct) out.push('Per step in steady state (as for the MLP steps above):', '', ct, '');
      }
      if (s === 'training' && !opts.compact) {
        const ct = countersTable(r);
        if (ct) out.push('Per training step in steady state (medians; counters averaged over the timed steps; GPU ms = timed compute passes; CPU ms = host time from the start of the step to its last queue submission, which includes the kernel launches jax-js defers to blockUntilReady and the final submit of TF.js; on these software adapters the GPU work runs on the same 2 cores, so CPU and GPU time overlap and compete):', '', ct, '');
      }
      if (s === 'dispatch' && !opts.compact && table) {
        const d = r.rows.filter((x) => x.suite === 'dispatch' && x.timing);
        out.push(`GPU dispatches issued per op: ${d.map((x) => `${ENGINE_TITLE[x.engine]} ${fmt(x.timing!.counters.dispatches / Number(x.extra.ops))}`).join(', ')}`, '');
      }
    }
    if (!opts.compact) out.push('### Checks', '', checksBlock(r), '');
  }
  const engines = opts.compact ? '' : browserComparison(run);
  if (engines) out.push('## Chromium vs Firefox', '', engines, '');
  return out.join('\n');
}
