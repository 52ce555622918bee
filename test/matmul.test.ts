// The matmul kernels, every variant forced in turn, against a float64 CPU matmul: M, N, K from
// {1, 3, 4, 17, 64, 65, 100, 257} (tile edges, vec4 and subgroup-chunk remainders), transposed
// reads, both batched forms, broadcast strides, grids split at the 65535-workgroup limit,
// fused bias/ReLU/sigmoid epilogues (equal to matmul + add + activation), and backward
// through the ops. Which variant the autotuner picks never matters here: each one is forced.
import { describe, expect, it } from 'vitest';
import { autotuneResults, matmul, runtime, tensor, type Tensor } from '../src/index.ts';
import { matmulKernel, type MatmulKernelArgs } from '../src/kernels/matmul.ts';
import { candidateVariants, chooseMatmulVariant, MATMUL, shapeClass, supportedVariants, TUNE_MIN_FLOPS, tuneMatmul } from '../src/kernels/matmul-tune.ts';
import { defaultVariant, MATMUL_VARIANT_NAMES, type MatmulDims, type MatmulVariant } from '../src/kernels/matmul-variants.ts';
import { autotuner, type TuneJob } from '../src/gpu/autotune.ts';
import { Runtime } from '../src/gpu/runtime.ts';

const DIMS = [1, 3, 4, 17, 64, 65, 100, 257];
const U = 2 ** -24; // f32 unit roundoff

/** Seeded uniform values in [-1, 1), exactly representable in f32. */
function rand(n: number, seed: number): Float32Array {
  let s = (seed * 2654435761) >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = ((s >>> 0) / 2 ** 32) * 2 - 1;
  }
  return out;
}

interface Ref {
  c: Float64Array;
  /** sum_k |a||b| per element: the scale of the rounding error of a K-term f32 sum. */
  mag: Float64Array;
}

/**
 * C[b] = opA(A[b]) opB(B[b]) in float64. opA reads A as [K, M] when transA, opB reads B as
 * [N, K] when transB; strides in elements (0 broadcasts).
 */
function cpuMatmul(a: Float32Array, b: Float32Array, d: { M: number; N: number; K: number; batch: number; sa: number; sb: number; transA?: boolean; transB?: boolean }): Ref {
  const { M, N, K, batch } = d;
  const c = new Float64Array(batch * M * N);
  const mag = new Float64Array(batch * M * N);
  for (let z = 0; z < batch; z++) {
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) {
        let s = 0;
        let g = 0;
        for (let k = 0; k < K; k++) {
          const x = a[z * d.sa + (d.transA ? k * M + m : m * K + k)];
          const y = b[z * d.sb + (d.transB ? n * K + k : k * N + n)];
          s += x * y;
          g += Math.abs(x * y);
        }
        c[(z * M + m) * N + n] = s;
        mag[(z * M + m) * N + n] = g;
      }
    }
  }
  return { c, mag };
}

/** |got - want| <= 2 (K + 2) u sum|a||b| + 1e-6: the f32 summation bound, relative to K. */
function expectNear(got: ArrayLike<number>, ref: Ref, K: number, what: string, post: (x: number) => number = (x) => x): void {
  expect(got.length, `${what}: element count`).toBe(ref.c.length);
  for (let i = 0; i < got.length; i++) {
    const want = post(ref.c[i]);
    const tol = 2 * (K + 2) * U * ref.mag[i] + 1e-6;
    if (!(Math.abs(got[i] - want) <= tol)) {
      expect.fail(`${what}: element ${i} is ${got[i]}, expected ${want} (tolerance ${tol.toExponential(2)})`);
    }
  }
}

const t = (data: Float32Array, shape: number[]) => tensor(data, { shape });

interface Case {
  M: number;
  N: number;
  K: number;
  batch?: number;
  bBatched?: boolean;
  transA?: boolean;
  transB?: boolean;
}

/** The case itself, or with M = 1 for a variant limited to matrix-vector products (gemv). */
function fitted(v: MatmulVariant, c: Case): Case {
  const fits = MATMUL.byName.get(v)?.fits;
  const d = { M: c.M, N: c.N, K: c.K, batch: c.batch ?? 1, aBatchStride: 0, bBatchStride: 0, transA: !!c.transA, transB: !!c.transB, hasBias: false, activation: 'none' } as const;
  return fits && !fits(d) ? { ...c, M: 1 } : c;
}

