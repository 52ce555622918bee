// nn.init: PyTorch's initialisers (torch.nn.init), with its fan and gain rules, writing a
// tensor's values in place. Values are drawn on the host from the tensor's own `{ seed }` or,
// without one, from the global generator (manualSeed), so a seed gives the same weights on
// every machine. Fans follow torch's layout: for a weight of shape [out, in, ...kernel]
// fan_in = in * prod(kernel) and fan_out = out * prod(kernel). A Linear weight, stored here as
// [in, out] (the transpose of torch's), is recognised and its fans are swapped accordingly.
import { ValueError, fmtShape } from '../errors.ts';
import { option, parseOptions, type OptionsOf } from '../options.ts';
import { generatorFor, type Rng } from '../random.ts';
import { Tensor } from '../tensor.ts';
import { isTorchTransposed } from './module.ts';

/** The nonlinearities `calculateGain()` knows (torch.nn.init.calculate_gain). */
export type Nonlinearity = 'linear' | 'conv1d' | 'conv2d' | 'conv3d' | 'sigmoid' | 'tanh' | 'relu' | 'leaky_relu' | 'selu';
/** Which fan the Kaiming inits scale by (torch's `mode`). */
export type FanMode = 'fan_in' | 'fan_out';

/** torch.nn.init.calculate_gain: the recommended std scale for a nonlinearity. */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear': case 'conv1d': case 'conv2d': case 'conv3d': case 'sigmoid':
      return 1;
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leaky_relu': {
      const slope = param ?? 0.01;
      if (typeof slope !== 'number' || !Number.isFinite(slope)) throw new ValueError('calculateGain', `negative slope ${String(slope)} is not a valid number`);
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case 'selu':
      return 3 / 4;
    default:
      throw new ValueError('calculateGain', `unsupported nonlinearity '${String(nonlinearity)}' (linear, conv1d/2d/3d, sigmoid, tanh, relu, leaky_relu, selu)`);
  }
}

/** torch's _calculate_fan_in_and_fan_out for a torch-layout shape [out, in, ...receptive]. */
export function fans(op: string, torchShape: readonly number[]): { fanIn: number; fanOut: number } {
  if (torchShape.length < 2) {
    throw new ValueError(op, `fan in and fan out can not be computed for a tensor with fewer than 2 dimensions, got ${fmtShape(torchShape)}`);
  }
  const receptive = torchShape.slice(2).reduce((a, d) => a * d, 1);
  return { fanIn: torchShape[1] * receptive, fanOut: torchShape[0] * receptive };
}

/** The tensor's shape in torch's layout (a Linear weight [in, out] reads as [out, in]). */
function torchShapeOf(t: Tensor): number[] {
  return isTorchTransposed(t) && t.rank === 2 ? [t.shape[1], t.shape[0]] : [...t.shape];
}

// Host values are generated in torch's element order and transposed for [in, out] weights, so
// the same draw fills a webgrad Linear and the equivalent torch.nn.Linear identically.
function fill(op: string, t: Tensor, draw: (rng: Rng) => number, seed: number | undefined): Tensor {
  if (!(t instanceof Tensor)) throw new ValueError(op, `expected a Tensor, got ${typeof t}`);
  if (t.dtype !== 'f32') throw new ValueError(op, `expected an f32 tensor, got ${t.dtype}`);
  const rng = generatorFor(seed);
  const host = new Float32Array(t.size);
  for (let i = 0; i < host.length; i++) host[i] = draw(rng);
  if (isTorchTransposed(t) && t.rank === 2) {
    const [r, c] = t.shape; // webgrad [in, out] = [r, c]; host holds torch's [c, r]
    const out = new Float32Array(host.length);
    for (let o = 0; o < c; o++) for (let i = 0; i < r; i++) out[i * c + o] = host[o * r + i];
    t.write(out);
  } else {
    t.write(host);
  }
  return t;
}

const SEED = { seed: option.integer() };
const UNIFORM = { ...SEED, a: option.number({ default: 0 }), b: option.number({ default: 1 }) };
const NORMAL = { ...SEED, mean: option.number({ default: 0 }), std: option.number({ default: 1, min: 0 }) };
const XAVIER = { ...SEED, gain: option.number({ default: 1 }) };
const NONLINEARITIES = ['linear', 'conv1d', 'conv2d', 'conv3d', 'sigmoid', 'tanh', 'relu', 'leaky_relu', 'selu'] as const;
const KAIMING = {
  ...SEED,
  a: option.number({ default: 0 }),
  mode: option.oneOf(['fan_in', 'fan_out'] as const, { default: 'fan_in' }),
  nonlinearity: option.oneOf(NONLINEARITIES, { default: 'leaky_relu' }),
};

