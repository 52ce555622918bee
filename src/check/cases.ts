// The gradient-check suite's cases: at least one per op of the op table (the type below makes a
// missing op a compile error, and the suite also checks at run time that each op's cases really
// record that op), over several shapes each, plus composite networks from the seeds.
import type { OpName } from '../ops/registry.ts';
import { randint, randn, rand } from '../random.ts';
import { tensor, type Tensor } from '../tensor.ts';
import { linear } from '../ops/linear.ts';
import { crossEntropy, softmaxCrossEntropy, mseLoss } from '../ops/loss.ts';
import { div, relu, sigmoid, tanh } from '../ops/elementwise.ts';
import { matmul } from '../ops/matmul.ts';
import { pow } from '../ops/pow.ts';
import { conv2d } from '../ops/conv.ts';
import { pad } from '../ops/pad.ts';
import { adaptiveAvgPool2d, avgPool2d, maxPool2d } from '../ops/pool.ts';
import { batchNorm } from '../ops/norm.ts';
import { dropout } from '../ops/dropout.ts';
import { layerNorm, rmsNorm } from '../ops/layernorm.ts';
import { scaledDotProductAttention } from '../ops/attention.ts';
import { gelu, silu } from '../ops/activations.ts';
import { embedding, gather, indexSelect } from '../ops/indexing.ts';
import { cat, chunk, narrow, slice, split, stack } from '../ops/slice.ts';
import { maskedFill, tril, triu, where } from '../ops/where.ts';
import type { GradcheckOptions } from './gradcheck.ts';

export interface GradcheckCase {
  name: string;
  /** Builds the (seeded) inputs; called fresh for every run. */
  inputs: () => Tensor[];
  fn: (...t: Tensor[]) => Tensor;
  options?: GradcheckOptions;
}

// Every input gets its own fixed seed when the case is defined, so a case builds the same
// inputs on every call, in Node and in the browser.
let nextSeed = 1;
type Make = (shape: number[], seed: number) => Tensor;
const normal: Make = (shape, seed) => randn(shape, { seed, std: 1 });
const pos: Make = (shape, seed) => rand(shape, { seed, low: 0.5, high: 2 });
const shapesOf = (shapes: number[][]) => shapes.map((s) => `[${s.join(',')}]`).join(' x ');

/** One case per shape list for a function of tensors. */
function each(shapes: number[][][], fn: (...t: Tensor[]) => Tensor, make: Make = normal, prefix = ''): GradcheckCase[] {
  return shapes.map((s) => {
    const base = nextSeed;
    nextSeed += s.length;
    return { name: `${prefix}${shapesOf(s)}`, inputs: () => s.map((sh, i) => make(sh, base + i)), fn };
  });
}

/** A seeded input factory for hand-written cases: call `seeded()` once per case. */
/** Inputs for hand-written cases: `k` numbers the input within its case (its seed offset). */
function seeded(): {
  n: (k: number, shape: number[], std?: number) => Tensor;
  u: (k: number, shape: number[]) => Tensor;
  labels: (k: number, count: number, classes: number) => Tensor;
  seed: number;
} {
  const base = nextSeed;
  nextSeed += 16;
  return {
    n: (k, shape, std = 1) => randn(shape, { seed: base + k, std }),
    u: (k, shape) => rand(shape, { seed: base + k }),
    labels: (k, count, classes) => randint([count], 0, classes, { seed: base + k }),
    seed: base,
  };
}

const BINARY_SHAPES = [[[3, 4], [3, 4]], [[2, 3, 4], [4]], [[3, 1], [1, 5]], [[1], [7]], [[17, 33], [33]]];
const UNARY_SHAPES = [[[5]], [[3, 17]], [[2, 3, 4]]];

