// The model zoo's GPT (src/models/gpt.ts): nanoGPT's state-dict names, initialisation, a few
// training steps on a tiny sequence that lower the loss, generation, and typed errors.
import { describe, expect, it } from 'vitest';
import { expectClose } from './helpers.ts';
import { run as tinyGpt } from '../examples/tiny-gpt.ts';
import { GPT, ShapeError, ValueError, capture, liveTensors, nn, optim, tensor, tidy, type Tensor } from '../src/index.ts';

const CFG = { vocabSize: 11, blockSize: 8, nLayer: 2, nHead: 2, nEmbd: 16, seed: 3 };
/** One optimizer step on the mean next-token loss (no tidy: capture() and the callers scope it). */
function step(m: GPT, opt: optim.Optimizer, x: Tensor, y: Tensor): Tensor {
  opt.zeroGrad();
  const loss = m.loss(x, y);
  loss.backward();
  opt.step();
  return loss;
}
const host = async (t: Tensor) => Array.from(await t.data());
const ids = (rows: number[][]): Tensor => tensor(Int32Array.from(rows.flat()), { shape: [rows.length, rows[0].length], dtype: 'i32' });

describe('GPT', () => {
  it("has nanoGPT's state-dict names and shapes (torch layout), with lm_head tied to wte", () => {
    const m = new GPT(CFG);
    const sd = m.stateDict();
    const keys = Object.keys(sd);
    expect(keys.slice(0, 2)).toEqual(['transformer.wte.weight', 'transformer.wpe.weight']);
    expect(keys.slice(2, 14)).toEqual(
      ['ln_1.weight', 'ln_1.bias', 'attn.c_attn.weight', 'attn.c_attn.bias', 'attn.c_proj.weight', 'attn.c_proj.bias', 'ln_2.weight', 'ln_2.bias', 'mlp.c_fc.weight', 'mlp.c_fc.bias', 'mlp.c_proj.weight', 'mlp.c_proj.bias'].map((k) => `transformer.h.0.${k}`),
    );
    expect(keys.slice(-3)).toEqual(['transformer.ln_f.weight', 'transformer.ln_f.bias', 'lm_head.weight']);
    expect(sd['lm_head.weight']).toBe(sd['transformer.wte.weight']);
    // The tied weight is one parameter (an optimizer updates it once).
    expect(m.parameters().filter((p) => p === m.wte.weight)).toHaveLength(1);
    expect(m.numParameters()).toBe(11 * 16 + 8 * 16 + 2 * (4 * 16 + (16 * 48 + 48) + (16 * 16 + 16) + (16 * 64 + 64) + (64 * 16 + 16)) + 2 * 16);
    m.dispose();
  });

  it("splits into nanoGPT's AdamW groups with optim.weightDecayGroups (the tied weight once, in the decayed group)", () => {
    const m = new GPT(CFG);
    const [decay, noDecay] = optim.weightDecayGroups(m, 0.1);
    const names = decay.params.map(([n]) => n);
    expect(names).toContain('transformer.wte.weight');
    expect(names).not.toContain('lm_head.weight');
    expect(names.every((n) => n.endsWith('.weight') && !n.includes('.ln_'))).toBe(true);
    expect(noDecay.params.every(([n]) => n.endsWith('.bias') || n.includes('ln_'))).toBe(true);
    expect(decay.params.length + noDecay.params.length).toBe(m.parameters().length);
    m.dispose();
  });

  it('has no biases with bias: false', () => {
    const m = new GPT({ ...CFG, bias: false });
    expect(Object.keys(m.stateDict()).filter((k) => k.endsWith('.bias'))).toEqual([]);
    m.dispose();
  });

  it('initialises as nanoGPT: N(0, 0.02) weights, c_proj 0.02 / sqrt(2 nLayer), zero biases', async () => {
    const m = new GPT({ ...CFG, nEmbd: 64, nHead: 4, vocabSize: 200 });
    const std = async (t: Tensor) => {
      const v = Array.from(await t.data());
      const mu = v.reduce((a, b) => a + b, 0) / v.length;
      return Math.sqrt(v.reduce((a, b) => a + (b - mu) ** 2, 0) / v.length);
    };
    const sd = m.stateDict();
    expect(await std(sd['transformer.wte.weight'])).toBeCloseTo(0.02, 2);
    expect(await std(sd['transformer.h.0.mlp.c_fc.weight'])).toBeCloseTo(0.02, 2);
    expect(Math.abs((await std(sd['transformer.h.0.mlp.c_proj.weight'])) - 0.02 / 2) / 0.01).toBeLessThan(0.05);
    expect([...(await sd['transformer.h.1.attn.c_attn.bias'].data())].every((x) => x === 0)).toBe(true);
    expect([...(await sd['transformer.ln_f.weight'].data())].every((x) => x === 1)).toBe(true);
    m.dispose();
  });

  it('trains: forward gives [B, T, V] logits and a few AdamW steps lower the loss on a tiny sequence', async () => {
    const m = new GPT(CFG);
    const seq = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 1, 2, 3, 4, 5, 6, 7];
    const x = ids([seq.slice(0, 8), seq.slice(4, 12)]);
    const y = ids([seq.slice(1, 9), seq.slice(5, 13)]);
    const logits = m.forward(x);
    expect(logits.shape).toEqual([2, 8, 11]);
    logits.dispose();
    const opt = new optim.AdamW(m.parameters(), { lr: 1e-2, weightDecay: 0 });
    const losses: number[] = [];
    for (let s = 0; s < 30; s++) {
      const loss = tidy(() => step(m, opt, x, y));
      losses.push((await loss.data())[0]);
      loss.dispose();
    }
    expect(losses[0]).toBeGreaterThan(Math.log(11) - 0.3);
    expect(losses[losses.length - 1]).toBeLessThan(0.5 * losses[0]);
    // It learned the sequence: greedy-ish generation continues it.
    const out = await m.eval().generate([[1, 2, 3]], 4, { temperature: 0.01, seed: 1 });
    expect(out).toEqual([[1, 2, 3, 4, 5, 6, 7]]);
        m.dispose();
  });

  it('a training step replays under capture() with the losses of eager steps', async () => {
    const batches = [0, 1, 2].map((s) => Array.from({ length: 2 * 9 }, (_, i) => (i * (s + 2) + s) % 11));
    const split = (b: number[]) => [ids([b.slice(0, 8), b.slice(9, 17)]), ids([b.slice(1, 9), b.slice(10, 18)])];
    const eager = new GPT(CFG);
    const eagerOpt = new optim.AdamW(eager, { lr: 1e-2 });
    const want: number[] = [];
    for (const b of batches) {
      const [x, y] = split(b);
      const l = tidy(() => step(eager, eagerOpt, x, y));
      want.push((await l.data())[0]);
    }
    const m = new GPT(CFG);
    const opt = new optim.AdamW(m, { lr: 1e-2 });
    const [x, y] = split(batches[0]);
    const captured = capture(() => step(m, opt, x, y));
    const got: number[] = [];
    for (const b of batches) {
      const [bx, by] = split(b);
      x.write(await bx.data());
      y.write(await by.data());
      got.push((await captured.run().data())[0]);
    }
    expect(captured.replays).toBe(2);
    want.forEach((w, i) => expect(Math.abs(got[i] - w)).toBeLessThan(1e-5));
    captured.dispose();
    for (const o of [opt, eagerOpt]) o.dispose();
    for (const g of [m, eager]) g.dispose();
  });

  it('leaks no tensors: live tensors stay flat over training steps, generation and masked attention', async () => {
    const m = new GPT({ ...CFG, dropout: 0.1 });
    const opt = new optim.AdamW(m, { lr: 1e-3 });
    const mha = new nn.MultiheadAttention(16, 2, { dropout: 0.1 });
    const [x, y] = [ids([[1, 2, 3, 4]]), ids([[2, 3, 4, 5]])];
    const mask = ids([[0, 1, 1, 1], [0, 0, 1, 1], [0, 0, 0, 1], [0, 0, 0, 0]]);
    const q = tensor(new Float32Array(4 * 16).map((_, i) => Math.sin(i)), { shape: [4, 1, 16] });
    const round = async () => {
      const loss = tidy(() => step(m, opt, x, y));
      await loss.data();
      loss.dispose();
      await m.eval().generate(x, 3, { seed: 1 });
      m.train();
      tidy(() => mha.forward(q, q, q, { attnMask: mask }).sum().backward());
      tidy(() => mha.forwardWithWeights(q, q, q, { attnMask: mask })[1].sum().backward());
    };
    await round();
    const before = liveTensors().length;
    await round();
    await round();
    expect(liveTensors().length).toBe(before);
    opt.dispose();
    m.dispose();
    mha.dispose();
  });

  it('dropout: random in training mode (and trainable), the identity in eval mode', async () => {
    const m = new GPT({ ...CFG, dropout: 0.3 });
    const x = ids([[1, 2, 3, 4, 5]]);
    const [a, b] = [await host(m.forward(x)), await host(m.forward(x))];
    expect(a.some((v, i) => Math.abs(v - b[i]) > 1e-4)).toBe(true);
    tidy(() => m.loss(x, ids([[2, 3, 4, 5, 6]])).backward());
    expect(m.h[0].attn.c_attn.weight.grad).not.toBeNull();
    m.eval();
    const [c, d] = [await host(m.forward(x)), await host(m.forward(x))];
    expect(c).toEqual(d);
    const plain = new GPT({ ...CFG, dropout: 0 }).eval();
    expectClose(c, await host(plain.forward(x)), { rtol: 1e-5, atol: 1e-6 });
    m.dispose();
    plain.dispose();
  });

  it('generate is seeded, crops the context to blockSize, honours topK and streams tokens', async () => {
    const m = new GPT(CFG).eval();
    const streamed: number[][] = [];
    const a = await m.generate([[1, 2], [3, 4]], 10, { seed: 5, onToken: (t) => streamed.push(t) });
    const b = await m.generate(ids([[1, 2], [3, 4]]), 10, { seed: 5 });
    expect(a).toEqual(b);
    expect(a[0]).toHaveLength(12);
    expect(streamed.map((t) => t[0])).toEqual(a[0].slice(2));
    const k1 = await m.generate([[1]], 5, { topK: 1, seed: 9 });
    const k1b = await m.generate([[1]], 5, { topK: 1, seed: 10 });
    expect(k1).toEqual(k1b); // top-1 is argmax whatever the seed
    await expect(m.generate([[11]], 1)).rejects.toThrow(ValueError);
    await expect(m.generate([[1]], 1, { temperature: 0 })).rejects.toThrow(/temperature/);
    m.dispose();
  });

  it('loss takes crossEntropy options: ignoreIndex (nanoGPT pads targets with -1), reduction', async () => {
    const m = new GPT(CFG);
    const x = ids([[1, 2, 3, 4], [5, 6, 7, 8]]);
    const all = await host(m.loss(x, ids([[2, 3, 4, 5], [6, 7, 8, 9]]), { reduction: 'none' }));
    expect(all).toHaveLength(8);
    const padded = await host(m.loss(x, ids([[2, 3, -1, -1], [6, -1, 8, 9]]), { ignoreIndex: -1 }));
    const kept = [0, 1, 4, 6, 7].map((i) => all[i]);
    expect(padded[0]).toBeCloseTo(kept.reduce((a, b) => a + b, 0) / kept.length, 5);
    expect(() => m.loss(x, ids([[2, 3, 4, 5]]))).toThrow(ShapeError);
    expect(() => m.loss(x, ids([[2, 3, 4, 5], [6, 7, 8, 9]]), { ignore_index: -1 } as never)).toThrow(/unknown option 'ignore_index'/);
    m.dispose();
  });

  it('refuses bad configs and inputs with typed errors', () => {
    expect(() => new GPT({ ...CFG, nEmbd: 15 })).toThrow(/nEmbd must be divisible by nHead/);
    expect(() => new GPT({ ...CFG, nLayers: 2 } as never)).toThrow(ValueError);
    expect(() => new GPT({ vocabSize: 4 } as never)).toThrow(/config.blockSize is required/);
    const m = new GPT(CFG);
    expect(() => m.forward(ids([[1, 2, 3, 4, 5, 6, 7, 8, 9]]))).toThrow(ShapeError);
    expect(() => m.forward(ids([[1, 2, 3]]).reshape([3]))).toThrow(ShapeError);
    expect(() => m.forward(tensor([[1, 2]]))).toThrow(/i32/);
    expect(() => m.forward(ids([[1, 11]]))).toThrow(/out of range/);
    m.dispose();
  });

  it('examples/tiny-gpt.ts runs (a few steps here) and its loss falls', async () => {
    const r = await tinyGpt({ steps: 12, log: () => {} });
    expect(r.losses[0].loss).toBeGreaterThan(Math.log(r.vocab) - 0.5);
    expect(r.losses[r.losses.length - 1].loss).toBeLessThan(r.losses[0].loss - 0.3);
    expect(r.sample.startsWith('To be')).toBe(true);
    expect(r.sample).toHaveLength(65);
  });
});
