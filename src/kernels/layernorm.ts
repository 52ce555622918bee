// Launchers for shaders/layernorm.wgsl: fused layer norm / RMS norm forward, dx, and the
// deterministic column sums for dw / db. x is viewed as [rows, cols] (cols = prod(normalizedShape)).
import type { BindingKind } from '../gpu/pipelines.ts';
import type { Runtime } from '../gpu/runtime.ts';
import { empty, type Tensor } from '../tensor.ts';
import { ParamWriter, grid1d } from './launch.ts';

const WG = 64;
const COLS = 16;
const ROWS = 16;

export interface NormDims {
  rows: number;
  cols: number;
  eps: number;
  rms: boolean;
  /** Whether the op has a weight / a bias (absent: 1 / 0 in the kernel, no gradient). */
  weight: boolean;
  bias: boolean;
}

const defines = (rt: Runtime, d: NormDims) => ({ RMS: d.rms, SERIAL: serial(rt), HAS_WEIGHT: d.weight, HAS_BIAS: d.bias });

const params = ({ rows, cols, eps }: NormDims) => new ParamWriter().u32(rows).u32(cols).f32(eps).u32(0).done();

/** CPU drivers: one invocation per row (or column), no barriers; GPUs: one workgroup per row. */
const serial = (rt: Runtime) => rt.kind.cpu;

function rowGrid(rt: Runtime, rows: number): [number, number] {
  return grid1d(rt, rows, serial(rt) ? WG : 1);
}

const op = (d: NormDims) => (d.rms ? 'rmsNorm' : 'layerNorm');

/** y = norm(x) * w (+ b); returns y and the saved per-row statistics [rows, 2] = (mean, rstd). */
export function normForwardKernel(x: Tensor, w: Tensor | null, b: Tensor | null, d: NormDims): { y: Tensor; stats: Tensor } {
  const rt = x.runtime;
  const name = op(d);
  const y = empty(x.shape, 'f32', name);
  const stats = empty([d.rows, 2], 'f32', `${name}.stats`);
  const bindings: BindingKind[] = ['uniform', 'read', 'read', 'read', 'rw', 'rw'];
  rt.dispatch(
    { shader: 'layernorm', entry: 'forward', defines: defines(rt, d), constants: { WG }, bindings },
    params(d),
    [x.buffer(name), w ? w.buffer(name) : rt.placeholder('read'), b ? b.buffer(name) : rt.placeholder('read'), y.buffer(name), stats.buffer(name)],
    rowGrid(rt, d.rows),
    `${name}.forward`,
  );
  return { y, stats };
}

/** dx from the upstream gradient g, the input x, the weight and the saved statistics. */
export function normGradXKernel(x: Tensor, w: Tensor | null, stats: Tensor, g: Tensor, d: NormDims): Tensor {
  const rt = x.runtime;
  const name = op(d);
  const dx = empty(x.shape, 'f32', `${name}.dx`);
  const bindings: BindingKind[] = ['uniform', 'read', 'read', 'read', 'rw', 'read'];
  rt.dispatch(
    { shader: 'layernorm', entry: 'backward_x', defines: defines(rt, d), constants: { WG }, bindings },
    params(d),
    [x.buffer(name), w ? w.buffer(name) : rt.placeholder('read'), g.buffer(name), dx.buffer(name), stats.buffer(name)],
    rowGrid(rt, d.rows),
    `${name}.backward_x`,
  );
  return dx;
}

/** dw[c] = sum_r g * xhat and db[c] = sum_r g (for the parameters the op has), each [cols], in a fixed order. */
export function normGradParamsKernel(x: Tensor, stats: Tensor, g: Tensor, d: NormDims): { dw: Tensor | null; db: Tensor | null } {
  const rt = x.runtime;
  const name = op(d);
  const dw = d.weight ? empty([d.cols], 'f32', `${name}.dw`) : null;
  const db = d.bias ? empty([d.cols], 'f32', `${name}.db`) : null;
  const bindings: BindingKind[] = ['uniform', 'read', 'read', 'read', 'rw', 'read', 'rw'];
  const cpu = serial(rt);
  rt.dispatch(
    {
      shader: 'layernorm',
      entry: 'backward_params',
      defines: defines(rt, d),
      constants: cpu ? { WG } : { COLS, ROWS },
      bindings,
    },
    params(d),
    [x.buffer(name), rt.placeholder('read'), g.buffer(name), dw ? dw.buffer(name) : rt.placeholder('rw'), stats.buffer(name), db ? db.buffer(name) : rt.placeholder('rw')],
    grid1d(rt, d.cols, cpu ? WG : COLS),
    `${name}.backward_params`,
  );
  return { dw, db };
}
