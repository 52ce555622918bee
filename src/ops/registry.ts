// The op table. Every differentiable op is listed here; each entry is an OpDef whose forward
// and backward are required members, so an op without a backward does not compile. The
// gradient-check suite iterates this table, so a new op without a check case fails CI.
import type { OpDef } from './op.ts';
import {
  absOp, addOp, affineOp, divOp, expOp, logOp, maximumOp, mulOp, negOp, recipOp, reluOp, sigmoidOp, sqrtOp, squareOp, subOp, tanhOp,
} from './elementwise.ts';
import { geluOp, siluOp } from './activations.ts';
import { embeddingOp, gatherOp, indexSelectOp } from './indexing.ts';
import { layerNormOp, rmsNormOp } from './layernorm.ts';
import { scaledDotProductAttentionOp } from './attention.ts';
import { concatOp, narrowOp } from './slice.ts';
import { maskedFillOp, trilOp, triuOp, whereOp } from './where.ts';
import { conv2dNoBiasOp, conv2dOp } from './conv.ts';
import { linearOp } from './linear.ts';
import { softmaxCrossEntropyOp, softmaxCrossEntropyWeightedOp } from './loss.ts';
import { matmulOp } from './matmul.ts';
import { batchNormOp } from './norm.ts';
import { dropoutOp } from './dropout.ts';
import { maxOp, meanOp, sumOp } from './reduce.ts';
import { padOp } from './pad.ts';
import { permuteOp, reshapeOp } from './shape.ts';
import { powOp, powScalarOp } from './pow.ts';
import { adaptiveAvgPool2dOp, avgPool2dOp, maxPool2dOp } from './pool.ts';
import { logSoftmaxOp, softmaxOp } from './softmax.ts';

// Each op's attrs and saved types must be exported from its module: OPS's emitted declaration
// names them, and `npm run build` fails with TS4023 otherwise (test/package-consumer.test.ts).
/** Every differentiable op by name (the gradient-check suite walks this table). */
export const OPS = {
  add: addOp,
  sub: subOp,
  mul: mulOp,
  div: divOp,
  maximum: maximumOp,
  affine: affineOp,
  neg: negOp,
  exp: expOp,
  log: logOp,
  sqrt: sqrtOp,
  square: squareOp,
  tanh: tanhOp,
  relu: reluOp,
  sigmoid: sigmoidOp,
  abs: absOp,
  recip: recipOp,
  pow: powOp,
  powScalar: powScalarOp,
  sum: sumOp,
  mean: meanOp,
  max: maxOp,
  reshape: reshapeOp,
  permute: permuteOp,
  matmul: matmulOp,
  conv2d: conv2dOp,
  conv2dNoBias: conv2dNoBiasOp,
  maxPool2d: maxPool2dOp,
  avgPool2d: avgPool2dOp,
  adaptiveAvgPool2d: adaptiveAvgPool2dOp,
  pad: padOp,
  linear: linearOp,
  softmax: softmaxOp,
  logSoftmax: logSoftmaxOp,
  softmaxCrossEntropy: softmaxCrossEntropyOp,
  softmaxCrossEntropyWeighted: softmaxCrossEntropyWeightedOp,
  layerNorm: layerNormOp,
  rmsNorm: rmsNormOp,
  scaledDotProductAttention: scaledDotProductAttentionOp,
  gelu: geluOp,
  silu: siluOp,
  embedding: embeddingOp,
  indexSelect: indexSelectOp,
  gather: gatherOp,
  narrow: narrowOp,
  concat: concatOp,
  where: whereOp,
  maskedFill: maskedFillOp,
  tril: trilOp,
  triu: triuOp,
  batchNorm: batchNormOp,
  dropout: dropoutOp,
} as const satisfies { readonly [name: string]: OpDef<any, any> };

/** The name of an op in OPS. */
export type OpName = keyof typeof OPS;

// Each entry's key must equal its op's name (checked at module load: a mismatch is a bug).
for (const [key, op] of Object.entries(OPS)) {
  if (op.name !== key) throw new Error(`op table: key '${key}' holds op '${op.name}'`);
}
