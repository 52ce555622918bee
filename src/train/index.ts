// Training loops, evaluation, reporting (progress line, SVG charts) and seed 003's recipe;
// next-token training and evaluation on text windows, and the bigram baseline.
export {
  trainEpoch, evaluate, fit,
  type LossFn, type Progress, type TrainEpochOptions, type EpochResult, type EvalResult, type EpochLog, type FitOptions, type FitResult,
} from './fit.ts';
export { formatProgress, trainingChartSvg, lmChartSvg, type ChartData, type LmChartData } from './report.ts';
export { twoLayerNet, makeOptimizer, TRAIN_DEFAULTS, type TrainConfig } from './presets.ts';
export {
  trainSteps, evaluateLm, lmLoss,
  type LmProgress, type TrainStepsOptions, type TrainStepsResult, type EvaluateLmOptions, type EvalLmResult,
} from './lm.ts';
export { BigramModel, type BigramOptions } from './bigram.ts';
