// The GPT of the gpt suite (issue 13) in float64: nanoGPT's architecture (token + position
// embeddings, pre-LN blocks of causal self-attention and a 4x GELU (erf) MLP with biases,
// LayerNorm eps 1e-5, a final LayerNorm, the output head tied to the token embedding) and the
// mean cross-entropy of next-token targets. Only the forward is written out: step 1 of an engine
// is checked by its loss against loss(p0) and by its gradient, read off the SGD update
// (g = (p0 - p1) / lr), along a fixed random direction u against the float64 finite difference
// (loss(p0 + h u) - loss(p0)) / h (a directional gradient check, as jax's check_vjp).
import { erfRef as erf } from '../../src/check/reference/activations.ts';
import { rng, uniform } from './reference.ts';

export interface GptSpec {
  batch: number;
  /** Sequence length; also blockSize (the position embedding has T rows). */
  T: number;
  vocab: number;
  nLayer: number;
  nHead: number;
  nEmbd: number;
  lr: number;
  seed: number;
}

export interface GptData {
  /** i32 token ids [B, T] and next-token targets [B, T]. */
  ids: Int32Array;
  targets: Int32Array;
  /** gptParamShapes order; Linear weights stored [in, out]. */
  params: Float32Array[];
}

/** Parameter names (nanoGPT's, without the lm_head tie) and shapes, in the order engines read them. */
export function gptParamShapes(s: GptSpec): [string, number[]][] {
  const E = s.nEmbd;
  const out: [string, number[]][] = [['transformer.wte.weight', [s.vocab, E]], ['transformer.wpe.weight', [s.T, E]]];
  for (let l = 0; l < s.nLayer; l++) {
    const p = `transformer.h.${l}.`;
    out.push(
      [`${p}ln_1.weight`, [E]], [`${p}ln_1.bias`, [E]],
      [`${p}attn.c_attn.weight`, [E, 3 * E]], [`${p}attn.c_attn.bias`, [3 * E]],
      [`${p}attn.c_proj.weight`, [E, E]], [`${p}attn.c_proj.bias`, [E]],
      [`${p}ln_2.weight`, [E]], [`${p}ln_2.bias`, [E]],
      [`${p}mlp.c_fc.weight`, [E, 4 * E]], [`${p}mlp.c_fc.bias`, [4 * E]],
      [`${p}mlp.c_proj.weight`, [4 * E, E]], [`${p}mlp.c_proj.bias`, [E]],
    );
  }
  out.push(['transformer.ln_f.weight', [E]], ['transformer.ln_f.bias', [E]]);
  return out;
}

export const gptParamCount = (s: GptSpec) => gptParamShapes(s).reduce((n, [, sh]) => n + sh.reduce((a, b) => a * b, 1), 0);

export function gptData(s: GptSpec): GptData {
  const r = rng(s.seed);
  const ids = Int32Array.from({ length: s.batch * s.T }, () => Math.floor(r() * s.vocab));
  const targets = Int32Array.from({ length: s.batch * s.T }, () => Math.floor(r() * s.vocab));
  // Weights of order 0.02-0.1 (nanoGPT starts at N(0, 0.02^2)), LayerNorm gains near 1, small biases.
  const params = gptParamShapes(s).map(([name, sh], i) => {
    const n = sh.reduce((a, b) => a * b, 1);
    if (/ln_\w+\.weight$/.test(name)) return uniform(n, s.seed + 10 + i, 0.1).map((v) => v + 1);
    if (/\.bias$/.test(name)) return uniform(n, s.seed + 10 + i, 0.02);
    return uniform(n, s.seed + 10 + i, 0.1);
  });
  return { ids, targets, params };
}

/** out = x W + b for x [M, K], W [K, N]. */
function linear(x: Float64Array, M: number, K: number, W: ArrayLike<number>, b: ArrayLike<number>, N: number): Float64Array {
  const out = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    const row = i * N;
    for (let j = 0; j < N; j++) out[row + j] = b[j];
    for (let p = 0; p < K; p++) {
      const a = x[i * K + p];
      const w = p * N;
      for (let j = 0; j < N; j++) out[row + j] += a * W[w + j];
    }
  }
  return out;
}

function layerNorm(x: Float64Array, M: number, E: number, g: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
  const out = new Float64Array(M * E);
  for (let i = 0; i < M; i++) {
    let mean = 0;
    for (let c = 0; c < E; c++) mean += x[i * E + c];
    mean /= E;
    let v = 0;
    for (let c = 0; c < E; c++) v += (x[i * E + c] - mean) ** 2;
    const rstd = 1 / Math.sqrt(v / E + 1e-5);
    for (let c = 0; c < E; c++) out[i * E + c] = (x[i * E + c] - mean) * rstd * g[c] + b[c];
  }
  return out;
}

