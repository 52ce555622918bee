// Launchers for shaders/gradnorm.wgsl: the total norm of a list of gradients (one partial-sum
// dispatch per gradient, then one single-workgroup pass) and their in-place scaling by
// min(1, maxNorm / (norm + 1e-6)). Everything is recorded GPU work: no readback, so a captured
// training step can include it. Callers (src/nn/utils.ts) validate the gradients first.
import { empty, type Tensor } from '../tensor.ts';
import type { BindingKind, KernelKey } from '../gpu/pipelines.ts';
import { ParamWriter, grid1d } from './launch.ts';

const WG = 64;
/** Elements per partial sum (about): enough work per invocation, few partials for the final pass. */
const PER_PARTIAL = 256;
/** At most this many partial sums per gradient (the final pass reads them all with one workgroup). */
const MAX_PARTIALS = 1024;
const BINDINGS: BindingKind[] = ['uniform', 'read', 'rw', 'rw'];
const SCALE_BINDINGS: BindingKind[] = ['uniform', 'rw', 'read'];

export interface GradNormArgs {
  grads: readonly Tensor[];
  /** The norm's order: a number > 0, or Infinity (max |g|). */
  normType: number;
  maxNorm: number;
  /** errorIfNonfinite: leave the gradients unchanged when the norm is NaN or Inf. */
  skipNonfinite: boolean;
  label: string;
}

const modeOf = (p: number): number => (p === Infinity ? 0 : p === 1 ? 1 : p === 2 ? 2 : 3);
const partialsOf = (n: number): number => Math.max(1, Math.min(MAX_PARTIALS, Math.ceil(n / PER_PARTIAL)));

function params(n: number, count: number, offset: number, a: GradNormArgs): Uint8Array<ArrayBuffer> {
  return new ParamWriter()
    .u32(n).u32(count).u32(offset).u32(modeOf(a.normType))
    .f32(Number.isFinite(a.normType) ? a.normType : 0).f32(a.maxNorm).u32(a.skipNonfinite ? 1 : 0).u32(0)
    .done();
}

/** Records the norm and the scaling; returns the total norm as a 0-d tensor (on the GPU). */
export function clipGradNormKernel(a: GradNormArgs): Tensor {
  const rt = a.grads[0].runtime;
  const counts = a.grads.map((g) => partialsOf(g.size));
  const total = counts.reduce((s, k) => s + k, 0);
  const parts = empty([total], 'f32', `${a.label}.partials`);
  const clip = empty([2], 'f32', `${a.label}.coef`);
  const norm = empty([], 'f32', `${a.label}.norm`);
  const key = (entry: string, bindings: BindingKind[]): KernelKey => ({ shader: 'gradnorm', entry, constants: { WG }, bindings });
  try {
    let offset = 0;
    a.grads.forEach((g, i) => {
      rt.dispatch(key('partial', BINDINGS), params(g.size, counts[i], offset, a), [g.buffer(a.label), parts.buffer(a.label), rt.placeholder('rw')], grid1d(rt, counts[i], WG), `${a.label}.partial`);
      offset += counts[i];
    });
    rt.dispatch(key('finish', BINDINGS), params(0, total, 0, a), [parts.buffer(a.label), norm.buffer(a.label), clip.buffer(a.label)], [1, 1], `${a.label}.finish`);
    for (const g of a.grads) {
      rt.dispatch(key('scale', SCALE_BINDINGS), params(g.size, 0, 0, a), [g.buffer(a.label), clip.buffer(a.label)], grid1d(rt, g.size, WG), `${a.label}.scale`);
    }
  } finally {
    // Pool buffers: reusable only after the recorded work is submitted.
    parts.dispose();
    clip.dispose();
  }
  return norm;
}
