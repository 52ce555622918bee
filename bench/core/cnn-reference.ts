// The SimpleConvNet training step of the cnn suite (issue 12) in float64: the book's network
// (conv `filters` k x k, stride 1, no padding - ReLU - max-pool 2 x 2 - Affine `hidden` - ReLU -
// Affine `classes`, softmax cross-entropy), one SGD step from host parameters. Data layouts are
// PyTorch's: x [N, 1, S, S], conv weight [F, 1, k, k], the flattened features in (f, i, j) order;
// affine weights are stored [in, out] (webgrad's Linear layout, as the MLP suite).
import { labels, oneHot, uniform } from './reference.ts';

export interface CnnSpec {
  batch: number;
  /** Square input side (28 for the digits). */
  size: number;
  filters: number;
  k: number;
  hidden: number;
  classes: number;
  lr: number;
  seed: number;
}

export interface CnnData {
  x: Float32Array; // [N, 1, S, S]
  y: Int32Array;
  yOneHot: Float32Array;
  /** conv weight [F, 1, k, k], conv bias [F], W1 [features, hidden], b1, W2 [hidden, classes], b2. */
  params: Float32Array[];
}

/** Conv output side, pooled side and the flattened feature count. */
export function cnnDims(s: CnnSpec): { conv: number; pooled: number; features: number } {
  const conv = s.size - s.k + 1;
  const pooled = Math.floor(conv / 2);
  return { conv, pooled, features: s.filters * pooled * pooled };
}

export function cnnData(s: CnnSpec): CnnData {
  const { features } = cnnDims(s);
  const x = uniform(s.batch * s.size * s.size, s.seed + 1, 1);
  for (let i = 0; i < x.length; i++) x[i] = (x[i] + 1) / 2; // pixel-like values in [0, 1)
  const y = labels(s.batch, s.classes, s.seed + 2);
  const params = [
    uniform(s.filters * s.k * s.k, s.seed + 100, Math.sqrt(6 / (s.k * s.k))),
    uniform(s.filters, s.seed + 101, 0.05),
    uniform(features * s.hidden, s.seed + 102, Math.sqrt(6 / features)),
    uniform(s.hidden, s.seed + 103, 0.05),
    uniform(s.hidden * s.classes, s.seed + 104, Math.sqrt(6 / s.hidden)),
    uniform(s.classes, s.seed + 105, 0.05),
  ];
  return { x, y, yOneHot: oneHot(y, s.classes), params };
}

/** out[i, :] += a[i, :] B for a [M, K] and B [K, N] (row-major), skipping zero entries of a. */
function gemmAcc(a: Float64Array, b: ArrayLike<number>, out: Float64Array, M: number, K: number, N: number): void {
  for (let i = 0; i < M; i++) {
    for (let p = 0; p < K; p++) {
      const av = a[i * K + p];
      if (av === 0) continue;
      for (let j = 0; j < N; j++) out[i * N + j] += av * b[p * N + j];
    }
  }
}

