// Float64 reference of the masking family (src/ops/where.ts). A condition is true where its
// value is nonzero (NaN included), as bool() of a number.
import { broadcastShape, broadcastSource, coordsOf, refArray, unbroadcast, type RefArray } from '../array.ts';
import type { RefFamily } from './types.ts';

const truthy = (v: number) => v !== 0;

/** For each element of the broadcast shape: whether cond holds there. */
function condAt(cond: RefArray, shape: readonly number[]): (i: number) => boolean {
  return (i) => truthy(cond.data[broadcastSource(coordsOf(i, shape), cond.shape)]);
}

function triRef(x: RefArray, upper: boolean, diagonal: number): RefArray {
  const cols = x.shape[x.shape.length - 1];
  const rows = x.shape[x.shape.length - 2];
  return refArray(x.shape, (i) => {
    const d = (i % cols) - (Math.floor(i / cols) % rows);
    return (upper ? d >= diagonal : d <= diagonal) ? x.data[i] : 0;
  });
}

export const WHERE_REF: RefFamily<'where' | 'maskedFill' | 'tril' | 'triu'> = {
  where: {
    forward: ([cond, a, b]) => {
      const shape = broadcastShape(broadcastShape(cond.shape, a.shape), b.shape);
      const t = condAt(cond, shape);
      return refArray(shape, (i) => {
        const c = coordsOf(i, shape);
        return t(i) ? a.data[broadcastSource(c, a.shape)] : b.data[broadcastSource(c, b.shape)];
      });
    },
    backward: ([cond, a, b], _attrs, g) => {
      const t = condAt(cond, g.shape);
      return [
        null,
        unbroadcast(refArray(g.shape, (i) => (t(i) ? g.data[i] : 0)), a.shape),
        unbroadcast(refArray(g.shape, (i) => (t(i) ? 0 : g.data[i])), b.shape),
      ];
    },
  },
  maskedFill: {
    forward: ([x, mask], { value, invert }) => {
      const t = condAt(mask, x.shape);
      return refArray(x.shape, (i) => (t(i) !== invert ? value : x.data[i]));
    },
    backward: ([x, mask], { invert }, g) => {
      const t = condAt(mask, x.shape);
      return [refArray(x.shape, (i) => (t(i) !== invert ? 0 : g.data[i])), null];
    },
  },
  tril: {
    forward: ([x], { diagonal }) => triRef(x, false, diagonal),
    backward: (_x, { diagonal }, g) => [triRef(g, false, diagonal)],
  },
  triu: {
    forward: ([x], { diagonal }) => triRef(x, true, diagonal),
    backward: (_x, { diagonal }, g) => [triRef(g, true, diagonal)],
  },
};
