// One benchmarked case of one engine: build it, time it, read the result back once and check it
// against the reference, dispose it. Failures become rows with `error` (never thrown), so one
// broken engine does not hide the others; the runner exits non-zero on any error or failed check.
import type { Check } from '../core/reference.ts';
import { measure, type MeasureOptions, type Stats, type Timed } from '../core/timing.ts';
import type { Engine, OpCase } from '../engines/types.ts';

import type { Metric, Row, SuiteName } from './types.ts';

export type Log = (line: string) => void;

export interface OpCaseSpec {
  suite: SuiteName;
  label: string;
  build: (e: Engine) => OpCase;
  measure: MeasureOptions;
  check: (got: Float32Array) => Check;
  metric: (t: Timed) => Metric;
  extra?: Row['extra'];
  /**
   * Record the case's peak GPU memory in extra.peakBytes: the most bytes of device buffers alive
   * at once while the case's inputs are created and its first evaluation runs (before the timed
   * runs, whose pipelining can keep several evaluations' buffers alive), above what was alive
   * before; the engine's pooled buffers are freed first where it lets us.
   */
  memory?: boolean;
}

export async function runOpCase(e: Engine, spec: OpCaseSpec, log: Log): Promise<Row> {
  const row: Row = { suite: spec.suite, case: spec.label, engine: e.name, metric: null, timing: null, check: null, extra: { ...(spec.extra ?? {}) } };
  let base = 0;
  if (spec.memory) {
    e.releaseMemory?.();
    base = e.probe.liveBytes;
    e.probe.resetPeak();
  }
  return guarded(row, () => spec.build(e), async (c) => {
    if (spec.memory) {
      c.run();
      await c.settle();
      row.extra.peakBytes = e.probe.peakBytes - base;
    }
    row.timing = await measure(c, e.probe, { ...spec.measure, quiesce: e.quiesce?.bind(e) });
    row.check = spec.check(await c.result());
    row.metric = spec.metric(row.timing);
  }, log);
}

/**
 * Build a case, run `body` on it and dispose it; an exception (from any of the three) is
 * recorded in `row.error` instead of propagating. Logs the finished row.
 */
export async function guarded<C extends { dispose(): void }>(row: Row, build: () => C, body: (c: C) => Promise<void>, log: Log): Promise<Row> {
  let c: C | null = null;
  try {
    c = build();
    await body(c);
  } catch (err) {
    row.error = errorText(err);
  } finally {
    try {
      c?.dispose();
    } catch (err) {
      row.error ??= `dispose: ${errorText(err)}`;
    }
  }
  log(formatRow(row));
  return row;
}

export function errorText(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}`.slice(0, 600) : String(err).slice(0, 600);
}

export function formatRow(r: Row): string {
  const what = `${r.suite} | ${r.case} | ${r.engine}`;
  if (r.error) return `${what}: ERROR ${r.error}`;
  const m = r.metric ? `${fmt(r.metric.value)} ${r.metric.unit}` : '';
  const t = r.timing ? ` (${r.timing.method}, ${fmt(r.timing.ms.median)} ms [${fmt(r.timing.ms.min)}-${fmt(r.timing.ms.max)}], n=${r.timing.reps}x${r.timing.inner})` : '';
  const c = r.check ? (r.check.ok ? ' check ok' : ` CHECK FAILED: ${r.check.detail}`) : '';
  return `${what}: ${m}${t}${c}`;
}

export function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  if (a >= 1) return x.toFixed(2);
  return x.toPrecision(2);
}

/** Throughput from an amount of work per run and times in ms (e.g. FLOPs and 1e9 -> GFLOP/s). */
export function throughput(amount: number, t: Stats, scale: number, unit: Metric['unit']): Metric {
  const rate = (ms: number) => amount / (ms / 1000) / scale;
  return { value: rate(t.median), min: rate(t.max), max: rate(t.min), unit, higherIsBetter: true };
}

/** A time metric (ms), optionally rescaled (e.g. to us per op). */
export function timeMetric(t: Stats, unit: Metric['unit'], scale = 1): Metric {
  return { value: t.median * scale, min: t.min * scale, max: t.max * scale, unit, higherIsBetter: false };
}
