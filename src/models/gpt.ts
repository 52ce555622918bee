// A GPT as nanoGPT's model.py (karpathy/nanoGPT): token and position embeddings, pre-LN blocks
// of causal self-attention and a 4x GELU MLP, a final LayerNorm and an output head tied to the
// token embedding. Parameter names are nanoGPT's state-dict keys (docs/TRAINING.md lists them),
// with Linear weights in torch's [out, in] layout in checkpoints, so a webgrad checkpoint loads
// into nanoGPT's GPT (or the test's torch.nn twin, test/torch-gpt.test.ts) with strict=True.
import { ShapeError, ValueError, fmtShape } from '../errors.ts';
import { noGrad } from '../context.ts';
import { add } from '../ops/elementwise.ts';
import { arange } from '../ops/indexing.ts';
import { crossEntropy, type CrossEntropyOptions } from '../ops/loss.ts';
import { matmul } from '../ops/matmul.ts';
import { permute, reshape } from '../ops/shape.ts';
import { chunk, narrow } from '../ops/slice.ts';
import { keep, tidy } from '../memory.ts';
import { option, parseOptions, type OptionsOf } from '../options.ts';
import { Rng, drawSeed, generatorFor } from '../random.ts';
import { Tensor, tensor } from '../tensor.ts';
import { Embedding, GELU, LayerNorm } from '../nn/embedding.ts';
import { normal_ } from '../nn/init.ts';
import { Linear } from '../nn/layers.ts';
import { Module, type ParamSpec } from '../nn/module.ts';
import { Dropout } from '../nn/norm.ts';
import { BiaslessLinear, applyLinear, attend } from '../nn/transformer.ts';

/** The size of a GPT (nanoGPT's GPTConfig, camelCase). */
export interface GPTConfig {
  /** Number of tokens (rows of the embedding and of the tied output head). */
  vocabSize: number;
  /** Longest context (rows of the position embedding). */
  blockSize: number;
  nLayer: number;
  nHead: number;
  /** Model width; a multiple of nHead, with nEmbd / nHead <= 128 (the fused attention's head dim). */
  nEmbd: number;
  /** Dropout probability after the embeddings, on the attention weights and on each residual branch (default 0). */
  dropout?: number;
  /** Biases in the Linears and LayerNorms (default true, as nanoGPT). */
  bias?: boolean;
  /** Seed of the initial weights and the dropout streams; default: the global generator (manualSeed). */
  seed?: number;
}

const GPT_CONFIG = {
  vocabSize: option.integer({ min: 1 }),
  blockSize: option.integer({ min: 1 }),
  nLayer: option.integer({ min: 1 }),
  nHead: option.integer({ min: 1 }),
  nEmbd: option.integer({ min: 1 }),
  dropout: option.number({ default: 0, min: 0, max: 1 }),
  bias: option.boolean({ default: true }),
  seed: option.integer(),
} satisfies Record<keyof GPTConfig, unknown>;

/** A Module that only holds children (torch's ModuleDict / ModuleList): no forward of its own. */
class Container extends Module {
  constructor(
    private readonly kind: string,
    children: [string, Module][],
  ) {
    super();
    for (const [n, m] of children) this.registerModule(n, m);
  }
  forward(): Tensor {
    throw new ValueError(this.kind, 'a container has no forward(); call its children');
  }
  protected override describe(indent: string): string {
    return super.describe(indent).replace(/^Container/, this.kind);
  }
}

/** lm_head: no parameter of its own; its state-dict entry `weight` is the token embedding (weight tying). */
class TiedHead extends Module {
  constructor(readonly weight: Tensor) {
    super();
  }
  override stateSpecs(): [string, ParamSpec][] {
    return [['weight', { tensor: this.weight, torchTransposed: false }]];
  }
  /** logits = x wte^T: [..., E] -> [..., V]. */
  forward(x: Tensor): Tensor {
    const [V, E] = this.weight.shape;
    return tidy(() => {
      const y = matmul(reshape(x, [-1, E]), this.weight, { transposeB: true });
      return reshape(y, [...x.shape.slice(0, -1), V]);
    });
  }
  protected override extraRepr(): string {
    return `(in=${this.weight.shape[1]}, out=${this.weight.shape[0]}, bias=false, tied=transformer.wte.weight)`;
  }
}

