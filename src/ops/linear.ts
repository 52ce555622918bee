// linear: act(x W + b) as ONE fused kernel (matmul with a bias + activation epilogue), the
// building block of nn.Linear. Backward: the activation's derivative from the saved output,
// then dX = dZ W^T, dW = X^T dZ (transposed reads) and db = bias_sum(dZ).
import { ShapeError } from '../errors.ts';
import type { Tensor } from '../tensor.ts';
import { unaryGradKernel } from '../kernels/elementwise.ts';
import { matmulKernel } from '../kernels/matmul.ts';
import { biasSumKernel } from '../kernels/reduce.ts';
import { option, parseArg } from '../options.ts';
import { apply, defineOp } from './op.ts';

/** The activation fused into `linear()`. */
export type Activation = 'none' | 'relu' | 'sigmoid';

export interface LinearSaved {
  x: Tensor;
  w: Tensor;
  y: Tensor | null; // saved output when an activation needs it
}

export const linearOp = defineOp<{ activation: Activation }, LinearSaved>({
  name: 'linear',
  arity: 3,
  forward: ([x, w, b], { activation }) => {
    checkLinear(x, w, b);
    const [M, K] = x.shape;
    const N = w.shape[1];
    const out = matmulKernel({
      a: x, b: w, M, N, K, batch: 1, aBatchStride: 0, bBatchStride: 0,
      bias: b, activation, outShape: [M, N], label: 'linear',
    });
    return { out, saved: { x, w, y: activation === 'none' ? null : out } };
  },
  backward: (g, { x, w, y }, { attrs, needsGrad }) => {
    const [M, K] = x.shape;
    const N = w.shape[1];
    const gz = y ? unaryGradKernel(attrs.activation as 'relu' | 'sigmoid', y, g) : g;
    const gx = needsGrad[0]
      ? matmulKernel({ a: gz, b: w, M, N: K, K: N, batch: 1, aBatchStride: 0, bBatchStride: 0, transB: true, outShape: [M, K], label: 'linear.dX' })
      : null;
    const gw = needsGrad[1]
      ? matmulKernel({ a: x, b: gz, M: K, N, K: M, batch: 1, aBatchStride: 0, bBatchStride: 0, transA: true, outShape: [K, N], label: 'linear.dW' })
      : null;
    const gb = needsGrad[2] ? biasSumKernel(gz) : null;
    if (gz !== g) gz.dispose();
    return [gx, gw, gb];
  },
});

function checkLinear(x: Tensor, w: Tensor, b: Tensor): void {
  if (x.rank !== 2 || w.rank !== 2 || b.rank !== 1) {
    throw new ShapeError('linear', [x.shape, w.shape, b.shape], 'expected x [M, K], W [K, N] and b [N]');
  }
  if (x.shape[1] !== w.shape[0]) {
    throw new ShapeError('linear', [x.shape, w.shape], `x has ${x.shape[1]} features but W expects ${w.shape[0]} (W is [in, out])`);
  }
  if (b.shape[0] !== w.shape[1]) {
    throw new ShapeError('linear', [w.shape, b.shape], `bias must have W's ${w.shape[1]} output features`);
  }
}

const ACTIVATION = option.oneOf(['none', 'relu', 'sigmoid'], { default: 'none' });

/** act(x W + b) in one kernel. x: [M, K], W: [K, N] (in, out), b: [N]; activation 'none' | 'relu' | 'sigmoid'. */
export const linear = (x: Tensor, w: Tensor, b: Tensor, activation: Activation = 'none'): Tensor =>
  apply(linearOp, [x, w, b], { activation: parseArg('linear', 'activation', activation, ACTIVATION) });
