// BatchNorm1d / BatchNorm2d and Dropout: the layers whose behaviour depends on train() / eval().
// State-dict names and layouts are torch.nn's: weight, bias, running_mean, running_var and
// num_batches_tracked (an i32 [] tensor here, int64 in torch and in safetensors files).
import { ShapeError, ValueError, fmtShape } from '../errors.ts';
import { countBatchesKernel } from '../kernels/norm.ts';
import { batchNorm } from '../ops/norm.ts';
import { dropout, dropoutFrom } from '../ops/dropout.ts';
import { reshape } from '../ops/shape.ts';
import { option, parseArg, parseOptions, type OptionsOf } from '../options.ts';
import { Rng } from '../random.ts';
import { ones, zeros, type Tensor } from '../tensor.ts';
import { Module } from './module.ts';

const BATCH_NORM_OPTIONS = {
  eps: option.number({ default: 1e-5, greaterThan: 0 }),
  /** running = (1 - momentum) running + momentum batch. PyTorch's momentum=None (cumulative average) is not supported. */
  momentum: option.number({ default: 0.1, min: 0, max: 1 }),
  /** Learnable per-channel weight (ones) and bias (zeros). */
  affine: option.boolean({ default: true }),
  /** Keep running statistics (used in eval mode); without them eval mode uses batch statistics too. */
  trackRunningStats: option.boolean({ default: true }),
};
/** Options of `new nn.BatchNorm2d(...)`. */
export type BatchNormLayerOptions = OptionsOf<typeof BATCH_NORM_OPTIONS>;

abstract class BatchNormBase extends Module {
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;
  readonly runningMean: Tensor | null;
  readonly runningVar: Tensor | null;
  readonly numBatchesTracked: Tensor | null;
  readonly eps: number;
  readonly momentum: number;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;

  constructor(
    readonly numFeatures: number,
    opts: BatchNormLayerOptions | undefined,
    private readonly layer: string,
  ) {
    super();
    if ((opts as { momentum?: unknown } | undefined)?.momentum === null) {
      throw new ValueError(layer, 'momentum null (a cumulative moving average) is not supported; give a number in [0, 1]');
    }
    const o = parseOptions(layer, opts, BATCH_NORM_OPTIONS);
    parseArg(layer, 'numFeatures', numFeatures, option.integer({ min: 1 }));
    ({ eps: this.eps, momentum: this.momentum, affine: this.affine, trackRunningStats: this.trackRunningStats } = o);
    this.weight = o.affine ? this.registerParameter('weight', ones([numFeatures])) : null;
    this.bias = o.affine ? this.registerParameter('bias', zeros([numFeatures])) : null;
    const track = o.trackRunningStats;
    this.runningMean = track ? this.registerBuffer('running_mean', zeros([numFeatures])) : null;
    this.runningVar = track ? this.registerBuffer('running_var', ones([numFeatures])) : null;
    this.numBatchesTracked = track ? this.registerBuffer('num_batches_tracked', zeros([], { dtype: 'i32' })) : null;
  }

  /** The input as [N, C] or [N, C, H, W] for the op (BatchNorm1d's [N, C, L] becomes [N, C, L, 1]). */
  protected abstract asOpInput(x: Tensor): Tensor;

  forward(x: Tensor): Tensor {
    const v = this.asOpInput(x);
    if (v.shape[1] !== this.numFeatures) {
      throw new ShapeError(this.layer, [x.shape], `expected ${this.numFeatures} channels (axis 1), got input ${fmtShape(x.shape)}`);
    }
    // As torch: batch statistics in training mode (updating the running ones), the running
    // statistics in eval mode, and batch statistics always when none are kept.
    const updating = this.training && this.trackRunningStats;
    const y = batchNorm(v, this.runningMean, this.runningVar, this.weight, this.bias, {
      training: this.training || !this.trackRunningStats,
      momentum: this.momentum,
      eps: this.eps,
    });
    if (updating) countBatchesKernel(this.numBatchesTracked!);
    if (v === x) return y;
    v.dispose();
    const out = reshape(y, x.shape);
    y.dispose();
    return out;
  }

  protected override extraRepr(): string {
    return `(${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum}, affine=${this.affine}, trackRunningStats=${this.trackRunningStats})`;
  }
}

/** torch.nn.BatchNorm1d over [N, C] or [N, C, L] inputs. */
export class BatchNorm1d extends BatchNormBase {
  constructor(numFeatures: number, opts?: BatchNormLayerOptions) {
    super(numFeatures, opts, 'BatchNorm1d');
  }
  protected asOpInput(x: Tensor): Tensor {
    if (x.rank === 2) return x;
    if (x.rank === 3) return reshape(x, [...x.shape, 1]);
    throw new ShapeError('BatchNorm1d', [x.shape], `expected 2-D [N, C] or 3-D [N, C, L] input, got ${x.rank}-D ${fmtShape(x.shape)}`);
  }
}

/** torch.nn.BatchNorm2d over [N, C, H, W] inputs. */
export class BatchNorm2d extends BatchNormBase {
  constructor(numFeatures: number, opts?: BatchNormLayerOptions) {
    super(numFeatures, opts, 'BatchNorm2d');
  }
  protected asOpInput(x: Tensor): Tensor {
    if (x.rank !== 4) throw new ShapeError('BatchNorm2d', [x.shape], `expected 4-D [N, C, H, W] input, got ${x.rank}-D ${fmtShape(x.shape)}`);
    return x;
  }
}

const DROPOUT_LAYER_OPTIONS = {
  /** Seeds this layer's own stream of masks (each forward draws the next); default: the global generator. */
  seed: option.integer(),
};

/** torch.nn.Dropout(p = 0.5): inverted dropout in training mode, the identity in eval mode. */
export class Dropout extends Module {
  private readonly rng: Rng | null;
  constructor(
    readonly p = 0.5,
    opts?: OptionsOf<typeof DROPOUT_LAYER_OPTIONS>,
  ) {
    super();
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new ValueError('Dropout', `dropout probability has to be between 0 and 1, but got ${String(p)}`);
    const { seed } = parseOptions('Dropout', opts, DROPOUT_LAYER_OPTIONS);
    this.rng = seed === undefined ? null : new Rng(seed);
  }
  forward(x: Tensor): Tensor {
    if (!this.training) return x;
    const rng = this.rng;
    return rng ? dropoutFrom(x, this.p, () => rng.nextU32() + (rng.nextU32() & 0x1fffff) * 2 ** 32) : dropout(x, this.p);
  }
  protected override extraRepr(): string {
    return `(p=${this.p})`;
  }
}
