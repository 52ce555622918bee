// scaledDotProductAttention (fused kernels) against the float64 reference and against the
// composite built from webgrad ops (matmul, where, softmax, matmul): values and all three
// gradients, plain / causal / masked, T in {1, 7, 64, 130} (not multiples of the key tile),
// D in {1, 16, 64, 128}, heads 1, T != S; determinism; typed errors before any GPU work.
import { describe, expect, it } from 'vitest';
import { refArray, type RefArray } from '../src/check/array.ts';
import {
  DTypeError, ShapeError, ValueError, matmul, memory, ones, scaledDotProductAttention, softmax, tensor, transpose, tril, where, type Tensor,
} from '../src/index.ts';
import { checkOp, input, randomRef, shapesLabel, testSeed, toTensor, type CaseInput } from './ops-harness.ts';
import { expectClose } from './helpers.ts';

type Mode = 'plain' | 'causal' | 'mask';
const TOL = { rtol: 2e-4, atol: 2e-5 };

/** A 0/1 mask [1, H, T, S] with about a third of the keys dropped, key 0 always kept. */
function maskRef(h: number, t: number, s: number, seed: number): RefArray {
  const r = randomRef([1, h, t, s], seed);
  return refArray(r.shape, (i) => (i % s === 0 || r.data[i] > -0.4 ? 1 : 0));
}

/** The composite attention from webgrad ops: what the fused op must equal. */
function composite(q: Tensor, k: Tensor, v: Tensor, scale: number, causal: boolean, mask: Tensor | null): Tensor {
  const s = matmul(q, transpose(k)).mul(scale);
  const keep = causal ? tril(ones([q.shape[2], k.shape[2]])) : mask;
  return softmax(keep ? where(keep, s, -Infinity) : s, -1).matmul(v);
}

interface Case { b: number; h: number; t: number; s: number; d: number; dv: number; mode: Mode }

function inputs(c: Case): CaseInput[] {
  const std = 1 / Math.sqrt(Math.sqrt(c.d)); // scores of order 1
  const xs = [
    input(randomRef([c.b, c.h, c.t, c.d], testSeed(0), { scale: std * 2 })),
    input(randomRef([c.b, c.h, c.s, c.d], testSeed(1), { scale: std * 2 })),
    input(randomRef([c.b, c.h, c.s, c.dv], testSeed(2))),
  ];
  return c.mode === 'mask' ? [...xs, input(maskRef(c.h, c.t, c.s, testSeed(3)), { grad: false })] : xs;
}

/** Fused vs composite: forward values and the gradients of q, k, v under sum(out * dY). */
async function againstComposite(c: Case, xs: CaseInput[]): Promise<void> {
  const scale = 1 / Math.sqrt(c.d);
  const dY = toTensor(input(randomRef([c.b, c.h, c.t, c.dv], testSeed(7)), { grad: false }));
  const results: { out: ArrayLike<number>; grads: ArrayLike<number>[] }[] = [];
  for (const fused of [true, false]) {
    const ts = xs.map(toTensor);
    const mask = c.mode === 'mask' ? ts[3] : null;
    const out = fused
      ? scaledDotProductAttention(ts[0], ts[1], ts[2], { causal: c.mode === 'causal', mask })
      : composite(ts[0], ts[1], ts[2], scale, c.mode === 'causal', mask);
    out.mul(dY).sum().backward();
    results.push({ out: await out.data(), grads: await Promise.all(ts.slice(0, 3).map((t) => t.grad!.data())) });
    for (const t of [...ts, ...ts.map((x) => x.grad), out]) t?.dispose();
  }
  dY.dispose();
  expectClose(results[0].out, results[1].out, TOL);
  for (let i = 0; i < 3; i++) expectClose(results[0].grads[i], results[1].grads[i], TOL);
}

