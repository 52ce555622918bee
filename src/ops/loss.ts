// Losses. crossEntropy (alias softmaxCrossEntropy) is ONE fused op (seed 003's SoftmaxWithLoss,
// with PyTorch's F.cross_entropy options): forward saves the probabilities, backward is
// g * (p * sum(t) - t) / denominator. mseLoss composes elementwise ops.
import { ArgumentTypeError, DTypeError, DisposedTensorError, ShapeError, ValueError } from '../errors.ts';
import { describeValue, option, parseArg, parseOptions, type OptionsOf } from '../options.ts';
import { sameShape } from '../shape.ts';
import { Tensor } from '../tensor.ts';
import { binaryKernel } from '../kernels/elementwise.ts';
import { crossEntropyGradKernel, crossEntropyKernel } from '../kernels/softmax.ts';
import { reduceKernel } from '../kernels/reduce.ts';
import { apply, defineOp } from './op.ts';
import { square, sub } from './elementwise.ts';
import { mean, sum } from './reduce.ts';

/** How a loss reduces over samples, as PyTorch's `reduction`. */
export type Reduction = 'mean' | 'sum' | 'none';

export interface LossAttrs {
  reduction: Reduction;
}

/** The attributes of the fused cross-entropy ops (PyTorch's F.cross_entropy arguments). */
export interface CrossEntropyAttrs extends LossAttrs {
  /** Class-index rows with this target contribute 0 and leave the 'mean' denominator (default -100). */
  ignoreIndex: number;
  /** Label smoothing eps in [0, 1] (default 0). */
  labelSmoothing: number;
}

/** What the cross-entropy backward keeps: probabilities, targets, class weights, 'mean' denominator. */
export interface CrossEntropySaved {
  probs: Tensor;
  labels: Tensor;
  weight: Tensor | null;
  /** 'mean' over class-index targets: sum of w[y] over the rows not ignored (a 0-d tensor). */
  denom: Tensor | null;
}

/** The class axis: 1 for [N, C, d1, ...], 0 for a single sample [C] (PyTorch's layout). */
const classDim = (logits: { rank: number }): number => (logits.rank === 1 ? 0 : 1);

function ceForward(logits: Tensor, labels: Tensor, weight: Tensor | null, a: CrossEntropyAttrs): { out: Tensor; saved: CrossEntropySaved } {
  const dim = classDim(logits);
  const ce = { ignoreIndex: a.ignoreIndex, labelSmoothing: a.labelSmoothing, weight };
  const { rowLoss, probs, rowWeight } = crossEntropyKernel(logits, labels, dim, ce);
  const saved: CrossEntropySaved = { probs, labels, weight, denom: null };
  let out: Tensor;
  if (a.reduction === 'none') {
    // One loss per target: the target's shape (logits without the class axis).
    out = rowLoss.share(logits.shape.filter((_, i) => i !== dim), { label: 'crossEntropy' });
  } else if (a.reduction === 'sum' || !rowWeight) {
    // 'sum', or 'mean' over probability targets: PyTorch divides by the number of rows.
    out = reduceKernel('sum', rowLoss, [0], a.reduction === 'sum' ? 1 : 1 / rowLoss.size);
  } else {
    // 'mean' over class indices: sum of losses / sum of w[y] over the rows not ignored
    // (PyTorch's weighted mean; all rows ignored gives 0 / 0 = NaN, as PyTorch).
    const total = reduceKernel('sum', rowLoss, [0]);
    saved.denom = reduceKernel('sum', rowWeight, [0]);
    out = binaryKernel('div', total, saved.denom, []);
    total.dispose();
  }
  rowLoss.dispose();
  rowWeight?.dispose();
  return { out, saved };
}

function ceBackward(g: Tensor, { probs, labels, weight, denom }: CrossEntropySaved, a: CrossEntropyAttrs): Tensor {
  const dim = classDim(probs);
  const ce = { ignoreIndex: a.ignoreIndex, labelSmoothing: a.labelSmoothing, weight, gPerRow: a.reduction === 'none' };
  if (denom) {
    const scaled = binaryKernel('div', g, denom, []);
    const dx = crossEntropyGradKernel(probs, labels, scaled, dim, ce, 1);
    scaled.dispose();
    return dx;
  }
  const rows = probs.size / (probs.shape[dim] ?? 1);
  return crossEntropyGradKernel(probs, labels, g, dim, ce, a.reduction === 'mean' ? 1 / rows : 1);
}

export const softmaxCrossEntropyOp = defineOp<CrossEntropyAttrs, CrossEntropySaved>({
  name: 'softmaxCrossEntropy',
  arity: 2,
  intInputs: [1],
  forward: ([logits, labels], attrs) => ceForward(logits, labels, null, attrs),
  // Labels are data: crossEntropy() rejects labels that require grad.
  backward: (g, saved, { attrs }) => [ceBackward(g, saved, attrs), null],
});

