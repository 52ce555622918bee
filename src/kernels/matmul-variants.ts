// The matmul kernel variants, which adapters can run them, and how one launch is planned
// (defines, grid, Params, grid splits at the per-dimension workgroup limit). The launcher
// (matmul.ts) and the autotuner (matmul-tune.ts) both build launches from planMatmul().
import { LimitError, ValueError } from '../errors.ts';
import type { KernelKey } from '../gpu/pipelines.ts';
import type { Runtime } from '../gpu/runtime.ts';
import { ParamWriter } from './launch.ts';

export interface VariantSpec {
  /** Entry point of shaders/matmul.wgsl. */
  entry: 'tiled' | 'rows' | 'block';
  /** Subgroup broadcast chunk (0: no subgroups). Needs a subgroup size >= chunk. */
  chunk: 0 | 4 | 8;
  /** Invocations per workgroup. */
  wg: number;
  /** Rows and columns of C per workgroup (block: per invocation; its grid is flattened). */
  tileM: number;
  tileN: number;
}

/**
 * tiled    64 x 64 tiles staged in workgroup memory, 4 x 4 per invocation (GPUs).
 * rows     no workgroup memory: 8 rows x 4 columns per invocation, rows shared by the workgroup.
 * sg4/sg8  rows + subgroupBroadcast of A over 4 / 8 k-steps (one A load per chunk).
 * sg8w32   sg8 with 32 invocations (128 columns) per workgroup.
 * block    no workgroup memory, no arrays: 8 x 8 of C per invocation in named registers
 *          (SwiftShader, whose JIT spills arrays indexed in loops to memory).
 */
export const MATMUL_VARIANTS = {
  tiled: { entry: 'tiled', chunk: 0, wg: 256, tileM: 64, tileN: 64 },
  rows: { entry: 'rows', chunk: 0, wg: 16, tileM: 8, tileN: 64 },
  sg4: { entry: 'rows', chunk: 4, wg: 16, tileM: 8, tileN: 64 },
  sg8: { entry: 'rows', chunk: 8, wg: 16, tileM: 8, tileN: 64 },
  sg8w32: { entry: 'rows', chunk: 8, wg: 32, tileM: 8, tileN: 128 },
  block: { entry: 'block', chunk: 0, wg: 64, tileM: 8, tileN: 8 },
} as const satisfies Record<string, VariantSpec>;

export type MatmulVariant = keyof typeof MATMUL_VARIANTS;

/** block: column blocks (of 8) per panel; 16 panels are 128 columns, K x 128 floats of B. */
const BLOCK_PANEL = 16;
export const MATMUL_VARIANT_NAMES = Object.keys(MATMUL_VARIANTS) as MatmulVariant[];

export interface MatmulDims {
  M: number;
  N: number;
  K: number;
  batch: number;
  /** Elements between consecutive matrices of each operand (0 broadcasts it). */
  aBatchStride: number;
  bBatchStride: number;
  transA: boolean;
  transB: boolean;
  hasBias: boolean;
  activation: 'none' | 'relu' | 'sigmoid';
}

/** The smallest subgroup size the adapter may use; 0 without the 'subgroups' feature. */
export function subgroupMinSize(rt: Runtime): number {
  if (!rt.device.features.has('subgroups' as GPUFeatureName)) return 0;
  const info = (rt.device as unknown as { adapterInfo?: { subgroupMinSize?: number } }).adapterInfo;
  return info?.subgroupMinSize ?? 4; // WebGPU guarantees at least 4
}

export function variantSupported(rt: Runtime, v: MatmulVariant): boolean {
  const s: VariantSpec = MATMUL_VARIANTS[v];
  if (s.wg > rt.limits.maxComputeInvocationsPerWorkgroup) return false;
  if (s.entry === 'tiled' && rt.limits.maxComputeWorkgroupStorageSize < 8192) return false;
  return s.chunk === 0 || subgroupMinSize(rt) >= s.chunk;
}

export function supportedVariants(rt: Runtime): MatmulVariant[] {
  return MATMUL_VARIANT_NAMES.filter((v) => variantSupported(rt, v));
}

/**
 * The variant used without timing: tiled on GPUs; block on SwiftShader (1-3x faster than
 * tiled and 3-4x faster than rows on its JIT, bench/matmul-quick.ts); on other CPU adapters
 * sg4 (else rows), which won 3 of the 4 MLP shapes below the tuning threshold on lavapipe
 * (matmul-tune.ts), except for N < 64: a rows workgroup spans 64 columns, so most of its
 * invocations would idle, and block (8 columns an invocation) ran 64x512x10 2x faster there.
 */
