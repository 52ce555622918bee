// scaledDotProductAttention (PyTorch F.scaled_dot_product_attention) on [B, H, T, D] as fused
// kernels (shaders/attention.wgsl): the forward keeps a running max and sum per query row
// (online softmax) and saves only the row logsumexp, never the [T, S] scores; the backward
// recomputes the scores from q, k and that statistic (dQ per query row, dK / dV per key row:
// gathers, no atomics, deterministic). The composite matmul -> mask -> softmax -> matmul is
// what it is checked against (test/ops-attention.test.ts) and the float64 reference is
// src/check/reference/attention.ts.
//
// Mask convention: a boolean mask as `where` takes one (f32 or i32, any nonzero value, NaN
// included, means "attend"), PyTorch's bool attn_mask; broadcastable to [B, H, T, S]. It is data
// and never gets a gradient. An additive float mask is not accepted: write `where(mask, ...)`
// beforehand or use the composite. A query row with no key left gives NaN (as the composite).
import { DTypeError, DisposedTensorError, ShapeError, ValueError, fmtShape } from '../errors.ts';
import { option, parseOptions, type OptionsOf } from '../options.ts';
import { Tensor } from '../tensor.ts';
import { ATTENTION_MAX_HEAD_DIM, attentionBackwardKernel, attentionForwardKernel, type AttentionDims } from '../kernels/attention.ts';
import { apply, defineOp, type OpDef } from './op.ts';

export interface AttentionAttrs {
  /** The factor on q . k (default 1 / sqrt(D)). */
  scale: number;
  /** Key j is seen by query row i only for j <= i (top-left aligned, as PyTorch's is_causal). */
  causal: boolean;
  /** Whether a fourth input, the boolean mask, is present. */
  mask: boolean;
}

/** Saved for backward. Exported because dist/ops/registry.d.ts names it in OPS's type. */
export interface AttentionSaved {
  q: Tensor;
  k: Tensor;
  v: Tensor;
  mask: Tensor | null;
  out: Tensor;
  /** [B, H, T] row logsumexp of the scaled, masked scores. */
  lse: Tensor;
}

function dims(q: { shape: readonly number[] }, k: { shape: readonly number[] }, v: { shape: readonly number[] }, attrs: AttentionAttrs): AttentionDims {
  const [b, h, t, d] = q.shape;
  return { b, h, t, s: k.shape[2], d, dv: v.shape[3], scale: attrs.scale, causal: attrs.causal };
}

/** inputs: q, k, v and (attrs.mask) the mask; out: [B, H, T, Dv]. */
export const scaledDotProductAttentionOp = defineOp<AttentionAttrs, AttentionSaved>({
  name: 'scaledDotProductAttention',
  arity: 3,
  intInputs: [3],
  forward: ([q, k, v, m], attrs) => {
    const mask = attrs.mask ? m : null;
    const { out, lse } = attentionForwardKernel(q, k, v, mask, dims(q, k, v, attrs));
    return { out, saved: { q, k, v, mask, out, lse } };
  },
  backward: (g, { q, k, v, mask, out, lse }, { attrs, needsGrad }) => {
    const { dq, dk, dv } = attentionBackwardKernel(q, k, v, mask, out, lse, g, dims(q, k, v, attrs), needsGrad);
    return attrs.mask ? [dq, dk, dv, null] : [dq, dk, dv];
  },
});

const withMask: OpDef<AttentionAttrs, AttentionSaved> = { ...scaledDotProductAttentionOp, arity: 4 };

// ------------------------------------------------------------------------ public function

const isMask = (v: unknown): boolean => v === null || v instanceof Tensor;
const ATTENTION_OPTIONS = {
  causal: option.boolean({ default: false, aliases: ['isCausal'] }),
  mask: option.custom<Tensor | null>('a boolean-like (f32 or i32) Tensor or null', isMask, { aliases: ['attnMask'] }),
  scale: option.number(),
};
/** Options of `scaledDotProductAttention(q, k, v, opts)`. */
export type AttentionOptions = OptionsOf<typeof ATTENTION_OPTIONS>;