/** The same op with class weights [C] as a third input (data: no gradient). */
export const softmaxCrossEntropyWeightedOp = defineOp<CrossEntropyAttrs, CrossEntropySaved>({
  name: 'softmaxCrossEntropyWeighted',
  arity: 3,
  intInputs: [1],
  forward: ([logits, labels, weight], attrs) => ceForward(logits, labels, weight, attrs),
  backward: (g, saved, { attrs }) => [ceBackward(g, saved, attrs), null, null],
});

const LOSS_OPTIONS = {
  /** 'mean' (default): the mean over samples (elements for mseLoss); 'sum': their sum; 'none': per sample (element). */
  reduction: option.oneOf(['mean', 'sum', 'none'], { default: 'mean' }),
};
/** `{ reduction: 'mean' | 'sum' | 'none' }` (PyTorch's losses). */
export type LossOptions = OptionsOf<typeof LOSS_OPTIONS>;

const CROSS_ENTROPY_OPTIONS = {
  ...LOSS_OPTIONS,
  /** Class-index targets equal to this are ignored (PyTorch's ignore_index, default -100); class-index targets only. */
  ignoreIndex: option.integer(),
  /** Label smoothing in [0, 1] (PyTorch's label_smoothing, default 0). */
  labelSmoothing: option.number({ min: 0, max: 1, default: 0 }),
  /** Class weights: an f32 tensor [C] (PyTorch's weight), or null. */
  weight: option.custom<Tensor | null>('an f32 Tensor of shape [C] or null', (v) => v === null || v instanceof Tensor),
};
/** `{ reduction, ignoreIndex, labelSmoothing, weight }`, the options of PyTorch's F.cross_entropy (camelCase). */
export type CrossEntropyOptions = OptionsOf<typeof CROSS_ENTROPY_OPTIONS>;

/** A loss's reduction from `'sum'` or `{ reduction: 'sum' }` (both PyTorch spellings of the call). */
function reductionOf(op: string, r: Reduction | LossOptions | undefined): Reduction {
  if (typeof r === 'string') return parseArg(op, 'reduction', r, LOSS_OPTIONS.reduction);
  return parseOptions(op, r, LOSS_OPTIONS).reduction;
}

/**
 * Cross-entropy of softmax(input) against `target`, as PyTorch's F.cross_entropy /
 * nn.CrossEntropyLoss: one fused op (softmax, log-likelihood, and the gradient
 * p * sum(t) - t in one kernel each way).
 *
 * - `input`: logits [N, C], or [N, C, d1, ...] with the classes on dim 1 (read in place with a
 *   stride, no permute copy), or one sample [C].
 * - `target`: i32 class indices of the input's shape without the class axis ([N], [N, d1, ...],
 *   or a 0-d tensor for [C]), or f32 class probabilities of the input's shape.
 * - `reduction`: 'mean' (default), 'sum', or 'none' (one loss per target, the target's shape).
 *   'mean' over class indices divides by the number of targets not ignored (with `weight`: by
 *   the sum of their classes' weights), so if every target is ignored it is 0 / 0 = NaN, as
 *   PyTorch; over probabilities it divides by the number of rows.
 * - `ignoreIndex` (default -100, class indices only): such targets contribute 0 to the loss and
 *   its gradient and are left out of the mean.
 * - `labelSmoothing` eps in [0, 1]: the target becomes (1 - eps) one_hot(y) + eps / C, as PyTorch.
 * - `weight`: f32 [C] class weights (data, no gradient).
 *
 * A class index outside [0, C) that is not `ignoreIndex` is a ValueError when the host knows the
 * labels' values (a tensor made from host data), else the row's loss is NaN. Pass the options as
 * `'sum'` or as `{ reduction: 'sum', ignoreIndex: 0 }`.
 *
 * A GPT's logits are [B, T, V] with targets [B, T]: PyTorch would read [B, T, V] as C = T
 * classes, so flatten first, as nanoGPT does:
 * ```ts
 * const loss = crossEntropy(logits.view([B * T, V]), targets.view([B * T]), { ignoreIndex: -1 });
 * ```
 * (or `logits.permute(0, 2, 1)` for [B, V, T], which costs a copy).
 */
export function crossEntropy(input: Tensor, target: Tensor, options?: Reduction | CrossEntropyOptions): Tensor {
  return crossEntropyAs('crossEntropy', input, target, options);
}

/**
 * Cross-entropy of softmax(logits) against labels: the name of webgrad's first fused loss,
 * the same function as crossEntropy (see there): i32 class indices [N] or f32 per-class
 * targets [N, C] (one-hot or soft), PyTorch's options (`'sum'`, `{ reduction, ignoreIndex,
 * labelSmoothing, weight }`).
 */
export function softmaxCrossEntropy(logits: Tensor, labels: Tensor, options?: Reduction | CrossEntropyOptions): Tensor {
  return crossEntropyAs('softmaxCrossEntropy', logits, labels, options);
}

