// Launchers for shaders/reduce.wgsl.
import { stridesOf } from '../shape.ts';
import { empty, type Tensor } from '../tensor.ts';
import { ParamWriter, grid1d } from './launch.ts';

const WG = 256;
const COLS = 16;
const ROWS = 16;
const MAX_RANK = 8;

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
  rt.dispatch(
    {
      shader: 'reduce',
      entry: kind === 'argmax' ? 'argmax' : 'reduce',
      constants: kind === 'argmax' ? { WG } : { WG, OP: kind === 'max' ? 1 : 0 },
      bindings: ['uniform', 'read', 'rw'],
    },
    params,
    [x.buffer(kind), out.buffer(kind)],
    grid1d(rt, outSize, 1),
    `${kind}.forward`,
  );
  return out;
}

/** Column sums of a [N, C] matrix: the bias gradient. Returns [C]. */
export function biasSumKernel(x: Tensor, scale = 1): Tensor {
  const rt = x.runtime;
  const [n, c] = x.shape;
  const out = empty([c], 'f32', 'biasSum');
  const params = new ParamWriter().u32(c).u32(n).u32(0).u32(0).f32(scale).u32(n).u32(c).u32(0).done();
  rt.dispatch(
    { shader: 'reduce', entry: 'bias_sum', constants: { COLS, ROWS }, bindings: ['uniform', 'read', 'rw'] },
    params,
    [x.buffer('biasSum'), out.buffer('biasSum')],
    [Math.ceil(c / COLS), 1],
    'biasSum.forward',
  );
  return out;
}