function checkTensor(op: string, name: string, t: unknown): asserts t is Tensor {
  if (!(t instanceof Tensor)) throw new ValueError(op, `${name} is not a Tensor (got ${typeof t})`);
  if (t.disposed) throw new DisposedTensorError(op, `${name}: ${t.describe()}`);
}

/** Every check before any GPU work: shapes, head dims, the mask's dtype and broadcast. */
function check(op: string, q: Tensor, k: Tensor, v: Tensor, mask: Tensor | null, causal: boolean): void {
  const named = [['q', q], ['k', k], ['v', v]] as const;
  for (const [name, t] of named) checkTensor(op, name, t);
  const shapes = [q.shape, k.shape, v.shape];
  for (const [name, t] of named) {
    if (t.dtype !== 'f32') throw new DTypeError(op, `${name} must be f32, got ${t.dtype} tensor of shape ${fmtShape(t.shape)}`);
    if (t.rank !== 4) throw new ShapeError(op, shapes, `${name} must be 4-D [B, H, T, D], got ${fmtShape(t.shape)}`);
  }
  const [b, h, t, d] = q.shape;
  const [kb, kh, s, kd] = k.shape;
  const [vb, vh, vs, dv] = v.shape;
  if (kb !== b || vb !== b || kh !== h || vh !== h) {
    throw new ShapeError(op, shapes, `q, k and v must share batch and heads [B, H] = ${fmtShape([b, h])}`);
  }
  if (kd !== d) throw new ShapeError(op, shapes, `head dims differ: q has D = ${d}, k has D = ${kd}`);
  if (vs !== s) throw new ShapeError(op, shapes, `k and v must have the same sequence length, got ${s} and ${vs}`);
  for (const [name, n] of [['D', d], ['Dv', dv]] as const) {
    if (n < 1 || n > ATTENTION_MAX_HEAD_DIM) {
      throw new ShapeError(op, shapes, `head dim ${name} = ${n}: the fused kernels take 1 to ${ATTENTION_MAX_HEAD_DIM}`);
    }
  }
  if (!mask) return;
  checkTensor(op, 'mask', mask);
  if (causal) throw new ValueError(op, `causal and mask together are not allowed (as PyTorch's is_causal with attn_mask); fold the causal triangle into the mask`);
  const full = [b, h, t, s];
  const fits = mask.rank <= 4 && mask.shape.every((n, i) => n === 1 || n === full[4 - mask.rank + i]);
  if (!fits) {
    throw new ShapeError(op, [...shapes, mask.shape], `mask ${fmtShape(mask.shape)} must broadcast to [B, H, T, S] = ${fmtShape(full)}`);
  }
}

/**
 * Scaled dot-product attention (torch.nn.functional.scaled_dot_product_attention without
 * dropout): softmax(q k^T * scale + masking) v over q [B, H, T, D], k [B, H, S, D],
 * v [B, H, S, Dv], giving [B, H, T, Dv]. `causal` keeps keys j <= i; `mask` is boolean-like
 * (nonzero = attend, f32 or i32) and broadcasts to [B, H, T, S]; the two are exclusive.
 * `scale` defaults to 1 / sqrt(D). D and Dv up to 128.
 */
export function scaledDotProductAttention(q: Tensor, k: Tensor, v: Tensor, opts?: AttentionOptions): Tensor {
  const op = 'scaledDotProductAttention';
  const { causal, mask, scale } = parseOptions(op, opts, ATTENTION_OPTIONS);
  const m = mask ?? null;
  check(op, q, k, v, m, causal);
  const attrs: AttentionAttrs = { scale: scale ?? 1 / Math.sqrt(q.shape[3]), causal, mask: m !== null };
  return m ? apply(withMask, [q, k, v, m], attrs) : apply(scaledDotProductAttentionOp, [q, k, v], attrs);
}
