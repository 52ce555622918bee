// Launchers for shaders/reduce.wgsl. Which entry runs:
// - a sum over leading axes (x viewed as [rows, cols], summed over rows) is a column sum:
//   bias_sum on GPUs, bias_sum_cols on CPU adapters (contiguous reads either way);
// - other reductions: one workgroup per output with a tree (GPUs, and CPU adapters with few
//   outputs, where the tree spreads one long reduction over a workgroup), or one invocation
//   per output looping in order (CPU adapters with many outputs or short reductions: no barriers).
import type { Runtime } from '../gpu/runtime.ts';
import { stridesOf } from '../shape.ts';
import { empty, type Tensor } from '../tensor.ts';
import { ParamWriter, grid1d } from './launch.ts';

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
  const serial = rt.kind.cpu && (outSize >= SERIAL_MIN_OUTPUTS || redSize <= SERIAL_MAX_LENGTH);
  const wg = serial ? SERIAL_WG : WG;
  const entry = (kind === 'argmax' ? 'argmax' : 'reduce') + (serial ? '_serial' : '');
  rt.dispatch(
    {
      shader: 'reduce',
      entry,
      constants: kind === 'argmax' ? { WG: wg } : { WG: wg, OP: kind === 'max' ? 1 : 0 },
      bindings: ['uniform', 'read', 'rw'],
    },
    params,
    [x.buffer(kind), out.buffer(kind)],
    grid1d(rt, outSize, serial ? wg : 1),
    `${kind}.forward`,
  );
  return out;
}

/** Column sums of a [N, C] matrix: the bias gradient. Returns [C]. */
export function biasSumKernel(x: Tensor, scale = 1): Tensor {
  const [n, c] = x.shape;
  return columnSums(x, n, c, scale, [c], 'biasSum');
}

/** out[c] = scale * SUM_n x[n * cols + c], for x holding rows x cols elements; out has `outShape`. */
function columnSums(x: Tensor, rows: number, cols: number, scale: number, outShape: readonly number[], op: string): Tensor {
  const rt: Runtime = x.runtime;
  const out = empty(outShape, 'f32', op);
  const params = new ParamWriter().u32(cols).u32(rows).u32(0).u32(0).f32(scale).u32(rows).u32(cols).u32(0).done();
  // CPU drivers: one invocation per column, no barriers (see the shader's header).
  const cpu = rt.kind.cpu;
  rt.dispatch(
    cpu
      ? { shader: 'reduce', entry: 'bias_sum_cols', constants: { WG: SERIAL_WG }, bindings: ['uniform', 'read', 'rw'] }
      : { shader: 'reduce', entry: 'bias_sum', constants: { COLS, ROWS }, bindings: ['uniform', 'read', 'rw'] },
    params,
    [x.buffer(op), out.buffer(op)],
    grid1d(rt, cols, cpu ? SERIAL_WG : COLS),
    `${op}.forward`,
  );
  return out;
}
