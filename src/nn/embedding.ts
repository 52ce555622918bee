// Embedding, LayerNorm, RMSNorm, GELU and SiLU as torch.nn layers: the building blocks of a
// transformer besides attention (src/nn/transformer.ts). Names, defaults, state-dict keys and
// initialisation are PyTorch's: Embedding.weight [num, dim] from N(0, 1) (the padding row
// zero), LayerNorm.weight ones and .bias zeros, RMSNorm.weight ones.
import { ShapeError, ValueError, fmtShape } from '../errors.ts';
import { gelu, silu, type GeluApproximate } from '../ops/activations.ts';
import { embedding } from '../ops/indexing.ts';
import { layerNorm, rmsNorm } from '../ops/layernorm.ts';
import { option, parseArg, parseOptions, type OptionsOf } from '../options.ts';
import { generatorFor } from '../random.ts';
import { ones, tensor, zeros, type Tensor } from '../tensor.ts';
import { Module } from './module.ts';

const EMBEDDING_LAYER_OPTIONS = {
  /** This row is zero at initialisation and gets no gradient (negative counts from numEmbeddings). */
  paddingIdx: option.integer({ aliases: ['padding_idx'] }),
  /** Seed of the initial N(0, 1) table; default: the global generator (manualSeed). */
  seed: option.integer(),
};
/** Options of `new nn.Embedding(numEmbeddings, embeddingDim, opts)`. */
export type EmbeddingLayerOptions = OptionsOf<typeof EMBEDDING_LAYER_OPTIONS>;

/** torch.nn.Embedding: a lookup table `weight` [numEmbeddings, embeddingDim] indexed by i32 ids. */
export class Embedding extends Module {
  readonly weight: Tensor;
  /** The padding row (normalised to 0..numEmbeddings-1), or null. */
  readonly paddingIdx: number | null;

  constructor(
    readonly numEmbeddings: number,
    readonly embeddingDim: number,
    opts?: EmbeddingLayerOptions,
  ) {
    super();
    const o = parseOptions('Embedding', opts, EMBEDDING_LAYER_OPTIONS);
    parseArg('Embedding', 'numEmbeddings', numEmbeddings, option.integer({ min: 1 }));
    parseArg('Embedding', 'embeddingDim', embeddingDim, option.integer({ min: 1 }));
    let pad: number | null = null;
    if (o.paddingIdx !== undefined) {
      if (o.paddingIdx < -numEmbeddings || o.paddingIdx >= numEmbeddings) {
        throw new ValueError('Embedding', `paddingIdx ${o.paddingIdx} must be within [-${numEmbeddings}, ${numEmbeddings - 1}] (numEmbeddings = ${numEmbeddings})`);
      }
      pad = o.paddingIdx < 0 ? o.paddingIdx + numEmbeddings : o.paddingIdx;
    }
    this.paddingIdx = pad;
    // N(0, 1) drawn on the host (as nn.init.normal_), then the padding row zeroed, as torch's
    // reset_parameters does, before one upload.
    const rng = generatorFor(o.seed);
    const host = new Float32Array(numEmbeddings * embeddingDim);
    for (let i = 0; i < host.length; i++) host[i] = rng.normal();
    if (pad !== null) host.fill(0, pad * embeddingDim, (pad + 1) * embeddingDim);
    this.weight = this.registerParameter('weight', tensor(host, { shape: [numEmbeddings, embeddingDim] }));
  }

  forward(ids: Tensor): Tensor {
    return embedding(ids, this.weight, this.paddingIdx === null ? undefined : { paddingIdx: this.paddingIdx });
  }

  protected override extraRepr(): string {
    return `(${this.numEmbeddings}, ${this.embeddingDim}${this.paddingIdx === null ? '' : `, paddingIdx=${this.paddingIdx}`})`;
  }
}

const LAYER_NORM_LAYER_OPTIONS = {
  eps: option.number({ default: 1e-5, min: 0 }),
  /** Learnable weight (ones) and, with `bias`, bias (zeros). */
  elementwiseAffine: option.boolean({ default: true, aliases: ['elementwise_affine'] }),
  bias: option.boolean({ default: true }),
};
/** Options of `new nn.LayerNorm(normalizedShape, opts)`. */
export type LayerNormLayerOptions = OptionsOf<typeof LAYER_NORM_LAYER_OPTIONS>;

