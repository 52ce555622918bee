// The transformer layers (src/nn/embedding.ts, src/nn/transformer.ts) against float64 host
// references and against the ops they are built on: Embedding (init, padding row and its
// gradient), LayerNorm / RMSNorm / GELU / SiLU, and MultiheadAttention (fused path = composite
// path = float64 reference, batchFirst, unbatched input, masks, dropout in train / eval), with
// typed errors for bad arguments. PyTorch itself is compared in test/torch-gpt.test.ts.
import { describe, expect, it } from 'vitest';
import { ShapeError, ValueError, nn, randn, tensor, tidy, permute, indexSelect, type Tensor } from '../src/index.ts';
import { expectClose } from './helpers.ts';

const host = async (t: Tensor) => Array.from(await t.data());
const i32 = (v: number[], shape: number[]) => tensor(Int32Array.from(v), { shape, dtype: 'i32' });

describe('nn.Embedding', () => {
  it('looks rows up, initialises N(0, 1) with the padding row zero, and gives the padding row no gradient', async () => {
    const e = new nn.Embedding(50, 40, { paddingIdx: -2, seed: 3 });
    expect(e.paddingIdx).toBe(48);
    expect(Object.keys(e.stateDict())).toEqual(['weight']);
    const w = await host(e.weight);
    const mean = w.reduce((a, b) => a + b, 0) / w.length;
    const sd = Math.sqrt(w.reduce((a, b) => a + (b - mean) ** 2, 0) / w.length);
    expect(Math.abs(mean)).toBeLessThan(0.06);
    expect(Math.abs(sd - 1)).toBeLessThan(0.05);
    expect(w.slice(48 * 40, 49 * 40).every((x) => x === 0)).toBe(true);
    const ids = i32([1, 48, 3, 1, 48, 0], [2, 3]);
    const y = e.forward(ids);
    expect(y.shape).toEqual([2, 3, 40]);
    expectClose(await y.data(), await indexSelect(e.weight, 0, i32([1, 48, 3, 1, 48, 0], [6])).data(), { rtol: 0, atol: 0 });
    tidy(() => y.sum().backward());
    const g = await host(e.weight.grad!);
    expect(g.slice(48 * 40, 49 * 40).every((x) => x === 0)).toBe(true);
    expect(g.slice(40, 80).every((x) => x === 2)).toBe(true); // id 1 used twice
    e.dispose();
  });

  it('refuses bad sizes, padding indices and ids', () => {
    expect(() => new nn.Embedding(0, 4)).toThrow(ValueError);
    expect(() => new nn.Embedding(4, 4, { paddingIdx: 4 })).toThrow(/paddingIdx 4 must be within/);
    expect(() => new nn.Embedding(4, 4, { maxNorm: 1 } as never)).toThrow(/unknown option 'maxNorm'/);
    const e = new nn.Embedding(4, 2, { seed: 1 });
    expect(() => e.forward(i32([4], [1]))).toThrow(/out of range/);
    expect(() => e.forward(tensor([1]))).toThrow(/i32/);
    e.dispose();
  });
});

/** Float64 layer norm over the last axis of rows [n, c]. */
function layerNormRef(x: number[], c: number, w: number[] | null, b: number[] | null, eps: number, rms = false): number[] {
  const out: number[] = [];
  for (let r = 0; r < x.length / c; r++) {
    const row = x.slice(r * c, (r + 1) * c);
    const mu = rms ? 0 : row.reduce((a, v) => a + v, 0) / c;
    const v = row.reduce((a, x) => a + (x - mu) ** 2, 0) / c;
    row.forEach((x, i) => out.push(((x - mu) / Math.sqrt(v + eps)) * (w ? w[i] : 1) + (b ? b[i] : 0)));
  }
  return out;
}

