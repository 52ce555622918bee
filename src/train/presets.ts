// Seed 003's TwoLayerNet and its training recipe, shared by `npm start` (scripts/train.ts),
// the --browser run and the demo page so all three train the same network the same way.
import { ValueError } from '../errors.ts';
import { Linear, ReLU, Sequential } from '../nn/layers.ts';
import { Adam } from '../optim/adam.ts';
import type { Optimizer } from '../optim/optimizer.ts';
import { SGD } from '../optim/sgd.ts';

/** The settings of `npm start`'s training run (network size, optimizer, epochs, batch, seed, data). */
export interface TrainConfig {
  hidden: number;
  optimizer: 'sgd' | 'adam';
  lr: number;
  epochs: number;
  batch: number;
  /** Seeds the weights (seed, seed + 1) and the mini-batch shuffling. */
  seed: number;
}

/** Seed 003: hidden 50, weight_init_std 0.01, SGD lr 0.1, batch 100, 20 epochs (Adam: lr 1e-3). */
export const TRAIN_DEFAULTS = { hidden: 50, optimizer: 'sgd', lr: 0.1, adamLr: 1e-3, epochs: 20, batch: 100, seed: 1 } as const;

/**
 * Affine-ReLU-Affine (softmax-with-loss is the loss function, softmaxCrossEntropy), weights
 * N(0, 0.01^2), biases 0. Parameter names 0.weight, 0.bias, 2.weight, 2.bias match
 * torch.nn.Sequential(nn.Linear(784, h), nn.ReLU(), nn.Linear(h, 10)).
 */
export function twoLayerNet(cfg: Pick<TrainConfig, 'hidden' | 'seed'>, inputs = 784, classes = 10): Sequential {
  return new Sequential(
    new Linear(inputs, cfg.hidden, { seed: cfg.seed, std: 0.01 }),
    new ReLU(),
    new Linear(cfg.hidden, classes, { seed: cfg.seed + 1, std: 0.01 }),
  );
}

/** The optimizer `npm start` uses for a TrainConfig (SGD or Adam with its learning rate). */
export function makeOptimizer(model: Sequential, cfg: Pick<TrainConfig, 'optimizer' | 'lr'>): Optimizer {
  if (cfg.optimizer !== 'adam' && cfg.optimizer !== 'sgd') throw new ValueError('makeOptimizer', `optimizer must be 'sgd' or 'adam', got '${String(cfg.optimizer)}'`);
  return cfg.optimizer === 'adam' ? new Adam(model, { lr: cfg.lr }) : new SGD(model, { lr: cfg.lr });
}
