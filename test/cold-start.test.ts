// Cold start (src/kernels/variants.ts, TableOptions.coldStart): while the matmul variant a
// launch selects has not been compiled, a small matmul runs the quick-to-compile 'simple'
// record instead, the selected pipelines are warmed up in the background after the first
// result, and later launches switch to them, compiled once. This file runs in its own worker,
// so its runtime starts with no pipeline compiled.
import { describe, expect, it } from 'vitest';
import { autotuneIdle, capture, runtime, tensor, type Tensor } from '../src/index.ts';
import { COLD_MAX_FLOPS, MATMUL } from '../src/kernels/matmul-tune.ts';
import type { MatmulDims } from '../src/kernels/matmul-variants.ts';
import { empty } from '../src/tensor.ts';

const dims = (M: number, N: number, K: number, extra: Partial<MatmulDims> = {}): MatmulDims => ({
  M, N, K, batch: 1, aBatchStride: 0, bBatchStride: 0, transA: false, transB: false, hasBias: false, activation: 'none', ...extra,
});

function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (((i * 7919 + seed * 104729) % 2003) / 1001.5 - 1) * 0.5;
  return out;
}

/** One launch through the table on fresh operands; returns the record that ran and C. */
async function launch(d: MatmulDims, forced?: string): Promise<{ ran: string; c: Float32Array }> {
  const rt = runtime();
  const a = tensor(values(d.M * d.K, 1), { shape: d.transA ? [d.K, d.M] : [d.M, d.K] });
  const b = tensor(values(d.K * d.N, 2), { shape: d.transB ? [d.N, d.K] : [d.K, d.N] });
  const bias = tensor(values(d.N, 3), { shape: [d.N] });
  const out: Tensor = empty([d.M, d.N], 'f32', 'test');
  const ran = MATMUL.launch(rt, d, forced, [a.buffer('test'), b.buffer('test'), d.hasBias ? bias.buffer('test') : rt.placeholder('read'), out.buffer('test')], 'test');
  const c = (await out.data()) as Float32Array;
  for (const t of [a, b, bias, out]) t.dispose();
  return { ran: ran.name, c };
}

describe('cold start: the simple matmul stands in while the selected variant compiles', () => {
  it('runs simple first, warms the selected variant up once, then switches to it with the same values', async () => {
    const rt = runtime();
    const d = dims(37, 29, 53, { hasBias: true, activation: 'relu', transA: true });
    const chosen = MATMUL.select(rt, d, undefined, 'test');
    expect(chosen.name).not.toBe('simple');
    const keys = chosen.plan(rt, d, 'test').steps.map((s) => s.key);
    expect(rt.pipelines.ready(keys)).toBe(false);

    const cold = await launch(d);
    expect(cold.ran).toBe('simple');
    await autotuneIdle(); // the warm-up ran after that first result
    expect(rt.pipelines.ready(keys)).toBe(true);

    const created = rt.pipelines.stats.pipelinesCreated;
    const warm = await launch(d);
    expect(warm.ran).toBe(chosen.name);
    expect(rt.pipelines.stats.pipelinesCreated).toBe(created); // compiled by the warm-up, not again
    // Both sum over k in order: equal up to contraction of a * b + c into an fma.
    for (let i = 0; i < cold.c.length; i++) expect(Math.abs(cold.c[i] - warm.c[i])).toBeLessThanOrEqual(1e-6 * (1 + Math.abs(warm.c[i])));
    expect(cold.c.some((x) => x > 0)).toBe(true);
  });

  it('one simple pipeline serves every transpose and epilogue (run-time flags, not defines)', async () => {
    const rt = runtime();
    const simple = MATMUL.byName.get('simple')!;
    const key = (d: MatmulDims) => JSON.stringify(simple.plan(rt, d, 'test').steps[0].key);
    const shapes = [dims(5, 6, 7), dims(5, 6, 7, { transA: true, transB: true }), dims(5, 6, 7, { hasBias: true, activation: 'sigmoid' })];
    expect(new Set(shapes.map(key)).size).toBe(1);
  });

  it('a forced variant, a capture and a large matmul never stand in', async () => {
    const rt = runtime();
    const d = dims(19, 11, 23, { transB: true });
    const chosen = MATMUL.select(rt, d, undefined, 'test').name;
    expect((await launch(d, chosen)).ran).toBe(chosen);
    // Inside capture() the selected variant runs even when cold (a replay would keep a stand-in).
    const c = dims(13, 9, 21, { hasBias: true, activation: 'sigmoid' });
    const a = tensor(values(13 * 21, 4), { shape: [13, 21] });
    const b = tensor(values(21 * 9, 5), { shape: [21, 9] });
    let ran = '';
    const step = capture(() => {
      const out = empty([13, 9], 'f32', 'test');
      ran = MATMUL.launch(rt, c, undefined, [a.buffer('test'), b.buffer('test'), a.buffer('test'), out.buffer('test')], 'test').name;
      return out;
    });
    const out = step.run();
    expect(ran).toBe(MATMUL.select(rt, c, undefined, 'test').name);
    await out.data();
    step.dispose();
    for (const t of [a, b]) t.dispose();
    const big = dims(512, 512, 512);
    expect(2 * 512 ** 3).toBeGreaterThan(COLD_MAX_FLOPS);
    expect(MATMUL.options.coldStart!.fits(big)).toBe(false);
    expect(MATMUL.options.coldStart!.fits(d)).toBe(true);
  });
});
