// Convolution-network layers: Conv2d, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d and Flatten, on
// the conv2d / pooling ops (src/ops/conv.ts, src/ops/pool.ts), with torch.nn's names, defaults
// and state-dict layout (Conv2d.weight [out, in / groups, kH, kW] as in torch, bias [out]).
import { ShapeError, ValueError, fmtShape } from '../errors.ts';
import { conv2d, pairOf, pairOption, pairOptionOr, type Conv2dOptions, type Pair } from '../ops/conv.ts';
import { adaptiveAvgPool2d, avgPool2d, maxPool2d, type AvgPool2dOptions, type MaxPool2dOptions } from '../ops/pool.ts';
import { flatten, reshape } from '../ops/shape.ts';
import { option, parseArg, parseOptions, type OptionsOf } from '../options.ts';
import { zeros, type Tensor } from '../tensor.ts';
import { defaultInit_ } from './init.ts';
import { Module } from './module.ts';

const CONV2D_LAYER_OPTIONS = {
  stride: pairOptionOr(1, 1),
  padding: option.custom<Pair | 'same' | 'valid', { default: number }>(
    "an integer >= 0, a pair [h, w] of them, 'same' or 'valid'",
    (v) => v === 'same' || v === 'valid' || (Number.isInteger(v) && (v as number) >= 0) || (Array.isArray(v) && v.length === 2 && v.every((e) => Number.isInteger(e) && e >= 0)),
    { default: 0 },
  ),
  dilation: pairOptionOr(1, 1),
  groups: option.integer({ default: 1, min: 1 }),
  /** Learn an additive bias (default true). */
  bias: option.boolean({ default: true }),
  /** Seeds the initial weights (PyTorch's default init); default: the global generator (manualSeed). */
  seed: option.integer(),
};
/** Options of `new nn.Conv2d(...)`. */
export type Conv2dLayerOptions = OptionsOf<typeof CONV2D_LAYER_OPTIONS>;

/** torch.nn.Conv2d: y = conv2d(x, weight, bias), weight [out, in / groups, kH, kW]. */
export class Conv2d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  readonly kernelSize: [number, number];
  private readonly conv: Conv2dOptions;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: Pair,
    opts?: Conv2dLayerOptions,
  ) {
    super();
    const o = parseOptions('Conv2d', opts, CONV2D_LAYER_OPTIONS);
    parseArg('Conv2d', 'inChannels', inChannels, option.integer({ min: 1 }));
    parseArg('Conv2d', 'outChannels', outChannels, option.integer({ min: 1 }));
    this.kernelSize = pairOf(parseArg('Conv2d', 'kernelSize', kernelSize, pairOption(1)) as Pair);
    if (inChannels % o.groups || outChannels % o.groups) {
      throw new ValueError('Conv2d', `groups (${o.groups}) must divide inChannels (${inChannels}) and outChannels (${outChannels})`);
    }
    if (o.padding === 'same' && pairOf(o.stride).some((s) => s !== 1)) {
      throw new ValueError('Conv2d', "padding 'same' needs stride 1 (as in PyTorch)");
    }
    this.conv = { stride: o.stride, padding: o.padding, dilation: o.dilation, groups: o.groups };
    this.weight = this.registerParameter('weight', zeros([outChannels, inChannels / o.groups, ...this.kernelSize]));
    this.bias = o.bias ? this.registerParameter('bias', zeros([outChannels])) : null;
    defaultInit_(this.weight, this.bias, o.seed);
  }

  forward(x: Tensor): Tensor {
    return conv2d(x, this.weight, this.bias, this.conv);
  }

  protected override extraRepr(): string {
    const c = this.conv;
    const extra = [
      c.stride !== 1 ? `stride=${JSON.stringify(c.stride)}` : '',
      c.padding !== 0 ? `padding=${JSON.stringify(c.padding)}` : '',
      c.dilation !== 1 ? `dilation=${JSON.stringify(c.dilation)}` : '',
      c.groups !== 1 ? `groups=${c.groups}` : '',
      this.bias ? '' : 'bias=false',
    ].filter(Boolean);
    return `(${this.inChannels}, ${this.outChannels}, kernelSize=[${this.kernelSize.join(', ')}]${extra.map((e) => `, ${e}`).join('')})`;
  }
}

