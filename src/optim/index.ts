// Optimizers: one fused in-place WGSL update kernel per parameter (shaders/optim.wgsl).
export { Optimizer, weightDecayGroups, type OptimizerOptions, type ParamSource, type NamedParam, type ParamGroup, type ParamGroupInput } from './optimizer.ts';
export { SGD, type SgdOptions, type SgdGroupOptions } from './sgd.ts';
export { Adam, AdamW, type AdamOptions, type AdamGroupOptions } from './adam.ts';
