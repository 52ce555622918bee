// Neural-network building blocks on top of the ops: modules, layers and checkpoints.
export { Module, type ParamSpec, type StateValue } from './module.ts';
export { Linear, ReLU, Sigmoid, Tanh, Sequential, initStd, type Init, type LinearOptions } from './layers.ts';
export {
  toSafetensors, loadSafetensors, encodeSafetensors, decodeSafetensors, transpose2d,
  type Layout, type SaveOptions, type SafetensorsEntry, type SafetensorsFile,
} from './safetensors.ts';
