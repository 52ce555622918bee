// Launch plans of the matmul variants: pipeline keys, Params and grids (split at the
// per-dimension workgroup limit) for each kernel shape. The records in matmul-variants.ts
// call these; nothing else does.
import { LimitError } from '../errors.ts';
import type { Defines } from '../gpu/preprocess.ts';
import type { BindingKind, KernelKey } from '../gpu/pipelines.ts';
import type { Runtime } from '../gpu/runtime.ts';
import { ParamWriter } from './launch.ts';
import type { Plan, PlanStep } from './variants.ts';

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

/** Operands of every matmul plan, in binding order after the uniform. */
export const A = { operand: 0 } as const;
export const B = { operand: 1 } as const;
export const BIAS = { operand: 2 } as const;
export const C = { operand: 3 } as const;
const BINDINGS: readonly BindingKind[] = ['uniform', 'read', 'read', 'read', 'rw'];

/** opB rows can be read as vec4 (and C written as vec4): contiguous along N, 16-byte aligned. */
export function vec4Aligned(d: MatmulDims): boolean {
  return !d.transB && d.N % 4 === 0 && d.bBatchStride % 4 === 0;
}

/** The defines every matmul kernel takes from the shape and the fused epilogue. */
export function shapeDefines(d: MatmulDims, epilogue = true): Record<string, boolean> {
  return {
    TRANS_A: d.transA,
    TRANS_B: d.transB,
    HAS_BIAS: epilogue && d.hasBias,
    ACT_RELU: epilogue && d.activation === 'relu',
    ACT_SIGMOID: epilogue && d.activation === 'sigmoid',
  };
}

export function matmulKey(shader: 'matmul' | 'matmul-gpu', entry: string, defines: Defines, constants: Record<string, number>): KernelKey {
  return { shader, entry, defines, constants, bindings: BINDINGS };
}

/** The shaders' Params for the dispatch starting at batch z0 and row block y0. */
export function matmulParams(d: MatmulDims, z0: number, y0: number, kChunk = 0, splits = 1, flags = 0): Uint8Array<ArrayBuffer> {
  return new ParamWriter()
    .u32(d.M)
    .u32(d.N)
    .u32(d.K)
    .u32(z0)
    .u32(d.aBatchStride)
    .u32(d.bBatchStride)
    .u32(d.M * d.N)
    .u32(y0)
    .u32(kChunk)
    .u32(splits)
    .u32(flags)
    .done();
}

/**
 * A 2-D grid of tileN x tileM workgroups per matrix, batches on z (zPer workgroups each),
 * split into dispatches at the per-dimension limit.
 */
export function gridSteps(rt: Runtime, key: KernelKey, d: MatmulDims, tileM: number, tileN: number, op: string, extra: { kChunk?: number; splits?: number; buffers?: PlanStep['buffers'] } = {}): PlanStep[] {
  const max = rt.limits.maxComputeWorkgroupsPerDimension;
  const splits = extra.splits ?? 1;
  const gx = Math.ceil(d.N / tileN);
  const gy = Math.ceil(d.M / tileM);
  if (gx > max) throw new LimitError(op, `N = ${d.N} needs ${gx} workgroups along x, over the limit of ${max}`);
  const steps: PlanStep[] = [];
  if (d.M === 0 || d.N === 0 || d.batch === 0) return steps;
  const zChunk = Math.max(1, Math.floor(max / splits));
  for (let z0 = 0; z0 < d.batch; z0 += zChunk) {
    for (let y0 = 0; y0 < gy; y0 += max) {
      steps.push({
        key,
        params: matmulParams(d, z0, y0, extra.kChunk ?? 0, splits),
        grid: [gx, Math.min(max, gy - y0), Math.min(zChunk, d.batch - z0) * splits],
        buffers: extra.buffers ?? [A, B, BIAS, C],
      });
    }
  }
  return steps;
}

/**
 * block / simple (shaders/matmul.wgsl): one invocation per `side` x `side` block of C (8 for
 * block, 1 for simple), counted along x then y.
 */
export function flatSteps(rt: Runtime, key: KernelKey, d: MatmulDims, wg: number, side = 8, flags = 0): PlanStep[] {
  const max = rt.limits.maxComputeWorkgroupsPerDimension;
  const steps: PlanStep[] = [];
  const blocks = Math.ceil(d.M / side) * Math.ceil(d.N / side);
  if (blocks === 0 || d.batch === 0) return steps;
  const groups = Math.ceil(blocks / wg);
  const gx = Math.min(groups, max);
  const gy = Math.ceil(groups / gx);
  for (let z0 = 0; z0 < d.batch; z0 += max) {
    steps.push({ key, params: matmulParams(d, z0, 0, 0, 1, flags), grid: [gx, gy, Math.min(max, d.batch - z0)], buffers: [A, B, BIAS, C] });
  }
  return steps;
}

