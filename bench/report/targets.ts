// Report sections of the suites added for issues 12 and 13 (conv, cnn, attention, layernorm,
// gpt): their targets, the per-step counters of every training-step suite, and attention's peak
// memory. Each section is empty when its suite has no rows, so runs without these suites (the
// committed bench/results.json) render as before.
import type { EngineName } from '../engines/types.ts';
import { fmt } from '../suites/common.ts';
import type { Row, SuiteName, SuiteRun } from '../suites/types.ts';
import { ENGINE_TITLE, ourRow, value, type Target } from './rows.ts';

/** Per-step counters of a training-step suite (training, cnn, gpt), steady state. */
export function countersTable(run: SuiteRun, suite: SuiteName = 'training'): string {
  const rows = run.rows.filter((r) => r.suite === suite && r.timing);
  if (!rows.length) return '';
  const head = ['case', 'engine', 'wall ms', 'GPU ms', 'CPU ms', 'submits', 'pipelines', 'BG layouts', 'new buffers', 'bind groups', 'dispatches', 'loss: step 1 -> last'];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i < 2 ? '---' : '---:')).join('|')}|`];
  for (const r of rows) {
    const t = r.timing!;
    const c = t.counters;
    lines.push(`| ${[
      r.case, ENGINE_TITLE[r.engine], `${fmt(t.wallMs.median)} (${fmt(t.wallMs.min)}-${fmt(t.wallMs.max)})`,
      t.gpuMs ? fmt(t.gpuMs.median) : 'n/a', fmt(t.issueMs.median),
      fmt(c.submits), fmt(c.pipelines), fmt(c.bindGroupLayouts), fmt(c.buffers), fmt(c.bindGroups), fmt(c.dispatches),
      `${fmt(Number(r.extra.loss1))} -> ${fmt(Number(r.extra.lossEnd))}`,
    ].join(' | ')} |`);
  }
  return lines.join('\n');
}

/** A per-step count: exact when it is a whole number. */
const count = (n: number) => (Number.isInteger(n) ? String(n) : fmt(n));

const mib = (b: number) => `${(b / 2 ** 20).toFixed(b < 2 ** 20 ? 3 : 1)} MiB`;

/** T of an attention case label ('fwd+bwd T=256'). */
const seqLen = (r: Row) => Number(r.extra.T);

/** How peak bytes grow with T between the two largest T of a pass: the exponent a in bytes ~ T^a. */
function growth(rows: Row[], engine: EngineName, pass: string): { a: number; from: Row; to: Row } | null {
  const own = rows.filter((r) => r.engine === engine && r.extra.pass === pass && typeof r.extra.peakBytes === 'number' && !r.error).sort((p, q) => seqLen(p) - seqLen(q));
  if (own.length < 2) return null;
  const [from, to] = own.slice(-2);
  const a = Math.log(Number(to.extra.peakBytes) / Number(from.extra.peakBytes)) / Math.log(seqLen(to) / seqLen(from));
  return Number.isFinite(a) ? { a, from, to } : null;
}

/** Peak GPU memory of each attention case and engine, and its growth with T. */
export function memoryTable(run: SuiteRun): string {
  const rows = run.rows.filter((r) => r.suite === 'attention' && typeof r.extra.peakBytes === 'number');
  if (!rows.length) return '';
  const engines = [...new Set(rows.map((r) => r.engine))];
  const head = ['case', ...engines.map((e) => ENGINE_TITLE[e])];
  const lines = [`| ${head.join(' | ')} |`, `|---|${engines.map(() => '---:').join('|')}|`];
  for (const c of [...new Set(rows.map((r) => r.case))]) {
    lines.push(`| ${[c, ...engines.map((e) => {
      const r = value(rows, c, e);
      return r && !r.error ? mib(Number(r.extra.peakBytes)) : '';
    })].join(' | ')} |`);
  }
  const exps = ['forward', 'backward'].map((pass) => {
    const parts = engines.map((e) => {
      const g = growth(rows, e, pass);
      return g ? `${ENGINE_TITLE[e]} T^${g.a.toFixed(2)}` : null;
    }).filter(Boolean);
    return parts.length ? `${pass === 'forward' ? 'fwd' : 'fwd+bwd'}: ${parts.join(', ')}` : '';
  }).filter(Boolean);
  if (exps.length) lines.push('', `Growth of the peak between the two largest T (bytes ~ T^a; 1 = linear, 2 = quadratic): ${exps.join('; ')}.`);
  return lines.join('\n');
}

/** Objects created per steady-state step (pipelines, layouts, buffers, bind groups, shader modules). */
function creations(r: Row): number {
  const c = r.timing!.counters;
  return c.pipelines + c.bindGroupLayouts + c.buffers + c.bindGroups + c.shaderModules;
}

/** One submission and no GPU object creations per step, for each webgrad mode that ran. */
function steadyState(rows: Row[], c: string): Target[] {
  const out: Target[] = [];
  for (const e of ['webgrad', 'webgrad-captured'] as EngineName[]) {
    const r = value(rows, c, e);
    if (!r) continue;
    const ok = !!r.timing && !r.error;
    const sub = ok ? r.timing!.counters.submits : NaN;
    const made = ok ? creations(r) : NaN;
    out.push({
      what: `${c}: 1 submission and 0 creations per step (${ENGINE_TITLE[e]})`,
      ours: r,
      peer: undefined,
      need: 1,
      custom: { ours: ok ? `${count(sub)} submits, ${count(made)} creations` : 'error', peer: '1, 0', ratio: ok ? (sub <= 1 && made === 0 ? 1 : 0) : null, shown: '' },
    });
  }
  return out;
}

function speedTargets(rows: Row[], c: string, tf: number, jit: number): Target[] {
  return [
    { what: `${c} >= ${tf}x TF.js`, ours: ourRow(rows, c), peer: value(rows, c, 'tfjs'), need: tf },
    { what: `${c} >= ${jit}x jax-js jit`, ours: ourRow(rows, c), peer: value(rows, c, 'jax-js-jit'), need: jit },
  ];
}

/** Issue 12 and 13's targets, for the suites that ran. */
export function suiteTargets(run: SuiteRun): Target[] {
  const t: Target[] = [];
  const of = (suite: SuiteName) => run.rows.filter((r) => r.suite === suite);
  const cases = (rows: Row[]) => [...new Set(rows.map((r) => r.case))];
  const conv = of('conv');
  for (const c of cases(conv)) t.push(...speedTargets(conv, c, 2.5, 1.5));
  const cnn = of('cnn');
  for (const c of cases(cnn)) t.push(...speedTargets(cnn, c, 2.5, 1.5), ...steadyState(cnn, c));
  const att = of('attention');
  for (const c of cases(att).filter((c) => /T=256$/.test(c))) {
    t.push({ what: `attention ${c}: fused >= 2x composite`, ours: value(att, c, 'webgrad'), peer: value(att, c, 'webgrad-composite'), need: 2 });
  }
  for (const pass of ['forward', 'backward']) {
    const g = growth(att, 'webgrad', pass);
    if (!att.some((r) => r.engine === 'webgrad' && r.extra.pass === pass)) continue;
    t.push({
      what: `attention ${pass === 'forward' ? 'fwd' : 'fwd+bwd'}: fused peak memory linear in T`,
      ours: g?.to,
      peer: undefined,
      need: 1,
      // Linear within measurement slack (inputs and outputs are linear; a [T, T] buffer would give ~2).
      custom: g
        ? { ours: `${mib(Number(g.from.extra.peakBytes))} at T=${seqLen(g.from)} -> ${mib(Number(g.to.extra.peakBytes))} at T=${seqLen(g.to)}`, peer: 'T^1', ratio: g.a <= 1.15 ? 1 : 0, shown: `T^${g.a.toFixed(2)}` }
        : { ours: '', peer: 'T^1', ratio: null },
    });
  }
  const gpt = of('gpt');
  for (const c of cases(gpt)) t.push(...speedTargets(gpt, c, 3, 1.5), ...steadyState(gpt, c));
  return t;
}

/** Suites whose tables follow the original ones, with their step counters where they have them. */
export const NEW_SUITES: SuiteName[] = ['conv', 'cnn', 'attention', 'layernorm', 'gpt'];
