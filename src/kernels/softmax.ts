// Launchers for shaders/softmax.wgsl. Each entry runs as one of two variant records
// (src/kernels/variants.ts): one workgroup per row with a tree (GPUs), or one invocation per
// row (SERIAL: CPU adapters, no barriers); the table picks by kernel family.
import { empty, type Tensor } from '../tensor.ts';
import type { BindingKind } from '../gpu/pipelines.ts';
import { ParamWriter, grid1d } from './launch.ts';
import { planJob, singleStep, VariantTable, type VariantRecord } from './variants.ts';

const WG = 64;
const BINDINGS: BindingKind[] = ['uniform', 'read', 'read', 'rw', 'rw'];

interface RowDims {
  entry: 'softmax' | 'softmax_backward' | 'ce_forward' | 'ce_backward';
  log: boolean;
  labelsInt: boolean;
  rows: number;
  params: Uint8Array<ArrayBuffer>;
}

function rowRecord(serial: boolean, purpose: string): VariantRecord<RowDims> {
  return {
    name: serial ? 'serial' : 'workgroup',
    purpose,
    families: [serial ? 'cpu' : 'gpu'],
    needs: { invocations: WG },
    plan: (rt, d) =>
      singleStep(
        { shader: 'softmax', entry: d.entry, defines: { LOG: d.log, LABELS_INT: d.labelsInt, SERIAL: serial }, constants: { WG }, bindings: BINDINGS },
        d.params,
        grid1d(rt, d.rows, serial ? WG : 1),
        4,
      ),
  };
}

/** Softmax, log-softmax and cross-entropy rows (not timed: chosen by kernel family). */
const ROWS = new VariantTable<RowDims>(
  [
    rowRecord(false, 'GPUs: one workgroup per row, max and sum as workgroup trees'),
    rowRecord(true, 'CPU drivers: one invocation per row, in order, no barriers'),
  ],
  {
    kind: 'softmax',
    shapeClass: (d) => `softmax:${d.entry}`,
    defaultFor: (rt) => (rt.kind.cpu ? 'serial' : 'workgroup'),
    worthTuning: () => false,
    tuneJob: (rt, d, c) => planJob(rt, d, c, [], 'autotune'),
  },
);

/** `inner`: the element stride of the softmax axis (1 for the last axis; see the shader). */
function params(rows: number, cols: number, inner = 1): Uint8Array<ArrayBuffer> {
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
  const d: RowDims = { entry: 'softmax', log, labelsInt: false, rows, params: params(rows, cols, inner) };
  const buffers = [x.buffer('softmax'), rt.placeholder('read'), out.buffer('softmax'), rt.placeholder('rw')];
  ROWS.launch(rt, d, undefined, buffers, 'softmax', `${log ? 'logSoftmax' : 'softmax'}.forward`);
  return out;
}

/** Gradient of softmax (y = probabilities) or log-softmax (y = log-probabilities). */
export function softmaxGradKernel(y: Tensor, g: Tensor, log: boolean, dim = y.rank - 1): Tensor {
  const rt = y.runtime;
  const [rows, cols, inner] = lines(y, dim);
  const out = empty(y.shape, 'f32', 'softmax.grad');
  const d: RowDims = { entry: 'softmax_backward', log, labelsInt: false, rows, params: params(rows, cols, inner) };
  const buffers = [y.buffer('softmax'), g.buffer('softmax'), out.buffer('softmax'), rt.placeholder('rw')];
  ROWS.launch(rt, d, undefined, buffers, 'softmax', `${log ? 'logSoftmax' : 'softmax'}.backward`);
  return out;
}

/** Fused softmax + cross-entropy: returns per-row losses [N] and probabilities [N, C]. */
export function crossEntropyKernel(logits: Tensor, labels: Tensor): { rowLoss: Tensor; probs: Tensor } {
  const rt = logits.runtime;
  const [rows, cols] = logits.shape;
  const probs = empty(logits.shape, 'f32', 'softmaxCrossEntropy.probs');
  const rowLoss = empty([rows], 'f32', 'softmaxCrossEntropy.rowLoss');
  const d: RowDims = { entry: 'ce_forward', log: false, labelsInt: labels.dtype === 'i32', rows, params: params(rows, cols) };
  const buffers = [logits.buffer('softmaxCrossEntropy'), labels.buffer('softmaxCrossEntropy'), probs.buffer('softmaxCrossEntropy'), rowLoss.buffer('softmaxCrossEntropy')];
  ROWS.launch(rt, d, undefined, buffers, 'softmaxCrossEntropy');
  return { rowLoss, probs };
}

/** dLogits = g * (p * rowsum(t) - t) / N (t: one-hot of the labels, or the f32 targets); g is the upstream scalar. */
export function crossEntropyGradKernel(probs: Tensor, labels: Tensor, g: Tensor): Tensor {
  const rt = probs.runtime;
  const [rows, cols] = probs.shape;
  const out = empty(probs.shape, 'f32', 'softmaxCrossEntropy.grad');
  const d: RowDims = { entry: 'ce_backward', log: false, labelsInt: labels.dtype === 'i32', rows, params: params(rows, cols) };
  const buffers = [probs.buffer('softmaxCrossEntropy'), labels.buffer('softmaxCrossEntropy'), out.buffer('softmaxCrossEntropy'), g.buffer('softmaxCrossEntropy')];
  ROWS.launch(rt, d, undefined, buffers, 'softmaxCrossEntropy', 'softmaxCrossEntropy.backward');
  return out;
}
