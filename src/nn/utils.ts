// torch.nn.utils: clipGradNorm (clip_grad_norm_), on the GPU without a readback.
import { ValueError } from '../errors.ts';
import { option, parseOptions, describeValue, type OptionsOf } from '../options.ts';
import { Tensor, zeros } from '../tensor.ts';
import { clipGradNormKernel } from '../kernels/gradnorm.ts';
import { checkedGrad, namedParams, type ParamSource } from '../optim/optimizer.ts';

const CLIP_OPTIONS = {
  /** The norm's order: a number > 0, or Infinity / 'inf' for the largest |g| (default 2). */
  normType: option.custom<number | 'inf', { default: 2 }>(
    "a number > 0, Infinity or 'inf'",
    (v) => v === 'inf' || (typeof v === 'number' && v > 0),
    { default: 2 },
  ),
  /** Throw when the total norm is NaN or Inf, leaving the gradients unchanged (needs a readback: the call returns a Promise). */
  errorIfNonfinite: option.boolean({ default: false }),
};
/** `{ normType, errorIfNonfinite }`, the options of torch.nn.utils.clip_grad_norm_ (camelCase). */
export type ClipGradNormOptions = OptionsOf<typeof CLIP_OPTIONS>;

/**
 * Scales the gradients of `params` in place so that their total norm is at most `maxNorm`, as
 * torch.nn.utils.clip_grad_norm_: total = the `normType` norm of all gradients together (the
 * norm of the per-tensor norms), every gradient is multiplied by min(1, maxNorm / (total +
 * 1e-6)), and the total norm (before clipping) is returned as a 0-d tensor. Parameters without
 * a gradient are skipped (none at all: a 0 norm, nothing scaled).
 *
 * Everything runs on the GPU and is only recorded: one partial-sum kernel per gradient, one
 * single-workgroup pass for the total and the factor, one scaling kernel per gradient; no float
 * atomics (the same gradients give the same bits every run) and no readback, so a captured
 * training step can include it. A NaN or Inf norm makes every gradient NaN (or 0), as in PyTorch,
 * unless `errorIfNonfinite: true`: then the gradients are left unchanged and the returned Promise
 * rejects with a ValueError (this reads the norm back, so it cannot be captured).
 *
 * ```ts
 * loss.backward();
 * const norm = clipGradNorm(model.parameters(), 1.0); // nanoGPT's grad_clip
 * opt.step();
 * ```
 */
export function clipGradNorm(params: ParamSource | Tensor, maxNorm: number, options?: ClipGradNormOptions & { errorIfNonfinite?: false }): Tensor;
export function clipGradNorm(params: ParamSource | Tensor, maxNorm: number, options: ClipGradNormOptions & { errorIfNonfinite: true }): Promise<Tensor>;
export function clipGradNorm(params: ParamSource | Tensor, maxNorm: number, options?: ClipGradNormOptions): Tensor | Promise<Tensor>;
export function clipGradNorm(params: ParamSource | Tensor, maxNorm: number, options?: ClipGradNormOptions): Tensor | Promise<Tensor> {
  const op = 'clipGradNorm';
  const o = parseOptions(op, options, CLIP_OPTIONS);
  if (typeof maxNorm !== 'number' || !(maxNorm >= 0) || !Number.isFinite(maxNorm)) {
    throw new ValueError(op, `maxNorm must be a finite number >= 0, got ${describeValue(maxNorm)}`);
  }
  const normType = o.normType === 'inf' ? Infinity : o.normType;
  const named = namedParams(op, params instanceof Tensor ? [params] : params);
  const grads: Tensor[] = [];
  for (const p of named) {
    const g = checkedGrad(op, p);
    if (g) grads.push(g);
  }
  if (grads.length > 0 && grads.some((g) => g.runtime !== grads[0].runtime)) throw new ValueError(op, 'the gradients live on different devices');
  if (o.errorIfNonfinite && grads[0]?.runtime.capturing) {
    throw new ValueError(op, 'errorIfNonfinite reads the norm back, which a captured step cannot do; pass errorIfNonfinite: false inside capture()');
  }
  // Empty gradients add nothing to the norm (and have nothing to scale).
  const nonEmpty = grads.filter((g) => g.size > 0);
  const norm = nonEmpty.length
    ? clipGradNormKernel({ grads: nonEmpty, normType, maxNorm, skipNonfinite: o.errorIfNonfinite, label: op })
    : zeros([], { label: `${op}.norm` });
  if (!o.errorIfNonfinite) return norm;
  return norm.item().then((v) => {
    if (!Number.isFinite(v)) {
      norm.dispose();
      throw new ValueError(op, `the total norm of order ${normType} of the gradients is ${v}; the gradients were left unchanged (errorIfNonfinite: true)`);
    }
    return norm;
  });
}
