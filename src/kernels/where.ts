// Launchers for shaders/where.wgsl: where / maskedFill (broadcast select) and tril / triu.
import { sizeOf } from '../shape.ts';
import { empty, type Tensor } from '../tensor.ts';
import { MAX_BROADCAST_RANK, broadcastStrides } from './elementwise.ts';
import { ParamWriter, grid1d } from './launch.ts';

const WG = 256;
const BINDINGS = ['uniform', 'read', 'read', 'read', 'rw'] as const;

function whereParams(outShape: readonly number[], cond: Tensor, a: Tensor | null, b: Tensor | null, value: number): Uint8Array {
  if (outShape.length > MAX_BROADCAST_RANK) throw new RangeError(`where: rank ${outShape.length} > ${MAX_BROADCAST_RANK}`);
  const strides = (t: Tensor | null) => (t ? broadcastStrides(t.shape, outShape) : []);
  return new ParamWriter()
    .u32(sizeOf(outShape)).u32(outShape.length).f32(value).i32(0).u32(0).u32(0).u32(0).u32(0)
    .u32x4(outShape, 2, 1)
    .u32x4(strides(cond), 2)
    .u32x4(strides(a), 2)
    .u32x4(strides(b), 2)
    .done();
}

/**
 * out = t ? a : b with t = (cond != 0) != invert, broadcast to outShape; a === null takes the
 * constant `value` (maskedFill).
 */
export function whereKernel(cond: Tensor, a: Tensor | null, b: Tensor, outShape: readonly number[], op: string, opts: { value?: number; invert?: boolean } = {}): Tensor {
  const rt = b.runtime;
  const out = empty(outShape, 'f32', op);
  rt.dispatch(
    {
      shader: 'where',
      entry: 'where_fwd',
      defines: { COND_INT: cond.dtype === 'i32', A_SCALAR: a === null, INVERT: opts.invert ?? false },
      constants: { WG },
      bindings: BINDINGS,
    },
    whereParams(outShape, cond, a, b, opts.value ?? 0),
    [cond.buffer(op), a ? a.buffer(op) : rt.placeholder('read'), b.buffer(op), out.buffer(op)],
    grid1d(rt, out.size, WG),
    `${op}.forward`,
  );
  return out;
}

/** g where (cond != 0) != invert, else 0; g has the output shape, cond broadcasts to it. */
export function whereGradKernel(cond: Tensor, g: Tensor, invert: boolean, op: string): Tensor {
  const rt = g.runtime;
  const out = empty(g.shape, 'f32', `${op}.grad`);
  rt.dispatch(
    { shader: 'where', entry: 'where_grad', defines: { COND_INT: cond.dtype === 'i32', INVERT: invert }, constants: { WG }, bindings: BINDINGS },
    whereParams(g.shape, cond, null, null, 0),
    [cond.buffer(op), g.buffer(op), rt.placeholder('read'), out.buffer(op)],
    grid1d(rt, out.size, WG),
    `${op}.backward`,
  );
  return out;
}

/** The lower (tril) or upper (triu) triangle of the last two dims of x, relative to `diagonal`. */
export function triKernel(x: Tensor, upper: boolean, diagonal: number, op: string): Tensor {
  const rt = x.runtime;
  const out = empty(x.shape, 'f32', op);
  const [rows, cols] = x.shape.slice(-2);
  const params = new ParamWriter().u32(x.size).u32(0).f32(0).i32(diagonal).u32(rows).u32(cols).u32(upper ? 1 : 0).u32(0).done();
  rt.dispatch(
    { shader: 'where', entry: 'tri', constants: { WG }, bindings: BINDINGS },
    params,
    [rt.placeholder('read'), x.buffer(op), rt.placeholder('read'), out.buffer(op)],
    grid1d(rt, x.size, WG),
    `${op}.forward`,
  );
  return out;
}
