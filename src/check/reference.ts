// The float64 CPU reference: every op of src/ops/registry.ts OPS, forward and backward (a
// vector-Jacobian product), written from the math on plain RefArrays. Tests compare the GPU
// kernels against it and issue 4's gradient check iterates REFERENCE; the table's type has one
// entry per OpName, so a new op without a reference does not compile.
import type { OpDef } from '../ops/op.ts';
import type { OPS, OpName } from '../ops/registry.ts';
import {
  coordsOf, indexOf, map, numel, permuteRef, refArray, reshapeRef, unbroadcast, zerosRef, zip, type RefArray,
} from './array.ts';

export interface RefOp<A> {
  forward(inputs: readonly RefArray[], attrs: A): RefArray;
  /** d(sum(out * dY)) / d(input) for each input; null for inputs that are data (labels). */
  backward(inputs: readonly RefArray[], attrs: A, dY: RefArray): (RefArray | null)[];
}

/** The attributes type of an op in OPS, so each reference takes exactly what the op takes. */
export type AttrsOf<K extends OpName> = (typeof OPS)[K] extends OpDef<infer A, any> ? A : never;
export type ReferenceTable = { readonly [K in OpName]: RefOp<AttrsOf<K>> };

const mul = (a: RefArray, b: RefArray) => zip(a, b, (x, y) => x * y);

// ------------------------------------------------------------------ elementwise

/** A binary op with broadcasting; da/db are the partial derivatives at (a, b). */
function binary(f: (a: number, b: number) => number, da: (a: number, b: number) => number, db: (a: number, b: number) => number): RefOp<undefined> {
  return {
    forward: ([a, b]) => zip(a, b, f),
    backward: ([a, b], _attrs, g) => [
      unbroadcast(mul(g, zip(a, b, da)), a.shape),
      unbroadcast(mul(g, zip(a, b, db)), b.shape),
    ],
  };
}