/** Options of `uniform_(t, opts)`. */
export type UniformOptions = OptionsOf<typeof UNIFORM>;
/** Options of `normal_(t, opts)`. */
export type NormalOptions = OptionsOf<typeof NORMAL>;
/** Options of the Xavier inits. */
export type XavierOptions = OptionsOf<typeof XAVIER>;
/** Options of the Kaiming inits. */
export type KaimingOptions = OptionsOf<typeof KAIMING>;

/** U(a, b) in place (torch.nn.init.uniform_). */
export function uniform_(t: Tensor, opts?: UniformOptions): Tensor {
  const { a, b, seed } = parseOptions('uniform_', opts, UNIFORM);
  if (!(a <= b)) throw new ValueError('uniform_', `expected a <= b, got a = ${a}, b = ${b}`);
  return fill('uniform_', t, (r) => a + (b - a) * r.next(), seed);
}

/** N(mean, std^2) in place (torch.nn.init.normal_). */
export function normal_(t: Tensor, opts?: NormalOptions): Tensor {
  const { mean, std, seed } = parseOptions('normal_', opts, NORMAL);
  return fill('normal_', t, (r) => mean + std * r.normal(), seed);
}

/** Every element = value (torch.nn.init.constant_). */
export function constant_(t: Tensor, value: number): Tensor {
  if (typeof value !== 'number') throw new ValueError('constant_', `value must be a number, got ${typeof value}`);
  if (!(t instanceof Tensor)) throw new ValueError('constant_', `expected a Tensor, got ${typeof t}`);
  return t.write(new Array<number>(t.size).fill(value));
}

/** Fill `t` with 0 in place (torch.nn.init.zeros_). */
export const zeros_ = (t: Tensor): Tensor => constant_(t, 0);
/** Fill `t` with 1 in place (torch.nn.init.ones_). */
export const ones_ = (t: Tensor): Tensor => constant_(t, 1);

/** U(-g sqrt(6 / (fan_in + fan_out)), +...) (Glorot & Bengio 2010; torch.nn.init.xavier_uniform_). */
export function xavierUniform_(t: Tensor, opts?: XavierOptions): Tensor {
  const { gain, seed } = parseOptions('xavierUniform_', opts, XAVIER);
  const { fanIn, fanOut } = fans('xavierUniform_', torchShapeOf(t));
  const bound = gain * Math.sqrt(6 / (fanIn + fanOut));
  return fill('xavierUniform_', t, (r) => -bound + 2 * bound * r.next(), seed);
}

/** N(0, g^2 2 / (fan_in + fan_out)) (torch.nn.init.xavier_normal_). */
export function xavierNormal_(t: Tensor, opts?: XavierOptions): Tensor {
  const { gain, seed } = parseOptions('xavierNormal_', opts, XAVIER);
  const { fanIn, fanOut } = fans('xavierNormal_', torchShapeOf(t));
  const std = gain * Math.sqrt(2 / (fanIn + fanOut));
  return fill('xavierNormal_', t, (r) => std * r.normal(), seed);
}

function kaimingStd(op: string, t: Tensor, o: { a: number; mode: FanMode; nonlinearity: Nonlinearity }): number {
  const f = fans(op, torchShapeOf(t));
  const fan = o.mode === 'fan_in' ? f.fanIn : f.fanOut;
  return calculateGain(o.nonlinearity, o.a) / Math.sqrt(fan);
}

/** U(-sqrt(3) std, sqrt(3) std), std = gain / sqrt(fan) (He et al. 2015; torch.nn.init.kaiming_uniform_). */
export function kaimingUniform_(t: Tensor, opts?: KaimingOptions): Tensor {
  const o = parseOptions('kaimingUniform_', opts, KAIMING);
  const bound = Math.sqrt(3) * kaimingStd('kaimingUniform_', t, o);
  return fill('kaimingUniform_', t, (r) => -bound + 2 * bound * r.next(), o.seed);
}

/** N(0, std^2), std = gain / sqrt(fan) (torch.nn.init.kaiming_normal_). */
export function kaimingNormal_(t: Tensor, opts?: KaimingOptions): Tensor {
  const o = parseOptions('kaimingNormal_', opts, KAIMING);
  const std = kaimingStd('kaimingNormal_', t, o);
  return fill('kaimingNormal_', t, (r) => std * r.normal(), o.seed);
}

/**
 * PyTorch's default for Linear and Conv2d (their reset_parameters): the weight from
 * kaiming_uniform_(a = sqrt(5)), i.e. U(+-1/sqrt(fan_in)), and the bias from
 * U(+-1/sqrt(fan_in)). With a seed, the weight draws from `seed` and the bias from `seed + 1`;
 * without one both draw from the global generator, weight first.
 */
export function defaultInit_(weight: Tensor, bias: Tensor | null, seed?: number): void {
  const { fanIn } = fans('defaultInit_', torchShapeOf(weight));
  const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
  kaimingUniform_(weight, { a: Math.sqrt(5), seed });
  if (bias) uniform_(bias, { a: -bound, b: bound, seed: seed === undefined ? undefined : seed + 1 });
}
