// Losses. softmaxCrossEntropy is ONE fused op (seed 003's SoftmaxWithLoss): forward saves the
// probabilities, backward is (p - t) / N. mseLoss composes elementwise ops.
import { ArgumentTypeError, DTypeError, ShapeError, ValueError } from '../errors.ts';
import { describeValue, option, parseArg, parseOptions, type OptionsOf } from '../options.ts';
import { sameShape } from '../shape.ts';
import { Tensor, full } from '../tensor.ts';
import { binaryKernel, unaryKernel } from '../kernels/elementwise.ts';
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

export const softmaxCrossEntropyOp = defineOp<LossAttrs, { probs: Tensor; labels: Tensor }>({
  name: 'softmaxCrossEntropy',
  arity: 2,
  intInputs: [1],
  forward: ([logits, labels], { reduction }) => {
    const { rowLoss, probs } = crossEntropyKernel(logits, labels);
    if (reduction === 'none') return { out: rowLoss, saved: { probs, labels } }; // [N]
    const n = logits.shape[0];
    const loss = reduceKernel('sum', rowLoss, [0], reduction === 'sum' ? 1 : n ? 1 / n : 0); // [] scalar
    rowLoss.dispose();
    return { out: loss, saved: { probs, labels } };
  },
  // Labels are data: softmaxCrossEntropy() rejects labels that require grad.
  backward: (g, { probs, labels }, { attrs }) => {
    const n = probs.shape[0];
    if (attrs.reduction === 'mean') return [crossEntropyGradKernel(probs, labels, g), null];
    // The kernel computes g * (p * rowsum(t) - t) / N for a scalar g: with g = N it gives the
    // per-row gradient, which 'sum' scales by the upstream scalar and 'none' by each row's g.
    const scale = attrs.reduction === 'sum' ? unaryKernel('affine', g, n, 0) : full([], n, { label: 'softmaxCrossEntropy.n' });
    const rows = crossEntropyGradKernel(probs, labels, scale);
    scale.dispose();
    if (attrs.reduction === 'sum') return [rows, null];
    const gRows = g.share([n, 1]);
    const out = binaryKernel('mul', rows, gRows, probs.shape);
    [rows, gRows].forEach((t) => t.dispose());
    return [out, null];
  },
});

const LOSS_OPTIONS = {
  /** 'mean' (default): the mean over samples (elements for mseLoss); 'sum': their sum; 'none': per sample (element). */
  reduction: option.oneOf(['mean', 'sum', 'none'], { default: 'mean' }),
};
/** `{ reduction: 'mean' | 'sum' | 'none' }` (PyTorch's losses). */
export type LossOptions = OptionsOf<typeof LOSS_OPTIONS>;

/** A loss's reduction from `'sum'` or `{ reduction: 'sum' }` (both PyTorch spellings of the call). */
function reductionOf(op: string, r: Reduction | LossOptions | undefined): Reduction {
  if (typeof r === 'string') return parseArg(op, 'reduction', r, LOSS_OPTIONS.reduction);
  return parseOptions(op, r, LOSS_OPTIONS).reduction;
}

/**
 * Cross-entropy of softmax(logits) against labels: i32 class indices [N] or f32 per-class
 * targets [N, C] (one-hot or soft), as torch's F.cross_entropy. `reduction` 'mean' (default)
 * and 'sum' give a scalar, 'none' the per-sample losses [N]; pass it as `'sum'` or
 * `{ reduction: 'sum' }`.
 */
export function softmaxCrossEntropy(logits: Tensor, labels: Tensor, reduction?: Reduction | LossOptions): Tensor {
  const op = 'softmaxCrossEntropy';
  const r = reductionOf(op, reduction);
  checkTensors(op, logits, labels);
  if (logits.rank !== 2) throw new ShapeError(op, [logits.shape], 'logits must be [N, C]');
  const [n, c] = logits.shape;
  if (n === 0 || c === 0) throw new ShapeError(op, [logits.shape], 'logits must have at least one row and one class');
  if (labels.dtype === 'i32') {
    if (labels.rank !== 1 || labels.shape[0] !== n) {
      throw new ShapeError(op, [logits.shape, labels.shape], `i32 class-index labels must be [N] = [${n}]`);
    }
    const range = labels.intRange;
    if (range && (range[0] < 0 || range[1] >= c)) {
      throw new ValueError(op, `labels must be class indices in [0, ${c - 1}] for ${c} classes, got values in [${range[0]}, ${range[1]}]`);
    }
  } else if (labels.dtype === 'f32') {
    if (labels.rank === 1 && labels.shape[0] === n) {
      // The shape of class indices with a float dtype: the usual mistake is the dtype.
      throw new DTypeError(op, `class-index labels [${n}] must be i32, got f32 (create them with { dtype: 'i32' }, or pass f32 targets of the logits shape [${n}, ${c}])`);
    }
    if (!sameShape(labels.shape, logits.shape)) {
      throw new ShapeError(op, [logits.shape, labels.shape], 'f32 labels must be one-hot or soft targets with the logits shape [N, C] (or pass i32 class indices [N])');
    }
    if (labels.requiresGrad) throw new ValueError(op, 'gradients with respect to the labels are not supported; detach() them');
  } else {
    throw new DTypeError(op, `labels must be i32 class indices or f32 targets, got ${labels.dtype}`);
  }
  return apply(softmaxCrossEntropyOp, [logits, labels], { reduction: r });
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
