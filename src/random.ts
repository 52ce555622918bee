// Seeded random tensors. Values are generated on the host with a fixed algorithm
// (SplitMix32 seeding a xoshiro128** stream, Box-Muller for normals), so a seed gives the
// same numbers on every machine, adapter and run.
import { ValueError } from './errors.ts';
import { checkShape, sizeOf, type Shape } from './shape.ts';
import { tensor, type Tensor, type TensorOptions } from './tensor.ts';

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

export interface RandomOptions extends TensorOptions {
  /** Required: the same seed gives the same values everywhere. */
  seed: number;
}

function seedOf(op: string, opts: RandomOptions | undefined): number {
  if (!opts || typeof opts.seed !== 'number') {
    throw new ValueError(op, 'an explicit { seed } is required so results are reproducible');
  }
  return opts.seed;
}

/** Normal(mean, std) values. */
export function randn(shape: Shape, opts: RandomOptions & { mean?: number; std?: number }): Tensor {
  const rng = new Rng(seedOf('randn', opts));
  const n = sizeOf(checkShape('randn', shape));
  const host = new Float32Array(n);
  const mean = opts.mean ?? 0;
  const std = opts.std ?? 1;
  for (let i = 0; i < n; i++) host[i] = mean + std * rng.normal();
  return tensor(host, { ...opts, dtype: 'f32', shape });
}

/** Uniform values in [low, high). */
export function rand(shape: Shape, opts: RandomOptions & { low?: number; high?: number }): Tensor {
  const rng = new Rng(seedOf('rand', opts));
  const n = sizeOf(checkShape('rand', shape));
  const low = opts.low ?? 0;
  const high = opts.high ?? 1;
  const host = new Float32Array(n);
  for (let i = 0; i < n; i++) host[i] = low + (high - low) * rng.next();
  return tensor(host, { ...opts, dtype: 'f32', shape });
}

/** Uniform integers in [low, high) as an i32 tensor (e.g. random class labels). */
export function randint(shape: Shape, low: number, high: number, opts: RandomOptions): Tensor {
  if (!(Number.isInteger(low) && Number.isInteger(high) && high > low)) {
    throw new ValueError('randint', `expected integers low < high, got ${low}, ${high}`);
  }
  const rng = new Rng(seedOf('randint', opts));
  const n = sizeOf(checkShape('randint', shape));
  const host = new Int32Array(n);
  for (let i = 0; i < n; i++) host[i] = low + rng.int(high - low);
  return tensor(host, { ...opts, dtype: 'i32', shape });
}
