// Float64 reference of the normalisation family (src/ops/layernorm.ts): layer norm and RMS
// norm over the trailing dims, written row by row from the definitions (two passes for the
// mean and variance, no Welford), and their vector-Jacobian products.
import { numel, zerosRef, type RefArray } from '../array.ts';
import type { RefFamily } from './types.ts';

interface Attrs {
  normalizedShape: readonly number[];
  eps: number;
  /** Inputs are [x, weight?, bias?]: which are present. */
  weight: boolean;
  bias: boolean;
}

/** The inputs by role: a missing weight is ones, a missing bias zeros (null). */
function roles([x, ...params]: readonly RefArray[], attrs: Attrs): [RefArray, RefArray, RefArray | null] {
  const d = numel(attrs.normalizedShape);
  const w = attrs.weight ? params[0] : { shape: attrs.normalizedShape, data: new Float64Array(d).fill(1) };
  const b = attrs.bias ? params[attrs.weight ? 1 : 0] : null;
  return [x, w, b];
}

/** Per row: xhat (normalised values) and rstd = 1 / sqrt(var + eps) (RMS: mean of squares). */
function normalise(x: RefArray, { normalizedShape, eps }: Attrs, rms: boolean): { xhat: RefArray; rstd: Float64Array; d: number } {
  const d = numel(normalizedShape);
  const rows = d ? x.data.length / d : 0;
  const xhat = zerosRef(x.shape);
  const rstd = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const row = x.data.subarray(r * d, r * d + d);
    const mean = rms ? 0 : row.reduce((s, v) => s + v, 0) / d;
    const v = row.reduce((s, u) => s + (u - mean) ** 2, 0) / d;
    rstd[r] = 1 / Math.sqrt(v + eps);
    for (let c = 0; c < d; c++) xhat.data[r * d + c] = (row[c] - mean) * rstd[r];
  }
  return { xhat, rstd, d };
}

function forward(inputs: readonly RefArray[], attrs: Attrs, rms: boolean): RefArray {
  const [x, w, b] = roles(inputs, attrs);
  const { xhat, d } = normalise(x, attrs, rms);
  const out = zerosRef(x.shape);
  for (let i = 0; i < out.data.length; i++) out.data[i] = xhat.data[i] * w.data[i % d] + (b ? b.data[i % d] : 0);
  return out;
}

/**
 * With gy = g * w: dx = rstd * (gy - mean(gy) - xhat * mean(gy * xhat)) (RMS: without mean(gy)),
 * dw = sum over rows of g * xhat, db = sum over rows of g.
 */
function backward(inputs: readonly RefArray[], attrs: Attrs, g: RefArray, rms: boolean): RefArray[] {
  const [x, w, b] = roles(inputs, attrs);
  const { xhat, rstd, d } = normalise(x, attrs, rms);
  const dx = zerosRef(x.shape);
  const dw = zerosRef(w.shape);
  const db = b ? zerosRef(b.shape) : null;
  for (let r = 0; r < rstd.length; r++) {
    let sg = 0;
    let sgx = 0;
    for (let c = 0; c < d; c++) {
      const i = r * d + c;
      const gy = g.data[i] * w.data[c];
      sg += gy;
      sgx += gy * xhat.data[i];
      dw.data[c] += g.data[i] * xhat.data[i];
      if (db) db.data[c] += g.data[i];
    }
    for (let c = 0; c < d; c++) {
      const i = r * d + c;
      const gy = g.data[i] * w.data[c];
      dx.data[i] = rstd[r] * (gy - (rms ? 0 : sg / d) - (xhat.data[i] * sgx) / d);
    }
  }
  return [dx, ...(attrs.weight ? [dw] : []), ...(db ? [db] : [])];
}

export const LAYERNORM_REF: RefFamily<'layerNorm' | 'rmsNorm'> = {
  layerNorm: {
    forward: (inputs, attrs) => forward(inputs, attrs, false),
    backward: (inputs, attrs, g) => backward(inputs, attrs, g, false),
  },
  rmsNorm: {
    forward: (inputs, attrs) => forward(inputs, attrs, true),
    backward: (inputs, attrs, g) => backward(inputs, attrs, g, true),
  },
};
