// clipGradNorm (torch.nn.utils.clip_grad_norm_) against the float64 reference: norms of order
// 1, 2, 3 and Inf over gradients of many sizes (more partial sums than the per-gradient cap),
// NaN / Inf norms, errorIfNonfinite, determinism, and inside a captured training step.
import { describe, expect, it } from 'vitest';
import { clipGradNormRef } from '../src/check/reference/optim.ts';
import { Rng } from '../src/random.ts';
import { ValueError, capture, clipGradNorm, linear, nn, randint, randn, softmaxCrossEntropy, tensor, type Tensor } from '../src/index.ts';
import { SGD } from '../src/optim/index.ts';
import { expectClose } from './helpers.ts';

const SIZES = [[3, 5], [1], [300_001], [64, 70], [7]];

/** Parameters whose gradients hold seeded N(0, 1) values (exact in f32); returns both. */
function withGrads(seed: number, sizes = SIZES): { params: Tensor[]; grads: number[][] } {
  const rng = new Rng(seed);
  const grads = sizes.map((s) => Array.from({ length: s.reduce((a, b) => a * b, 1) }, () => Math.fround(rng.normal())));
  const params = sizes.map((s, i) => {
    const p = tensor(new Float32Array(grads[i].length), { shape: s, requiresGrad: true });
    p.grad = tensor(Float32Array.from(grads[i]), { shape: s });
    return p;
  });
  return { params, grads };
}

const dispose = (ps: Tensor[]) => ps.forEach((p) => { p.zeroGrad(); p.dispose(); });

describe('clipGradNorm against float64', () => {
  for (const normType of [2, 1, 3, Infinity]) {
    for (const maxNorm of [0.5, 1e6]) {
      it(`normType ${normType}, maxNorm ${maxNorm}`, async () => {
        const { params, grads } = withGrads((Number.isFinite(normType) ? normType : 9) * 10 + maxNorm);
        const ref = clipGradNormRef(grads, maxNorm, normType);
        const norm = clipGradNorm(params, maxNorm, { normType });
        expect(norm.shape).toEqual([]);
        expectClose([await norm.item()], [ref.norm], { rtol: 2e-5, atol: 0 });
        for (const [i, p] of params.entries()) expectClose(await p.grad!.data(), ref.clipped[i], { rtol: 2e-5, atol: 1e-9 });
        if (maxNorm === 1e6) {
          // No clipping: the factor is exactly 1, the gradients keep their bits.
          expect(Array.from(await params[0].grad!.data())).toEqual(grads[0]);
        }
        dispose(params);
      });
    }
  }

  it("'inf' as PyTorch's float('inf'); a single tensor; parameters without a gradient are skipped", async () => {
    const { params, grads } = withGrads(5, [[4, 4]]);
    const idle = tensor([1, 2], { requiresGrad: true });
    const norm = await clipGradNorm([...params, idle], 0.1, { normType: 'inf' }).item();
    expect(norm).toBe(Math.max(...grads[0].map(Math.abs)));
    expect(idle.grad).toBeNull();
    // After clipping, the largest |g| is maxNorm (up to the 1e-6 in the factor).
    expect(await clipGradNorm(params[0], 1e9, { normType: Infinity }).item()).toBeCloseTo(0.1, 5);
    expect(await clipGradNorm([idle], 1).item()).toBe(0);
    dispose([...params, idle]);
  });

  it('the same gradients give the same bits on every run (no atomics)', async () => {
    const runs = [];
    for (let r = 0; r < 2; r++) {
      const { params } = withGrads(77);
      const norm = await clipGradNorm(params, 0.25).item();
      runs.push([norm, ...(await params[2].grad!.data()).slice(0, 1000)]);
      dispose(params);
    }
    expect(runs[1]).toEqual(runs[0]);
  });

  it('a NaN or Inf norm: NaN / zeroed gradients as PyTorch, or errorIfNonfinite leaves them unchanged and rejects', async () => {
    const a = tensor([1, 2], { requiresGrad: true });
    a.grad = tensor([NaN, 1]);
    expect(Number.isNaN(await clipGradNorm([a], 1).item())).toBe(true);
    expect(Array.from(await a.grad.data()).every(Number.isNaN)).toBe(true);
    const b = tensor([1, 2], { requiresGrad: true });
    b.grad = tensor([Infinity, 1]);
    await expect(clipGradNorm([b], 1, { errorIfNonfinite: true })).rejects.toThrow(/clipGradNorm: the total norm of order 2 of the gradients is Infinity; the gradients were left unchanged/);
    expect(Array.from(await b.grad.data())).toEqual([Infinity, 1]);
    const c = tensor([3, 4], { requiresGrad: true });
    c.grad = tensor([3, 4]);
    const norm = await clipGradNorm([c], 1, { errorIfNonfinite: true });
    expect(await norm.item()).toBe(5);
    expectClose(await c.grad.data(), [3 / (5 + 1e-6), 4 / (5 + 1e-6)], { rtol: 1e-6, atol: 0 });
    dispose([a, b, c]);
  });

  it('bad arguments are typed errors, nothing scaled', async () => {
    const p = tensor([3, 4], { requiresGrad: true });
    p.grad = tensor([3, 4]);
    expect(() => clipGradNorm([p], -1)).toThrow(/clipGradNorm: maxNorm must be a finite number >= 0/);
    expect(() => clipGradNorm([p], 1, { normType: 0 })).toThrow(ValueError);
    expect(() => clipGradNorm([p], 1, { norm_type: 2 } as never)).toThrow(/did you mean 'normType'/);
    const q = tensor([1], { requiresGrad: true });
    q.grad = tensor([1, 2]);
    expect(() => clipGradNorm([p, q], 1)).toThrow(/gradient of parameter .* has shape \[2\] but the parameter is \[1\]/);
    expect(Array.from(await p.grad.data())).toEqual([3, 4]);
    expect(nn.utils.clipGradNorm).toBe(clipGradNorm);
    dispose([p, q]);
  });
});

describe('clipGradNorm in a captured training step', () => {
  it('replays with the same numbers as eager steps', async () => {
    const run = async (captured: boolean) => {
      const w = randn([6, 4], { seed: 1, requiresGrad: true });
      const b = randn([4], { seed: 2, requiresGrad: true });
      const opt = new SGD([w, b], { lr: 0.5 });
      const x = randn([8, 6], { seed: 3 });
      const y = randint([8], 0, 4, { seed: 4 });
      const body = () => {
        opt.zeroGrad();
        const l = softmaxCrossEntropy(linear(x, w, b), y);
        l.backward();
        const norm = clipGradNorm([w, b], 0.05);
        opt.step();
        return [l, norm];
      };
      const step = captured ? capture(body) : null;
      const norms: number[] = [];
      for (let i = 0; i < 3; i++) {
        const [l, norm] = step ? step.run() : body();
        norms.push(await norm.item());
        if (!step) [l, norm].forEach((t) => t.dispose());
      }
      const out = { norms, w: Array.from(await w.data()) };
      step?.dispose();
      opt.dispose();
      dispose([w, b]);
      [x, y].forEach((t) => t.dispose());
      return out;
    };
    const eager = await run(false);
    const replayed = await run(true);
    expect(eager.norms[0]).toBeGreaterThan(0.05); // the clipping is active
    expect(replayed.norms).toEqual(eager.norms);
    expect(replayed.w).toEqual(eager.w);
  });
});
