// Matmul f32 sweep: square N x N x N from 128 to 2048, then the matmuls of the two MLPs'
// training steps: forward (x W), input gradient (dZ W^T: B transposed) and weight gradient
// (X^T dZ: A transposed), plus 1024^3 with each operand transposed. GFLOP/s = 2 M N K / time.
import { compare, matmulAt, sampleIndices, uniform, type MatmulShape } from '../core/reference.ts';
import type { Engine } from '../engines/types.ts';
import { throughput, runOpCase, type Log } from './common.ts';
import type { Row, RunSettings } from './types.ts';

interface MatmulCase extends MatmulShape {
  label: string;
}

const sq = (n: number): MatmulCase => ({ label: `${n}^3`, M: n, K: n, N: n, transA: false, transB: false });
const mm = (label: string, M: number, K: number, N: number, transA = false, transB = false): MatmulCase => ({ label, M, K, N, transA, transB });

export function matmulCases(s: RunSettings): MatmulCase[] {
  if (s.profile === 'quick') return [sq(128), sq(256), mm('256^3 A^T', 256, 256, 256, true), mm('256^3 B^T', 256, 256, 256, false, true), mm('fwd 100x784x50', 100, 784, 50)];
  return [
    sq(128), sq(256), sq(512), sq(1024), sq(2048),
    mm('1024^3 A^T', 1024, 1024, 1024, true), mm('1024^3 B^T', 1024, 1024, 1024, false, true),
    // MLP 784-50-10, batch 100
    mm('fwd 100x784x50', 100, 784, 50),
    mm('dW A^T 784x100x50', 784, 100, 50, true),
    // MLP 784-512-512-10, batch 256
    mm('fwd 256x784x512', 256, 784, 512),
    mm('fwd 256x512x512', 256, 512, 512),
    mm('fwd 256x512x10', 256, 512, 10),
    mm('dX B^T 256x512x512', 256, 512, 512, false, true),
    mm('dW A^T 784x256x512', 784, 256, 512, true),
    mm('dW A^T 512x256x512', 512, 256, 512, true),
  ];
}

/**
 * A run predicted to take longer than this is skipped (the sweep must fit in minutes). The
 * prediction scales the engine's largest measured case by FLOPs, from its headline time (GPU
 * time when timed): wall time can hold waits that do not scale with the work.
 */
const maxRunMs = (s: RunSettings) => (s.slow ? 40_000 : 25_000);

export async function matmulSuite(engines: Engine[], s: RunSettings, log: Log): Promise<Row[]> {
  const rows: Row[] = [];
  // Per engine: the largest case measured so far (FLOPs, wall ms per run), to predict the next.
  const seen = new Map<string, { flops: number; ms: number }>();
  for (const c of matmulCases(s)) {
    const a = uniform(c.M * c.K, 11 + c.M + c.K, 1);
    const b = uniform(c.K * c.N, 13 + c.K + c.N, 1);
    const idx = sampleIndices(c.M * c.N, 64, 7);
    const want = matmulAt(c, a, b, idx);
    const flops = 2 * c.M * c.N * c.K;
    const big = flops >= 2 * 2048 ** 3;
    const large = flops >= 2 * 1024 ** 3;
    for (const e of engines) {
      if (!e.suites.includes('matmul')) continue;
      const prev = seen.get(e.name);
      const predicted = prev ? (prev.ms * flops) / prev.flops : 0;
      if (predicted > maxRunMs(s)) {
        const row: Row = { suite: 'matmul', case: c.label, engine: e.name, metric: null, timing: null, check: null, extra: { M: c.M, K: c.K, N: c.N, transA: c.transA, transB: c.transB, flops }, skipped: `predicted ${(predicted / 1000).toFixed(0)} s per run from ${(prev!.flops / 1e9).toPrecision(3)} GFLOP in ${(prev!.ms / 1000).toPrecision(3)} s; the limit is ${maxRunMs(s) / 1000} s` };
        log(`matmul | ${c.label} | ${e.name}: skipped (${row.skipped})`);
        rows.push(row);
        continue;
      }
      const row = await runOpCase(e, {
        suite: 'matmul',
        label: c.label,
        build: (en) => en.matmul(c, a, b),
        measure: big
          ? { warmup: 1, reps: s.slow ? 2 : 3, inner: 1, budgetMs: 45_000 }
          : large
            ? { warmup: 1, reps: s.slow ? 3 : 5, inner: 1, budgetMs: s.slow ? 25_000 : 20_000 }
            : { warmup: 2, reps: s.profile === 'quick' ? 3 : s.slow ? 5 : 7, inner: 0, targetMs: s.slow ? 60 : 30, maxInner: 32, budgetMs: 20_000 },
        check: (got) => compare(got, want, idx, 1e-4, 1e-4 + 1e-5 * c.K, `C = ${c.transA ? 'A^T' : 'A'} ${c.transB ? 'B^T' : 'B'} at 64 sampled entries`),
        metric: (t) => throughput(flops, t.ms, 1e9, 'GFLOP/s'),
        extra: { M: c.M, K: c.K, N: c.N, transA: c.transA, transB: c.transB, flops },
      }, log);
      if (row.timing && flops >= (prev?.flops ?? 0)) seen.set(e.name, { flops, ms: row.timing.ms.median });
      rows.push(row);
    }
  }
  return rows;
}
