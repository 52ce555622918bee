// Convolution suite (issue 12): conv2d forward, backward-data and backward-filter for the
// book's SimpleConvNet layer (1 x 28 x 28 -> 30 filters 5 x 5) and a 3 x 3 64-channel layer on
// 32 x 32 inputs (padding 1), both at batch 64 as the issue asks, plus max-pool 2 x 2 forward
// and backward on the SimpleConvNet conv output [64, 30, 24, 24]. Stride 1 everywhere. The
// SimpleConvNet training step is the cnn suite (bench/suites/cnn.ts).
// The gradient cases ('fwd+dx', 'fwd+dw') go through each engine's autodiff with the
// cotangent dy fixed, so they include the forward each engine's backward runs with; that is
// the cost a training step pays. Data is NCHW / OIHW; engines with another native layout
// (TF.js: NHWC / HWIO) get it transposed on the host, outside the timing, and return NCHW.
// GFLOP/s = 2 N O OH OW C kH kW per pass (the forward's; a gradient case counts two passes).
import { compare, sampleIndices, uniform } from '../core/reference.ts';
import type { Engine } from '../engines/types.ts';
import { runOpCase, throughput, timeMetric, type Log } from './common.ts';
import type { Row, RunSettings } from './types.ts';

/** A stride-1 conv2d with symmetric zero padding. */
export interface ConvShape {
  N: number;
  C: number;
  H: number;
  W: number;
  O: number;
  k: number;
  pad: number;
}

/** 'forward': y; 'data': dx of sum(y * dy); 'filter': dw of sum(y * dy). */
export type ConvPass = 'forward' | 'data' | 'filter';

/** Max pooling with a square window and stride = window over [N, C, H, W]. */
export interface PoolShape {
  N: number;
  C: number;
  H: number;
  W: number;
  k: number;
}

export const outSize = (s: ConvShape): [number, number] => [s.H + 2 * s.pad - s.k + 1, s.W + 2 * s.pad - s.k + 1];

const LAYERS: { label: string; s: ConvShape }[] = [
  { label: 'SimpleConvNet 64x1x28x28 * 30x5x5', s: { N: 64, C: 1, H: 28, W: 28, O: 30, k: 5, pad: 0 } },
  { label: '3x3 64ch 64x64x32x32 pad 1', s: { N: 64, C: 64, H: 32, W: 32, O: 64, k: 3, pad: 1 } },
];
const QUICK_LAYER = { label: 'quick 4x3x12x12 * 8x3x3', s: { N: 4, C: 3, H: 12, W: 12, O: 8, k: 3, pad: 1 } };

// ------------------------------------------------------------------ sampled float64 references

const xAt = (s: ConvShape, x: Float32Array, n: number, c: number, h: number, w: number) =>
  h < 0 || h >= s.H || w < 0 || w >= s.W ? 0 : x[((n * s.C + c) * s.H + h) * s.W + w];

function refAt(s: ConvShape, pass: ConvPass, x: Float32Array, w: Float32Array, dy: Float32Array, idx: ArrayLike<number>): Float64Array {
  const [OH, OW] = outSize(s);
  const dyAt = (n: number, o: number, oh: number, ow: number) => (oh < 0 || oh >= OH || ow < 0 || ow >= OW ? 0 : dy[((n * s.O + o) * OH + oh) * OW + ow]);
  const wAt = (o: number, c: number, ky: number, kx: number) => w[((o * s.C + c) * s.k + ky) * s.k + kx];
  return Float64Array.from(idx, (i) => {
    let acc = 0;
    if (pass === 'forward') {
      const [n, o, oh, ow] = [Math.floor(i / (s.O * OH * OW)), Math.floor(i / (OH * OW)) % s.O, Math.floor(i / OW) % OH, i % OW];
      for (let c = 0; c < s.C; c++) for (let ky = 0; ky < s.k; ky++) for (let kx = 0; kx < s.k; kx++) acc += wAt(o, c, ky, kx) * xAt(s, x, n, c, oh - s.pad + ky, ow - s.pad + kx);
    } else if (pass === 'data') {
      const [n, c, h, ww] = [Math.floor(i / (s.C * s.H * s.W)), Math.floor(i / (s.H * s.W)) % s.C, Math.floor(i / s.W) % s.H, i % s.W];
      for (let o = 0; o < s.O; o++) for (let ky = 0; ky < s.k; ky++) for (let kx = 0; kx < s.k; kx++) acc += wAt(o, c, ky, kx) * dyAt(n, o, h + s.pad - ky, ww + s.pad - kx);
    } else {
      const [o, c, ky, kx] = [Math.floor(i / (s.C * s.k * s.k)), Math.floor(i / (s.k * s.k)) % s.C, Math.floor(i / s.k) % s.k, i % s.k];
      for (let n = 0; n < s.N; n++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) acc += dyAt(n, o, oh, ow) * xAt(s, x, n, c, oh - s.pad + ky, ow - s.pad + kx);
    }
    return acc;
  });
}

