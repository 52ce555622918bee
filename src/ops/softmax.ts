// softmax and logSoftmax along the last axis (max-subtracted: stable for logits of +-1e4).
import { ShapeError } from '../errors.ts';
import type { Tensor } from '../tensor.ts';
import { softmaxGradKernel, softmaxKernel } from '../kernels/softmax.ts';
import { apply, defineOp } from './op.ts';

function checkAxis(op: string, x: Tensor, axis: number): void {
  if (x.rank === 0) throw new ShapeError(op, [x.shape], 'expected a tensor of rank >= 1');
  if (axis !== -1 && axis !== x.rank - 1) {
    throw new ShapeError(op, [x.shape], `only the last axis is supported (axis -1 or ${x.rank - 1}), got ${axis}; permute first`);
  }
}

export const softmaxOp = defineOp<undefined, { y: Tensor }>({
  name: 'softmax',
  arity: 1,
  forward: ([x]) => {
    const y = softmaxKernel(x, false);
    return { out: y, saved: { y } };
  },
  backward: (g, { y }) => [softmaxGradKernel(y, g, false)],
});

export const logSoftmaxOp = defineOp<undefined, { y: Tensor }>({
  name: 'logSoftmax',
  arity: 1,
  forward: ([x]) => {
    const y = softmaxKernel(x, true);
    return { out: y, saved: { y } };
  },
  backward: (g, { y }) => [softmaxGradKernel(y, g, true)],
});

export function softmax(x: Tensor, axis = -1): Tensor {
  checkAxis('softmax', x, axis);
  return apply(softmaxOp, [x], undefined);
}

export function logSoftmax(x: Tensor, axis = -1): Tensor {
  checkAxis('logSoftmax', x, axis);
  return apply(logSoftmaxOp, [x], undefined);
}
