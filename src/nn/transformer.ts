// nn.MultiheadAttention (torch.nn.MultiheadAttention's parameters, defaults and masks) and the
// attention core it shares with the GPT (src/models/gpt.ts): the fused scaledDotProductAttention
// kernel when it can (no mask, a boolean mask, causal), the composite matmul-softmax-matmul
// path when the result needs what the kernel does not do (an additive float mask, dropout on
// the attention weights, or the weights themselves).
import { ShapeError, ValueError, fmtShape } from '../errors.ts';
import { scaledDotProductAttention } from '../ops/attention.ts';
import { add, mul } from '../ops/elementwise.ts';
import { linear } from '../ops/linear.ts';
import { matmul } from '../ops/matmul.ts';
import { mean } from '../ops/reduce.ts';
import { permute, reshape } from '../ops/shape.ts';
import { chunk, narrow } from '../ops/slice.ts';
import { softmax } from '../ops/softmax.ts';
import { maskedFill, triu, where } from '../ops/where.ts';
import { tidy } from '../memory.ts';
import { sameShape } from '../shape.ts';
import { option, parseArg, parseOptions, type OptionsOf } from '../options.ts';
import { drawSeed } from '../random.ts';
import { Tensor, ones, zeros } from '../tensor.ts';
import { defaultInit_, normal_, xavierUniform_, zeros_ } from './init.ts';
import { Linear } from './layers.ts';
import { Module } from './module.ts';
import { Dropout } from './norm.ts';

/** x [..., in] W [in, out] (+ b) -> [..., out]: a Linear on the last axis (nn.Linear flattens rank > 2 instead). */
export function project(op: string, x: Tensor, w: Tensor, b: Tensor | null): Tensor {
  const inF = w.shape[0];
  const outF = w.shape[1];
  if (x.rank < 1 || x.shape[x.rank - 1] !== inF) {
    throw new ShapeError(op, [x.shape, w.shape], `input has last dim ${x.shape[x.rank - 1]} but the projection expects ${inF} features`);
  }
  return tidy(() => {
    const flat = x.rank === 2 ? x : reshape(x, [-1, inF]);
    const y = b ? linear(flat, w, b) : matmul(flat, w);
    return x.rank === 2 ? y : reshape(y, [...x.shape.slice(0, -1), outF]);
  });
}

/** An nn.Linear (or a bias-free one) applied on the last axis of input of any rank >= 1. */
export function applyLinear(op: string, m: Linear | BiaslessLinear, x: Tensor): Tensor {
  return project(op, x, m.weight, m instanceof Linear ? m.bias : null);
}

/**
 * torch.nn.Linear(in, out, bias=False): weight only, stored [in, out] like nn.Linear's (the
 * transpose of torch's [out, in]; checkpoints hold torch's layout). Applied on the last axis.
 * Default init PyTorch's (U(+-1/sqrt(in))), or N(0, std^2) with `std`.
 */
export class BiaslessLinear extends Module {
  readonly weight: Tensor;
  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    opts: { std?: number; seed?: number } = {},
  ) {
    super();
    this.weight = this.registerParameter('weight', zeros([inFeatures, outFeatures]), { torchTransposed: true });
    if (opts.std === undefined) defaultInit_(this.weight, null, opts.seed);
    else normal_(this.weight, { std: opts.std, seed: opts.seed });
  }
  forward(x: Tensor): Tensor {
    return project('Linear', x, this.weight, null);
  }
  protected override extraRepr(): string {
    return `(in=${this.inFeatures}, out=${this.outFeatures}, bias=false)`;
  }
}

/** How `attend` masks and regularises the scores of q [B, H, T, D] against k [B, H, S, D]. */
export interface AttendOptions {
  /** Keys j <= i only (top-left aligned, as PyTorch's is_causal). */
  causal?: boolean;
  /** Boolean-like, nonzero = attend (F.scaled_dot_product_attention's bool mask), broadcast to [B, H, T, S]. */
  attendMask?: Tensor | null;
  /** Added to the scaled scores (torch's float attn_mask), broadcast to [B, H, T, S]. */
  additiveMask?: Tensor | null;
  /** Dropout on the attention weights, when this layer is in training mode with p > 0. */
  dropout?: Dropout | null;
  /** Return the attention weights [B, H, T, S] too (composite path). */
  needWeights?: boolean;
}

