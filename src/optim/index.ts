// Optimizers: one fused in-place WGSL update kernel per parameter (shaders/optim.wgsl).
export { Optimizer, type OptimizerOptions, type ParamSource, type NamedParam } from './optimizer.ts';
export { SGD, type SgdOptions } from './sgd.ts';
export { Adam, AdamW, type AdamOptions } from './adam.ts';
