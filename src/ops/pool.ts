// Pooling (PyTorch F.max_pool2d, F.avg_pool2d, F.adaptive_avg_pool2d) over [N, C, H, W] or
// unbatched [C, H, W] inputs. Output size per axis, as PyTorch's pooling_output_shape:
//   out = floor((in + 2p - d(k-1) - 1 + (ceilMode ? s-1 : 0)) / s) + 1, minus one when
//   ceilMode makes the last window start beyond the input and its left padding.
// Max pooling keeps the index of each window's first maximum (NaN wins) and routes the whole
// gradient there, as PyTorch; the backward kernels gather (see shaders/pool.wgsl).
import { ShapeError, ValueError } from '../errors.ts';
import type { Tensor } from '../tensor.ts';
import { avgPoolGradKernel, avgPoolKernel, maxPoolGradKernel, maxPoolKernel, type PoolGeometry } from '../kernels/pool.ts';
import { option, parseOptions, type OptionsOf } from '../options.ts';
import { pairOf, pairOption, pairOptionOr } from './conv.ts';
import { apply, defineOp } from './op.ts';

export interface PoolAttrs {
  kernel: [number, number];
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
  ceilMode: boolean;
  countIncludePad: boolean;
}

const MAX_POOL_OPTIONS = {
  kernelSize: pairOption(1),
  stride: pairOption(1),
  padding: pairOptionOr(0, 0),
  dilation: pairOptionOr(1, 1),
  ceilMode: option.boolean({ default: false }),
};
const AVG_POOL_OPTIONS = {
  kernelSize: pairOption(1),
  stride: pairOption(1),
  padding: pairOptionOr(0, 0),
  ceilMode: option.boolean({ default: false }),
  countIncludePad: option.boolean({ default: true }),
};
/** kernelSize is required; stride defaults to kernelSize. */
export type MaxPool2dOptions = OptionsOf<typeof MAX_POOL_OPTIONS> & { kernelSize: number | [number, number] };
/** Options of `avgPool2d(x, opts)`. */
export type AvgPool2dOptions = OptionsOf<typeof AVG_POOL_OPTIONS> & { kernelSize: number | [number, number] };

function poolAttrs(op: string, o: { kernelSize?: number | [number, number]; stride?: number | [number, number]; padding: number | [number, number]; dilation?: number | [number, number]; ceilMode: boolean; countIncludePad?: boolean }): PoolAttrs {
  if (o.kernelSize === undefined) throw new ValueError(op, "option 'kernelSize' is required");
  const kernel = pairOf(o.kernelSize);
  const padding = pairOf(o.padding);
  if (padding[0] > kernel[0] / 2 || padding[1] > kernel[1] / 2) {
    throw new ValueError(op, `padding [${padding.join(', ')}] must be at most half the kernel size [${kernel.join(', ')}]`);
  }
  return {
    kernel,
    stride: o.stride === undefined ? kernel : pairOf(o.stride),
    padding,
    dilation: o.dilation === undefined ? [1, 1] : pairOf(o.dilation),
    ceilMode: o.ceilMode,
    countIncludePad: o.countIncludePad ?? true,
  };
}

function outSize(size: number, k: number, s: number, p: number, d: number, ceil: boolean): number {
  let out = Math.floor((size + 2 * p - d * (k - 1) - 1 + (ceil ? s - 1 : 0)) / s) + 1;
  if (ceil && (out - 1) * s >= size + p) out--;
  return out;
}

/** The planes view of a 3-D or 4-D input. */
function planesOf(op: string, x: readonly number[]): { planes: number; H: number; W: number } {
  if (x.length !== 3 && x.length !== 4) throw new ShapeError(op, [x], 'expected a 4-D [N, C, H, W] or 3-D [C, H, W] input');
  if (x.some((d) => d < 1)) throw new ShapeError(op, [x], 'every dimension must be >= 1');
  const [H, W] = x.slice(-2);
  return { planes: x.slice(0, -2).reduce((a, b) => a * b, 1), H, W };
}