describe('nn.LayerNorm, nn.RMSNorm, nn.GELU, nn.SiLU', () => {
  it('LayerNorm: ones / zeros parameters, torch state-dict keys, the float64 reference', async () => {
    const ln = new nn.LayerNorm(6);
    expect(Object.keys(ln.stateDict())).toEqual(['weight', 'bias']);
    expect(await host(ln.weight!)).toEqual([1, 1, 1, 1, 1, 1]);
    ln.weight!.write([1, 2, 3, 0.5, -1, 0]);
    ln.bias!.write([0.1, 0.2, 0.3, 0.4, 0.5, 0.6]);
    const x = randn([2, 3, 6], { seed: 9 });
    expectClose(await ln.forward(x).data(), layerNormRef(await host(x), 6, [1, 2, 3, 0.5, -1, 0], [0.1, 0.2, 0.3, 0.4, 0.5, 0.6], 1e-5), { rtol: 1e-4, atol: 1e-5 });
    expect(Object.keys(new nn.LayerNorm([2, 3], { bias: false }).stateDict())).toEqual(['weight']);
    const plain = new nn.LayerNorm(6, { elementwiseAffine: false, eps: 0.5 });
    expect(plain.parameters()).toEqual([]);
    expectClose(await plain.forward(x).data(), layerNormRef(await host(x), 6, null, null, 0.5), { rtol: 1e-4, atol: 1e-5 });
    expect(() => ln.forward(randn([2, 5]))).toThrow(ShapeError);
    expect(() => new nn.LayerNorm(0)).toThrow(ValueError);
    expect(() => new nn.LayerNorm(4, { elementwise_affine: false, elementwiseAffine: true } as never)).toThrow(/given twice/);
  });

  it('RMSNorm, GELU and SiLU against their formulas', async () => {
    const x = randn([3, 5], { seed: 4 });
    const xs = await host(x);
    const rms = new nn.RMSNorm(5, { eps: 1e-6 });
    expect(Object.keys(rms.stateDict())).toEqual(['weight']);
    expectClose(await rms.forward(x).data(), layerNormRef(xs, 5, null, null, 1e-6, true), { rtol: 1e-4, atol: 1e-5 });
    const tanhGelu = (v: number) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)));
    expectClose(await new nn.GELU({ approximate: 'tanh' }).forward(x).data(), xs.map(tanhGelu), { rtol: 1e-4, atol: 1e-6 });
    expectClose(await new nn.SiLU().forward(x).data(), xs.map((v) => v / (1 + Math.exp(-v))), { rtol: 1e-4, atol: 1e-6 });
    // erf GELU differs from the tanh form by at most ~1e-3
    expectClose(await new nn.GELU().forward(x).data(), xs.map(tanhGelu), { rtol: 0, atol: 2e-3 });
    expect(() => new nn.GELU({ approximate: 'fast' } as never)).toThrow(/approximate/);
  });
});

/** Float64 torch.nn.MultiheadAttention on [L, N, E] inputs from the module's torch-layout weights. */
async function mhaRef(m: nn.MultiheadAttention, q: Tensor, k: Tensor, v: Tensor, blocked?: (i: number, j: number, n: number) => boolean): Promise<number[]> {
  const [L, N, E] = q.shape;
  const S = k.shape[0];
  const H = m.numHeads;
  const D = E / H;
  const win = await host(m.inProjWeight); // [E, 3E] (webgrad layout): y = x W + b
  const bin = await host(m.inProjBias!);
  const wout = await host(m.outProj.weight); // [E, E] [in, out]
  const bout = await host((m.outProj as nn.Linear).bias);
  const proj = (x: number[], rows: number, W: number[], cols: number, off: number, ld: number, b: number[]) =>
    Array.from({ length: rows * cols }, (_, idx) => {
      const [r, c] = [Math.floor(idx / cols), idx % cols];
      let s = b[off + c];
      for (let e = 0; e < E; e++) s += x[r * E + e] * W[e * ld + off + c];
      return s;
    });
  const [xq, xk, xv] = await Promise.all([host(q), host(k), host(v)]);
  const Q = proj(xq, L * N, win, E, 0, 3 * E, bin); // rows (l, n)
  const K = proj(xk, S * N, win, E, E, 3 * E, bin);
  const V = proj(xv, S * N, win, E, 2 * E, 3 * E, bin);
  const O = new Array<number>(L * N * E).fill(0);
  for (let n = 0; n < N; n++)
    for (let h = 0; h < H; h++)
      for (let i = 0; i < L; i++) {
        const sc = Array.from({ length: S }, (_, j) => {
          if (blocked?.(i, j, n)) return -Infinity;
          let s = 0;
          for (let d = 0; d < D; d++) s += Q[(i * N + n) * E + h * D + d] * K[(j * N + n) * E + h * D + d];
          return s / Math.sqrt(D);
        });
        const mx = Math.max(...sc);
        const p = sc.map((s) => Math.exp(s - mx));
        const z = p.reduce((a, b) => a + b, 0);
        for (let d = 0; d < D; d++) O[(i * N + n) * E + h * D + d] = p.reduce((a, pj, j) => a + (pj / z) * V[(j * N + n) * E + h * D + d], 0);
      }
  return proj(O, L * N, wout, E, 0, E, bout);
}

