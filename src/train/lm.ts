// Training and evaluating a next-token model (a GPT) on text windows. Same scheme as fit.ts:
// one submit per step, every step inside tidy(), and no per-step readback: each step's loss
// is copied on the GPU into a loss-history buffer that is read every `logEvery` steps.
// The model maps ids [B, T] (i32) to logits [B, T, V]; the loss is the cross-entropy of
// logits viewed as [B * T, V] against the next ids [B * T], in nats per token.
import { flush, noGrad, runtime } from '../context.ts';
import { ValueError } from '../errors.ts';
import { keep, tidy } from '../memory.ts';
import { option, parseOptions, type OptionsOf } from '../options.ts';
import { crossEntropy } from '../ops/loss.ts';
import { zeros, type Tensor } from '../tensor.ts';
import type { Module } from '../nn/module.ts';
import type { Optimizer } from '../optim/optimizer.ts';
import { windowTensors, type TextWindows } from '../data/text.ts';

/** Mean next-token cross-entropy of logits [B, T, V] against targets [B, T] (i32), or the sum with 'sum'. */
export function lmLoss(logits: Tensor, targets: Tensor, reduction: 'mean' | 'sum' = 'mean'): Tensor {
  if (logits.rank !== 3) throw new ValueError('lmLoss', `logits must be [B, T, V], got rank ${logits.rank}`);
  const [B, T, V] = logits.shape;
  return crossEntropy(logits.view([B * T, V]), targets.view([B * T]), reduction);
}

/** A progress report of `trainSteps()`. */
export interface LmProgress {
  /** Steps done in this call, and the call's total. */
  step: number;
  steps: number;
  /** Mean loss over the steps done so far in this call, and the last step's loss. */
  loss: number;
  lastLoss: number;
  stepsPerSec: number;
  tokensPerSec: number;
  elapsed: number;
}

const TRAIN_STEPS_OPTIONS = {
  /** Index of the first batch drawn (windows.batch(first + i)): continue a run where it stopped. Default 0. */
  first: option.integer({ min: 0, default: 0 }),
  steps: option.integer({ min: 1 }),
  batchSize: option.integer({ min: 1 }),
  /** Read the loss history back every N steps and call onProgress (default 10). */
  logEvery: option.integer({ min: 1, default: 10 }),
  onProgress: option.function<(p: LmProgress) => void | Promise<void>>(),
  /** Called after backward, before the optimizer step (gradient clipping goes here). */
  beforeStep: option.function<() => void>(),
  /** Stop before a step once performance.now() has passed this time (ms). */
  deadline: option.number(),
};
/** Options of `trainSteps(model, opt, windows, opts)`. */
export type TrainStepsOptions = OptionsOf<typeof TRAIN_STEPS_OPTIONS>;

/** What `trainSteps()` returns: every step's loss (before its update) and the time taken. */
export interface TrainStepsResult {
  losses: Float32Array;
  steps: number;
  seconds: number;
  tokens: number;
  /** True when the deadline stopped it before `steps`. */
  stopped: boolean;
}

/** Train on `steps` random batches of `windows` (batch indices first .. first + steps - 1). */
export async function trainSteps(model: Module, opt: Optimizer, windows: TextWindows, opts: TrainStepsOptions): Promise<TrainStepsResult> {
  const o = parseOptions('trainSteps', opts, TRAIN_STEPS_OPTIONS);
  if (o.steps === undefined || o.batchSize === undefined) throw new ValueError('trainSteps', 'options { steps, batchSize } are required');
  const { steps, batchSize } = o;
  const tokensPerStep = batchSize * windows.blockSize;
  const rt = runtime();
  const history = keep(zeros([steps], { label: 'trainSteps.lossHistory' }));
  const wasTraining = model.training;
  model.train();
  const t0 = performance.now();
  let done = 0;
  try {
    for (let i = 0; i < steps; i++, done++) {
      if (o.deadline !== undefined && performance.now() > o.deadline) break;
      tidy(() => {
        const { x, y } = windowTensors(windows.batch(o.first + i, batchSize));
        model.zeroGrad();
        const loss = lmLoss(model.forward(x), y);
        loss.backward();
        o.beforeStep?.();
        opt.step();
        rt.copy(loss.buffer('trainSteps'), 0, history.buffer('trainSteps'), i * 4, 4);
      });
      flush(); // one submit per step
      if (o.onProgress && ((i + 1) % o.logEvery === 0 || i + 1 === steps)) {
        const h = (await history.data()) as Float32Array;
        const elapsed = (performance.now() - t0) / 1000;
        const rate = (i + 1) / Math.max(elapsed, 1e-9);
        await o.onProgress({ step: i + 1, steps, loss: meanOf(h, i + 1), lastLoss: h[i], stepsPerSec: rate, tokensPerSec: rate * tokensPerStep, elapsed });
      }
    }
    const losses = ((await history.data()) as Float32Array).slice(0, done);
    return { losses, steps: done, seconds: (performance.now() - t0) / 1000, tokens: done * tokensPerStep, stopped: done < steps };
  } finally {
    history.dispose();
    model.zeroGrad();
    model.train(wasTraining);
  }
}

const EVALUATE_LM_OPTIONS = {
  /** Windows per forward pass (default 16). */
  batchSize: option.integer({ min: 1, default: 16 }),
  /** Evaluate N of the non-overlapping windows, evenly spaced (windows.tileIndices(N)); default: all. */
  maxWindows: option.integer({ min: 1 }),
};
/** Options of `evaluateLm(model, windows, opts)`. */
export type EvaluateLmOptions = OptionsOf<typeof EVALUATE_LM_OPTIONS>;

/** What `evaluateLm()` returns: mean loss per token over the windows evaluated, and which they were. */
export interface EvalLmResult {
  loss: number;
  /** The windows evaluated (indices into the tiling, windows.tileWindows). */
  indices: Int32Array;
  tokens: number;
}

/**
 * Mean next-token cross-entropy over non-overlapping windows of `windows` (all, or `maxWindows`
 * evenly spaced), in eval mode under noGrad: every position they cover is predicted once.
 * Per-batch loss sums stay on the GPU until one read at the end.
 */
export async function evaluateLm(model: Module, windows: TextWindows, opts?: EvaluateLmOptions): Promise<EvalLmResult> {
  const o = parseOptions('evaluateLm', opts, EVALUATE_LM_OPTIONS);
  const indices = windows.tileIndices(o.maxWindows);
  const wasTraining = model.training;
  model.eval();
  const sums: Tensor[] = [];
  try {
    for (let k = 0; k < indices.length; k += o.batchSize) {
      const s = noGrad(() =>
        tidy(() => {
          const { x, y } = windowTensors(windows.tileWindows(indices.subarray(k, k + o.batchSize)));
          return lmLoss(model.forward(x), y, 'sum');
        }),
      );
      sums.push(keep(s));
      flush();
    }
    const values = await Promise.all(sums.map((t) => t.data()));
    const total = values.reduce((acc, v) => acc + v[0], 0);
    const tokens = indices.length * windows.blockSize;
    return { loss: tokens ? total / tokens : NaN, indices, tokens };
  } finally {
    for (const t of sums) t.dispose();
    model.train(wasTraining);
  }
}

function meanOf(a: Float32Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += a[i];
  return n ? s / n : NaN;
}
