// webgrad public API.
import './ops/methods.ts';

export { init, flush, sync, noGrad, isGradEnabled, adapterInfo, autotuneIdle, autotuneResults } from './context.ts';
export type { AdapterSummary, InitOptions } from './gpu/device.ts';
export { Tensor, tensor, zeros, ones, full, empty, type DType, type TensorOptions, type TensorDataOptions } from './tensor.ts';
export { randn, rand, randint, Rng, manualSeed, initialSeed, DEFAULT_SEED, type RandomOptions, type RandnOptions, type RandOptions } from './random.ts';
export { tidy, keep, memory, releasePool, liveTensors, type MemoryInfo } from './memory.ts';
export { backward, type BackwardOptions } from './autograd/backward.ts';
export {
  add, sub, mul, div, maximum, neg, exp, log, sqrt, square, tanh, relu, sigmoid, abs, type Operand,
} from './ops/elementwise.ts';
export { sum, mean, max, argmax, type ReduceOptions, type ArgmaxOptions, type ReduceArgs, type ArgmaxArgs, type AxisArg } from './ops/reduce.ts';
export { matmul, type MatmulOptions } from './ops/matmul.ts';
export { pow } from './ops/pow.ts';
export { conv2d, type Conv2dOptions } from './ops/conv.ts';
export { maxPool2d, avgPool2d, adaptiveAvgPool2d, type MaxPool2dOptions, type AvgPool2dOptions } from './ops/pool.ts';
export { pad, type PadOptions } from './ops/pad.ts';
export { linear, type Activation } from './ops/linear.ts';
export { reshape, transpose, permute, view, unsqueeze, squeeze, flatten, type ShapeArgs } from './ops/shape.ts';
export { softmax, logSoftmax } from './ops/softmax.ts';
export { crossEntropy, softmaxCrossEntropy, mseLoss, type MseOptions, type LossOptions, type CrossEntropyOptions, type Reduction } from './ops/loss.ts';
export { batchNorm, type BatchNormOptions } from './ops/norm.ts';
export { dropout, type DropoutOptions } from './ops/dropout.ts';
export { layerNorm, rmsNorm, type LayerNormOptions, type RmsNormOptions } from './ops/layernorm.ts';
export { scaledDotProductAttention, type AttentionOptions } from './ops/attention.ts';
export { gelu, silu, type GeluOptions, type GeluApproximate } from './ops/activations.ts';
export { embedding, indexSelect, gather, arange, type EmbeddingOptions, type ArangeOptions } from './ops/indexing.ts';
export { narrow, slice, split, chunk, cat, concat, stack } from './ops/slice.ts';
export { where, maskedFill, tril, triu } from './ops/where.ts';
export { OPS, type OpName } from './ops/registry.ts';
export { defineOp, apply, type OpDef } from './ops/op.ts';
export { runtime } from './context.ts';
export * from './errors.ts';
export { sizeOf, broadcastShapes, type Shape, type NestedArray } from './shape.ts';
export { snapshot, restore, deviceLost, type HostCopy } from './recovery.ts';
export type { LeakGroup } from './memory.ts';
export { gradcheck, verdictOf, PASS_TOLERANCE, type GradcheckOptions, type GradcheckReport, type InputReport, type Verdict } from './check/gradcheck.ts';
export { capture, onReplay, type CapturedStep } from './capture.ts';
// Training: layers and checkpoints (nn), optimizers (optim), datasets and loaders, fit/evaluate.
/** Layers and models (Module, Linear, Sequential, ...), weight inits and safetensors checkpoints, as torch.nn. */
export * as nn from './nn/index.ts';
/** Optimizers (SGD, Adam, AdamW), as torch.optim. */
export * as optim from './optim/index.ts';
export { Module, Linear, ReLU, Sigmoid, Tanh, Sequential, toSafetensors, loadSafetensors } from './nn/index.ts';
export { clipGradNorm, type ClipGradNormOptions } from './nn/utils.ts';
export { Optimizer, SGD, Adam, AdamW } from './optim/index.ts';
/** Models: nanoGPT's GPT (state-dict names as nanoGPT's, docs/TRAINING.md). */
export { GPT, type GPTConfig, type GenerateOptions } from './models/gpt.ts';
export * from './data/index.ts';
export * from './train/index.ts';
