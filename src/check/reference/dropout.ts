// Float64 reference for dropout (src/ops/dropout.ts). The mask is Threefry-2x32-20 of
// (key, element index) computed here on the host, independently of the WGSL in
// shaders/dropout.wgsl; keep(i) = u(i) >= round(p * 2^32), y = keep ? x / (1 - p) : 0.
import type { DropoutAttrs } from '../../ops/dropout.ts';
import { map, type RefArray } from '../array.ts';
import type { RefFamily } from './types.ts';

const rotl = (x: number, r: number) => ((x << r) | (x >>> (32 - r))) >>> 0;
const ROTATIONS = [
  [13, 15, 26, 6],
  [17, 29, 16, 24],
];

/** Threefry-2x32 with 20 rounds (Random123 / JAX), both output words. */
export function threefry2x32(k0: number, k1: number, c0: number, c1: number): [number, number] {
  const ks = [k0 >>> 0, k1 >>> 0, (k0 ^ k1 ^ 0x1bd11bda) >>> 0];
  let x0 = (c0 + ks[0]) >>> 0;
  let x1 = (c1 + ks[1]) >>> 0;
  for (let block = 0; block < 5; block++) {
    for (const r of ROTATIONS[block % 2]) {
      x0 = (x0 + x1) >>> 0;
      x1 = (rotl(x1, r) ^ x0) >>> 0;
    }
    x0 = (x0 + ks[(block + 1) % 3]) >>> 0;
    x1 = (x1 + ks[(block + 2) % 3] + block + 1) >>> 0;
  }
  return [x0, x1];
}

/** Whether dropout keeps element i. */
export function dropoutKeeps(attrs: DropoutAttrs, i: number): boolean {
  if (attrs.p === 1) return false;
  const threshold = Math.min(Math.round(attrs.p * 2 ** 32), 2 ** 32 - 1);
  return threefry2x32(attrs.key.k0, attrs.key.k1, i, 0)[0] >= threshold;
}

function apply(x: RefArray, a: DropoutAttrs): RefArray {
  return map(x, (v, i) => (dropoutKeeps(a, i) ? v / (1 - a.p) : 0));
}

export const DROPOUT_REF: RefFamily<'dropout'> = {
  dropout: {
    forward: ([x], a) => apply(x, a),
    backward: (_inputs, a, g) => [apply(g, a)],
  },
};