describe('nn.MultiheadAttention', () => {
  const [E, H, L, N] = [8, 2, 5, 3];

  it("has torch's parameters and init: in_proj_weight [3E, E] xavier, zero biases", async () => {
    const m = new nn.MultiheadAttention(E, H, { seed: 2 });
    const sd = m.stateDict();
    expect(Object.keys(sd)).toEqual(['in_proj_weight', 'in_proj_bias', 'out_proj.weight', 'out_proj.bias']);
    expect(sd.in_proj_weight.shape).toEqual([E, 3 * E]); // webgrad layout; torch's [3E, E] in checkpoints
    const file = nn.decodeSafetensors(await nn.toSafetensors(m));
    expect(file.tensors.get('in_proj_weight')!.shape).toEqual([3 * E, E]);
    const bound = Math.sqrt(6 / (E + 3 * E));
    const w = await host(sd.in_proj_weight);
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...w.map(Math.abs))).toBeGreaterThan(0.9 * bound);
    expect((await host(sd.in_proj_bias)).every((x) => x === 0)).toBe(true);
    expect((await host(sd['out_proj.bias'])).every((x) => x === 0)).toBe(true);
    expect(Object.keys(new nn.MultiheadAttention(E, H, { bias: false }).stateDict())).toEqual(['in_proj_weight', 'out_proj.weight']);
  });

  it('self- and cross-attention match the float64 reference; fused and composite paths agree in values and gradients', async () => {
    const m = new nn.MultiheadAttention(E, H, { seed: 5 });
    m.inProjBias!.write(Array.from({ length: 3 * E }, (_, i) => 0.1 * Math.cos(i)));
    (m.outProj as nn.Linear).bias.write(Array.from({ length: E }, (_, i) => 0.05 * i));
    const x = randn([L, N, E], { seed: 6, requiresGrad: true });
    const kv = randn([L + 2, N, E], { seed: 7 });
    const causal = i32(Array.from({ length: L * L }, (_, i) => Number(i % L > Math.floor(i / L))), [L, L]);
    const fused = m.forward(x, x, x, { attnMask: causal });
    expectClose(await fused.data(), await mhaRef(m, x, x, x, (i, j) => j > i), { rtol: 1e-4, atol: 1e-5 });
    expectClose(await m.forward(x, kv, kv).data(), await mhaRef(m, x, kv, kv), { rtol: 1e-4, atol: 1e-5 });
    // isCausal alone, and an additive 0 / -Infinity f32 mask (composite path), give the same.
    expectClose(await m.forward(x, undefined, undefined, { isCausal: true }).data(), await fused.data(), { rtol: 1e-5, atol: 1e-6 });
    const additive = tensor(Array.from({ length: L * L }, (_, i) => (i % L > Math.floor(i / L) ? -Infinity : 0)), { shape: [L, L] });
    const [composite, weights] = m.forwardWithWeights(x, x, x, { attnMask: additive, averageAttnWeights: false });
    expect(weights.shape).toEqual([N, H, L, L]);
    expectClose(await composite.data(), await fused.data(), { rtol: 1e-5, atol: 1e-6 });
    const grads = async (y: Tensor) => {
      x.zeroGrad();
      m.zeroGrad();
      tidy(() => y.mul(y).sum().backward());
      return [await host(x.grad!), await host(m.inProjWeight.grad!), await host(m.outProj.weight.grad!)];
    };
    const gf = await grads(fused);
    const gc = await grads(composite);
    gf.forEach((g, i) => expectClose(g, gc[i], { rtol: 1e-4, atol: 1e-5 }));
    m.dispose();
  });

  it('keyPaddingMask (boolean or additive) alone, with isCausal and with attnMask matches the reference', async () => {
    const m = new nn.MultiheadAttention(E, H, { seed: 12 });
    const x = randn([L, N, E], { seed: 13 });
    const kv = randn([L + 1, N, E], { seed: 14 });
    const S = L + 1;
    const padded = (j: number, n: number) => (n === 1 && j === S - 1) || (n === 2 && j < 2);
    const kpm = i32(Array.from({ length: N * S }, (_, i) => Number(padded(i % S, Math.floor(i / S)))), [N, S]);
    const kpmAdd = tensor(Array.from({ length: N * S }, (_, i) => (padded(i % S, Math.floor(i / S)) ? -Infinity : 0)), { shape: [N, S] });
    const want = await mhaRef(m, x, kv, kv, (_i, j, n) => padded(j, n));
    expectClose(await m.forward(x, kv, kv, { keyPaddingMask: kpm }).data(), want, { rtol: 1e-4, atol: 1e-5 });
    expectClose(await m.forward(x, kv, kv, { key_padding_mask: kpmAdd } as never).data(), want, { rtol: 1e-4, atol: 1e-5 });
    const selfPad = i32(Array.from({ length: N * L }, (_, i) => Number(i % L === L - 1 && i >= L)), [N, L]);
    const blockedSelf = (i: number, j: number, n: number) => j > i || (n > 0 && j === L - 1);
    const causalWant = await mhaRef(m, x, x, x, blockedSelf);
    expectClose(await m.forward(x, x, x, { keyPaddingMask: selfPad, isCausal: true }).data(), causalWant, { rtol: 1e-4, atol: 1e-5 });
    const tri = tensor(Array.from({ length: L * L }, (_, i) => (i % L > Math.floor(i / L) ? -Infinity : 0)), { shape: [L, L] });
    expectClose(await m.forward(x, x, x, { keyPaddingMask: selfPad, attnMask: tri }).data(), causalWant, { rtol: 1e-4, atol: 1e-5 });
    expect(() => m.forward(x, kv, kv, { keyPaddingMask: i32([0, 0], [1, 2]) })).toThrow(/keyPaddingMask must be \[N, S\] = \[3, 6\]/);
    m.dispose();
  });

  it('batchFirst, unbatched input and per-batch-head masks give the same as the [L, N, E] layout', async () => {
    const m = new nn.MultiheadAttention(E, H, { seed: 8 });
    const mb = new nn.MultiheadAttention(E, H, { seed: 8, batchFirst: true });
    const x = randn([L, N, E], { seed: 9 });
    const y = await host(m.forward(x));
    expectClose(await permute(mb.forward(permute(x, [1, 0, 2])), [1, 0, 2]).data(), y, { rtol: 1e-5, atol: 1e-6 });
    const x0 = tensor((await host(x)).filter((_, i) => Math.floor(i / E) % N === 0), { shape: [L, E] });
    const y0 = m.forward(x0);
    expect(y0.shape).toEqual([L, E]);
    expectClose(await y0.data(), y.filter((_, i) => Math.floor(i / E) % N === 0), { rtol: 1e-5, atol: 1e-6 });
    // A [N * H, L, S] mask (index n * H + h) that blocks key 0 for every batch but the first.
    const mask = i32(Array.from({ length: N * H * L * L }, (_, i) => Number(i >= H * L * L && i % L === 0)), [N * H, L, L]);
    const masked = await host(m.forward(x, x, x, { attnMask: mask }));
    const unmasked0 = y.filter((_, i) => Math.floor(i / E) % N === 0);
    expectClose(masked.filter((_, i) => Math.floor(i / E) % N === 0), unmasked0, { rtol: 1e-5, atol: 1e-6 });
    expect(masked.some((v, i) => Math.abs(v - y[i]) > 1e-4)).toBe(true);
  });

  it('dropout acts in training mode only', async () => {
    const m = new nn.MultiheadAttention(E, H, { seed: 10, dropout: 0.5 });
    const ref = new nn.MultiheadAttention(E, H, { seed: 10 });
    const x = randn([L, N, E], { seed: 11 });
    const plain = await host(ref.forward(x));
    const trained = await host(m.forward(x));
    expect(trained.some((v, i) => Math.abs(v - plain[i]) > 1e-3)).toBe(true);
    m.eval();
    expectClose(await m.forward(x).data(), plain, { rtol: 1e-5, atol: 1e-6 });
  });

  it('refuses bad arguments with typed errors before any GPU work', () => {
    expect(() => new nn.MultiheadAttention(10, 3)).toThrow(/embedDim must be divisible by numHeads, got embedDim 10 and numHeads 3/);
    expect(() => new nn.MultiheadAttention(8, 2, { kdim: 4 } as never)).toThrow(/unknown option 'kdim'/);
    const m = new nn.MultiheadAttention(E, H, { seed: 1 });
    const x = randn([L, N, E]);
    expect(() => m.forward(randn([2, L, N, E]))).toThrow(ShapeError);
    expect(() => m.forward(randn([L, N, E + 1]))).toThrow(/embedDim = 8/);
    expect(() => m.forward(x, randn([L, N + 1, E]), randn([L, N + 1, E]))).toThrow(/same batch size/);
    expect(() => m.forward(x, randn([L, N, E]), randn([L + 1, N, E]))).toThrow(/same sequence length/);
    expect(() => m.forward(x, x, x, { attnMask: i32(new Array(L * (L + 1)).fill(0), [L, L + 1]) })).toThrow(/attnMask must be \[L, S\] = \[5, 5\]/);
    expect(() => m.forward(x, x, x, { attnMask: i32(new Array(L * L).fill(0), [L, L]), isCausal: true })).toThrow(ValueError);
    expect(() => m.forward(x, x, x, { needWeights: true })).toThrow(/forwardWithWeights/);
    expect(m.forward(x, x, x, { needWeights: false }).shape).toEqual([L, N, E]);
  });
});
