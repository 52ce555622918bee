// One harness for every op test (tinygrad's helper_test_op): run the public API on the GPU,
// compare the output with the float64 reference, then backpropagate loss = sum(out * dY) for a
// random cotangent dY and compare every input's gradient with the reference's backward.
import { expect } from 'vitest';
import { refArray, type RefArray } from '../src/check/array.ts';
import { REFERENCE, type AttrsOf, type RefOp } from '../src/check/reference.ts';
import type { OpName } from '../src/ops/registry.ts';
import { Rng } from '../src/random.ts';
import { tensor, type Tensor } from '../src/index.ts';
import { expectClose } from './helpers.ts';

/**
 * Float32 against float64, stated once. Inputs are exactly representable in f32 (both sides
 * see the same values), so the error is the kernels' f32 rounding: about 1e-7 relative per
 * operation, growing with the length of sums (matmul K, reductions of 1e5 elements).
 */
export const TOL = { rtol: 1e-4, atol: 1e-5 };

/** A few f32 operations on small exact inputs (the seeds' worked examples): a few ulps. */
export const FP32 = { rtol: 1e-5, atol: 1e-7 };

export interface RandomOptions {
  /** Values are drawn from N(0, 1) and then transformed: 'positive' -> |x| + 0.5; 'nonzero' keeps |x| >= 0.5. */
  domain?: 'any' | 'positive' | 'nonzero';
  scale?: number;
}

/** Seeded N(0, 1) values rounded to f32, so the GPU and the reference read the same numbers. */
export function randomRef(shape: readonly number[], seed: number, opts: RandomOptions = {}): RefArray {
  const rng = new Rng(seed);
  const scale = opts.scale ?? 1;
  return refArray(shape, () => {
    const x = rng.normal() * scale;
    if (opts.domain === 'positive') return Math.fround(Math.abs(x) + 0.5);
    if (opts.domain === 'nonzero') return Math.fround(Math.sign(x || 1) * (Math.abs(x) + 0.5));
    return Math.fround(x);
  });
}

export interface CaseInput {
  ref: RefArray;
  /** i32 inputs (class labels) never get gradients. */
  dtype?: 'f32' | 'i32';
  /** Whether to check this input's gradient (default true for f32). */
  grad?: boolean;
}

export const input = (ref: RefArray, opts: Omit<CaseInput, 'ref'> = {}): CaseInput => ({ ref, ...opts });

export function toTensor(x: CaseInput): Tensor {
  if (x.dtype === 'i32') return tensor(Int32Array.from(x.ref.data), { shape: x.ref.shape, dtype: 'i32' });
  return tensor(Float32Array.from(x.ref.data), { shape: x.ref.shape, requiresGrad: x.grad ?? true });
}

/** Read a tensor back as a RefArray (f32 values widened to f64). */
export async function readRef(t: Tensor): Promise<RefArray> {
  return refArray(t.shape, await t.data());
}

export async function expectMatches(actual: Tensor, expected: RefArray, what: string, tol = TOL): Promise<void> {
  expect(actual.shape, `${what} shape`).toEqual(expected.shape);
  expectClose(await actual.data(), expected.data, tol);
}

/**
 * A seed derived from the running test's name (plus `salt` for its several inputs), so a test
 * sees the same data whether it runs alone (-t) or with the whole file.
 */
export function testSeed(salt = 0): number {
  const name = expect.getState().currentTestName ?? '';
  let h = 0x811c9dc5; // FNV-1a
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return (h + salt) >>> 0;
}

/**
 * Check `run` (the public API) against REFERENCE[op] with `attrs`: forward values, then the
 * gradient of every f32 input under loss = sum(out * dY).
 */
export async function checkOp<K extends OpName>(
  op: K,
  attrs: AttrsOf<K>,
  inputs: readonly CaseInput[],
  run: (xs: Tensor[]) => Tensor,
  tol = TOL,
): Promise<void> {
  const refs = inputs.map((x) => x.ref);
  const ref: RefOp<AttrsOf<K>> = REFERENCE[op];
  const expected = ref.forward(refs, attrs);
  const xs = inputs.map(toTensor);
  const out = run(xs);
  const dY = randomRef(expected.shape, testSeed(1000));
  const dYt = tensor(Float32Array.from(dY.data), { shape: dY.shape });
  const product = out.mul(dYt);
  const loss = product.sum();
  try {
    await expectMatches(out, expected, `${op} forward`, tol);
    loss.backward();
    const grads = ref.backward(refs, attrs, dY);
    for (const [i, x] of inputs.entries()) {
      if (x.dtype === 'i32' || x.grad === false) continue;
      const g = xs[i].grad;
      expect(g, `${op}: input ${i} has a gradient`).not.toBeNull();
      await expectMatches(g!, grads[i]!, `${op} gradient of input ${i}`, tol);
    }
  } finally {
    for (const t of [...xs, ...xs.map((x) => x.grad), out, dYt, product, loss]) t?.dispose();
  }
}

/** A short label for a list of shapes: "[3,1] [1,4]". */
export const shapesLabel = (...shapes: readonly (readonly number[])[]): string => shapes.map((s) => `[${s.join(',')}]`).join(' ');
