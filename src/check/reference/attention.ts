// Float64 reference of scaledDotProductAttention (src/ops/attention.ts): the plain composite
// math per (batch, head), the full [T, S] score matrix included:
//   S = scale * q k^T, masked entries (causal j > i, or mask == 0) removed, P = softmax_rows(S),
//   O = P v;  backward: dV = P^T dO, dP = dO v^T, dS = P * (dP - rowsum(P * dP)),
//   dQ = scale * dS k, dK = scale * dS^T q.
// A row with no allowed key gives NaN output and no gradient contribution (as the kernels).
import { zerosRef, type RefArray } from '../array.ts';
import type { AttrsOf, RefFamily } from './types.ts';

type Attrs = AttrsOf<'scaledDotProductAttention'>;

interface Probs {
  b: number; h: number; t: number; s: number; d: number; dv: number;
  /** [B*H, T, S] softmax probabilities (0 where masked); rows with no key are all NaN. */
  p: Float64Array;
}

function probs([q, k, v, mask]: readonly RefArray[], attrs: Attrs): Probs {
  const [b, h, t, d] = q.shape;
  const s = k.shape[2];
  const dv = v.shape[3];
  const full = [b, h, t, s];
  // Element strides of the mask seen from [B, H, T, S], 0 on broadcast dims.
  const ms = [0, 0, 0, 0];
  if (attrs.mask) {
    const lead = 4 - mask.shape.length;
    let st = 1;
    for (let i = 3; i >= 0; i--) {
      const n = i < lead ? 1 : mask.shape[i - lead];
      ms[i] = n === 1 && full[i] !== 1 ? 0 : st;
      st *= n;
    }
  }
  const p = new Float64Array(b * h * t * s);
  for (let bh = 0; bh < b * h; bh++) {
    const [bi, hi] = [Math.floor(bh / h), bh % h];
    for (let i = 0; i < t; i++) {
      const row = p.subarray((bh * t + i) * s, (bh * t + i + 1) * s);
      const keep: boolean[] = [];
      for (let j = 0; j < s; j++) {
        const m = attrs.mask ? mask.data[bi * ms[0] + hi * ms[1] + i * ms[2] + j * ms[3]] : 1;
        keep.push(!(attrs.causal && j > i) && (m !== 0 || Number.isNaN(m)));
        let dot = 0;
        for (let c = 0; c < d; c++) dot += q.data[(bh * t + i) * d + c] * k.data[(bh * s + j) * d + c];
        row[j] = attrs.scale * dot;
      }
      const max = Math.max(...row.filter((_, j) => keep[j]));
      let sum = 0;
      for (let j = 0; j < s; j++) sum += (row[j] = keep[j] ? Math.exp(row[j] - max) : 0);
      for (let j = 0; j < s; j++) row[j] = sum > 0 ? row[j] / sum : NaN;
    }
  }
  return { b, h, t, s, d, dv, p };
}

function forward(inputs: readonly RefArray[], attrs: Attrs): RefArray {
  const { b, h, t, s, dv, p } = probs(inputs, attrs);
  const v = inputs[2];
  const out = zerosRef([b, h, t, dv]);
  for (let bh = 0; bh < b * h; bh++) {
    for (let i = 0; i < t; i++) {
      for (let c = 0; c < dv; c++) {
        let acc = 0;
        for (let j = 0; j < s; j++) acc += p[(bh * t + i) * s + j] * v.data[(bh * s + j) * dv + c];
        out.data[(bh * t + i) * dv + c] = acc;
      }
    }
  }
  return out;
}

function backward(inputs: readonly RefArray[], attrs: Attrs, g: RefArray): (RefArray | null)[] {
  const [q, k, v] = inputs;
  const { b, h, t, s, d, dv, p } = probs(inputs, attrs);
  const dq = zerosRef(q.shape);
  const dk = zerosRef(k.shape);
  const dvv = zerosRef(v.shape);
  for (let bh = 0; bh < b * h; bh++) {
    for (let i = 0; i < t; i++) {
      const r = bh * t + i;
      if (Number.isNaN(p[r * s])) continue;  // no key in this row
      const dp = new Float64Array(s);
      let rowsum = 0;
      for (let j = 0; j < s; j++) {
        for (let c = 0; c < dv; c++) dp[j] += g.data[r * dv + c] * v.data[(bh * s + j) * dv + c];
        rowsum += p[r * s + j] * dp[j];
      }
      for (let j = 0; j < s; j++) {
        const pij = p[r * s + j];
        const ds = pij * (dp[j] - rowsum) * attrs.scale;
        for (let c = 0; c < d; c++) {
          dq.data[r * d + c] += ds * k.data[(bh * s + j) * d + c];
          dk.data[(bh * s + j) * d + c] += ds * q.data[r * d + c];
        }
        for (let c = 0; c < dv; c++) dvv.data[(bh * s + j) * dv + c] += pij * g.data[r * dv + c];
      }
    }
  }
  return attrs.mask ? [dq, dk, dvv, null] : [dq, dk, dvv];
}

export const ATTENTION_REF: RefFamily<'scaledDotProductAttention'> = {
  scaledDotProductAttention: { forward, backward },
};
