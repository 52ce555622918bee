// conv2d (PyTorch F.conv2d): x [N, C, H, W], w [O, C / groups, kH, kW], optional b [O].
//   y[n, o, oh, ow] = b[o] + sum_{cg, ky, kx} w[o, cg, ky, kx] * x[n, g*Cg + cg, oh*sH - pH + ky*dH, ow*sW - pW + kx*dW]
// with g = o / (O / groups) and zeros outside x. Gradients: dx (col2im gather), dw, db; the
// algorithm (im2col + the matmul kernels) is in src/kernels/conv.ts. padding 'same' pads
// d*(k-1) in total per axis, the smaller half first, as PyTorch does (stride 1 only).
import { ShapeError, ValueError, fmtShape } from '../errors.ts';
import type { Tensor } from '../tensor.ts';
import { conv2dBackwardKernel, conv2dForwardKernel, type ConvGeometry } from '../kernels/conv.ts';
import { option, parseOptions } from '../options.ts';
import { apply, defineOp } from './op.ts';

export type Pair = number | [number, number];

/** Options of `conv2d(x, weight, bias, opts)`: stride, padding, dilation, groups as PyTorch. */
export interface Conv2dOptions {
  /** Step between windows (default 1). */
  stride?: Pair;
  /** Zeros added on both sides of each spatial axis, or 'valid' (0) / 'same' (output size = input size, stride 1). Default 0. */
  padding?: Pair | 'same' | 'valid';
  /** Spacing between kernel taps (default 1). */
  dilation?: Pair;
  /** Input and output channels split into this many independent groups (default 1; groups = C is depthwise). */
  groups?: number;
}

/** conv2d's attributes: everything resolved except the input sizes. */
export interface Conv2dAttrs {
  stride: [number, number];
  /** [top, bottom, left, right] zeros (asymmetric only for 'same' with an even span). */
  padding: [number, number, number, number];
  dilation: [number, number];
  groups: number;
}

const isPair = (v: unknown, min: number): boolean =>
  (Number.isInteger(v) && (v as number) >= min) ||
  (Array.isArray(v) && v.length === 2 && v.every((e) => Number.isInteger(e) && e >= min));

const pairExpected = (min: number) => `an integer >= ${min} or a pair [h, w] of them`;

/** A spatial option without a default: an integer >= min, or a pair [h, w] of them. */
export const pairOption = (min: number) => option.custom<Pair>(pairExpected(min), (v) => isPair(v, min));

/** The same with a default. */
export const pairOptionOr = (min: number, def: number) =>
  option.custom<Pair, { default: number }>(pairExpected(min), (v) => isPair(v, min), { default: def });

/** [h, w] from a validated Pair. */
export const pairOf = (p: Pair): [number, number] => (typeof p === 'number' ? [p, p] : [p[0], p[1]]);

const CONV2D_OPTIONS = {
  stride: pairOptionOr(1, 1),
  padding: option.custom<Pair | 'same' | 'valid', { default: number }>(
    "an integer >= 0, a pair [h, w] of them, 'same' or 'valid'",
    (v) => v === 'same' || v === 'valid' || isPair(v, 0),
    { default: 0 },
  ),
  dilation: pairOptionOr(1, 1),
  groups: option.integer({ default: 1, min: 1 }),
};

export function conv2dAttrs(w: readonly number[], opts: Conv2dOptions | undefined): Conv2dAttrs {
  const o = parseOptions('conv2d', opts, CONV2D_OPTIONS);
  const stride = pairOf(o.stride);
  const dilation = pairOf(o.dilation);
  let padding: [number, number, number, number];
  if (o.padding === 'same') {
    if (stride[0] !== 1 || stride[1] !== 1) throw new ValueError('conv2d', `padding 'same' needs stride 1, got stride [${stride.join(', ')}]`);
    const half = (total: number): [number, number] => [Math.floor(total / 2), total - Math.floor(total / 2)];
    padding = [...half(dilation[0] * ((w[2] ?? 1) - 1)), ...half(dilation[1] * ((w[3] ?? 1) - 1))];
  } else {
    const [ph, pw] = o.padding === 'valid' ? [0, 0] : pairOf(o.padding);
    padding = [ph, ph, pw, pw];
  }
  return { stride, padding, dilation, groups: o.groups };
}

