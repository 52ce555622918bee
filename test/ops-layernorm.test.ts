// layerNorm and rmsNorm (fused kernels) against the float64 reference over many shapes (row
// lengths not multiples of 4 or of the workgroup, 1-element rows, 1 row), values far from 0
// (the one-pass variance), determinism of every gradient, and typed errors for bad inputs.
import { describe, expect, it } from 'vitest';
import { refArray } from '../src/check/array.ts';
import { layerNorm, rmsNorm, tensor, ShapeError, DTypeError, ValueError, randn, memory, type Tensor } from '../src/index.ts';
import { REFERENCE } from '../src/check/reference.ts';
import { checkOp, input, randomRef, shapesLabel, testSeed, toTensor } from './ops-harness.ts';
import { expectClose } from './helpers.ts';

// [input shape, normalizedShape]
const CASES: [number[], number[]][] = [
  [[1, 1], [1]], [[5], [5]], [[3, 7], [7]], [[4, 1], [1]], [[2, 3, 5], [3, 5]], [[17, 64], [64]],
  [[9, 65], [65]], [[2, 4, 130], [130]], [[3, 1000], [1000]], [[300, 3], [3]], [[2, 2, 2, 3], [2, 2, 3]],
];

describe('layerNorm', () => {
  for (const [shape, ns] of CASES) {
    it(`weight and bias ${shapesLabel(shape)} over ${shapesLabel(ns)}`, async () => {
      const attrs = { normalizedShape: ns, eps: 1e-5, weight: true, bias: true };
      const x = randomRef(shape, testSeed(0), { scale: 2 });
      const w = randomRef(ns, testSeed(1));
      const b = randomRef(ns, testSeed(2));
      await checkOp('layerNorm', attrs, [input(x), input(w), input(b)], ([t, wt, bt]) => layerNorm(t, ns, wt, bt));
    });
  }

  it('no weight or bias (method form), eps option', async () => {
    const x = randomRef([5, 6], testSeed(0));
    await checkOp('layerNorm', { normalizedShape: [6], eps: 0.1, weight: false, bias: false }, [input(x)], ([t]) => t.layerNorm(6, null, null, { eps: 0.1 }));
  });

  it('only a bias; only a weight', async () => {
    const x = randomRef([4, 9], testSeed(0));
    const p = randomRef([9], testSeed(1));
    await checkOp('layerNorm', { normalizedShape: [9], eps: 1e-5, weight: false, bias: true }, [input(x), input(p)], ([t, bt]) => layerNorm(t, [9], undefined, bt));
    await checkOp('layerNorm', { normalizedShape: [9], eps: 1e-5, weight: true, bias: false }, [input(x), input(p)], ([t, wt]) => layerNorm(t, [9], wt));
  });

  it('rows with a large mean and a small spread (one-pass variance stays accurate)', async () => {
    const base = randomRef([8, 100], testSeed(0), { scale: 0.01 });
    const x = refArray(base.shape, (i) => Math.fround(1000 + base.data[i]));
    const attrs = { normalizedShape: [100], eps: 1e-5, weight: false, bias: false };
    const expected = REFERENCE.layerNorm.forward([x], attrs);
    // The f32 mean is within ulp(1000) / 2 = 3e-5 of the true one, 3e-3 of the std: that bounds
    // xhat's error (PyTorch computes an f32 mean too). A running mean without the shift by the
    // row's first element drifted to 6e-2 here.
    const y = layerNorm(toTensor(input(x)), 100);
    expectClose(await y.data(), expected.data, { rtol: 0, atol: 4e-3 });
    y.dispose();
  });
});

describe('rmsNorm', () => {
  for (const [shape, ns] of CASES) {
    it(`weight ${shapesLabel(shape)} over ${shapesLabel(ns)}`, async () => {
      const x = randomRef(shape, testSeed(0), { scale: 2 });
      const w = randomRef(ns, testSeed(1));
      await checkOp('rmsNorm', { normalizedShape: ns, eps: 2 ** -23, weight: true, bias: false }, [input(x), input(w)], ([t, wt]) => rmsNorm(t, ns, wt));
    });
  }

  it('no weight (method form), eps option', async () => {
    const x = randomRef([3, 2, 5], testSeed(0));
    await checkOp('rmsNorm', { normalizedShape: [2, 5], eps: 1e-3, weight: false, bias: false }, [input(x)], ([t]) =>
      t.rmsNorm([2, 5], null, { eps: 1e-3 }),
    );
  });
});

describe('normalisation gradients are deterministic', () => {
  async function grads(fn: (x: Tensor, w: Tensor, b: Tensor) => Tensor): Promise<Float32Array[]> {
    const x = randn([257, 333], { seed: 7, requiresGrad: true });
    const w = randn([333], { seed: 8, requiresGrad: true });
    const b = randn([333], { seed: 9, requiresGrad: true });
    const g = randn([257, 333], { seed: 10 });
    const y = fn(x, w, b);
    y.backward(g);
    const out = [await x.grad!.data(), await w.grad!.data(), await b.grad!.data()] as Float32Array[];
    for (const t of [x, w, b, g, y, x.grad, w.grad, b.grad]) t?.dispose();
    return out;
  }
  const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

  it('layerNorm: two runs give bit-identical dx, dweight, dbias', async () => {
    const f = (x: Tensor, w: Tensor, b: Tensor) => layerNorm(x, [333], w, b);
    const [a, c] = [await grads(f), await grads(f)];
    for (let i = 0; i < 3; i++) expect(bits(a[i])).toEqual(bits(c[i]));
  });

  it('rmsNorm: two runs give bit-identical dx, dweight', async () => {
    const f = (x: Tensor, w: Tensor, b: Tensor) => rmsNorm(x, 333, w).add(b);
    const [a, c] = [await grads(f), await grads(f)];
    for (let i = 0; i < 3; i++) expect(bits(a[i])).toEqual(bits(c[i]));
  });
});

describe('normalisation errors', () => {
  it('bad shapes, dtypes and options are typed errors naming the op and shapes, before any GPU work', () => {
    const x = tensor([[1, 2, 3], [4, 5, 6]]);
    const before = memory().liveTensors;
    expect(() => layerNorm(x, [2])).toThrow(ShapeError);
    expect(() => layerNorm(x, [2])).toThrow(/layerNorm: normalizedShape \[2\] must equal the trailing dims.*\[2, 3\]/);
    expect(() => layerNorm(x, [2, 3, 1])).toThrow(ShapeError);
    expect(() => layerNorm(x, [])).toThrow(ShapeError);
    expect(() => layerNorm(x, 3, tensor([1, 2]))).toThrow(/layerNorm: weight must have shape normalizedShape \[3\].*\[2\]/);
    expect(() => layerNorm(x, 3, null, tensor([1, 2, 3, 4]))).toThrow(ShapeError);
    expect(() => layerNorm(x, 3, tensor([1, 2, 3], { dtype: 'i32' }))).toThrow(DTypeError);
    expect(() => layerNorm(x, 3, null, null, { eps: -1 })).toThrow(ValueError);
    expect(() => layerNorm(x, 3, null, null, { epsilon: 1e-5 } as never)).toThrow(/unknown option 'epsilon'/);
    expect(() => rmsNorm(x, [3], tensor([[1, 2, 3]]))).toThrow(/rmsNorm: weight must have shape/);
    expect(() => rmsNorm(tensor([1, 2, 3], { dtype: 'i32' }), 3)).toThrow(DTypeError);
    expect(memory().liveTensors - before).toBeLessThanOrEqual(6); // only the argument tensors built above
    x.dispose();
  });
});