/**
 * softmax(q k^T / sqrt(D) + masks) v. The fused kernel (memory linear in T, no [T, S] score
 * matrix) runs unless an additive mask, active dropout or the weights are asked for; then the
 * composite path does, which is also the reference the kernel is tested against.
 */
export function attend(q: Tensor, k: Tensor, v: Tensor, o: AttendOptions = {}): { out: Tensor; weights: Tensor | null } {
  const causal = o.causal ?? false;
  const attendMask = o.attendMask ?? null;
  const drop = o.dropout && o.dropout.training && o.dropout.p > 0 ? o.dropout : null;
  if (!o.additiveMask && !drop && !o.needWeights) {
    // Both at once is refused by the kernel's op (never silently one of them).
    return { out: scaledDotProductAttention(q, k, v, { mask: attendMask, causal }), weights: null };
  }
  return tidy(() => {
    const [T, S] = [q.shape[2], k.shape[2]];
    let scores = mul(matmul(q, k, { transposeB: true }), 1 / Math.sqrt(q.shape[3]));
    if (causal) scores = maskedFill(scores, triu(ones([T, S]), 1), -Infinity);
    if (attendMask) scores = where(attendMask, scores, -Infinity);
    if (o.additiveMask) scores = add(scores, o.additiveMask);
    const weights = softmax(scores, -1);
    const used = drop ? drop.forward(weights) : weights;
    return { out: matmul(used, v), weights: o.needWeights ? used : null };
  });
}

const MHA_OPTIONS = {
  /** in_proj_bias and out_proj.bias (zeros). */
  bias: option.boolean({ default: true }),
  /** Inputs and output [N, L, E] (true) or PyTorch's default [L, N, E] (false). */
  batchFirst: option.boolean({ default: false, aliases: ['batch_first'] }),
  /** Dropout probability on the attention weights (training mode only). */
  dropout: option.number({ default: 0, min: 0, max: 1 }),
  /** Seed of the initial weights and the dropout stream; default: the global generator. */
  seed: option.integer(),
};
/** Options of `new nn.MultiheadAttention(embedDim, numHeads, opts)`. */
export type MultiheadAttentionOptions = OptionsOf<typeof MHA_OPTIONS>;

const isMaskValue = (v: unknown): boolean => v === null || v instanceof Tensor;
/** The masks a MultiheadAttention call was given. */
interface MaskArgs {
  attn: Tensor | null;
  padding: Tensor | null;
  causal: boolean;
}
const MHA_FORWARD_OPTIONS = {
  /**
   * PyTorch's attn_mask: [L, S] or [N * numHeads, L, S]. An i32 mask is boolean with
   * nonzero = NOT allowed to attend (torch's bool mask); an f32 mask is added to the scores
   * (use -Infinity to block), which takes the composite path.
   */
  attnMask: option.custom<Tensor | null>('a Tensor (i32 boolean or f32 additive) or null', isMaskValue, { aliases: ['attn_mask'] }),
  /**
   * PyTorch's key_padding_mask: [N, S] ([S] unbatched). i32: nonzero = that key is padding
   * (ignored); f32: added to the scores of that key. Combines with attnMask or isCausal.
   */
  keyPaddingMask: option.custom<Tensor | null>('a Tensor (i32 boolean or f32 additive) or null', isMaskValue, { aliases: ['key_padding_mask'] }),
  /** Causal masking (keys j <= i). Unlike torch, it needs no attnMask; with one it is an error. */
  isCausal: option.boolean({ default: false, aliases: ['is_causal'] }),
  /** forward() returns the output only; false is accepted, true points to forwardWithWeights(). */
  needWeights: option.boolean({ default: false, aliases: ['need_weights'] }),
};
/** Options of `MultiheadAttention#forward(query, key, value, opts)`. */
export type MultiheadAttentionForwardOptions = OptionsOf<typeof MHA_FORWARD_OPTIONS>;
const MHA_WEIGHTS_OPTIONS = {
  attnMask: MHA_FORWARD_OPTIONS.attnMask,
  keyPaddingMask: MHA_FORWARD_OPTIONS.keyPaddingMask,
  isCausal: MHA_FORWARD_OPTIONS.isCausal,
  /** Average the weights over heads ([N, L, S], default) or keep them per head ([N, H, L, S]). */
  averageAttnWeights: option.boolean({ default: true, aliases: ['average_attn_weights'] }),
};
/** Options of `MultiheadAttention#forwardWithWeights(query, key, value, opts)`. */
export type MultiheadAttentionWeightsOptions = OptionsOf<typeof MHA_WEIGHTS_OPTIONS>;

