// softmax and logSoftmax along any axis `dim` (PyTorch's softmax(x, dim); default the last),
// max-subtracted: stable for logits of +-1e4. The kernel reads the axis in place with a stride
// (shaders/softmax.wgsl), so no axis needs a permute copy, forward or backward.
import { ValueError } from '../errors.ts';
import { normalizeAxis } from '../shape.ts';
import type { Tensor } from '../tensor.ts';
import { softmaxGradKernel, softmaxKernel } from '../kernels/softmax.ts';
import { apply, defineOp } from './op.ts';

export interface SoftmaxAttrs {
  /** The axis, normalised to 0 <= dim < rank. */
  dim: number;
}

/** A 0-D tensor is one line of one element (dim 0 or -1, as in PyTorch): softmax 1, logSoftmax 0. */
function softmaxAttrs(op: string, x: Tensor, dim: unknown): SoftmaxAttrs {
  if (typeof dim !== 'number' || !Number.isInteger(dim)) {
    throw new ValueError(op, `dim must be an integer axis of shape [${x.shape.join(', ')}], got ${typeof dim === 'object' ? JSON.stringify(dim) : String(dim)}`);
  }
  return { dim: normalizeAxis(op, dim, Math.max(x.rank, 1)) };
}

export const softmaxOp = defineOp<SoftmaxAttrs, { y: Tensor }>({
  name: 'softmax',
  arity: 1,
  forward: ([x], { dim }) => {
    const y = softmaxKernel(x, false, dim);
    return { out: y, saved: { y } };
  },
  backward: (g, { y }, { attrs }) => [softmaxGradKernel(y, g, false, attrs.dim)],
});

export const logSoftmaxOp = defineOp<SoftmaxAttrs, { y: Tensor }>({
  name: 'logSoftmax',
  arity: 1,
  forward: ([x], { dim }) => {
    const y = softmaxKernel(x, true, dim);
    return { out: y, saved: { y } };
  },
  backward: (g, { y }, { attrs }) => [softmaxGradKernel(y, g, true, attrs.dim)],
});

/** softmax(x, dim): exp(x) / sum(exp(x)) along `dim` (default -1, the last axis). */
export function softmax(x: Tensor, dim: number = -1): Tensor {
  return apply(softmaxOp, [x], softmaxAttrs('softmax', x, dim));
}

/** logSoftmax(x, dim): x - log(sum(exp(x))) along `dim` (default -1, the last axis). */
export function logSoftmax(x: Tensor, dim: number = -1): Tensor {
  return apply(logSoftmaxOp, [x], softmaxAttrs('logSoftmax', x, dim));
}
