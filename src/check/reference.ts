// The float64 CPU reference: every op of src/ops/registry.ts OPS, forward and backward (a
// vector-Jacobian product), written from the math on plain RefArrays. Tests compare the GPU
// kernels against it and the gradient check iterates REFERENCE; the table's type has one
// entry per OpName, so a new op without a reference does not compile. Each op family's
// reference lives in ./reference/<family>.ts, mirroring src/ops/.
import { ACTIVATIONS_REF } from './reference/activations.ts';
import { CONV_REF } from './reference/conv.ts';
import { ELEMENTWISE_REF } from './reference/elementwise.ts';
import { INDEXING_REF } from './reference/indexing.ts';
import { LAYERNORM_REF } from './reference/layernorm.ts';
import { ATTENTION_REF } from './reference/attention.ts';
import { SLICE_REF } from './reference/slice.ts';
import { WHERE_REF } from './reference/where.ts';
import { MATMUL_REF } from './reference/matmul.ts';
import { POW_REF } from './reference/pow.ts';
import { NORM_REF } from './reference/norm.ts';
import { DROPOUT_REF } from './reference/dropout.ts';
import { POOL_REF } from './reference/pool.ts';
import { REDUCE_REF } from './reference/reduce.ts';
import { SHAPE_REF } from './reference/shape.ts';
import { SOFTMAX_REF } from './reference/softmax.ts';
import { LOSS_REF } from './reference/loss.ts';
import type { ReferenceTable } from './reference/types.ts';

export type { AttrsOf, RefOp, ReferenceTable } from './reference/types.ts';
export { argmaxRef } from './reference/reduce.ts';
export { mseLossRef } from './reference/softmax.ts';

export const REFERENCE: ReferenceTable = {
  ...ELEMENTWISE_REF,
  ...POW_REF,
  ...REDUCE_REF,
  ...SHAPE_REF,
  ...MATMUL_REF,
  ...CONV_REF,
  ...POOL_REF,
  ...SOFTMAX_REF,
  ...LOSS_REF,
  ...NORM_REF,
  ...DROPOUT_REF,
  ...LAYERNORM_REF,
  ...ATTENTION_REF,
  ...ACTIVATIONS_REF,
  ...INDEXING_REF,
  ...SLICE_REF,
  ...WHERE_REF,
};
