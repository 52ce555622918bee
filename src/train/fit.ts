// Training helpers. A training step is recorded into the runtime's one command encoder and
// submitted once (flush per step); memory stays flat because every step runs inside tidy().
// Losses are not read back per step: each step's scalar loss is copied on the GPU into a
// per-epoch loss-history buffer, which is read every `logEvery` steps (progress) and once at
// the end of the epoch. Likewise each step's predictions (argmax of the model output) are
// copied into a per-epoch buffer, so the epoch's running train accuracy costs one small kernel
// per step and no extra pass over the data.
import { flush, noGrad, runtime } from '../context.ts';
import { ValueError } from '../errors.ts';
import { option, parseOptions, type OptionsOf } from '../options.ts';
import { keep, tidy } from '../memory.ts';
import { zeros, type Tensor } from '../tensor.ts';
import { argmax } from '../ops/reduce.ts';
import { softmaxCrossEntropy } from '../ops/loss.ts';
import type { Module } from '../nn/module.ts';
import type { Optimizer } from '../optim/optimizer.ts';
import { DataLoader } from '../data/loader.ts';
import type { ImageDataset } from '../data/dataset.ts';

/** A loss function of (output, labels), returning a scalar tensor. */
export type LossFn = (output: Tensor, labels: Tensor) => Tensor;

/** A progress report during training: epoch, step, losses and speed. */
export interface Progress {
  epoch: number;
  /** Steps done in this epoch, and the epoch's total. */
  step: number;
  steps: number;
  /** Mean loss over the steps done so far in this epoch, and the last step's loss. */
  loss: number;
  lastLoss: number;
  stepsPerSec: number;
  elapsed: number;
}

/** Options of `trainEpoch(model, opt, loader, opts)`. */
export interface TrainEpochOptions {
  epoch?: number;
  lossFn?: LossFn;
  /** Read the loss history back every N steps and call onProgress (default 10). */
  logEvery?: number;
  onProgress?: (p: Progress) => void | Promise<void>;
  /** Stop early (checked before each step): the result then covers the steps done. */
  signal?: AbortSignal;
}

/** What `trainEpoch()` returns: per-step losses, mean loss, running accuracy, steps and seconds. */
export interface EpochResult {
  epoch: number;
  /** The loss of every step (before that step's update). */
  losses: Float32Array;
  meanLoss: number;
  /** Fraction of the epoch's training examples classified correctly when their batch was seen. */
  accuracy: number;
  steps: number;
  seconds: number;
  /** True when `signal` stopped the epoch early. */
  stopped: boolean;
}

const EPOCH_OPTIONS = {
  epoch: option.integer({ min: 0 }),
  lossFn: option.function<LossFn>(),
  logEvery: option.integer({ min: 1 }),
  onProgress: option.function<(p: Progress) => void | Promise<void>>(),
  signal: option.custom<AbortSignal>('an AbortSignal', (v) => typeof v === 'object' && v !== null && 'aborted' in v),
} satisfies Record<keyof TrainEpochOptions, unknown>;