/** A unary op given f and its derivative f' (both of the input). */
function unary(f: (x: number) => number, df: (x: number) => number): RefOp<undefined> {
  return {
    forward: ([x]) => map(x, f),
    backward: ([x], _attrs, g) => [map(x, (v, i) => g.data[i] * df(v))],
  };
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const relu = (x: number) => Math.max(x, 0);
/** ReLU'(0) = 0, as in seed 003 (the mask keeps x > 0 only). */
const reluGrad = (x: number) => (x > 0 ? 1 : 0);
const sigmoidGrad = (x: number) => sigmoid(x) * (1 - sigmoid(x));

// ------------------------------------------------------------------ reductions

interface ReduceAttrs {
  axes: number[];
  keepDims: boolean;
}

/** For each input element, the flat index of its output in the keepDims shape. */
function reduceIndex(shape: readonly number[], axes: readonly number[]): { kept: number[]; groupOf: (i: number) => number } {
  const kept = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  return {
    kept,
    groupOf: (i) => indexOf(coordsOf(i, shape).map((c, d) => (axes.includes(d) ? 0 : c)), kept),
  };
}

function outShape(kept: readonly number[], shape: readonly number[], { axes, keepDims }: ReduceAttrs): number[] {
  return keepDims ? [...kept] : shape.filter((_, i) => !axes.includes(i));
}

function reduceSum(x: RefArray, attrs: ReduceAttrs, scale: number): RefArray {
  const { kept, groupOf } = reduceIndex(x.shape, attrs.axes);
  const acc = zerosRef(kept);
  for (let i = 0; i < x.data.length; i++) acc.data[groupOf(i)] += x.data[i];
  return reshapeRef(map(acc, (v) => v * scale), outShape(kept, x.shape, attrs));
}

/** The gradient of a sum: each input element receives its output's gradient times `scale`. */
function sumBackward(x: RefArray, attrs: ReduceAttrs, g: RefArray, scale: number): RefArray {
  const { groupOf } = reduceIndex(x.shape, attrs.axes);
  return refArray(x.shape, (i) => g.data[groupOf(i)] * scale);
}

const countOf = (shape: readonly number[], axes: readonly number[]) => axes.reduce((n, a) => n * shape[a], 1);

function reduceMax(x: RefArray, attrs: ReduceAttrs): { m: RefArray; ties: RefArray; groupOf: (i: number) => number } {
  const { kept, groupOf } = reduceIndex(x.shape, attrs.axes);
  const m = refArray(kept, () => -Infinity);
  for (let i = 0; i < x.data.length; i++) m.data[groupOf(i)] = Math.max(m.data[groupOf(i)], x.data[i]);
  const ties = zerosRef(kept);
  for (let i = 0; i < x.data.length; i++) if (x.data[i] === m.data[groupOf(i)]) ties.data[groupOf(i)]++;
  return { m: reshapeRef(m, outShape(kept, x.shape, attrs)), ties, groupOf };
}

// ------------------------------------------------------------------ matmul

interface MatmulShape {
  batch: number;
  M: number;
  K: number;
  N: number;
  bShared: boolean;
}

/** The op's three forms: [M, K] x [K, N], [B, M, K] x [K, N], [B, M, K] x [B, K, N]. */
function matmulShape(a: readonly number[], b: readonly number[]): MatmulShape {
  const [M, K] = a.slice(-2);
  const [K2, N] = b.slice(-2);
  const batch = a.length === 3 ? a[0] : 1;
  const ok = K === K2 && a.length >= 2 && a.length <= 3 && (b.length === 2 || (b.length === 3 && a.length === 3 && b[0] === batch));
  if (!ok) throw new Error(`reference matmul: unsupported shapes [${a.join(', ')}] x [${b.join(', ')}]`);
  return { batch, M, K, N, bShared: b.length === 2 };
}

/** The last two axes swapped. */
function swapLast(x: RefArray): RefArray {
  const r = x.shape.length;
  return permuteRef(x, [...Array(r - 2).keys(), r - 1, r - 2]);
}

function matmulForward(a: RefArray, b: RefArray): RefArray {
  const { batch, M, K, N, bShared } = matmulShape(a.shape, b.shape);
  const out = zerosRef(a.shape.length === 3 ? [batch, M, N] : [M, N]);
  for (let p = 0; p < batch; p++) {
    const bp = bShared ? 0 : p;
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += a.data[(p * M + m) * K + k] * b.data[(bp * K + k) * N + n];
        out.data[(p * M + m) * N + n] = s;
      }
    }
  }
  return out;
}

/** dA = dY B^T and dB = A^T dY, summed over the batch when B is shared. */
function matmulBackward(a: RefArray, b: RefArray, g: RefArray): [RefArray, RefArray] {
  const { batch, M, K, N, bShared } = matmulShape(a.shape, b.shape);
  const da = zerosRef(a.shape);
  const db = zerosRef(b.shape);
  for (let p = 0; p < batch; p++) {
    const bp = bShared ? 0 : p;
    for (let m = 0; m < M; m++) {
      for (let k = 0; k < K; k++) {
        for (let n = 0; n < N; n++) {
          const gv = g.data[(p * M + m) * N + n];
          da.data[(p * M + m) * K + k] += gv * b.data[(bp * K + k) * N + n];
          db.data[(bp * K + k) * N + n] += a.data[(p * M + m) * K + k] * gv;
        }
      }
    }
  }
  return [da, db];
}

// ------------------------------------------------------------------ softmax family

/** Apply `f(row, base)` to each row of the last axis. */
function forRows(x: RefArray, f: (row: Float64Array, base: number) => void): void {
  const cols = x.shape[x.shape.length - 1] ?? 1;
  for (let base = 0; base < x.data.length; base += cols) f(x.data.subarray(base, base + cols), base);
}

/** log(sum(exp(row))), shifted by the row max so logits of +-1e4 stay finite. */
function logSumExp(row: Float64Array): number {
  const m = Math.max(...row);
  let s = 0;
  for (const v of row) s += Math.exp(v - m);
  return m + Math.log(s);
}

function logSoftmaxRef(x: RefArray): RefArray {
  const out = zerosRef(x.shape);
  forRows(x, (row, base) => {
    const lse = logSumExp(row);
    row.forEach((v, c) => (out.data[base + c] = v - lse));
  });
  return out;
}

