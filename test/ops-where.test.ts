// where / maskedFill (f32 and i32 conditions, broadcasting, scalar operands, -inf fills) and
// tril / triu (diagonals, batches, non-square) against the float64 reference; typed errors.
import { describe, expect, it } from 'vitest';
import { refArray, type RefArray } from '../src/check/array.ts';
import { Rng } from '../src/random.ts';
import { DTypeError, ShapeError, ValueError, maskedFill, runtime, tensor, tril, triu, where } from '../src/index.ts';
import { checkOp, input, randomRef, shapesLabel, testSeed } from './ops-harness.ts';

function mask(shape: number[], seed: number): RefArray {
  const rng = new Rng(seed);
  return refArray(shape, () => (rng.next() < 0.5 ? 1 : 0));
}

describe('where', () => {
  const cases: [number[], number[], number[]][] = [
    [[5], [5], [5]], [[1], [3], [3]], [[3, 4], [4], [3, 1]], [[2, 1, 3], [2, 5, 3], [1]], [[7, 1], [1, 9], [7, 9]], [[65], [65], [1]],
  ];
  for (const [c, a, b] of cases) {
    for (const dtype of ['f32', 'i32'] as const) {
      it(`${dtype} cond ${shapesLabel(c, a, b)}`, async () => {
        const cond = mask(c, testSeed(0));
        await checkOp('where', undefined, [input(cond, dtype === 'i32' ? { dtype } : { grad: false }), input(randomRef(a, testSeed(1))), input(randomRef(b, testSeed(2)))], ([t, x, y]) =>
          where(t, x, y),
        );
      });
    }
  }

  it('nonzero is true: NaN and negative values true, -0 false', async () => {
    const cond = tensor([NaN, -2, -0, 0, 0.5]);
    expect(Array.from(await where(cond, tensor([1, 1, 1, 1, 1]), tensor([0, 0, 0, 0, 0])).data())).toEqual([1, 1, 0, 0, 1]);
  });

  it('scalar operands: where(cond, x, 0.5) and where(cond, -Infinity, x)', async () => {
    const cond = mask([3, 4], testSeed(0));
    const x = randomRef([3, 4], testSeed(1));
    await checkOp('maskedFill', { value: 0.5, invert: true }, [input(x), input(cond, { dtype: 'i32' })], ([t, c]) => where(c, t, 0.5));
    const y = await where(tensor([1, 0], { dtype: 'i32' }), -Infinity, tensor([3, 4])).data();
    expect(Array.from(y)).toEqual([-Infinity, 4]);
  });
});

describe('maskedFill', () => {
  for (const [x, m] of [[[4], [4]], [[3, 5], [5]], [[2, 3, 4], [3, 1]], [[1, 1], [1]]] as [number[], number[]][]) {
    it(`x ${shapesLabel(x)} mask ${shapesLabel(m)}`, async () => {
      await checkOp('maskedFill', { value: -3.5, invert: false }, [input(randomRef(x, testSeed(0))), input(mask(m, testSeed(1)), { dtype: 'i32' })], ([t, k]) => t.maskedFill(k, -3.5));
    });
  }

  it('the causal attention mask: -Infinity above the diagonal', async () => {
    const scores = tensor([[1, 2, 3], [4, 5, 6], [7, 8, 9]]);
    const upper = triu(tensor([[1, 1, 1], [1, 1, 1], [1, 1, 1]]), 1);
    expect(await maskedFill(scores, upper, -Infinity).toArray()).toEqual([[1, -Infinity, -Infinity], [4, 5, -Infinity], [7, 8, 9]]);
  });
});

describe('tril and triu', () => {
  const cases: [number[], number][] = [[[1, 1], 0], [[4, 4], 0], [[3, 5], 1], [[5, 3], -1], [[2, 3, 7], 2], [[2, 2, 4, 4], -3], [[3, 3], 5], [[3, 65], 0]];
  for (const [shape, k] of cases) {
    it(`tril ${shapesLabel(shape)} diagonal ${k}`, async () => {
      await checkOp('tril', { diagonal: k }, [input(randomRef(shape, testSeed(0)))], ([t]) => tril(t, k));
    });
    it(`triu ${shapesLabel(shape)} diagonal ${k}`, async () => {
      await checkOp('triu', { diagonal: k }, [input(randomRef(shape, testSeed(0)))], ([t]) => t.triu(k));
    });
  }
});

describe('masking errors', () => {
  it('bad dtypes, shapes and arguments are typed errors before any GPU work', () => {
    const rt = runtime();
    const x = tensor([[1, 2, 3], [4, 5, 6]]);
    const before = rt.stats.dispatches;
    expect(() => where(tensor([1, 0]), x, x)).toThrow(ShapeError);
    expect(() => where(tensor([1, 0, 1], { dtype: 'i32' }), x, tensor([1, 2]))).toThrow(/where: .*\[2, 3\] and \[2\]/);
    expect(() => where(tensor([1, 0, 1]), 1, 2)).toThrow(ValueError);
    expect(() => where([1, 0] as never, x, x)).toThrow(/cond must be a Tensor/);
    expect(() => maskedFill(x, tensor([[[1, 0, 1]], [[0, 0, 1]]]), 0)).toThrow(/maskedFill: the mask must broadcast to the input's shape \[2, 3\]/);
    expect(() => maskedFill(x, tensor([1, 0, 1]), '0' as never)).toThrow(ValueError);
    expect(() => maskedFill(tensor([1, 2], { dtype: 'i32' }), tensor([1, 0]), 0)).toThrow(DTypeError);
    expect(() => tril(tensor([1, 2, 3]))).toThrow(/tril: expected a tensor of rank >= 2/);
    expect(() => triu(x, 0.5)).toThrow(ValueError);
    expect(rt.stats.dispatches).toBe(before);
  });
});
