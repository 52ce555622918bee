// Float64 reference of pooling (src/ops/pool.ts) and constant padding (src/ops/pad.ts), from
// PyTorch's definitions: each output's window is enumerated directly and backward scatters
// into float64 arrays (the GPU kernels gather instead; the oracle need not).
import { coordsOf, indexOf, refArray, zerosRef, type RefArray } from '../array.ts';
import type { PadAttrs } from '../../ops/pad.ts';
import type { AdaptiveAttrs, PoolAttrs } from '../../ops/pool.ts';
import type { RefFamily } from './types.ts';

interface Window {
  /** Output flat index. */
  o: number;
  /** Input flat indices of the window's in-bounds taps, in row-major window order. */
  taps: number[];
  /** avg pooling's divisor. */
  div: number;
}

function outSize(size: number, k: number, s: number, p: number, d: number, ceil: boolean): number {
  let out = Math.floor((size + 2 * p - d * (k - 1) - 1 + (ceil ? s - 1 : 0)) / s) + 1;
  if (ceil && (out - 1) * s >= size + p) out--;
  return out;
}

function windows(shape: readonly number[], a: PoolAttrs): { outShape: number[]; wins: Window[] } {
  const [H, W] = shape.slice(-2);
  const planes = shape.slice(0, -2).reduce((x, y) => x * y, 1);
  const OH = outSize(H, a.kernel[0], a.stride[0], a.padding[0], a.dilation[0], a.ceilMode);
  const OW = outSize(W, a.kernel[1], a.stride[1], a.padding[1], a.dilation[1], a.ceilMode);
  const wins: Window[] = [];
  for (let p = 0; p < planes; p++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        const taps: number[] = [];
        const hs = oh * a.stride[0] - a.padding[0];
        const ws = ow * a.stride[1] - a.padding[1];
        for (let ky = 0; ky < a.kernel[0]; ky++) {
          for (let kx = 0; kx < a.kernel[1]; kx++) {
            const h = hs + ky * a.dilation[0];
            const w = ws + kx * a.dilation[1];
            if (h >= 0 && h < H && w >= 0 && w < W) taps.push((p * H + h) * W + w);
          }
        }
        // avg_pool2d's divisor: the window clipped to the padded input, or to the input.
        const he = Math.min(hs + a.kernel[0], H + a.padding[0]);
        const we = Math.min(ws + a.kernel[1], W + a.padding[1]);
        const div = a.countIncludePad ? (he - hs) * (we - ws) : taps.length;
        wins.push({ o: (p * OH + oh) * OW + ow, taps, div });
      }
    }
  }
  return { outShape: [...shape.slice(0, -2), OH, OW], wins };
}

/** The tap PyTorch's max pooling picks: the first maximum, or the last NaN. */
function argmaxTap(x: RefArray, taps: number[]): number {
  let best = -1;
  for (const t of taps) if (best < 0 || x.data[t] > x.data[best] || Number.isNaN(x.data[t])) best = t;
  return best;
}

function adaptiveWindows(shape: readonly number[], { outputSize: [OH, OW] }: AdaptiveAttrs): { outShape: number[]; wins: Window[] } {
  const [H, W] = shape.slice(-2);
  const planes = shape.slice(0, -2).reduce((x, y) => x * y, 1);
  const wins: Window[] = [];
  for (let p = 0; p < planes; p++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        const taps: number[] = [];
        for (let h = Math.floor((oh * H) / OH); h < Math.ceil(((oh + 1) * H) / OH); h++) {
          for (let w = Math.floor((ow * W) / OW); w < Math.ceil(((ow + 1) * W) / OW); w++) taps.push((p * H + h) * W + w);
        }
        wins.push({ o: (p * OH + oh) * OW + ow, taps, div: taps.length });
      }
    }
  }
  return { outShape: [...shape.slice(0, -2), OH, OW], wins };
}

function avgForward(x: RefArray, outShape: number[], wins: Window[]): RefArray {
  const y = zerosRef(outShape);
  for (const { o, taps, div } of wins) y.data[o] = taps.length ? taps.reduce((s, t) => s + x.data[t], 0) / div : 0;
  return y;
}

function avgBackward(x: RefArray, wins: Window[], dY: RefArray): RefArray {
  const dx = zerosRef(x.shape);
  for (const { o, taps, div } of wins) for (const t of taps) dx.data[t] += dY.data[o] / div;
  return dx;
}

function padRef(x: RefArray, a: PadAttrs): RefArray {
  const shape = x.shape.map((s, d) => s + a.lo[d] + a.hi[d]);
  return refArray(shape, (i) => {
    const src = coordsOf(i, shape).map((c, d) => c - a.lo[d]);
    return src.every((c, d) => c >= 0 && c < x.shape[d]) ? x.data[indexOf(src, x.shape)] : a.value;
  });
}

export const POOL_REF: RefFamily<'maxPool2d' | 'avgPool2d' | 'adaptiveAvgPool2d' | 'pad'> = {
  maxPool2d: {
    forward: ([x], a) => {
      const { outShape, wins } = windows(x.shape, a);
      const y = zerosRef(outShape);
      for (const { o, taps } of wins) y.data[o] = taps.length ? x.data[argmaxTap(x, taps)] : -Infinity;
      return y;
    },
    backward: ([x], a, dY) => {
      const dx = zerosRef(x.shape);
      for (const { o, taps } of windows(x.shape, a).wins) if (taps.length) dx.data[argmaxTap(x, taps)] += dY.data[o];
      return [dx];
    },
  },
  avgPool2d: {
    forward: ([x], a) => {
      const { outShape, wins } = windows(x.shape, { ...a, dilation: [1, 1] });
      return avgForward(x, outShape, wins);
    },
    backward: ([x], a, dY) => [avgBackward(x, windows(x.shape, { ...a, dilation: [1, 1] }).wins, dY)],
  },
  adaptiveAvgPool2d: {
    forward: ([x], a) => {
      const { outShape, wins } = adaptiveWindows(x.shape, a);
      return avgForward(x, outShape, wins);
    },
    backward: ([x], a, dY) => [avgBackward(x, adaptiveWindows(x.shape, a).wins, dY)],
  },
  pad: {
    forward: ([x], a) => padRef(x, a),
    backward: ([x], a, dY) => [padRef(dY, { lo: a.lo.map((v) => -v), hi: a.hi.map((v) => -v), value: 0 })],
  },
};
