// Launchers for shaders/slice.wgsl: windows of rows copied between tensors (narrow, concat and
// their gradients). A window that is one contiguous range is a buffer-to-buffer copy.
import type { Runtime } from '../gpu/runtime.ts';
import { empty, type Tensor } from '../tensor.ts';
import { ParamWriter, grid1d } from './launch.ts';

const WG = 256;

/** rows x len elements: from src (pitch srcRow, offset srcOff) to dst (pitch dstRow, offset dstOff). */
export interface Block {
  rows: number;
  len: number;
  srcRow: number;
  srcOff: number;
  dstRow: number;
  dstOff: number;
}

/** Record the copy of `b` from src into dst (dst is written in place). */
export function copyBlock(src: Tensor, dst: Tensor, b: Block, op: string): void {
  const rt: Runtime = src.runtime;
  if (b.rows * b.len === 0) return;
  if (b.rows === 1 || (b.len === b.srcRow && b.len === b.dstRow)) {
    // One contiguous range on both sides: no kernel.
    rt.copy(src.buffer(op), b.srcOff * 4, dst.buffer(op), b.dstOff * 4, b.rows * b.len * 4);
    return;
  }
  rt.dispatch(
    { shader: 'slice', entry: 'copy_block', constants: { WG }, bindings: ['uniform', 'read', 'rw'] },
    new ParamWriter().u32(b.rows).u32(b.len).u32(b.srcRow).u32(b.srcOff).u32(b.dstRow).u32(b.dstOff).u32(0).u32(0).done(),
    [src.buffer(op), dst.buffer(op)],
    grid1d(rt, b.rows * b.len, WG),
    `${op}.copy`,
  );
}

/** A tensor of `shape` filled with zeros on the GPU. */
export function zerosKernel(rt: Runtime, shape: readonly number[], op: string): Tensor {
  const out = empty(shape, 'f32', op);
  if (out.size === 0) return out;
  rt.dispatch(
    { shader: 'slice', entry: 'fill_zero', constants: { WG }, bindings: ['uniform', 'read', 'rw'] },
    new ParamWriter().u32(1).u32(out.size).u32(0).u32(0).u32(0).u32(0).u32(0).u32(0).done(),
    [rt.placeholder('read'), out.buffer(op)],
    grid1d(rt, out.size, WG),
    `${op}.zeros`,
  );
  return out;
}
