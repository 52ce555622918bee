// The matmul variants: one record each (src/kernels/variants.ts) with its name, purpose,
// kernel families, adapter needs, shape limits and plan. The CPU-driver kernels are in
// shaders/matmul.wgsl, the GPU family's in shaders/matmul-gpu.wgsl; docs/ARCHITECTURE.md
// ("Matmul variants") says what each is for. matmul-tune.ts turns the records into the
// table the launcher and the autotuner ask.
import type { Runtime } from '../gpu/runtime.ts';
import { flatSteps, gemvPlan, gridSteps, matmulKey, shapeDefines, simplePlan, splitKPlan, tileInvocations, tilePlan, tileStorage, vec4Aligned, type MatmulDims, type TileShape } from './matmul-plan.ts';
import { subgroupMinSize, type VariantRecord } from './variants.ts';

export type { MatmulDims } from './matmul-plan.ts';
export { subgroupMinSize } from './variants.ts';

export type MatmulRecord = VariantRecord<MatmulDims>;

/** block: column blocks (of 8) per panel; 16 panels are 128 columns, K x 128 floats of B. */
const BLOCK_PANEL = 16;

/** rows / sg*: R = 8 rows x 4 * wg columns per workgroup; chunk > 0 broadcasts A over subgroups. */
function rowsRecord(name: string, chunk: 0 | 4 | 8, wg: number, purpose: string): MatmulRecord {
  return {
    name,
    purpose,
    families: chunk ? ['cpu', 'gpu'] : ['cpu'],
    needs: { invocations: wg, subgroupMinSize: chunk || undefined },
    plan(rt, d, op) {
      const defines = { ...shapeDefines(d), SUBGROUPS: chunk > 0, CHUNK8: chunk === 8, VEC4_B: vec4Aligned(d) };
      return { steps: gridSteps(rt, matmulKey('matmul', 'rows', defines, { WG: wg }), d, 8, 4 * wg, op), scratch: [] };
    },
  };
}

function tileRecord(name: string, t: TileShape, purpose: string, families: MatmulRecord['families'] = ['gpu']): MatmulRecord {
  return {
    name,
    purpose,
    families,
    needs: { invocations: tileInvocations(t), workgroupStorage: tileStorage(t) },
    // vec4 records fall back to scalar loads on unaligned shapes (same kernel otherwise):
    // timing them there would only time a duplicate.
    worthTiming: t.vec4 ? vec4Aligned : undefined,
    plan: (rt, d, op) => tilePlan(rt, t, d, op),
  };
}

const T64: TileShape = { tm: 64, tn: 64, rm: 4, rn: 4, bk: 16 };
const T128: TileShape = { tm: 128, tn: 128, rm: 8, rn: 8, bk: 8 };

/** Output tiles of 64 x 64 for `d`: split-K pays off when they cannot fill the GPU. */
function fewTiles(d: MatmulDims): boolean {
  return Math.ceil(d.M / 64) * Math.ceil(d.N / 64) * d.batch < 32 && d.K >= 1024;
}

