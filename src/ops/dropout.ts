// Inverted dropout (PyTorch's F.dropout): in training mode each element is zeroed with
// probability p and the survivors are scaled by 1 / (1 - p); in eval mode it is the identity.
// The mask comes from a counter-based generator on the GPU (Threefry-2x32 of the seed and the
// element index, shaders/dropout.wgsl), so nothing is saved for backward: the backward runs the
// same kernel with the same key on the upstream gradient.
import { ValueError } from '../errors.ts';
import { dropoutKernel, type DropoutKey } from '../kernels/dropout.ts';
import { option, parseOptions, type OptionsOf } from '../options.ts';
import { drawSeed } from '../random.ts';
import { Tensor } from '../tensor.ts';
import { apply, defineOp } from './op.ts';

export interface DropoutAttrs {
  p: number;
  /**
   * The key of this call's mask. Inside a capture() a call seeded from the global generator
   * draws a new key at every replay (forward first, its backward reads the same object).
   */
  key: DropoutKey;
  /**
   * Where a captured replay gets its next seed: the global generator for unseeded calls, a
   * seeded Dropout layer's own stream, or null (an explicit seed: the same mask every replay).
   */
  draw: (() => number) | null;
}

export const dropoutOp = defineOp<DropoutAttrs, undefined>({
  name: 'dropout',
  arity: 1,
  forward: ([x], a) => {
    const out = dropoutKernel(x, a.p, a.key, 'dropout.forward', () => {
      if (a.draw) a.key = keyOf(a.draw());
      return a.key;
    });
    return { out, saved: undefined };
  },
  backward: (g, _saved, { attrs }) => [dropoutKernel(g, attrs.p, attrs.key, 'dropout.backward', () => attrs.key)],
});

/** A 64-bit key from a seed: its low and high 32-bit words (seeds up to 2^53 differ). */
export function keyOf(seed: number): DropoutKey {
  return { k0: seed >>> 0, k1: Math.floor(seed / 2 ** 32) >>> 0 };
}

const DROPOUT_OPTIONS = {
  /** Apply the mask (default true, like F.dropout); false returns the input unchanged. */
  training: option.boolean({ default: true }),
  /** The mask's seed (a non-negative integer); default: drawn from the global generator (manualSeed). */
  seed: option.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
};
/** Options of `dropout(x, opts)`. */
export type DropoutOptions = OptionsOf<typeof DROPOUT_OPTIONS>;

/**
 * Zero each element with probability p (Threefry mask of the seed and the element index) and
 * scale the rest by 1 / (1 - p). p = 0 gives a copy, p = 1 all zeros (as PyTorch). In eval
 * mode (`training: false`) the input itself is returned.
 */
export function dropout(x: Tensor, p = 0.5, opts?: DropoutOptions): Tensor {
  checkDropout('dropout', x, p);
  const { training, seed } = parseOptions('dropout', opts, DROPOUT_OPTIONS);
  if (!training) return x;
  return apply(dropoutOp, [x], { p, key: keyOf(seed ?? drawSeed()), draw: seed === undefined ? drawSeed : null });
}

/** Dropout with seeds from `next()` (nn.Dropout's own stream), also at every captured replay. */
export function dropoutFrom(x: Tensor, p: number, next: () => number): Tensor {
  checkDropout('Dropout', x, p);
  return apply(dropoutOp, [x], { p, key: keyOf(next()), draw: next });
}

function checkDropout(op: string, x: Tensor, p: number): void {
  if (!(x instanceof Tensor)) throw new ValueError(op, `input must be a Tensor, got ${typeof x}`);
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) {
    throw new ValueError(op, `dropout probability has to be between 0 and 1, but got ${String(p)}`);
  }
}