export function poolGeometry(op: string, x: readonly number[], a: PoolAttrs): { g: PoolGeometry; outShape: number[] } {
  const { planes, H, W } = planesOf(op, x);
  const OH = outSize(H, a.kernel[0], a.stride[0], a.padding[0], a.dilation[0], a.ceilMode);
  const OW = outSize(W, a.kernel[1], a.stride[1], a.padding[1], a.dilation[1], a.ceilMode);
  if (OH < 1 || OW < 1) {
    throw new ShapeError(op, [x], `kernel [${a.kernel.join(', ')}] (dilation [${a.dilation.join(', ')}]) is larger than the padded input ${H + 2 * a.padding[0]} x ${W + 2 * a.padding[1]}`);
  }
  const g = { planes, H, W, OH, OW, kernel: a.kernel, stride: a.stride, padding: a.padding, dilation: a.dilation, countIncludePad: a.countIncludePad };
  return { g, outShape: [...x.slice(0, -2), OH, OW] };
}

export const maxPool2dOp = defineOp<PoolAttrs, { idx: Tensor }>({
  name: 'maxPool2d',
  arity: 1,
  forward: ([x], attrs) => {
    const { g, outShape } = poolGeometry('maxPool2d', x.shape, attrs);
    const { y, idx } = maxPoolKernel(x, g, outShape);
    return { out: y, saved: { idx } };
  },
  backward: (dy, { idx }, { attrs, inputs }) => [maxPoolGradKernel(dy, idx, poolGeometry('maxPool2d', inputs[0].shape, attrs).g, inputs[0].shape)],
});

export const avgPool2dOp = defineOp<PoolAttrs, undefined>({
  name: 'avgPool2d',
  arity: 1,
  forward: ([x], attrs) => {
    const { g, outShape } = poolGeometry('avgPool2d', x.shape, attrs);
    return { out: avgPoolKernel(x, g, outShape, false), saved: undefined };
  },
  backward: (dy, _s, { attrs, inputs }) => [avgPoolGradKernel(dy, poolGeometry('avgPool2d', inputs[0].shape, attrs).g, inputs[0].shape, false)],
});

export interface AdaptiveAttrs {
  outputSize: [number, number];
}

function adaptiveGeometry(x: readonly number[], { outputSize: [OH, OW] }: AdaptiveAttrs): { g: PoolGeometry; outShape: number[] } {
  const { planes, H, W } = planesOf('adaptiveAvgPool2d', x);
  const g = { planes, H, W, OH, OW, kernel: [1, 1], stride: [1, 1], padding: [0, 0], dilation: [1, 1], countIncludePad: false } satisfies PoolGeometry;
  return { g, outShape: [...x.slice(0, -2), OH, OW] };
}

export const adaptiveAvgPool2dOp = defineOp<AdaptiveAttrs, undefined>({
  name: 'adaptiveAvgPool2d',
  arity: 1,
  forward: ([x], attrs) => {
    const { g, outShape } = adaptiveGeometry(x.shape, attrs);
    return { out: avgPoolKernel(x, g, outShape, true), saved: undefined };
  },
  backward: (dy, _s, { attrs, inputs }) => [avgPoolGradKernel(dy, adaptiveGeometry(inputs[0].shape, attrs).g, inputs[0].shape, true)],
});

/** Max pooling (PyTorch F.max_pool2d): stride defaults to kernelSize; ties and NaN as PyTorch. */
export function maxPool2d(x: Tensor, opts: MaxPool2dOptions): Tensor {
  const attrs = poolAttrs('maxPool2d', parseOptions('maxPool2d', opts, MAX_POOL_OPTIONS));
  return apply(maxPool2dOp, [x], attrs);
}

/** Average pooling (PyTorch F.avg_pool2d): stride defaults to kernelSize, countIncludePad to true. */
export function avgPool2d(x: Tensor, opts: AvgPool2dOptions): Tensor {
  const attrs = poolAttrs('avgPool2d', parseOptions('avgPool2d', opts, AVG_POOL_OPTIONS));
  return apply(avgPool2dOp, [x], attrs);
}

/** Adaptive average pooling to `outputSize` (PyTorch F.adaptive_avg_pool2d; 1 = global). */
export function adaptiveAvgPool2d(x: Tensor, outputSize: number | [number, number]): Tensor {
  const ok = (v: unknown) => Number.isInteger(v) && (v as number) >= 1;
  if (!(ok(outputSize) || (Array.isArray(outputSize) && outputSize.length === 2 && outputSize.every(ok)))) {
    throw new ValueError('adaptiveAvgPool2d', `outputSize must be an integer >= 1 or a pair [h, w] of them, got ${JSON.stringify(outputSize)}`);
  }
  return apply(adaptiveAvgPool2dOp, [x], { outputSize: pairOf(outputSize) });
}
