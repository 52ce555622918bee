// Batch normalisation (PyTorch's F.batch_norm) for [N, C] and [N, C, H, W] inputs: one fused
// forward kernel (batch statistics, normalise, scale and shift, running-statistics update in
// place) and one fused backward kernel (dx, dweight, dbias), see shaders/norm.wgsl.
import { ShapeError, ValueError, fmtShape } from '../errors.ts';
import { option, parseOptions } from '../options.ts';
import { keep } from '../memory.ts';
import type { Runtime } from '../gpu/runtime.ts';
import { batchNormBackwardKernel, batchNormForwardKernel } from '../kernels/norm.ts';
import { empty, Tensor } from '../tensor.ts';
import { apply, defineOp } from './op.ts';

export interface BatchNormAttrs {
  /** Batch statistics (and a running-statistics update, when given) vs. the running statistics. */
  training: boolean;
  momentum: number;
  eps: number;
  /** Which of the optional inputs (weight, bias, running mean + var) are real; absent ones are a stand-in. */
  hasWeight: boolean;
  hasBias: boolean;
  hasRunning: boolean;
}

/** Saved for backward. Exported because dist/ops/registry.d.ts names it in OPS's type. */
export interface BatchNormSaved {
  x: Tensor;
  weight: Tensor | null;
  stats: Tensor;
}

// An absent optional input is this one-element constant (per device, never requires grad),
// so the op keeps a fixed arity and its graph node never needs a gradient for it.
const absent = new WeakMap<Runtime, Tensor>();
function absentInput(rt: Runtime): Tensor {
  let t = absent.get(rt);
  if (!t || t.disposed) {
    t = keep(empty([1], 'f32', 'batchNorm.absent'));
    absent.set(rt, t);
  }
  return t;
}

/** Inputs: [x, weight, bias, runningMean, runningVar]. */
export const batchNormOp = defineOp<BatchNormAttrs, BatchNormSaved>({
  name: 'batchNorm',
  arity: 5,
  forward: ([x, w, b, rm, rv], a) => {
    const weight = a.hasWeight ? w : null;
    const { y, stats } = batchNormForwardKernel({
      x, weight, bias: a.hasBias ? b : null,
      runningMean: a.hasRunning ? rm : null, runningVar: a.hasRunning ? rv : null,
      training: a.training, momentum: a.momentum, eps: a.eps,
    });
    return { out: y, saved: { x, weight, stats } };
  },
  backward: (g, { x, weight, stats }, { attrs, needsGrad }) => {
    const { dx, gw, gb } = batchNormBackwardKernel({ x, grad: g, stats, weight, training: attrs.training });
    const keepIf = (t: Tensor, i: number) => (needsGrad[i] ? t : (t.dispose(), null));
    return [keepIf(dx, 0), keepIf(gw, 1), keepIf(gb, 2), null, null];
  },
});

/** Options of `batchNorm(x, ...)`. */
export interface BatchNormOptions {
  /** Use (and update) batch statistics (default false, like F.batch_norm). */
  training?: boolean;
  /** Running-statistics factor: running = (1 - momentum) running + momentum batch (default 0.1). */
  momentum?: number;
  /** Added to the variance before the square root (default 1e-5). */
  eps?: number;
}

const BATCH_NORM_OPTIONS = {
  training: option.boolean({ default: false }),
  momentum: option.number({ min: 0, max: 1, default: 0.1 }),
  eps: option.number({ greaterThan: 0, default: 1e-5 }),
} satisfies Record<keyof BatchNormOptions, unknown>;

function checkVector(name: string, x: Tensor, t: Tensor | null | undefined, c: number): void {
  if (t === null || t === undefined) return;
  if (!(t instanceof Tensor)) throw new ValueError('batchNorm', `${name} must be a Tensor or null, got ${typeof t}`);
  if (t.rank !== 1 || t.shape[0] !== c) {
    throw new ShapeError('batchNorm', [x.shape, t.shape], `${name} must have shape [${c}] (the channels of input ${fmtShape(x.shape)}), got ${fmtShape(t.shape)}`);
  }
}

/**
 * y = (x - mean) / sqrt(var + eps) * weight + bias per channel (axis 1) of a [N, C] or
 * [N, C, H, W] input, as torch.nn.functional.batch_norm. In training mode the statistics are
 * the batch's (biased variance) and the running statistics, when given, are updated in place:
 * running_mean = (1 - momentum) running_mean + momentum mean, running_var likewise with the
 * UNBIASED batch variance. In eval mode the running statistics are used (and required).
 */
export function batchNorm(
  x: Tensor,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  weight: Tensor | null = null,
  bias: Tensor | null = null,
  opts: BatchNormOptions = {},
): Tensor {
  if (!(x instanceof Tensor)) throw new ValueError('batchNorm', `input must be a Tensor, got ${typeof x}`);
  const { training, momentum, eps } = parseOptions('batchNorm', opts, BATCH_NORM_OPTIONS);
  if (x.rank !== 2 && x.rank !== 4) {
    throw new ShapeError('batchNorm', [x.shape], `expected a 2-D [N, C] or 4-D [N, C, H, W] input, got ${x.rank}-D ${fmtShape(x.shape)}`);
  }
  const c = x.shape[1];
  checkVector('runningMean', x, runningMean, c);
  checkVector('runningVar', x, runningVar, c);
  checkVector('weight', x, weight, c);
  checkVector('bias', x, bias, c);
  if ((runningMean == null) !== (runningVar == null)) throw new ValueError('batchNorm', 'give both runningMean and runningVar, or neither');
  const hasRunning = runningMean != null;
  if (!training && !hasRunning) throw new ValueError('batchNorm', 'eval mode (training: false) needs runningMean and runningVar');
  for (const [n, t] of [['runningMean', runningMean], ['runningVar', runningVar]] as const) {
    if (t?.requiresGrad) throw new ValueError('batchNorm', `${n} must not require grad (running statistics are buffers)`);
  }
  const perChannel = x.size / Math.max(c, 1);
  if (training && perChannel <= 1) {
    throw new ValueError('batchNorm', `expected more than 1 value per channel when training, got input ${fmtShape(x.shape)}`);
  }
  const stand = absentInput(x.runtime);
  return apply(batchNormOp, [x, weight ?? stand, bias ?? stand, runningMean ?? stand, runningVar ?? stand], {
    training, momentum, eps, hasWeight: weight != null, hasBias: bias != null, hasRunning,
  });
}
