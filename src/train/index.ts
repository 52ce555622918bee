// Training loops, evaluation, reporting (progress line, SVG chart) and seed 003's recipe.
export {
  trainEpoch, evaluate, fit,
  type LossFn, type Progress, type TrainEpochOptions, type EpochResult, type EvalResult, type EpochLog, type FitOptions, type FitResult,
} from './fit.ts';
export { formatProgress, trainingChartSvg, type ChartData } from './report.ts';
export { twoLayerNet, makeOptimizer, TRAIN_DEFAULTS, type TrainConfig } from './presets.ts';