/** One SGD step: the loss at the given parameters and the parameters after p -= lr * grad. */
export function cnnStepReference(s: CnnSpec, d: CnnData): { loss: number; params: Float64Array[] } {
  const { batch: N, size: S, filters: F, k, hidden: Hd, classes: C } = s;
  const { conv: O, pooled: P, features: Fe } = cnnDims(s);
  const [w, b, W1, b1, W2, b2] = d.params;
  // conv + ReLU
  const a = new Float64Array(N * F * O * O);
  for (let n = 0; n < N; n++) for (let f = 0; f < F; f++) for (let i = 0; i < O; i++) for (let j = 0; j < O; j++) {
    let acc = b[f];
    for (let ky = 0; ky < k; ky++) for (let kx = 0; kx < k; kx++) acc += w[(f * k + ky) * k + kx] * d.x[(n * S + i + ky) * S + j + kx];
    a[((n * F + f) * O + i) * O + j] = acc > 0 ? acc : 0;
  }
  // max-pool 2 x 2 (first maximum in window order; ties only occur among ReLU zeros, whose gradient is 0)
  const h0 = new Float64Array(N * Fe);
  const arg = new Int32Array(N * Fe);
  for (let n = 0; n < N; n++) for (let f = 0; f < F; f++) for (let i = 0; i < P; i++) for (let j = 0; j < P; j++) {
    let best = -1;
    for (let dy = 0; dy < 2; dy++) for (let dx = 0; dx < 2; dx++) {
      const q = ((n * F + f) * O + 2 * i + dy) * O + 2 * j + dx;
      if (best < 0 || a[q] > a[best]) best = q;
    }
    const o = n * Fe + (f * P + i) * P + j;
    h0[o] = a[best];
    arg[o] = best;
  }
  // affine layers
  const h1 = new Float64Array(N * Hd);
  for (let n = 0; n < N; n++) h1.set(b1, n * Hd);
  gemmAcc(h0, W1, h1, N, Fe, Hd);
  for (let i = 0; i < h1.length; i++) if (h1[i] < 0) h1[i] = 0;
  const z = new Float64Array(N * C);
  for (let n = 0; n < N; n++) z.set(b2, n * C);
  gemmAcc(h1, W2, z, N, Hd, C);
  // loss, dz = (softmax - onehot) / N
  let loss = 0;
  const gz = new Float64Array(N * C);
  for (let n = 0; n < N; n++) {
    let m = -Infinity;
    for (let j = 0; j < C; j++) m = Math.max(m, z[n * C + j]);
    let se = 0;
    for (let j = 0; j < C; j++) se += Math.exp(z[n * C + j] - m);
    const lse = m + Math.log(se);
    loss += lse - z[n * C + d.y[n]];
    for (let j = 0; j < C; j++) gz[n * C + j] = (Math.exp(z[n * C + j] - lse) - (j === d.y[n] ? 1 : 0)) / N;
  }
  loss /= N;
  // backward through the affine layers
  const gW2 = new Float64Array(Hd * C);
  const gb2 = new Float64Array(C);
  const gh1 = new Float64Array(N * Hd);
  for (let n = 0; n < N; n++) for (let j = 0; j < C; j++) {
    const g = gz[n * C + j];
    gb2[j] += g;
    for (let h = 0; h < Hd; h++) {
      gW2[h * C + j] += h1[n * Hd + h] * g;
      gh1[n * Hd + h] += g * W2[h * C + j];
    }
  }
  for (let i = 0; i < gh1.length; i++) if (h1[i] <= 0) gh1[i] = 0;
  const gW1 = new Float64Array(Fe * Hd);
  const gb1 = new Float64Array(Hd);
  const gh0 = new Float64Array(N * Fe);
  for (let n = 0; n < N; n++) {
    for (let h = 0; h < Hd; h++) gb1[h] += gh1[n * Hd + h];
    for (let p = 0; p < Fe; p++) {
      const hv = h0[n * Fe + p];
      let acc = 0;
      for (let h = 0; h < Hd; h++) {
        const g = gh1[n * Hd + h];
        if (hv !== 0) gW1[p * Hd + h] += hv * g;
        acc += g * W1[p * Hd + h];
      }
      gh0[n * Fe + p] = acc;
    }
  }
  // through the pool (to each window's maximum) and the ReLU, then the conv weights and bias
  const ga = new Float64Array(a.length);
  for (let o = 0; o < gh0.length; o++) if (a[arg[o]] > 0) ga[arg[o]] += gh0[o];
  const gw = new Float64Array(F * k * k);
  const gb = new Float64Array(F);
  for (let n = 0; n < N; n++) for (let f = 0; f < F; f++) for (let i = 0; i < O; i++) for (let j = 0; j < O; j++) {
    const g = ga[((n * F + f) * O + i) * O + j];
    if (g === 0) continue;
    gb[f] += g;
    for (let ky = 0; ky < k; ky++) for (let kx = 0; kx < k; kx++) gw[(f * k + ky) * k + kx] += g * d.x[(n * S + i + ky) * S + j + kx];
  }
  const grads = [gw, gb, gW1, gb1, gW2, gb2];
  return { loss, params: d.params.map((p, i) => Float64Array.from(p, (v, j) => v - s.lr * grads[i][j])) };
}

/** FLOPs of one step: the conv (forward and its filter gradient) and the affine layers' three matmuls each. */
export function cnnStepFlops(s: CnnSpec): number {
  const { conv, features } = cnnDims(s);
  const convF = 2 * s.batch * s.filters * conv * conv * s.k * s.k;
  return 2 * convF + 3 * 2 * s.batch * (features * s.hidden + s.hidden * s.classes);
}