type Proj = Linear | BiaslessLinear;

/** nn.Dropout, skipped at p = 0 (torch's p = 0 in training is a copy; the result is the same values). */
const drop = (d: Dropout, x: Tensor): Tensor => (d.p > 0 ? d.forward(x) : x);
function proj(inF: number, outF: number, std: number, bias: boolean, seed: number): Proj {
  return bias ? new Linear(inF, outF, { init: 'normal', std, seed }) : new BiaslessLinear(inF, outF, { std, seed });
}

/** nanoGPT's CausalSelfAttention: c_attn [E -> 3E] (q | k | v), fused causal attention, c_proj. */
class CausalSelfAttention extends Module {
  readonly c_attn: Proj;
  readonly c_proj: Proj;
  readonly attn_dropout: Dropout;
  readonly resid_dropout: Dropout;
  constructor(
    private readonly nHead: number,
    private readonly nEmbd: number,
    c: { dropout: number; bias: boolean; nLayer: number },
    seed: () => number,
  ) {
    super();
    this.c_attn = this.registerModule('c_attn', proj(nEmbd, 3 * nEmbd, 0.02, c.bias, seed()));
    this.c_proj = this.registerModule('c_proj', proj(nEmbd, nEmbd, 0.02 / Math.sqrt(2 * c.nLayer), c.bias, seed()));
    this.attn_dropout = this.registerModule('attn_dropout', new Dropout(c.dropout, { seed: seed() }));
    this.resid_dropout = this.registerModule('resid_dropout', new Dropout(c.dropout, { seed: seed() }));
  }
  forward(x: Tensor): Tensor {
    const [B, T, E] = x.shape;
    const H = this.nHead;
    return tidy(() => {
      // [B, T, 3E] viewed as [B, T, 3, H, Dh] -> [3, B, H, T, Dh]: q, k, v per head (nanoGPT's split + view + transpose).
      const qkv = permute(reshape(applyLinear('GPT', this.c_attn, x), [B, T, 3, H, E / H]), [2, 0, 3, 1, 4]);
      const [q, k, v] = chunk(qkv, 3, 0).map((t) => reshape(t, [B, H, T, E / H]));
      const { out } = attend(q, k, v, { causal: true, dropout: this.attn_dropout });
      const y = reshape(permute(out, [0, 2, 1, 3]), [B, T, E]);
      return drop(this.resid_dropout, applyLinear('GPT', this.c_proj, y));
    });
  }
}

/** nanoGPT's MLP: c_fc [E -> 4E], GELU (erf), c_proj [4E -> E], dropout. */
class MLP extends Module {
  readonly c_fc: Proj;
  readonly gelu: GELU;
  readonly c_proj: Proj;
  readonly dropout: Dropout;
  constructor(nEmbd: number, c: { dropout: number; bias: boolean; nLayer: number }, seed: () => number) {
    super();
    this.c_fc = this.registerModule('c_fc', proj(nEmbd, 4 * nEmbd, 0.02, c.bias, seed()));
    this.gelu = this.registerModule('gelu', new GELU());
    this.c_proj = this.registerModule('c_proj', proj(4 * nEmbd, nEmbd, 0.02 / Math.sqrt(2 * c.nLayer), c.bias, seed()));
    this.dropout = this.registerModule('dropout', new Dropout(c.dropout, { seed: seed() }));
  }
  forward(x: Tensor): Tensor {
    return tidy(() => drop(this.dropout, applyLinear('GPT', this.c_proj, this.gelu.forward(applyLinear('GPT', this.c_fc, x)))));
  }
}