/** Run one case with variant `v` through matmulKernel and compare with the CPU. */
async function checkCase(v: MatmulVariant, original: Case, seed: number, extra: Partial<MatmulKernelArgs> = {}, post?: (x: number, n: number) => number): Promise<void> {
  const c = fitted(v, original);
  const { M, N, K } = c;
  const batch = c.batch ?? 1;
  const sa = batch > 1 ? M * K : 0;
  const sb = c.bBatched ? K * N : 0;
  const aData = rand(Math.max(1, batch) * M * K, seed);
  const bData = rand((c.bBatched ? batch : 1) * K * N, seed + 1);
  const a = t(aData, c.transA ? [batch, K, M] : [batch, M, K]);
  const b = t(bData, c.transB ? [c.bBatched ? batch : 1, N, K] : [c.bBatched ? batch : 1, K, N]);
  const out = matmulKernel({ a, b, M, N, K, batch, aBatchStride: sa, bBatchStride: sb, transA: c.transA, transB: c.transB, outShape: [batch, M, N], variant: v, ...extra });
  const got = await out.data();
  const ref = cpuMatmul(aData, bData, { M, N, K, batch, sa, sb, transA: c.transA, transB: c.transB });
  const what = `${v} ${JSON.stringify(c)}`;
  if (post) {
    const p = ref.c.map((x, i) => post(x, i % N));
    expectNear(got, { c: p, mag: ref.mag }, K, what);
  } else {
    expectNear(got, ref, K, what);
  }
  a.dispose();
  b.dispose();
  out.dispose();
}

/** A spread of (M, N, K) over DIMS: every M x N pair, with two K's each walking through DIMS. */
function spread(): Case[] {
  const cases: Case[] = [];
  DIMS.forEach((M, i) =>
    DIMS.forEach((N, j) => {
      cases.push({ M, N, K: DIMS[(i + j) % DIMS.length] });
      cases.push({ M, N, K: DIMS[(i + 2 * j + 3) % DIMS.length] });
    }),
  );
  return cases;
}

const VARIANTS = MATMUL_VARIANT_NAMES;
// Each variant compiles a dozen pipelines (defines x epilogues); lavapipe compiles them slowly
// when the machine is shared, so a variant's test may take minutes of compile time.
const SLOW = { timeout: 400_000 };

