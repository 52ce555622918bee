// matmul as torch.matmul defines it, where either operand may also be stored transposed
// (transposeA: A holds [.., K, M]; transposeB: B holds [.., N, K]), as in tf.matMul:
//   - [K] x [K] -> [] (a dot product); a 1-D first operand is used as [1, K] and the prepended 1
//     is removed from the result; a 1-D second operand is used as [K, 1] and the appended 1 is
//     removed ([M, K] x [K] -> [M], [K] x [.., K, N] -> [.., N]);
//   - the dims before the last two are batch dims that broadcast (NumPy rules): [1, M, K] x
//     [B, K, N] -> [B, M, N], [B, 1, M, K] x [H, K, N] -> [B, H, M, N].
// The kernel takes one batch loop with a per-operand stride (0: the operand is shared by every
// batch element). An operand whose batch dims broadcast partly (neither shared nor full) is
// expanded to the full batch first (a copy; `shared` and `full` operands are read in place).
// Transposed operands are read in place by the kernel, never materialised. With op(X) the
// operand as used:
//   dop(A) = dC op(B)^T,   dop(B) = op(A)^T dC,
// per batch element; a transposed operand's gradient is the transpose of those, which is again
// one matmul with the right operands read transposed (see gradA / gradB). A broadcast operand's
// gradient is summed over the batch dims it was broadcast along.
import { ShapeError } from '../errors.ts';
import { option, parseOptions } from '../options.ts';
import { broadcastShapes, sizeOf } from '../shape.ts';
import type { Tensor } from '../tensor.ts';
import { expandKernel } from '../kernels/elementwise.ts';
import { matmulKernel } from '../kernels/matmul.ts';
import { apply, defineOp } from './op.ts';
import { sumTo } from './reduce-to.ts';

/** Options of `matmul(a, b, opts)`: read either operand transposed in place. */
export interface MatmulOptions {
  /** The first operand is stored [.., K, M] and used transposed (rank >= 2). */
  transposeA?: boolean;
  /** The second operand is stored [.., N, K] and used transposed (rank >= 2). */
  transposeB?: boolean;
}

/** The matmul op's attributes: whether each operand is read transposed. */
export interface MatmulAttrs {
  transA: boolean;
  transB: boolean;
}

/** How one operand meets the batch: read in place per element, shared by all, or expanded first. */
type BatchMode = 'full' | 'shared' | 'expand';

interface Operand {
  /** The operand as stored with rank >= 2 (a 1-D operand as [1, K] or [K, 1]). */
  shape2: number[];
  mode: BatchMode;
  /** Elements of one batch element's matrix. */
  matrix: number;
}

export interface MatmulPlan {
  batchShape: number[];
  /** Product of batchShape (1 without batch dims). */
  batch: number;
  M: number;
  K: number;
  N: number;
  a: Operand;
  b: Operand;
  /** torch.matmul's result shape (1-D operands' dims removed). */
  outShape: number[];
}

const shapeStr = (s: readonly number[]) => `[${s.join(', ')}]`;

export function matmulPlan(op: string, a: readonly number[], b: readonly number[], transA = false, transB = false): MatmulPlan {
  if (a.length === 0 || b.length === 0) {
    throw new ShapeError(op, [a, b], 'both operands must be at least 1-D (a 0-D operand is a scalar: use mul)');
  }
  for (const [which, s, t] of [['transposeA', a, transA], ['transposeB', b, transB]] as const) {
    if (t && s.length === 1) throw new ShapeError(op, [a, b], `${which} needs an operand of rank >= 2, got the vector ${shapeStr(s)}`);
  }
  const a2 = a.length === 1 ? [1, a[0]] : [...a];
  const b2 = b.length === 1 ? [b[0], 1] : [...b];
  const [a0, a1] = a2.slice(-2);
  const [b0, b1] = b2.slice(-2);
  const [M, K] = transA ? [a1, a0] : [a0, a1];
  const [K2, N] = transB ? [b1, b0] : [b0, b1];
  if (K !== K2) {
    const forms = `${transA ? '[.., K, M] (transposeA)' : a.length === 1 ? '[K]' : '[.., M, K]'} x ${transB ? '[.., N, K] (transposeB)' : b.length === 1 ? '[K]' : '[.., K, N]'}`;
    throw new ShapeError(op, [a, b], `inner dimensions must match for ${forms}: K = ${K} from the first operand, ${K2} from the second`);
  }
  const aBatch = a2.slice(0, -2);
  const bBatch = b2.slice(0, -2);
  let batchShape: number[];
  try {
    batchShape = broadcastShapes(op, aBatch, bBatch);
  } catch {
    throw new ShapeError(op, [a, b], `batch dims ${shapeStr(aBatch)} and ${shapeStr(bBatch)} do not broadcast`);
  }
  const batch = sizeOf(batchShape);
  const mode = (x: number[]): BatchMode => (sizeOf(x) === batch ? 'full' : sizeOf(x) === 1 ? 'shared' : 'expand');
  const outShape = [...batchShape, ...(a.length === 1 ? [] : [M]), ...(b.length === 1 ? [] : [N])];
  return {
    batchShape, batch, M, K, N, outShape,
    a: { shape2: a2, mode: mode(aBatch), matrix: M * K },
    b: { shape2: b2, mode: mode(bBatch), matrix: K * N },
  };
}

