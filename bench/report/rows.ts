// Row lookups and cell formatting shared by the report's tables (markdown.ts) and the
// target sections (targets.ts).
import type { EngineName } from '../engines/types.ts';
import { fmt } from '../suites/common.ts';
import type { Row } from '../suites/types.ts';

export const ENGINE_TITLE: Record<EngineName, string> = {
  webgrad: 'webgrad',
  'webgrad-captured': 'webgrad captured',
  'webgrad-composite': 'webgrad composite',
  tfjs: 'TF.js',
  'jax-js': 'jax-js',
  'jax-js-jit': 'jax-js jit',
};

export const value = (rows: Row[], c: string, e: EngineName) => rows.find((r) => r.case === c && r.engine === e);

/** webgrad's speed-up over `peer` (> 1: webgrad is faster). */
export function ratio(ours: Row | undefined, peer: Row | undefined): number | null {
  if (!ours?.metric || !peer?.metric || ours.error || peer.error) return null;
  return ours.metric.higherIsBetter ? ours.metric.value / peer.metric.value : peer.metric.value / ours.metric.value;
}

/** The webgrad row to compare: the captured step when it is faster (training steps), else eager. */
export function ourRow(rows: Row[], c: string): Row | undefined {
  const eager = value(rows, c, 'webgrad');
  const cap = value(rows, c, 'webgrad-captured');
  if (cap?.metric && !cap.error && (!eager?.metric || eager.error || (ratio(cap, eager) ?? 0) > 1)) return cap;
  return eager;
}

export function cell(row: Row | undefined): string {
  if (!row) return '';
  if (row.error) return 'error';
  if (row.skipped) return 'skipped';
  if (!row.metric) return '';
  const m = row.metric;
  const bad = row.check && !row.check.ok ? ' WRONG' : '';
  const spread = row.timing && row.timing.reps > 1 ? ` (${fmt(m.min)}-${fmt(m.max)})` : '';
  return `${fmt(m.value)}${spread}${bad}`;
}

export const x = (r: number | null) => (r === null ? '' : `${r >= 0.1 ? r.toFixed(2) : r.toPrecision(2)}x`);

export interface Target {
  what: string;
  ours: Row | undefined;
  /** The peer row (ratio target), or an absolute floor in the row's unit. */
  peer: Row | undefined;
  need: number;
  floor?: number;
  /**
   * A target that is not a speed ratio (counts per step, memory growth): its cells as shown,
   * the ratio of the figure to its bound (>= 1 meets it; null: not measured).
   */
  custom?: { ours: string; peer: string; ratio: number | null; shown?: string };
}

/** One line of a targets table. */
export function targetLine(g: Target): string {
  if (g.custom) {
    const r = g.custom.ratio;
    const verdict = r === null ? 'not measured' : r >= g.need ? 'met' : 'missed';
    return `| ${g.what} | ${g.custom.ours} | ${g.custom.peer} | ${g.custom.shown ?? x(r)} | ${verdict} | |`;
  }
  const ok = !!g.ours?.metric && !g.ours.error;
  const r = g.floor !== undefined ? (ok ? g.ours!.metric!.value / g.floor : null) : ratio(g.ours, g.peer);
  const verdict = r === null ? 'not measured' : r >= g.need ? 'met' : `missed: needs ${(g.need / r).toFixed(2)}x more`;
  const mode = g.ours?.engine === 'webgrad-captured' ? ' (captured)' : '';
  // Training targets are wall clock; the ratio of GPU busy time shows what the kernels alone do.
  const gOurs = g.ours?.timing?.gpuMs?.median;
  const gPeer = g.peer?.timing?.gpuMs?.median;
  const gpu = ['training', 'cnn', 'gpt'].includes(g.ours?.suite ?? '') && gOurs && gPeer ? x(gPeer / gOurs) : '';
  const peer = g.floor !== undefined ? `${g.floor} (floor)` : cell(g.peer);
  return `| ${g.what} | ${cell(g.ours)}${mode} | ${peer} | ${x(r)} | ${verdict} | ${gpu} |`;
}
