// Seeded random tensors. Values are generated on the host with a fixed algorithm
// (SplitMix32 seeding a xoshiro128** stream, Box-Muller for normals), so a seed gives the
// same numbers on every machine, adapter and run. A global generator (manualSeed, as
// torch.manual_seed) serves every random creation that is not given its own { seed }.
import { ArgumentTypeError, DTypeError, ValueError } from './errors.ts';
import { describeValue, option, type OptionsOf } from './options.ts';
import { checkShape, sizeOf, type Shape } from './shape.ts';
import { parseCreateOptions, tensor, type Tensor, type TensorOptions } from './tensor.ts';

/** A seeded pseudo-random generator (uniform and normal draws); the same seed gives the same numbers everywhere. */
export class Rng {
  private s = new Uint32Array(4);
  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new ValueError('Rng', `seed must be a finite number, got ${seed}`);
    let x = (Math.trunc(seed) ^ 0x9e3779b9) >>> 0;
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.s[i] = (z ^ (z >>> 16)) >>> 0;
    }
  }
  /** Uniform 32-bit unsigned integer. */
  nextU32(): number {
    const s = this.s;
    const r = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return r;
  }
  /** Uniform in [0, 1). */
  next(): number {
    return this.nextU32() / 4294967296;
  }
  /** Standard normal (Box-Muller). */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  /** Fisher-Yates shuffle in place. */
  shuffle<T>(a: T[] | Int32Array | Uint32Array): typeof a {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = a[i];
      a[i] = a[j];
      a[j] = tmp;
    }
    return a;
  }
}

const rotl = (x: number, k: number) => ((x << k) | (x >>> (32 - k))) >>> 0;

// ------------------------------------------------------------------ the global generator

/**
 * The seed the global generator starts from. Like torch's default generator it is fixed, so a
 * program that never calls manualSeed() still gives the same numbers on every run.
 */
export const DEFAULT_SEED = 0x5eed;

let generator = new Rng(DEFAULT_SEED);
let initial = DEFAULT_SEED;

/**
 * Seed the global generator (as `torch.manual_seed`): every random creation without an
 * explicit `{ seed }` (randn, rand, randint, nn.Linear's initial weights, ...) draws from it,
 * so after `manualSeed(n)` the same program gives the same values. An explicit `{ seed }`
 * always wins and does not advance the global generator.
 */
export function manualSeed(seed: number): void {
  if (!Number.isSafeInteger(seed)) throw new ArgumentTypeError('manualSeed', `seed must be an integer, got ${describeValue(seed)}`);
  generator = new Rng(seed);
  initial = seed;
}

/** The seed last given to manualSeed() (DEFAULT_SEED before any call), as `torch.initial_seed`. */
export function initialSeed(): number {
  return initial;
}

/** The global generator itself (for code that draws host-side random numbers). */
export function globalGenerator(): Rng {
  return generator;
}

/** A fresh seed (a non-negative integer below 2^53) drawn from the global generator. */
export function drawSeed(): number {
  return generator.nextU32() + (generator.nextU32() & 0x1fffff) * 2 ** 32;
}

/** `{ seed }` -> its own generator; no seed -> the global one. */
export function generatorFor(seed: number | undefined): Rng {
  return seed === undefined ? generator : new Rng(seed);
}

// ------------------------------------------------------------------ random tensors

/** The seed of one random creation: its own stream, leaving the global generator untouched. */
const SEED = { seed: option.integer() };
const RANDN_OPTIONS = { ...SEED, mean: option.number({ default: 0 }), std: option.number({ default: 1, min: 0 }) };
const RAND_OPTIONS = { ...SEED, low: option.number({ default: 0 }), high: option.number({ default: 1 }) };

/** `{ seed?, dtype?, requiresGrad?, label? }`: without a seed the global generator (manualSeed) is used. */
export type RandomOptions = TensorOptions & OptionsOf<typeof SEED>;
/** Options of `randn(shape, opts)`. */
export type RandnOptions = TensorOptions & OptionsOf<typeof RANDN_OPTIONS>;
/** Options of `rand(shape, opts)`. */
export type RandOptions = TensorOptions & OptionsOf<typeof RAND_OPTIONS>;

function floatOnly(op: string, dtype: string | undefined): void {
  if (dtype !== undefined && dtype !== 'f32') throw new DTypeError(op, `${op} makes f32 tensors, got dtype '${dtype}' (use randint for integers)`);
}

/** Normal(mean, std) values: `randn(shape, { seed?, mean?, std?, requiresGrad?, label? })`. */
export function randn(shape: Shape, opts?: RandnOptions): Tensor {
  const o = parseCreateOptions('randn', opts, RANDN_OPTIONS);
  floatOnly('randn', o.dtype);
  const rng = generatorFor(o.seed);
  const n = sizeOf(checkShape('randn', shape));
  const host = new Float32Array(n);
  for (let i = 0; i < n; i++) host[i] = o.mean + o.std * rng.normal();
  return tensor(host, { requiresGrad: o.requiresGrad, label: o.label, shape });
}

/** Uniform values in [low, high): `rand(shape, { seed?, low?, high?, requiresGrad?, label? })`. */
export function rand(shape: Shape, opts?: RandOptions): Tensor {
  const o = parseCreateOptions('rand', opts, RAND_OPTIONS);
  floatOnly('rand', o.dtype);
  if (!(o.high > o.low)) throw new ValueError('rand', `expected low < high, got low ${o.low}, high ${o.high}`);
  const rng = generatorFor(o.seed);
  const n = sizeOf(checkShape('rand', shape));
  const host = new Float32Array(n);
  for (let i = 0; i < n; i++) host[i] = o.low + (o.high - o.low) * rng.next();
  return tensor(host, { requiresGrad: o.requiresGrad, label: o.label, shape });
}

/** Uniform integers in [low, high), i32 by default (e.g. random class labels); `{ dtype: 'f32' }` too. */
export function randint(shape: Shape, low: number, high: number, opts?: RandomOptions): Tensor {
  if (!(Number.isInteger(low) && Number.isInteger(high) && high > low)) {
    throw new ValueError('randint', `expected integers low < high, got ${describeValue(low)}, ${describeValue(high)}`);
  }
  const o = parseCreateOptions('randint', opts, SEED);
  const rng = generatorFor(o.seed);
  const n = sizeOf(checkShape('randint', shape));
  const host = new Int32Array(n);
  for (let i = 0; i < n; i++) host[i] = low + rng.int(high - low);
  if (o.dtype === 'f32') return tensor(Float32Array.from(host), { requiresGrad: o.requiresGrad, label: o.label, shape });
  return tensor(host, { dtype: 'i32', label: o.label, shape });
}
