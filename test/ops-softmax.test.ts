// softmax, logSoftmax, softmaxCrossEntropy (i32 class indices, f32 one-hot and soft targets)
// and mseLoss against the float64 reference, including logits of +-1e4.
import { describe, expect, it } from 'vitest';
import { refArray, type RefArray } from '../src/check/array.ts';
import { mseLossRef } from '../src/check/reference.ts';
import { Rng } from '../src/random.ts';
import { logSoftmax, mseLoss, softmax, softmaxCrossEntropy, tensor } from '../src/index.ts';
import { checkOp, FP32, input, randomRef, readRef, shapesLabel, testSeed, TOL, toTensor } from './ops-harness.ts';
import { expectClose } from './helpers.ts';

const SHAPES: number[][] = [[1], [5], [1, 1], [3, 7], [2, 3, 10], [4, 1000], [70000, 3]];
const EXTREME = refArray([3, 4], [1e4, -1e4, 0, 1, -1e4, -1e4, -1e4 + 1, -1e4, 1e4, 1e4, -1e4, 9999]);

const LAST = (shape: readonly number[]) => ({ dim: shape.length - 1 });

describe('softmax and logSoftmax along the last axis', () => {
  for (const shape of SHAPES) {
    it(`softmax ${shapesLabel(shape)}`, async () => {
      await checkOp('softmax', LAST(shape), [input(randomRef(shape, testSeed(0), { scale: 3 }))], ([t]) => softmax(t));
    });
    it(`logSoftmax ${shapesLabel(shape)}`, async () => {
      await checkOp('logSoftmax', LAST(shape), [input(randomRef(shape, testSeed(0), { scale: 3 }))], ([t]) => t.logSoftmax(-1));
    });
  }

  it('logits of +-1e4 stay finite and exact', async () => {
    await checkOp('softmax', { dim: 1 }, [input(EXTREME)], ([t]) => t.softmax());
    await checkOp('logSoftmax', { dim: 1 }, [input(EXTREME)], ([t]) => logSoftmax(t, 1));
    const y = await readRef(softmax(toTensor(input(EXTREME))));
    expect(y.data.every(Number.isFinite)).toBe(true);
    expectClose(y.data.subarray(0, 4), [1, 0, 0, 0], FP32);
  });
});

describe('softmax and logSoftmax on every axis (strided in place, no permute)', () => {
  const shapes: number[][] = [[2, 3, 4], [3, 1, 5], [2, 3, 4, 5], [1, 70, 2, 3], [5, 300, 2]];
  for (const shape of shapes) {
    for (let dim = 0; dim < shape.length; dim++) {
      it(`softmax ${shapesLabel(shape)} dim ${dim}`, async () => {
        await checkOp('softmax', { dim }, [input(randomRef(shape, testSeed(0), { scale: 3 }))], ([t]) => softmax(t, dim));
      });
      it(`logSoftmax ${shapesLabel(shape)} dim ${dim - shape.length} (negative)`, async () => {
        await checkOp('logSoftmax', { dim }, [input(randomRef(shape, testSeed(0), { scale: 3 }))], ([t]) => t.logSoftmax(dim - shape.length));
      });
    }
  }

  it('every line along the axis sums to 1', async () => {
    const x = toTensor(input(randomRef([3, 4, 5], testSeed(0), { scale: 2 }), { grad: false }));
    const sums = await softmax(x, 1).sum({ axis: 1 }).data();
    expectClose(sums, new Array(15).fill(1), { rtol: 1e-5, atol: 1e-6 });
  });

  it('a 0-D tensor is one line of one element (dim 0 or -1, as in PyTorch)', async () => {
    await checkOp('softmax', { dim: 0 }, [input(refArray([], [2.5]))], ([t]) => softmax(t));
    await checkOp('logSoftmax', { dim: 0 }, [input(refArray([], [-1]))], ([t]) => t.logSoftmax(0));
  });

  it('a bad dim is a ValueError naming the op and the shape', () => {
    const x = tensor([[1, 2], [3, 4]]);
    expect(() => softmax(x, 2)).toThrow(/softmax.*axis 2/);
    expect(() => logSoftmax(x, 0.5)).toThrow(/logSoftmax: dim must be an integer axis of shape \[2, 2\], got 0.5/);
  });
});

/** Seeded class indices in [0, c). */
function classLabels(n: number, c: number, seed: number): RefArray {
  const rng = new Rng(seed);
  return refArray([n], () => rng.int(c));
}

/** Seeded rows of non-negative weights; normalised rows sum to 1 (soft labels). */
function softTargets(n: number, c: number, seed: number, normalise: boolean): RefArray {
  const rng = new Rng(seed);
  const raw = refArray([n, c], () => rng.next());
  for (let r = 0; r < n; r++) {
    const row = raw.data.subarray(r * c, r * c + c);
    const s = normalise ? row.reduce((a, b) => a + b, 0) : 1;
    row.forEach((v, i) => (row[i] = Math.fround(v / s)));
  }
  return raw;
}

