// Layer norm over the last axis (issue 13), eps 1e-5, affine: forward, and forward + backward
// (dx, dgamma, dbeta of sum(y * dy)) through each engine's autodiff, on the GPT step's
// activations [2048, 128] (B = 16, T = 128, d_model 128) and a wider [8192, 1024]. Engines:
// webgrad's fused layerNorm, TF.js composed (moments, rsqrt, scale, shift), jax-js
// nn.standardize * gamma + beta (eager, jit). GB/s counts the bytes a fused implementation must
// move per element: the forward reads x and writes y (8 bytes), forward + backward also reads x
// and dy and writes dx (20 bytes in all); parameters and row statistics are not counted.
import { compare, uniform, type Check } from '../core/reference.ts';
import type { Engine } from '../engines/types.ts';
import { runOpCase, throughput, type Log } from './common.ts';
import type { Row, RunSettings } from './types.ts';

export interface LnShape {
  rows: number;
  cols: number;
}

export const LN_EPS = 1e-5;

/** y, dx, dgamma, dbeta in float64. */
function lnReference(s: LnShape, x: Float32Array, g: Float32Array, b: Float32Array, dy: Float32Array) {
  const { rows, cols } = s;
  const y = new Float64Array(rows * cols);
  const dx = new Float64Array(rows * cols);
  const dg = new Float64Array(cols);
  const db = new Float64Array(cols);
  const xhat = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let mean = 0;
    for (let c = 0; c < cols; c++) mean += x[o + c];
    mean /= cols;
    let v = 0;
    for (let c = 0; c < cols; c++) v += (x[o + c] - mean) ** 2;
    const rstd = 1 / Math.sqrt(v / cols + LN_EPS);
    let m1 = 0;
    let m2 = 0;
    for (let c = 0; c < cols; c++) {
      xhat[c] = (x[o + c] - mean) * rstd;
      y[o + c] = xhat[c] * g[c] + b[c];
      const dxh = dy[o + c] * g[c];
      m1 += dxh;
      m2 += dxh * xhat[c];
      dg[c] += dy[o + c] * xhat[c];
      db[c] += dy[o + c];
    }
    m1 /= cols;
    m2 /= cols;
    for (let c = 0; c < cols; c++) dx[o + c] = rstd * (dy[o + c] * g[c] - m1 - xhat[c] * m2);
  }
  return { y, dx, dg, db };
}

function checkLn(s: LnShape, pass: 'forward' | 'backward', got: Float32Array, ref: ReturnType<typeof lnReference>): Check {
  const n = s.rows * s.cols;
  if (pass === 'forward') return compare(got, ref.y, null, 1e-3, 1e-4, 'y');
  if (got.length !== n + 2 * s.cols) return { ok: false, worst: Infinity, compared: 0, detail: `expected ${n + 2 * s.cols} values, got ${got.length}` };
  const parts: [string, Float64Array, number, number][] = [['dx', ref.dx, 0, 1e-4], ['dgamma', ref.dg, n, 1e-4 * Math.sqrt(s.rows)], ['dbeta', ref.db, n + s.cols, 1e-4 * Math.sqrt(s.rows)]];
  let worst = 0;
  for (const [what, want, off, atol] of parts) {
    const c = compare(got.subarray(off, off + want.length), want, null, 1e-3, atol, what);
    if (!c.ok) return c;
    worst = Math.max(worst, c.worst);
  }
  return { ok: true, worst, compared: n + 2 * s.cols, detail: 'dx, dgamma, dbeta (every value) within rtol 1e-3 of float64' };
}

export async function layerNormSuite(engines: Engine[], s: RunSettings, log: Log): Promise<Row[]> {
  const rows: Row[] = [];
  const quick = s.profile === 'quick';
  for (const shape of quick ? [{ rows: 64, cols: 48 }] : [{ rows: 2048, cols: 128 }, { rows: 8192, cols: 1024 }]) {
    const n = shape.rows * shape.cols;
    const x = uniform(n, 81 + shape.cols, 2);
    const g = uniform(shape.cols, 82, 0.5).map((v) => v + 1);
    const b = uniform(shape.cols, 83, 0.5);
    const dy = uniform(n, 84 + shape.cols, 1);
    const ref = lnReference(shape, x, g, b, dy);
    for (const pass of ['forward', 'backward'] as const) {
      const bytes = (pass === 'forward' ? 8 : 20) * n;
      for (const e of engines.filter((en) => en.layerNorm && en.suites.includes('layernorm'))) {
        rows.push(await runOpCase(e, {
          suite: 'layernorm',
          label: `${pass === 'forward' ? 'fwd' : 'fwd+bwd'} ${shape.rows}x${shape.cols}`,
          build: (en) => en.layerNorm!(shape, pass, x, g, b, dy),
          measure: { warmup: 2, reps: quick ? 3 : 7, inner: 0, targetMs: s.slow ? 60 : 30, maxInner: 32, budgetMs: 15_000 },
          check: (got) => checkLn(shape, pass, got, ref),
          metric: (t) => throughput(bytes, t.ms, 1e9, 'GB/s'),
          extra: { ...shape, pass, bytes },
        }, log));
      }
    }
  }
  return rows;
}
