// Elementwise ops: add, sub, mul, div (NumPy broadcasting, scalar operands), maximum, and the
// unary maps. Forward and backward of each sit together; kernels are in shaders/elementwise.wgsl.
import { broadcastShapes } from '../shape.ts';
import type { Tensor } from '../tensor.ts';
import { binaryKernel, unaryGradKernel, unaryKernel, type UnaryKind } from '../kernels/elementwise.ts';
import { apply, defineOp } from './op.ts';
import { sumTo } from './reduce-to.ts';
import { ArgumentTypeError, DisposedTensorError } from '../errors.ts';
import { describeValue } from '../options.ts';
import { full } from '../tensor.ts';

type Pair = { a: Tensor; b: Tensor };

export const addOp = defineOp<undefined, undefined>({
  name: 'add',
  arity: 2,
  forward: ([a, b]) => ({ out: binaryKernel('add', a, b, broadcastShapes('add', a.shape, b.shape)), saved: undefined }),
  backward: (g, _s, { inputs, needsGrad }) => [
    needsGrad[0] ? sumTo(g, inputs[0].shape) : null,
    needsGrad[1] ? sumTo(g, inputs[1].shape) : null,
  ],
});

export const subOp = defineOp<undefined, undefined>({
  name: 'sub',
  arity: 2,
  forward: ([a, b]) => ({ out: binaryKernel('sub', a, b, broadcastShapes('sub', a.shape, b.shape)), saved: undefined }),
  backward: (g, _s, { inputs, needsGrad }) => [
    needsGrad[0] ? sumTo(g, inputs[0].shape) : null,
    needsGrad[1] ? reduceConsume(unaryKernel('neg', g), inputs[1].shape) : null,
  ],
});

export const mulOp = defineOp<undefined, Pair>({
  name: 'mul',
  arity: 2,
  forward: ([a, b]) => ({ out: binaryKernel('mul', a, b, broadcastShapes('mul', a.shape, b.shape)), saved: { a, b } }),
  backward: (g, { a, b }, { inputs, needsGrad }) => [
    needsGrad[0] ? reduceConsume(binaryKernel('mul', g, b, g.shape), inputs[0].shape) : null,
    needsGrad[1] ? reduceConsume(binaryKernel('mul', g, a, g.shape), inputs[1].shape) : null,
  ],
});

export const divOp = defineOp<undefined, Pair>({
  name: 'div',
  arity: 2,
  forward: ([a, b]) => ({ out: binaryKernel('div', a, b, broadcastShapes('div', a.shape, b.shape)), saved: { a, b } }),
  backward: (g, { a, b }, { inputs, needsGrad }) => {
    const ga = needsGrad[0] ? reduceConsume(binaryKernel('div', g, b, g.shape), inputs[0].shape) : null;
    let gb: Tensor | null = null;
    if (needsGrad[1]) {
      // d(a/b)/db = -a / b^2, computed as -(g * a / b) / b to stay in range for small b.
      const t1 = binaryKernel('mul', g, a, g.shape);
      const t2 = binaryKernel('div', t1, b, g.shape);
      const t3 = binaryKernel('div', t2, b, g.shape);
      const t4 = unaryKernel('neg', t3);
      [t1, t2, t3].forEach((t) => t.dispose());
      gb = reduceConsume(t4, inputs[1].shape);
    }
    return [ga, gb];
  },
});

/**
 * max(a, b) elementwise, NaN if either is NaN (torch.maximum). The gradient is torch's: all to
 * the larger operand, half to each on a tie, and all to both where either is NaN.
 */
export const maximumOp = defineOp<undefined, Pair>({
  name: 'maximum',
  arity: 2,
  forward: ([a, b]) => ({ out: binaryKernel('maximum', a, b, broadcastShapes('maximum', a.shape, b.shape)), saved: { a, b } }),
  backward: (g, { a, b }, { inputs, needsGrad }) => {
    const share = (x: Tensor, y: Tensor, shape: readonly number[]) => {
      const mask = binaryKernel('maxShare', x, y, g.shape);
      const out = reduceConsume(binaryKernel('mul', g, mask, g.shape), shape);
      mask.dispose();
      return out;
    };
    return [needsGrad[0] ? share(a, b, inputs[0].shape) : null, needsGrad[1] ? share(b, a, inputs[1].shape) : null];
  },
});

function reduceConsume(t: Tensor, shape: readonly number[]): Tensor {
  const r = sumTo(t, shape);
  t.dispose();
  return r;
}

/** out = alpha * x + beta: scalar operands of add/sub/mul/div without uploading a scalar. */
export const affineOp = defineOp<{ alpha: number; beta: number }, undefined>({
  name: 'affine',
  arity: 1,
  forward: ([x], { alpha, beta }) => ({ out: unaryKernel('affine', x, alpha, beta), saved: undefined }),
  backward: (g, _s, { attrs }) => [unaryKernel('affine', g, attrs.alpha, 0)],
});

/** A unary op whose derivative is computed from its saved input or output (see the shader). */
function unaryOp(kind: UnaryKind, savesOutput: boolean) {
  return defineOp<undefined, { x: Tensor }>({
    name: kind,
    arity: 1,
    forward: ([x]) => {
      const out = unaryKernel(kind, x);
      return { out, saved: { x: savesOutput ? out : x } };
    },
    backward: (g, { x }) => [unaryGradKernel(kind, x, g)],
  });
}

