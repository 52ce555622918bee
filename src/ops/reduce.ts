// Reductions: sum, mean and max over all elements or over axes (keepDims), and argmax.
// Kernels: shaders/reduce.wgsl (workgroup-memory trees, deterministic).
import { ValueError } from '../errors.ts';
import { normalizeAxis } from '../shape.ts';
import type { Tensor } from '../tensor.ts';
import { binaryKernel, expandKernel } from '../kernels/elementwise.ts';
import { reduceKernel } from '../kernels/reduce.ts';
import { apply, defineOp } from './op.ts';

export interface ReduceAttrs {
  axes: number[]; // normalised, sorted, unique
  keepDims: boolean;
}

function keptShape(shape: readonly number[], { axes, keepDims }: ReduceAttrs): number[] {
  return keepDims ? shape.map((d, i) => (axes.includes(i) ? 1 : d)) : shape.filter((_, i) => !axes.includes(i));
}

/** The reduced gradient broadcast back over the reduced axes, times `scale`. */
function expandGrad(g: Tensor, inShape: readonly number[], attrs: ReduceAttrs, scale: number): Tensor {
  const withOnes = g.share(inShape.map((d, i) => (attrs.axes.includes(i) ? 1 : d)));
  const out = expandKernel(withOnes, inShape, scale);
  withOnes.dispose();
  return out;
}

function reduceForward(kind: 'sum' | 'max', x: Tensor, attrs: ReduceAttrs, scale: number): Tensor {
  const r = reduceKernel(kind, x, attrs.axes, scale);
  const out = r.share(keptShape(x.shape, attrs));
  r.dispose();
  return out;
}

export const sumOp = defineOp<ReduceAttrs, undefined>({
  name: 'sum',
  arity: 1,
  forward: ([x], attrs) => ({ out: reduceForward('sum', x, attrs, 1), saved: undefined }),
  backward: (g, _s, { inputs, attrs }) => [expandGrad(g, inputs[0].shape, attrs, 1)],
});

export const meanOp = defineOp<ReduceAttrs, undefined>({
  name: 'mean',
  arity: 1,
  forward: ([x], attrs) => ({ out: reduceForward('sum', x, attrs, 1 / countOf(x.shape, attrs)), saved: undefined }),
  backward: (g, _s, { inputs, attrs }) => [expandGrad(g, inputs[0].shape, attrs, 1 / countOf(inputs[0].shape, attrs))],
});

/**
 * max over axes. Tied maxima split the gradient evenly (as torch.amax): each of k tied elements
 * gets g / k, so the parts sum to g and the result is a valid subgradient.
 */
export const maxOp = defineOp<ReduceAttrs, { x: Tensor; m: Tensor }>({
  name: 'max',
  arity: 1,
  forward: ([x], attrs) => {
    const out = reduceForward('max', x, attrs, 1);
    return { out, saved: { x, m: out } };
  },
  backward: (g, { x, m }, { attrs }) => {
    const keep = x.shape.map((d, i) => (attrs.axes.includes(i) ? 1 : d));
    const mk = m.share(keep);
    const gk = g.share(keep);
    const mask = binaryKernel('eq', x, mk, x.shape);
    const ties = reduceKernel('sum', mask, attrs.axes);
    const tiesK = ties.share(keep);
    const share = binaryKernel('div', gk, tiesK, keep);
    const out = binaryKernel('mul', mask, share, x.shape);
    [mk, gk, mask, ties, tiesK, share].forEach((t) => t.dispose());
    return [out];
  },
});

function countOf(shape: readonly number[], { axes }: ReduceAttrs): number {
  return axes.reduce((n, a) => n * shape[a], 1);
}

export function reduceAttrs(op: string, x: Tensor, axis: number | number[] | undefined, keepDims = false): ReduceAttrs {
  const list = axis === undefined ? x.shape.map((_, i) => i) : Array.isArray(axis) ? axis : [axis];
  const axes = [...new Set(list.map((a) => normalizeAxis(op, a, x.rank)))].sort((a, b) => a - b);
  for (const a of axes) {
    if (x.shape[a] === 0 && op !== 'sum') throw new ValueError(op, `cannot reduce over axis ${a} of size 0 (shape [${x.shape.join(', ')}])`);
  }
  return { axes, keepDims };
}

export interface ReduceOptions {
  axis?: number | number[];
  keepDims?: boolean;
}

export const sum = (x: Tensor, o: ReduceOptions = {}): Tensor => apply(sumOp, [x], reduceAttrs('sum', x, o.axis, o.keepDims));
export const mean = (x: Tensor, o: ReduceOptions = {}): Tensor => apply(meanOp, [x], reduceAttrs('mean', x, o.axis, o.keepDims));
export const max = (x: Tensor, o: ReduceOptions = {}): Tensor => apply(maxOp, [x], reduceAttrs('max', x, o.axis, o.keepDims));

/** Index of the maximum along `axis` (i32; first index on ties). Not differentiable. */
export function argmax(x: Tensor, o: { axis?: number; keepDims?: boolean } = {}): Tensor {
  if (x.disposed) x.buffer('argmax');
  const axis = o.axis ?? x.rank - 1;
  const attrs = reduceAttrs('argmax', x, axis, o.keepDims);
  const r = reduceKernel('argmax', x, attrs.axes);
  const out = r.share(keptShape(x.shape, attrs));
  r.dispose();
  return out;
}
