// Launchers for shaders/transpose.wgsl.
import { stridesOf } from '../shape.ts';
import { empty, type Tensor } from '../tensor.ts';
import { ParamWriter, grid1d } from './launch.ts';

const WG = 256;

/** Materialise x with its axes permuted: out.shape[d] = x.shape[perm[d]]. */
export function permuteKernel(x: Tensor, perm: readonly number[]): Tensor {
  const rt = x.runtime;
  const outShape = perm.map((p) => x.shape[p]);
  const out = empty(outShape, x.dtype, 'transpose');
  const [rows, cols] = x.shape;
  const max = rt.limits.maxComputeWorkgroupsPerDimension;
  // tile2d stages 16 x 16 tiles in workgroup memory behind a barrier: right for GPUs; on CPU
  // adapters a barrier is a coroutine switch per invocation, so they take the plain gather.
  if (x.rank === 2 && perm[0] === 1 && !rt.kind.cpu && Math.ceil(cols / 16) <= max && Math.ceil(rows / 16) <= max) {
    const params = new ParamWriter().u32(x.size).u32(2).u32(rows).u32(cols).done();
    rt.dispatch(
      { shader: 'transpose', entry: 'tile2d', bindings: ['uniform', 'read', 'rw'] },
      params,
      [x.buffer('transpose'), out.buffer('transpose')],
      [Math.ceil(cols / 16), Math.ceil(rows / 16)],
      'transpose.forward',
    );
    return out;
  }
  const inStrides = stridesOf(x.shape);
  const params = new ParamWriter()
    .u32(x.size)
    .u32(x.rank)
    .u32(0)
    .u32(0)
    .u32x4(outShape, 2, 1)
    .u32x4(perm.map((p) => inStrides[p]), 2)
    .done();
  rt.dispatch(
    { shader: 'transpose', entry: 'permute', constants: { WG }, bindings: ['uniform', 'read', 'rw'] },
    params,
    [x.buffer('transpose'), out.buffer('transpose')],
    grid1d(rt, x.size, WG),
    'permute.forward',
  );
  return out;
}
