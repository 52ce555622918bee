// Float64 references of torch's SGD and Adam / AdamW update rules, one parameter at a time,
// shared by test/optim.test.ts and test/optim-groups.test.ts.
import type { Rng } from '../src/index.ts';

export interface RefParam {
  p: Float64Array;
  s1: Float64Array;
  s2: Float64Array;
  s3: Float64Array;
  t: number;
}

export type RefRule = (r: RefParam, g: Float64Array, lr: number) => void;

export function sgdRef(mu: number, wd: number, nesterov: boolean, dampening = 0): RefRule {
  return (r, grad, lr) => {
    r.t++;
    for (let i = 0; i < r.p.length; i++) {
      let g = grad[i] + wd * r.p[i];
      if (mu > 0) {
        // torch: b_1 = g_1; b_t = mu * b_{t-1} + (1 - dampening) * g_t
        r.s1[i] = r.t === 1 ? g : mu * r.s1[i] + (1 - dampening) * g;
        g = nesterov ? g + mu * r.s1[i] : r.s1[i];
      }
      r.p[i] -= lr * g;
    }
  };
}

/** torch's Adam/AdamW in float64; `amsgrad` keeps the running max of v in s3. */
export function adamRef(b1: number, b2: number, eps: number, wd: number, decoupled: boolean, amsgrad = false): RefRule {
  return (r, grad, lr) => {
    r.t++;
    const bc1 = 1 - b1 ** r.t;
    const bc2 = 1 - b2 ** r.t;
    for (let i = 0; i < r.p.length; i++) {
      let g = grad[i];
      if (decoupled) r.p[i] *= 1 - lr * wd;
      else g += wd * r.p[i];
      r.s1[i] = b1 * r.s1[i] + (1 - b1) * g;
      r.s2[i] = b2 * r.s2[i] + (1 - b2) * g * g;
      const mHat = r.s1[i] / bc1;
      if (amsgrad) r.s3[i] = Math.max(r.s3[i], r.s2[i]);
      const vHat = (amsgrad ? r.s3[i] : r.s2[i]) / bc2;
      r.p[i] -= (lr * mHat) / (Math.sqrt(vHat) + eps);
    }
  };
}

export function randomArray(rng: Rng, n: number, scale = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = scale * rng.normal();
  return a;
}