export const negOp = unaryOp('neg', false);
export const expOp = unaryOp('exp', true);
export const logOp = unaryOp('log', false);
export const sqrtOp = unaryOp('sqrt', true);
export const squareOp = unaryOp('square', false);
export const tanhOp = unaryOp('tanh', true);
export const reluOp = unaryOp('relu', true);
export const sigmoidOp = unaryOp('sigmoid', true);
export const absOp = unaryOp('abs', false);

// ------------------------------------------------------------------------ public functions

/** A tensor or a number (a number is a scalar constant). */
export type Operand = Tensor | number;

/**
 * Check the operands of a public binary op before anything runs, so errors name the op the
 * user called (add, not the internal affine): each is a live Tensor or a number, and at least
 * one is a Tensor.
 */
function checkOperands(op: string, a: unknown, b: unknown): void {
  [a, b].forEach((t, i) => {
    if (typeof t === 'number') return;
    if (!(t as Tensor | null)?.__isTensor) throw new ArgumentTypeError(op, `operand ${i} must be a Tensor or a number, got ${describeValue(t)}`);
    if ((t as Tensor).disposed) throw new DisposedTensorError(op, `input ${i}: ${(t as Tensor).describe()}`);
  });
  if (typeof a === 'number' && typeof b === 'number') throw new ArgumentTypeError(op, 'at least one operand must be a Tensor, got two numbers');
}

/** A scalar operand: any number, NaN and the infinities included (x.add(NaN) is NaN, as in PyTorch). */
function checkScalar(op: string, s: number): number {
  if (typeof s !== 'number') throw new ArgumentTypeError(op, `scalar operand must be a number, got ${describeValue(s)}`);
  return s;
}

const affine = (x: Tensor, alpha: number, beta: number) => apply(affineOp, [x], { alpha, beta });

/** a + b elementwise, broadcasting; either side may be a number. */
export function add(a: Operand, b: Operand): Tensor {
  checkOperands('add', a, b);
  if (typeof b === 'number') return affine(a as Tensor, 1, checkScalar('add', b));
  if (typeof a === 'number') return affine(b, 1, checkScalar('add', a));
  return apply(addOp, [a, b], undefined);
}

/** a - b elementwise, broadcasting; either side may be a number. */
export function sub(a: Operand, b: Operand): Tensor {
  checkOperands('sub', a, b);
  if (typeof b === 'number') return affine(a as Tensor, 1, -checkScalar('sub', b));
  if (typeof a === 'number') return affine(b, -1, checkScalar('sub', a));
  return apply(subOp, [a, b], undefined);
}

/** a * b elementwise, broadcasting; either side may be a number. */
export function mul(a: Operand, b: Operand): Tensor {
  checkOperands('mul', a, b);
  if (typeof b === 'number') return affine(a as Tensor, checkScalar('mul', b), 0);
  if (typeof a === 'number') return affine(b, checkScalar('mul', a), 0);
  return apply(mulOp, [a, b], undefined);
}

/** a / b elementwise, broadcasting; either side may be a number. */
export function div(a: Operand, b: Operand): Tensor {
  checkOperands('div', a, b);
  if (typeof b === 'number') return affine(a as Tensor, 1 / checkScalar('div', b), 0);
  if (typeof a === 'number') {
    const r = apply(recipOp, [b], undefined);
    const out = affine(r, checkScalar('div', a), 0);
    r.dispose();
    return out;
  }
  return apply(divOp, [a, b], undefined);
}

export const recipOp = unaryOp('recip', true);

/** Elementwise maximum of two tensors (broadcast) or of a tensor and a number (torch.maximum / clamp_min). */
export function maximum(a: Operand, b: Operand): Tensor {
  checkOperands('maximum', a, b);
  if (typeof a !== 'number' && typeof b !== 'number') return apply(maximumOp, [a, b], undefined);
  const s = full([], checkScalar('maximum', (typeof a === 'number' ? a : b) as number), { label: 'maximum.scalar' });
  const out = typeof a === 'number' ? apply(maximumOp, [s, b as Tensor], undefined) : apply(maximumOp, [a, s], undefined);
  s.dispose();
  return out;
}
/** -x elementwise. */
export const neg = (x: Tensor): Tensor => apply(negOp, [x], undefined);
/** e^x elementwise. */
export const exp = (x: Tensor): Tensor => apply(expOp, [x], undefined);
/** The natural logarithm, elementwise. */
export const log = (x: Tensor): Tensor => apply(logOp, [x], undefined);
/** The square root, elementwise. */
export const sqrt = (x: Tensor): Tensor => apply(sqrtOp, [x], undefined);
/** x * x elementwise. */
export const square = (x: Tensor): Tensor => apply(squareOp, [x], undefined);
/** tanh(x) elementwise. */
export const tanh = (x: Tensor): Tensor => apply(tanhOp, [x], undefined);
/** max(x, 0) elementwise. */
export const relu = (x: Tensor): Tensor => apply(reluOp, [x], undefined);
/** 1 / (1 + exp(-x)) elementwise. */
export const sigmoid = (x: Tensor): Tensor => apply(sigmoidOp, [x], undefined);
/** |x| elementwise. */
export const abs = (x: Tensor): Tensor => apply(absOp, [x], undefined);