/** Train for one epoch of `loader`'s mini-batches. */
export async function trainEpoch(model: Module, opt: Optimizer, loader: DataLoader, opts: TrainEpochOptions = {}): Promise<EpochResult> {
  parseOptions('trainEpoch', opts, EPOCH_OPTIONS);
  const epoch = opts.epoch ?? 0;
  const lossFn = opts.lossFn ?? softmaxCrossEntropy;
  const steps = loader.length;
  const logEvery = Math.max(1, opts.logEvery ?? 10);
  const rt = runtime();
  const history = keep(zeros([steps], { label: `lossHistory(epoch ${epoch})` }));
  const count = loader.dropLast ? steps * loader.batchSize : loader.dataset.count;
  const predictions = keep(zeros([count], { dtype: 'i32', label: `predictions(epoch ${epoch})` }));
  const wasTraining = model.training;
  model.train();
  const t0 = performance.now();
  let done = 0;
  try {
    for (let i = 0; i < steps && !opts.signal?.aborted; i++, done++) {
      tidy(() => {
        const { x, y, size } = loader.batch(epoch, i);
        model.zeroGrad();
        const out = model.forward(x);
        const loss = lossFn(out, y);
        const pred = argmax(out, { axis: 1 });
        loss.backward();
        opt.step();
        rt.copy(loss.buffer('trainEpoch'), 0, history.buffer('trainEpoch'), i * 4, 4);
        rt.copy(pred.buffer('trainEpoch'), 0, predictions.buffer('trainEpoch'), i * loader.batchSize * 4, size * 4);
      });
      flush(); // one submit per step
      if (opts.onProgress && ((i + 1) % logEvery === 0 || i + 1 === steps)) {
        const h = (await history.data()) as Float32Array;
        await opts.onProgress(progress(epoch, i + 1, steps, h, t0));
      }
    }
    const [losses, preds] = await Promise.all([history.data() as Promise<Float32Array>, predictions.data() as Promise<Int32Array>]);
    const order = loader.order(epoch);
    const seen = Math.min(count, done * loader.batchSize);
    let correct = 0;
    for (let k = 0; k < seen; k++) if (preds[k] === loader.dataset.labels[order[k]]) correct++;
    return {
      epoch,
      losses: losses.slice(0, done),
      meanLoss: mean(losses, done),
      accuracy: seen ? correct / seen : NaN,
      steps: done,
      seconds: (performance.now() - t0) / 1000,
      stopped: done < steps,
    };
  } finally {
    history.dispose();
    predictions.dispose();
    model.zeroGrad();
    model.train(wasTraining);
  }
}

function progress(epoch: number, step: number, steps: number, h: Float32Array, t0: number): Progress {
  const elapsed = (performance.now() - t0) / 1000;
  return { epoch, step, steps, loss: mean(h, step), lastLoss: h[step - 1], stepsPerSec: step / Math.max(elapsed, 1e-9), elapsed };
}

function mean(a: Float32Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += a[i];
  return n ? s / n : NaN;
}

/** What `evaluate()` returns: mean loss, accuracy and the correct / total counts. */
export interface EvalResult {
  loss: number;
  accuracy: number;
  correct: number;
  count: number;
}

const EVALUATE_OPTIONS = { batchSize: option.integer({ min: 1 }), lossFn: EPOCH_OPTIONS.lossFn };

/** Options of `evaluate(model, data, opts)`: `{ batchSize (default 1000), lossFn }`. */
export type EvaluateOptions = OptionsOf<typeof EVALUATE_OPTIONS>;

/**
 * Loss and accuracy over a whole dataset, in batches under noGrad (eval mode). Predictions
 * (argmax) and per-batch losses stay on the GPU until one read at the end.
 */
export async function evaluate(model: Module, data: ImageDataset, opts: EvaluateOptions = {}): Promise<EvalResult> {
  parseOptions('evaluate', opts, EVALUATE_OPTIONS);
  const loader = new DataLoader(data, { batchSize: opts.batchSize ?? 1000, shuffle: false });
  const lossFn = opts.lossFn ?? softmaxCrossEntropy;
  const wasTraining = model.training;
  model.eval();
  const preds: Tensor[] = [];
  const losses: Tensor[] = [];
  try {
    for (let i = 0; i < loader.length; i++) {
      const [p, l] = noGrad(() =>
        tidy(() => {
          const { x, y } = loader.batch(0, i);
          const out = model.forward(x);
          return [argmax(out, { axis: 1 }), lossFn(out, y)];
        }),
      );
      preds.push(keep(p));
      losses.push(keep(l));
      flush();
    }
    const [predValues, lossValues] = await Promise.all([Promise.all(preds.map((p) => p.data())), Promise.all(losses.map((l) => l.data()))]);
    let correct = 0;
    let lossSum = 0;
    predValues.forEach((pv, b) => {
      const offset = b * loader.batchSize;
      for (let k = 0; k < pv.length; k++) if (pv[k] === data.labels[offset + k]) correct++;
      lossSum += lossValues[b][0] * pv.length;
    });
    return { loss: data.count ? lossSum / data.count : NaN, accuracy: data.count ? correct / data.count : NaN, correct, count: data.count };
  } finally {
    for (const t of [...preds, ...losses]) t.dispose();
    model.train(wasTraining);
  }
}