export const OP_CASES: { readonly [K in OpName]: GradcheckCase[] } = {
  add: each(BINARY_SHAPES, (a, b) => a.add(b)),
  sub: each(BINARY_SHAPES, (a, b) => a.sub(b)),
  mul: each(BINARY_SHAPES, (a, b) => a.mul(b)),
  div: each([[[3, 4], [3, 4]], [[2, 3, 4], [4]], [[3, 1], [1, 5]]], (a, b) => a.div(b), pos),
  maximum: each([[[4, 5], [4, 5]], [[3, 4], [4]]], (a, b) => a.maximum(b)),
  affine: [
    ...each(UNARY_SHAPES, (a) => a.mul(-1.5).add(0.25), normal, 'x*-1.5+0.25 '),
    ...each([[[4, 3]]], (a) => a.sub(2).div(4), normal, '(x-2)/4 '),
  ],
  neg: each(UNARY_SHAPES, (a) => a.neg()),
  exp: each(UNARY_SHAPES, (a) => a.exp()),
  log: each(UNARY_SHAPES, (a) => a.log(), pos),
  sqrt: each(UNARY_SHAPES, (a) => a.sqrt(), pos),
  square: each(UNARY_SHAPES, (a) => a.square()),
  tanh: each(UNARY_SHAPES, (a) => a.tanh()),
  relu: each(UNARY_SHAPES, (a) => a.relu()),
  sigmoid: each(UNARY_SHAPES, (a) => a.sigmoid()),
  abs: each(UNARY_SHAPES, (a) => a.abs()),
  recip: each(UNARY_SHAPES, (a) => div(2, a), pos, '2/x '),
  pow: [
    ...each([[[3, 4], [3, 4]], [[2, 3, 4], [4]], [[3, 1], [1, 5]]], (a, b) => a.pow(b), pos),
  ],
  powScalar: [
    ...each(UNARY_SHAPES, (a) => a.pow(3), normal, 'x^3 (negative bases) '),
    ...each([[[3, 17]]], (a) => a.pow(-2), pos, 'x^-2 '),
    ...each([[[2, 3, 4]]], (a) => a.pow(0.5), pos, 'x^0.5 '),
    ...each([[[4, 5]]], (a) => a.pow(2.5), pos, 'x^2.5 '),
  ],
  sum: [
    ...each([[[3, 5]]], (a) => a.sum(), normal, 'all '),
    ...each([[[2, 3, 4]]], (a) => a.sum({ axis: 1 }), normal, 'axis 1 '),
    ...each([[[2, 3, 4]]], (a) => a.sum({ axis: [0, 2], keepDims: true }), normal, 'axes [0,2] keepDims '),
    ...each([[[17, 6]]], (a) => a.sum({ axis: 0 }), normal, 'axis 0 (bias) '),
  ],
  mean: [
    ...each([[[3, 5]]], (a) => a.mean(), normal, 'all '),
    ...each([[[2, 3, 4]]], (a) => a.mean({ axis: -1, keepDims: true }), normal, 'axis -1 keepDims '),
  ],
  max: [
    ...each([[[4, 7]]], (a) => a.max({ axis: -1 }), normal, 'axis -1 '),
    ...each([[[3, 4, 5]]], (a) => a.max({ axis: 0, keepDims: true }), normal, 'axis 0 keepDims '),
    ...each([[[6]]], (a) => a.max(), normal, 'all '),
  ],
  reshape: [
    ...each([[[6, 4]], [[2, 3, 4]]], (a) => a.reshape(-1, 2).square()),
    ...each([[[2, 3, 4]]], (a) => a.view(4, -1).square(), normal, 'view(4, -1) '),
    ...each([[[3, 4]]], (a) => a.unsqueeze(1).square().squeeze(), normal, 'unsqueeze(1) squeeze() '),
    ...each([[[2, 3, 4]]], (a) => a.flatten(1).square(), normal, 'flatten(1) '),
  ],
  permute: [
    ...each([[[17, 5]]], (a) => a.T, normal, 'transpose '),
    ...each([[[2, 3, 4]]], (a) => a.permute(2, 0, 1), normal, 'perm [2,0,1] '),
  ],
  matmul: [
    ...each(
      [[[3, 4], [4, 5]], [[17, 33], [33, 65]], [[1, 1], [1, 1]], [[2, 3, 4], [4, 5]], [[2, 3, 4], [2, 4, 5]]],
      (a, b) => matmul(a, b),
    ),
    ...each([[[4, 3], [4, 5]], [[2, 4, 3], [4, 5]], [[2, 4, 3], [2, 4, 5]]], (a, b) => matmul(a, b, { transposeA: true }), normal, 'transposeA '),
    ...each([[[3, 4], [5, 4]], [[2, 3, 4], [5, 4]], [[2, 3, 4], [2, 5, 4]]], (a, b) => matmul(a, b, { transposeB: true }), normal, 'transposeB '),
    ...each([[[2, 4, 3], [5, 4]]], (a, b) => matmul(a, b, { transposeA: true, transposeB: true }), normal, 'both '),
    // torch.matmul's forms: 1-D operands, N-D batches, broadcast batch dims.
    ...each(
      [[[5], [5]], [[3, 5], [5]], [[5], [5, 4]], [[2, 3, 5], [5]], [[5], [2, 5, 4]], [[2, 3, 4, 5], [2, 3, 5, 2]],
        [[1, 3, 4], [5, 4, 2]], [[3, 4], [2, 4, 2]], [[2, 1, 3, 4], [3, 4, 5]], [[2, 1, 3, 4], [1, 3, 4, 2]]],
      (a, b) => matmul(a, b), normal, 'torch form ',
    ),
    ...each([[[2, 1, 4, 3], [3, 5, 4]], [[1, 4, 3], [2, 5, 4]]], (a, b) => matmul(a, b, { transposeA: true, transposeB: true }), normal, 'broadcast both transposed '),
  ],
  linear: (['none', 'relu', 'sigmoid'] as const).flatMap((act) =>
    each([[[5, 7], [7, 3], [3]], [[33, 17], [17, 18], [18]]], (x, w, b) => linear(x, w, b, act), normal, `${act} `),
  ),
  softmax: [
    ...each([[[4, 7]], [[2, 3, 10]]], (a) => a.softmax()),
    ...each([[[5, 3, 4]]], (a) => a.softmax(0), normal, 'dim 0 '),
    ...each([[[2, 3, 4, 5]]], (a) => a.softmax(2), normal, 'dim 2 '),
  ],
  logSoftmax: [
    ...each([[[4, 7]], [[2, 3, 10]]], (a) => a.logSoftmax()),
    ...each([[[2, 6, 3]]], (a) => a.logSoftmax(1), normal, 'dim 1 '),
    ...each([[[3, 2, 2, 4]]], (a) => a.logSoftmax(-4), normal, 'dim -4 '),
  ],
  softmaxCrossEntropy: [
    (() => {
      const r = seeded();
      return { name: 'i32 labels [6,10]', inputs: () => [r.n(0, [6, 10]), r.labels(1, 6, 10)], fn: (l: Tensor, t: Tensor) => softmaxCrossEntropy(l, t) };
    })(),
    { name: 'one-hot [4,5]', inputs: () => [normal([4, 5], 901), tensor([[1, 0, 0, 0, 0], [0, 0, 1, 0, 0], [0, 0, 0, 0, 1], [0, 1, 0, 0, 0]])], fn: (l, t) => softmaxCrossEntropy(l, t), options: { wrt: [0] } },
    { name: 'soft labels [3,4]', inputs: () => [normal([3, 4], 902), tensor([[0.1, 0.2, 0.3, 0.4], [0.25, 0.25, 0.25, 0.25], [0.7, 0.1, 0.1, 0.1]])], fn: (l, t) => softmaxCrossEntropy(l, t), options: { wrt: [0] } },
    { name: "i32 labels [5,4] reduction 'sum'", inputs: () => [normal([5, 4], 903), tensor([3, 0, 1, 1, 2], { dtype: 'i32' })], fn: (l, t) => softmaxCrossEntropy(l, t, 'sum'), options: { wrt: [0] } },
    { name: "soft labels [3,4] reduction 'none'", inputs: () => [normal([3, 4], 904), tensor([[0.1, 0.2, 0.3, 0.4], [0.25, 0.25, 0.25, 0.25], [0.7, 0.1, 0.1, 0.1]])], fn: (l, t) => softmaxCrossEntropy(l, t, { reduction: 'none' }), options: { wrt: [0] } },
    // PyTorch's F.cross_entropy options: classes on dim 1 of [N, C, d], ignoreIndex, label smoothing.
    { name: '[2,5,3] classes on dim 1, ignoreIndex, smoothing 0.1', inputs: () => [normal([2, 5, 3], 905), tensor([[4, -100, 0], [2, 2, -100]], { dtype: 'i32' })], fn: (l, t) => crossEntropy(l, t, { labelSmoothing: 0.1 }), options: { wrt: [0] } },
    { name: "[6,4] ignoreIndex 1, 'none'", inputs: () => [normal([6, 4], 906), tensor([1, 0, 3, 1, 2, 2], { dtype: 'i32' })], fn: (l, t) => crossEntropy(l, t, { ignoreIndex: 1, reduction: 'none' }), options: { wrt: [0] } },
    { name: '[5] one sample, smoothing 0.3', inputs: () => [normal([5], 907), tensor(3, { dtype: 'i32' })], fn: (l, t) => crossEntropy(l, t, { labelSmoothing: 0.3 }), options: { wrt: [0] } },
  ],
  softmaxCrossEntropyWeighted: [
    { name: 'weights [4], ignoreIndex, smoothing 0.2', inputs: () => [normal([5, 4], 908), tensor([3, 0, -100, 1, 3], { dtype: 'i32' }), tensor([0.5, 2, 1, 0.25])], fn: (l, t, w) => crossEntropy(l, t, { weight: w, labelSmoothing: 0.2 }), options: { wrt: [0] } },
    { name: "weights [3], probabilities [2,3,2] 'sum'", inputs: () => [normal([2, 3, 2], 909), tensor([[[0.2, 0.5], [0.3, 0.5], [0.5, 0]], [[1, 0.1], [0, 0.6], [0, 0.3]]]), tensor([1.5, 0.5, 1])], fn: (l, t, w) => crossEntropy(l, t, { weight: w, reduction: 'sum' }), options: { wrt: [0] } },
  ],
  // Inputs x, weight, bias, runningMean, runningVar; the running statistics are buffers (not in wrt).
  batchNorm: (
    [
      ['train', [6, 4], true, { training: true }],
      ['train', [3, 5, 3, 4], true, { training: true, momentum: 0.3 }],
      ['train, no affine', [2, 3, 5, 1], false, { training: true, eps: 1e-3 }],
      ['eval', [4, 3, 2, 5], true, { training: false }],
      ['eval', [5, 7], true, { training: false }],
    ] as const
  ).map(([mode, shape, affine, opts]) => {
    const r = seeded();
    const c = shape[1];
    return {
      name: `${mode} [${shape.join(',')}]`,
      inputs: () => [r.n(0, [...shape]), pos([c], r.seed + 1), r.n(2, [c]), r.n(3, [c]), pos([c], r.seed + 4)],
      fn: (x: Tensor, w: Tensor, b: Tensor, rm: Tensor, rv: Tensor) => batchNorm(x, rm, rv, affine ? w : null, affine ? b : null, opts),
      options: { wrt: affine ? [0, 1, 2] : [0] },
    };
  }),
  // A fixed seed: the mask is the same in every (replayed) evaluation, so the op is linear in x.
  dropout: [
    ...each([[[7, 9]]], (a) => dropout(a, 0.3, { seed: 11 }), normal, 'p 0.3 seed 11 '),
    ...each([[[2, 3, 5, 5]]], (a) => dropout(a, 0.5, { seed: 2 ** 40 + 3 }), normal, 'p 0.5 seed 2^40+3 '),
  ],
  layerNorm: [
    ...each([[[4, 7], [7], [7]], [[2, 3, 5], [5], [5]]], (x, w, b) => layerNorm(x, [x.shape[x.rank - 1]], w, b), normal, 'affine '),
    ...each([[[2, 3, 5], [3, 5], [3, 5]]], (x, w, b) => layerNorm(x, [3, 5], w, b, { eps: 1e-3 }), normal, 'over [3,5] '),
    ...each([[[3, 6]]], (x) => layerNorm(x, 6), normal, 'no affine '),
    ...each([[[4, 5], [5]]], (x, b) => layerNorm(x, 5, null, b), normal, 'bias only '),
  ],
  rmsNorm: [
    ...each([[[4, 9], [9]], [[2, 3, 4], [4]]], (x, w) => rmsNorm(x, [x.shape[x.rank - 1]], w), normal, 'weight '),
    ...each([[[2, 3, 4]]], (x) => rmsNorm(x, [3, 4], null, { eps: 1e-5 }), normal, 'no weight over [3,4] '),
  ],
  // The mask is data (not in wrt): a boolean i32 mask broadcast over heads, every row keeps a key.
  scaledDotProductAttention: [
    ...each([[[1, 2, 3, 4], [1, 2, 5, 4], [1, 2, 5, 3]]], (q, k, v) => scaledDotProductAttention(q, k, v), normal, 'T 3 S 5 '),
    ...each([[[2, 1, 5, 3], [2, 1, 5, 3], [2, 1, 5, 2]]], (q, k, v) => scaledDotProductAttention(q, k, v, { causal: true, scale: 0.7 }), normal, 'causal scale 0.7 '),
    (() => {
      const r = seeded();
      const mask = [[1, 0, 1, 1], [0, 1, 0, 0], [1, 1, 1, 0]];
      return {
        name: 'mask [1,1,3,4] q [1,2,3,2] kv [1,2,4,2]',
        inputs: () => [r.n(0, [1, 2, 3, 2]), r.n(1, [1, 2, 4, 2]), r.n(2, [1, 2, 4, 2]), tensor([[mask]], { dtype: 'i32' })],
        fn: (q: Tensor, k: Tensor, v: Tensor, m: Tensor) => scaledDotProductAttention(q, k, v, { mask: m }),
        options: { wrt: [0, 1, 2] },
      };
    })(),
  ],
  gelu: [
    ...each(UNARY_SHAPES, (a) => gelu(a), normal, 'erf '),
    ...each([[[3, 17]]], (a) => a.mul(3).gelu({ approximate: 'tanh' }), normal, 'tanh 3x '),
  ],
  silu: each(UNARY_SHAPES, (a) => silu(a)),
  // Index inputs are i32 data (not in wrt); repeated indices exercise the scatter-add.
  embedding: [
    (() => {
      const r = seeded();
      return { name: 'ids [2,5] table [7,3]', inputs: () => [randint([2, 5], 0, 7, { seed: r.seed }), r.n(1, [7, 3])], fn: (i: Tensor, t: Tensor) => embedding(i, t), options: { wrt: [1] } };
    })(),
    (() => {
      const r = seeded();
      // (paddingIdx is not a case: its zeroed row gradient is by definition not the derivative.)
      return { name: 'ids [9] table [4,5]', inputs: () => [r.labels(0, 9, 4), r.n(1, [4, 5])], fn: (i: Tensor, t: Tensor) => embedding(i, t), options: { wrt: [1] } };
    })(),
  ],
  indexSelect: [
    (() => {
      const r = seeded();
      return { name: 'dim 0 [5,3] idx [7]', inputs: () => [r.n(0, [5, 3]), r.labels(1, 7, 5)], fn: (x: Tensor, i: Tensor) => indexSelect(x, 0, i), options: { wrt: [0] } };
    })(),
    (() => {
      const r = seeded();
      return { name: 'dim 1 [2,4,3] idx [5]', inputs: () => [r.n(0, [2, 4, 3]), r.labels(1, 5, 4)], fn: (x: Tensor, i: Tensor) => x.indexSelect(1, i), options: { wrt: [0] } };
    })(),
  ],
  gather: [
    { name: 'dim 1 [3,4] idx [3,5]', inputs: () => [normal([3, 4], 941), randint([3, 5], 0, 4, { seed: 942 })], fn: (x, i) => gather(x, 1, i), options: { wrt: [0] } },
    { name: 'dim 0 [4,3,2] idx [6,2,2]', inputs: () => [normal([4, 3, 2], 943), randint([6, 2, 2], 0, 4, { seed: 944 })], fn: (x, i) => x.gather(0, i), options: { wrt: [0] } },
  ],
  narrow: [
    ...each([[[5, 3]]], (x) => narrow(x, 0, 1, 3), normal, 'dim 0 '),
    ...each([[[2, 7, 3]]], (x) => narrow(x, 1, -5, 4), normal, 'dim 1 start -5 '),
    ...each([[[3, 4, 5]]], (x) => slice(x, -1, 1, -1), normal, 'slice dim -1 [1:-1] '),
    ...each([[[4, 6]]], (x) => split(x, [1, 3, 2], 1)[1].mul(split(x, 3, 1)[1]), normal, 'split sections * split size '),
    ...each([[[7, 2]]], (x) => chunk(x, 3, 0)[2].sum(), normal, 'chunk '),
  ],
  concat: [
    ...each([[[2, 3], [4, 3]]], (a, b) => cat([a, b]), normal, 'dim 0 '),
    ...each([[[2, 3, 1], [2, 3, 4], [2, 3, 2]]], (...xs) => cat(xs, -1), normal, 'dim -1 '),
    ...each([[[3, 4], [3, 4], [3, 4]]], (...xs) => stack(xs, 1), normal, 'stack dim 1 '),
    ...each([[[5], [5]]], (a, b) => stack([a, b], 0), normal, 'stack 1-D '),
  ],
  // Conditions are data (not in wrt): an f32 0/1 mask and an i32 one.
  where: [
    { name: 'f32 cond [3,4] broadcast a [4] b [3,1]', inputs: () => [tensor([[1, 0, 1, 1], [0, 0, 1, 0], [1, 1, 0, 0]]), normal([4], 932), normal([3, 1], 933)], fn: (c, a, b) => where(c, a, b), options: { wrt: [1, 2] } },
    { name: 'i32 cond [2,1,3] a [2,5,3] b [2,5,3]', inputs: () => [randint([2, 1, 3], 0, 2, { seed: 934 }), normal([2, 5, 3], 935), normal([2, 5, 3], 936)], fn: (c, a, b) => where(c, a, b), options: { wrt: [1, 2] } },
  ],
  maskedFill: [
    { name: 'mask [4] on x [3,4], value -2', inputs: () => [normal([3, 4], 937), tensor([1, 0, 0, 1], { dtype: 'i32' })], fn: (x, m) => maskedFill(x, m, -2), options: { wrt: [0] } },
    { name: 'where(cond, x, 0.5) on [2,3]', inputs: () => [normal([2, 3], 938), tensor([[0, 1, 1], [1, 0, 0]])], fn: (x, m) => where(m, x, 0.5), options: { wrt: [0] } },
  ],
  tril: [...each([[[4, 5]]], (x) => tril(x), normal, 'diag 0 '), ...each([[[2, 3, 3]]], (x) => tril(x, -1), normal, 'diag -1 ')],
  triu: [...each([[[5, 4]]], (x) => triu(x, 1), normal, 'diag 1 '), ...each([[[2, 3, 6]]], (x) => x.triu(), normal, 'method ')],
  conv2d: [
    ...each([[[2, 3, 6, 5], [4, 3, 3, 3], [4]]], (x, w, b) => conv2d(x, w, b), normal, 'plain '),
    ...each([[[1, 2, 7, 7], [3, 2, 3, 2], [3]]], (x, w, b) => conv2d(x, w, b, { stride: 2, padding: [1, 2] }), normal, 'stride 2 pad [1,2] '),
    ...each([[[2, 4, 6, 6], [6, 2, 2, 3], [6]]], (x, w, b) => conv2d(x, w, b, { groups: 2, dilation: [2, 1] }), normal, 'groups 2 dilation [2,1] '),
    ...each([[[1, 3, 5, 5], [3, 1, 3, 3], [3]]], (x, w, b) => conv2d(x, w, b, { groups: 3, padding: 'same' }), normal, 'depthwise same '),
  ],
  conv2dNoBias: [
    ...each([[[2, 2, 5, 4], [3, 2, 2, 2]]], (x, w) => conv2d(x, w), normal, 'plain '),
    ...each([[[1, 2, 6, 6], [2, 2, 4, 4]]], (x, w) => conv2d(x, w, null, { padding: 'same', dilation: 1 }), normal, "even kernel 'same' "),
  ],
  maxPool2d: [
    ...each([[[2, 3, 6, 6]]], (x) => maxPool2d(x, { kernelSize: 2 }), normal, 'k 2 '),
    ...each([[[1, 2, 7, 5]]], (x) => maxPool2d(x, { kernelSize: 3, stride: 2, padding: 1, ceilMode: true }), normal, 'k 3 s 2 p 1 ceil '),
    ...each([[[2, 7, 7]]], (x) => maxPool2d(x, { kernelSize: [2, 3], stride: 1, dilation: 2 }), normal, 'unbatched dilation 2 '),
  ],
  avgPool2d: [
    ...each([[[2, 3, 6, 6]]], (x) => avgPool2d(x, { kernelSize: 2 }), normal, 'k 2 '),
    ...each([[[1, 2, 7, 5]]], (x) => avgPool2d(x, { kernelSize: 3, stride: 2, padding: 1, ceilMode: true }), normal, 'k 3 s 2 p 1 ceil '),
    ...each([[[1, 2, 5, 6]]], (x) => avgPool2d(x, { kernelSize: [3, 2], stride: [1, 2], padding: [1, 1], countIncludePad: false }), normal, 'exclude pad '),
  ],
  adaptiveAvgPool2d: [
    ...each([[[2, 3, 5, 4]]], (x) => adaptiveAvgPool2d(x, 1), normal, 'global '),
    ...each([[[1, 2, 7, 5]]], (x) => adaptiveAvgPool2d(x, [3, 2]), normal, '[3,2] '),
  ],
  pad: [
    ...each([[[2, 3, 4]]], (x) => pad(x, [1, 2]), normal, '[1,2] '),
    ...each([[[2, 3, 4, 5]]], (x) => pad(x, [0, 1, 2, -1], { value: 0.5 }), normal, 'crop and value '),
  ],
};

