// Losses. softmaxCrossEntropy is ONE fused op (seed 003's SoftmaxWithLoss): forward saves the
// probabilities, backward is (p - t) / N. mseLoss composes elementwise ops.
import { DTypeError, ShapeError, ValueError } from '../errors.ts';
import { sameShape } from '../shape.ts';
import type { Tensor } from '../tensor.ts';
import { crossEntropyGradKernel, crossEntropyKernel } from '../kernels/softmax.ts';
import { reduceKernel } from '../kernels/reduce.ts';
import { apply, defineOp } from './op.ts';
import { square, sub } from './elementwise.ts';
import { mean, sum } from './reduce.ts';

export const softmaxCrossEntropyOp = defineOp<undefined, { probs: Tensor; labels: Tensor }>({
  name: 'softmaxCrossEntropy',
  arity: 2,
  intInputs: [1],
  forward: ([logits, labels]) => {
    const { rowLoss, probs } = crossEntropyKernel(logits, labels);
    const n = logits.shape[0];
    const meanLoss = reduceKernel('sum', rowLoss, [0], n ? 1 / n : 0); // [] scalar
    rowLoss.dispose();
    return { out: meanLoss, saved: { probs, labels } };
  },
  // Labels are data: softmaxCrossEntropy() rejects labels that require grad.
  backward: (g, { probs, labels }) => [crossEntropyGradKernel(probs, labels, g), null],
});

/**
 * Mean cross-entropy of softmax(logits) against labels: i32 class indices [N] or f32
 * per-class targets [N, C] (one-hot or soft). Returns a scalar.
 */
export function softmaxCrossEntropy(logits: Tensor, labels: Tensor): Tensor {
  const op = 'softmaxCrossEntropy';
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
  return apply(softmaxCrossEntropyOp, [logits, labels], undefined);
}

export interface MseOptions {
  /** 'mean' (default) averages over all elements; 'sum' adds them. */
  reduction?: 'mean' | 'sum';
}

/** Squared error: mean((pred - target)^2) or its sum. Seed 001's 1/2 (y - t)^2 is mseLoss(y, t, { reduction: 'sum' }).mul(0.5). */
export function mseLoss(pred: Tensor, target: Tensor, opts: MseOptions = {}): Tensor {
  if (!sameShape(pred.shape, target.shape)) {
    throw new ShapeError('mseLoss', [pred.shape, target.shape], 'prediction and target must have the same shape');
  }
  const reduction = opts.reduction ?? 'mean';
  if (reduction !== 'mean' && reduction !== 'sum') throw new ValueError('mseLoss', `reduction must be 'mean' or 'sum', got '${String(reduction)}'`);
  const d = sub(pred, target);
  const sq = square(d);
  const out = reduction === 'mean' ? mean(sq) : sum(sq);
  d.dispose();
  sq.dispose();
  return out;
}