/** An operand ready for the kernel: its tensor (a view, or an expanded copy) and batch stride. */
function prepare(x: Tensor, o: Operand, p: MatmulPlan): { t: Tensor; stride: number } {
  const view = x.share(o.shape2);
  if (o.mode !== 'expand') return { t: view, stride: o.mode === 'shared' ? 0 : o.matrix };
  const full = expandKernel(view, [...p.batchShape, ...o.shape2.slice(-2)]);
  view.dispose();
  return { t: full, stride: o.matrix };
}

/** A gradient computed per batch element ([...batchShape, r, c]) summed back to the operand's shape. */
function reduceTo(full: Tensor, o: Operand, shape: readonly number[]): Tensor {
  const summed = o.mode === 'full' ? full.share(o.shape2) : sumTo(full, o.shape2);
  full.dispose();
  const out = summed.share(shape);
  summed.dispose();
  return out;
}

export const matmulOp = defineOp<MatmulAttrs, { a: Tensor; b: Tensor }>({
  name: 'matmul',
  arity: 2,
  forward: ([a, b], { transA, transB }) => {
    const p = matmulPlan('matmul', a.shape, b.shape, transA, transB);
    const A = prepare(a, p.a, p);
    const B = prepare(b, p.b, p);
    const out = matmulKernel({
      a: A.t, b: B.t, M: p.M, N: p.N, K: p.K, transA, transB,
      batch: p.batch, aBatchStride: A.stride, bBatchStride: B.stride, outShape: p.outShape,
    });
    A.t.dispose();
    B.t.dispose();
    return { out, saved: { a, b } };
  },
  backward: (g, { a, b }, { attrs, needsGrad }) => {
    const p = matmulPlan('matmul', a.shape, b.shape, attrs.transA, attrs.transB);
    return [needsGrad[0] ? gradA(g, b, p, attrs, a.shape) : null, needsGrad[1] ? gradB(g, a, p, attrs, b.shape) : null];
  },
});

/** dA, stored like A: dC op(B)^T ([M, K]), or op(B) dC^T ([K, M]) when A is transposed. */
function gradA(g: Tensor, b: Tensor, p: MatmulPlan, { transA, transB }: MatmulAttrs, shape: readonly number[]): Tensor {
  const { batch, M, K, N } = p;
  const B = prepare(b, p.b, p);
  const full = [...p.batchShape, ...p.a.shape2.slice(-2)];
  const label = 'matmul.dA';
  const out = transA
    ? matmulKernel({ a: B.t, b: g, M: K, N: M, K: N, batch, aBatchStride: B.stride, bBatchStride: M * N, transA: transB, transB: true, outShape: full, label })
    : matmulKernel({ a: g, b: B.t, M, N: K, K: N, batch, aBatchStride: M * N, bBatchStride: B.stride, transA: false, transB: !transB, outShape: full, label });
  B.t.dispose();
  return reduceTo(out, p.a, shape);
}

/**
 * dB, stored like B: op(A)^T dC ([K, N]), or dC^T op(A) ([N, K]) when B is transposed. A B
 * shared over a batch gets the sum over the batch: one matmul over the batch's rows when A's
 * layout allows it (A read in place, not transposed), else per-batch products summed.
 */
function gradB(g: Tensor, a: Tensor, p: MatmulPlan, { transA, transB }: MatmulAttrs, shape: readonly number[]): Tensor {
  const { batch, M, K, N } = p;
  const label = 'matmul.dB';
  const product = (A: Tensor, rows: number, n: number, aStride: number, gStride: number, outShape: readonly number[]) =>
    transB
      ? matmulKernel({ a: g, b: A, M: N, N: K, K: rows, batch: n, aBatchStride: gStride, bBatchStride: aStride, transA: true, transB: transA, outShape, label })
      : matmulKernel({ a: A, b: g, M: K, N, K: rows, batch: n, aBatchStride: aStride, bBatchStride: gStride, transA: !transA, transB: false, outShape, label });
  // A as [batch * M, K] is a plain reshape of A [.., M, K] (not of a transposed A [.., K, M]).
  if (p.b.mode === 'shared' && p.a.mode === 'full' && !transA) return product(a, batch * M, 1, 0, 0, shape);
  const A = prepare(a, p.a, p);
  const out = product(A.t, M, batch, A.stride, M * N, [...p.batchShape, ...p.b.shape2.slice(-2)]);
  A.t.dispose();
  return reduceTo(out, p.b, shape);
}

const MATMUL_OPTIONS = {
  transposeA: option.boolean({ default: false }),
  transposeB: option.boolean({ default: false }),
};

/**
 * torch.matmul(a, b): vector, matrix and batched products with broadcast batch dims (see the
 * file header), plus tf.matMul's transposeA / transposeB for operands stored transposed.
 */
export function matmul(a: Tensor, b: Tensor, opts?: MatmulOptions): Tensor {
  const { transposeA, transposeB } = parseOptions('matmul', opts, MATMUL_OPTIONS);
  return apply(matmulOp, [a, b], { transA: transposeA, transB: transposeB });
}
