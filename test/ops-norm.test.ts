// batchNorm against the float64 reference: training and eval forward and backward over many
// shapes (channels that are not multiples of 4, batch 1 with spatial extent, more elements per
// channel than a workgroup has lanes), the running statistics over several steps, and bad inputs.
import { describe, expect, it } from 'vitest';
import { refArray, type RefArray } from '../src/check/array.ts';
import { REFERENCE } from '../src/check/reference.ts';
import { batchNormRunningRef } from '../src/check/reference/norm.ts';
import { batchNorm, ShapeError, tensor, ValueError, type Tensor } from '../src/index.ts';
import type { BatchNormAttrs } from '../src/ops/norm.ts';
import { checkOp, input, randomRef, readRef, shapesLabel, testSeed } from './ops-harness.ts';
import { expectClose } from './helpers.ts';

const SHAPES: number[][] = [[2, 3], [7, 5], [1, 3, 4, 5], [4, 6, 3, 3], [3, 17, 5, 7], [8, 2, 9, 11], [100, 30]];
const f32 = (r: RefArray) => tensor(Float32Array.from(r.data), { shape: r.shape });

function attrs(training: boolean, affine: boolean, momentum = 0.1, eps = 1e-5): BatchNormAttrs {
  return { training, momentum, eps, hasWeight: affine, hasBias: affine, hasRunning: true };
}

describe('batchNorm forward and backward against the float64 reference', () => {
  for (const shape of SHAPES) {
    const c = shape[1];
    for (const training of [true, false]) {
      it(`${training ? 'training' : 'eval'} ${shapesLabel(shape)}`, async () => {
        const x = randomRef(shape, testSeed(0), { scale: 2 });
        const w = randomRef([c], testSeed(1), { domain: 'positive' });
        const b = randomRef([c], testSeed(2));
        const rm = randomRef([c], testSeed(3));
        const rv = randomRef([c], testSeed(4), { domain: 'positive' });
        await checkOp(
          'batchNorm',
          attrs(training, true),
          [input(x), input(w), input(b), input(rm, { grad: false }), input(rv, { grad: false })],
          ([xt, wt, bt, rmt, rvt]) => batchNorm(xt, rmt, rvt, wt, bt, { training }),
        );
      });
    }
  }

  it('without weight and bias (affine false), eps 1e-3', async () => {
    const shape = [5, 3, 2, 2];
    const x = randomRef(shape, testSeed(0));
    const none = randomRef([1], 0);
    const a = { ...attrs(true, false, 0.1, 1e-3), hasRunning: false };
    const expected = REFERENCE.batchNorm.forward([x, none, none, none, none], a);
    const xt = f32(x);
    xt.requiresGrad = true;
    const y = batchNorm(xt, null, null, null, null, { training: true, eps: 1e-3 });
    expectClose(await y.data(), expected.data, { rtol: 1e-4, atol: 1e-5 });
    const dY = randomRef(shape, testSeed(1));
    y.backward(f32(dY));
    expectClose(await xt.grad!.data(), REFERENCE.batchNorm.backward([x, none, none, none, none], a, dY)[0]!.data, { rtol: 1e-4, atol: 1e-5 });
  });

  it('a constant channel normalises to 0 (variance 0 + eps), finite gradient', async () => {
    const x = tensor([[1, 2], [1, 4], [1, 6]], { requiresGrad: true });
    const y = batchNorm(x, null, null, null, null, { training: true });
    const v = await y.data();
    expect(v[0]).toBe(0);
    expect(v[2]).toBe(0);
    y.backward(tensor([[1, 1], [2, 1], [3, 1]]));
    expect(Array.from(await x.grad!.data()).every(Number.isFinite)).toBe(true);
  });
});

