// Launchers for shaders/reduce.wgsl. Which entry runs:
// - a sum over leading axes (x viewed as [rows, cols], summed over rows) is a column sum:
//   bias_sum on GPUs, bias_sum_cols on CPU adapters (contiguous reads either way);
// - other reductions: one workgroup per output with a tree (GPUs, and CPU adapters with few
//   outputs, where the tree spreads one long reduction over a workgroup), or one invocation
//   per output looping in order (CPU adapters with many outputs or short reductions: no barriers).
// Each choice is a variant record (src/kernels/variants.ts) in COLUMN_SUMS or REDUCTIONS; the
// launchers ask their table once per launch.
import type { KernelKey } from '../gpu/pipelines.ts';
import { stridesOf } from '../shape.ts';
import { empty, type Tensor } from '../tensor.ts';
import { ParamWriter, grid1d } from './launch.ts';
import { planJob, singleStep, VariantTable, type VariantRecord } from './variants.ts';

const WG = 256;
const COLS = 16;
const ROWS = 16;
const MAX_RANK = 8;
/** Invocations per workgroup of the one-output-per-invocation entries. */
const SERIAL_WG = 64;
/** CPU adapters switch to one invocation per output from this many outputs... */
const SERIAL_MIN_OUTPUTS = 64;
/** ...or when each output sums at most this many elements (a loss mean: one short loop). */
const SERIAL_MAX_LENGTH = 4096;

export type ReduceKind = 'sum' | 'max' | 'argmax';

/**
 * Reduce `x` over `axes` (sorted, unique, already normalised). The result has the kept dims
 * only (no keepDims); callers reshape. `scale` multiplies sums (1/n for mean).
 */
export function reduceKernel(kind: ReduceKind, x: Tensor, axes: readonly number[], scale = 1): Tensor {
  const rt = x.runtime;
  if (x.rank > MAX_RANK) throw new RangeError(`${kind}: reductions support rank <= ${MAX_RANK}`);
  const strides = stridesOf(x.shape);
  const kept = x.shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const keptShape = kept.map((i) => x.shape[i]);
  const redShape = axes.map((i) => x.shape[i]);
  const outSize = keptShape.reduce((a, b) => a * b, 1);
  const redSize = redShape.reduce((a, b) => a * b, 1);
  const leading = axes.every((a, i) => a === i);
  if (kind === 'sum' && leading && kept.length > 0 && redSize > 0) {
    return columnSums(x, redSize, outSize, scale, keptShape, 'sum');
  }
  const out = empty(keptShape, kind === 'argmax' ? 'i32' : 'f32', kind);
  const params = new ParamWriter()
    .u32(outSize)
    .u32(redSize)
    .u32(kept.length)
    .u32(axes.length)
    .f32(scale)
    .u32(0)
    .u32(0)
    .u32(0)
    .u32x4(keptShape, 2, 1)
    .u32x4(kept.map((i) => strides[i]), 2)
    .u32x4(redShape, 2, 1)
    .u32x4(axes.map((i) => strides[i]), 2)
    .done();
  const d: ReduceDims = { kind, outSize, redSize, params };
  REDUCTIONS.launch(rt, d, undefined, [x.buffer(kind), out.buffer(kind)], kind);
  return out;
}

interface ReduceDims {
  kind: ReduceKind;
  outSize: number;
  redSize: number;
  params: Uint8Array<ArrayBuffer>;
}

function reduceRecord(serial: boolean, purpose: string): VariantRecord<ReduceDims> {
  const wg = serial ? SERIAL_WG : WG;
  return {
    name: serial ? 'serial' : 'tree',
    purpose,
    families: serial ? ['cpu'] : ['gpu', 'cpu'],
    needs: { invocations: wg },
    plan(rt, d) {
      const key: KernelKey = {
        shader: 'reduce',
        entry: (d.kind === 'argmax' ? 'argmax' : 'reduce') + (serial ? '_serial' : ''),
        constants: d.kind === 'argmax' ? { WG: wg } : { WG: wg, OP: d.kind === 'max' ? 1 : 0 },
        bindings: ['uniform', 'read', 'rw'],
      };
      return singleStep(key, d.params, grid1d(rt, d.outSize, serial ? wg : 1), 2);
    },
  };
}

/** Reductions over any axes (not timed: the choice follows from the family and the shape). */
const REDUCTIONS = new VariantTable<ReduceDims>(
  [
    reduceRecord(false, 'one workgroup per output, tree in workgroup memory (GPUs; CPU drivers with few, long outputs)'),
    reduceRecord(true, 'one invocation per output looping in order, no barriers (CPU drivers, many or short outputs)'),
  ],
  {
    kind: 'reduce',
    shapeClass: (d) => `reduce:${d.kind}`,
    defaultFor: (rt, d) => (rt.kind.cpu && (d.outSize >= SERIAL_MIN_OUTPUTS || d.redSize <= SERIAL_MAX_LENGTH) ? 'serial' : 'tree'),
    worthTuning: () => false,
    tuneJob: (rt, d, c) => planJob(rt, d, c, [d.outSize * d.redSize, d.outSize], 'autotune'),
  },
);

/** Column sums of a [N, C] matrix: the bias gradient. Returns [C]. */
export function biasSumKernel(x: Tensor, scale = 1): Tensor {
  const [n, c] = x.shape;
  return columnSums(x, n, c, scale, [c], 'biasSum');
}

/** out[c] = scale * SUM_n x[n * cols + c], for x holding rows x cols elements; out has `outShape`. */
function columnSums(x: Tensor, rows: number, cols: number, scale: number, outShape: readonly number[], op: string): Tensor {
  const rt = x.runtime;
  const out = empty(outShape, 'f32', op);
  const d = { rows, cols, scale };
  COLUMN_SUMS.launch(rt, d, undefined, [x.buffer(op), out.buffer(op)], op);
  return out;
}

interface ColumnDims {
  rows: number;
  cols: number;
  scale: number;
}

function columnRecord(name: 'bias_sum' | 'bias_sum_cols', purpose: string): VariantRecord<ColumnDims> {
  const cpu = name === 'bias_sum_cols';
  return {
    name,
    purpose,
    families: [cpu ? 'cpu' : 'gpu'],
    needs: { invocations: cpu ? SERIAL_WG : COLS * ROWS },
    plan(rt, d) {
      const params = new ParamWriter().u32(d.cols).u32(d.rows).u32(0).u32(0).f32(d.scale).u32(d.rows).u32(d.cols).u32(0).done();
      const key: KernelKey = { shader: 'reduce', entry: name, constants: cpu ? { WG: SERIAL_WG } : { COLS, ROWS }, bindings: ['uniform', 'read', 'rw'] };
      return singleStep(key, params, grid1d(rt, d.cols, cpu ? SERIAL_WG : COLS), 2);
    },
  };
}

/** Column sums (bias gradients, sums over leading axes); not timed, chosen by kernel family. */
const COLUMN_SUMS = new VariantTable<ColumnDims>(
  [
    columnRecord('bias_sum', 'GPUs: a 16 x 16 workgroup tree per 16 columns'),
    // CPU drivers: one invocation per column, no barriers (see the shader's header).
    columnRecord('bias_sum_cols', 'CPU drivers: one invocation per column, rows in order, no barriers'),
  ],
  {
    kind: 'columnSums',
    shapeClass: () => 'columnSums',
    defaultFor: (rt) => (rt.kind.cpu ? 'bias_sum_cols' : 'bias_sum'),
    worthTuning: () => false,
    tuneJob: (rt, d, c) => planJob(rt, d, c, [d.rows * d.cols, d.cols], 'autotune'),
  },
);
