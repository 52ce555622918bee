// Host data and float64 CPU references. Every engine gets the same inputs (a seeded generator),
// and every timed kernel's last result is compared with a reference computed here, so a broken
// kernel fails the run instead of posting a fast time.

/** mulberry32: a small seeded generator; uniform in [0, 1). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` values uniform in [-scale, scale). */
export function uniform(n: number, seed: number, scale = 1): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (r() * 2 - 1) * scale;
  return out;
}

export function labels(n: number, classes: number, seed: number): Int32Array {
  const r = rng(seed);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(r() * classes);
  return out;
}

export function oneHot(y: Int32Array, classes: number): Float32Array {
  const out = new Float32Array(y.length * classes);
  y.forEach((c, i) => (out[i * classes + c] = 1));
  return out;
}

// ------------------------------------------------------------------------------- checks

export interface Check {
  ok: boolean;
  /** Largest |got - want| / (atol + rtol |want|) over the compared values (<= 1 passes). */
  worst: number;
  compared: number;
  detail: string;
}

export function compare(got: ArrayLike<number>, want: ArrayLike<number>, idx: ArrayLike<number> | null, rtol: number, atol: number, what: string): Check {
  let worst = 0;
  let at = -1;
  const n = idx ? idx.length : want.length;
  for (let k = 0; k < n; k++) {
    const i = idx ? idx[k] : k;
    const g = got[i];
    const w = want[idx ? k : i];
    const err = Number.isFinite(g) ? Math.abs(g - w) / (atol + rtol * Math.abs(w)) : Infinity;
    if (!(err <= worst)) {
      worst = err;
      at = i;
    }
  }
  const ok = worst <= 1 && n > 0;
  const detail = ok
    ? `${what}: ${n} values within rtol ${rtol} / atol ${atol}`
    : `${what}: value ${at} is ${got[at]} (expected ${idx ? want[Array.prototype.indexOf.call(idx, at)] : want[at]}); error ${worst.toFixed(2)}x the tolerance`;
  return { ok, worst, compared: n, detail };
}

/** Up to `count` distinct indices in [0, n), seeded. */
export function sampleIndices(n: number, count: number, seed: number): Int32Array {
  if (n <= count) return Int32Array.from({ length: n }, (_, i) => i);
  const r = rng(seed);
  const set = new Set<number>();
  while (set.size < count) set.add(Math.floor(r() * n));
  return Int32Array.from([...set].sort((a, b) => a - b));
}

// ------------------------------------------------------------------------------- matmul

export interface MatmulShape {
  M: number;
  K: number;
  N: number;
  /** A is stored [K, M] and used transposed. */
  transA: boolean;
  /** B is stored [N, K] and used transposed. */
  transB: boolean;
}

/** Reference values of C = op(A) op(B) at the flat output indices `idx` (float64). */
export function matmulAt(s: MatmulShape, a: Float32Array, b: Float32Array, idx: ArrayLike<number>): Float64Array {
  const out = new Float64Array(idx.length);
  for (let k = 0; k < idx.length; k++) {
    const i = Math.floor(idx[k] / s.N);
    const j = idx[k] % s.N;
    let acc = 0;
    for (let p = 0; p < s.K; p++) {
      const av = s.transA ? a[p * s.M + i] : a[i * s.K + p];
      const bv = s.transB ? b[j * s.K + p] : b[p * s.N + j];
      acc += av * bv;
    }
    out[k] = acc;
  }
  return out;
}

// ------------------------------------------------------------------------------- MLP

export interface MlpSpec {
  /** Layer widths, e.g. [784, 50, 10]; ReLU between layers, softmax cross-entropy at the end. */
  sizes: number[];
  batch: number;
  lr: number;
  seed: number;
}

export interface MlpData {
  x: Float32Array; // [batch, sizes[0]]
  y: Int32Array; // [batch]
  yOneHot: Float32Array; // [batch, classes]
  /** W0, b0, W1, b1, ... with W stored [in, out]. */
  params: Float32Array[];
}

export function mlpData(spec: MlpSpec): MlpData {
  const { sizes, batch, seed } = spec;
  const classes = sizes[sizes.length - 1];
  const params: Float32Array[] = [];
  for (let l = 0; l + 1 < sizes.length; l++) {
    const fanIn = sizes[l];
    params.push(uniform(fanIn * sizes[l + 1], seed + 100 + 2 * l, Math.sqrt(6 / fanIn))); // He-uniform
    params.push(uniform(sizes[l + 1], seed + 101 + 2 * l, 0.05));
  }
  const x = uniform(batch * sizes[0], seed + 1, 1);
  for (let i = 0; i < x.length; i++) x[i] = (x[i] + 1) / 2; // pixel-like values in [0, 1)
  const y = labels(batch, classes, seed + 2);
  return { x, y, yOneHot: oneHot(y, classes), params };
}

