// Elementwise ops against the float64 reference: binary ops under NumPy broadcasting (0-d,
// size-1 dims, ranks up to 8, sizes that are not multiples of the workgroup), scalar operands,
// and every unary map, forward values and gradients.
import { describe, expect, it } from 'vitest';
import { refArray } from '../src/check/array.ts';
import { REFERENCE } from '../src/check/reference.ts';
import { OPS, add, apply, div, maximum, mul, sub, tensor, type Tensor } from '../src/index.ts';
import { checkOp, FP32, input, randomRef, readRef, shapesLabel, testSeed, TOL } from './ops-harness.ts';
import { expectClose } from './helpers.ts';

const BROADCAST_PAIRS: [number[], number[]][] = [
  [[], []],
  [[], [5]],
  [[5], []],
  [[1], [7]],
  [[3, 1], [1, 4]],
  [[2, 3, 4], [4]],
  [[4], [2, 3, 4]],
  [[2, 3, 4], [2, 1, 4]],
  [[2, 1, 4], [3, 1]],
  [[1, 1], [1]],
  [[17], [17]],
  [[257, 3], [257, 1]],
  [[65, 257], [257]],
  [[1000], [1000]],
  [[5, 1, 7, 1], [1, 6, 1, 3]],
  [[2, 3, 4, 5, 6], [3, 1, 5, 1]],
  [[2, 1, 2, 1, 2, 1, 2, 3], [1, 2, 1, 2, 1, 2, 1, 3]],
];

const BINARY = { add, sub, mul, div, maximum } as const;

describe('binary ops with broadcasting', () => {
  for (const [name, fn] of Object.entries(BINARY) as [keyof typeof BINARY, (a: Tensor, b: Tensor) => Tensor][]) {
    for (const [sa, sb] of BROADCAST_PAIRS) {
      it(`${name} ${shapesLabel(sa, sb)}`, async () => {
        const a = randomRef(sa, testSeed(0));
        // div: keep the divisor away from 0 so its gradient -a/b^2 stays well conditioned.
        const b = randomRef(sb, testSeed(1), { domain: name === 'div' ? 'nonzero' : 'any' });
        await checkOp(name, undefined, [input(a), input(b)], ([x, y]) => fn(x, y));
      });
    }
  }

  it('a tensor combined with itself gets both gradients (x * x, x - x)', async () => {
    const x = randomRef([3, 5], 77);
    const xs = tensor(Float32Array.from(x.data), { shape: [3, 5], requiresGrad: true });
    xs.mul(xs).sum().backward();
    expectClose(await xs.grad!.data(), x.data.map((v) => 2 * v), TOL);
    xs.zeroGrad();
    xs.sub(xs).sum().backward();
    expectClose(await xs.grad!.data(), new Float64Array(15), TOL);
  });

  it('maximum splits the gradient of a tie in halves and gives all of it to both operands at a NaN (torch.maximum)', async () => {
    const a = tensor([1, 2, 3, NaN, 4], { requiresGrad: true });
    const b = tensor([1, 5, 3, 0, NaN], { requiresGrad: true });
    const y = maximum(a, b);
    expect(Array.from(await y.data())).toEqual([1, 5, 3, NaN, NaN]);
    y.sum().backward();
    expectClose(await a.grad!.data(), [0.5, 0, 0.5, 1, 1], FP32);
    expectClose(await b.grad!.data(), [0.5, 1, 0.5, 1, 1], FP32);
  });
});

describe('scalar operands', () => {
  const x = randomRef([4, 33], 501, { domain: 'nonzero' });
  // A scalar operand behaves like a 0-d constant tensor broadcast against x.
  const cases: [string, 'add' | 'sub' | 'mul' | 'div', number, 'first' | 'second', (t: Tensor) => Tensor][] = [
    ['x + 2.5', 'add', 2.5, 'second', (t) => t.add(2.5)],
    ['2.5 + x', 'add', 2.5, 'first', (t) => add(2.5, t)],
    ['x - 1.5', 'sub', 1.5, 'second', (t) => t.sub(1.5)],
    ['3 - x', 'sub', 3, 'first', (t) => sub(3, t)],
    ['x * -2', 'mul', -2, 'second', (t) => t.mul(-2)],
    ['3 * x', 'mul', 3, 'first', (t) => mul(3, t)],
    ['x / 4', 'div', 4, 'second', (t) => t.div(4)],
    ['2 / x', 'div', 2, 'first', (t) => div(2, t)],
  ];
  for (const [label, op, value, position, run] of cases) {
    it(label, async () => {
      const s = input(refArray([], [value]), { grad: false });
      const inputs = position === 'first' ? [s, input(x)] : [input(x), s];
      await checkOp(op, undefined, inputs, (ts) => run(ts[position === 'first' ? 1 : 0]));
    });
  }

  it('affine (alpha * x + beta) directly', async () => {
    await checkOp('affine', { alpha: -1.5, beta: 0.25 }, [input(x)], ([t]) => apply(OPS.affine, [t], { alpha: -1.5, beta: 0.25 }));
  });
});

const UNARY_SHAPES: number[][] = [[], [1], [7], [3, 5], [2, 3, 4], [1000], [300, 257]];
const UNARY = {
  neg: 'any',
  exp: 'any',
  log: 'positive',
  sqrt: 'positive',
  square: 'any',
  tanh: 'any',
  relu: 'nonzero',
  sigmoid: 'any',
  abs: 'nonzero',
  recip: 'nonzero',
} as const;

describe('unary ops', () => {
  for (const [name, domain] of Object.entries(UNARY) as [keyof typeof UNARY, 'any' | 'positive' | 'nonzero'][]) {
    for (const shape of UNARY_SHAPES) {
      it(`${name} ${shapesLabel(shape)}`, async () => {
        const x = randomRef(shape, testSeed(0), { domain });
        await checkOp(name, undefined, [input(x)], ([t]) => apply(OPS[name], [t], undefined));
      });
    }
  }

  it('the method forms call the same ops', async () => {
    const x = randomRef([2, 3], 99, { domain: 'positive' });
    const t = tensor(Float32Array.from(x.data), { shape: [2, 3] });
    for (const name of Object.keys(UNARY) as (keyof typeof UNARY)[]) {
      if (name === 'recip') continue; // no method: 1 / x is div(1, x)
      const out = (t as unknown as Record<string, () => Tensor>)[name]();
      expectClose(await out.data(), REFERENCE[name].forward([x], undefined).data, TOL);
    }
  });

  it('sigmoid and tanh stay finite at +-1e4 (gradients 0)', async () => {
    const x = refArray([4], [1e4, -1e4, 88.8, -88.8]);
    await checkOp('sigmoid', undefined, [input(x)], ([t]) => t.sigmoid());
    await checkOp('tanh', undefined, [input(x)], ([t]) => t.tanh());
    const y = await readRef(tensor([1e4, -1e4]).sigmoid());
    expect([...y.data]).toEqual([1, 0]);
  });

  it('relu and abs have derivative 0 at 0 (seed 003: the mask keeps x > 0)', async () => {
    const x = tensor([-1, 0, 2], { requiresGrad: true });
    x.relu().sum().backward();
    expectClose(await x.grad!.data(), [0, 0, 1], FP32);
    x.zeroGrad();
    x.abs().sum().backward();
    expectClose(await x.grad!.data(), [-1, 0, 1], FP32);
  });
});
