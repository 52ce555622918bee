// gelu (erf and tanh forms) and silu against the float64 reference: many shapes, a dense sweep
// of x that exercises every piece of the shader's erf / erfc fits at a tight tolerance, the
// tails (x = +-30, where GELU is x or a tiny negative number), and option errors.
import { describe, expect, it } from 'vitest';
import { refArray } from '../src/check/array.ts';
import { REFERENCE } from '../src/check/reference.ts';
import { gelu, silu, tensor, ValueError } from '../src/index.ts';
import { checkOp, input, randomRef, shapesLabel, testSeed, toTensor } from './ops-harness.ts';
import { expectClose } from './helpers.ts';

const SHAPES: number[][] = [[1], [5], [3, 7], [2, 3, 4], [1, 1, 1], [1000], [70000]];

describe('gelu and silu', () => {
  for (const shape of SHAPES) {
    it(`gelu (erf) ${shapesLabel(shape)}`, async () => {
      await checkOp('gelu', { approximate: 'none' }, [input(randomRef(shape, testSeed(0), { scale: 3 }))], ([t]) => gelu(t));
    });
    it(`gelu (tanh) ${shapesLabel(shape)}`, async () => {
      await checkOp('gelu', { approximate: 'tanh' }, [input(randomRef(shape, testSeed(0), { scale: 3 }))], ([t]) => t.gelu({ approximate: 'tanh' }));
    });
    it(`silu ${shapesLabel(shape)}`, async () => {
      await checkOp('silu', undefined, [input(randomRef(shape, testSeed(0), { scale: 3 }))], ([t]) => t.silu());
    });
  }

  it('erf-form GELU is accurate to a few 1e-7 relative over [-13, 13], its derivative to 2e-6', async () => {
    // A dense sweep: every piece of the erf / erfc fit and the joins at |x| / sqrt 2 = 1, 2.5, 10.
    const n = 26001;
    const x = refArray([n], (i) => Math.fround(-13 + (26 * i) / (n - 1)));
    const t = toTensor(input(x));
    const y = gelu(t);
    const expected = REFERENCE.gelu.forward([x], { approximate: 'none' });
    // Relative to |y|, with an absolute floor where GELU is below 1e-30 (f32 denormals).
    expectClose(await y.data(), expected.data, { rtol: 5e-7, atol: 1e-30 }); // measured: 3.2e-7 on lavapipe
    y.sum().backward();
    const dx = REFERENCE.gelu.backward([x], { approximate: 'none' }, refArray([n], () => 1))[0]!;
    // The derivative crosses 0 near x = -0.7518 as Phi(x) + x phi(x) cancels: absolute there.
    expectClose(await t.grad!.data(), dx.data, { rtol: 2e-6, atol: 1e-7 });
  });

  it('tails: gelu(30) = 30, gelu(-30) = -0 to f32, silu(-1e4) finite', async () => {
    const x = tensor([30, -30, 1e4, -1e4]);
    expectClose(await gelu(x).data(), [30, 0, 1e4, 0], { rtol: 1e-7, atol: 1e-30 });
    expectClose(await gelu(x, { approximate: 'tanh' }).data(), [30, 0, 1e4, 0], { rtol: 1e-7, atol: 1e-30 });
    // silu uses the platform exp (sigmoid): WGSL allows it 3 + 2|x| ulps.
    expectClose(await silu(x).data(), [30, -30 / (1 + Math.exp(30)), 1e4, 0], { rtol: 1e-5, atol: 1e-30 });
  });

  it('bad options are refused', () => {
    const x = tensor([1, 2]);
    expect(() => gelu(x, { approximate: 'erf' as never })).toThrow(/gelu: .*'approximate' must be one of 'none', 'tanh'/);
    expect(() => gelu(x, { approx: 'tanh' } as never)).toThrow(ValueError);
    expect(() => (silu as (x: unknown, o: unknown) => unknown)(x, { inplace: true })).toThrow(/silu: takes no options/);
  });
});
