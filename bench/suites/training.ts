// Whole training steps (forward, softmax cross-entropy, backward, SGD update) of MLP 784-50-10
// at batch 100 and MLP 784-512-512-10 at batch 256, from identical weights and data in every
// engine. The first step is checked against a float64 reference (its loss and the updated
// parameters), then steps are timed one at a time (each completed before the next starts), and
// the loss after the timed steps must have gone down. Also: pipeline warm-up, the time from a
// fresh model to the first step's loss on the host (cold pipelines; run this suite first).
import { compare, mlpData, mlpStepFlops, mlpStepReference, sampleIndices, type Check, type MlpSpec } from '../core/reference.ts';
import { measure, type Timed } from '../core/timing.ts';
import type { GpuCounters } from '../core/instrument.ts';
import type { Engine, TrainCase } from '../engines/types.ts';
import { guarded, timeMetric, type Log } from './common.ts';
import type { Metric, Row, RunSettings, SuiteName } from './types.ts';

export const SMALL_MLP: MlpSpec = { sizes: [784, 50, 10], batch: 100, lr: 0.05, seed: 1 };
export const BIG_MLP: MlpSpec = { sizes: [784, 512, 512, 10], batch: 256, lr: 0.05, seed: 2 };

export const mlpLabel = (s: MlpSpec) => `MLP ${s.sizes.join('-')} b${s.batch}`;

/** Step 1 against a float64 step: its loss and sampled values of every updated parameter. */
export function checkStep(ref: { loss: number; params: Float64Array[] }, loss: number, params: Float32Array[]): Check {
  const lossCheck = compare([loss], [ref.loss], null, 1e-3, 1e-5, 'loss of step 1');
  if (!lossCheck.ok) return lossCheck;
  let compared = 1;
  let worst = lossCheck.worst;
  for (let i = 0; i < params.length; i++) {
    const idx = sampleIndices(params[i].length, 128, 17 + i);
    const want = Float64Array.from(idx, (k) => ref.params[i][k]);
    const c = compare(params[i], want, idx, 1e-3, 1e-5, `parameter ${i} after step 1`);
    if (!c.ok) return c;
    compared += c.compared;
    worst = Math.max(worst, c.worst);
  }
  return { ok: true, worst, compared, detail: `step 1: loss and ${compared - 1} sampled parameter values match the float64 reference (rtol 1e-3)` };
}

function perRun(after: Partial<GpuCounters>, before: Partial<GpuCounters>, runs: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of Object.keys(after) as (keyof GpuCounters)[]) out[`own.${k}`] = ((after[k] ?? 0) - (before[k] ?? 0)) / runs;
  return out;
}

export interface StepCaseSpec {
  suite: SuiteName;
  label: string;
  build: (e: Engine) => TrainCase;
  /** Checks step 1 from its loss and the parameters after it. */
  check: (loss1: number, params: Float32Array[]) => Check | Promise<Check>;
  warmup: number;
  reps: number;
  budgetMs: number;
  extra: Row['extra'];
  /** The headline figure from the timing; default wall-clock ms per step. */
  metric?: (t: Timed) => Metric;
}

/**
 * A training-step case: step 1 is checked, then steps are timed one at a time (each completed
 * before the next starts) and the loss after them must have gone down. Counters per step are
 * the device's (every engine) and the engine's own (webgrad's runtime stats) in `extra`.
 */
export async function runStepCase(e: Engine, spec: StepCaseSpec, log: Log): Promise<Row> {
  const row: Row = { suite: spec.suite, case: spec.label, engine: e.name, metric: null, timing: null, check: null, extra: { ...spec.extra } };
  return guarded(row, () => spec.build(e), async (c) => {
    c.step();
    await c.settle();
    const loss1 = await c.loss();
    row.check = await spec.check(loss1, await c.params());
    const own0 = e.ownCounters();
    const t = await measure({ run: () => c.step(), settle: () => c.settle() }, e.probe, {
      warmup: spec.warmup, // step 1 (the checked one) already compiled everything
      reps: spec.reps,
      inner: 1,
      budgetMs: spec.budgetMs,
      quiesce: e.quiesce?.bind(e),
    });
    const own1 = e.ownCounters();
    row.timing = t;
    row.metric = spec.metric ? spec.metric(t) : timeMetric(t.wallMs, 'ms/step');
    const lossEnd = await c.loss();
    const steps = 1 + t.warmup + t.reps;
    Object.assign(row.extra, { loss1, lossEnd, steps });
    if (own0 && own1) Object.assign(row.extra, perRun(own1, own0, t.reps * t.inner));
    if (!(Number.isFinite(lossEnd) && lossEnd < loss1)) {
      row.check = { ok: false, worst: Infinity, compared: 1, detail: `the loss did not go down over ${steps} steps on one batch: ${loss1} -> ${lossEnd}` };
    }
  }, log);
}

export async function trainingSuite(engines: Engine[], s: RunSettings, log: Log): Promise<Row[]> {
  const rows: Row[] = [];
  const specs = s.profile === 'quick' ? [SMALL_MLP] : [SMALL_MLP, BIG_MLP];
  for (const spec of specs) {
    const data = mlpData(spec);
    const ref = mlpStepReference(spec, data);
    const big = spec === BIG_MLP;
    for (const e of engines.filter((x) => x.suites.includes('training'))) {
      rows.push(await runStepCase(e, {
        suite: 'training',
        label: mlpLabel(spec),
        build: (en) => en.mlp(spec, data),
        check: (loss1, params) => checkStep(ref, loss1, params),
        warmup: big ? 1 : 2,
        reps: s.profile === 'quick' ? 3 : big && s.slow ? 5 : big ? 8 : 15,
        budgetMs: s.slow ? 45_000 : 30_000,
        extra: { flopsPerStep: mlpStepFlops(spec), refLoss: ref.loss },
      }, log));
    }
  }
  return rows;
}

/** Time to first result: a fresh MLP 784-50-10 model, one step, its loss read back. */
export async function warmupSuite(engines: Engine[], _s: RunSettings, log: Log): Promise<Row[]> {
  const rows: Row[] = [];
  const spec = SMALL_MLP;
  const data = mlpData(spec);
  const ref = mlpStepReference(spec, data);
  for (const e of engines.filter((x) => x.suites.includes('warmup'))) {
    const row: Row = { suite: 'warmup', case: `first step ${mlpLabel(spec)}`, engine: e.name, metric: null, timing: null, check: null, extra: {} };
    const before = e.probe.snapshot();
    const t0 = performance.now();
    rows.push(await guarded(row, () => e.mlp(spec, data), async (c) => {
      c.step();
      const loss = await c.loss();
      const ms = performance.now() - t0;
      const after = e.probe.snapshot();
      row.metric = { value: ms, min: ms, max: ms, unit: 'ms', higherIsBetter: false };
      row.check = compare([loss], [ref.loss], null, 1e-3, 1e-5, 'loss of the first step');
      row.extra = { pipelines: after.pipelines - before.pipelines, shaderModules: after.shaderModules - before.shaderModules, buffers: after.buffers - before.buffers, submits: after.submits - before.submits };
    }, log));
    // Background work the first result started (webgrad warms its tuned kernels up) must not
    // take the cores from the next engine's cold step.
    await e.quiesce?.();
  }
  return rows;
}
