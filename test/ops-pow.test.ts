// pow against the float64 reference: tensor exponents with broadcasting, number exponents
// (integer exponents on negative bases included) and bad arguments. The NaN/Inf
// special cases (0^0, 1^NaN, negative bases with fractional exponents...) are rows of
// docs/NUMERICS.md, checked by test/numerics.test.ts.
import { describe, expect, it } from 'vitest';
import { full, pow, tensor } from '../src/index.ts';
import { checkOp, input, randomRef, shapesLabel, testSeed } from './ops-harness.ts';

describe('pow with a tensor exponent (broadcasting)', () => {
  const shapes: [number[], number[]][] = [[[3, 4], [3, 4]], [[2, 3, 4], [4]], [[3, 1], [1, 5]], [[1], [7]], [[17, 33], [33]], [[4], []]];
  for (const [a, b] of shapes) {
    it(`${shapesLabel(a, b)}`, async () => {
      const base = randomRef(a, testSeed(0), { domain: 'positive' });
      const exponent = randomRef(b, testSeed(1));
      await checkOp('pow', undefined, [input(base), input(exponent)], ([x, y]) => pow(x, y));
    });
  }

  it('the method form x.pow(t); a [] base tensor broadcasts (torch.pow(2, t) written full([], 2).pow(t))', async () => {
    const e = randomRef([3, 5], testSeed(0));
    const base = randomRef([], 0, { domain: 'positive' });
    await checkOp('pow', undefined, [input(base, { grad: false }), input(e)], ([b, x]) => b.pow(x));
    const y = await full([], 2).pow(tensor([0, 1, -1, 3])).data();
    expect(Array.from(y)).toEqual([1, 2, 0.5, 8]);
  });
});

describe('pow with a number exponent', () => {
  // Integer exponents take negative bases; the others need positive ones.
  const exponents: [number, 'nonzero' | 'positive'][] = [[0, 'nonzero'], [1, 'nonzero'], [2, 'nonzero'], [3, 'nonzero'], [-1, 'nonzero'], [-2, 'nonzero'], [0.5, 'positive'], [-1.5, 'positive'], [2.7, 'positive']];
  for (const [exponent, domain] of exponents) {
    for (const shape of [[7], [3, 17]]) {
      it(`x^${exponent} ${shapesLabel(shape)} (${domain} x)`, async () => {
        const x = randomRef(shape, testSeed(0), { domain });
        await checkOp('powScalar', { exponent }, [input(x)], ([t]) => t.pow(exponent));
      });
    }
  }

  it('integer exponents of negative bases are exact where float32 is', async () => {
    expect(Array.from(await tensor([-2, -3, -0.5, 4]).pow(3).data())).toEqual([-8, -27, -0.125, 64]);
    expect(Array.from(await tensor([-2, -3, 5]).pow(2).data())).toEqual([4, 9, 25]);
  });
});

describe('pow arguments', () => {
  it('refuses what is neither a Tensor nor a number, two numbers, and disposed tensors, naming pow', () => {
    const x = tensor([1, 2]);
    expect(() => pow(x, '2' as never)).toThrow(/^pow: exponent must be a Tensor or a number, got string/);
    expect(() => pow(2 as never, x)).toThrow(/^pow: the base must be a Tensor, got 2/);
    expect(() => pow(x, tensor([1, 2, 3]))).toThrow(/^pow: .*\[2\] and \[3\]/);
    x.dispose();
    expect(() => x.pow(2)).toThrow(/^pow: used a tensor that is already disposed \(base: /);
  });
});