const CASES: Case[] = [];
for (const mode of ['plain', 'causal', 'mask'] as const) {
  for (const t of [1, 7, 64, 130]) {
    for (const d of [1, 16, 64, 128]) {
      // heads 1 for the short sequences, 2 heads otherwise
      const [b, h] = t <= 7 ? [2, 1] : [1, 2];
      CASES.push({ b, h, t, s: t, d, dv: d, mode });
    }
  }
  // T != S (PyTorch's causal is top-left aligned: key j for row i when j <= i) and Dv != D
  CASES.push({ b: 1, h: 3, t: 7, s: 12, d: 8, dv: 5, mode });
  CASES.push({ b: 2, h: 1, t: 9, s: 3, d: 4, dv: 6, mode });
}

describe('scaledDotProductAttention', () => {
  for (const c of CASES) {
    it(`${c.mode} q ${shapesLabel([c.b, c.h, c.t, c.d])} S ${c.s} Dv ${c.dv}`, async () => {
      const xs = inputs(c);
      const attrs = { scale: 1 / Math.sqrt(c.d), causal: c.mode === 'causal', mask: c.mode === 'mask' };
      await checkOp('scaledDotProductAttention', attrs, xs, (ts) =>
        scaledDotProductAttention(ts[0], ts[1], ts[2], { causal: attrs.causal, mask: attrs.mask ? ts[3] : null }), TOL);
      await againstComposite(c, xs);
    });
  }

  it('scale option, i32 mask broadcast from [S], method form', async () => {
    const q = randomRef([1, 2, 5, 3], testSeed(0));
    const k = randomRef([1, 2, 6, 3], testSeed(1));
    const v = randomRef([1, 2, 6, 4], testSeed(2));
    const m = refArray([6], (i) => (i === 2 || i === 4 ? 0 : 1));
    await checkOp('scaledDotProductAttention', { scale: 0.3, causal: false, mask: true }, [input(q), input(k), input(v), input(m, { dtype: 'i32' })], ([a, b, c, mt]) =>
      a.scaledDotProductAttention(b, c, { mask: mt, scale: 0.3 }), TOL);
    await checkOp('scaledDotProductAttention', { scale: 2, causal: true, mask: false }, [input(q), input(k), input(v)], ([a, b, c]) =>
      scaledDotProductAttention(a, b, c, { isCausal: true, scale: 2 }), TOL);
  });

  it('gradients are bit-identical run to run', async () => {
    const xs = inputs({ b: 1, h: 2, t: 33, s: 33, d: 16, dv: 16, mode: 'causal' });
    const runs: ArrayLike<number>[][] = [];
    for (let r = 0; r < 2; r++) {
      const ts = xs.map(toTensor);
      const out = scaledDotProductAttention(ts[0], ts[1], ts[2], { causal: true });
      out.square().sum().backward();
      runs.push(await Promise.all(ts.map((t) => t.grad!.data())));
      for (const t of [...ts, ...ts.map((x) => x.grad), out]) t?.dispose();
    }
    for (let i = 0; i < 3; i++) expect(runs[0][i]).toEqual(runs[1][i]);
  });

  it('memory grows with T, not T * S: the forward keeps only the output and the row logsumexp', async () => {
    const [t, d] = [1024, 16];
    const xs = [0, 1, 2].map((k) => toTensor(input(randomRef([1, 1, t, d], testSeed(k)))));
    const before = memory().liveBytes;
    const out = scaledDotProductAttention(xs[0], xs[1], xs[2], { causal: true });
    const held = memory().liveBytes - before;
    // out [T, D] + L [T] (pool buckets may round up), against 4 MiB for the [T, T] scores.
    expect(held).toBeGreaterThanOrEqual((t * d + t) * 4); // the measure sees the two allocations
    expect(held).toBeLessThanOrEqual(2 * (t * d + t) * 4);
    out.sum().backward();
    expect(await xs[2].grad!.data()).toHaveLength(t * d);
    for (const x of [...xs, ...xs.map((x) => x.grad), out]) x?.dispose();
  });

  it('a row with no key left gives NaN, as the composite', async () => {
    const q = tensor([[[[1, 0], [0, 1]]]]);
    const k = tensor([[[[1, 2], [3, 4]]]]);
    const v = tensor([[[[1, 2], [3, 4]]]]);
    const out = scaledDotProductAttention(q, k, v, { mask: tensor([[1, 1], [0, 0]]) });
    const y = await out.data();
    expect(Number.isNaN(y[2]) && Number.isNaN(y[3])).toBe(true);
    expect(Number.isFinite(y[0]) && Number.isFinite(y[1])).toBe(true);
    for (const t of [q, k, v, out]) t.dispose();
  });
});

