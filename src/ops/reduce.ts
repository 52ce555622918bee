// Reductions: sum, mean and max over all elements or over axes (keepDims), and argmax.
// Kernels: shaders/reduce.wgsl (workgroup-memory trees, deterministic).
import { ValueError } from '../errors.ts';
import { normalizeAxis } from '../shape.ts';
import type { Tensor } from '../tensor.ts';
import { binaryKernel, expandKernel } from '../kernels/elementwise.ts';
import { reduceKernel } from '../kernels/reduce.ts';
import { apply, defineOp } from './op.ts';
import { option, parseArg, parseOptions, type OptionsOf } from '../options.ts';

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
    const mask = binaryKernel('same', x, mk, x.shape); // a NaN max: the NaN elements
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

export function reduceAttrs(op: string, x: Tensor, axis: number | readonly number[] | undefined, keepDims = false): ReduceAttrs {
  const list = axis === undefined ? x.shape.map((_, i) => i) : Array.isArray(axis) ? axis : [axis];
  const axes = [...new Set(list.map((a) => normalizeAxis(op, a, x.rank)))].sort((a, b) => a - b);
  for (const a of axes) {
    if (x.shape[a] === 0 && op !== 'sum') throw new ValueError(op, `cannot reduce over axis ${a} of size 0 (shape [${x.shape.join(', ')}])`);
  }
  return { axes, keepDims };
}

const REDUCE_OPTIONS = {
  /** Axis or axes to reduce (negative counts from the end); all axes when omitted. PyTorch: `dim`. */
  axis: option.axes({ aliases: ['dim'] }),
  /** Keep reduced axes as size-1 dimensions. PyTorch: `keepdim`. */
  keepDims: option.boolean({ default: false, aliases: ['keepdim'] }),
};
const KEEP_OPTIONS = { keepDims: REDUCE_OPTIONS.keepDims };
const ARGMAX_OPTIONS = {
  /** The axis to search (default: the last axis). PyTorch: `dim`. */
  axis: option.axis({ aliases: ['dim'] }),
  keepDims: REDUCE_OPTIONS.keepDims,
};

/** `{ axis | dim, keepDims | keepdim }` for sum, mean and max. */
export type ReduceOptions = OptionsOf<typeof REDUCE_OPTIONS>;
/** `{ axis | dim, keepDims | keepdim }` for argmax (one axis). */
export type ArgmaxOptions = OptionsOf<typeof ARGMAX_OPTIONS>;
/** An axis or a list of axes (negative counts from the end). */
export type AxisArg = number | readonly number[];
/**
 * The call forms of sum/mean/max (PyTorch, TF.js and NumPy write all of them):
 * `(opts?)`, `(axis)`, `(axes)`, `(axis, keepDims)`, `(axis, { keepDims })`.
 */
export type ReduceArgs = [opts?: ReduceOptions] | [axis: AxisArg, keepDims?: boolean | OptionsOf<typeof KEEP_OPTIONS>];
/** The call forms of argmax: `(opts?)`, `(axis)`, `(axis, keepDims)`, `(axis, { keepDims })`. */
export type ArgmaxArgs = [opts?: ArgmaxOptions] | [axis: number, keepDims?: boolean | OptionsOf<typeof KEEP_OPTIONS>];

/** Resolve a reduction's arguments, in any of its call forms, to an axis list and keepDims. */
function reduceArgs(
  op: string,
  spec: typeof REDUCE_OPTIONS | typeof ARGMAX_OPTIONS,
  a: unknown,
  b: unknown,
): { axis: number | readonly number[] | undefined; keepDims: boolean } {
  if (typeof a === 'number' || Array.isArray(a)) {
    const axis = parseArg(op, 'axis', a, spec.axis);
    const keepDims = typeof b === 'boolean' ? b : parseOptions(op, b, KEEP_OPTIONS).keepDims;
    return { axis, keepDims };
  }
  if ((a as { __isTensor?: boolean } | undefined)?.__isTensor && op === 'max') {
    throw new ValueError(op, 'the elementwise maximum of two tensors is maximum(a, b); max(x, ...) takes an axis or options');
  }
  if (b !== undefined) throw new ValueError(op, `a second argument (keepDims) is only accepted after an axis, as ${op}(axis, keepDims)`);
  return parseOptions(op, a, spec);
}

/** Sum over `axis` (all axes by default): `sum(x)`, `sum(x, 1)`, `sum(x, [0, 1], true)`, `sum(x, { axis, keepDims })`. */
export function sum(x: Tensor, ...args: ReduceArgs): Tensor {
  const o = reduceArgs('sum', REDUCE_OPTIONS, args[0], args[1]);
  return apply(sumOp, [x], reduceAttrs('sum', x, o.axis, o.keepDims));
}
/** Mean over `axis` (all axes by default); the call forms of sum(). */
export function mean(x: Tensor, ...args: ReduceArgs): Tensor {
  const o = reduceArgs('mean', REDUCE_OPTIONS, args[0], args[1]);
  return apply(meanOp, [x], reduceAttrs('mean', x, o.axis, o.keepDims));
}
/** Maximum over `axis` (all axes by default; values only, as torch.amax); the call forms of sum(). */
export function max(x: Tensor, ...args: ReduceArgs): Tensor {
  const o = reduceArgs('max', REDUCE_OPTIONS, args[0], args[1]);
  return apply(maxOp, [x], reduceAttrs('max', x, o.axis, o.keepDims));
}

/**
 * Index of the maximum along one axis (i32; first index on ties); without an axis, the index into
 * the flattened tensor (a 0-d result, as torch.argmax(x) and np.argmax(x)).
 * Call forms: `argmax(x)`, `argmax(x, 1)`, `argmax(x, 1, true)`, `argmax(x, { axis, keepDims })`.
 * Not differentiable.
 */
export function argmax(x: Tensor, ...args: ArgmaxArgs): Tensor {
  const o = reduceArgs('argmax', ARGMAX_OPTIONS, args[0], args[1]);
  if (x.disposed) x.buffer('argmax');
  // No axis: the index into the flattened tensor, as torch.argmax(x) and np.argmax(x) (the
  // kernel's index over several reduced axes is the row-major index over them).
  const attrs = reduceAttrs('argmax', x, o.axis, o.keepDims);
  const r = reduceKernel('argmax', x, attrs.axes);
  const out = r.share(keptShape(x.shape, attrs));
  r.dispose();
  return out;
}
