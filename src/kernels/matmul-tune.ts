// Which matmul variant runs: a forced one, the autotuned winner of the shape's class, or the
// adapter's default. Small matmuls never wait for timing: below TUNE_MIN_FLOPS the default
// runs, and a new class of large shapes runs the default while its tuning job runs in the
// background (src/gpu/autotune.ts).
//
// What won on Mesa 25.0 lavapipe (LLVM 15, 256-bit SIMD, 2 cores): sg4 / sg8 (one or the
// other by shape and by run), then rows, with 'tiled' 3-5x slower. llvmpipe runs 8
// invocations as one SIMD vector and turns each storage load into a per-lane loop (about as
// slow for an address all lanes share as for 8 different ones), and a barrier is a coroutine
// switch, so workgroup memory only adds cost. The rows kernels read each vec4 of B once for
// 32 multiply-adds, and subgroupBroadcast spreads one lane-wise load of A over 4 or 8
// k-steps, so loads stop dominating. 1024^2, idle machine, waiting without Dawn's busy poll:
// tiled ~3-4.5 GFLOP/s, rows ~9-12, sg4/sg8 ~12-22 (the host's speed varied 2x over the
// session); bench/matmul-quick.ts prints the current numbers. block (8 x 8 per invocation in
// named registers) is close to sg4 there and wins narrow outputs (N = 10) and dW = X^T dY.
// On SwiftShader block wins every shape by 2-8x (see defaultVariant).
import { autotuner, type TuneJob, type TuneResult } from '../gpu/autotune.ts';
import type { Runtime } from '../gpu/runtime.ts';
import { defaultVariant, MATMUL_VARIANTS, planMatmul, supportedVariants, variantSupported, type MatmulDims, type MatmulVariant } from './matmul-variants.ts';

/** Below this many flops a matmul takes the default variant without timing. */
export const TUNE_MIN_FLOPS = 2 ** 27;
/** Background jobs time a shape of the class scaled down to at most this many flops. */
const TUNE_MAX_FLOPS = 2 ** 29;
/** Scaling a shape down for timing keeps at least this many rows (enough workgroups for every core). */
const TUNE_MIN_ROWS = 128;

/** Shape class: transposes, vec4 alignment and a coarse size bucket per dimension. */
export function shapeClass(d: MatmulDims): string {
  const bucket = (x: number) => (x < 64 ? 's' : x < 512 ? 'm' : x < 1536 ? 'l' : 'x');
  const vec4 = !d.transB && d.N % 4 === 0 && d.bBatchStride % 4 === 0 ? 'v4' : 'v1';
  return `matmul:${d.transA ? 'T' : 'N'}${d.transB ? 'T' : 'N'}:${vec4}:${bucket(d.M)}${bucket(d.N)}${bucket(d.K)}`;
}

/** The variant for `d` when none is forced. */
export function chooseMatmulVariant(rt: Runtime, d: MatmulDims): MatmulVariant {
  if (2 * d.M * d.N * d.K * d.batch < TUNE_MIN_FLOPS) return defaultVariant(rt, d);
  const tuner = autotuner(rt);
  const key = shapeClass(d);
  const hit = tuner.lookup(key);
  if (hit && hit in MATMUL_VARIANTS && variantSupported(rt, hit as MatmulVariant)) return hit as MatmulVariant;
  tuner.schedule(key, () => matmulTuneJob(rt, d, TUNE_MAX_FLOPS));
  return defaultVariant(rt, d);
}

/** Time every supported variant on `d` (full size) now and cache the winner for its class. */
export async function tuneMatmul(rt: Runtime, d: MatmulDims): Promise<TuneResult> {
  return autotuner(rt).tune(shapeClass(d), matmulTuneJob(rt, d, Infinity));
}

/** A job timing each supported variant on one matrix of `d`'s shape (scaled to `maxFlops`). */
function matmulTuneJob(rt: Runtime, full: MatmulDims, maxFlops: number): TuneJob {
  const d: MatmulDims = { ...full, batch: 1, aBatchStride: 0, bBatchStride: 0, hasBias: false, activation: 'none' };
  // Fewer rows first: every band of rows streams all of opB, so cutting M keeps opB's size
  // against the CPU's caches, which a cut in K or N would shrink. (On lavapipe sg8 ran 2048^3
  // at 40-60% of sg4's speed while the two were even at 1024^3: the ranking depends on it.)
  while (2 * d.M * d.N * d.K > maxFlops && d.M > TUNE_MIN_ROWS) d.M = Math.max(TUNE_MIN_ROWS, Math.ceil(d.M / 2));
  while (2 * d.M * d.N * d.K > maxFlops) {
    if (d.K >= d.M && d.K >= d.N) d.K = Math.ceil(d.K / 2);
    else if (d.M >= d.N) d.M = Math.ceil(d.M / 2);
    else d.N = full.N % 4 === 0 ? Math.ceil(d.N / 8) * 4 : Math.ceil(d.N / 2);
  }
  const device = rt.device;
  const storage = (elems: number, label: string) =>
    device.createBuffer({ label: `webgrad:autotune-${label}`, size: Math.max(16, Math.ceil(elems / 4) * 16), usage: GPUBufferUsage.STORAGE });
  const buffers = [storage(d.M * d.K, 'A'), storage(d.K * d.N, 'B'), storage(4, 'bias'), storage(d.M * d.N, 'C')];
  const uniforms: GPUBuffer[] = [];
  const candidates = supportedVariants(rt).map((v) => {
    const plan = planMatmul(rt, v, d, 'autotune');
    const kernel = rt.pipelines.get(plan.key);
    const launches = plan.launches.map((l) => {
      const u = device.createBuffer({ label: 'webgrad:autotune-params', size: l.params.byteLength, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
      device.queue.writeBuffer(u, 0, l.params);
      uniforms.push(u);
      const entries = [u, ...buffers].map((buffer, binding) => ({ binding, resource: { buffer } }));
      return { grid: l.grid, bindGroup: device.createBindGroup({ label: `webgrad:autotune:${v}`, layout: kernel.layout, entries }) };
    });
    return {
      name: v,
      encode(pass: GPUComputePassEncoder) {
        pass.setPipeline(kernel.pipeline);
        for (const l of launches) {
          pass.setBindGroup(0, l.bindGroup);
          pass.dispatchWorkgroups(...l.grid);
        }
      },
    };
  });
  return {
    candidates,
    dispose() {
      for (const b of [...buffers, ...uniforms]) b.destroy();
    },
  };
}