/** Max-pool forward (window max) or backward (dy routed to each window's maximum) at sampled entries. */
function poolRefAt(s: PoolShape, pass: 'forward' | 'backward', x: Float32Array, dy: Float32Array, idx: ArrayLike<number>): Float64Array {
  const OH = Math.floor(s.H / s.k);
  const OW = Math.floor(s.W / s.k);
  const argmax = (p: number, oh: number, ow: number) => {
    let best = -1;
    for (let ky = 0; ky < s.k; ky++) for (let kx = 0; kx < s.k; kx++) {
      const j = (p * s.H + oh * s.k + ky) * s.W + ow * s.k + kx;
      if (best < 0 || x[j] > x[best]) best = j;
    }
    return best;
  };
  return Float64Array.from(idx, (i) => {
    if (pass === 'forward') return x[argmax(Math.floor(i / (OH * OW)), Math.floor(i / OW) % OH, i % OW)];
    const [p, h, w] = [Math.floor(i / (s.H * s.W)), Math.floor(i / s.W) % s.H, i % s.W];
    const [oh, ow] = [Math.floor(h / s.k), Math.floor(w / s.k)];
    return oh < OH && ow < OW && argmax(p, oh, ow) === i ? dy[(p * OH + oh) * OW + ow] : 0;
  });
}

// ------------------------------------------------------------------ the suite

export async function convSuite(engines: Engine[], s: RunSettings, log: Log): Promise<Row[]> {
  const rows: Row[] = [];
  const quick = s.profile === 'quick';
  // The 3 x 3 64-channel layer is 4.8 GFLOP per pass: ~0.5-3 s per run on lavapipe, so few
  // runs there; the whole suite stays within a few minutes per environment.
  const light = { warmup: 2, reps: quick ? 3 : s.slow ? 5 : 7, inner: 0, targetMs: s.slow ? 60 : 30, maxInner: 16, budgetMs: 20_000 };
  const heavy = { warmup: 1, reps: s.slow ? 3 : 4, inner: 1, budgetMs: s.slow ? 12_000 : 10_000 };
  for (const { label, s: c } of quick ? [QUICK_LAYER] : LAYERS) {
    const measure = 2 * c.N * c.O * c.H * c.W * c.C * c.k * c.k > 1e9 ? heavy : light;
    const [OH, OW] = outSize(c);
    const x = uniform(c.N * c.C * c.H * c.W, 51 + c.C, 1);
    const w = uniform(c.O * c.C * c.k * c.k, 52 + c.O, 1 / Math.sqrt(c.C * c.k * c.k));
    const dy = uniform(c.N * c.O * OH * OW, 53 + c.O, 1);
    const flops = 2 * c.N * c.O * OH * OW * c.C * c.k * c.k;
    const sizes: Record<ConvPass, number> = { forward: c.N * c.O * OH * OW, data: x.length, filter: w.length };
    for (const pass of ['forward', 'data', 'filter'] as const) {
      const idx = sampleIndices(sizes[pass], 128, 9);
      const want = refAt(c, pass, x, w, dy, idx);
      const terms = pass === 'filter' ? c.N * OH * OW : pass === 'data' ? c.O * c.k * c.k : c.C * c.k * c.k;
      for (const e of engines.filter((en) => en.conv2d && en.suites.includes('conv'))) {
        rows.push(await runOpCase(e, {
          suite: 'conv',
          label: `${pass === 'forward' ? 'fwd' : pass === 'data' ? 'fwd+dx' : 'fwd+dw'} ${label}`,
          build: (en) => en.conv2d!(c, pass, x, w, dy),
          measure,
          check: (got) => compare(got, want, idx, 1e-3, 1e-4 * Math.sqrt(terms), `${pass} at 128 sampled entries`),
          metric: (t) => throughput(pass === 'forward' ? flops : 2 * flops, t.ms, 1e9, 'GFLOP/s'),
          extra: { ...c, pass, flops: pass === 'forward' ? flops : 2 * flops },
        }, log));
      }
    }
  }
  const p: PoolShape = quick ? { N: 4, C: 8, H: 12, W: 12, k: 2 } : { N: 64, C: 30, H: 24, W: 24, k: 2 };
  const px = uniform(p.N * p.C * p.H * p.W, 61, 1);
  const pdy = uniform((p.N * p.C * p.H * p.W) / (p.k * p.k), 62, 1);
  for (const pass of ['forward', 'backward'] as const) {
    const n = pass === 'forward' ? pdy.length : px.length;
    const idx = sampleIndices(n, 256, 11);
    const want = poolRefAt(p, pass, px, pdy, idx);
    for (const e of engines.filter((en) => en.maxPool && en.suites.includes('conv'))) {
      rows.push(await runOpCase(e, {
        suite: 'conv',
        label: `max-pool ${pass === 'forward' ? 'fwd' : 'fwd+bwd'} ${p.N}x${p.C}x${p.H}x${p.W} k${p.k}`,
        build: (en) => en.maxPool!(p, pass, px, pdy),
        measure: light,
        check: (got) => compare(got, want, idx, 1e-6, 1e-6, `max-pool ${pass} at 256 sampled entries`),
        metric: (t) => timeMetric(t.ms, 'ms'),
        extra: { ...p, pass },
      }, log));
    }
  }
  return rows;
}