/**
 * torch.nn.MultiheadAttention(embedDim, numHeads): parameters in_proj_weight [3E, E] (stored
 * here as its transpose [E, 3E], the layout the fused linear kernel reads; checkpoints hold
 * torch's), in_proj_bias [3E], out_proj.weight [E, E] and out_proj.bias [E]. Initialised as
 * torch: xavier_uniform_ in_proj_weight, zero biases, out_proj.weight nn.Linear's default.
 * kdim/vdim other than embedDim, add_bias_kv and add_zero_attn are not supported (refused as
 * unknown options).
 */
export class MultiheadAttention extends Module {
  readonly inProjWeight: Tensor;
  readonly inProjBias: Tensor | null;
  readonly outProj: Linear | BiaslessLinear;
  readonly headDim: number;
  readonly batchFirst: boolean;
  readonly dropout: number;
  private readonly drop: Dropout;

  constructor(
    readonly embedDim: number,
    readonly numHeads: number,
    opts?: MultiheadAttentionOptions,
  ) {
    super();
    const op = 'MultiheadAttention';
    const o = parseOptions(op, opts, MHA_OPTIONS);
    parseArg(op, 'embedDim', embedDim, option.integer({ min: 1 }));
    parseArg(op, 'numHeads', numHeads, option.integer({ min: 1 }));
    if (embedDim % numHeads !== 0) throw new ValueError(op, `embedDim must be divisible by numHeads, got embedDim ${embedDim} and numHeads ${numHeads}`);
    this.headDim = embedDim / numHeads;
    this.batchFirst = o.batchFirst;
    this.dropout = o.dropout;
    const seed = o.seed ?? drawSeed();
    this.inProjWeight = this.registerParameter('in_proj_weight', zeros([embedDim, 3 * embedDim]), { torchTransposed: true });
    xavierUniform_(this.inProjWeight, { seed });
    this.inProjBias = o.bias ? this.registerParameter('in_proj_bias', zeros([3 * embedDim])) : null;
    if (o.bias) {
      const lin = new Linear(embedDim, embedDim, { seed: seed + 1 });
      zeros_(lin.bias);
      this.outProj = this.registerModule('out_proj', lin);
    } else {
      this.outProj = this.registerModule('out_proj', new BiaslessLinear(embedDim, embedDim, { seed: seed + 1 }));
    }
    this.drop = new Dropout(o.dropout, { seed: seed + 3 });
  }

  /**
   * Attention of `query` over `key`/`value` (self-attention when key and value are omitted or
   * the same tensor: one fused projection). Shapes [L, N, E] ([N, L, E] with batchFirst) or
   * unbatched [L, E]; returns the output in the query's layout. Unlike torch, which returns
   * (output, weights) with need_weights=True by default, forward returns the output only.
   */
  forward(query: Tensor, key: Tensor = query, value: Tensor = key, opts?: MultiheadAttentionForwardOptions): Tensor {
    const o = parseOptions('MultiheadAttention', opts, MHA_FORWARD_OPTIONS);
    if (o.needWeights) {
      throw new ValueError('MultiheadAttention', 'forward() returns the output only; call forwardWithWeights(query, key, value, opts) for [output, weights]');
    }
    return this.run(query, key, value, { attn: o.attnMask ?? null, padding: o.keyPaddingMask ?? null, causal: o.isCausal }, false, true).out;
  }