export const MATMUL_RECORDS: readonly MatmulRecord[] = [
  tileRecord('tiled', T64, '64 x 64 tiles, 4 x 4 per invocation, BK 16: the GPU default', ['cpu', 'gpu']),
  rowsRecord('rows', 0, 16, 'CPU drivers: no workgroup memory, 8 rows x 4 columns per invocation'),
  rowsRecord('sg4', 4, 16, 'rows + subgroupBroadcast of A over 4 k-steps (lavapipe default; GPUs with subgroups)'),
  rowsRecord('sg8', 8, 16, 'rows + subgroupBroadcast of A over 8 k-steps'),
  rowsRecord('sg8w32', 8, 32, 'sg8 with 32 invocations (128 columns) per workgroup'),
  {
    name: 'block',
    purpose: 'SwiftShader (and lavapipe for N < 64): 8 x 8 per invocation in named registers',
    families: ['cpu'],
    needs: { invocations: 64 },
    plan: (rt, d) => ({ steps: flatSteps(rt, matmulKey('matmul', 'block', shapeDefines(d), { WG: 64, PANEL: BLOCK_PANEL }), d, 64), scratch: [] }),
  },
  tileRecord('t64k8', { ...T64, bk: 8 }, '64 x 64, BK 8: half the staging memory, more workgroups resident'),
  tileRecord('t64k32', { ...T64, bk: 32 }, '64 x 64, BK 32: half the barriers per k'),
  tileRecord('t64r8x4', { ...T64, rm: 8 }, '64 x 64 with 8 x 4 per invocation (128 invocations): more reuse of B per load'),
  tileRecord('t64v4', { ...T64, vec4: true }, '64 x 64 with vec4 loads of B and vec4 stores of C (N % 4 == 0)'),
  tileRecord('t64db', { ...T64, doubleBuf: true }, '64 x 64 double-buffered: the next k block loads while this one multiplies'),
  tileRecord('t128', T128, '128 x 128 tiles, 8 x 8 per invocation, BK 8: large matrices (4x the reuse of 64 x 64 with 4 x 4)'),
  tileRecord('t128k16', { ...T128, bk: 16 }, '128 x 128, BK 16 (16 KiB of staging)'),
  tileRecord('t128v4db', { ...T128, vec4: true, doubleBuf: true }, '128 x 128, vec4 B and C, double-buffered (16 KiB)'),
  {
    name: 'simple',
    purpose: 'cold start (any adapter): one invocation per output, a plain k loop, transposes and epilogue as run-time flags (one pipeline for every matmul); compiles in well under 0.1 s where rows / block take 0.7-1.5 s on lavapipe',
    families: [],
    needs: { invocations: 64 },
    plan: (rt, d) => simplePlan(rt, d),
  },
  {
    name: 'splitk',
    purpose: 'skinny outputs with a long K (dW = X^T dY over a large batch): k split over workgroups, partials summed in order by a second pass',
    families: ['gpu'],
    needs: { invocations: tileInvocations(T64), workgroupStorage: tileStorage(T64) },
    worthTiming: fewTiles,
    plan: (rt, d, op) => splitKPlan(rt, T64, d, op),
  },
  {
    name: 'gemv',
    purpose: 'M = 1 (a matrix-vector product): 64 columns per workgroup, k split over 16 lanes, reduced in workgroup memory',
    families: ['gpu'],
    needs: { invocations: 256 },
    fits: (d) => d.M === 1,
    plan: (rt, d, op) => gemvPlan(rt, d, op),
  },
];

export const MATMUL_VARIANT_NAMES = MATMUL_RECORDS.map((r) => r.name);
export type MatmulVariant = (typeof MATMUL_VARIANT_NAMES)[number];

/**
 * The variant used without timing. GPUs: gemv for M = 1, split-K when 64 x 64 tiles cannot
 * fill the GPU and K is long, else tiled. SwiftShader: block (1-3x faster than tiled and 3-4x
 * faster than rows on its JIT, bench/matmul-quick.ts). Other CPU adapters: sg4 (else rows),
 * which won 3 of the 4 MLP shapes below the tuning threshold on lavapipe (matmul-tune.ts),
 * except for N < 64: a rows workgroup spans 64 columns, so most of its invocations would
 * idle, and block (8 columns an invocation) ran 64x512x10 2x faster there.
 */
export function defaultVariant(rt: Runtime, d?: Partial<MatmulDims>): MatmulVariant {
  if (rt.kind.swiftshader) return 'block';
  if (!rt.kind.cpu) {
    if (d?.M === 1) return 'gemv';
    if (d?.M !== undefined && d.N !== undefined && d.K !== undefined && fewTiles({ ...(d as MatmulDims), batch: d.batch ?? 1 })) return 'splitk';
    return 'tiled';
  }
  if (d?.N !== undefined && d.N < 64) return 'block';
  if (subgroupMinSize(rt) >= 4) return 'sg4';
  return 'rows';
}
