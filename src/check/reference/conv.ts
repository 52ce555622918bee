// Float64 reference of conv2d (src/ops/conv.ts), written as the direct sum of PyTorch's
// definition (no im2col): the kernels' column layout is not what the oracle should share.
import { zerosRef, type RefArray } from '../array.ts';
import type { Conv2dAttrs } from '../../ops/conv.ts';
import type { RefFamily, RefOp } from './types.ts';

interface Geo {
  N: number; C: number; H: number; W: number; O: number; Cg: number; Og: number; kH: number; kW: number; OH: number; OW: number;
}

function geometry(x: RefArray, w: RefArray, a: Conv2dAttrs): Geo {
  const [N, C, H, W] = x.shape;
  const [O, Cg, kH, kW] = w.shape;
  if (x.shape.length !== 4 || w.shape.length !== 4 || Cg * a.groups !== C || O % a.groups !== 0) {
    throw new Error(`reference conv2d: unsupported shapes [${x.shape.join(', ')}] and [${w.shape.join(', ')}], groups ${a.groups}`);
  }
  const [pt, pb, pl, pr] = a.padding;
  const OH = Math.floor((H + pt + pb - a.dilation[0] * (kH - 1) - 1) / a.stride[0]) + 1;
  const OW = Math.floor((W + pl + pr - a.dilation[1] * (kW - 1) - 1) / a.stride[1]) + 1;
  return { N, C, H, W, O, Cg, Og: O / a.groups, kH, kW, OH, OW };
}

/**
 * Visit every (output, weight, input) triple of the sum with the three flat indices; taps in
 * the padding are skipped (they multiply zeros).
 */
function eachTap(g: Geo, a: Conv2dAttrs, f: (yi: number, wi: number, xi: number) => void): void {
  for (let n = 0; n < g.N; n++) {
    for (let o = 0; o < g.O; o++) {
      const grp = Math.floor(o / g.Og);
      for (let oh = 0; oh < g.OH; oh++) {
        for (let ow = 0; ow < g.OW; ow++) {
          const yi = ((n * g.O + o) * g.OH + oh) * g.OW + ow;
          for (let cg = 0; cg < g.Cg; cg++) {
            const c = grp * g.Cg + cg;
            for (let ky = 0; ky < g.kH; ky++) {
              const ih = oh * a.stride[0] - a.padding[0] + ky * a.dilation[0];
              if (ih < 0 || ih >= g.H) continue;
              for (let kx = 0; kx < g.kW; kx++) {
                const iw = ow * a.stride[1] - a.padding[2] + kx * a.dilation[1];
                if (iw < 0 || iw >= g.W) continue;
                f(yi, ((o * g.Cg + cg) * g.kH + ky) * g.kW + kx, ((n * g.C + c) * g.H + ih) * g.W + iw);
              }
            }
          }
        }
      }
    }
  }
}

export function conv2dRef(x: RefArray, w: RefArray, b: RefArray | null, a: Conv2dAttrs): RefArray {
  const g = geometry(x, w, a);
  const y = zerosRef([g.N, g.O, g.OH, g.OW]);
  eachTap(g, a, (yi, wi, xi) => (y.data[yi] += w.data[wi] * x.data[xi]));
  if (b) for (let i = 0; i < y.data.length; i++) y.data[i] += b.data[Math.floor(i / (g.OH * g.OW)) % g.O];
  return y;
}

/** [dx, dw, db] of sum(y * dY). */
export function conv2dGradRef(x: RefArray, w: RefArray, a: Conv2dAttrs, dY: RefArray): [RefArray, RefArray, RefArray] {
  const g = geometry(x, w, a);
  const dx = zerosRef(x.shape);
  const dw = zerosRef(w.shape);
  const db = zerosRef([g.O]);
  eachTap(g, a, (yi, wi, xi) => {
    dx.data[xi] += dY.data[yi] * w.data[wi];
    dw.data[wi] += dY.data[yi] * x.data[xi];
  });
  for (let i = 0; i < dY.data.length; i++) db.data[Math.floor(i / (g.OH * g.OW)) % g.O] += dY.data[i];
  return [dx, dw, db];
}

const conv2d: RefOp<Conv2dAttrs> = {
  forward: ([x, w, b], a) => conv2dRef(x, w, b, a),
  backward: ([x, w], a, dY) => conv2dGradRef(x, w, a, dY),
};

const conv2dNoBias: RefOp<Conv2dAttrs> = {
  forward: ([x, w], a) => conv2dRef(x, w, null, a),
  backward: ([x, w], a, dY) => conv2dGradRef(x, w, a, dY).slice(0, 2),
};

export const CONV_REF: RefFamily<'conv2d' | 'conv2dNoBias'> = { conv2d, conv2dNoBias };