/** Check the shapes against the attributes and resolve the geometry (throws before any work). */
export function conv2dGeometry(x: readonly number[], w: readonly number[], b: readonly number[] | null, a: Conv2dAttrs): ConvGeometry {
  const op = 'conv2d';
  const shapes = b ? [x, w, b] : [x, w];
  if (x.length !== 4) throw new ShapeError(op, shapes, `input must be 4-D [N, C, H, W], got a ${x.length}-D input`);
  if (w.length !== 4) throw new ShapeError(op, shapes, `weight must be 4-D [O, C / groups, kH, kW], got a ${w.length}-D weight`);
  const [N, C, H, W] = x;
  const [O, Cg, kH, kW] = w;
  if ([N, C, H, W, O, Cg, kH, kW].some((d) => d < 1)) throw new ShapeError(op, shapes, 'every dimension of input and weight must be >= 1');
  const G = a.groups;
  if (C % G !== 0 || O % G !== 0) {
    throw new ShapeError(op, shapes, `groups = ${G} must divide both the input channels (${C}) and the output channels (${O})`);
  }
  if (Cg * G !== C) {
    throw new ShapeError(op, shapes, `weight ${fmtShape(w)} expects ${Cg * G} input channels (C / groups = ${Cg}, groups = ${G}), but the input has ${C}`);
  }
  if (b && (b.length !== 1 || b[0] !== O)) throw new ShapeError(op, shapes, `bias must be [${O}] (one per output channel)`);
  const [pt, pb, pl, pr] = a.padding;
  const spanH = a.dilation[0] * (kH - 1) + 1;
  const spanW = a.dilation[1] * (kW - 1) + 1;
  if (spanH > H + pt + pb || spanW > W + pl + pr) {
    throw new ShapeError(op, shapes, `kernel span ${spanH} x ${spanW} (kernel ${kH} x ${kW}, dilation [${a.dilation.join(', ')}]) is larger than the padded input ${H + pt + pb} x ${W + pl + pr}`);
  }
  const OH = Math.floor((H + pt + pb - spanH) / a.stride[0]) + 1;
  const OW = Math.floor((W + pl + pr - spanW) / a.stride[1]) + 1;
  return { N, C, H, W, O, groups: G, kH, kW, stride: a.stride, padding: [pt, pl], dilation: a.dilation, OH, OW };
}

type Saved = { x: Tensor; w: Tensor };

/** conv2d with a bias (three inputs) or without (two): one op each, so every input is a tensor. */
function convOp(name: 'conv2d' | 'conv2dNoBias', withBias: boolean) {
  return defineOp<Conv2dAttrs, Saved>({
    name,
    arity: withBias ? 3 : 2,
    forward: ([x, w, b], attrs) => {
      const g = conv2dGeometry(x.shape, w.shape, withBias ? b.shape : null, attrs);
      return { out: conv2dForwardKernel(x, w, withBias ? b : null, g), saved: { x, w } };
    },
    backward: (dy, { x, w }, { attrs, needsGrad }) => {
      const g = conv2dGeometry(x.shape, w.shape, null, attrs);
      const r = conv2dBackwardKernel(dy, x, w, g, { dx: needsGrad[0], dw: needsGrad[1], db: withBias && needsGrad[2] });
      return withBias ? [r.dx, r.dw, r.db] : [r.dx, r.dw];
    },
  });
}

export const conv2dOp = convOp('conv2d', true);
export const conv2dNoBiasOp = convOp('conv2dNoBias', false);

/**
 * 2-D convolution with PyTorch's F.conv2d semantics: x [N, C, H, W], w [O, C / groups, kH, kW],
 * b [O] or null. Bad shapes or options throw ShapeError / ValueError before any work is queued.
 */
export function conv2d(x: Tensor, w: Tensor, b?: Tensor | null, opts?: Conv2dOptions): Tensor {
  const attrs = conv2dAttrs(w?.shape ?? [], opts);

  return b ? apply(conv2dOp, [x, w, b], attrs) : apply(conv2dNoBiasOp, [x, w], attrs);
}