/** Composite networks (the seeds' and the issue's). */
export const NETWORK_CASES: GradcheckCase[] = [
  {
    // Seed 001: 2-2-1 sigmoid network, z1 = X W1 + b1 = [2.0, 2.4], L = 1/2 (y - t)^2.
    name: 'seed 001: 2-2-1 sigmoid net, 1/2 (y - t)^2',
    inputs: () => [tensor([[1, 2]]), tensor([[0.5, 0.6], [0.7, 0.8]]), tensor([0.1, 0.2]), tensor([[0.9], [0.1]]), tensor([0.3]), tensor([[0.5]])],
    fn: (x, w1, b1, w2, b2, t) => sigmoid(matmul(sigmoid(matmul(x, w1).add(b1)), w2).add(b2)).sub(t).square().mul(0.5).sum(),
    options: { wrt: [1, 2, 3, 4] },
  },
  (() => {
    const r = seeded();
    return {
      name: 'TwoLayerNet: Affine-ReLU-Affine-SoftmaxWithLoss [8,20]->16->10',
      inputs: () => [r.n(0, [8, 20]), r.n(1, [20, 16], 0.3), r.n(2, [16], 0.1), r.n(3, [16, 10], 0.3), r.n(4, [10], 0.1), r.labels(5, 8, 10)],
      fn: (x: Tensor, w1: Tensor, b1: Tensor, w2: Tensor, b2: Tensor, t: Tensor) => softmaxCrossEntropy(relu(matmul(x, w1).add(b1)).matmul(w2).add(b2), t),
    };
  })(),
  (() => {
    const r = seeded();
    return {
      name: 'MLP with MSE: linear-tanh-linear(sigmoid) [6,9]->12->3',
      inputs: () => [r.n(0, [6, 9]), r.n(1, [9, 12], 0.4), r.n(2, [12], 0.1), r.n(3, [12, 3], 0.4), r.n(4, [3], 0.1), r.u(5, [6, 3])],
      fn: (x: Tensor, w1: Tensor, b1: Tensor, w2: Tensor, b2: Tensor, t: Tensor) => mseLoss(linear(tanh(linear(x, w1, b1)), w2, b2, 'sigmoid'), t),
    };
  })(),
  (() => {
    const r = seeded();
    return {
      name: 'MNIST-sized layer: 784x512 weight (random subset + directions)',
      inputs: () => [r.u(0, [4, 784]), r.n(1, [784, 512], 0.05), r.n(2, [512], 0.01), r.n(3, [512, 10], 0.05), r.labels(4, 4, 10)],
      fn: (x: Tensor, w: Tensor, b: Tensor, w2: Tensor, t: Tensor) => softmaxCrossEntropy(linear(x, w, b, 'relu').matmul(w2), t),
      options: { maxCoords: 24, directions: 2, wrt: [1, 2, 3] },
    };
  })(),
];

