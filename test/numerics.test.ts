// NaN and Inf semantics: every row of the table in docs/NUMERICS.md, run on the GPU and in the
// float64 reference, both compared with the PyTorch column. The table is parsed from the doc,
// so a row without an implementation here fails, and the doc cannot drift from what is tested.
// (test/kernels-gpu-family.test.ts reruns this file with the GPU kernel family.)
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { refArray, type RefArray } from '../src/check/array.ts';
import { argmaxRef, mseLossRef, REFERENCE } from '../src/check/reference.ts';
import { adamStepRef, clipGradNormRef, sgdStepRef, type StepOptions } from '../src/check/reference/optim.ts';
import {
  abs, add, argmax, div, exp, linear, log, logSoftmax, matmul, max, maximum, mean, mseLoss, mul, neg, pow, relu, sigmoid, softmax,
  softmaxCrossEntropy, crossEntropy, clipGradNorm, sqrt, square, sum, tanh, tensor, type Tensor,
} from '../src/index.ts';
import { Adam, AdamW, SGD, type Optimizer } from '../src/optim/index.ts';

type Value = number | Value[];
interface Row {
  call: string;
  inputs: Record<string, Value>;
  expected: Value;
  line: number;
}

/** A literal of the table: numbers, NaN, Inf, -Inf and nested arrays. */
function literal(text: string): Value {
  return new Function('NaN', 'Inf', `return (${text});`)(Number.NaN, Number.POSITIVE_INFINITY) as Value;
}