const softmaxRef = (x: RefArray) => map(logSoftmaxRef(x), Math.exp);

/** Per-row targets of softmaxCrossEntropy: a one-hot of i32 class indices [N], or f32 rows [N, C]. */
function targets(labels: RefArray, n: number, c: number): RefArray {
  if (labels.shape.length === 2) return labels;
  return refArray([n, c], (i) => (labels.data[Math.floor(i / c)] === i % c ? 1 : 0));
}

// ------------------------------------------------------------------ the table

export const REFERENCE: ReferenceTable = {
  add: binary((a, b) => a + b, () => 1, () => 1),
  sub: binary((a, b) => a - b, () => 1, () => -1),
  mul: binary((a, b) => a * b, (_a, b) => b, (a) => a),
  div: binary((a, b) => a / b, (_a, b) => 1 / b, (a, b) => -a / (b * b)),
  // Ties send the gradient to the first operand (the op's documented convention).
  maximum: binary(Math.max, (a, b) => (a >= b ? 1 : 0), (a, b) => (a >= b ? 0 : 1)),
  affine: {
    forward: ([x], { alpha, beta }) => map(x, (v) => alpha * v + beta),
    backward: (_x, { alpha }, g) => [map(g, (v) => alpha * v)],
  },
  neg: unary((x) => -x, () => -1),
  exp: unary(Math.exp, Math.exp),
  log: unary(Math.log, (x) => 1 / x),
  sqrt: unary(Math.sqrt, (x) => 0.5 / Math.sqrt(x)),
  square: unary((x) => x * x, (x) => 2 * x),
  tanh: unary(Math.tanh, (x) => 1 - Math.tanh(x) ** 2),
  relu: unary(relu, reluGrad),
  sigmoid: unary(sigmoid, sigmoidGrad),
  abs: unary(Math.abs, Math.sign),
  recip: unary((x) => 1 / x, (x) => -1 / (x * x)),
  sum: {
    forward: ([x], attrs) => reduceSum(x, attrs, 1),
    backward: ([x], attrs, g) => [sumBackward(x, attrs, g, 1)],
  },
  mean: {
    forward: ([x], attrs) => reduceSum(x, attrs, 1 / countOf(x.shape, attrs.axes)),
    backward: ([x], attrs, g) => [sumBackward(x, attrs, g, 1 / countOf(x.shape, attrs.axes))],
  },
  // Ties split the gradient evenly (a valid subgradient: the parts sum to the output's gradient).
  max: {
    forward: ([x], attrs) => reduceMax(x, attrs).m,
    backward: ([x], attrs, g) => {
      const { m, ties, groupOf } = reduceMax(x, attrs);
      return [refArray(x.shape, (i) => (x.data[i] === m.data[groupOf(i)] ? g.data[groupOf(i)] / ties.data[groupOf(i)] : 0))];
    },
  },
  reshape: {
    forward: ([x], { shape }) => reshapeRef(x, shape),
    backward: ([x], _attrs, g) => [reshapeRef(g, x.shape)],
  },
  permute: {
    forward: ([x], { perm }) => permuteRef(x, perm),
    backward: (_x, { perm }, g) => {
      const inverse = perm.map((_, i) => perm.indexOf(i));
      return [permuteRef(g, inverse)];
    },
  },
  matmul: {
    // Transposed operands: transpose explicitly, multiply, and transpose the gradients back.
    forward: ([a, b], { transA, transB }) => matmulForward(transA ? swapLast(a) : a, transB ? swapLast(b) : b),
    backward: ([a, b], { transA, transB }, g) => {
      const [da, db] = matmulBackward(transA ? swapLast(a) : a, transB ? swapLast(b) : b, g);
      return [transA ? swapLast(da) : da, transB ? swapLast(db) : db];
    },
  },
  linear: {
    forward: ([x, w, b], { activation }) => {
      const z = zip(matmulForward(x, w), b, (u, v) => u + v);
      return activation === 'relu' ? map(z, relu) : activation === 'sigmoid' ? map(z, sigmoid) : z;
    },
    backward: ([x, w, b], { activation }, g) => {
      const z = zip(matmulForward(x, w), b, (u, v) => u + v);
      const act = activation === 'relu' ? reluGrad : activation === 'sigmoid' ? sigmoidGrad : () => 1;
      const gz = map(z, (v, i) => g.data[i] * act(v));
      const [dx, dw] = matmulBackward(x, w, gz);
      return [dx, dw, unbroadcast(gz, b.shape)];
    },
  },
  softmax: {
    forward: ([x]) => softmaxRef(x),
    // dx = y * (g - sum(g * y)) per row (the softmax Jacobian y_k (delta_ki - y_i) applied to g).
    backward: ([x], _attrs, g) => {
      const y = softmaxRef(x);
      const dx = zerosRef(x.shape);
      forRows(y, (row, base) => {
        const dot = row.reduce((s, v, c) => s + v * g.data[base + c], 0);
        row.forEach((v, c) => (dx.data[base + c] = v * (g.data[base + c] - dot)));
      });
      return [dx];
    },
  },
  logSoftmax: {
    forward: ([x]) => logSoftmaxRef(x),
    // dx = g - softmax(x) * sum(g) per row.
    backward: ([x], _attrs, g) => {
      const p = softmaxRef(x);
      const dx = zerosRef(x.shape);
      forRows(p, (row, base) => {
        const gsum = row.reduce((s, _v, c) => s + g.data[base + c], 0);
        row.forEach((v, c) => (dx.data[base + c] = g.data[base + c] - v * gsum));
      });
      return [dx];
    },
  },
  // L = (1/N) sum_r -sum_c t[r, c] log softmax(x)[r, c]
  // dL/dx[r, c] = (p[r, c] * sum_c' t[r, c'] - t[r, c]) / N: seed 003's (y - t) / N when rows of t sum to 1.
  softmaxCrossEntropy: {
    forward: ([logits, labels]) => {
      const [n, c] = logits.shape;
      const logp = logSoftmaxRef(logits);
      const t = targets(labels, n, c);
      let loss = 0;
      for (let i = 0; i < n * c; i++) if (t.data[i] !== 0) loss -= t.data[i] * logp.data[i];
      return refArray([], [loss / n]);
    },
    backward: ([logits, labels], _attrs, g) => {
      const [n, c] = logits.shape;
      const p = softmaxRef(logits);
      const t = targets(labels, n, c);
      const dx = zerosRef(logits.shape);
      for (let r = 0; r < n; r++) {
        let tsum = 0;
        for (let k = 0; k < c; k++) tsum += t.data[r * c + k];
        for (let k = 0; k < c; k++) dx.data[r * c + k] = (g.data[0] * (p.data[r * c + k] * tsum - t.data[r * c + k])) / n;
      }
      return [dx, null];
    },
  },
};

// ------------------------------------------------------------------ functions outside OPS

/** Index of the first maximum along `axis` (not differentiable). */
export function argmaxRef(x: RefArray, axis: number, keepDims = false): RefArray {
  const { m, groupOf } = reduceMax(x, { axes: [axis], keepDims: true });
  const idx = refArray(m.shape, () => -1);
  for (let i = 0; i < x.data.length; i++) {
    if (idx.data[groupOf(i)] < 0 && x.data[i] === m.data[groupOf(i)]) idx.data[groupOf(i)] = coordsOf(i, x.shape)[axis];
  }
  return keepDims ? idx : reshapeRef(idx, x.shape.filter((_, d) => d !== axis));
}

/** mean((pred - target)^2) or its sum, and its gradient with respect to pred (times g). */
export function mseLossRef(pred: RefArray, target: RefArray, reduction: 'mean' | 'sum'): { loss: number; grad: (g: number) => RefArray } {
  const scale = reduction === 'mean' ? 1 / numel(pred.shape) : 1;
  const diff = zip(pred, target, (p, t) => p - t);
  const loss = diff.data.reduce((s, d) => s + d * d, 0) * scale;
  return { loss, grad: (g) => map(diff, (d) => 2 * d * scale * g) };
}