/** A pre-LN transformer block: x + attn(ln_1(x)), then + mlp(ln_2(x)). */
class Block extends Module {
  readonly ln_1: LayerNorm;
  readonly attn: CausalSelfAttention;
  readonly ln_2: LayerNorm;
  readonly mlp: MLP;
  constructor(nHead: number, nEmbd: number, c: { dropout: number; bias: boolean; nLayer: number }, seed: () => number) {
    super();
    this.ln_1 = this.registerModule('ln_1', new LayerNorm(nEmbd, { bias: c.bias }));
    this.attn = this.registerModule('attn', new CausalSelfAttention(nHead, nEmbd, c, seed));
    this.ln_2 = this.registerModule('ln_2', new LayerNorm(nEmbd, { bias: c.bias }));
    this.mlp = this.registerModule('mlp', new MLP(nEmbd, c, seed));
  }
  forward(x: Tensor): Tensor {
    return tidy(() => {
      const h = add(x, this.attn.forward(this.ln_1.forward(x)));
      return add(h, this.mlp.forward(this.ln_2.forward(h)));
    });
  }
}

const GENERATE_OPTIONS = {
  /** Logits are divided by it before sampling (default 1). */
  temperature: option.number({ default: 1, greaterThan: 0 }),
  /** Sample among the k most likely tokens only (default: all). */
  topK: option.integer({ min: 1, aliases: ['top_k'] }),
  /** Seed of the sampling; default: the global generator (manualSeed). */
  seed: option.integer(),
  /** Called after each new token with the token of every row (for streaming text). */
  onToken: option.custom<(tokens: number[], step: number) => void>('a function', (v) => typeof v === 'function'),
};
/** Options of `GPT#generate(ids, maxNewTokens, opts)`. */
export type GenerateOptions = OptionsOf<typeof GENERATE_OPTIONS>;

/**
 * nanoGPT's GPT. `forward(ids)` maps i32 token ids [B, T] (T <= blockSize) to logits
 * [B, T, vocabSize]; `loss(ids, targets)` is the mean cross-entropy over all B * T positions;
 * `generate` samples continuations. Initialisation as nanoGPT: every Linear and Embedding
 * weight from N(0, 0.02^2), the residual projections (c_proj) from N(0, (0.02 / sqrt(2 nLayer))^2),
 * biases 0, LayerNorms 1 and 0; lm_head is transformer.wte's weight (tied).
 */
export class GPT extends Module {
  readonly config: Readonly<Required<Omit<GPTConfig, 'seed'>>> & { seed: number | undefined };
  readonly transformer: Module;
  readonly wte: Embedding;
  readonly wpe: Embedding;
  readonly drop: Dropout;
  readonly h: readonly Block[];
  readonly ln_f: LayerNorm;
  readonly lm_head: Module;
  private readonly positions = new Map<number, Tensor>();

  constructor(config: GPTConfig) {
    super();
    const o = parseOptions('GPT', config, GPT_CONFIG);
    for (const k of ['vocabSize', 'blockSize', 'nLayer', 'nHead', 'nEmbd'] as const) {
      if (o[k] === undefined) throw new ValueError('GPT', `config.${k} is required (a positive integer)`);
    }
    const { dropout, bias } = o;
    const [V, blockSize, nLayer, nHead, E] = [o.vocabSize!, o.blockSize!, o.nLayer!, o.nHead!, o.nEmbd!];
    if (E % nHead !== 0) throw new ValueError('GPT', `nEmbd must be divisible by nHead, got nEmbd ${E} and nHead ${nHead}`);
    this.config = { vocabSize: V, blockSize, nLayer, nHead, nEmbd: E, dropout, bias, seed: o.seed };
    const rng = new Rng(o.seed ?? drawSeed());
    const seed = () => rng.nextU32();
    const c = { dropout, bias, nLayer };
    this.wte = new Embedding(V, E, { seed: seed() });
    this.wpe = new Embedding(blockSize, E, { seed: seed() });
    normal_(this.wte.weight, { std: 0.02, seed: seed() });
    normal_(this.wpe.weight, { std: 0.02, seed: seed() });
    this.drop = new Dropout(dropout, { seed: seed() });
    this.h = Array.from({ length: nLayer }, () => new Block(nHead, E, c, seed));
    this.ln_f = new LayerNorm(E, { bias });
    const hList = new Container('ModuleList', this.h.map((b, i): [string, Module] => [String(i), b]));
    this.transformer = this.registerModule('transformer', new Container('ModuleDict', [['wte', this.wte], ['wpe', this.wpe], ['drop', this.drop], ['h', hList], ['ln_f', this.ln_f]]));
    this.lm_head = this.registerModule('lm_head', new TiedHead(this.wte.weight));
  }