/**
 * One SGD step in float64: returns the loss at the current parameters (mean softmax
 * cross-entropy over the batch) and the parameters after `p -= lr * grad`.
 */
export function mlpStepReference(spec: MlpSpec, d: MlpData): { loss: number; params: Float64Array[] } {
  const { sizes, batch: B } = spec;
  const L = sizes.length - 1;
  const W = (l: number) => d.params[2 * l];
  const bias = (l: number) => d.params[2 * l + 1];
  // forward: acts[0] = x, acts[l+1] = relu(acts[l] W_l + b_l) (no relu on the last layer)
  const acts: Float64Array[] = [Float64Array.from(d.x)];
  for (let l = 0; l < L; l++) {
    const [K, N] = [sizes[l], sizes[l + 1]];
    const a = acts[l];
    const w = W(l);
    const out = new Float64Array(B * N);
    for (let i = 0; i < B; i++) {
      const row = out.subarray(i * N, (i + 1) * N);
      for (let p = 0; p < K; p++) {
        const av = a[i * K + p];
        if (av === 0) continue;
        const wr = p * N;
        for (let j = 0; j < N; j++) row[j] += av * w[wr + j];
      }
      for (let j = 0; j < N; j++) {
        row[j] += bias(l)[j];
        if (l < L - 1 && row[j] < 0) row[j] = 0;
      }
    }
    acts.push(out);
  }
  // loss and dLogits = (softmax - onehot) / B
  const C = sizes[L];
  const logits = acts[L];
  let loss = 0;
  let g = new Float64Array(B * C);
  for (let i = 0; i < B; i++) {
    let m = -Infinity;
    for (let j = 0; j < C; j++) m = Math.max(m, logits[i * C + j]);
    let s = 0;
    for (let j = 0; j < C; j++) s += Math.exp(logits[i * C + j] - m);
    const lse = m + Math.log(s);
    loss += lse - logits[i * C + d.y[i]];
    for (let j = 0; j < C; j++) g[i * C + j] = (Math.exp(logits[i * C + j] - lse) - (j === d.y[i] ? 1 : 0)) / B;
  }
  loss /= B;
  // backward
  const newParams: Float64Array[] = d.params.map((p) => Float64Array.from(p));
  for (let l = L - 1; l >= 0; l--) {
    const [K, N] = [sizes[l], sizes[l + 1]];
    const a = acts[l];
    const w = W(l);
    const gw = new Float64Array(K * N);
    const gb = new Float64Array(N);
    for (let i = 0; i < B; i++) {
      for (let j = 0; j < N; j++) gb[j] += g[i * N + j];
      for (let p = 0; p < K; p++) {
        const av = a[i * K + p];
        if (av === 0) continue;
        const gr = i * N;
        const wr = p * N;
        for (let j = 0; j < N; j++) gw[wr + j] += av * g[gr + j];
      }
    }
    if (l > 0) {
      const ga = new Float64Array(B * K);
      for (let i = 0; i < B; i++) {
        for (let p = 0; p < K; p++) {
          if (a[i * K + p] <= 0) continue; // relu'(z) from the saved activation
          let acc = 0;
          const wr = p * N;
          const gr = i * N;
          for (let j = 0; j < N; j++) acc += g[gr + j] * w[wr + j];
          ga[i * K + p] = acc;
        }
      }
      g = ga;
    }
    const pw = newParams[2 * l];
    const pb = newParams[2 * l + 1];
    for (let k = 0; k < pw.length; k++) pw[k] -= spec.lr * gw[k];
    for (let k = 0; k < pb.length; k++) pb[k] -= spec.lr * gb[k];
  }
  return { loss, params: newParams };
}

/** FLOPs of one training step (forward + backward matmuls; elementwise work ignored). */
export function mlpStepFlops(spec: MlpSpec): number {
  let f = 0;
  for (let l = 0; l + 1 < spec.sizes.length; l++) f += 2 * spec.batch * spec.sizes[l] * spec.sizes[l + 1];
  return 3 * f;
}
