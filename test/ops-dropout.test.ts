// dropout: the Threefry generator against its published known answer, the GPU mask against the
// host reference, mask statistics, determinism and independence of the launch shape, the same
// mask in backward, train/eval, p = 0 and p = 1, captured steps, bad inputs.
import { describe, expect, it } from 'vitest';
import { refArray } from '../src/check/array.ts';
import { dropoutKeeps, threefry2x32 } from '../src/check/reference/dropout.ts';
import { capture, dropout, manualSeed, nn, ones, tensor, ValueError, type Tensor } from '../src/index.ts';
import { keyOf } from '../src/ops/dropout.ts';
import { checkOp, input, randomRef, testSeed } from './ops-harness.ts';

const maskOf = async (y: Tensor) => Array.from(await y.data(), (v) => (v !== 0 ? 1 : 0));

describe('Threefry-2x32-20', () => {
  it('gives the Random123 known-answer vectors', () => {
    expect(threefry2x32(0x13198a2e, 0x03707344, 0x243f6a88, 0x85a308d3)).toEqual([0xc4923a9c, 0x483df7a0]);
    expect(threefry2x32(0, 0, 0, 0)).toEqual([0x6b200159, 0x99ba4efe]);
    expect(threefry2x32(0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff)).toEqual([0x1cb996fc, 0xbb002be7]);
  });
});

