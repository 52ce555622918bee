// Launchers for shaders/softmax.wgsl.
import { empty, type Tensor } from '../tensor.ts';
import type { BindingKind } from '../gpu/pipelines.ts';
import type { Runtime } from '../gpu/runtime.ts';
import { ParamWriter, grid1d } from './launch.ts';

const WG = 64;
const BINDINGS: BindingKind[] = ['uniform', 'read', 'read', 'rw', 'rw'];

/** One invocation per row on CPU adapters (no barriers), one workgroup per row on GPUs. */
function serial(rt: Runtime): boolean {
  return rt.kind.cpu;
}

/** `inner`: the element stride of the softmax axis (1 for the last axis; see the shader). */
function params(rows: number, cols: number, inner = 1): Uint8Array {
  return new ParamWriter().u32(rows).u32(cols).f32(rows ? 1 / rows : 0).u32(0).u32(inner).u32(0).u32(0).u32(0).done();
}

/** The lines along `dim`: [rows, cols, inner] with rows = outer * inner. */
function lines(x: Tensor, dim: number): [number, number, number] {
  const cols = x.shape[dim] ?? 1;
  const inner = x.shape.slice(dim + 1).reduce((a, b) => a * b, 1);
  return [cols ? x.size / cols : 0, cols, inner];
}

/** softmax / log-softmax along axis `dim` (normalised), read in place with stride `inner`. */
export function softmaxKernel(x: Tensor, log: boolean, dim = x.rank - 1): Tensor {
  const rt = x.runtime;
  const [rows, cols, inner] = lines(x, dim);
  const out = empty(x.shape, 'f32', log ? 'logSoftmax' : 'softmax');
  rt.dispatch(
    { shader: 'softmax', entry: 'softmax', defines: { LOG: log, LABELS_INT: false, SERIAL: serial(rt) }, constants: { WG }, bindings: BINDINGS },
    params(rows, cols, inner),
    [x.buffer('softmax'), rt.placeholder('read'), out.buffer('softmax'), rt.placeholder('rw')],
    grid1d(rt, rows, serial(rt) ? WG : 1),
    `${log ? 'logSoftmax' : 'softmax'}.forward`,
  );
  return out;
}

/** Gradient of softmax (y = probabilities) or log-softmax (y = log-probabilities). */
export function softmaxGradKernel(y: Tensor, g: Tensor, log: boolean, dim = y.rank - 1): Tensor {
  const rt = y.runtime;
  const [rows, cols, inner] = lines(y, dim);
  const out = empty(y.shape, 'f32', 'softmax.grad');
  rt.dispatch(
    { shader: 'softmax', entry: 'softmax_backward', defines: { LOG: log, LABELS_INT: false, SERIAL: serial(rt) }, constants: { WG }, bindings: BINDINGS },
    params(rows, cols, inner),
    [y.buffer('softmax'), g.buffer('softmax'), out.buffer('softmax'), rt.placeholder('rw')],
    grid1d(rt, rows, serial(rt) ? WG : 1),
    `${log ? 'logSoftmax' : 'softmax'}.backward`,
  );
  return out;
}

/** Fused softmax + cross-entropy: returns per-row losses [N] and probabilities [N, C]. */
export function crossEntropyKernel(logits: Tensor, labels: Tensor): { rowLoss: Tensor; probs: Tensor } {
  const rt = logits.runtime;
  const [rows, cols] = logits.shape;
  const probs = empty(logits.shape, 'f32', 'softmaxCrossEntropy.probs');
  const rowLoss = empty([rows], 'f32', 'softmaxCrossEntropy.rowLoss');
  rt.dispatch(
    { shader: 'softmax', entry: 'ce_forward', defines: { LOG: false, LABELS_INT: labels.dtype === 'i32', SERIAL: serial(rt) }, constants: { WG }, bindings: BINDINGS },
    params(rows, cols),
    [logits.buffer('softmaxCrossEntropy'), labels.buffer('softmaxCrossEntropy'), probs.buffer('softmaxCrossEntropy'), rowLoss.buffer('softmaxCrossEntropy')],
    grid1d(rt, rows, serial(rt) ? WG : 1),
    'softmaxCrossEntropy.forward',
  );
  return { rowLoss, probs };
}

/** dLogits = g * (p * rowsum(t) - t) / N (t: one-hot of the labels, or the f32 targets); g is the upstream scalar. */
export function crossEntropyGradKernel(probs: Tensor, labels: Tensor, g: Tensor): Tensor {
  const rt = probs.runtime;
  const [rows, cols] = probs.shape;
  const out = empty(probs.shape, 'f32', 'softmaxCrossEntropy.grad');
  rt.dispatch(
    { shader: 'softmax', entry: 'ce_backward', defines: { LOG: false, LABELS_INT: labels.dtype === 'i32', SERIAL: serial(rt) }, constants: { WG }, bindings: BINDINGS },
    params(rows, cols),
    [probs.buffer('softmaxCrossEntropy'), labels.buffer('softmaxCrossEntropy'), out.buffer('softmaxCrossEntropy'), g.buffer('softmaxCrossEntropy')],
    grid1d(rt, rows, serial(rt) ? WG : 1),
    'softmaxCrossEntropy.backward',
  );
  return out;
}