/** Mean next-token cross-entropy of the GPT at parameters `p` (gptParamShapes order). */
export function gptLoss(s: GptSpec, d: GptData, p: ArrayLike<number>[]): number {
  const { batch: B, T, vocab: V, nHead: H, nEmbd: E } = s;
  const M = B * T;
  const Dh = E / H;
  const wte = p[0];
  const wpe = p[1];
  let x: Float64Array = new Float64Array(M * E);
  for (let i = 0; i < M; i++) {
    const tok = d.ids[i];
    const t = i % T;
    for (let c = 0; c < E; c++) x[i * E + c] = wte[tok * E + c] + wpe[t * E + c];
  }
  const scale = 1 / Math.sqrt(Dh);
  const sc = new Float64Array(T);
  for (let l = 0; l < s.nLayer; l++) {
    const q = 2 + 12 * l;
    const h1 = layerNorm(x, M, E, p[q], p[q + 1]);
    const qkv = linear(h1, M, E, p[q + 2], p[q + 3], 3 * E);
    const y = new Float64Array(M * E);
    for (let b = 0; b < B; b++) for (let h = 0; h < H; h++) {
      for (let i = 0; i < T; i++) {
        const qi = (b * T + i) * 3 * E + h * Dh;
        let m = -Infinity;
        for (let j = 0; j <= i; j++) {
          const kj = (b * T + j) * 3 * E + E + h * Dh;
          let dot = 0;
          for (let c = 0; c < Dh; c++) dot += qkv[qi + c] * qkv[kj + c];
          sc[j] = dot * scale;
          if (sc[j] > m) m = sc[j];
        }
        let z = 0;
        for (let j = 0; j <= i; j++) z += (sc[j] = Math.exp(sc[j] - m));
        const yi = (b * T + i) * E + h * Dh;
        for (let j = 0; j <= i; j++) {
          const w = sc[j] / z;
          const vj = (b * T + j) * 3 * E + 2 * E + h * Dh;
          for (let c = 0; c < Dh; c++) y[yi + c] += w * qkv[vj + c];
        }
      }
    }
    const att = linear(y, M, E, p[q + 4], p[q + 5], E);
    for (let i = 0; i < x.length; i++) x[i] += att[i];
    const h2 = layerNorm(x, M, E, p[q + 6], p[q + 7]);
    const fc = linear(h2, M, E, p[q + 8], p[q + 9], 4 * E);
    for (let i = 0; i < fc.length; i++) fc[i] = 0.5 * fc[i] * (1 + erf(fc[i] / Math.SQRT2));
    const mlp = linear(fc, M, 4 * E, p[q + 10], p[q + 11], E);
    for (let i = 0; i < x.length; i++) x[i] += mlp[i];
  }
  const n = 2 + 12 * s.nLayer;
  x = layerNorm(x, M, E, p[n], p[n + 1]);
  let loss = 0;
  const logits = new Float64Array(V);
  for (let i = 0; i < M; i++) {
    let m = -Infinity;
    for (let v = 0; v < V; v++) {
      let dot = 0;
      for (let c = 0; c < E; c++) dot += x[i * E + c] * wte[v * E + c];
      logits[v] = dot;
      if (dot > m) m = dot;
    }
    let z = 0;
    for (let v = 0; v < V; v++) z += Math.exp(logits[v] - m);
    loss += m + Math.log(z) - logits[d.targets[i]];
  }
  return loss / M;
}

/** A random direction (unit norm over all parameters) and the reference directional derivative. */
export function gptReference(s: GptSpec, d: GptData): { loss: number; u: Float64Array[]; dLdu: number } {
  const r = rng(s.seed + 999);
  const u = d.params.map((p) => Float64Array.from(p, () => r() * 2 - 1));
  const norm = Math.sqrt(u.reduce((a, x) => a + x.reduce((b, v) => b + v * v, 0), 0));
  for (const x of u) for (let i = 0; i < x.length; i++) x[i] /= norm;
  const loss = gptLoss(s, d, d.params);
  const h = 1e-5;
  const moved = d.params.map((p, i) => Float64Array.from(p, (v, j) => v + h * u[i][j]));
  return { loss, u, dLdu: (gptLoss(s, d, moved) - loss) / h };
}

/** FLOPs of one step: 3x the forward's matmuls (forward, both gradients), attention's causal half included. */
export function gptStepFlops(s: GptSpec): number {
  const M = s.batch * s.T;
  const E = s.nEmbd;
  const perLayer = 2 * M * E * (3 * E + E + 8 * E) + 4 * s.batch * s.nHead * ((s.T * (s.T + 1)) / 2) * (E / s.nHead);
  return 3 * (s.nLayer * perLayer + 2 * M * E * s.vocab);
}