  /** The final hidden states ln_f(blocks(wte(ids) + wpe(positions))): [B, T, nEmbd]. */
  hidden(ids: Tensor): Tensor {
    this.checkIds(ids);
    const T = ids.shape[1];
    return tidy(() => {
      let x = drop(this.drop, add(this.wte.forward(ids), this.wpe.forward(this.positionIds(T))));
      for (const block of this.h) x = block.forward(x);
      return this.ln_f.forward(x);
    });
  }

  /** arange(T) as i32, uploaded once per length (a step then uploads nothing but its batch). */
  private positionIds(T: number): Tensor {
    let p = this.positions.get(T);
    if (!p) this.positions.set(T, (p = keep(arange(T, { dtype: 'i32', label: 'GPT.positions' }))));
    return p;
  }

  override dispose(): void {
    for (const p of this.positions.values()) p.dispose();
    this.positions.clear();
    super.dispose();
  }

  /** Logits [B, T, vocabSize] for i32 ids [B, T]. */
  forward(ids: Tensor): Tensor {
    return tidy(() => this.lm_head.forward(this.hidden(ids)));
  }

  /**
   * Cross-entropy of forward(ids) against i32 next-token targets [B, T], on the [B * T, V] view
   * (nanoGPT's F.cross_entropy(logits.view(-1, V), targets.view(-1), ignore_index=-1)): `opts`
   * are crossEntropy's (reduction 'mean' by default, ignoreIndex -100 as PyTorch's, labelSmoothing, weight).
   */
  loss(ids: Tensor, targets: Tensor, opts?: CrossEntropyOptions): Tensor {
    if (!(targets instanceof Tensor) || targets.dtype !== 'i32' || targets.rank !== 2 || !(ids instanceof Tensor) || targets.shape[0] !== ids.shape[0] || targets.shape[1] !== ids.shape[1]) {
      throw new ShapeError('GPT.loss', [ids?.shape ?? [], targets?.shape ?? []], `targets must be i32 [B, T] like ids ${fmtShape(ids?.shape ?? [])}`);
    }
    return tidy(() => {
      const logits = this.forward(ids);
      const [B, T, V] = logits.shape;
      return crossEntropy(reshape(logits, [B * T, V]), reshape(targets, [B * T]), opts);
    });
  }

