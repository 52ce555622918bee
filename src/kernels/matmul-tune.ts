// The matmul variant table: the records of matmul-variants.ts plus the policy the table
// applies (src/kernels/variants.ts, select()): small matmuls never wait for timing (below
// TUNE_MIN_FLOPS the default runs), and a new class of large shapes runs the default while
// its tuning job times the family's candidates in the background (src/gpu/autotune.ts).
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
// On SwiftShader block wins every shape by 2-8x (see defaultVariant). The GPU family's
// candidates (t64*, t128*, splitk, gemv) have not been timed on a real GPU yet.
import { autotuner, type TuneJob, type TuneResult } from '../gpu/autotune.ts';
import type { Runtime } from '../gpu/runtime.ts';
import { defaultVariant, MATMUL_RECORDS, type MatmulDims, type MatmulRecord, type MatmulVariant } from './matmul-variants.ts';
import { planJob, VariantTable } from './variants.ts';

/** Below this many flops a matmul takes the default variant without timing. */
export const TUNE_MIN_FLOPS = 2 ** 27;
/**
 * Up to this many flops a matmul whose chosen variant is not compiled yet runs 'simple'
 * instead (MATMUL's coldStart). On lavapipe simple ran 7x slower than block (0.2-0.5 GFLOP/s,
 * ~40 ms for a 100 x 784 x 50 layer on a loaded host), but block took 0.7-1.5 s (3-9 s
 * loaded) to compile per epilogue and transpose combination: at 2^26 flops simple costs at
 * most ~0.3 s, well under one compile.
 */
export const COLD_MAX_FLOPS = 2 ** 26;
/** Background jobs time a shape of the class scaled down to at most this many flops. */
const TUNE_MAX_FLOPS = 2 ** 29;
/** Scaling a shape down for timing keeps at least this many rows (enough workgroups for every core). */
const TUNE_MIN_ROWS = 128;

/** Shape class: transposes, vec4 alignment and a coarse size bucket per dimension (M = 1 apart). */
export function shapeClass(d: MatmulDims): string {
  const bucket = (x: number) => (x < 64 ? 's' : x < 512 ? 'm' : x < 1536 ? 'l' : 'x');
  const vec4 = !d.transB && d.N % 4 === 0 && d.bBatchStride % 4 === 0 ? 'v4' : 'v1';
  return `matmul:${d.transA ? 'T' : 'N'}${d.transB ? 'T' : 'N'}:${vec4}:${d.M === 1 ? '1' : bucket(d.M)}${bucket(d.N)}${bucket(d.K)}`;
}

export const MATMUL = new VariantTable<MatmulDims>(MATMUL_RECORDS, {
  kind: 'matmul',
  shapeClass,
  defaultFor: (rt, d) => defaultVariant(rt, d),
  worthTuning: (d) => 2 * d.M * d.N * d.K * d.batch >= TUNE_MIN_FLOPS,
  tuneJob: (rt, d, candidates, scaled) => matmulTuneJob(rt, d, candidates, scaled ? TUNE_MAX_FLOPS : Infinity),
  coldStart: { variant: 'simple', fits: (d) => 2 * d.M * d.N * d.K * d.batch <= COLD_MAX_FLOPS },
});

/** Every variant this adapter can run (forced or tuned). */
export function supportedVariants(rt: Runtime): MatmulVariant[] {
  return MATMUL.records.filter((r) => MATMUL.supported(rt, r)).map((r) => r.name);
}

/** The variants the autotuner times for `d` on this adapter's kernel family. */
export function candidateVariants(rt: Runtime, d: MatmulDims): MatmulVariant[] {
  return MATMUL.candidates(rt, d).map((r) => r.name);
}

/** The variant for `d` when none is forced (the launcher asks MATMUL.select directly). */
export function chooseMatmulVariant(rt: Runtime, d: MatmulDims): MatmulVariant {
  return MATMUL.select(rt, d, undefined, 'matmul').name;
}

/** Time every candidate on `d` (full size) now and cache the winner for its class. */
export async function tuneMatmul(rt: Runtime, d: MatmulDims): Promise<TuneResult> {
  return autotuner(rt).tune(shapeClass(d), matmulTuneJob(rt, d, MATMUL.candidates(rt, d), Infinity));
}

/** A job timing `candidates` on one matrix of `d`'s shape (scaled to `maxFlops`). */
function matmulTuneJob(rt: Runtime, full: MatmulDims, candidates: MatmulRecord[], maxFlops: number): Promise<TuneJob> {
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
  // The scaled shape may leave a candidate's limits (gemv needs M = 1, kept by the scaling).
  const fitting = candidates.filter((r) => r.fits?.(d) ?? true);
  return planJob(rt, d, fitting, [d.M * d.K, d.K * d.N, 4, d.M * d.N], 'autotune');
}