function parseTable(md: string): Row[] {
  const rows: Row[] = [];
  md.split('\n').forEach((line, i) => {
    const m = /^\| `([^`]+)` \| ([^|]+) \| ([^|]+) \|/.exec(line);
    if (!m) return;
    const inputs: Record<string, Value> = {};
    for (const part of m[2].split(';')) {
      const [name, value] = part.split('=').map((s) => s.trim());
      inputs[name] = literal(value);
    }
    rows.push({ call: m[1], inputs, expected: literal(m[3].trim()), line: i + 1 });
  });
  return rows;
}

const shapeOf = (v: Value): number[] => (Array.isArray(v) ? [v.length, ...shapeOf(v[0])] : []);
const flat = (v: Value): number[] => (Array.isArray(v) ? v.flatMap(flat) : [v]);
const ref = (v: Value): RefArray => refArray(shapeOf(v), flat(v).map(Math.fround));
const f32 = (v: Value): Tensor => tensor(flat(v), { shape: shapeOf(v) });
const i32 = (v: Value): Tensor => tensor(flat(v), { shape: shapeOf(v), dtype: 'i32' });
const all = (v: Value) => ({ axes: shapeOf(v).map((_, i) => i), keepDims: false });
const ones = (shape: readonly number[]) => refArray(shape, () => 1);

/** One table call: how it runs on the GPU and in the reference (both from the row's inputs). */
interface Impl {
  gpu(i: Record<string, Value>): Tensor | Promise<Float32Array | Int32Array>;
  ref(i: Record<string, Value>): ArrayLike<number>;
}

/** f(x) and the reference op's forward. */
function unary(op: 'relu' | 'sigmoid' | 'tanh' | 'exp' | 'log' | 'sqrt' | 'abs' | 'square' | 'neg', f: (t: Tensor) => Tensor): Impl {
  return { gpu: ({ x }) => f(f32(x)), ref: ({ x }) => REFERENCE[op].forward([ref(x)], undefined).data };
}

function binary(op: 'add' | 'mul' | 'div' | 'maximum', f: (a: Tensor, b: Tensor) => Tensor): Impl {
  return { gpu: ({ a, b }) => f(f32(a), f32(b)), ref: ({ a, b }) => REFERENCE[op].forward([ref(a), ref(b)], undefined).data };
}

/** The gradient of sum(f(...inputs)) with respect to input `k`; `reference` gives the same from the reference. */
function grad(names: string[], k: number, f: (...t: Tensor[]) => Tensor, reference: (xs: RefArray[]) => RefArray): Impl {
  return {
    gpu: async (i) => {
      const xs = names.map((n) => tensor(flat(i[n]), { shape: shapeOf(i[n]), requiresGrad: true }));
      f(...xs).sum().backward();
      return xs[k].grad!.data();
    },
    ref: (i) => reference(names.map((n) => ref(i[n]))).data,
  };
}

/** d/dx sum(f(x)) of an elementwise op: its backward with a cotangent of ones. */
const elementwiseGrad = (op: 'relu' | 'sqrt' | 'log' | 'sigmoid' | 'exp', f: (t: Tensor) => Tensor): Impl =>
  grad(['x'], 0, f, ([x]) => REFERENCE[op].backward([x], undefined, ones(x.shape))[0]!);

/** One optimizer step from p with gradient g. */
function step(make: (p: Tensor) => Optimizer, reference: (p: number[], g: number[], o: StepOptions) => number[], o: StepOptions): Impl {
  return {
    gpu: async ({ p, g }) => {
      const param = f32(p);
      param.requiresGrad = true;
      param.grad = f32(g);
      const opt = make(param);
      opt.step();
      const out = await param.data();
      opt.dispose();
      return out;
    },
    ref: ({ p, g }) => reference(flat(p), flat(g), o),
  };
}

const IMPLS: Record<string, Impl> = {
  'relu(x)': unary('relu', relu),
  'sigmoid(x)': unary('sigmoid', sigmoid),
  'tanh(x)': unary('tanh', tanh),
  'exp(x)': unary('exp', exp),
  'log(x)': unary('log', log),
  'sqrt(x)': unary('sqrt', sqrt),
  'abs(x)': unary('abs', abs),
  'square(x)': unary('square', square),
  'neg(x)': unary('neg', neg),
  'add(a, b)': binary('add', add),
  'mul(a, b)': binary('mul', mul),
  'div(a, b)': binary('div', div),
  'maximum(a, b)': binary('maximum', maximum),
  'pow(a, b)': { gpu: ({ a, b }) => pow(f32(a), f32(b)), ref: ({ a, b }) => REFERENCE.pow.forward([ref(a), ref(b)], undefined).data },
  'pow(x, 3)': { gpu: ({ x }) => pow(f32(x), 3), ref: ({ x }) => REFERENCE.powScalar.forward([ref(x)], { exponent: 3 }).data },
  'pow(x, -0.5)': { gpu: ({ x }) => f32(x).pow(-0.5), ref: ({ x }) => REFERENCE.powScalar.forward([ref(x)], { exponent: -0.5 }).data },
  'sum(x)': { gpu: ({ x }) => sum(f32(x)), ref: ({ x }) => REFERENCE.sum.forward([ref(x)], all(x)).data },
  'mean(x)': { gpu: ({ x }) => mean(f32(x)), ref: ({ x }) => REFERENCE.mean.forward([ref(x)], all(x)).data },
  'max(x)': { gpu: ({ x }) => max(f32(x)), ref: ({ x }) => REFERENCE.max.forward([ref(x)], all(x)).data },
  'max(x, 1)': { gpu: ({ x }) => max(f32(x), { axis: 1 }), ref: ({ x }) => REFERENCE.max.forward([ref(x)], { axes: [1], keepDims: false }).data },
  'argmax(x, 1)': { gpu: ({ x }) => argmax(f32(x), { axis: 1 }), ref: ({ x }) => argmaxRef(ref(x), 1).data },
  'softmax(x, 1)': { gpu: ({ x }) => softmax(f32(x), 1), ref: ({ x }) => REFERENCE.softmax.forward([ref(x)], { dim: 1 }).data },
  'softmax(x, 0)': { gpu: ({ x }) => softmax(f32(x), 0), ref: ({ x }) => REFERENCE.softmax.forward([ref(x)], { dim: 0 }).data },
  'logSoftmax(x, 1)': { gpu: ({ x }) => logSoftmax(f32(x), 1), ref: ({ x }) => REFERENCE.logSoftmax.forward([ref(x)], { dim: 1 }).data },
  'softmaxCrossEntropy(x, labels)': {
    gpu: ({ x, labels }) => softmaxCrossEntropy(f32(x), i32(labels)),
    ref: ({ x, labels }) => REFERENCE.softmaxCrossEntropy.forward([ref(x), ref(labels)], { reduction: 'mean' } as never).data,
  },
  'crossEntropy(x, labels)': {
    gpu: ({ x, labels }) => crossEntropy(f32(x), i32(labels)),
    ref: ({ x, labels }) => REFERENCE.softmaxCrossEntropy.forward([ref(x), ref(labels)], { reduction: 'mean', ignoreIndex: -100, labelSmoothing: 0 }).data,
  },
  'crossEntropy(x, labels, { labelSmoothing: 0.1 })': {
    gpu: ({ x, labels }) => crossEntropy(f32(x), i32(labels), { labelSmoothing: 0.1 }),
    ref: ({ x, labels }) => REFERENCE.softmaxCrossEntropy.forward([ref(x), ref(labels)], { reduction: 'mean', ignoreIndex: -100, labelSmoothing: 0.1 }).data,
  },
  'crossEntropy(x, probs)': {
    gpu: ({ x, probs }) => crossEntropy(f32(x), f32(probs)),
    ref: ({ x, probs }) => REFERENCE.softmaxCrossEntropy.forward([ref(x), ref(probs)], { reduction: 'mean', ignoreIndex: -100, labelSmoothing: 0 }).data,
  },
  'mseLoss(a, b)': { gpu: ({ a, b }) => mseLoss(f32(a), f32(b)), ref: ({ a, b }) => [mseLossRef(ref(a), ref(b), 'mean').loss] },
  'matmul(a, b)': {
    gpu: ({ a, b }) => matmul(f32(a), f32(b)),
    ref: ({ a, b }) => REFERENCE.matmul.forward([ref(a), ref(b)], { transA: false, transB: false }).data,
  },
  "linear(x, w, b, 'relu')": {
    gpu: ({ x, w, b }) => linear(f32(x), f32(w), f32(b), 'relu'),
    ref: ({ x, w, b }) => REFERENCE.linear.forward([ref(x), ref(w), ref(b)], { activation: 'relu' }).data,
  },
  'd/dx relu(x)': elementwiseGrad('relu', relu),
  'd/dx max(x)': grad(['x'], 0, (x) => max(x), ([x]) => REFERENCE.max.backward([x], { axes: [0], keepDims: false }, ones([]))[0]!),
  'd/da maximum(a, b)': grad(['a', 'b'], 0, maximum, ([a, b]) => REFERENCE.maximum.backward([a, b], undefined, ones(a.shape))[0]!),
  'd/db maximum(a, b)': grad(['a', 'b'], 1, maximum, ([a, b]) => REFERENCE.maximum.backward([a, b], undefined, ones(a.shape))[1]!),
  'd/da pow(a, b)': grad(['a', 'b'], 0, pow, ([a, b]) => REFERENCE.pow.backward([a, b], undefined, ones(a.shape))[0]!),
  'd/db pow(a, b)': grad(['a', 'b'], 1, pow, ([a, b]) => REFERENCE.pow.backward([a, b], undefined, ones(a.shape))[1]!),
  'd/dx sqrt(x)': elementwiseGrad('sqrt', sqrt),
  'd/dx log(x)': elementwiseGrad('log', log),
  'd/dx sigmoid(x)': elementwiseGrad('sigmoid', sigmoid),
  'd/dx exp(x)': elementwiseGrad('exp', exp),
  'clipGradNorm(g, 1)': {
    gpu: async ({ g }) => {
      const param = f32(g);
      param.requiresGrad = true;
      param.grad = f32(g);
      clipGradNorm([param], 1).dispose();
      const out = await param.grad.data();
      param.zeroGrad();
      param.dispose();
      return out;
    },
    ref: ({ g }) => clipGradNormRef([flat(g)], 1, 2).clipped[0],
  },
  'sgd step': step((p) => new SGD([p], { lr: 0.1 }), sgdStepRef, { lr: 0.1 }),
  'sgd momentum step': step((p) => new SGD([p], { lr: 0.1, momentum: 0.9 }), sgdStepRef, { lr: 0.1, momentum: 0.9 }),
  'adam step': step((p) => new Adam([p], { lr: 0.1 }), adamStepRef, { lr: 0.1 }),
  'adamw step': step((p) => new AdamW([p], { lr: 0.1, weightDecay: 0.01 }), adamStepRef, { lr: 0.1, weightDecay: 0.01, decoupled: true }),
};

/** NaN where expected is NaN, the same infinities, finite values to 1e-5 (float32 results). */
function expectPyTorch(actual: ArrayLike<number>, expected: number[], what: string): void {
  const got = Array.from(actual, (v) => Math.fround(v));
  expect(got.length, `${what}: number of values`).toBe(expected.length);
  expected.forEach((e, i) => {
    const a = got[i];
    const msg = `${what}[${i}]: got ${a}, PyTorch gives ${e}`;
    if (Number.isNaN(e)) expect(Number.isNaN(a), msg).toBe(true);
    else if (!Number.isFinite(e)) expect(a, msg).toBe(e);
    else expect(Math.abs(a - e) <= 1e-5 * Math.abs(e) + 1e-6, msg).toBe(true);
  });
}

const ROWS = parseTable(readFileSync(new URL('../docs/NUMERICS.md', import.meta.url), 'utf8'));

describe('NaN and Inf semantics (docs/NUMERICS.md)', () => {
  it('the table has every row this test knows, and only those', () => {
    expect(ROWS.length).toBeGreaterThan(30);
    expect(ROWS.map((r) => r.call).filter((c) => !(c in IMPLS)), 'rows without an implementation').toEqual([]);
    expect(Object.keys(IMPLS).filter((c) => !ROWS.some((r) => r.call === c)), 'implementations without a row').toEqual([]);
  });

  for (const row of ROWS) {
    it(`line ${row.line}: ${row.call} with ${JSON.stringify(row.inputs, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v))}`, async () => {
      const impl = IMPLS[row.call];
      const expected = flat(row.expected);
      expectPyTorch(impl.ref(row.inputs), expected, 'float64 reference');
      const out = await impl.gpu(row.inputs);
      expectPyTorch(out instanceof Float32Array || out instanceof Int32Array ? out : await out.data(), expected, 'GPU');
    });
  }
});
