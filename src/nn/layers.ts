// Layers: Linear (fused act(xW + b) through the `linear` op), activations, and Sequential,
// which fuses a Linear followed by ReLU/Sigmoid into ONE linear op call (one kernel).
import { ValueError } from '../errors.ts';
import { option, parseOptions } from '../options.ts';
import { drawSeed, randn } from '../random.ts';
import { zeros, type Tensor } from '../tensor.ts';
import { relu, sigmoid, tanh } from '../ops/elementwise.ts';
import { linear, type Activation } from '../ops/linear.ts';
import { reshape } from '../ops/shape.ts';
import { defaultInit_ } from './init.ts';
import { Module } from './module.ts';

/** A weight initialisation for Linear: 'default', 'he', 'xavier' or 'normal' (with `std`). */
export type Init = 'default' | 'he' | 'xavier' | 'normal';

/** Options of `new nn.Linear(in, out, opts)`. */
export interface LinearOptions {
  /** Seed of the initial weights (same values on every machine); default: drawn from the global generator (manualSeed). */
  seed?: number;
  /**
   * Weight initialisation. 'default': PyTorch's nn.Linear default, weight and bias from
   * U(-1/sqrt(in), 1/sqrt(in)) (kaiming_uniform_ with a = sqrt(5); src/nn/init.ts). The
   * others are zero-mean normals with biases 0: 'he' std sqrt(2 / in) (for ReLU), 'xavier'
   * std sqrt(1 / in) (for sigmoid/tanh), 'normal' std `std` (default 0.01, seed 003's
   * weight_init_std). Default: 'normal' when `std` is given, else 'default'.
   */
  init?: Init;
  std?: number;
  /** Activation fused into the same kernel (default none). */
  activation?: Activation;
}

const LINEAR_OPTIONS = {
  seed: option.integer(),
  init: option.oneOf(['default', 'he', 'xavier', 'normal']),
  std: option.number({ min: 0 }),
  activation: option.oneOf(['none', 'relu', 'sigmoid'], { default: 'none' }),
} satisfies Record<keyof LinearOptions, unknown>;

/**
 * y = act(x W + b). W is stored [in, out] (seed 003's Affine layout, read directly by the
 * fused matmul kernel); torch.nn.Linear stores weight as [out, in], so W here is the transpose
 * of torch's weight. Safetensors export/import in torch layout transposes it (see safetensors.ts).
 * Inputs of rank > 2 are flattened to [batch, features] like seed 003's Affine.
 */
export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor;
  readonly activation: Activation;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    opts?: LinearOptions,
  ) {
    super();
    const o = parseOptions('Linear', opts, LINEAR_OPTIONS);
    if (!Number.isInteger(inFeatures) || inFeatures < 1 || !Number.isInteger(outFeatures) || outFeatures < 1) {
      throw new ValueError('Linear', `in and out features must be positive integers, got ${inFeatures}, ${outFeatures}`);
    }
    const seed = o.seed ?? drawSeed();
    this.activation = o.activation;
    const init = o.init ?? (o.std !== undefined ? 'normal' : 'default');
    if (init === 'default') {
      this.weight = this.registerParameter('weight', zeros([inFeatures, outFeatures]), { torchTransposed: true });
      this.bias = this.registerParameter('bias', zeros([outFeatures]));
      defaultInit_(this.weight, this.bias, seed);
    } else {
      const std = initStd(init, inFeatures, o.std);
      this.weight = this.registerParameter('weight', randn([inFeatures, outFeatures], { seed, std }), { torchTransposed: true });
      this.bias = this.registerParameter('bias', zeros([outFeatures]));
    }
  }

  forward(x: Tensor): Tensor {
    return this.forwardWith(x, this.activation);
  }

  /** act(x W + b) with the given activation (Sequential fuses a following ReLU/Sigmoid here). */
  forwardWith(x: Tensor, activation: Activation): Tensor {
    if (x.rank === 2) return linear(x, this.weight, this.bias, activation);
    const flat = reshape(x, [x.shape[0] ?? 1, -1]);
    const y = linear(flat, this.weight, this.bias, activation);
    flat.dispose();
    return y;
  }

  protected override extraRepr(): string {
    return `(in=${this.inFeatures}, out=${this.outFeatures}${this.activation === 'none' ? '' : `, activation=${this.activation}`})`;
  }
}

/** The standard deviation a Linear layer's weight init uses ('he', 'xavier' or 'normal' with `std`) for a fan-in. */
export function initStd(init: Init, fanIn: number, std?: number): number {
  switch (init) {
    case 'he':
      return Math.sqrt(2 / fanIn);
    case 'xavier':
      return Math.sqrt(1 / fanIn);
    case 'normal':
      if (std !== undefined && !(std >= 0 && Number.isFinite(std))) throw new ValueError('Linear', `std must be a finite number >= 0, got ${std}`);
      return std ?? 0.01;
    default:
      throw new ValueError('Linear', `init must be 'default', 'he', 'xavier' or 'normal', got '${String(init)}'`);
  }
}

/** max(x, 0) as a layer (fused into a preceding Linear by Sequential). */
export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return relu(x);
  }
}

/** 1 / (1 + exp(-x)) as a layer (fused into a preceding Linear by Sequential). */
export class Sigmoid extends Module {
  forward(x: Tensor): Tensor {
    return sigmoid(x);
  }
}

/** tanh(x) as a layer. */
export class Tanh extends Module {
  forward(x: Tensor): Tensor {
    return tanh(x);
  }
}

/** Layers applied in order; children are named "0", "1", ... like torch.nn.Sequential. */
export class Sequential extends Module {
  readonly layers: readonly Module[];

  constructor(...layers: Module[]) {
    super();
    layers.forEach((m, i) => this.registerModule(String(i), m));
    this.layers = layers;
  }

  forward(x: Tensor): Tensor {
    let h = x;
    for (let i = 0; i < this.layers.length; i++) {
      const m = this.layers[i];
      const next = this.layers[i + 1];
      let y: Tensor;
      if (m instanceof Linear && m.activation === 'none' && (next instanceof ReLU || next instanceof Sigmoid)) {
        y = m.forwardWith(h, next instanceof ReLU ? 'relu' : 'sigmoid');
        i++;
      } else {
        y = m.forward(h);
      }
      // Intermediates stay alive for backward through the handles their ops saved.
      if (h !== x && h !== y) h.dispose();
      h = y;
    }
    return h;
  }
}