function crossEntropyAs(op: string, logits: Tensor, labels: Tensor, options: Reduction | CrossEntropyOptions | undefined): Tensor {
  const o = typeof options === 'string'
    ? { reduction: reductionOf(op, options), ignoreIndex: undefined, labelSmoothing: 0, weight: undefined }
    : parseOptions(op, options, CROSS_ENTROPY_OPTIONS);
  checkTensors(op, logits, labels);
  if (logits.rank === 0) throw new ShapeError(op, [logits.shape], 'input must be logits [C], [N, C] or [N, C, d1, ...], got a 0-d tensor');
  const dim = classDim(logits);
  const c = logits.shape[dim];
  if (logits.size === 0) throw new ShapeError(op, [logits.shape], 'input must have at least one row and one class');
  const targetShape = logits.shape.filter((_, i) => i !== dim);
  const fmt = (s: readonly number[]) => `[${s.join(', ')}]`;
  if (labels.dtype === 'i32') {
    if (!sameShape(labels.shape, targetShape)) {
      throw new ShapeError(op, [logits.shape, labels.shape], `i32 class-index labels must have the input's shape without the class axis (dim ${dim}), ${fmt(targetShape)}`);
    }
    const range = labels.intRange;
    const ii = o.ignoreIndex ?? -100;
    if (range && ((range[0] < 0 && range[0] !== ii) || (range[1] >= c && range[1] !== ii))) {
      throw new ValueError(op, `labels must be class indices in [0, ${c - 1}] for ${c} classes (or ignoreIndex ${ii}), got values in [${range[0]}, ${range[1]}]`);
    }
  } else if (labels.dtype === 'f32') {
    if (sameShape(labels.shape, targetShape)) {
      // The shape of class indices with a float dtype: the usual mistake is the dtype.
      throw new DTypeError(op, `class-index labels ${fmt(targetShape)} must be i32, got f32 (create them with { dtype: 'i32' }, or pass f32 probabilities of the input's shape ${fmt(logits.shape)})`);
    }
    if (!sameShape(labels.shape, logits.shape)) {
      throw new ShapeError(op, [logits.shape, labels.shape], `f32 labels must be class probabilities of the input's shape ${fmt(logits.shape)} (or pass i32 class indices ${fmt(targetShape)})`);
    }
    if (labels.requiresGrad) throw new ValueError(op, 'gradients with respect to the labels are not supported; detach() them');
    if (o.ignoreIndex !== undefined) throw new ValueError(op, 'ignoreIndex applies to i32 class-index targets only (as PyTorch); these targets are f32 probabilities');
  } else {
    throw new DTypeError(op, `labels must be i32 class indices or f32 probabilities, got ${labels.dtype}`);
  }
  const attrs: CrossEntropyAttrs = { reduction: o.reduction, ignoreIndex: o.ignoreIndex ?? -100, labelSmoothing: o.labelSmoothing };
  const w = o.weight ?? null;
  if (!w) return apply(softmaxCrossEntropyOp, [logits, labels], attrs);
  if (w.disposed) throw new DisposedTensorError(op, `weight: ${w.describe()}`);
  if (w.dtype !== 'f32') throw new DTypeError(op, `weight must be f32 class weights [${c}], got ${w.dtype}`);
  if (!sameShape(w.shape, [c])) throw new ShapeError(op, [logits.shape, w.shape], `weight must be one weight per class, [${c}]`);
  if (w.requiresGrad) throw new ValueError(op, 'gradients with respect to the class weights are not supported; detach() them');
  return apply(softmaxCrossEntropyWeightedOp, [logits, labels, w], attrs);
}

function checkTensors(op: string, ...ts: unknown[]): void {
  ts.forEach((t, i) => {
    if (!(t instanceof Tensor)) throw new ArgumentTypeError(op, `argument ${i} must be a Tensor, got ${describeValue(t)}`);
  });
}

/** @deprecated name kept for existing code: the options of mseLoss are LossOptions. */
export type MseOptions = LossOptions;

/**
 * Squared error (torch's F.mse_loss): mean((pred - target)^2) by default, their sum with
 * `'sum'`, or the elementwise squares with `'none'`; pass it as `'sum'` or `{ reduction: 'sum' }`.
 * Seed 001's 1/2 (y - t)^2 is mseLoss(y, t, 'sum').mul(0.5).
 */
export function mseLoss(pred: Tensor, target: Tensor, reduction?: Reduction | LossOptions): Tensor {
  const r = reductionOf('mseLoss', reduction);
  checkTensors('mseLoss', pred, target);
  if (!sameShape(pred.shape, target.shape)) {
    throw new ShapeError('mseLoss', [pred.shape, target.shape], 'prediction and target must have the same shape');
  }
  const d = sub(pred, target);
  const sq = square(d);
  d.dispose();
  if (r === 'none') return sq;
  const out = r === 'mean' ? mean(sq) : sum(sq);
  sq.dispose();
  return out;
}
