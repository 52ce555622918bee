// pad (PyTorch F.pad, mode 'constant'): `pad` lists (before, after) pairs starting from the LAST
// dim, [left, right, top, bottom, ...]; negative amounts crop. Backward: dx = pad(dy, -pad)
// with value 0 (the kernel gathers, so it is the same kernel).
import { ShapeError, ValueError } from '../errors.ts';
import type { Tensor } from '../tensor.ts';
import { padKernel } from '../kernels/pad.ts';
import { option, parseOptions, type OptionsOf } from '../options.ts';
import { apply, defineOp } from './op.ts';

export interface PadAttrs {
  /** Leading pad per dim (all dims, first to last). */
  lo: number[];
  /** Trailing pad per dim. */
  hi: number[];
  value: number;
}

const PAD_OPTIONS = {
  value: option.number({ default: 0, infinite: true }),
};
/** Options of `pad(x, pads, opts)`. */
export type PadOptions = OptionsOf<typeof PAD_OPTIONS>;

export function padAttrs(shape: readonly number[], pad: readonly number[], value: number): PadAttrs {
  if (!Array.isArray(pad) || !pad.every((p) => Number.isInteger(p))) {
    throw new ValueError('pad', `pad must be an array of integers, got ${JSON.stringify(pad)}`);
  }
  if (pad.length % 2 !== 0 || pad.length > 2 * shape.length) {
    throw new ShapeError('pad', [shape], `pad must hold (before, after) pairs for at most ${shape.length} dims, got ${pad.length} values [${pad.join(', ')}]`);
  }
  const lo = shape.map(() => 0);
  const hi = shape.map(() => 0);
  for (let j = 0; j < pad.length / 2; j++) {
    const d = shape.length - 1 - j;
    lo[d] = pad[2 * j];
    hi[d] = pad[2 * j + 1];
    if (shape[d] + lo[d] + hi[d] < 0) {
      throw new ShapeError('pad', [shape], `padding (${lo[d]}, ${hi[d]}) of dim ${d} (size ${shape[d]}) leaves a negative size`);
    }
  }
  return { lo, hi, value };
}

const padded = (shape: readonly number[], a: PadAttrs) => shape.map((s, d) => s + a.lo[d] + a.hi[d]);

export const padOp = defineOp<PadAttrs, undefined>({
  name: 'pad',
  arity: 1,
  forward: ([x], a) => ({ out: padKernel(x, a.lo, padded(x.shape, a), a.value, 'pad.forward'), saved: undefined }),
  backward: (dy, _s, { attrs, inputs }) => [padKernel(dy, attrs.lo.map((v) => -v), inputs[0].shape, 0, 'pad.backward')],
});

/** Constant padding: pad = [left, right, top, bottom, ...] from the last dim backwards; negative crops. */
export function pad(x: Tensor, pad: readonly number[], opts?: PadOptions): Tensor {
  const { value } = parseOptions('pad', opts, PAD_OPTIONS);
  return apply(padOp, [x], padAttrs(x?.shape ?? [], pad, value));
}