export function defaultVariant(rt: Runtime, d?: Pick<MatmulDims, 'N'>): MatmulVariant {
  if (rt.kind.swiftshader) return 'block';
  if (!rt.kind.cpu) return 'tiled';
  if (d && d.N < 64) return 'block';
  if (variantSupported(rt, 'sg4')) return 'sg4';
  return 'rows';
}

/** Validate a forced variant (option or WEBGRAD_MATMUL). */
export function checkVariant(rt: Runtime, v: string, op: string): MatmulVariant {
  if (!(v in MATMUL_VARIANTS)) {
    throw new ValueError(op, `unknown matmul variant '${v}' (one of ${MATMUL_VARIANT_NAMES.join(', ')})`);
  }
  if (!variantSupported(rt, v as MatmulVariant)) {
    throw new ValueError(op, `matmul variant '${v}' needs features or limits this adapter lacks (subgroup min size ${subgroupMinSize(rt)})`);
  }
  return v as MatmulVariant;
}

export interface MatmulLaunch {
  params: Uint8Array<ArrayBuffer>;
  grid: [number, number, number];
}

export interface MatmulPlan {
  key: KernelKey;
  launches: MatmulLaunch[];
}

/** Defines, constants and the (split) grid for one matmul with variant `v`. */
export function planMatmul(rt: Runtime, v: MatmulVariant, d: MatmulDims, op: string): MatmulPlan {
  const s: VariantSpec = MATMUL_VARIANTS[v];
  const rows = s.entry !== 'tiled';
  const key: KernelKey = {
    shader: 'matmul',
    entry: s.entry,
    defines: {
      TRANS_A: d.transA,
      TRANS_B: d.transB,
      HAS_BIAS: d.hasBias,
      ACT_RELU: d.activation === 'relu',
      ACT_SIGMOID: d.activation === 'sigmoid',
      SUBGROUPS: s.chunk > 0,
      CHUNK8: s.chunk === 8,
      VEC4_B: rows && !d.transB && d.N % 4 === 0 && d.bBatchStride % 4 === 0,
    },
    constants: s.entry === 'block' ? { WG: s.wg, PANEL: BLOCK_PANEL } : rows ? { WG: s.wg } : {},
    bindings: ['uniform', 'read', 'read', 'read', 'rw'],
  };
  const max = rt.limits.maxComputeWorkgroupsPerDimension;
  if (s.entry === 'block') return { key, launches: planFlat(d, s, max) };
  const gx = Math.ceil(d.N / s.tileN);
  const gy = Math.ceil(d.M / s.tileM);
  if (gx > max) throw new LimitError(op, `N = ${d.N} needs ${gx} workgroups along x, over the limit of ${max}`);
  const launches: MatmulLaunch[] = [];
  if (d.M === 0 || d.N === 0 || d.batch === 0) return { key, launches };
  for (let z0 = 0; z0 < d.batch; z0 += max) {
    for (let y0 = 0; y0 < gy; y0 += max) {
      launches.push({ params: matmulParams(d, z0, y0), grid: [gx, Math.min(max, gy - y0), Math.min(max, d.batch - z0)] });
    }
  }
  return { key, launches };
}

/** block: one invocation per tileM x tileN block, counted along x then y; batches on z. */
function planFlat(d: MatmulDims, s: VariantSpec, max: number): MatmulLaunch[] {
  const launches: MatmulLaunch[] = [];
  const blocks = Math.ceil(d.M / s.tileM) * Math.ceil(d.N / s.tileN);
  if (blocks === 0 || d.batch === 0) return launches;
  const groups = Math.ceil(blocks / s.wg);
  const gx = Math.min(groups, max);
  const gy = Math.ceil(groups / gx);
  for (let z0 = 0; z0 < d.batch; z0 += max) {
    launches.push({ params: matmulParams(d, z0, 0), grid: [gx, gy, Math.min(max, d.batch - z0)] });
  }
  return launches;
}

/** The shader's Params for the dispatch starting at batch z0 and row block y0. */
function matmulParams(d: MatmulDims, z0: number, y0: number): Uint8Array<ArrayBuffer> {
  return new ParamWriter()
    .u32(d.M)
    .u32(d.N)
    .u32(d.K)
    .u32(z0)
    .u32(d.aBatchStride)
    .u32(d.bBatchStride)
    .u32(d.M * d.N)
    .u32(y0)
    .done();
}
