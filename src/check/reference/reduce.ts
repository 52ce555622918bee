// Float64 reference of the reductions (src/ops/reduce.ts): sum, mean, max (NaN propagates, as
// torch.amax) and argmax (NaN is the maximum, first index on ties).
import { coordsOf, indexOf, map, refArray, reshapeRef, zerosRef, type RefArray } from '../array.ts';
import type { RefFamily } from './types.ts';

interface ReduceAttrs {
  axes: number[];
  keepDims: boolean;
}

/** For each input element, the flat index of its output in the keepDims shape. */
function reduceIndex(shape: readonly number[], axes: readonly number[]): { kept: number[]; groupOf: (i: number) => number } {
  const kept = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  return {
    kept,
    groupOf: (i) => indexOf(coordsOf(i, shape).map((c, d) => (axes.includes(d) ? 0 : c)), kept),
  };
}

function outShape(kept: readonly number[], shape: readonly number[], { axes, keepDims }: ReduceAttrs): number[] {
  return keepDims ? [...kept] : shape.filter((_, i) => !axes.includes(i));
}

function reduceSum(x: RefArray, attrs: ReduceAttrs, scale: number): RefArray {
  const { kept, groupOf } = reduceIndex(x.shape, attrs.axes);
  const acc = zerosRef(kept);
  for (let i = 0; i < x.data.length; i++) acc.data[groupOf(i)] += x.data[i];
  return reshapeRef(map(acc, (v) => v * scale), outShape(kept, x.shape, attrs));
}

/** The gradient of a sum: each input element receives its output's gradient times `scale`. */
function sumBackward(x: RefArray, attrs: ReduceAttrs, g: RefArray, scale: number): RefArray {
  const { groupOf } = reduceIndex(x.shape, attrs.axes);
  return refArray(x.shape, (i) => g.data[groupOf(i)] * scale);
}

const countOf = (shape: readonly number[], axes: readonly number[]) => axes.reduce((n, a) => n * shape[a], 1);

/** Whether x is "the maximum" m: equal to it, or both NaN (a NaN maximum came from a NaN). */
const isMax = (x: number, m: number) => x === m || (Number.isNaN(x) && Number.isNaN(m));

function reduceMax(x: RefArray, attrs: ReduceAttrs): { m: RefArray; ties: RefArray; groupOf: (i: number) => number } {
  const { kept, groupOf } = reduceIndex(x.shape, attrs.axes);
  const m = refArray(kept, () => -Infinity);
  // Math.max propagates NaN: max([3, NaN, 2]) = NaN, as in PyTorch.
  for (let i = 0; i < x.data.length; i++) m.data[groupOf(i)] = Math.max(m.data[groupOf(i)], x.data[i]);
  const ties = zerosRef(kept);
  for (let i = 0; i < x.data.length; i++) if (isMax(x.data[i], m.data[groupOf(i)])) ties.data[groupOf(i)]++;
  return { m: reshapeRef(m, outShape(kept, x.shape, attrs)), ties, groupOf };
}

export const REDUCE_REF: RefFamily<'sum' | 'mean' | 'max'> = {
  sum: {
    forward: ([x], attrs) => reduceSum(x, attrs, 1),
    backward: ([x], attrs, g) => [sumBackward(x, attrs, g, 1)],
  },
  mean: {
    forward: ([x], attrs) => reduceSum(x, attrs, 1 / countOf(x.shape, attrs.axes)),
    backward: ([x], attrs, g) => [sumBackward(x, attrs, g, 1 / countOf(x.shape, attrs.axes))],
  },
  // Ties split the gradient evenly (a valid subgradient: the parts sum to the output's
  // gradient); a NaN maximum sends it to the NaN elements, as torch.max()'s
  // evenly_distribute_backward.
  max: {
    forward: ([x], attrs) => reduceMax(x, attrs).m,
    backward: ([x], attrs, g) => {
      const { m, ties, groupOf } = reduceMax(x, attrs);
      return [refArray(x.shape, (i) => (isMax(x.data[i], m.data[groupOf(i)]) ? g.data[groupOf(i)] / ties.data[groupOf(i)] : 0))];
    },
  },
};

/** Index of the first maximum along `axis` (not differentiable); NaN counts as the maximum. */
export function argmaxRef(x: RefArray, axis: number, keepDims = false): RefArray {
  const { m, groupOf } = reduceMax(x, { axes: [axis], keepDims: true });
  const idx = refArray(m.shape, () => -1);
  for (let i = 0; i < x.data.length; i++) {
    if (idx.data[groupOf(i)] < 0 && isMax(x.data[i], m.data[groupOf(i)])) idx.data[groupOf(i)] = coordsOf(i, x.shape)[axis];
  }
  return keepDims ? idx : reshapeRef(idx, x.shape.filter((_, d) => d !== axis));
}
