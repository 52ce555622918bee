// The timing loop, the same for every engine: warm-up, then `reps` samples of `inner` runs each,
// each sample ending with the engine's settle() (its work submitted and completed). Per sample:
//   wall = (end of settle - start) / inner      always
//   cpu  = (time inside run()/step())  / inner   JS time to enqueue (lazy engines defer work)
//   issue = (last queue submission - start) / inner   host time until all the work was handed to
//          the GPU; unlike cpu it includes launches a lazy engine defers to settle()
//   gpu  = timed pass durations        / inner   when the device has timestamp-query
// The headline figure is the median GPU time when every sample was timed, else the median wall
// time; `method` says which. Counters are per run, over the measured samples only.
import { diffCounters, type DeviceProbe, type GpuCounters } from './instrument.ts';

export interface Stats {
  median: number;
  min: number;
  max: number;
  n: number;
}

export function stats(xs: number[]): Stats {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  const median = n === 0 ? NaN : n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  return { median, min: s[0] ?? NaN, max: s[n - 1] ?? NaN, n };
}

export type TimingMethod = 'gpu-timestamp' | 'wall';

export interface Timed {
  method: TimingMethod;
  /** Headline ms per run: GPU time when available, else wall. */
  ms: Stats;
  wallMs: Stats;
  cpuMs: Stats;
  issueMs: Stats;
  gpuMs: Stats | null;
  /** Per run, averaged over the measured samples. */
  counters: GpuCounters;
  warmup: number;
  reps: number;
  inner: number;
}

export interface Runnable {
  run(): void;
  settle(): Promise<void>;
}

export interface MeasureOptions {
  warmup: number;
  reps: number;
  /** Runs per sample; 0 = calibrate from the last warm-up so a sample takes about `targetMs`. */
  inner: number;
  targetMs?: number;
  maxInner?: number;
  /**
   * Time budget for the case, warm-up included: warm-up stops early after half of it, samples
   * stop once it is spent (at least one warm-up run and one sample are always taken).
   */
  budgetMs?: number;
  /** Awaited after the warm-up, then one more untimed run (see Engine.quiesce). */
  quiesce?: () => Promise<void>;
}

const now = () => performance.now();

export async function measure(c: Runnable, probe: DeviceProbe, o: MeasureOptions): Promise<Timed> {
  const budget = o.budgetMs ?? Infinity;
  const start = now();
  let lastWarm = 0;
  let warmup = 0;
  while (warmup < o.warmup && (warmup === 0 || now() - start < budget / 2)) {
    const t0 = now();
    c.run();
    await c.settle();
    lastWarm = now() - t0;
    warmup++;
  }
  if (o.quiesce) {
    await o.quiesce();
    const t0 = now();
    c.run(); // with whatever kernels the engine settled on
    await c.settle();
    lastWarm = now() - t0;
  }
  const inner = o.inner > 0 ? o.inner : Math.max(1, Math.min(o.maxInner ?? 64, Math.ceil((o.targetMs ?? 20) / Math.max(lastWarm, 0.01))));
  const wall: number[] = [];
  const cpu: number[] = [];
  const issue: number[] = [];
  const gpu: number[] = [];
  let untimed = false;
  const before = probe.snapshot();
  probe.timing = probe.hasTimestamps;
  try {
    for (let r = 0; r < o.reps; r++) {
      probe.resetTiming();
      let inRun = 0;
      const t0 = now();
      for (let i = 0; i < inner; i++) {
        const a = now();
        c.run();
        inRun += now() - a;
      }
      await c.settle();
      const t1 = now();
      wall.push((t1 - t0) / inner);
      cpu.push(inRun / inner);
      issue.push(probe.lastSubmitAt > t0 ? (probe.lastSubmitAt - t0) / inner : inRun / inner);
      const g = probe.hasTimestamps ? await probe.gpuTimeMs() : null;
      if (g && probe.untimedPasses === 0) gpu.push(g.ms / inner);
      else untimed = true;
      if (now() - start > budget) break;
    }
  } finally {
    probe.timing = false;
  }
  const runs = wall.length * inner;
  const counters = diffCounters(probe.snapshot(), before);
  for (const k of Object.keys(counters) as (keyof GpuCounters)[]) counters[k] /= runs;
  const gpuMs = gpu.length && !untimed ? stats(gpu) : null;
  const wallMs = stats(wall);
  return {
    method: gpuMs ? 'gpu-timestamp' : 'wall',
    ms: gpuMs ?? wallMs,
    wallMs,
    cpuMs: stats(cpu),
    issueMs: stats(issue),
    gpuMs,
    counters,
    warmup,
    reps: wall.length,
    inner,
  };
}
