// Launcher for shaders/pad.wgsl: constant padding (negative pads crop), forward and backward.
import { empty, type Tensor } from '../tensor.ts';
import { ParamWriter, grid1d } from './launch.ts';

const WG = 256;
const MAX_RANK = 8;

/** x padded by lo[d] before and by whatever makes outShape[d] after each dim d, filled with value. */
export function padKernel(x: Tensor, lo: readonly number[], outShape: readonly number[], value: number, label: string): Tensor {
  const rt = x.runtime;
  if (x.rank > MAX_RANK) throw new RangeError(`${label}: padding supports rank <= ${MAX_RANK}`);
  const out = empty(outShape, 'f32', label);
  const params = new ParamWriter()
    .u32(out.size)
    .u32(x.rank)
    .f32(value)
    .u32(0)
    .u32x4(outShape, 2, 1)
    .u32x4(x.shape, 2, 1)
    .u32x4(lo, 2, 0)
    .done();
  rt.dispatch(
    { shader: 'pad', entry: 'pad_constant', constants: { WG }, bindings: ['uniform', 'read', 'rw'] },
    params,
    [x.buffer(label), out.buffer(label)],
    grid1d(rt, out.size, WG),
    label,
  );
  return out;
}
