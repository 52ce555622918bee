// Float64 reference of the indexing family (src/ops/indexing.ts), written index by index.
import { coordsOf, indexOf, refArray, zerosRef, type RefArray } from '../array.ts';
import type { RefFamily } from './types.ts';

/** out[..., j, ...] = x[..., idx[j], ...] along `dim` (NaN for an index out of range). */
function selectRef(x: RefArray, dim: number, idx: RefArray): RefArray {
  const shape = x.shape.map((s, i) => (i === dim ? idx.data.length : s));
  return refArray(shape, (i) => {
    const c = coordsOf(i, shape);
    const r = idx.data[c[dim]];
    if (r < 0 || r >= x.shape[dim]) return NaN;
    c[dim] = r;
    return x.data[indexOf(c, x.shape)];
  });
}

/** The adjoint: every g element added to the x element it was read from. */
function selectBackRef(xShape: readonly number[], dim: number, idx: RefArray, g: RefArray, padding = -1): RefArray {
  const dx = zerosRef(xShape);
  for (let i = 0; i < g.data.length; i++) {
    const c = coordsOf(i, g.shape);
    const r = idx.data[c[dim]];
    if (r < 0 || r >= xShape[dim] || r === padding) continue;
    c[dim] = r;
    dx.data[indexOf(c, xShape)] += g.data[i];
  }
  return dx;
}

const flat = (ids: RefArray): RefArray => refArray([ids.data.length], ids.data);

/** torch.gather along dim: out has idx's shape (NaN for an index out of range). */
function gatherRef(x: RefArray, dim: number, idx: RefArray): RefArray {
  return refArray(idx.shape, (i) => {
    const c = coordsOf(i, idx.shape);
    const r = idx.data[i];
    if (r < 0 || r >= x.shape[dim]) return NaN;
    c[dim] = r;
    return x.data[indexOf(c, x.shape)];
  });
}

function gatherBackRef(xShape: readonly number[], dim: number, idx: RefArray, g: RefArray): RefArray {
  const dx = zerosRef(xShape);
  for (let i = 0; i < g.data.length; i++) {
    const c = coordsOf(i, idx.shape);
    const r = idx.data[i];
    if (r < 0 || r >= xShape[dim]) continue;
    c[dim] = r;
    dx.data[indexOf(c, xShape)] += g.data[i];
  }
  return dx;
}

export const INDEXING_REF: RefFamily<'embedding' | 'indexSelect' | 'gather'> = {
  gather: {
    forward: ([x, idx], { dim }) => gatherRef(x, dim, idx),
    backward: ([x, idx], { dim }, g) => [gatherBackRef(x.shape, dim, idx, g), null],
  },
  embedding: {
    forward: ([ids, table]) => {
      const out = selectRef(table, 0, flat(ids));
      return refArray([...ids.shape, table.shape[1]], out.data);
    },
    backward: ([ids, table], { paddingIdx }, g) => [
      null,
      selectBackRef(table.shape, 0, flat(ids), refArray([ids.data.length, table.shape[1]], g.data), paddingIdx),
    ],
  },
  indexSelect: {
    forward: ([x, idx], { dim }) => selectRef(x, dim, flat(idx)),
    backward: ([x, idx], { dim }, g) => [selectBackRef(x.shape, dim, flat(idx), g), null],
  },
};
