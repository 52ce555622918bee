// Causal attention (issue 13): softmax(q k^T / sqrt(D) + causal mask) v on [B, H, T, D] with
// B = 8, H = 4, D = 64 and T in {64, 256, 1024}: the forward, and forward + backward (dq, dk, dv
// of sum(out * dO) through each engine's autodiff). Engines: webgrad's fused
// scaledDotProductAttention, webgrad's own composite (matmul, mask, softmax, matmul: the fused
// kernel's reference), TF.js composed from its ops, jax-js nn.dotProductAttention (eager, jit).
// Each case also records the peak GPU memory: the most bytes of the engine's buffers alive at
// once while its inputs are created and its first evaluation runs, after its pooled buffers
// were freed where it lets us (bench/core/instrument.ts counts creations and destroys on the
// device, the same for every engine). Results are checked on two whole heads (the first and the
// last) against a float64 reference.
import { compare, uniform, type Check } from '../core/reference.ts';
import type { Engine } from '../engines/types.ts';
import { runOpCase, timeMetric, type Log } from './common.ts';
import type { Row, RunSettings } from './types.ts';

export interface AttnShape {
  B: number;
  H: number;
  T: number;
  D: number;
}

const FULL_T = [64, 256, 1024];
const QUICK_T = [16, 40];

/** FLOPs of the causal forward (q k^T and P v over the kept half) and of forward + backward. */
export function attentionFlops(s: AttnShape, pass: 'forward' | 'backward'): number {
  const pairs = (s.T * (s.T + 1)) / 2;
  const fwd = 4 * s.B * s.H * pairs * s.D;
  return pass === 'forward' ? fwd : fwd * 3.5; // backward: 5 matmul-sized products (dV, dP, dQ, dK, and the recomputed scores)
}

/** out, dq, dk, dv of one head (float64), causal, scale 1/sqrt(D). Arrays are [T, D] slices. */
function headReference(T: number, D: number, q: Float32Array, k: Float32Array, v: Float32Array, dO: Float32Array, off: number) {
  const scale = 1 / Math.sqrt(D);
  const out = new Float64Array(T * D);
  const dq = new Float64Array(T * D);
  const dk = new Float64Array(T * D);
  const dv = new Float64Array(T * D);
  const p = new Float64Array(T);
  const dp = new Float64Array(T);
  for (let i = 0; i < T; i++) {
    let m = -Infinity;
    for (let j = 0; j <= i; j++) {
      let sdot = 0;
      for (let d = 0; d < D; d++) sdot += q[off + i * D + d] * k[off + j * D + d];
      p[j] = sdot * scale;
      m = Math.max(m, p[j]);
    }
    let z = 0;
    for (let j = 0; j <= i; j++) z += (p[j] = Math.exp(p[j] - m));
    let rowDot = 0; // sum_j P_ij dP_ij
    for (let j = 0; j <= i; j++) {
      p[j] /= z;
      let g = 0;
      for (let d = 0; d < D; d++) {
        out[i * D + d] += p[j] * v[off + j * D + d];
        g += dO[off + i * D + d] * v[off + j * D + d];
      }
      dp[j] = g;
      rowDot += p[j] * g;
    }
    for (let j = 0; j <= i; j++) {
      const ds = p[j] * (dp[j] - rowDot) * scale;
      for (let d = 0; d < D; d++) {
        dq[i * D + d] += ds * k[off + j * D + d];
        dk[j * D + d] += ds * q[off + i * D + d];
        dv[j * D + d] += p[j] * dO[off + i * D + d];
      }
    }
  }
  return { out, dq, dk, dv };
}

