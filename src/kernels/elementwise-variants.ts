// The elementwise variants (shaders/elementwise.wgsl) as records of the shared mechanism
// (src/kernels/variants.ts): scalar (one element per invocation, any shape, the only one for
// broadcasting), vec4 (one vec4 per invocation) and vec4x4 (four vec4s per invocation, a
// quarter of the invocations again), for operands of the output's shape. The vec forms run the
// whole vec4s in one dispatch and the n % 4 elements after them in a scalar second dispatch, so
// any n works. Small launches take the default (vec4 on whole vec4s or n >= 4096, else scalar)
// without timing; large classes are timed in the background like matmul's.
import type { BindingKind, KernelKey } from '../gpu/pipelines.ts';
import type { Runtime } from '../gpu/runtime.ts';
import { grid1d, ParamWriter } from './launch.ts';
import { planJob, VariantTable, type Plan, type VariantRecord } from './variants.ts';

export const EW_WG = 256;
const BINDINGS: readonly BindingKind[] = ['uniform', 'read', 'read', 'rw'];

export interface ElementwiseDims {
  entry: 'unary' | 'unary_grad' | 'binary';
  /** The op's define (src/kernels/elementwise.ts UNARY / BINARY: 'U_RELU', 'B_ADD', ...). */
  op: string;
  /** Output elements. */
  n: number;
  /** Every operand has the output's shape (always for unary ops): the vec forms apply. */
  same: boolean;
  alpha: number;
  beta: number;
  /** binary with broadcasting: the output shape and each operand's strides (0 on broadcast dims). */
  outShape?: readonly number[];
  aStrides?: readonly number[];
  bStrides?: readonly number[];
}

export type ElementwiseRecord = VariantRecord<ElementwiseDims>;

function params(d: ElementwiseDims, first: number): Uint8Array<ArrayBuffer> {
  return new ParamWriter()
    .u32(d.n)
    .u32(d.outShape?.length ?? 0)
    .f32(d.alpha)
    .f32(d.beta)
    .u32(first)
    .u32x4(d.outShape ?? [], 2, 1)
    .u32x4(d.aStrides ?? [], 2)
    .u32x4(d.bStrides ?? [], 2)
    .done();
}

function key(d: ElementwiseDims, vec4: boolean, per: number): KernelKey {
  const defines: Record<string, boolean> = d.entry === 'binary' ? { SAME_SHAPE: d.same, VEC4: vec4, [d.op]: true } : { VEC4: vec4, [d.op]: true };
  const constants: Record<string, number> = per > 1 ? { WG: EW_WG, PER: per } : { WG: EW_WG };
  return { shader: 'elementwise', entry: d.entry, defines, constants, bindings: BINDINGS };
}

const OPERANDS = [{ operand: 0 }, { operand: 1 }, { operand: 2 }] as const;

/** Elements first .. n - 1, one per invocation. */
function scalarSteps(rt: Runtime, d: ElementwiseDims, first: number): Plan['steps'] {
  if (d.n - first <= 0) return [];
  return [{ key: key(d, false, 1), params: params(d, first), grid: [...grid1d(rt, d.n - first, EW_WG), 1], buffers: OPERANDS }];
}

/** The whole vec4s, `per` per invocation, then the tail of n % 4 elements. */
function vecPlan(rt: Runtime, d: ElementwiseDims, per: number): Plan {
  const vecs = Math.floor(d.n / 4);
  const steps: Plan['steps'] = [];
  if (vecs > 0) steps.push({ key: key(d, true, per), params: params(d, 0), grid: [...grid1d(rt, Math.ceil(vecs / per), EW_WG), 1], buffers: OPERANDS });
  steps.push(...scalarSteps(rt, d, 4 * vecs));
  return { steps, scratch: [] };
}

/** `per` vec4s an invocation, for operands of the output shape with at least `per` whole vec4s. */
function vecRecord(name: string, per: number, purpose: string): ElementwiseRecord {
  return {
    name,
    purpose,
    families: ['cpu', 'gpu'],
    needs: { invocations: EW_WG },
    fits: (d) => d.same && d.n >= 4 * per,
    plan: (rt, d) => vecPlan(rt, d, per),
  };
}

export const ELEMENTWISE_RECORDS: readonly ElementwiseRecord[] = [
  {
    name: 'scalar',
    purpose: 'one element per invocation: any shape, broadcasting included',
    families: ['cpu', 'gpu'],
    needs: { invocations: EW_WG },
    plan: (rt, d) => ({ steps: scalarSteps(rt, d, 0), scratch: [] }),
  },
  vecRecord('vec4', 1, 'operands of the output shape: one vec4 (16-byte loads and stores) per invocation, a scalar tail'),
  vecRecord('vec4x4', 4, 'operands of the output shape: four vec4s per invocation (a quarter of the invocations of vec4), a scalar tail'),
];

/** Below this many elements a launch takes the default without timing. */
export const EW_TUNE_MIN = 2 ** 22;
/** Timing runs on at most this many elements (the class is a power-of-two bucket of n). */
const EW_TUNE_MAX = 2 ** 24;

export const ELEMENTWISE = new VariantTable<ElementwiseDims>(ELEMENTWISE_RECORDS, {
  kind: 'elementwise',
  shapeClass: (d) => `elementwise:${d.entry}:${d.same ? 'same' : 'broadcast'}:${d.n % 4 === 0 ? 'v4' : 'v1'}:2^${Math.round(Math.log2(Math.max(1, d.n)))}`,
  defaultFor: (_rt, d) => (d.same && d.n >= 4 && (d.n % 4 === 0 || d.n >= 4096) ? 'vec4' : 'scalar'),
  worthTuning: (d) => d.same && d.n >= EW_TUNE_MIN, // broadcasting has one record
  tuneJob: (rt, full, candidates) => {
    const d = { ...full, n: Math.min(full.n, EW_TUNE_MAX) };
    return planJob(rt, d, candidates.filter((r) => r.fits?.(d) ?? true), [d.n, d.n, d.n], 'autotune');
  },
});

export const ELEMENTWISE_VARIANT_NAMES = ELEMENTWISE_RECORDS.map((r) => r.name);