type PoolOptions<O> = Omit<O, 'kernelSize'>;

/** torch.nn.MaxPool2d(kernelSize, { stride = kernelSize, padding, dilation, ceilMode }). */
export class MaxPool2d extends Module {
  private readonly opts: MaxPool2dOptions;
  constructor(kernelSize: Pair, opts: PoolOptions<MaxPool2dOptions> = {}) {
    super();
    this.opts = { ...opts, kernelSize };
    probe(() => maxPool2d, this.opts);
  }
  forward(x: Tensor): Tensor {
    return maxPool2d(x, this.opts);
  }
  protected override extraRepr(): string {
    return `(${JSON.stringify(this.opts).replace(/"/g, '')})`;
  }
}

/** torch.nn.AvgPool2d(kernelSize, { stride = kernelSize, padding, ceilMode, countIncludePad }). */
export class AvgPool2d extends Module {
  private readonly opts: AvgPool2dOptions;
  constructor(kernelSize: Pair, opts: PoolOptions<AvgPool2dOptions> = {}) {
    super();
    this.opts = { ...opts, kernelSize };
    probe(() => avgPool2d, this.opts);
  }
  forward(x: Tensor): Tensor {
    return avgPool2d(x, this.opts);
  }
  protected override extraRepr(): string {
    return `(${JSON.stringify(this.opts).replace(/"/g, '')})`;
  }
}

// A layer's options are checked when it is built, not at its first forward: the pooling
// functions validate their options before looking at the input, so a call on a bad input
// stand-in surfaces option errors (and only those) here.
function probe<O>(fn: () => (x: Tensor, o: O) => Tensor, opts: O): void {
  try {
    fn()(null as unknown as Tensor, opts);
  } catch (e) {
    if (!(e instanceof ValueError && /is not a Tensor/.test(e.message))) throw e;
  }
}

/** torch.nn.AdaptiveAvgPool2d(outputSize): 1 is global average pooling. */
export class AdaptiveAvgPool2d extends Module {
  constructor(readonly outputSize: Pair) {
    super();
    parseArg('AdaptiveAvgPool2d', 'outputSize', outputSize, pairOption(1));
  }
  forward(x: Tensor): Tensor {
    return adaptiveAvgPool2d(x, this.outputSize);
  }
  protected override extraRepr(): string {
    return `(outputSize=${JSON.stringify(this.outputSize)})`;
  }
}

const FLATTEN_OPTIONS = { startDim: option.integer({ default: 1 }), endDim: option.integer({ default: -1 }) };

/** torch.nn.Flatten({ startDim = 1, endDim = -1 }): [N, C, H, W] -> [N, C * H * W] (a view). */
export class Flatten extends Module {
  readonly startDim: number;
  readonly endDim: number;
  constructor(opts?: OptionsOf<typeof FLATTEN_OPTIONS>) {
    super();
    ({ startDim: this.startDim, endDim: this.endDim } = parseOptions('Flatten', opts, FLATTEN_OPTIONS));
  }
  forward(x: Tensor): Tensor {
    return flatten(x, this.startDim, this.endDim);
  }
}

/** torch.nn.Unflatten(dim, sizes): one axis split into `sizes` (e.g. [N, 784] -> [N, 1, 28, 28]), a view. */
export class Unflatten extends Module {
  constructor(
    readonly dim: number,
    readonly sizes: readonly number[],
  ) {
    super();
    parseArg('Unflatten', 'dim', dim, option.integer());
    parseArg('Unflatten', 'sizes', sizes, option.shape());
  }
  forward(x: Tensor): Tensor {
    const d = this.dim < 0 ? this.dim + x.rank : this.dim;
    const n = this.sizes.reduce((a, b) => a * b, 1);
    if (d < 0 || d >= x.rank || x.shape[d] !== n) {
      throw new ShapeError('Unflatten', [x.shape], `dim ${this.dim} of ${fmtShape(x.shape)} must have ${n} elements to unflatten into ${fmtShape(this.sizes)}`);
    }
    return reshape(x, [...x.shape.slice(0, d), ...this.sizes, ...x.shape.slice(d + 1)]);
  }
  protected override extraRepr(): string {
    return `(dim=${this.dim}, sizes=${fmtShape(this.sizes)})`;
  }
}
