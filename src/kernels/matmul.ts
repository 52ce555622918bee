// Launcher for shaders/matmul.wgsl.
import { empty, type Tensor } from '../tensor.ts';
import { ParamWriter } from './launch.ts';

const TILE = 16;

export interface MatmulKernelArgs {
  a: Tensor;
  b: Tensor;
  M: number;
  N: number;
  K: number;
  batch: number;
  /** Elements between consecutive matrices of each operand (0 broadcasts it). */
  aBatchStride: number;
  bBatchStride: number;
  transA?: boolean;
  transB?: boolean;
  bias?: Tensor | null;
  activation?: 'none' | 'relu' | 'sigmoid';
  outShape: readonly number[];
  label?: string;
}

export function matmulKernel(args: MatmulKernelArgs): Tensor {
  const { a, b, M, N, K, batch } = args;
  const rt = a.runtime;
  const label = args.label ?? 'matmul';
  const out = empty(args.outShape, 'f32', label);
  const act = args.activation ?? 'none';
  const params = new ParamWriter()
    .u32(M)
    .u32(N)
    .u32(K)
    .u32(batch)
    .u32(args.aBatchStride)
    .u32(args.bBatchStride)
    .u32(M * N)
    .done();
  const bias = args.bias ?? null;
  rt.dispatch(
    {
      shader: 'matmul',
      entry: 'main',
      defines: {
        TRANS_A: !!args.transA,
        TRANS_B: !!args.transB,
        HAS_BIAS: bias !== null,
        ACT_RELU: act === 'relu',
        ACT_SIGMOID: act === 'sigmoid',
      },
      constants: { TILE },
      bindings: ['uniform', 'read', 'read', 'read', 'rw'],
    },
    params,
    [a.buffer(label), b.buffer(label), (bias ?? a).buffer(label), out.buffer(label)],
    [Math.ceil(N / TILE), Math.ceil(M / TILE), batch],
    `${label}.forward`,
  );
  return out;
}
