// Shape ops: reshape and the views built on it (view, flatten, squeeze, unsqueeze: the same
// storage under another shape, recorded as the reshape op, no copy), transpose / permute (a copy
// through a kernel). Every tensor is contiguous, so PyTorch's view() always succeeds where its
// element count allows, and is exactly reshape().
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
export function alias(x: Tensor, shape: readonly number[], op: string): Tensor {
  if (x.disposed) throw new DisposedTensorError(op, x.describe());
  return x.share(shape);
}

/** x under `shape` (one -1 inferred) as the public op `op`: errors name `op`. */
function reshapeAs(op: string, x: Tensor, shape: readonly number[]): Tensor {
  if (x.disposed) throw new DisposedTensorError(op, x.describe());
  const resolved = resolveReshape(op, x.shape, shape);
  // Labels and indices reshape too; they never carry gradients.
  if (x.dtype !== 'f32') return alias(x, resolved, op);
  return apply(reshapeOp, [x], { shape: resolved });
}

/** The same elements in a new shape (one dimension may be -1); shares the buffer. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  return reshapeAs('reshape', x, shape);
}

/** The dims of a call written either way: view(x, 2, 3) or view(x, [2, 3]). */
export type ShapeArgs = number[] | [readonly number[]];

function shapeOf(op: string, args: readonly unknown[]): number[] {
  const dims = args.length === 1 && Array.isArray(args[0]) ? (args[0] as unknown[]) : args;
  if (!dims.every((d) => typeof d === 'number' && Number.isInteger(d))) {
    throw new ValueError(op, `expected integer dims, as separate arguments or one array, got (${args.map((a) => JSON.stringify(a)).join(', ')})`);
  }
  return dims as number[];
}

/** PyTorch's view(*shape): the same storage under another shape, one dim may be -1 (inferred). */
export function view(x: Tensor, ...shape: ShapeArgs): Tensor {
  return reshapeAs('view', x, shapeOf('view', shape));
}

function checkDim(op: string, name: string, dim: unknown): number {
  if (typeof dim !== 'number' || !Number.isInteger(dim)) throw new ValueError(op, `${name} must be an integer, got ${JSON.stringify(dim)}`);
  return dim;
}

/** A size-1 dim inserted at `dim` (-rank-1 <= dim <= rank; negative counts from the end of the result). */
export function unsqueeze(x: Tensor, dim: number): Tensor {
  const d = normalizeAxis('unsqueeze', checkDim('unsqueeze', 'dim', dim), x.rank + 1);
  return reshapeAs('unsqueeze', x, [...x.shape.slice(0, d), 1, ...x.shape.slice(d)]);
}

/**
 * Size-1 dims removed: every one (no dim), or those among `dim` (a number or an array). As in
 * PyTorch, naming a dim whose size is not 1 leaves it in place (not an error).
 */
export function squeeze(x: Tensor, dim?: number | readonly number[]): Tensor {
  let dims: number[];
  if (dim === undefined) {
    dims = x.shape.map((_, i) => i);
  } else {
    const list = Array.isArray(dim) ? dim : [dim];
    dims = list.map((d) => normalizeAxis('squeeze', checkDim('squeeze', 'dim', d), x.rank));
  }
  return reshapeAs('squeeze', x, x.shape.filter((n, i) => !(n === 1 && dims.includes(i))));
}

/** Dims startDim..endDim (inclusive, negative from the end) merged into one; a 0-D tensor becomes [1]. */
export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  const rank = Math.max(x.rank, 1);
  const s = normalizeAxis('flatten', checkDim('flatten', 'startDim', startDim), rank);
  const e = normalizeAxis('flatten', checkDim('flatten', 'endDim', endDim), rank);
  if (s > e) throw new ValueError('flatten', `startDim (${startDim}) must not come after endDim (${endDim}) for shape [${x.shape.join(', ')}]`);
  if (x.rank === 0) return reshapeAs('flatten', x, [1]);
  const merged = x.shape.slice(s, e + 1).reduce((a, b) => a * b, 1);
  return reshapeAs('flatten', x, [...x.shape.slice(0, s), merged, ...x.shape.slice(e + 1)]);
}

/** Reorder the dimensions: result dim i is input dim perm[i]. */
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
