// Memory-bound kernels and per-dispatch overhead.
// - bandwidth: c = a + b (12 bytes moved per element) and the bias-gradient column sum of an
//   [rows, cols] matrix (4 bytes per element read), in GB/s;
// - softmax cross-entropy: mean loss of [batch, classes] logits and its gradient, ms per
//   forward + backward (the gradient is checked);
// - dispatch overhead: a chain of `len` dependent adds on 256-element tensors, wall-clock us
//   per op (counters show how many dispatches each engine actually issued for the chain).
import { compare, labels, oneHot, sampleIndices, uniform } from '../core/reference.ts';
import type { Engine } from '../engines/types.ts';
import { throughput, timeMetric, runOpCase, type Log } from './common.ts';
import type { Row, RunSettings } from './types.ts';

export async function bandwidthSuite(engines: Engine[], s: RunSettings, log: Log): Promise<Row[]> {
  const rows: Row[] = [];
  const quick = s.profile === 'quick';
  const reps = quick ? 3 : 7;
  for (const n of quick ? [1 << 16] : [1 << 20, 1 << 22]) {
    const a = uniform(n, 21, 1);
    const b = uniform(n, 22, 1);
    const idx = sampleIndices(n, 256, 3);
    const want = Float64Array.from(idx, (i) => a[i] + b[i]);
    for (const e of engines.filter((x) => x.suites.includes('bandwidth'))) {
      rows.push(await runOpCase(e, {
        suite: 'bandwidth',
        label: `add ${n >= 1 << 20 ? `${n >> 20}M` : `${n >> 10}K`} f32`,
        build: (en) => en.add(n, a, b),
        measure: { warmup: 2, reps, inner: 0, targetMs: 20, maxInner: 64 },
        check: (got) => compare(got, want, idx, 1e-6, 1e-6, 'a + b at 256 sampled entries'),
        metric: (t) => throughput(12 * n, t.ms, 1e9, 'GB/s'),
        extra: { elements: n, bytes: 12 * n },
      }, log));
    }
  }
  for (const [rows_, cols] of quick ? [[256, 512]] : [[256, 512], [4096, 1024]]) {
    const x = uniform(rows_ * cols, 31 + cols, 1);
    const want = new Float64Array(cols);
    for (let i = 0; i < rows_; i++) for (let j = 0; j < cols; j++) want[j] += x[i * cols + j];
    for (const e of engines.filter((x) => x.suites.includes('bandwidth'))) {
      rows.push(await runOpCase(e, {
        suite: 'bandwidth',
        label: `bias-sum ${rows_}x${cols}`,
        build: (en) => en.biasSum(rows_, cols, x),
        measure: { warmup: 2, reps, inner: 0, targetMs: 20, maxInner: 64 },
        check: (got) => compare(got, want, null, 1e-4, 1e-4 * Math.sqrt(rows_), 'column sums'),
        metric: (t) => throughput(4 * rows_ * cols, t.ms, 1e9, 'GB/s'),
        extra: { rows: rows_, cols, bytes: 4 * rows_ * cols },
      }, log));
    }
  }
  return rows;
}

export async function softmaxSuite(engines: Engine[], s: RunSettings, log: Log): Promise<Row[]> {
  const rows: Row[] = [];
  for (const [batch, classes] of s.profile === 'quick' ? [[256, 10]] : [[256, 10], [4096, 1000]]) {
    const logits = uniform(batch * classes, 41 + classes, 4);
    const y = labels(batch, classes, 42);
    const y1 = oneHot(y, classes);
    const idx = sampleIndices(batch * classes, 256, 5);
    const want = Float64Array.from(idx, (k) => {
      const i = Math.floor(k / classes);
      const row = logits.subarray(i * classes, (i + 1) * classes);
      const m = Math.max(...row);
      let z = 0;
      for (const v of row) z += Math.exp(v - m);
      return (Math.exp(logits[k] - m) / z - y1[k]) / batch;
    });
    for (const e of engines.filter((x) => x.suites.includes('softmax-ce'))) {
      rows.push(await runOpCase(e, {
        suite: 'softmax-ce',
        label: `fwd+bwd ${batch}x${classes}`,
        build: (en) => en.softmaxCE(batch, classes, logits, y, y1),
        measure: { warmup: 2, reps: s.profile === 'quick' ? 3 : 7, inner: 0, targetMs: 20, maxInner: 64 },
        check: (got) => compare(got, want, idx, 1e-3, 1e-6 / batch, 'dLoss/dlogits at 256 sampled entries'),
        metric: (t) => timeMetric(t.ms, 'ms'),
        extra: { batch, classes },
      }, log));
    }
  }
  return rows;
}

export async function dispatchSuite(engines: Engine[], s: RunSettings, log: Log): Promise<Row[]> {
  const rows: Row[] = [];
  const n = 256;
  const len = s.profile === 'quick' ? 50 : 200;
  const x = uniform(n, 51, 1);
  const y = uniform(n, 52, 0.01);
  const want = Float64Array.from(x, (v, i) => v + len * y[i]);
  for (const e of engines.filter((x) => x.suites.includes('dispatch'))) {
    rows.push(await runOpCase(e, {
      suite: 'dispatch',
      label: `${len} chained adds, ${n} elements`,
      build: (en) => en.addChain(n, len, x, y),
      measure: { warmup: 2, reps: s.profile === 'quick' ? 3 : 7, inner: 1 },
      check: (got) => compare(got, want, null, 1e-4, 1e-4, `x + ${len} y`),
      metric: (t) => timeMetric(t.wallMs, 'us/op', 1000 / len),
      extra: { ops: len, elements: n },
    }, log));
  }
  return rows;
}
