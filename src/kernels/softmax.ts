// Launchers for shaders/softmax.wgsl. Each entry runs as one of two variant records
// (src/kernels/variants.ts): one workgroup per row with a tree (GPUs), or one invocation per
// row (SERIAL: CPU adapters, no barriers); the table picks by kernel family.
import { empty, type Tensor } from '../tensor.ts';
import type { BindingKind } from '../gpu/pipelines.ts';
import { ParamWriter, grid1d } from './launch.ts';
import { planJob, singleStep, VariantTable, type VariantRecord } from './variants.ts';

const WG = 64;
const BINDINGS: BindingKind[] = ['uniform', 'read', 'read', 'rw', 'rw'];
/** Cross-entropy adds the class weights (read) and the per-row weights of the 'mean' denominator (rw). */
const CE_BINDINGS: BindingKind[] = ['uniform', 'read', 'read', 'rw', 'rw', 'read', 'rw'];

interface RowDims {
  entry: 'softmax' | 'softmax_backward' | 'ce_forward' | 'ce_backward';
  log: boolean;
  labelsInt: boolean;
  rows: number;
  params: Uint8Array<ArrayBuffer>;
}

const bindingsOf = (entry: RowDims['entry']): BindingKind[] => (entry.startsWith('ce_') ? CE_BINDINGS : BINDINGS);

function rowRecord(serial: boolean, purpose: string): VariantRecord<RowDims> {
  return {
    name: serial ? 'serial' : 'workgroup',
    purpose,
    families: [serial ? 'cpu' : 'gpu'],
    needs: { invocations: WG },
    plan: (rt, d) =>
      singleStep(
        { shader: 'softmax', entry: d.entry, defines: { LOG: d.log, LABELS_INT: d.labelsInt, SERIAL: serial }, constants: { WG }, bindings: bindingsOf(d.entry) },
        d.params,
        grid1d(rt, d.rows, serial ? WG : 1),
        bindingsOf(d.entry).length - 1,
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
function params(rows: number, cols: number, inner = 1, ce?: CeParams, invN = rows ? 1 / rows : 0): Uint8Array<ArrayBuffer> {
  return new ParamWriter()
    .u32(rows).u32(cols).f32(invN).u32(0).u32(inner)
    .i32(ce?.ignoreIndex ?? 0).f32(ce?.labelSmoothing ?? 0).u32((ce?.weight ? 1 : 0) | (ce?.gPerRow ? 2 : 0))
    .done();
}

/** What cross-entropy adds to a row launch (shaders/softmax.wgsl, ce_forward / ce_backward). */
export interface CeParams {
  ignoreIndex: number;
  labelSmoothing: number;
  /** Class weights [C], or null for all ones. */
  weight: Tensor | null;
  /** ce_backward: one upstream gradient per row ('none') instead of one scalar. */
  gPerRow?: boolean;
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

/**
 * Fused softmax + cross-entropy over the rows of logits [outer, C, inner] (classes on axis
 * `dim`, read with stride inner: no permute copy). Returns the per-row losses [rows] (row r =
 * o * inner + i, the flat index of its target), the probabilities (the logits' shape) and, for
 * class-index labels, each row's weight in the 'mean' denominator (w[y], 0 when ignored).
 */
export function crossEntropyKernel(logits: Tensor, labels: Tensor, dim: number, ce: CeParams): { rowLoss: Tensor; probs: Tensor; rowWeight: Tensor | null } {
  const rt = logits.runtime;
  const [rows, cols, inner] = lines(logits, dim);
  const labelsInt = labels.dtype === 'i32';
  const probs = empty(logits.shape, 'f32', 'crossEntropy.probs');
  const rowLoss = empty([rows], 'f32', 'crossEntropy.rowLoss');
  const rowWeight = labelsInt ? empty([rows], 'f32', 'crossEntropy.rowWeight') : null;
  const d: RowDims = { entry: 'ce_forward', log: false, labelsInt, rows, params: params(rows, cols, inner, ce) };
  const buffers = [
    logits.buffer('crossEntropy'), labels.buffer('crossEntropy'), probs.buffer('crossEntropy'), rowLoss.buffer('crossEntropy'),
    ce.weight?.buffer('crossEntropy') ?? rt.placeholder('read'), rowWeight?.buffer('crossEntropy') ?? rt.placeholder('rw'),
  ];
  ROWS.launch(rt, d, undefined, buffers, 'crossEntropy', 'crossEntropy.forward');
  return { rowLoss, probs, rowWeight };
}

/**
 * dLogits = g_r * (p * rowsum(t) - t) * invN (t: the effective targets, see the shader); g is
 * the upstream gradient, one value or one per row (`ce.gPerRow`).
 */
export function crossEntropyGradKernel(probs: Tensor, labels: Tensor, g: Tensor, dim: number, ce: CeParams, invN: number): Tensor {
  const rt = probs.runtime;
  const [rows, cols, inner] = lines(probs, dim);
  const out = empty(probs.shape, 'f32', 'crossEntropy.grad');
  const d: RowDims = { entry: 'ce_backward', log: false, labelsInt: labels.dtype === 'i32', rows, params: params(rows, cols, inner, ce, invN) };
  const buffers = [
    probs.buffer('crossEntropy'), labels.buffer('crossEntropy'), out.buffer('crossEntropy'), g.buffer('crossEntropy'),
    ce.weight?.buffer('crossEntropy') ?? rt.placeholder('read'), rt.placeholder('rw'),
  ];
  ROWS.launch(rt, d, undefined, buffers, 'crossEntropy', 'crossEntropy.backward');
  return out;
}
