// Shape ops: reshape (a view sharing storage), transpose / permute (a copy through a kernel).
import { DisposedTensorError, ShapeError, ValueError } from '../errors.ts';
import { normalizeAxis, resolveReshape } from '../shape.ts';
import type { Tensor } from '../tensor.ts';
import { permuteKernel } from '../kernels/transpose.ts';
import { apply, defineOp } from './op.ts';

export const reshapeOp = defineOp<{ shape: number[] }, undefined>({
  name: 'reshape',
  arity: 1,
  forward: ([x], { shape }) => ({ out: x.share(shape), saved: undefined }),
  backward: (g, _s, { inputs }) => [g.share(inputs[0].shape)],
});

export const permuteOp = defineOp<{ perm: number[] }, undefined>({
  name: 'permute',
  arity: 1,
  forward: ([x], { perm }) => ({ out: permuteKernel(x, perm), saved: undefined }),
  backward: (g, _s, { attrs }) => {
    const inverse = new Array<number>(attrs.perm.length);
    attrs.perm.forEach((p, i) => (inverse[p] = i));
    return [permuteKernel(g, inverse)];
  },
});

/** A handle sharing x's storage with another shape; `op` names the caller if x is disposed. */
export function view(x: Tensor, shape: readonly number[], op: string): Tensor {
  if (x.disposed) throw new DisposedTensorError(op, x.describe());
  return x.share(shape);
}

export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  if (x.dtype !== 'f32') {
    // Labels and indices reshape too; they never carry gradients.
    return view(x, resolveReshape('reshape', x.shape, shape), 'reshape');
  }
  return apply(reshapeOp, [x], { shape: resolveReshape('reshape', x.shape, shape) });
}

export function permute(x: Tensor, perm: readonly number[]): Tensor {
  const norm = perm.map((p) => normalizeAxis('permute', p, x.rank));
  if (norm.length !== x.rank || new Set(norm).size !== x.rank) {
    throw new ValueError('permute', `perm [${perm.join(', ')}] must list each of the ${x.rank} axes of shape [${x.shape.join(', ')}] exactly once`);
  }
  return apply(permuteOp, [x], { perm: norm });
}

/** Swap two axes (default: the last two). A 1-D tensor is an error, as in PyTorch's .T for 2-D. */
export function transpose(x: Tensor, dim0 = -2, dim1 = -1): Tensor {
  if (x.rank < 2) throw new ShapeError('transpose', [x.shape], 'expected a tensor of rank >= 2');
  const a = normalizeAxis('transpose', dim0, x.rank);
  const b = normalizeAxis('transpose', dim1, x.rank);
  const perm = x.shape.map((_, i) => i);
  perm[a] = b;
  perm[b] = a;
  return apply(permuteOp, [x], { perm });
}