describe('dropout forward and backward', () => {
  for (const [shape, p, seed] of [[[7], 0.5, 1], [[13, 17], 0.3, 42], [[2, 3, 5, 7], 0.9, 2 ** 40 + 5], [[1000], 0.1, 0]] as const) {
    it(`matches the host mask [${shape.join(',')}] p ${p} seed ${seed}`, async () => {
      const attrs = { p, key: keyOf(seed), draw: null };
      await checkOp('dropout', attrs, [input(randomRef([...shape], testSeed(0)))], ([x]) => dropout(x, p, { seed }));
    });
  }

  it('keeps a fraction 1 - p of the elements and preserves the mean (inverted scaling)', async () => {
    const n = 200_000;
    for (const p of [0.1, 0.5, 0.8]) {
      const y = (await dropout(ones([n]), p, { seed: 7 }).data()) as Float32Array;
      const kept = y.reduce((s, v) => s + (v !== 0 ? 1 : 0), 0);
      const sigma = Math.sqrt(n * p * (1 - p));
      expect(Math.abs(kept - n * (1 - p))).toBeLessThan(5 * sigma);
      expect(y.find((v) => v !== 0)).toBeCloseTo(1 / (1 - p), 5);
      const mean = y.reduce((s, v) => s + v, 0) / n;
      expect(Math.abs(mean - 1)).toBeLessThan((5 * sigma) / n / (1 - p));
      // Neighbouring elements are independent: P(both kept) = (1 - p)^2.
      let both = 0;
      for (let i = 0; i + 1 < n; i += 2) both += y[i] !== 0 && y[i + 1] !== 0 ? 1 : 0;
      const q = (1 - p) ** 2;
      expect(Math.abs(both - (n / 2) * q)).toBeLessThan(5 * Math.sqrt((n / 2) * q * (1 - q)));
    }
  });

  it('is deterministic per seed, differs across seeds, and does not depend on the launch shape', async () => {
    const a = await maskOf(dropout(ones([5000]), 0.5, { seed: 3 }));
    expect(await maskOf(dropout(ones([5000]), 0.5, { seed: 3 }))).toEqual(a);
    expect(await maskOf(dropout(ones([50, 100]), 0.5, { seed: 3 }))).toEqual(a);
    // Element i's bit is a function of (seed, i) only: a longer tensor extends the same mask.
    expect((await maskOf(dropout(ones([70001]), 0.5, { seed: 3 }))).slice(0, 5000)).toEqual(a);
    const b = await maskOf(dropout(ones([5000]), 0.5, { seed: 4 }));
    expect(b.filter((v, i) => v !== a[i]).length).toBeGreaterThan(2000);
    // Seeds differing only in the high word give different masks too.
    const c = await maskOf(dropout(ones([5000]), 0.5, { seed: 3 + 2 ** 32 }));
    expect(c.filter((v, i) => v !== a[i]).length).toBeGreaterThan(2000);
  });

  it('backward applies the forward mask and scale', async () => {
    const x = tensor(Float32Array.from({ length: 4096 }, (_, i) => 1 + (i % 7)), { requiresGrad: true });
    const y = dropout(x, 0.4, { seed: 99 });
    y.backward(ones([4096]));
    const yv = await y.data();
    const gv = await x.grad!.data();
    const xv = await x.data();
    for (let i = 0; i < 4096; i++) {
      expect(gv[i]).toBeCloseTo(yv[i] / xv[i], 5);
      expect(gv[i] !== 0).toBe(dropoutKeeps({ p: 0.4, key: keyOf(99), draw: null }, i));
    }
  });

  it('unseeded calls draw new masks from the global generator; the backward still matches', async () => {
    const x = ones([4000], { requiresGrad: true });
    const y1 = dropout(x, 0.5);
    const y2 = dropout(x, 0.5);
    expect(await maskOf(y1)).not.toEqual(await maskOf(y2));
    y2.backward(ones([4000]));
    expect(Array.from(await x.grad!.data())).toEqual(Array.from(await y2.data()));
  });

  it('manualSeed makes unseeded masks reproducible', async () => {
    manualSeed(1234);
    const a = [await maskOf(dropout(ones([3000]), 0.5)), await maskOf(dropout(ones([3000]), 0.5))];
    manualSeed(1234);
    expect([await maskOf(dropout(ones([3000]), 0.5)), await maskOf(dropout(ones([3000]), 0.5))]).toEqual(a);
  });

  it('training false is the identity (the input itself); p = 0 copies; p = 1 zeroes values and gradients', async () => {
    const x = tensor([[1, -2, 3], [4, 5, -6]], { requiresGrad: true });
    expect(dropout(x, 0.5, { training: false })).toBe(x);
    const y0 = dropout(x, 0, { seed: 1 });
    expect(y0).not.toBe(x);
    expect(await y0.toArray()).toEqual([[1, -2, 3], [4, 5, -6]]);
    const y1 = dropout(x, 1, { seed: 1 });
    expect(Array.from(await y1.data())).toEqual([0, 0, 0, 0, 0, 0]);
    y1.backward(ones([2, 3]));
    expect(Array.from(await x.grad!.data())).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('a captured step draws a fresh mask per replay, and its backward uses that replay\'s mask', async () => {
    const x = ones([2048], { requiresGrad: true });
    const step = capture(() => {
      x.zeroGrad();
      const y = dropout(x, 0.5);
      y.sum().backward();
      return y;
    });
    const masks: number[][] = [];
    for (let r = 0; r < 3; r++) {
      const y = step.run();
      const m = await maskOf(y);
      masks.push(m);
      expect(Array.from(await x.grad!.data())).toEqual(Array.from(await y.data()));
    }
    expect(masks[1]).not.toEqual(masks[0]);
    expect(masks[2]).not.toEqual(masks[1]);
    step.dispose?.();
  });

  it("a seeded nn.Dropout layer inside a capture takes the next seed of its own stream at each replay", async () => {
    const eager = new nn.Dropout(0.5, { seed: 21 });
    const x = ones([1024]);
    const expected = [await maskOf(eager.forward(x)), await maskOf(eager.forward(x)), await maskOf(eager.forward(x))];
    const layer = new nn.Dropout(0.5, { seed: 21 });
    const step = capture(() => layer.forward(x));
    const got = [];
    for (let r = 0; r < 3; r++) got.push(await maskOf(step.run()));
    expect(got).toEqual(expected);
  });

  it('bad inputs are typed errors', () => {
    const x = tensor([1, 2, 3]);
    expect(() => dropout(x, 1.5)).toThrow(ValueError);
    expect(() => dropout(x, -0.1)).toThrow(/between 0 and 1/);
    expect(() => dropout(x, 0.5, { sed: 1 } as never)).toThrow(/sed/);
    expect(() => dropout(x, 0.5, { seed: -1 })).toThrow(/seed/);
    expect(() => dropout(refArray([1], [1]) as never, 0.5)).toThrow(/dropout/);
  });
});
