// The tape: accumulation into .grad across backward() calls, freed graphs and retainGraph,
// fan-out, explicit output gradients, shape checks, detach / noGrad / retainGrad, and memory
// returning to its baseline after a training step inside tidy().
import { describe, expect, it } from 'vitest';
import { REFERENCE } from '../src/check/reference.ts';
import {
  AutogradError, ShapeError, apply, defineOp, isGradEnabled, linear, memory, noGrad, randint, randn, softmaxCrossEntropy, sum,
  tensor, tidy, zeros, type Tensor,
} from '../src/index.ts';
import { expectClose } from './helpers.ts';
import { randomRef, readRef, TOL } from './ops-harness.ts';

describe('gradient accumulation', () => {
  it('accumulates across backward() calls until zeroGrad() or grad = null', async () => {
    const x = tensor([1, 2, 3], { requiresGrad: true });
    const loss = () => x.square().sum(); // d/dx = 2x
    loss().backward();
    expect(await x.grad!.toArray()).toEqual([2, 4, 6]);
    loss().backward();
    expect(await x.grad!.toArray()).toEqual([4, 8, 12]);
    x.zeroGrad();
    expect(x.grad).toBeNull();
    loss().backward();
    expect(await x.grad!.toArray()).toEqual([2, 4, 6]);
    x.grad = null;
    x.mul(5).sum().backward();
    expect(await x.grad!.toArray()).toEqual([5, 5, 5]);
  });

  it('fan-out: a tensor used by several ops receives the sum of their gradients', async () => {
    const x = tensor([0.5, -1, 2], { requiresGrad: true });
    const h = x.mul(3); // an internal node used three times below
    const y = h.mul(h).add(h).sub(x.exp()); // y = 9x^2 + 3x - e^x
    y.sum().backward();
    const expected = [0.5, -1, 2].map((v) => 18 * v + 3 - Math.exp(v));
    expectClose(await x.grad!.data(), expected, TOL);
  });

  it('a leaf used twice as both operands of one op', async () => {
    const w = tensor([[1, 2], [3, 4]], { requiresGrad: true });
    w.matmul(w).sum().backward(); // d sum(W W) / dW = 1 W^T + W^T 1
    const W = [[1, 2], [3, 4]];
    const expected = W.map((row, i) => row.map((_, j) => W[j].reduce((s, v) => s + v, 0) + W.reduce((s, r) => s + r[i], 0)));
    expectClose(await w.grad!.toArray(), expected, TOL);
  });

  it('inputs that do not require grad get none', async () => {
    const a = tensor([1, 2], { requiresGrad: true });
    const b = tensor([3, 4]);
    a.mul(b).sum().backward();
    expect(await a.grad!.toArray()).toEqual([3, 4]);
    expect(b.grad).toBeNull();
  });
});

describe('saved tensors', () => {
  it('backward still works after the user disposes the inputs and intermediates', async () => {
    const x = tensor([0.5, -1], { requiresGrad: true });
    const w = tensor([2, 3]);
    const h = x.mul(w);
    const y = h.exp().sum();
    w.dispose(); // saved by mul for x's gradient
    h.dispose(); // the input of exp
    y.backward();
    expectClose(await x.grad!.data(), [2 * Math.exp(1), 3 * Math.exp(-3)], TOL);
  });
});

describe('freed graphs and retainGraph', () => {
  it('a second backward() through a freed graph throws AutogradError naming the op', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const y = x.exp().sum();
    y.backward();
    expect(() => y.backward()).toThrow(AutogradError);
    expect(() => y.backward()).toThrow(/'sum' was already freed.*retainGraph: true/);
  });

  it('names the freed op inside a larger graph', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const h = x.exp();
    h.sum().backward(); // frees exp's saved output
    expect(() => h.mul(2).sum().backward()).toThrow(/graph through 'exp' was already freed/);
  });

  it('{ retainGraph: true } allows running backward again, accumulating', async () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const y = x.square().sum();
    y.backward(undefined, { retainGraph: true });
    y.backward();
    expect(await x.grad!.toArray()).toEqual([4, 8]);
    expect(() => y.backward()).toThrow(AutogradError);
  });
});

