// The elementwise variant records (src/kernels/elementwise-variants.ts) forced in turn with
// WEBGRAD_ELEMENTWISE: unary, unary-grad (through backward) and binary ops at sizes around
// every vec4 and per-invocation edge (tails of 1-3 elements, a single vec4, 4 vec4s), against
// float64 on the host; broadcasting falls back to scalar under any forcing. Also: the table's
// default per shape, and a grid split at a lowered workgroup limit with four vec4s an
// invocation. test/kernels-gpu-family.test.ts runs this file again under WEBGRAD_KERNELS=gpu.
import { describe, expect, it } from 'vitest';
import { add, exp, init, maximum, mul, relu, runtime, sigmoid, tensor } from '../src/index.ts';
import { ELEMENTWISE, ELEMENTWISE_VARIANT_NAMES, type ElementwiseDims } from '../src/kernels/elementwise-variants.ts';
import { ValueError } from '../src/errors.ts';

const SIZES = [1, 3, 4, 5, 15, 16, 17, 63, 64, 65, 1023, 1024, 1027, 4099];

function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (((i * 7919 + seed * 104729) % 2003) / 1001.5 - 1) * 3;
  return out;
}

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, what: string, rtol = 1e-6): void {
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (!(Math.abs(got[i] - want[i]) <= rtol * (1 + Math.abs(want[i])))) expect.fail(`${what}: element ${i} is ${got[i]}, expected ${want[i]}`);
  }
}

function withVariant<T>(v: string | undefined, fn: () => Promise<T>): Promise<T> {
  const prev = process.env.WEBGRAD_ELEMENTWISE;
  if (v === undefined) delete process.env.WEBGRAD_ELEMENTWISE;
  else process.env.WEBGRAD_ELEMENTWISE = v;
  return fn().finally(() => {
    if (prev === undefined) delete process.env.WEBGRAD_ELEMENTWISE;
    else process.env.WEBGRAD_ELEMENTWISE = prev;
  });
}

const sig = (x: number) => 1 / (1 + Math.exp(-x));

describe('elementwise variants against float64', () => {
  for (const v of ELEMENTWISE_VARIANT_NAMES) {
    it(`${v}: unary, unary grad and same-shape binary at n in {${SIZES.join(', ')}}`, () =>
      withVariant(v, async () => {
        for (const n of SIZES) {
          const a = values(n, 1);
          const b = values(n, 2);
          const x = tensor(a, { shape: [n], requiresGrad: true });
          const y = tensor(b, { shape: [n] });
          const e = exp(x.mul(0.25));
          expectClose(await e.data(), Array.from(a, (t) => Math.exp(0.25 * t)), `${v} exp n=${n}`);
          const s = add(x, y);
          expectClose(await s.data(), Array.from(a, (t, i) => t + b[i]), `${v} add n=${n}`);
          const m = maximum(x, y);
          expectClose(await m.data(), Array.from(a, (t, i) => Math.max(t, b[i])), `${v} maximum n=${n}`);
          // Backward: d/dx sum(sigmoid(x) * y) = y * s (1 - s), through unary_grad and binary mul.
          mul(sigmoid(x), y).sum().backward();
          expectClose(await x.grad!.data(), Array.from(a, (t, i) => b[i] * sig(t) * (1 - sig(t))), `${v} sigmoid grad n=${n}`, 1e-5);
          for (const t of [x.grad!, x, y, e, s, m]) t.dispose();
        }
      }));

    it(`${v}: broadcasting (falls back to scalar where ${v} cannot run it)`, () =>
      withVariant(v, async () => {
        const a = values(3 * 5, 3);
        const b = values(5, 4);
        const r = mul(tensor(a, { shape: [3, 5] }), tensor(b, { shape: [5] }));
        expectClose(await r.data(), Array.from(a, (t, i) => t * b[i % 5]), `${v} broadcast mul`);
        const c = add(tensor(values(7, 5), { shape: [7, 1] }), tensor(values(4, 6), { shape: [1, 4] }));
        const want = Array.from({ length: 28 }, (_, i) => values(7, 5)[Math.floor(i / 4)] + values(4, 6)[i % 4]);
        expectClose(await c.data(), want, `${v} outer add`);
        r.dispose();
        c.dispose();
      }));
  }

  it('an unknown WEBGRAD_ELEMENTWISE is an error naming the variants', () =>
    withVariant('vec8', async () => {
      expect(() => relu(tensor([1, -1]))).toThrow(ValueError);
      expect(() => relu(tensor([1, -1]))).toThrow(/unknown elementwise variant 'vec8'.*scalar, vec4, vec4x4/);
    }));
});

describe('elementwise variant selection', () => {
  const d = (n: number, same = true): ElementwiseDims => ({ entry: 'binary', op: 'B_ADD', n, same, alpha: 1, beta: 0 });

  it('vec4 for whole vec4s or large n, scalar for short tails and broadcasting; vec forms plan a scalar tail dispatch', () => {
    const rt = runtime();
    expect(ELEMENTWISE.select(rt, d(1024), undefined, 'test').name).toBe('vec4');
    expect(ELEMENTWISE.select(rt, d(1023), undefined, 'test').name).toBe('scalar');
    expect(ELEMENTWISE.select(rt, d(4099), undefined, 'test').name).toBe('vec4');
    expect(ELEMENTWISE.select(rt, d(4096, false), undefined, 'test').name).toBe('scalar');
    expect(ELEMENTWISE.byName.get('vec4x4')!.plan(rt, d(4099), 'test').steps.length).toBe(2);
    expect(ELEMENTWISE.byName.get('vec4x4')!.plan(rt, d(4096), 'test').steps.length).toBe(1);
    expect(() => ELEMENTWISE.select(rt, d(64, false), 'vec4', 'test')).toThrow(/cannot run this shape/);
  });

  it('vec4x4 over a grid split at a lowered workgroup limit (2-D grid, 4 vec4s an invocation)', async () => {
    await init({ limits: { maxComputeWorkgroupsPerDimension: 3 } });
    try {
      await withVariant('vec4x4', async () => {
        const n = 4 * 4 * 256 * 7 + 3; // 7 workgroups of 256 x 4 vec4s (a 3 x 3 grid) and a tail of 3
        const a = values(n, 7);
        const r = relu(tensor(a, { shape: [n] }));
        expectClose(await r.data(), Array.from(a, (t) => Math.max(t, 0)), 'vec4x4 relu on a 2-D grid');
        r.dispose();
      });
    } finally {
      await init({ limits: {} });
    }
  });
});