  /**
   * Append `maxNewTokens` sampled tokens to each row of `ids` (i32 [B, T] tensor, or host rows),
   * as nanoGPT's generate: the context is cropped to the last blockSize tokens, the last row's
   * logits are read back and sampled on the host. Runs in the model's current mode (call
   * eval() first when dropout > 0, as nanoGPT's sample.py). Returns the rows, prompt included.
   */
  async generate(ids: Tensor | readonly (readonly number[])[], maxNewTokens: number, opts?: GenerateOptions): Promise<number[][]> {
    const o = parseOptions('GPT.generate', opts, GENERATE_OPTIONS);
    if (!Number.isInteger(maxNewTokens) || maxNewTokens < 0) throw new ValueError('GPT.generate', `maxNewTokens must be an integer >= 0, got ${String(maxNewTokens)}`);
    const rows = await hostRows(ids);
    const V = this.config.vocabSize;
    for (const r of rows) {
      if (r.length === 0) throw new ShapeError('GPT.generate', [[rows.length, 0]], 'every prompt needs at least one token');
      if (r.length !== rows[0].length) throw new ShapeError('GPT.generate', [rows.map((x) => x.length)], 'every prompt row must have the same length');
      const bad = r.find((t) => !Number.isInteger(t) || t < 0 || t >= V);
      if (bad !== undefined) throw new ValueError('GPT.generate', `token ${bad} is out of range for vocabSize ${V}`);
    }
    const rng = generatorFor(o.seed);
    for (let step = 0; step < maxNewTokens; step++) {
      const t = Math.min(rows[0].length, this.config.blockSize);
      const ctx = Int32Array.from(rows.flatMap((r) => r.slice(r.length - t)));
      const logits = noGrad(() =>
        tidy(() => {
          const hs = this.hidden(tensor(ctx, { shape: [rows.length, t], dtype: 'i32' }));
          return this.lm_head.forward(reshape(narrow(hs, 1, t - 1, 1), [rows.length, this.config.nEmbd]));
        }),
      );
      const host = await logits.data();
      logits.dispose();
      const next = rows.map((r, i) => {
        const tok = sample(host.subarray(i * V, (i + 1) * V), o.temperature, o.topK, rng);
        r.push(tok);
        return tok;
      });
      o.onToken?.(next, step);
    }
    return rows;
  }

  private checkIds(ids: Tensor): void {
    if (!(ids instanceof Tensor)) throw new ValueError('GPT', `ids must be an i32 Tensor [B, T], got ${typeof ids}`);
    if (ids.dtype !== 'i32') throw new ValueError('GPT', `ids must be i32 token indices, got ${ids.dtype} ${fmtShape(ids.shape)}`);
    if (ids.rank !== 2 || ids.shape[1] < 1) throw new ShapeError('GPT', [ids.shape], `ids must be 2-D [B, T] with T >= 1, got ${fmtShape(ids.shape)}`);
    if (ids.shape[1] > this.config.blockSize) {
      throw new ShapeError('GPT', [ids.shape], `cannot forward a sequence of length ${ids.shape[1]}: blockSize is only ${this.config.blockSize}`);
    }
  }
}

async function hostRows(ids: Tensor | readonly (readonly number[])[]): Promise<number[][]> {
  if (ids instanceof Tensor) {
    if (ids.dtype !== 'i32' || ids.rank !== 2) throw new ShapeError('GPT.generate', [ids.shape], `ids must be an i32 [B, T] tensor, got ${ids.dtype} ${fmtShape(ids.shape)}`);
    const flat = Array.from(await ids.data());
    const [B, T] = ids.shape;
    return Array.from({ length: B }, (_, b) => flat.slice(b * T, (b + 1) * T));
  }
  if (!Array.isArray(ids) || !ids.every(Array.isArray)) throw new ValueError('GPT.generate', 'ids must be an i32 Tensor [B, T] or an array of token rows');
  return ids.map((r) => [...r]);
}

/** One token from softmax(logits / temperature), restricted to the topK largest (as nanoGPT). */
export function sample(logits: ArrayLike<number>, temperature: number, topK: number | undefined, rng: Rng): number {
  const n = logits.length;
  const scaled = Float64Array.from(logits, (l) => l / temperature);
  if (topK !== undefined && topK < n) {
    const kth = Float64Array.from(scaled).sort()[n - topK];
    for (let i = 0; i < n; i++) if (scaled[i] < kth) scaled[i] = -Infinity;
  }
  let max = -Infinity;
  for (const v of scaled) max = Math.max(max, v);
  let total = 0;
  const p = scaled.map((v) => {
    const e = Math.exp(v - max);
    total += e;
    return e;
  });
  let u = rng.next() * total;
  for (let i = 0; i < n; i++) {
    u -= p[i];
    if (u < 0) return i;
  }
  return n - 1;
}
