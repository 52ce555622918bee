// Launchers for shaders/norm.wgsl (batch normalisation). Callers (src/ops/norm.ts) validate
// shapes first; these functions pack Params, pick the kernel family and bind buffers.
import { empty, type Tensor } from '../tensor.ts';
import type { BindingKind } from '../gpu/pipelines.ts';
import type { Runtime } from '../gpu/runtime.ts';
import { ParamWriter, grid1d } from './launch.ts';

/** Lanes per channel in the tree form (GPU family); the CPU family gives each channel one invocation. */
const WG = 64;
/** Channels per workgroup in the CPU family: lavapipe runs a workgroup's invocations in SIMD lanes. */
const SERIAL_WG = 8;
const BINDINGS: BindingKind[] = ['uniform', 'read', 'read', 'read', 'rw', 'rw', 'rw', 'rw'];

/** [N, C, S] view of a [N, C] or [N, C, H, W] input. */
export interface BnGeometry {
  batch: number;
  channels: number;
  inner: number;
  count: number;
}

export function bnGeometry(shape: readonly number[]): BnGeometry {
  const [n, c] = shape;
  const inner = shape.slice(2).reduce((a, d) => a * d, 1);
  return { batch: n, channels: c, inner, count: n * inner };
}

function serial(rt: Runtime): boolean {
  return rt.kind.cpu;
}

/** One workgroup per channel (tree), or one invocation per channel, SERIAL_WG channels a workgroup (CPU: SIMD lanes over channels). */
function plan(rt: Runtime, channels: number): { wg: number; grid: [number, number] } {
  return serial(rt) ? { wg: SERIAL_WG, grid: grid1d(rt, channels, SERIAL_WG) } : { wg: WG, grid: grid1d(rt, channels, 1) };
}

function params(g: BnGeometry, momentum: number, eps: number): Uint8Array {
  return new ParamWriter()
    .u32(g.channels).u32(g.inner).u32(g.count).u32(g.batch)
    .f32(momentum).f32(eps).f32(g.count > 1 ? g.count / (g.count - 1) : 1).f32(g.count ? 1 / g.count : 0)
    .done();
}

export interface BnForwardArgs {
  x: Tensor;
  weight: Tensor | null;
  bias: Tensor | null;
  /** Running statistics: read in eval mode, updated in place in training mode (when given). */
  runningMean: Tensor | null;
  runningVar: Tensor | null;
  /** true: batch statistics; false: the running statistics. */
  training: boolean;
  momentum: number;
  eps: number;
}

/** Fused forward: returns y and the saved [mean, rsqrt(var + eps)] per channel ([2, C]). */
export function batchNormForwardKernel(a: BnForwardArgs): { y: Tensor; stats: Tensor } {
  const rt = a.x.runtime;
  const g = bnGeometry(a.x.shape);
  const y = empty(a.x.shape, 'f32', 'batchNorm');
  const stats = empty([2, g.channels], 'f32', 'batchNorm.stats');
  const { wg, grid } = plan(rt, g.channels);
  const label = 'batchNorm';
  // Two writable bindings may not share a buffer: without running statistics, RV gets a scratch word.
  const scratch = a.runningVar ? null : empty([1], 'f32', 'batchNorm.unused');
  rt.dispatch(
    {
      shader: 'norm',
      entry: 'bn_forward',
      defines: {
        SERIAL: serial(rt), EVAL: !a.training, UPDATE: a.training && a.runningMean !== null,
        AFFINE_W: a.weight !== null, AFFINE_B: a.bias !== null,
      },
      constants: { WG: wg },
      bindings: BINDINGS,
    },
    params(g, a.momentum, a.eps),
    [
      a.x.buffer(label), a.weight?.buffer(label) ?? rt.placeholder('read'), a.bias?.buffer(label) ?? rt.placeholder('read'),
      a.runningMean?.buffer(label) ?? rt.placeholder('rw'), (a.runningVar ?? scratch!).buffer(label),
      y.buffer(label), stats.buffer(label),
    ],
    grid,
    `${label}.forward`,
  );
  scratch?.dispose();
  return { y, stats };
}

export interface BnBackwardArgs {
  x: Tensor;
  grad: Tensor;
  stats: Tensor;
  weight: Tensor | null;
  /** false: eval mode (statistics were constants). */
  training: boolean;
}

/** Fused backward: dx, and the per-channel sums gw = sum g * xhat and gb = sum g ([C] each). */
export function batchNormBackwardKernel(a: BnBackwardArgs): { dx: Tensor; gw: Tensor; gb: Tensor } {
  const rt = a.x.runtime;
  const g = bnGeometry(a.x.shape);
  const dx = empty(a.x.shape, 'f32', 'batchNorm.grad');
  const gw = empty([g.channels], 'f32', 'batchNorm.gradWeight');
  const gb = empty([g.channels], 'f32', 'batchNorm.gradBias');
  const { wg, grid } = plan(rt, g.channels);
  const label = 'batchNorm';
  rt.dispatch(
    {
      shader: 'norm',
      entry: 'bn_backward',
      defines: { SERIAL: serial(rt), EVAL: !a.training, UPDATE: false, AFFINE_W: a.weight !== null, AFFINE_B: false },
      constants: { WG: wg },
      bindings: BINDINGS,
    },
    params(g, 0, 0),
    [
      a.x.buffer(label), a.weight?.buffer(label) ?? rt.placeholder('read'), a.grad.buffer(label),
      dx.buffer(label), gw.buffer(label), gb.buffer(label), a.stats.buffer(label),
    ],
    grid,
    `${label}.backward`,
  );
  return { dx, gw, gb };
}

/** num_batches_tracked += 1 on the GPU (an i32 [] tensor), so captured steps count too. */
export function countBatchesKernel(counter: Tensor): void {
  const rt = counter.runtime;
  rt.dispatch(
    { shader: 'norm', entry: 'count_batches', defines: {}, constants: {}, bindings: ['uniform', 'rw'] },
    new ParamWriter().u32(0).done(),
    [counter.buffer('batchNorm')],
    [1, 1],
    'batchNorm.numBatchesTracked',
  );
}
