// Float64 reference of pow (src/ops/pow.ts), with C's and PyTorch's special cases written out:
// JavaScript's ** differs from C's pow at 1 ** NaN and (-1) ** Infinity (NaN in JS, 1 in C).
import { map, unbroadcast, zip, type RefArray } from '../array.ts';
import type { RefFamily } from './types.ts';

export function powRef(x: number, y: number): number {
  if (y === 0 || x === 1) return 1;
  if (x === -1 && !Number.isFinite(y) && !Number.isNaN(y)) return 1;
  return Math.pow(x, y);
}

/** d(x^y)/dx = y x^(y-1), 0 where y = 0 (torch's pow_backward_self). */
export const powDx = (x: number, y: number): number => (y === 0 ? 0 : y * powRef(x, y - 1));
/** d(x^y)/dy = x^y log(x), 0 where x = 0 and y >= 0 (torch's pow_backward_exponent). */
export const powDy = (x: number, y: number): number => (x === 0 && y >= 0 ? 0 : powRef(x, y) * Math.log(x));

const times = (g: RefArray, d: RefArray) => zip(g, d, (u, v) => u * v);

export const POW_REF: RefFamily<'pow' | 'powScalar'> = {
  pow: {
    forward: ([a, b]) => zip(a, b, powRef),
    backward: ([a, b], _attrs, g) => [unbroadcast(times(g, zip(a, b, powDx)), a.shape), unbroadcast(times(g, zip(a, b, powDy)), b.shape)],
  },
  powScalar: {
    forward: ([x], { exponent }) => map(x, (v) => powRef(v, exponent)),
    backward: ([x], { exponent }, g) => [map(x, (v, i) => g.data[i] * powDx(v, exponent))],
  },
};