describe('matmul variants against float64', () => {
  it('this adapter runs every variant (lavapipe and SwiftShader have subgroups)', () => {
    const rt = runtime();
    const supported = supportedVariants(rt);
    expect(supported).toContain('tiled');
    expect(supported).toContain('rows');
    expect(supported).toContain(defaultVariant(rt));
    if (!rt.device.features.has('subgroups' as GPUFeatureName)) console.warn('no subgroups: sg* variants are skipped');
  });

  for (const v of VARIANTS) {
    const skip = () => !supportedVariants(runtime()).includes(v);

    it(`${v}: M, N, K over {${DIMS.join(', ')}} (128 shapes)`, SLOW, async (ctx) => {
      if (skip()) ctx.skip();
      let seed = 1;
      for (const c of spread()) await checkCase(v, c, (seed += 2));
    });

    it(`${v}: transposed reads (TRANS_A, TRANS_B, both)`, SLOW, async (ctx) => {
      if (skip()) ctx.skip();
      const shapes: [number, number, number][] = [[1, 1, 1], [3, 4, 17], [17, 65, 4], [64, 3, 100], [65, 100, 64], [100, 17, 257], [257, 64, 3], [4, 257, 65]];
      let seed = 500;
      for (const [M, N, K] of shapes) {
        for (const [transA, transB] of [[true, false], [false, true], [true, true]]) {
          await checkCase(v, { M, N, K, transA, transB }, (seed += 2));
        }
      }
    });

    it(`${v}: batched [B, M, K] x [K, N] (broadcast B) and [B, M, K] x [B, K, N]`, SLOW, async (ctx) => {
      if (skip()) ctx.skip();
      const shapes: [number, number, number, number][] = [[2, 1, 1, 1], [3, 17, 4, 65], [5, 4, 100, 3], [2, 65, 64, 17], [7, 3, 3, 257]];
      let seed = 900;
      for (const [batch, M, N, K] of shapes) {
        for (const bBatched of [false, true]) {
          await checkCase(v, { M, N, K, batch, bBatched }, (seed += 2));
          await checkCase(v, { M, N, K, batch, bBatched, transA: true, transB: true }, (seed += 2));
        }
      }
    });

    it(`${v}: fused bias + ReLU / sigmoid equals matmul + add + activation`, SLOW, async (ctx) => {
      if (skip()) ctx.skip();
      const shapes: [number, number, number][] = [[1, 1, 1], [3, 17, 4], [65, 64, 100], [100, 3, 257], [17, 257, 65]];
      let seed = 1300;
      for (const [M0, N, K] of shapes) {
        const { M } = fitted(v, { M: M0, N, K });
        const bias = rand(N, (seed += 2));
        const biasT = t(bias, [N]);
        const sig = (x: number) => 1 / (1 + Math.exp(-x));
        await checkCase(v, { M, N, K }, seed, { bias: biasT }, (x, n) => x + bias[n]);
        await checkCase(v, { M, N, K }, seed, { bias: biasT, activation: 'relu' }, (x, n) => Math.max(0, x + bias[n]));
        await checkCase(v, { M, N, K }, seed, { activation: 'sigmoid' }, (x) => sig(x));
        await checkCase(v, { M, N, K }, seed, { bias: biasT, activation: 'sigmoid' }, (x, n) => sig(x + bias[n]));

        // Fused == unfused, element for element.
        const a = t(rand(M * K, seed + 7), [M, K]);
        const w = t(rand(K * N, seed + 8), [K, N]);
        const base = { a, b: w, M, N, K, batch: 1, aBatchStride: 0, bBatchStride: 0, outShape: [M, N], variant: v } as const;
        const plain = matmulKernel(base);
        for (const act of ['none', 'relu', 'sigmoid'] as const) {
          const fused = matmulKernel({ ...base, bias: biasT, activation: act });
          const added = plain.add(biasT);
          const unfused = act === 'relu' ? added.relu() : act === 'sigmoid' ? added.sigmoid() : added;
          const [f, u] = [await fused.data(), await unfused.data()];
          for (let i = 0; i < f.length; i++) {
            const tol = act === 'sigmoid' ? 2e-7 : 0;
            if (!(Math.abs(f[i] - u[i]) <= tol)) expect.fail(`${v} ${act} [${M}, ${K}] x [${K}, ${N}]: fused ${f[i]} vs unfused ${u[i]} at ${i}`);
          }
          for (const x of new Set([fused, added, unfused])) x.dispose();
        }
        for (const x of [a, w, plain, biasT]) x.dispose();
      }
    });

    it(`${v}: backward through ops (dA = dY B^T, dB = A^T dY, summed over a broadcast batch)`, SLOW, async (ctx) => {
      // A variant with shape limits (gemv) cannot be forced on every matmul of a backward pass.
      if (skip() || MATMUL.byName.get(v)?.fits) ctx.skip();
      const prev = process.env.WEBGRAD_MATMUL;
      process.env.WEBGRAD_MATMUL = v;
      try {
        const cases: { a: number[]; b: number[] }[] = [
          { a: [3, 17], b: [17, 4] },
          { a: [65, 100], b: [100, 1] },
          { a: [2, 4, 65], b: [65, 17] },
          { a: [3, 17, 3], b: [3, 3, 64] },
        ];
        let seed = 1700;
        for (const { a: as, b: bs } of cases) {
          const batch = as.length === 3 ? as[0] : 1;
          const [M, K] = as.slice(-2);
          const N = bs[bs.length - 1];
          const bBatched = bs.length === 3;
          const aData = rand(batch * M * K, (seed += 3));
          const bData = rand((bBatched ? batch : 1) * K * N, seed + 1);
          const gData = rand(batch * M * N, seed + 2);
          const a = tensor(aData, { shape: as, requiresGrad: true });
          const b = tensor(bData, { shape: bs, requiresGrad: true });
          const dY = t(gData, batch > 1 ? [batch, M, N] : [M, N]);
          const y = matmul(a, b);
          expectNear(await y.data(), cpuMatmul(aData, bData, { M, N, K, batch, sa: M * K, sb: bBatched ? K * N : 0 }), K, `${v} forward ${as} x ${bs}`);
          y.mul(dY).sum().backward();
          // dA[z] = dY[z] (M x N) B[z]^T: B read as [N, K] transposed.
          const dA = cpuMatmul(gData, bData, { M, N: K, K: N, batch, sa: M * N, sb: bBatched ? K * N : 0, transB: true });
          expectNear(await a.grad!.data(), dA, N, `${v} dA ${as} x ${bs}`);
          // dB[z] = A[z]^T dY[z]; a shared B gets the sum over the batch (one K = batch * M sum).
          const dB = bBatched
            ? cpuMatmul(aData, gData, { M: K, N, K: M, batch, sa: M * K, sb: M * N, transA: true })
            : cpuMatmul(aData, gData, { M: K, N, K: batch * M, batch: 1, sa: 0, sb: 0, transA: true });
          expectNear(await b.grad!.data(), dB, batch * M, `${v} dB ${as} x ${bs}`);
          for (const x of [a, b, dY, y, a.grad!, b.grad!]) x.dispose();
        }
      } finally {
        if (prev === undefined) delete process.env.WEBGRAD_MATMUL;
        else process.env.WEBGRAD_MATMUL = prev;
      }
    });
  }
});