  /** torch's forward with need_weights=True: [output, weights] ([N, L, S] averaged over heads, or [N, H, L, S]). */
  forwardWithWeights(query: Tensor, key: Tensor = query, value: Tensor = key, opts?: MultiheadAttentionWeightsOptions): [Tensor, Tensor] {
    const o = parseOptions('MultiheadAttention', opts, MHA_WEIGHTS_OPTIONS);
    const r = this.run(query, key, value, { attn: o.attnMask ?? null, padding: o.keyPaddingMask ?? null, causal: o.isCausal }, true, o.averageAttnWeights);
    return [r.out, r.weights!];
  }

  private run(query: Tensor, key: Tensor, value: Tensor, m: MaskArgs, needWeights: boolean, average: boolean): { out: Tensor; weights: Tensor | null } {
    const op = 'MultiheadAttention';
    const E = this.embedDim;
    const H = this.numHeads;
    const Dh = this.headDim;
    const named = [['query', query], ['key', key], ['value', value]] as const;
    for (const [n, t] of named) if (!(t instanceof Tensor)) throw new ValueError(op, `${n} must be a Tensor, got ${typeof t}`);
    const shapes = [query.shape, key.shape, value.shape];
    const rank = query.rank;
    if (rank !== 2 && rank !== 3) throw new ShapeError(op, shapes, `query must be 3-D ${this.batchFirst ? '[N, L, E]' : '[L, N, E]'} or unbatched 2-D [L, E], got ${rank}-D ${fmtShape(query.shape)}`);
    for (const [n, t] of named) {
      if (t.rank !== rank) throw new ShapeError(op, shapes, `query, key and value must have the same rank, got ${n} ${fmtShape(t.shape)}`);
      if (t.shape[rank - 1] !== E) throw new ShapeError(op, shapes, `${n} must have embedDim = ${E} features in the last dim, got ${fmtShape(t.shape)}`);
    }
    const bAxis = this.batchFirst ? 0 : 1;
    const sAxis = rank === 2 ? 0 : 1 - bAxis;
    const N = rank === 2 ? 1 : query.shape[bAxis];
    if (rank === 3 && (key.shape[bAxis] !== N || value.shape[bAxis] !== N)) throw new ShapeError(op, shapes, `query, key and value must have the same batch size (axis ${bAxis})`);
    if (key.shape[sAxis] !== value.shape[sAxis]) throw new ShapeError(op, shapes, `key and value must have the same sequence length, got ${key.shape[sAxis]} and ${value.shape[sAxis]}`);
    const L = query.shape[sAxis];
    const S = key.shape[sAxis];
    this.checkMasks(m, N, L, S, rank, shapes);
    return tidy(() => {
      const masks = this.masks(m, N, L, S);
      // Every input as [N, L, E].
      const nle = (t: Tensor) => (rank === 2 ? reshape(t, [1, ...t.shape]) : this.batchFirst ? t : permute(t, [1, 0, 2]));
      const heads = (t: Tensor, len: number) => permute(reshape(t, [N, len, H, Dh]), [0, 2, 1, 3]);
      let q: Tensor, k: Tensor, v: Tensor;
      const W = this.inProjWeight;
      const b = this.inProjBias;
      if (query === key && key === value) {
        // One projection for q, k, v: [N, L, 3E] viewed as [N, L, 3, H, Dh] -> [3, N, H, L, Dh].
        const qkv = permute(reshape(project(op, nle(query), W, b), [N, L, 3, H, Dh]), [2, 0, 3, 1, 4]);
        [q, k, v] = chunk(qkv, 3, 0).map((t) => reshape(t, [N, H, L, Dh]));
      } else {
        const part = (i: number, t: Tensor, len: number) => heads(project(op, nle(t), narrow(W, 1, i * E, E), b ? narrow(b, 0, i * E, E) : null), len);
        [q, k, v] = [part(0, query, L), part(1, key, S), part(2, value, S)];
      }
      this.drop.training = this.training;
      const r = attend(q, k, v, { ...masks, dropout: this.drop, needWeights });
      const merged = reshape(permute(r.out, [0, 2, 1, 3]), [N, L, E]);
      const y = applyLinear(op, this.outProj, merged);
      const out = rank === 2 ? reshape(y, [L, E]) : this.batchFirst ? y : permute(y, [1, 0, 2]);
      let weights: Tensor | null = null;
      if (r.weights) {
        const w = average ? mean(r.weights, { axis: 1 }) : r.weights;
        weights = rank === 2 ? reshape(w, w.shape.slice(1)) : w;
      }
      return { out, weights };
    });
  }

