// The demo's look inside a CNN: the first convolution's filters, and the feature maps of one
// input (the model's layers up to the first ReLU after that convolution: Unflatten - Conv2d -
// ReLU for SimpleConvNet, with BatchNorm2d before the ReLU for the cnn-bn variant).
import { noGrad, tensor, tidy } from '../src/index.ts';
import { Conv2d, ReLU, type Module, type Sequential } from '../src/nn/index.ts';

export interface FirstLayer {
  conv: Conv2d;
  /** The layers from the input up to and including the first ReLU after `conv`. */
  prefix: readonly Module[];
}

/** The first Conv2d of `model` and the layers through its ReLU, or null for a model without one (the MLPs). */
export function firstLayer(model: Sequential): FirstLayer | null {
  const i = model.layers.findIndex((m) => m instanceof Conv2d);
  if (i < 0) return null;
  const r = model.layers.findIndex((m, k) => k > i && m instanceof ReLU);
  return { conv: model.layers[i] as Conv2d, prefix: model.layers.slice(0, r < 0 ? i + 1 : r + 1) };
}

export interface HostTensor {
  values: Float32Array;
  shape: number[];
}

/** The filters as they are now ([outChannels, inChannels, kH, kW]), read back from the GPU. */
export async function readFilters(l: FirstLayer): Promise<HostTensor> {
  return { values: (await l.conv.weight.data()) as Float32Array, shape: [...l.conv.weight.shape] };
}

/**
 * The feature maps of one flattened image `px` ([1, outChannels, H', W']), in eval mode (BatchNorm
 * uses its running statistics). Recorded synchronously, so when training is in progress it runs
 * between two steps and the model is back in its mode before the next one.
 */
export async function featureMaps(model: Sequential, l: FirstLayer, px: Float32Array): Promise<HostTensor> {
  const wasTraining = model.training;
  model.eval();
  let out;
  try {
    out = noGrad(() => tidy(() => l.prefix.reduce((h, m) => m.forward(h), tensor(px, { shape: [1, px.length] }))));
  } finally {
    model.train(wasTraining);
  }
  try {
    return { values: (await out.data()) as Float32Array, shape: [...out.shape] };
  } finally {
    out.dispose();
  }
}