/** simple: the shape's defines as run-time flags (shaders/matmul.wgsl), so one pipeline serves all. */
export function simplePlan(rt: Runtime, d: MatmulDims): Plan {
  const flags = (d.transA ? 1 : 0) | (d.transB ? 2 : 0) | (d.hasBias ? 4 : 0) | (d.activation === 'relu' ? 8 : 0) | (d.activation === 'sigmoid' ? 16 : 0);
  return { steps: flatSteps(rt, matmulKey('matmul', 'simple', {}, { WG: 64 }), d, 64, 1, flags), scratch: [] };
}

/** Tile shape of the GPU family's `tile` entry (shaders/matmul-gpu.wgsl). */
export interface TileShape {
  /** Rows and columns of C per workgroup. */
  tm: number;
  tn: number;
  /** Rows and columns per invocation (rn: 4 or 8). */
  rm: number;
  rn: number;
  bk: number;
  vec4?: boolean;
  doubleBuf?: boolean;
}

export function tileInvocations(t: TileShape): number {
  return (t.tm / t.rm) * (t.tn / t.rn);
}

/** Bytes of workgroup memory the tile stages. */
export function tileStorage(t: TileShape): number {
  return (t.doubleBuf ? 2 : 1) * t.bk * (t.tm + t.tn) * 4;
}

function tileKey(t: TileShape, d: MatmulDims, extraDefines: Record<string, boolean>, epilogue: boolean): KernelKey {
  const vec4 = !!t.vec4 && vec4Aligned(d);
  const stages = t.doubleBuf ? 2 : 1;
  return matmulKey('matmul-gpu', 'tile', { ...shapeDefines(d, epilogue), VEC4: vec4, DOUBLE_BUF: !!t.doubleBuf, ...extraDefines }, {
    TM: t.tm, TN: t.tn, RM: t.rm, RN: t.rn, BK: t.bk, WX: t.tn / t.rn, WY: t.tm / t.rm,
    A_LEN: stages * t.bk * t.tm,
    B_LEN: stages * t.bk * (vec4 ? t.tn / 4 : t.tn),
  });
}

export function tilePlan(rt: Runtime, t: TileShape, d: MatmulDims, op: string): Plan {
  return { steps: gridSteps(rt, tileKey(t, d, {}, true), d, t.tm, t.tn, op), scratch: [] };
}

/** Splits for split-K: enough workgroups to fill a GPU (~256), k chunks of >= BK, partials bindable. */
export function splitCount(rt: Runtime, t: TileShape, d: MatmulDims): { splits: number; kChunk: number } {
  const tiles = Math.max(1, Math.ceil(d.M / t.tm) * Math.ceil(d.N / t.tn) * d.batch);
  let splits = Math.max(1, Math.min(64, Math.floor(256 / tiles), Math.ceil(d.K / t.bk)));
  const maxElems = Math.floor(rt.limits.maxStorageBufferBindingSize / 4);
  while (splits > 1 && d.batch * splits * d.M * d.N > maxElems) splits = Math.ceil(splits / 2);
  const kChunk = Math.max(t.bk, Math.ceil(Math.ceil(d.K / splits) / t.bk) * t.bk);
  return { splits: Math.max(1, Math.ceil(d.K / kChunk)), kChunk };
}

/**
 * Split-K: pass 1 runs the tile kernel once per k chunk into partials [batch, splits, M, N]
 * (no epilogue), pass 2 (splitk_sum) adds the splits in order and applies the epilogue.
 */
export function splitKPlan(rt: Runtime, t: TileShape, d: MatmulDims, op: string): Plan {
  const { splits, kChunk } = splitCount(rt, t, d);
  const part = { scratch: 0 } as const;
  const first = gridSteps(rt, tileKey(t, d, { SPLIT_K: true }, false), d, t.tm, t.tn, op, { kChunk, splits, buffers: [A, B, BIAS, part] });
  const sumKey = matmulKey('matmul-gpu', 'splitk_sum', shapeDefines(d), {});
  const max = rt.limits.maxComputeWorkgroupsPerDimension;
  const groups = Math.ceil((d.M * d.N) / 64);
  const gx = Math.min(Math.max(groups, 1), max);
  const gy = Math.ceil(groups / gx);
  if (gy > max) throw new LimitError(op, `${d.M} x ${d.N} outputs exceed a ${max} x ${max} grid`);
  const second: PlanStep[] = [];
  if (groups > 0) {
    for (let z0 = 0; z0 < d.batch; z0 += max) {
      second.push({ key: sumKey, params: matmulParams(d, z0, 0, kChunk, splits), grid: [gx, gy, Math.min(max, d.batch - z0)], buffers: [part, B, BIAS, C] });
    }
  }
  return { steps: [...first, ...second], scratch: [d.batch * splits * d.M * d.N] };
}

/** gemv (M = 1): 64 columns per workgroup, batches on z. */
export function gemvPlan(rt: Runtime, d: MatmulDims, op: string): Plan {
  const key = matmulKey('matmul-gpu', 'gemv', { ...shapeDefines(d), VEC4: vec4Aligned(d) }, {});
  return { steps: gridSteps(rt, key, d, 1, 64, op), scratch: [] };
}