  /** Every mask check, before any GPU work: shapes, dtypes, and isCausal with attnMask. */
  private checkMasks(m: MaskArgs, N: number, L: number, S: number, rank: number, shapes: (readonly number[])[]): void {
    const op = 'MultiheadAttention';
    const H = this.numHeads;
    if (m.attn && m.causal) throw new ValueError(op, 'isCausal and attnMask together are not supported; pass one (the causal mask as attnMask, or isCausal alone)');
    for (const [name, t] of [['attnMask', m.attn], ['keyPaddingMask', m.padding]] as const) {
      if (t && t.dtype !== 'i32' && t.dtype !== 'f32') throw new ValueError(op, `${name} must be i32 (boolean) or f32 (additive), got ${t.dtype}`);
    }
    const a = m.attn;
    if (a && !(a.rank === 2 && sameShape(a.shape, [L, S])) && !(a.rank === 3 && sameShape(a.shape, [N * H, L, S]))) {
      throw new ShapeError(op, [...shapes, a.shape], `attnMask must be [L, S] = ${fmtShape([L, S])} or [N * numHeads, L, S] = ${fmtShape([N * H, L, S])}, got ${fmtShape(a.shape)}`);
    }
    const want = rank === 2 ? [S] : [N, S];
    if (m.padding && !sameShape(m.padding.shape, want)) {
      throw new ShapeError(op, [...shapes, m.padding.shape], `keyPaddingMask must be ${rank === 2 ? '[S]' : '[N, S]'} = ${fmtShape(want)}, got ${fmtShape(m.padding.shape)}`);
    }
  }

  /**
   * torch's masks as the attention core's over [N, H, L, S]: boolean ones (nonzero = blocked,
   * torch's convention) become the kernel's attend mask; with any f32 (additive) mask, all
   * become one additive mask (blocked = -Infinity), as torch merges them.
   */
  private masks(m: MaskArgs, N: number, L: number, S: number): AttendOptions {
    const H = this.numHeads;
    const attn = m.attn && m.attn.rank === 3 ? reshape(m.attn, [N, H, L, S]) : m.attn;
    const pad = m.padding ? reshape(m.padding, [N, 1, 1, S]) : null;
    if (!pad) {
      if (!attn) return { causal: m.causal };
      return attn.dtype === 'i32' ? { attendMask: maskedFill(ones(attn.shape), attn, 0) } : { additiveMask: attn };
    }
    const both = [attn, pad].filter((t): t is Tensor => t !== null);
    const blocked = both.filter((t) => t.dtype === 'i32');
    if (m.causal) blocked.push(triu(ones([L, S]), 1));
    const additive = both.filter((t) => t.dtype === 'f32');
    const shape = [N, attn && attn.rank === 4 ? H : 1, L, S];
    if (!additive.length) return { attendMask: blocked.reduce((acc, b) => maskedFill(acc, b, 0), ones(shape)) };
    const base = blocked.reduce((acc, b) => maskedFill(acc, b, -Infinity), zeros(shape));
    return { additiveMask: additive.reduce((acc, a) => add(acc, a), base) };
  }

  protected override extraRepr(): string {
    return `(embedDim=${this.embedDim}, numHeads=${this.numHeads}${this.batchFirst ? ', batchFirst=true' : ''}${this.dropout ? `, dropout=${this.dropout}` : ''})`;
  }
}
