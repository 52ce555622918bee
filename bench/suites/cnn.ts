// The SimpleConvNet training step (issue 12): conv 30 filters 5 x 5 - ReLU - max-pool 2 x 2 -
// Affine 100 - ReLU - Affine 10, softmax cross-entropy, SGD, on 28 x 28 inputs at batch 100 (the
// batch `npm start -- --model cnn` trains with), from identical weights and data in every engine.
// Step 1 is checked against the float64 step (bench/core/cnn-reference.ts), then steps are timed
// one at a time, as the MLP steps of the training suite, with per-step counters (submissions
// and GPU object creations: the steady-state targets).
import { cnnData, cnnStepFlops, cnnStepReference, type CnnSpec } from '../core/cnn-reference.ts';
import type { Engine } from '../engines/types.ts';
import type { Log } from './common.ts';
import { checkStep, runStepCase } from './training.ts';
import type { Row, RunSettings } from './types.ts';

export const SIMPLE_CONV_NET: CnnSpec = { batch: 100, size: 28, filters: 30, k: 5, hidden: 100, classes: 10, lr: 0.05, seed: 7 };
const QUICK_CNN: CnnSpec = { batch: 8, size: 12, filters: 6, k: 5, hidden: 16, classes: 10, lr: 0.05, seed: 7 };

export const cnnLabel = (s: CnnSpec) => `SimpleConvNet step ${s.size}x${s.size} ${s.filters}x${s.k}x${s.k} b${s.batch}`;

export async function cnnSuite(engines: Engine[], s: RunSettings, log: Log): Promise<Row[]> {
  const rows: Row[] = [];
  const spec = s.profile === 'quick' ? QUICK_CNN : SIMPLE_CONV_NET;
  const data = cnnData(spec);
  const ref = cnnStepReference(spec, data);
  for (const e of engines.filter((x) => x.cnn && x.suites.includes('cnn'))) {
    rows.push(await runStepCase(e, {
      suite: 'cnn',
      label: cnnLabel(spec),
      build: (en) => en.cnn!(spec, data),
      check: (loss1, params) => checkStep(ref, loss1, params),
      warmup: 2,
      reps: s.profile === 'quick' ? 3 : s.slow ? 6 : 10,
      budgetMs: s.slow ? 40_000 : 30_000,
      extra: { flopsPerStep: cnnStepFlops(spec), refLoss: ref.loss },
    }, log));
  }
  return rows;
}
