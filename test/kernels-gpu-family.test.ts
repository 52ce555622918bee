// The GPU kernel family on this machine's CPU adapter: WEBGRAD_KERNELS=gpu makes init() pick
// the workgroup-memory variants (tree reductions, one workgroup per softmax row, tiled matmul
// and transpose)
// that real GPUs run, so they stay tested here where the default is the barrier-free CPU
// family. The matmul-op, reduction, softmax and shape suites below run again, unchanged, under
// that setting (test/matmul.test.ts forces every matmul variant, GPU ones included).
import { describe, expect, it } from 'vitest';
import { runtime } from '../src/index.ts';
import { candidateVariants, shapeClass, tuneMatmul } from '../src/kernels/matmul-tune.ts';
import { autotuner } from '../src/gpu/autotune.ts';
import { defaultVariant, type MatmulDims } from '../src/kernels/matmul-variants.ts';
import './ops-matmul.test.ts';
import './ops-reduce.test.ts';
import './ops-softmax.test.ts';
import './ops-loss.test.ts';
import './ops-shape.test.ts';
import './numerics.test.ts';
import './ops-layernorm.test.ts';
import './ops-norm.test.ts';
import './ops-conv.test.ts';
import './ops-pool.test.ts';
import './ops-attention.test.ts';
import './elementwise-variants.test.ts';

// Read by init() in test/setup.ts's beforeAll, which runs after this module is evaluated.
process.env.WEBGRAD_KERNELS = 'gpu';

describe('kernel family', () => {
  it('WEBGRAD_KERNELS=gpu selects the GPU family and the tiled matmul', () => {
    const rt = runtime();
    expect(rt.kind.cpu).toBe(false);
    expect(rt.kind.swiftshader).toBe(false);
    expect(defaultVariant(rt, { N: 10 })).toBe('tiled');
  });

  const dims = (M: number, N: number, K: number, transA = false): MatmulDims => ({
    M, N, K, batch: 1, aBatchStride: 0, bBatchStride: 0, transA, transB: false, hasBias: false, activation: 'none',
  });

  it('the autotuner chooses among the GPU candidates per shape class (gemv for M = 1, split-K for few tiles and a long K)', () => {
    const rt = runtime();
    const square = candidateVariants(rt, dims(512, 512, 512));
    for (const v of ['tiled', 't64k8', 't64k32', 't64r8x4', 't64v4', 't64db', 't128', 't128k16', 't128v4db']) expect(square).toContain(v);
    // CPU-driver kernels are not timed on GPUs; the subgroup ones are where the adapter has subgroups.
    expect(square).not.toContain('block');
    expect(square).not.toContain('rows');
    expect(square.includes('sg4')).toBe(rt.device.features.has('subgroups' as GPUFeatureName));
    expect(square).not.toContain('gemv');
    expect(square).not.toContain('splitk');
    expect(candidateVariants(rt, dims(1, 512, 512))).toContain('gemv');
    expect(candidateVariants(rt, dims(50, 10, 6000, true))).toContain('splitk');
    expect(candidateVariants(rt, dims(512, 510, 512))).not.toContain('t64v4'); // unaligned: the same kernel as tiled
    expect(defaultVariant(rt, dims(1, 512, 512))).toBe('gemv');
    expect(defaultVariant(rt, dims(50, 10, 6000, true))).toBe('splitk');
    expect(defaultVariant(rt, dims(512, 512, 512))).toBe('tiled');
  });

  it('tuneMatmul on the GPU family times every GPU candidate of the class and caches the fastest', { timeout: 400_000 }, async () => {
    const rt = runtime();
    const d = dims(192, 256, 160);
    const result = await tuneMatmul(rt, d);
    expect(Object.keys(result.times).sort()).toEqual(candidateVariants(rt, d).sort());
    expect(Object.keys(result.times)).toContain('t128v4db');
    for (const ms of Object.values(result.times)) expect(ms).toBeGreaterThan(0);
    expect(result.times[result.winner]).toBe(Math.min(...Object.values(result.times)));
    expect(autotuner(rt).lookup(shapeClass(d))).toBe(result.winner);
  });
});