function normalizedShapeOf(op: string, s: number | readonly number[]): number[] {
  const ns = typeof s === 'number' ? [s] : Array.isArray(s) ? [...(s as number[])] : null;
  if (!ns || ns.length === 0 || !ns.every((d) => Number.isInteger(d) && d > 0)) {
    throw new ValueError(op, `normalizedShape must be a positive integer or a non-empty array of them, got ${Array.isArray(s) ? fmtShape(s as number[]) : String(s)}`);
  }
  return ns;
}

/** torch.nn.LayerNorm over the trailing `normalizedShape` dims (weight ones, bias zeros). */
export class LayerNorm extends Module {
  readonly normalizedShape: readonly number[];
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;
  readonly eps: number;

  constructor(normalizedShape: number | readonly number[], opts?: LayerNormLayerOptions) {
    super();
    const o = parseOptions('LayerNorm', opts, LAYER_NORM_LAYER_OPTIONS);
    this.normalizedShape = normalizedShapeOf('LayerNorm', normalizedShape);
    this.eps = o.eps;
    this.weight = o.elementwiseAffine ? this.registerParameter('weight', ones(this.normalizedShape)) : null;
    this.bias = o.elementwiseAffine && o.bias ? this.registerParameter('bias', zeros(this.normalizedShape)) : null;
  }

  forward(x: Tensor): Tensor {
    return layerNorm(x, this.normalizedShape, this.weight, this.bias, { eps: this.eps });
  }

  protected override extraRepr(): string {
    return `(${fmtShape(this.normalizedShape)}, eps=${this.eps}, elementwiseAffine=${this.weight !== null}${this.weight && !this.bias ? ', bias=false' : ''})`;
  }
}

const RMS_NORM_LAYER_OPTIONS = {
  /** Default (undefined): torch.finfo(float32).eps, as torch.nn.RMSNorm's eps=None. */
  eps: option.number({ min: 0 }),
  elementwiseAffine: option.boolean({ default: true, aliases: ['elementwise_affine'] }),
};
/** Options of `new nn.RMSNorm(normalizedShape, opts)`. */
export type RMSNormLayerOptions = OptionsOf<typeof RMS_NORM_LAYER_OPTIONS>;

/** torch.nn.RMSNorm: x / sqrt(mean(x^2) + eps) * weight over the trailing dims (weight ones). */
export class RMSNorm extends Module {
  readonly normalizedShape: readonly number[];
  readonly weight: Tensor | null;
  readonly eps: number | undefined;

  constructor(normalizedShape: number | readonly number[], opts?: RMSNormLayerOptions) {
    super();
    const o = parseOptions('RMSNorm', opts, RMS_NORM_LAYER_OPTIONS);
    this.normalizedShape = normalizedShapeOf('RMSNorm', normalizedShape);
    this.eps = o.eps;
    this.weight = o.elementwiseAffine ? this.registerParameter('weight', ones(this.normalizedShape)) : null;
  }

  forward(x: Tensor): Tensor {
    return rmsNorm(x, this.normalizedShape, this.weight, this.eps === undefined ? undefined : { eps: this.eps });
  }
}

const GELU_LAYER_OPTIONS = { approximate: option.oneOf(['none', 'tanh'] as const, { default: 'none' }) };
/** Options of `new nn.GELU(opts)`. */
export type GELULayerOptions = OptionsOf<typeof GELU_LAYER_OPTIONS>;

/** torch.nn.GELU: x * Phi(x) ('none', erf form) or its tanh approximation. */
export class GELU extends Module {
  readonly approximate: GeluApproximate;
  constructor(opts?: GELULayerOptions) {
    super();
    this.approximate = parseOptions('GELU', opts, GELU_LAYER_OPTIONS).approximate;
  }
  forward(x: Tensor): Tensor {
    return gelu(x, { approximate: this.approximate });
  }
  protected override extraRepr(): string {
    return `(approximate='${this.approximate}')`;
  }
}

/** torch.nn.SiLU: x * sigmoid(x). */
export class SiLU extends Module {
  forward(x: Tensor): Tensor {
    return silu(x);
  }
}

/** The last-axis size check the transformer layers share: a typed error naming the layer. */
export function checkLastDim(op: string, x: Tensor, want: number, what: string): void {
  if (x.rank < 1 || x.shape[x.rank - 1] !== want) {
    throw new ShapeError(op, [x.shape], `expected ${what} = ${want} as the last dim, got input ${fmtShape(x.shape)}`);
  }
}
