// matmul: [M, K] x [K, N], [B, M, K] x [K, N] and [B, M, K] x [B, K, N], where either operand
// may be stored transposed (transposeA: A holds [.., K, M]; transposeB: B holds [.., N, K]),
// as in tf.matMul(a, b, transposeA, transposeB). Transposed operands are read in place by the
// kernel, never materialised, in forward and in backward. With op(X) the operand as used:
//   dop(A) = dC op(B)^T,   dop(B) = op(A)^T dC,
// and a transposed operand's gradient is the transpose of those, which is again one matmul
// with the right operands read transposed (see gradA / gradB).
import { ShapeError } from '../errors.ts';
import type { Tensor } from '../tensor.ts';
import { matmulKernel } from '../kernels/matmul.ts';
import { reduceKernel } from '../kernels/reduce.ts';
import { apply, defineOp } from './op.ts';

export interface MatmulOptions {
  /** The first operand is stored [.., K, M] and used transposed. */
  transposeA?: boolean;
  /** The second operand is stored [.., N, K] and used transposed. */
  transposeB?: boolean;
}

interface MatmulAttrs {
  transA: boolean;
  transB: boolean;
}

interface MatmulDims {
  batch: number; // 0 for plain 2-D
  M: number;
  K: number;
  N: number;
  bBatched: boolean;
}

export function matmulDims(op: string, a: readonly number[], b: readonly number[], transA = false, transB = false): MatmulDims {
  const forms = `${transA ? '[.., K, M] (transposeA)' : '[.., M, K]'} x ${transB ? '[.., N, K] (transposeB)' : '[.., K, N]'}`;
  if (a.length < 2 || a.length > 3 || b.length < 2 || b.length > 3 || (a.length === 2 && b.length === 3)) {
    throw new ShapeError(op, [a, b], `expected 2-D x 2-D, 3-D x 2-D or 3-D x 3-D operands laid out ${forms}`);
  }
  const [a0, a1] = a.slice(-2);
  const [b0, b1] = b.slice(-2);
  const [M, K] = transA ? [a1, a0] : [a0, a1];
  const [K2, N] = transB ? [b1, b0] : [b0, b1];
  if (K !== K2) {
    throw new ShapeError(op, [a, b], `inner dimensions must match for ${forms}: K = ${K} from the first operand, ${K2} from the second`);
  }
  const batch = a.length === 3 ? a[0] : 0;
  const bBatched = b.length === 3;
  if (bBatched && b[0] !== batch) throw new ShapeError(op, [a, b], `batch sizes must match: ${batch} vs ${b[0]}`);
  return { batch, M, K, N, bBatched };
}

export const matmulOp = defineOp<MatmulAttrs, { a: Tensor; b: Tensor }>({
  name: 'matmul',
  arity: 2,
  forward: ([a, b], { transA, transB }) => {
    const d = matmulDims('matmul', a.shape, b.shape, transA, transB);
    const out = matmulKernel({
      a, b, M: d.M, N: d.N, K: d.K, transA, transB,
      batch: Math.max(d.batch, 1),
      aBatchStride: d.M * d.K,
      bBatchStride: d.bBatched ? d.K * d.N : 0,
      outShape: d.batch ? [d.batch, d.M, d.N] : [d.M, d.N],
    });
    return { out, saved: { a, b } };
  },
  backward: (g, { a, b }, { attrs, needsGrad }) => {
    const d = matmulDims('matmul', a.shape, b.shape, attrs.transA, attrs.transB);
    return [needsGrad[0] ? gradA(g, b, d, attrs, a.shape) : null, needsGrad[1] ? gradB(g, a, d, attrs, b.shape) : null];
  },
});

/** dA, stored like A: dC op(B)^T ([M, K]), or op(B) dC^T ([K, M]) when A is transposed. */
function gradA(g: Tensor, b: Tensor, d: MatmulDims, { transA, transB }: MatmulAttrs, shape: readonly number[]): Tensor {
  const batch = Math.max(d.batch, 1);
  const bStride = d.bBatched ? d.K * d.N : 0;
  const label = 'matmul.dA';
  return transA
    ? matmulKernel({ a: b, b: g, M: d.K, N: d.M, K: d.N, batch, aBatchStride: bStride, bBatchStride: d.M * d.N, transA: transB, transB: true, outShape: shape, label })
    : matmulKernel({ a: g, b, M: d.M, N: d.K, K: d.N, batch, aBatchStride: d.M * d.N, bBatchStride: bStride, transA: false, transB: !transB, outShape: shape, label });
}

/**
 * dB, stored like B: op(A)^T dC ([K, N]), or dC^T op(A) ([N, K]) when B is transposed. A B
 * shared over the batch gets the sum over the batch: one matmul over the batch's rows when
 * A's layout allows it (A not transposed), else per-batch products summed over the batch.
 */
function gradB(g: Tensor, a: Tensor, d: MatmulDims, { transA, transB }: MatmulAttrs, shape: readonly number[]): Tensor {
  const batch = Math.max(d.batch, 1);
  const label = 'matmul.dB';
  const [rows, cols] = transB ? [d.N, d.K] : [d.K, d.N];
  const product = (n: number, aStride: number, gStride: number, outShape: readonly number[]) =>
    transB
      ? matmulKernel({ a: g, b: a, M: d.N, N: d.K, K: n, batch: outShape.length === 3 ? batch : 1, aBatchStride: gStride, bBatchStride: aStride, transA: true, transB: transA, outShape, label })
      : matmulKernel({ a, b: g, M: d.K, N: d.N, K: n, batch: outShape.length === 3 ? batch : 1, aBatchStride: aStride, bBatchStride: gStride, transA: !transA, transB: false, outShape, label });
  if (d.bBatched) return product(d.M, d.M * d.K, d.M * d.N, [batch, rows, cols]);
  // A as [B * M, K] is a plain reshape of A [B, M, K], not of a transposed A [B, K, M].
  if (!transA || batch === 1) return product(batch * d.M, 0, 0, shape);
  const perBatch = product(d.M, d.M * d.K, d.M * d.N, [batch, rows, cols]);
  const sum = reduceKernel('sum', perBatch, [0]);
  perBatch.dispose();
  return sum;
}

export const matmul = (a: Tensor, b: Tensor, opts: MatmulOptions = {}): Tensor =>
  apply(matmulOp, [a, b], { transA: !!opts.transposeA, transB: !!opts.transposeB });
