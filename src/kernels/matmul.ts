// Launcher for shaders/matmul.wgsl: entry 'tiled' (workgroup memory) or 'rows' (register
// rows, optional subgroup broadcast). The variant is forced (args.variant, or
// WEBGRAD_MATMUL in Node), else autotuned per adapter and shape class (matmul-tune.ts).
import { ShapeError } from '../errors.ts';
import { empty, type Tensor } from '../tensor.ts';
import { chooseMatmulVariant } from './matmul-tune.ts';
import { checkVariant, planMatmul, type MatmulDims, type MatmulVariant } from './matmul-variants.ts';

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
  const forced = args.variant ?? envVariant();
  const variant = forced ? checkVariant(rt, forced, label) : chooseMatmulVariant(rt, dims);
  const plan = planMatmul(rt, variant, dims, label);
  const buffers = [a.buffer(label), b.buffer(label), bias ? bias.buffer(label) : rt.placeholder('read'), out.buffer(label)];
  for (const l of plan.launches) rt.dispatch(plan.key, l.params, buffers, l.grid, `${label}.forward`);
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