/** One epoch of `fit()`: losses, accuracies and time. */
export interface EpochLog {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  testLoss: number;
  testAccuracy: number;
  seconds: number;
  stepsPerSec: number;
  /** Set when the epoch was stopped early. */
  partial?: boolean;
}

/** Options of `fit(model, opt, opts)`. */
export interface FitOptions {
  train: ImageDataset;
  test?: ImageDataset;
  epochs: number;
  batchSize: number;
  /** Shuffling seed; default: one drawn from the global generator (manualSeed). */
  seed?: number;
  lossFn?: LossFn;
  logEvery?: number;
  onProgress?: (p: Progress) => void | Promise<void>;
  onEpoch?: (log: EpochLog, result: EpochResult) => void | Promise<void>;
  /** Stop early; the epoch in progress ends at the next step and is evaluated and logged. */
  signal?: AbortSignal;
  /**
   * Train accuracy: 'running' (default) counts the epoch's examples classified correctly as
   * their batch was trained on (free: no extra pass); 'full' evaluates the whole train set
   * after the epoch, as seed 003's model.accuracy(x_train) does.
   */
  trainAccuracy?: 'running' | 'full';
}

/** What `fit()` returns: one EpochLog per epoch and every step's loss. */
export interface FitResult {
  epochs: EpochLog[];
  /** Every step's loss, all epochs. */
  stepLosses: number[];
}

const FIT_OPTIONS = {
  lossFn: EPOCH_OPTIONS.lossFn,
  logEvery: EPOCH_OPTIONS.logEvery,
  onProgress: EPOCH_OPTIONS.onProgress,
  signal: EPOCH_OPTIONS.signal,
  train: option.custom<ImageDataset>('an ImageDataset', (v) => typeof v === 'object' && v !== null),
  test: option.custom<ImageDataset>('an ImageDataset', (v) => typeof v === 'object' && v !== null),
  epochs: option.integer({ min: 0 }),
  batchSize: option.integer({ min: 1 }),
  seed: option.integer(),
  onEpoch: option.function<(log: EpochLog, result: EpochResult) => void | Promise<void>>(),
  trainAccuracy: option.oneOf(['running', 'full']),
} satisfies Record<keyof FitOptions, unknown>;

/** Seed 003's training loop: epochs of shuffled mini-batches, train and test accuracy per epoch. */
export async function fit(model: Module, opt: Optimizer, o: FitOptions): Promise<FitResult> {
  parseOptions('fit', o, FIT_OPTIONS);
  if (o === undefined) throw new ValueError('fit', 'options { train, epochs, batchSize } are required');
  const loader = new DataLoader(o.train, { batchSize: o.batchSize, seed: o.seed });
  const logs: EpochLog[] = [];
  const stepLosses: number[] = [];
  for (let e = 0; e < o.epochs; e++) {
    if (o.signal?.aborted) break;
    const r = await trainEpoch(model, opt, loader, { epoch: e, lossFn: o.lossFn, logEvery: o.logEvery, onProgress: o.onProgress, signal: o.signal });
    if (r.steps === 0) break;
    stepLosses.push(...r.losses);
    const tr = o.trainAccuracy === 'full' ? await evaluate(model, o.train, { lossFn: o.lossFn }) : null;
    const te = o.test ? await evaluate(model, o.test, { lossFn: o.lossFn }) : null;
    const log: EpochLog = {
      epoch: e + 1,
      trainLoss: r.meanLoss,
      trainAccuracy: tr?.accuracy ?? r.accuracy,
      testLoss: te?.loss ?? NaN,
      testAccuracy: te?.accuracy ?? NaN,
      seconds: r.seconds,
      stepsPerSec: r.steps / r.seconds,
      partial: r.stopped || undefined,
    };
    logs.push(log);
    await o.onEpoch?.(log, r);
  }
  return { epochs: logs, stepLosses };
}
