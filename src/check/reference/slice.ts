// Float64 reference of the slicing family (src/ops/slice.ts): narrow (which slice, split and
// chunk record) and concat (which stack records after unsqueezing), index by index.
import { coordsOf, indexOf, refArray, zerosRef, type RefArray } from '../array.ts';
import type { RefFamily } from './types.ts';

function narrowRef(x: RefArray, dim: number, start: number, length: number): RefArray {
  const shape = x.shape.map((s, i) => (i === dim ? length : s));
  return refArray(shape, (i) => {
    const c = coordsOf(i, shape);
    c[dim] += start;
    return x.data[indexOf(c, x.shape)];
  });
}

/** g placed at the window of a zero array of `shape`. */
function padRef(g: RefArray, shape: readonly number[], dim: number, start: number): RefArray {
  const dx = zerosRef(shape);
  for (let i = 0; i < g.data.length; i++) {
    const c = coordsOf(i, g.shape);
    c[dim] += start;
    dx.data[indexOf(c, shape)] = g.data[i];
  }
  return dx;
}

export const SLICE_REF: RefFamily<'narrow' | 'concat'> = {
  narrow: {
    forward: ([x], { dim, start, length }) => narrowRef(x, dim, start, length),
    backward: ([x], { dim, start }, g) => [padRef(g, x.shape, dim, start)],
  },
  concat: {
    forward: (xs, { dim }) => {
      const shape = xs[0].shape.map((s, i) => (i === dim ? xs.reduce((n, x) => n + x.shape[dim], 0) : s));
      const out = zerosRef(shape);
      let start = 0;
      for (const x of xs) {
        const part = padRef(x, shape, dim, start);
        for (let i = 0; i < out.data.length; i++) out.data[i] += part.data[i];
        start += x.shape[dim];
      }
      return out;
    },
    backward: (xs, { dim }, g) => {
      let start = 0;
      return xs.map((x) => {
        const r = narrowRef(g, dim, start, x.shape[dim]);
        start += x.shape[dim];
        return r;
      });
    },
  },
};
