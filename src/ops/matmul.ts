// matmul: [M, K] x [K, N], [B, M, K] x [K, N] and [B, M, K] x [B, K, N].
// Backward reads operands transposed inside the kernel (no transpose is materialised):
//   dA = dC * B^T  (TRANS_B),   dB = A^T * dC  (TRANS_A).
import { ShapeError } from '../errors.ts';
import type { Tensor } from '../tensor.ts';
import { matmulKernel } from '../kernels/matmul.ts';
import { apply, defineOp } from './op.ts';

interface MatmulDims {
  batch: number; // 0 for plain 2-D
  M: number;
  K: number;
  N: number;
  bBatched: boolean;
}

export function matmulDims(op: string, a: readonly number[], b: readonly number[]): MatmulDims {
  if (a.length < 2 || a.length > 3 || b.length < 2 || b.length > 3 || (a.length === 2 && b.length === 3)) {
    throw new ShapeError(op, [a, b], 'expected [M, K] x [K, N], [B, M, K] x [K, N] or [B, M, K] x [B, K, N]');
  }
  const [M, K] = a.slice(-2);
  const [K2, N] = b.slice(-2);
  if (K !== K2) {
    throw new ShapeError(op, [a, b], `inner dimensions must match: ${K} (last of the first) vs ${K2} (first of the last two of the second)`);
  }
  const batch = a.length === 3 ? a[0] : 0;
  const bBatched = b.length === 3;
  if (bBatched && b[0] !== batch) throw new ShapeError(op, [a, b], `batch sizes must match: ${batch} vs ${b[0]}`);
  return { batch, M, K, N, bBatched };
}

export const matmulOp = defineOp<undefined, { a: Tensor; b: Tensor }>({
  name: 'matmul',
  arity: 2,
  forward: ([a, b]) => {
    const d = matmulDims('matmul', a.shape, b.shape);
    const out = matmulKernel({
      a,
      b,
      M: d.M,
      N: d.N,
      K: d.K,
      batch: Math.max(d.batch, 1),
      aBatchStride: d.M * d.K,
      bBatchStride: d.bBatched ? d.K * d.N : 0,
      outShape: d.batch ? [d.batch, d.M, d.N] : [d.M, d.N],
    });
    return { out, saved: { a, b } };
  },
  backward: (g, { a, b }, { needsGrad }) => {
    const d = matmulDims('matmul', a.shape, b.shape);
    const batch = Math.max(d.batch, 1);
    // dA[b] = g[b] (M x N) * B[b]^T (N x K)
    const ga = needsGrad[0]
      ? matmulKernel({
          a: g, b, M: d.M, N: d.K, K: d.N, batch,
          aBatchStride: d.M * d.N, bBatchStride: d.bBatched ? d.K * d.N : 0,
          transB: true, outShape: a.shape, label: 'matmul.dA',
        })
      : null;
    let gb: Tensor | null = null;
    if (needsGrad[1]) {
      gb = d.bBatched
        ? // dB[b] = A[b]^T (K x M) * g[b] (M x N)
          matmulKernel({
            a, b: g, M: d.K, N: d.N, K: d.M, batch,
            aBatchStride: d.M * d.K, bBatchStride: d.M * d.N,
            transA: true, outShape: b.shape, label: 'matmul.dB',
          })
        : // B shared over the batch: dB = sum_b A[b]^T g[b] = (A as [B*M, K])^T (g as [B*M, N])
          matmulKernel({
            a, b: g, M: d.K, N: d.N, K: batch * d.M, batch: 1,
            aBatchStride: 0, bBatchStride: 0,
            transA: true, outShape: b.shape, label: 'matmul.dB',
          });
    }
    return [ga, gb];
  },
});

export const matmul = (a: Tensor, b: Tensor): Tensor => apply(matmulOp, [a, b], undefined);
