// Float64 reference of matmul as torch.matmul defines it, and of the fused linear op.
//   - a 1-D first operand [K] is used as [1, K] and the prepended 1 is removed from the result;
//     a 1-D second operand [K] is used as [K, 1] and the appended 1 is removed;
//   - the dims before the last two are batch dims and broadcast (NumPy rules);
//   - transposeA / transposeB: the operand is stored with its last two axes swapped.
// Backward accumulates each product into the operand element it read, which sums a broadcast
// operand's gradient over the batch dims it was broadcast along.
import { broadcastShape, broadcastSource, coordsOf, map, numel, permuteRef, reshapeRef, unbroadcast, zerosRef, zip, type RefArray } from '../array.ts';
import { relu, reluGrad, sigmoid, sigmoidGrad } from './elementwise.ts';
import type { RefFamily } from './types.ts';

interface MatmulForm {
  /** The operands as used: rank >= 2, not transposed. */
  a: RefArray;
  b: RefArray;
  batchShape: number[];
  M: number;
  K: number;
  N: number;
  outShape: number[];
}

/** The last two axes swapped. */
function swapLast(x: RefArray): RefArray {
  const r = x.shape.length;
  return permuteRef(x, [...Array(r - 2).keys(), r - 1, r - 2]);
}

function form(a0: RefArray, b0: RefArray, transA: boolean, transB: boolean): MatmulForm {
  const bad = (why: string) => new Error(`reference matmul: [${a0.shape.join(', ')}] x [${b0.shape.join(', ')}]: ${why}`);
  if (a0.shape.length === 0 || b0.shape.length === 0) throw bad('0-D operand');
  if ((transA && a0.shape.length === 1) || (transB && b0.shape.length === 1)) throw bad('a transposed 1-D operand');
  const a1 = a0.shape.length === 1 ? reshapeRef(a0, [1, a0.shape[0]]) : a0;
  const b1 = b0.shape.length === 1 ? reshapeRef(b0, [b0.shape[0], 1]) : b0;
  const a = transA ? swapLast(a1) : a1;
  const b = transB ? swapLast(b1) : b1;
  const [M, K] = a.shape.slice(-2);
  const [K2, N] = b.shape.slice(-2);
  if (K !== K2) throw bad('inner dimensions differ');
  const batchShape = broadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const outShape = [...batchShape, ...(a0.shape.length === 1 ? [] : [M]), ...(b0.shape.length === 1 ? [] : [N])];
  return { a, b, batchShape, M, K, N, outShape };
}

/** The flat offset of batch element p's matrix in operand x (broadcast batch dims read element 0). */
function batchOffset(p: number, f: MatmulForm, x: RefArray): number {
  const xBatch = x.shape.slice(0, -2);
  const [r, c] = x.shape.slice(-2);
  return broadcastSource(coordsOf(p, f.batchShape), xBatch) * r * c;
}

export function matmulForward(a0: RefArray, b0: RefArray, transA = false, transB = false): RefArray {
  const f = form(a0, b0, transA, transB);
  const { a, b, M, K, N } = f;
  const out = zerosRef([...f.batchShape, M, N]);
  for (let p = 0; p < numel(f.batchShape); p++) {
    const ao = batchOffset(p, f, a);
    const bo = batchOffset(p, f, b);
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += a.data[ao + m * K + k] * b.data[bo + k * N + n];
        out.data[(p * M + m) * N + n] = s;
      }
    }
  }
  return reshapeRef(out, f.outShape);
}

/** dA = dY B^T and dB = A^T dY per batch element, summed where an operand was broadcast. */
export function matmulBackward(a0: RefArray, b0: RefArray, g: RefArray, transA = false, transB = false): [RefArray, RefArray] {
  const f = form(a0, b0, transA, transB);
  const { a, b, M, K, N } = f;
  const da = zerosRef(a.shape);
  const db = zerosRef(b.shape);
  for (let p = 0; p < numel(f.batchShape); p++) {
    const ao = batchOffset(p, f, a);
    const bo = batchOffset(p, f, b);
    for (let m = 0; m < M; m++) {
      for (let k = 0; k < K; k++) {
        for (let n = 0; n < N; n++) {
          const gv = g.data[(p * M + m) * N + n];
          da.data[ao + m * K + k] += gv * b.data[bo + k * N + n];
          db.data[bo + k * N + n] += a.data[ao + m * K + k] * gv;
        }
      }
    }
  }
  // Back to the layouts the operands are stored in.
  const back = (d: RefArray, trans: boolean, shape: readonly number[]) => reshapeRef(trans ? swapLast(d) : d, shape);
  return [back(da, transA, a0.shape), back(db, transB, b0.shape)];
}

export const MATMUL_REF: RefFamily<'matmul' | 'linear'> = {
  matmul: {
    forward: ([a, b], { transA, transB }) => matmulForward(a, b, transA, transB),
    backward: ([a, b], { transA, transB }, g) => matmulBackward(a, b, g, transA, transB),
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
};
