// Float64 reference for batch normalisation (src/ops/norm.ts), written from the definition:
// per channel c of x [N, C, ...], mu = mean, var = biased variance over every axis but 1,
// y = (x - mu) / sqrt(var + eps) * w + b. The backward is the vector-Jacobian product of that
// formula (training: mu and var depend on x; eval: they are the running constants).
import type { BatchNormAttrs } from '../../ops/norm.ts';
import { refArray, zerosRef, type RefArray } from '../array.ts';
import type { RefFamily } from './types.ts';

interface Channels {
  c: number;
  /** Flat indices of channel k's elements. */
  members: (k: number) => number[];
}

function channels(x: RefArray): Channels {
  const [n, c] = x.shape;
  const inner = x.shape.slice(2).reduce((a, d) => a * d, 1);
  return {
    c,
    members: (k) => {
      const out: number[] = [];
      for (let i = 0; i < n; i++) for (let s = 0; s < inner; s++) out.push((i * c + k) * inner + s);
      return out;
    },
  };
}

/** Per-channel mean and biased variance of x (training) or the running statistics (eval). */
function statistics(x: RefArray, rm: RefArray, rv: RefArray, a: BatchNormAttrs): { mu: number[]; v: number[] } {
  const { c, members } = channels(x);
  if (!a.training) return { mu: Array.from(rm.data), v: Array.from(rv.data) };
  const mu: number[] = [];
  const v: number[] = [];
  for (let k = 0; k < c; k++) {
    const idx = members(k);
    const m = idx.reduce((s, i) => s + x.data[i], 0) / idx.length;
    mu.push(m);
    v.push(idx.reduce((s, i) => s + (x.data[i] - m) ** 2, 0) / idx.length);
  }
  return { mu, v };
}

const batchNormRef = {
  forward([x, w, b, rm, rv]: readonly RefArray[], a: BatchNormAttrs): RefArray {
    const { c, members } = channels(x);
    const { mu, v } = statistics(x, rm, rv, a);
    const y = zerosRef(x.shape);
    for (let k = 0; k < c; k++) {
      const gamma = a.hasWeight ? w.data[k] : 1;
      const beta = a.hasBias ? b.data[k] : 0;
      for (const i of members(k)) y.data[i] = ((x.data[i] - mu[k]) / Math.sqrt(v[k] + a.eps)) * gamma + beta;
    }
    return y;
  },
  backward([x, w, , rm, rv]: readonly RefArray[], a: BatchNormAttrs, g: RefArray): (RefArray | null)[] {
    const { c, members } = channels(x);
    const { mu, v } = statistics(x, rm, rv, a);
    const dx = zerosRef(x.shape);
    const dw = zerosRef([c]);
    const db = zerosRef([c]);
    for (let k = 0; k < c; k++) {
      const idx = members(k);
      const m = idx.length;
      const sd = Math.sqrt(v[k] + a.eps);
      const gamma = a.hasWeight ? w.data[k] : 1;
      const xhat = idx.map((i) => (x.data[i] - mu[k]) / sd);
      const dxhat = idx.map((i) => g.data[i] * gamma);
      db.data[k] = idx.reduce((s, i) => s + g.data[i], 0);
      dw.data[k] = idx.reduce((s, i, j) => s + g.data[i] * xhat[j], 0);
      if (!a.training) {
        idx.forEach((i, j) => (dx.data[i] = dxhat[j] / sd));
        continue;
      }
      // dvar = sum dxhat * (x - mu) * -1/2 (var + eps)^(-3/2); dmu = -sum dxhat / sd (the dvar
      // term through mu vanishes since sum (x - mu) = 0); dx = dxhat / sd + dvar 2 (x - mu) / m + dmu / m.
      const dvar = idx.reduce((s, i, j) => s + dxhat[j] * (x.data[i] - mu[k]), 0) * -0.5 * sd ** -3;
      const dmu = -dxhat.reduce((s, d) => s + d, 0) / sd;
      idx.forEach((i, j) => (dx.data[i] = dxhat[j] / sd + (dvar * 2 * (x.data[i] - mu[k])) / m + dmu / m));
    }
    return [dx, a.hasWeight ? dw : null, a.hasBias ? db : null, null, null];
  },
};

export const NORM_REF: RefFamily<'batchNorm'> = { batchNorm: batchNormRef };

/** The running statistics after one training-mode call (PyTorch: unbiased variance in the update). */
export function batchNormRunningRef(x: RefArray, rm: RefArray, rv: RefArray, momentum: number): { mean: RefArray; var: RefArray } {
  const { c, members } = channels(x);
  const { mu, v } = statistics(x, rm, rv, { training: true, momentum, eps: 0, hasWeight: false, hasBias: false, hasRunning: true });
  const m = members(0).length;
  const unbias = m > 1 ? m / (m - 1) : 1;
  return {
    mean: refArray([c], (k) => (1 - momentum) * rm.data[k] + momentum * mu[k]),
    var: refArray([c], (k) => (1 - momentum) * rv.data[k] + momentum * v[k] * unbias),
  };
}