describe('matmul grids past the 65535-workgroup limit', () => {
  for (const v of ['tiled', 'sg4'] as const) {
    it(`${v}: batch 70000 on z is split into two dispatches`, async (ctx) => {
      if (!supportedVariants(runtime()).includes(v)) ctx.skip();
      const before = runtime().stats.dispatches;
      await checkCase(v, { M: 1, N: 3, K: 2, batch: 70000, bBatched: true }, 77);
      expect(runtime().stats.dispatches - before).toBe(2);
    });
  }
  it('rows: 530000 rows (66250 row blocks) on y is split into two dispatches', async () => {
    const before = runtime().stats.dispatches;
    await checkCase('rows', { M: 530000, N: 2, K: 3 }, 79);
    expect(runtime().stats.dispatches - before).toBe(2);
  });
});

describe('GPU-family variants on long K and M = 1', () => {
  const dimsOf = (M: number, N: number, K: number, transA = false): MatmulDims => ({
    M, N, K, batch: 1, aBatchStride: 0, bBatchStride: 0, transA, transB: false, hasBias: false, activation: 'none',
  });

  it('splitk: dW = X^T dY with K = 6000 splits k over workgroups, a second pass sums; reruns are bit-identical', async () => {
    const rt = runtime();
    const plan = MATMUL.byName.get('splitk')!.plan(rt, dimsOf(50, 10, 6000, true), 'test');
    expect(plan.scratch[0] / (50 * 10)).toBeGreaterThan(1); // several splits
    const before = rt.stats.dispatches;
    await checkCase('splitk', { M: 50, N: 10, K: 6000, transA: true }, 31);
    expect(rt.stats.dispatches - before).toBe(2);
    await checkCase('splitk', { M: 3, N: 65, K: 3001, batch: 3, bBatched: true, transB: true }, 33);
    const x = t(rand(6000 * 50, 5), [6000, 50]);
    const dy = t(rand(6000 * 10, 6), [6000, 10]);
    const args = { a: x, b: dy, M: 50, N: 10, K: 6000, batch: 1, aBatchStride: 0, bBatchStride: 0, transA: true, outShape: [50, 10], variant: 'splitk' } as const;
    const [r1, r2] = [matmulKernel(args), matmulKernel(args)];
    expect(Array.from(await r1.data())).toEqual(Array.from(await r2.data()));
    for (const z of [x, dy, r1, r2]) z.dispose();
  });

  it('gemv: M = 1 over long K, wide and narrow N, batched and transposed', async () => {
    let seed = 41;
    for (const c of [
      { M: 1, N: 1000, K: 5000 },
      { M: 1, N: 10, K: 4099 },
      { M: 1, N: 7, K: 3, batch: 4, bBatched: true },
      { M: 1, N: 130, K: 777, transB: true },
      { M: 1, N: 64, K: 300, transA: true, transB: true, batch: 2 },
    ]) await checkCase('gemv', c, (seed += 2));
  });
});