describe('output gradients', () => {
  it('y.backward(dY) for a non-scalar y matches the reference VJP', async () => {
    const a = randomRef([3, 4], 11);
    const x = tensor(Float32Array.from(a.data), { shape: [3, 4], requiresGrad: true });
    const dY = randomRef([3, 4], 13);
    x.tanh().backward(tensor(Float32Array.from(dY.data), { shape: [3, 4] }));
    expectClose(await x.grad!.data(), REFERENCE.tanh.backward([a], undefined, dY)[0]!.data, TOL);
  });

  it('backward() on a non-scalar without a gradient throws AutogradError with the shape', () => {
    const y = tensor([[1, 2, 3], [4, 5, 6]], { requiresGrad: true }).mul(2);
    expect(() => y.backward()).toThrow(AutogradError);
    expect(() => y.backward()).toThrow(/output has shape \[2, 3\].*only for scalars.*y\.backward\(dY\)/);
  });

  it('a gradient of the wrong shape is a ShapeError naming both shapes', () => {
    const y = tensor([[1, 2, 3], [4, 5, 6]], { requiresGrad: true }).mul(2);
    expect(() => y.backward(zeros([3, 2]))).toThrow(ShapeError);
    expect(() => y.backward(zeros([3, 2]))).toThrow(/backward: the gradient must have the shape of the output \(got \[3, 2\] and \[2, 3\]\)/);
  });

  it("an op whose backward returns the wrong shape is caught, naming the op's backward", () => {
    const badOp = defineOp<undefined, undefined>({
      name: 'badOp',
      arity: 1,
      forward: ([x]) => ({ out: x.neg(), saved: undefined }),
      backward: (g) => [sum(g)], // a scalar instead of the input's shape
    });
    const y = apply(badOp, [tensor([1, 2, 3], { requiresGrad: true })], undefined);
    expect(() => y.sum().backward()).toThrow(ShapeError);
    const y2 = apply(badOp, [tensor([1, 2, 3], { requiresGrad: true })], undefined);
    expect(() => y2.sum().backward()).toThrow(/badOp\.backward: gradient for input 0 must have the input's shape \(got \[\] and \[3\]\)/);
  });
});

describe('detach, noGrad, retainGrad', () => {
  it('detach() shares the data but cuts the graph', async () => {
    const x = tensor([1, 2, 3], { requiresGrad: true });
    const d = x.detach();
    expect(d.requiresGrad).toBe(false);
    expect(d.gradFn).toBeNull();
    expect(d.storageFor('test')).toBe(x.storageFor('test'));
    d.mul(x).sum().backward(); // d is a constant: d/dx (d * x) = d
    expect(await x.grad!.toArray()).toEqual([1, 2, 3]);
    expect(d.grad).toBeNull();
  });

  it('noGrad() records nothing and restores recording afterwards, even after a throw', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const y = noGrad(() => {
      expect(isGradEnabled()).toBe(false);
      return x.mul(2).sum();
    });
    expect(isGradEnabled()).toBe(true);
    expect(y.requiresGrad).toBe(false);
    expect(y.gradFn).toBeNull();
    expect(() => y.backward()).toThrow(/does not require grad/);
    expect(() => noGrad(() => { throw new Error('inside'); })).toThrow('inside');
    expect(isGradEnabled()).toBe(true);
    expect(x.mul(2).requiresGrad).toBe(true);
  });

  it('retainGrad() keeps a non-leaf gradient; other non-leaves keep none', async () => {
    const x = tensor([0, 1, -2], { requiresGrad: true });
    const h = x.mul(2).retainGrad();
    const s = h.sigmoid();
    const k = s.mul(3);
    k.sum().backward();
    const sig = [0, 2, -4].map((v) => 1 / (1 + Math.exp(-v)));
    expectClose(await h.grad!.data(), sig.map((v) => 3 * v * (1 - v)), TOL);
    expect(s.grad).toBeNull();
    expectClose(await x.grad!.data(), sig.map((v) => 6 * v * (1 - v)), TOL);
  });
});

describe('memory', () => {
  const snapshot = () => {
    const m = memory();
    return { liveTensors: m.liveTensors, savedForBackward: m.savedForBackward, liveBuffers: m.liveBuffers, liveBytes: m.liveBytes };
  };

  it('returns to its baseline after a forward + backward inside tidy()', async () => {
    const x = randn([16, 8], { seed: 1 });
    const labels = randint([16], 0, 5, { seed: 2 });
    const w1 = randn([8, 12], { seed: 3, requiresGrad: true });
    const b1 = zeros([12], { requiresGrad: true });
    const w2 = randn([12, 5], { seed: 4, requiresGrad: true });
    const b2 = zeros([5], { requiresGrad: true });
    const params: Tensor[] = [w1, b1, w2, b2];
    const step = () =>
      tidy(() => {
        const loss = softmaxCrossEntropy(linear(linear(x, w1, b1, 'relu'), w2, b2), labels);
        loss.backward();
      });
    const baseline = snapshot();
    step();
    await readRef(w1.grad!);
    params.forEach((p) => p.zeroGrad());
    expect(snapshot()).toEqual(baseline);
    // With gradients kept between steps, a second step leaves exactly as much alive as the first.
    step();
    const withGrads = snapshot();
    step();
    expect(snapshot()).toEqual(withGrads);
    params.forEach((p) => p.zeroGrad());
    expect(snapshot()).toEqual(baseline);
  });

  it('tidy() frees a recorded graph that is not returned', () => {
    const x = tensor([1, 2, 3], { requiresGrad: true });
    const before = snapshot();
    tidy(() => {
      x.exp().tanh().sum();
    });
    expect(snapshot()).toEqual(before);
  });
});