describe('batchNorm running statistics', () => {
  it('updated in place over several training steps (momentum, unbiased variance), then used in eval mode', async () => {
    const shape = [6, 5, 3, 4];
    const c = 5;
    let rmRef = refArray([c], () => 0);
    let rvRef = refArray([c], () => 1);
    const rm = f32(rmRef);
    const rv = f32(rvRef);
    for (let step = 0; step < 4; step++) {
      const x = randomRef(shape, testSeed(step), { scale: 1 + step });
      const y = batchNorm(f32(x), rm, rv, null, null, { training: true, momentum: 0.25 });
      expectClose(await y.data(), REFERENCE.batchNorm.forward([x, x, x, rmRef, rvRef], { ...attrs(true, false, 0.25) }).data, { rtol: 1e-4, atol: 1e-5 });
      ({ mean: rmRef, var: rvRef } = batchNormRunningRef(x, rmRef, rvRef, 0.25));
      expectClose(await rm.data(), rmRef.data, { rtol: 1e-5, atol: 1e-6 });
      expectClose(await rv.data(), rvRef.data, { rtol: 1e-5, atol: 1e-6 });
    }
    const x = randomRef(shape, testSeed(9));
    const y = batchNorm(f32(x), rm, rv, null, null, { training: false });
    expectClose(await y.data(), REFERENCE.batchNorm.forward([x, x, x, rmRef, rvRef], attrs(false, false)).data, { rtol: 1e-4, atol: 1e-5 });
    // Eval mode leaves the running statistics alone.
    expectClose(await rm.data(), rmRef.data, { rtol: 1e-6, atol: 0 });
  });

  it('matches hand-computed PyTorch values for one [4, 1] batch', async () => {
    // x = 1, 2, 3, 6: mean 3, biased var 3.5, unbiased 14/3; momentum 0.1 from (0, 1).
    const rm = tensor([0]);
    const rv = tensor([1]);
    const y = batchNorm(tensor([[1], [2], [3], [6]]), rm, rv, null, null, { training: true });
    expectClose(await rm.data(), [0.3], { rtol: 1e-6, atol: 0 });
    expectClose(await rv.data(), [0.9 + (0.1 * 14) / 3], { rtol: 1e-6, atol: 0 });
    expectClose(await y.data(), [-2, -1, 0, 3].map((d) => d / Math.sqrt(3.5 + 1e-5)), { rtol: 1e-5, atol: 1e-6 });
  });

  it('is deterministic: the same input gives bit-identical outputs and gradients', async () => {
    const x = randomRef([16, 7, 9, 9], 77);
    const run = async () => {
      const xt = f32(x);
      xt.requiresGrad = true;
      const w = tensor(Float32Array.from({ length: 7 }, (_, i) => 1 + i / 7), { requiresGrad: true });
      const y = batchNorm(xt, null, null, w, null, { training: true });
      y.backward(f32(randomRef([16, 7, 9, 9], 78)));
      return [...(await y.data()), ...(await xt.grad!.data()), ...(await w.grad!.data())];
    };
    expect(await run()).toEqual(await run());
  });
});

describe('batchNorm bad inputs', () => {
  const c3 = () => tensor([0, 0, 0]);
  it('typed errors naming the op and shapes', () => {
    const x = tensor(new Float32Array(24), { shape: [2, 3, 2, 2] });
    expect(() => batchNorm(tensor(new Float32Array(6), { shape: [1, 2, 3] }), null, null, null, null, { training: true })).toThrow(ShapeError);
    expect(() => batchNorm(tensor(new Float32Array(6), { shape: [1, 2, 3] }), null, null)).toThrow(/batchNorm.*\[1, 2, 3\]/);
    expect(() => batchNorm(x, tensor([0, 0]), tensor([1, 1]))).toThrow(/runningMean must have shape \[3\].*got \[2\]/);
    expect(() => batchNorm(x, c3(), c3(), tensor([1, 1, 1, 1]))).toThrow(ShapeError);
    expect(() => batchNorm(x, null, null)).toThrow(/eval mode.*runningMean/);
    expect(() => batchNorm(x, c3(), null, null, null, { training: true })).toThrow(ValueError);
    expect(() => batchNorm(x, c3(), c3(), null, null, { momentum: 2 })).toThrow(/momentum/);
    expect(() => batchNorm(x, c3(), c3(), null, null, { eps: 0 })).toThrow(/eps/);
    expect(() => batchNorm(x, c3(), c3(), null, null, { trainig: true } as never)).toThrow(/trainig/);
    expect(() => batchNorm(tensor([[1, 2, 3]]), null, null, null, null, { training: true })).toThrow(/more than 1 value per channel/);
  });

  it('a rejected call changes nothing (the running statistics stay)', async () => {
    const rm = tensor([5, 5, 5]);
    const rv = tensor([2, 2, 2]);
    const bad = (t: Tensor) => batchNorm(t, rm, rv, tensor([1, 1]), null, { training: true });
    expect(() => bad(tensor(new Float32Array(12), { shape: [4, 3] }))).toThrow(ShapeError);
    expect(Array.from(await rm.data())).toEqual([5, 5, 5]);
    expect(Array.from(await readRef(rv).then((r) => r.data))).toEqual([2, 2, 2]);
  });
});