describe('scaledDotProductAttention empty sizes', () => {
  it('S = 0 gives zeros (the empty sum), T = 0 an empty output', async () => {
    const q = ones([1, 2, 3, 4], { requiresGrad: true });
    const out = scaledDotProductAttention(q, ones([1, 2, 0, 4]), ones([1, 2, 0, 5]));
    expect(out.shape).toEqual([1, 2, 3, 5]);
    expect(Array.from(await out.data())).toEqual(new Array(30).fill(0));
    out.sum().backward();
    expect(Array.from(await q.grad!.data())).toEqual(new Array(24).fill(0));
    const empty = scaledDotProductAttention(ones([2, 1, 0, 3]), ones([2, 1, 4, 3]), ones([2, 1, 4, 3]), { causal: true });
    expect(empty.shape).toEqual([2, 1, 0, 3]);
    for (const t of [q, q.grad, out, empty]) t?.dispose();
  });
});

describe('scaledDotProductAttention errors', () => {
  it('bad shapes, dtypes and options are typed errors naming the op and shapes, before any GPU work', () => {
    const q = tensor(new Float32Array(2 * 3 * 4), { shape: [1, 2, 3, 4], requiresGrad: true });
    const k = tensor(new Float32Array(2 * 5 * 4), { shape: [1, 2, 5, 4] });
    const v = tensor(new Float32Array(2 * 5 * 4), { shape: [1, 2, 5, 4] });
    const k3 = tensor(new Float32Array(2 * 5 * 3), { shape: [1, 2, 5, 3] });
    const q3 = tensor(new Float32Array(2 * 3 * 4), { shape: [2, 3, 4] });
    const badMask = ones([3, 4]);
    const wide = tensor(new Float32Array(129), { shape: [1, 1, 1, 129] });
    const before = memory().liveTensors;
    const sdpa = scaledDotProductAttention;
    expect(() => sdpa(q, k3, v)).toThrow(ShapeError);
    expect(() => sdpa(q, k3, v)).toThrow(/scaledDotProductAttention: head dims differ: q has D = 4, k has D = 3.*\[1, 2, 3, 4\].*\[1, 2, 5, 3\]/);
    expect(() => sdpa(q3, k, v)).toThrow(/scaledDotProductAttention: q must be 4-D \[B, H, T, D\], got \[2, 3, 4\]/);
    expect(() => sdpa(q, k, v, { mask: badMask })).toThrow(ShapeError);
    expect(() => sdpa(q, k, v, { mask: badMask })).toThrow(/mask \[3, 4\] must broadcast to \[B, H, T, S\] = \[1, 2, 3, 5\]/);
    expect(() => sdpa(q, k, v, { mask: ones([3, 5]), causal: true })).toThrow(ValueError);
    expect(() => sdpa(q, q, v)).toThrow(/same sequence length/);
    expect(() => sdpa(q, k, ones([2, 2, 5, 4]))).toThrow(/share batch and heads/);
    expect(() => sdpa(wide, wide, wide)).toThrow(/head dim D = 129/);
    expect(() => sdpa(tensor([[[[1]]]], { dtype: 'i32' }), k, v)).toThrow(DTypeError);
    expect(() => sdpa(q, k, v, { dropoutP: 0.1 } as never)).toThrow(/unknown option 'dropoutP'/);
    expect(() => sdpa(q, k, v, { scale: Number.NaN })).toThrow(ValueError);
    expect(() => sdpa(q, k, v, { mask: [1, 0] as never })).toThrow(ValueError);
    // ones() calls above made 4 argument tensors; nothing else was allocated or recorded.
    expect(memory().liveTensors - before).toBeLessThanOrEqual(5);
    expect(q.grad).toBeNull();
    for (const t of [q, k, v, k3, q3, badMask, wide]) t.dispose();
  });
});