/** The cross-entropy op's attributes with PyTorch's defaults. */
const ce = (reduction: 'mean' | 'sum' | 'none') => ({ reduction, ignoreIndex: -100, labelSmoothing: 0 });

const oneHot = (labels: RefArray, c: number): RefArray =>
  refArray([labels.shape[0], c], (i) => (labels.data[Math.floor(i / c)] === i % c ? 1 : 0));

describe('softmaxCrossEntropy', () => {
  const sizes: [number, number][] = [[1, 1], [1, 3], [4, 10], [17, 5], [64, 100], [3, 1000], [70000, 2]];
  for (const [n, c] of [[4, 10], [17, 5]]) {
    it(`reduction 'sum' and 'none' (per sample), logits [${n}, ${c}]`, async () => {
      const logits = randomRef([n, c], testSeed(0), { scale: 2 });
      const labels = classLabels(n, c, testSeed(1));
      await checkOp('softmaxCrossEntropy', ce('sum'), [input(logits), input(labels, { dtype: 'i32' })], ([x, t]) => softmaxCrossEntropy(x, t, 'sum'));
      await checkOp('softmaxCrossEntropy', ce('none'), [input(logits), input(labels, { dtype: 'i32' })], ([x, t]) => x.softmaxCrossEntropy(t, { reduction: 'none' }));
    });
  }
  for (const [n, c] of sizes) {
    it(`i32 class indices, logits [${n}, ${c}]`, async () => {
      const logits = randomRef([n, c], testSeed(0), { scale: 2 });
      const labels = classLabels(n, c, testSeed(1));
      await checkOp('softmaxCrossEntropy', ce('mean'), [input(logits), input(labels, { dtype: 'i32' })], ([x, t]) => softmaxCrossEntropy(x, t));
    });
    it(`f32 one-hot targets, logits [${n}, ${c}]`, async () => {
      const logits = randomRef([n, c], testSeed(0), { scale: 2 });
      const targets = oneHot(classLabels(n, c, testSeed(1)), c);
      await checkOp('softmaxCrossEntropy', ce('mean'), [input(logits), input(targets, { grad: false })], ([x, t]) => x.softmaxCrossEntropy(t));
    });
    it(`f32 soft targets, logits [${n}, ${c}]`, async () => {
      const logits = randomRef([n, c], testSeed(0), { scale: 2 });
      const targets = softTargets(n, c, testSeed(1), true);
      await checkOp('softmaxCrossEntropy', ce('mean'), [input(logits), input(targets, { grad: false })], ([x, t]) => softmaxCrossEntropy(x, t));
    });
  }

  it('targets whose rows do not sum to 1: the gradient is p * sum(t) - t, consistent with the loss', async () => {
    const logits = randomRef([6, 4], testSeed(0));
    const targets = softTargets(6, 4, testSeed(1), false);
    await checkOp('softmaxCrossEntropy', ce('mean'), [input(logits), input(targets, { grad: false })], ([x, t]) => softmaxCrossEntropy(x, t));
  });

  it('logits of +-1e4 give a finite loss and gradient', async () => {
    const labels = refArray([3], [1, 0, 3]);
    await checkOp('softmaxCrossEntropy', ce('mean'), [input(EXTREME), input(labels, { dtype: 'i32' })], ([x, t]) => softmaxCrossEntropy(x, t));
    const loss = await softmaxCrossEntropy(toTensor(input(EXTREME)), toTensor(input(labels, { dtype: 'i32' }))).item();
    expect(Number.isFinite(loss)).toBe(true);
  });
});

describe('mseLoss', () => {
  const shapes: number[][] = [[1], [7], [3, 5], [2, 3, 4], [1000]];
  for (const shape of shapes) {
    for (const reduction of ['mean', 'sum'] as const) {
      it(`${reduction} ${shapesLabel(shape)}`, async () => {
        const pred = randomRef(shape, testSeed(0));
        const target = randomRef(shape, testSeed(1));
        const expected = mseLossRef(pred, target, reduction);
        const p = toTensor(input(pred));
        const loss = mseLoss(p, toTensor(input(target, { grad: false })), { reduction });
        expect(loss.shape).toEqual([]);
        expectClose([await loss.item()], [expected.loss], TOL);
        loss.mul(3).backward();
        expectClose(await p.grad!.data(), expected.grad(3).data, TOL);
      });
    }
  }

  it('defaults to the mean and is available as a method', async () => {
    const pred = tensor([1, 2, 3]);
    expectClose([await pred.mseLoss(tensor([1, 0, 0])).item()], [13 / 3], FP32);
  });
});
