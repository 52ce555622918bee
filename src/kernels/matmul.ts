// Launcher for the matmul variants (shaders/matmul.wgsl for CPU drivers, matmul-gpu.wgsl for
// GPUs). One question per launch: the variant table (matmul-tune.ts) returns the record to
// run, forced (args.variant, or WEBGRAD_MATMUL in Node) or chosen per adapter and shape
// class, and the record's plan is recorded as it stands.
import { ShapeError } from '../errors.ts';
import { empty, type Tensor } from '../tensor.ts';
import { MATMUL } from './matmul-tune.ts';
import type { MatmulDims, MatmulVariant } from './matmul-variants.ts';

export type { MatmulVariant } from './matmul-variants.ts';

export interface MatmulKernelArgs extends Pick<MatmulDims, 'M' | 'N' | 'K' | 'batch' | 'aBatchStride' | 'bBatchStride'> {
  a: Tensor;
  b: Tensor;
  /** A is stored [K, M] (read transposed). */
  transA?: boolean;
  /** B is stored [N, K] (read transposed). */
  transB?: boolean;
  bias?: Tensor | null;
  activation?: 'none' | 'relu' | 'sigmoid';
  outShape: readonly number[];
  label?: string;
  /** Force a kernel variant (tests cover every one this way). */
  variant?: MatmulVariant;
}

export function matmulKernel(args: MatmulKernelArgs): Tensor {
  const { a, b, M, N, K, batch } = args;
  const rt = a.runtime;
  const label = args.label ?? 'matmul';
  const bias = args.bias ?? null;
  checkSizes(args, label);
  const out = empty(args.outShape, 'f32', label);
  const dims: MatmulDims = {
    M, N, K, batch,
    aBatchStride: args.aBatchStride,
    bBatchStride: args.bBatchStride,
    transA: !!args.transA,
    transB: !!args.transB,
    hasBias: bias !== null,
    activation: args.activation ?? 'none',
  };
  const buffers = [a.buffer(label), b.buffer(label), bias ? bias.buffer(label) : rt.placeholder('read'), out.buffer(label)];
  MATMUL.launch(rt, dims, args.variant ?? envVariant(), buffers, label);
  return out;
}

/** Operands must hold what the strides and shapes promise (a wrong caller would read garbage). */
function checkSizes(args: MatmulKernelArgs, op: string): void {
  const { a, b, M, N, K, batch } = args;
  const need = (stride: number, one: number) => (batch > 0 && one > 0 ? stride * (batch - 1) + one : 0);
  if (a.size < need(args.aBatchStride, M * K) || b.size < need(args.bBatchStride, K * N)) {
    throw new ShapeError(op, [a.shape, b.shape], `operands too small for ${batch} x [${M}, ${K}] x [${K}, ${N}]`);
  }
  if (args.bias && args.bias.size !== N) throw new ShapeError(op, [args.bias.shape], `bias must have ${N} elements`);
  const outSize = args.outShape.reduce((x, y) => x * y, 1);
  if (outSize !== batch * M * N) throw new ShapeError(op, [args.outShape], `output must hold ${batch} x ${M} x ${N} elements`);
}

function envVariant(): string | undefined {
  const env = typeof process !== 'undefined' ? process.env?.WEBGRAD_MATMUL : undefined;
  return env || undefined;
}