/** Compare the engine's output (out, or dq|dk|dv concatenated) on the first and last head. */
function checkHeads(s: AttnShape, pass: 'forward' | 'backward', got: Float32Array, refs: { head: number; r: ReturnType<typeof headReference> }[]): Check {
  const n = s.B * s.H * s.T * s.D;
  const hd = s.T * s.D;
  const atol = 2e-5 * Math.sqrt(s.T);
  let worst = 0;
  let compared = 0;
  const parts = pass === 'forward' ? (['out'] as const) : (['dq', 'dk', 'dv'] as const);
  if (got.length !== n * parts.length) return { ok: false, worst: Infinity, compared: 0, detail: `expected ${n * parts.length} values, got ${got.length}` };
  for (const { head, r } of refs) {
    for (let pi = 0; pi < parts.length; pi++) {
      const slice = got.subarray(pi * n + head * hd, pi * n + (head + 1) * hd);
      const c = compare(slice, r[parts[pi]], null, 2e-3, atol, `${parts[pi]} of head ${head}`);
      if (!c.ok) return c;
      worst = Math.max(worst, c.worst);
      compared += c.compared;
    }
  }
  return { ok: true, worst, compared, detail: `${parts.join(', ')} of heads ${refs.map((x) => x.head).join(' and ')} (${compared} values) within rtol 2e-3 / atol ${atol.toPrecision(2)} of float64` };
}

/**
 * A run predicted to take longer than this is skipped (a skipped row, not a failure): the
 * composites at T = 1024 take tens of seconds per run on software adapters. The prediction
 * scales the same engine and pass at the previous T by (T / T')^2, from wall time per run.
 * webgrad's fused kernel is never skipped (the memory target needs its T = 1024 figure).
 */
const maxRunMs = (s: RunSettings) => (s.slow ? 60_000 : 30_000);

export async function attentionSuite(engines: Engine[], s: RunSettings, log: Log): Promise<Row[]> {
  const rows: Row[] = [];
  const quick = s.profile === 'quick';
  const seen = new Map<string, { T: number; ms: number }>();
  const base = quick ? { B: 1, H: 2, D: 16 } : { B: 8, H: 4, D: 64 };
  for (const T of quick ? QUICK_T : FULL_T) {
    const a: AttnShape = { ...base, T };
    const n = a.B * a.H * T * a.D;
    const q = uniform(n, 71 + T, 1);
    const k = uniform(n, 72 + T, 1);
    const v = uniform(n, 73 + T, 1);
    const dO = uniform(n, 74 + T, 1);
    const heads = [0, a.B * a.H - 1];
    const refs = heads.map((head) => ({ head, r: headReference(T, a.D, q, k, v, dO, head * T * a.D) }));
    for (const pass of ['forward', 'backward'] as const) {
      // T = 1024 is ~1-10 s per run for the composites on lavapipe: fewer runs there.
      const big = T >= 1024;
      for (const e of engines.filter((x) => x.attention && x.suites.includes('attention'))) {
        const key = `${e.name} ${pass}`;
        const prev = seen.get(key);
        const predicted = prev ? prev.ms * (T / prev.T) ** 2 : 0;
        const extra = { ...a, pass, flops: attentionFlops(a, pass) };
        const label = `${pass === 'forward' ? 'fwd' : 'fwd+bwd'} T=${T}`;
        // The fused kernel is what the memory target is about: it always runs.
        if (predicted > maxRunMs(s) && e.name !== 'webgrad') {
          const skipped = `predicted ${(predicted / 1000).toFixed(0)} s per run from ${(prev!.ms / 1000).toPrecision(3)} s at T=${prev!.T}; the limit is ${maxRunMs(s) / 1000} s`;
          log(`attention | ${label} | ${e.name}: skipped (${skipped})`);
          rows.push({ suite: 'attention', case: label, engine: e.name, metric: null, timing: null, check: null, extra, skipped });
          continue;
        }
        const row = await runOpCase(e, {
          suite: 'attention',
          label,
          build: (en) => en.attention!(a, pass, q, k, v, dO),
          measure: big
            ? { warmup: 1, reps: s.slow ? 2 : 3, inner: 1, budgetMs: s.slow ? 20_000 : 15_000 }
            : { warmup: 2, reps: quick ? 3 : 5, inner: 0, targetMs: s.slow ? 60 : 30, maxInner: 16, budgetMs: 15_000 },
          check: (got) => checkHeads(a, pass, got, refs),
          metric: (t) => timeMetric(t.ms, 'ms'),
          memory: true,
          extra,
        }, log);
        if (row.timing) seen.set(key, { T, ms: row.timing.wallMs.median });
        rows.push(row);
      }
    }
  }
  return rows;
}
