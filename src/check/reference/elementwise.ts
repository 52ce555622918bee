// Float64 reference of the elementwise family (src/ops/elementwise.ts). JavaScript's Math
// functions already have PyTorch's NaN and Inf semantics (Math.max(NaN, 1) is NaN), so the
// reference states the math plainly; the few rules that differ are written out (docs/NUMERICS.md).
import { map, unbroadcast, zip, type RefArray } from '../array.ts';
import type { RefFamily, RefOp } from './types.ts';

export const mulRef = (a: RefArray, b: RefArray): RefArray => zip(a, b, (x, y) => x * y);

/** A binary op with broadcasting; da/db are the partial derivatives at (a, b). */
function binary(f: (a: number, b: number) => number, da: (a: number, b: number) => number, db: (a: number, b: number) => number): RefOp<undefined> {
  return {
    forward: ([a, b]) => zip(a, b, f),
    backward: ([a, b], _attrs, g) => [
      unbroadcast(mulRef(g, zip(a, b, da)), a.shape),
      unbroadcast(mulRef(g, zip(a, b, db)), b.shape),
    ],
  };
}

/** A unary op given f and its derivative f' (both of the input). */
function unary(f: (x: number) => number, df: (x: number) => number): RefOp<undefined> {
  return {
    forward: ([x]) => map(x, f),
    backward: ([x], _attrs, g) => [map(x, (v, i) => g.data[i] * df(v))],
  };
}

export const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
/** Math.max keeps NaN: relu(NaN) = NaN, as torch.relu. */
export const relu = (x: number): number => Math.max(x, 0);
/**
 * ReLU'(0) = 0 (the mask keeps x > 0 only). torch's threshold_backward zeroes the gradient
 * where x <= 0, so at NaN (not <= 0) the gradient passes through.
 */
export const reluGrad = (x: number): number => (x <= 0 ? 0 : 1);
export const sigmoidGrad = (x: number): number => sigmoid(x) * (1 - sigmoid(x));

/**
 * torch.maximum's gradient: all of it to the larger operand, half to each on a tie, and all of
 * it to both where the comparison is unordered (a NaN operand: neither a < b nor a > b).
 */
const maximumShare = (a: number, b: number): number => (a === b ? 0.5 : a < b ? 0 : 1);

export const ELEMENTWISE_REF: RefFamily<
  'add' | 'sub' | 'mul' | 'div' | 'maximum' | 'affine' | 'neg' | 'exp' | 'log' | 'sqrt' | 'square' | 'tanh' | 'relu' | 'sigmoid' | 'abs' | 'recip'
> = {
  add: binary((a, b) => a + b, () => 1, () => 1),
  sub: binary((a, b) => a - b, () => 1, () => -1),
  mul: binary((a, b) => a * b, (_a, b) => b, (a) => a),
  div: binary((a, b) => a / b, (_a, b) => 1 / b, (a, b) => -a / (b * b)),
  maximum: binary(Math.max, maximumShare, (a, b) => maximumShare(b, a)),
  affine: {
    forward: ([x], { alpha, beta }) => map(x, (v) => alpha * v + beta),
    backward: (_x, { alpha }, g) => [map(g, (v) => alpha * v)],
  },
  neg: unary((x) => -x, () => -1),
  exp: unary(Math.exp, Math.exp),
  log: unary(Math.log, (x) => 1 / x),
  sqrt: unary(Math.sqrt, (x) => 0.5 / Math.sqrt(x)),
  square: unary((x) => x * x, (x) => 2 * x),
  tanh: unary(Math.tanh, (x) => 1 - Math.tanh(x) ** 2),
  relu: unary(relu, reluGrad),
  sigmoid: unary(sigmoid, sigmoidGrad),
  abs: unary(Math.abs, Math.sign),
  recip: unary((x) => 1 / x, (x) => -1 / (x * x)),
};