/**
 * Cases also run with the forward on the GPU in fp32 (mode 'gpu'). That mode cannot see which
 * side of a kink an fp32 evaluation landed on, so these cases are smooth functions.
 */
export const GPU_MODE_CASES: GradcheckCase[] = [
  (() => {
    const r = seeded();
    return { name: 'gpu: matmul [17,33] x [33,9]', inputs: () => [r.n(0, [17, 33], 0.3), r.n(1, [33, 9], 0.3)], fn: (a: Tensor, b: Tensor) => matmul(a, b).sum() };
  })(),
  (() => {
    const r = seeded();
    return {
      name: 'gpu: linear sigmoid + CE',
      inputs: () => [r.n(0, [5, 7]), r.n(1, [7, 4], 0.5), r.n(2, [4], 0.1), r.labels(3, 5, 4)],
      fn: (x: Tensor, w: Tensor, b: Tensor, t: Tensor) => softmaxCrossEntropy(linear(x, w, b, 'sigmoid'), t),
    };
  })(),
  (() => {
    const r = seeded();
    return { name: 'gpu: tanh(sigmoid(x) * y)', inputs: () => [r.n(0, [3, 4]), r.n(1, [4])], fn: (x: Tensor, y: Tensor) => tanh(sigmoid(x).mul(y)).sum() };
  })(),
];
