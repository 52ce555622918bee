// Neural-network building blocks on top of the ops: modules, layers and checkpoints.
export { Module, isTorchTransposed, type ParamSpec, type StateValue } from './module.ts';
export { Linear, ReLU, Sigmoid, Tanh, Sequential, initStd, type Init, type LinearOptions } from './layers.ts';
export {
  toSafetensors, loadSafetensors, encodeSafetensors, decodeSafetensors, transpose2d,
  type Layout, type SaveOptions, type SafetensorsEntry, type SafetensorsFile,
} from './safetensors.ts';
export { Conv2d, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, Flatten, Unflatten, type Conv2dLayerOptions } from './conv.ts';
export { BatchNorm1d, BatchNorm2d, Dropout, type BatchNormLayerOptions } from './norm.ts';
export { Embedding, LayerNorm, RMSNorm, GELU, SiLU, type EmbeddingLayerOptions, type LayerNormLayerOptions, type RMSNormLayerOptions, type GELULayerOptions } from './embedding.ts';
export {
  MultiheadAttention, type MultiheadAttentionOptions, type MultiheadAttentionForwardOptions, type MultiheadAttentionWeightsOptions,
} from './transformer.ts';
/** Weight initialisers that fill a tensor in place, as torch.nn.init. */
export * as init from './init.ts';
/** Gradient utilities, as torch.nn.utils (clipGradNorm). */
export * as utils from './utils.ts';