describe('matmul variant selection and autotuning', () => {
  const dims = (M: number, N: number, K: number): MatmulDims => ({
    M, N, K, batch: 1, aBatchStride: 0, bBatchStride: 0, transA: false, transB: false, hasBias: false, activation: 'none',
  });

  it('small matmuls take the default variant without timing', () => {
    const rt = runtime();
    const small = dims(64, 64, 64);
    expect(2 * 64 ** 3).toBeLessThan(TUNE_MIN_FLOPS);
    expect(chooseMatmulVariant(rt, small)).toBe(defaultVariant(rt, small));
    // Narrow outputs on lavapipe take block (a rows workgroup spans 64 columns); GPUs take tiled.
    const narrow = dims(64, 10, 64);
    expect(chooseMatmulVariant(rt, narrow)).toBe(rt.kind.cpu ? 'block' : 'tiled');
    expect(autotuner(rt).lookup(shapeClass(small))).toBeUndefined();
  });

  it('a background tuning job waits for the runtime\'s first result (cold start never waits for tuning)', async () => {
    // A second Runtime on the same device: its first readback has not happened yet.
    const base = runtime();
    const rt = new Runtime(base.device, base.adapter, {});
    const started: string[] = [];
    const job = (name: string): TuneJob => {
      started.push(name);
      return { candidates: [{ name, encode: () => undefined }], rounds: 1 };
    };
    // A key no earlier run can have persisted a winner for.
    const key = `test:cold:${process.pid}:${Date.now()}`;
    autotuner(rt).schedule(key, () => job('cold'));
    await new Promise((r) => setTimeout(r, 100));
    expect(started).toEqual([]); // no result yet: nothing compiled or timed
    const buf = rt.pool.acquire(16, 'test');
    await rt.read(buf, 16, 'test');
    await new Promise((r) => setTimeout(r, 50));
    await autotuner(rt).idle();
    expect(started).toEqual(['cold']);
    expect(autotuner(rt).lookup(key)).toBe('cold');
    rt.pool.release(buf);
  });

  it('an unknown or unsupported forced variant is a ValueError naming the variants', () => {
    const a = t(rand(4, 1), [2, 2]);
    expect(() => matmulKernel({ a, b: a, M: 2, N: 2, K: 2, batch: 1, aBatchStride: 0, bBatchStride: 0, outShape: [2, 2], variant: 'nope' as MatmulVariant })).toThrow(/unknown matmul variant 'nope'.*tiled/);
    a.dispose();
  });

  it('tuneMatmul times every candidate of the kernel family and caches the fastest for the shape class', async () => {
    const rt = runtime();
    const d = dims(192, 256, 160);
    const result = await tuneMatmul(rt, d);
    expect(Object.keys(result.times).sort()).toEqual([...candidateVariants(rt, d)].sort());
    expect(candidateVariants(rt, d)).toContain(defaultVariant(rt, d));
    for (const ms of Object.values(result.times)) expect(ms).toBeGreaterThan(0);
    expect(result.times[result.winner]).toBe(Math.min(...Object.values(result.times)));
    expect(autotuner(rt).lookup(shapeClass(d))).toBe(result.winner);
    expect(autotuneResults()).toContainEqual({ key: shapeClass(d), winner: result.winner, times: result.times });
    // A large matmul of that class now runs the winner (any variant gives the same numbers).
    const big = { ...d, M: 500, N: 500, K: 500 };
    expect(2 * 500 ** 3).toBeGreaterThanOrEqual(TUNE_MIN_FLOPS);
    expect(shapeClass(big)).toBe(shapeClass(d));
    expect(chooseMatmulVariant(rt, big)).toBe(result.winner);
  });
});
