// Launchers for shaders/pool.wgsl (max, avg and adaptive-avg pooling over [P, H, W] planes).
// Every entry is a barrier-free one-invocation-per-element kernel, shared by both kernel
// families: the windows are small, so there is nothing for workgroup memory to share.
import type { Runtime } from '../gpu/runtime.ts';
import { empty, type Tensor } from '../tensor.ts';
import { ParamWriter, grid1d } from './launch.ts';

const WG = 256;
const BINDINGS = ['uniform', 'read', 'read', 'rw', 'rw'] as const;

/** A pooling's geometry over `planes` planes (leading padding; dilation 1 for avg and adaptive). */
export interface PoolGeometry {
  planes: number;
  H: number;
  W: number;
  OH: number;
  OW: number;
  kernel: [number, number];
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
  countIncludePad: boolean;
}

type Entry = 'max_forward' | 'max_backward' | 'max_backward_tiled' | 'avg_forward' | 'avg_backward' | 'adaptive_forward' | 'adaptive_backward';

/** Outputs per invocation of the row entries: a whole row on CPU drivers, one on GPUs (see shaders/pool.wgsl). */
const runOf = (rt: Runtime, g: PoolGeometry) => (rt.kind.cpu ? Math.max(g.OW, 1) : 1);

/** Invocations of a row entry over `outputs` outputs. */
const runs = (rt: Runtime, g: PoolGeometry, outputs: number) => (g.OW === 0 ? 0 : (outputs / g.OW) * Math.ceil(g.OW / runOf(rt, g)));

function launch(rt: Runtime, entry: Entry, g: PoolGeometry, n: number, bufs: GPUBuffer[], label: string): void {
  const p = new ParamWriter()
    .u32(n).u32(g.H).u32(g.W).u32(g.OH).u32(g.OW)
    .u32(g.kernel[0]).u32(g.kernel[1])
    .u32(g.stride[0]).u32(g.stride[1])
    .u32(g.padding[0]).u32(g.padding[1])
    .u32(g.dilation[0]).u32(g.dilation[1])
    .u32(g.countIncludePad ? 1 : 0).u32(0).u32(runOf(rt, g))
    .done();
  rt.dispatch({ shader: 'pool', entry, constants: { WG }, bindings: [...BINDINGS] }, p, bufs, grid1d(rt, n, WG), label);
}

/** Max pooling: the output and, per output, the flat in-plane index h*W + w of its (first) maximum. */
export function maxPoolKernel(x: Tensor, g: PoolGeometry, outShape: readonly number[]): { y: Tensor; idx: Tensor } {
  const rt = x.runtime;
  const y = empty(outShape, 'f32', 'maxPool2d');
  const idx = empty(outShape, 'i32', 'maxPool2d.indices');
  launch(rt, 'max_forward', g, runs(rt, g, y.size), [x.buffer('maxPool2d'), rt.placeholder('read'), y.buffer('maxPool2d'), idx.buffer('maxPool2d')], 'maxPool2d.forward');
  return { y, idx };
}

/**
 * Whether the windows tile the input: adjacent (dilation 1, stride = kernel) and reaching past
 * the last row and column, so each input element is in exactly one window (2x2 pooling of an
 * even-sized map, SimpleConvNet's case). Overlapping, gapped or short-of-the-edge windows
 * (floor mode on an odd size) take the gather, which also writes the elements no window holds.
 */
export function windowsTile(g: PoolGeometry): boolean {
  const axis = (k: number, s: number, p: number, d: number, size: number, out: number) => d === 1 && s === k && out * s - p >= size;
  return axis(g.kernel[0], g.stride[0], g.padding[0], g.dilation[0], g.H, g.OH) && axis(g.kernel[1], g.stride[1], g.padding[1], g.dilation[1], g.W, g.OW);
}

/** dx of max pooling: a scatter per output when the windows tile the input, else a gather per input element. */
export function maxPoolGradKernel(dy: Tensor, idx: Tensor, g: PoolGeometry, inShape: readonly number[]): Tensor {
  const rt = dy.runtime;
  const dx = empty(inShape, 'f32', 'maxPool2d.dx');
  const bufs = [dy.buffer('maxPool2d'), idx.buffer('maxPool2d'), dx.buffer('maxPool2d'), rt.placeholder('rw')];
  if (windowsTile(g)) launch(rt, 'max_backward_tiled', g, runs(rt, g, dy.size), bufs, 'maxPool2d.backward');
  else launch(rt, 'max_backward', g, dx.size, bufs, 'maxPool2d.backward');
  return dx;
}

/** avgPool2d (adaptive = false) or adaptiveAvgPool2d forward. */
export function avgPoolKernel(x: Tensor, g: PoolGeometry, outShape: readonly number[], adaptive: boolean): Tensor {
  const rt = x.runtime;
  const name = adaptive ? 'adaptiveAvgPool2d' : 'avgPool2d';
  const y = empty(outShape, 'f32', name);
  launch(rt, adaptive ? 'adaptive_forward' : 'avg_forward', g, y.size, [x.buffer(name), rt.placeholder('read'), y.buffer(name), rt.placeholder('rw')], `${name}.forward`);
  return y;
}

export function avgPoolGradKernel(dy: Tensor, g: PoolGeometry, inShape: readonly number[], adaptive: boolean): Tensor {
  const rt = dy.runtime;
  const name = adaptive ? 'adaptiveAvgPool2d' : 'avgPool2d';
  const dx = empty(inShape, 'f32', `${name}.dx`);
  launch(rt, adaptive ? 'adaptive_backward' : 'avg_backward', g, dx.size, [dy.buffer(name), rt.placeholder('read'), dx.buffer(name), rt.placeholder('rw')], `${name}.backward`);
  return dx;
}
