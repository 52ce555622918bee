// Masking ops: where(cond, a, b), maskedFill(x, mask, value), tril / triu (PyTorch semantics).
// Conditions and masks are tensors of dtype f32 or i32 (webgrad has no bool dtype): any nonzero
// value is true, as bool() of a number (NaN is true, -0 false). A comparison such as
// binary 'gt' gives f32 0 / 1 masks; i32 masks come from host data. They never get gradients.
import { DTypeError, ShapeError, ValueError, fmtShape } from '../errors.ts';
import { broadcastShapes, sameShape } from '../shape.ts';
import { Tensor } from '../tensor.ts';
import { triKernel, whereGradKernel, whereKernel } from '../kernels/where.ts';
import { apply, defineOp } from './op.ts';
import { sumTo } from './reduce-to.ts';

function consume(t: Tensor, shape: readonly number[]): Tensor {
  const r = sumTo(t, shape);
  t.dispose();
  return r;
}

/** inputs: cond (f32 or i32), a, b; out: broadcast of the three shapes. */
export const whereOp = defineOp<undefined, { cond: Tensor }>({
  name: 'where',
  arity: 3,
  intInputs: [0],
  forward: ([cond, a, b]) => {
    const shape = broadcastShapes('where', broadcastShapes('where', cond.shape, a.shape), b.shape);
    return { out: whereKernel(cond, a, b, shape, 'where'), saved: { cond } };
  },
  backward: (g, { cond }, { inputs, needsGrad }) => [
    null,
    needsGrad[1] ? consume(whereGradKernel(cond, g, false, 'where'), inputs[1].shape) : null,
    needsGrad[2] ? consume(whereGradKernel(cond, g, true, 'where'), inputs[2].shape) : null,
  ],
});

/** inputs: x, mask (broadcast to x); out[i] = mask != invert ? value : x. */
export const maskedFillOp = defineOp<{ value: number; invert: boolean }, { mask: Tensor }>({
  name: 'maskedFill',
  arity: 2,
  intInputs: [1],
  forward: ([x, mask], { value, invert }) => ({ out: whereKernel(mask, null, x, x.shape, 'maskedFill', { value, invert }), saved: { mask } }),
  backward: (g, { mask }, { attrs }) => [whereGradKernel(mask, g, !attrs.invert, 'maskedFill'), null],
});

function triOp(name: 'tril' | 'triu') {
  return defineOp<{ diagonal: number }, undefined>({
    name,
    arity: 1,
    forward: ([x], { diagonal }) => ({ out: triKernel(x, name === 'triu', diagonal, name), saved: undefined }),
    backward: (g, _s, { attrs }) => [triKernel(g, name === 'triu', attrs.diagonal, `${name}.grad`)],
  });
}
export const trilOp = triOp('tril');
export const triuOp = triOp('triu');

// ------------------------------------------------------------------------ public functions

function checkCond(op: string, name: string, c: unknown): asserts c is Tensor {
  if (!(c instanceof Tensor)) throw new ValueError(op, `${name} must be a Tensor (f32 or i32, nonzero = true), got ${typeof c}`);
  if (c.dtype !== 'f32' && c.dtype !== 'i32') throw new DTypeError(op, `${name} must be f32 or i32, got ${String(c.dtype)}`);
}

function checkValue(op: string, v: unknown): number {
  if (typeof v !== 'number') throw new ValueError(op, `value must be a number, got ${typeof v}`);
  return v;
}

/** mask broadcast to x's shape (the shape maskedFill keeps). */
function checkMaskShape(op: string, x: Tensor, mask: Tensor): void {
  const shape = broadcastShapes(op, x.shape, mask.shape);
  if (!sameShape(shape, x.shape)) {
    throw new ShapeError(op, [x.shape, mask.shape], `the mask must broadcast to the input's shape ${fmtShape(x.shape)}`);
  }
}

/**
 * torch.where(cond, a, b): a where cond is nonzero, else b, all three broadcast together.
 * a or b may be a number; then cond must broadcast to the other operand's shape.
 */
export function where(cond: Tensor, a: Tensor | number, b: Tensor | number): Tensor {
  checkCond('where', 'cond', cond);
  if (typeof a === 'number' && typeof b === 'number') {
    throw new ValueError('where', 'at least one of a and b must be a Tensor (for two numbers, use full() for one of them)');
  }
  if (typeof a === 'number') {
    checkMaskShape('where', b as Tensor, cond);
    return apply(maskedFillOp, [b as Tensor, cond], { value: checkValue('where', a), invert: false });
  }
  if (typeof b === 'number') {
    checkMaskShape('where', a, cond);
    return apply(maskedFillOp, [a, cond], { value: checkValue('where', b), invert: true });
  }
  broadcastShapes('where', broadcastShapes('where', cond.shape, a.shape), b.shape);
  return apply(whereOp, [cond, a, b], undefined);
}

/** x.masked_fill(mask, value): value where mask is nonzero; mask broadcasts to x's shape. */
export function maskedFill(x: Tensor, mask: Tensor, value: number): Tensor {
  if (!(x instanceof Tensor)) throw new ValueError('maskedFill', `input must be a Tensor, got ${typeof x}`);
  checkCond('maskedFill', 'mask', mask);
  checkMaskShape('maskedFill', x, mask);
  return apply(maskedFillOp, [x, mask], { value: checkValue('maskedFill', value), invert: false });
}

function triangle(op: 'tril' | 'triu', x: Tensor, diagonal: number): Tensor {
  if (!(x instanceof Tensor)) throw new ValueError(op, `input must be a Tensor, got ${typeof x}`);
  if (x.rank < 2) throw new ShapeError(op, [x.shape], 'expected a tensor of rank >= 2 (the triangle is over the last two dims)');
  if (!Number.isInteger(diagonal)) throw new ValueError(op, `diagonal must be an integer, got ${String(diagonal)}`);
  return apply(op === 'tril' ? trilOp : triuOp, [x], { diagonal });
}

/** torch.tril(x, diagonal): elements on and below the `diagonal`-th diagonal of the last two dims. */
export const tril = (x: Tensor, diagonal = 0): Tensor => triangle('tril', x, diagonal);
/** torch.triu(x, diagonal): elements on and above the `diagonal`-th diagonal of the last two dims. */
export const triu = (x: Tensor, diagonal = 0): Tensor => triangle('triu', x, diagonal);
