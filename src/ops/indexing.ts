// Indexing ops: embedding and indexSelect (row gathers with a deterministic scatter-add
// backward, shaders/indexing.wgsl). Indices are i32 tensors. Indices the host knows (tensors
// made from host data carry their [min, max] in `intRange`) are range-checked before any GPU
// work; an out-of-range index computed on the GPU reads as NaN and gets no gradient.
import { DTypeError, ShapeError, ValueError, fmtShape } from '../errors.ts';
import { option, parseOptions, type OptionsOf } from '../options.ts';
import { normalizeAxis, sizeOf } from '../shape.ts';
import { Tensor, tensor } from '../tensor.ts';
import { gatherKernel, gatherRowsKernel, scatterRowsKernel, type RowsDims } from '../kernels/indexing.ts';
import { apply, defineOp } from './op.ts';

/** x viewed as [outer, x.shape[dim], inner] around `dim`, indexed by `idx`. */
function rowsDims(xShape: readonly number[], dim: number, idx: { size: number }, padding = -1): RowsDims {
  const outer = sizeOf(xShape.slice(0, dim));
  const inner = sizeOf(xShape.slice(dim + 1));
  return { outer, v: xShape[dim], inner, n: idx.size, padding };
}

/** inputs: ids (i32, any shape), table [V, D]; out [...ids.shape, D]. */
export const embeddingOp = defineOp<{ paddingIdx: number }, { ids: Tensor }>({
  name: 'embedding',
  arity: 2,
  intInputs: [0],
  forward: ([ids, table], { paddingIdx }) => ({
    out: gatherRowsKernel(table, ids, rowsDims(table.shape, 0, ids, paddingIdx), [...ids.shape, table.shape[1]], 'embedding'),
    saved: { ids },
  }),
  backward: (g, { ids }, { inputs, attrs }) => [null, scatterRowsKernel(g, ids, rowsDims(inputs[1].shape, 0, ids, attrs.paddingIdx), inputs[1].shape, 'embedding')],
});

/** inputs: x, index (i32 [n]); out: x's shape with dim `dim` of size n. */
export const indexSelectOp = defineOp<{ dim: number }, { index: Tensor }>({
  name: 'indexSelect',
  arity: 2,
  intInputs: [1],
  forward: ([x, index], { dim }) => {
    const outShape = x.shape.map((s, i) => (i === dim ? index.size : s));
    return { out: gatherRowsKernel(x, index, rowsDims(x.shape, dim, index), outShape, 'indexSelect'), saved: { index } };
  },
  backward: (g, { index }, { inputs, attrs }) => [scatterRowsKernel(g, index, rowsDims(inputs[0].shape, attrs.dim, index), inputs[0].shape, 'indexSelect'), null],
});

/** inputs: x, index (i32, x's rank); out has index's shape. */
export const gatherOp = defineOp<{ dim: number }, { index: Tensor }>({
  name: 'gather',
  arity: 2,
  intInputs: [1],
  forward: ([x, index], { dim }) => ({ out: gatherKernel(x, index, dim, x.shape, false), saved: { index } }),
  backward: (g, { index }, { inputs, attrs }) => [gatherKernel(g, index, attrs.dim, inputs[0].shape, true), null],
});

// ------------------------------------------------------------------------ checks

function checkTensor(op: string, name: string, t: unknown): asserts t is Tensor {
  if (!(t instanceof Tensor)) throw new ValueError(op, `${name} must be a Tensor, got ${typeof t}`);
}

/** Index tensors are i32; indices known on the host must lie in [0, size). */
export function checkIndices(op: string, index: Tensor, size: number, shapes: readonly (readonly number[])[], what: string): void {
  if (index.dtype !== 'i32') {
    throw new DTypeError(op, `${what} must be an i32 tensor, got ${index.dtype} tensor of shape ${fmtShape(index.shape)}`);
  }
  const r = index.intRange;
  if (r && (r[0] < 0 || r[1] >= size)) {
    const bad = r[0] < 0 ? r[0] : r[1];
    throw new ValueError(op, `${what} holds ${bad}, out of range for a dim of size ${size} (valid: 0 <= index < ${size}; shapes ${shapes.map(fmtShape).join(' and ')})`);
  }
}

// ------------------------------------------------------------------------ public functions

const EMBEDDING_OPTIONS = { paddingIdx: option.integer({ aliases: ['padding_idx'] }) };
/** Options of `embedding(indices, weight, opts)`. */
export type EmbeddingOptions = OptionsOf<typeof EMBEDDING_OPTIONS>;

/**
 * Look up rows of `table` [V, D] (torch.nn.functional.embedding(ids, table)): out has shape
 * [...ids.shape, D]. `paddingIdx` (negative counts from V): that row gets no gradient.
 * The gradient is summed per row in a fixed order: bit-identical run to run.
 */
export function embedding(ids: Tensor, table: Tensor, opts?: EmbeddingOptions): Tensor {
  checkTensor('embedding', 'ids', ids);
  checkTensor('embedding', 'table', table);
  const { paddingIdx } = parseOptions('embedding', opts, EMBEDDING_OPTIONS);
  if (table.rank !== 2) throw new ShapeError('embedding', [ids.shape, table.shape], 'table must be 2-D [numEmbeddings, embeddingDim]');
  const V = table.shape[0];
  let padding = -1;
  if (paddingIdx !== undefined) {
    if (paddingIdx < -V || paddingIdx >= V) throw new ValueError('embedding', `paddingIdx ${paddingIdx} is out of range for a table of ${V} rows`);
    padding = paddingIdx < 0 ? paddingIdx + V : paddingIdx;
  }
  checkIndices('embedding', ids, V, [ids.shape, table.shape], 'ids');
  return apply(embeddingOp, [ids, table], { paddingIdx: padding });
}

/** torch.index_select(x, dim, index): the slices of x at `index` (i32, 0-D or 1-D) along `dim`. */
export function indexSelect(x: Tensor, dim: number, index: Tensor): Tensor {
  checkTensor('indexSelect', 'x', x);
  checkTensor('indexSelect', 'index', index);
  if (x.rank === 0) throw new ShapeError('indexSelect', [x.shape], 'expected a tensor of rank >= 1');
  const d = normalizeAxis('indexSelect', dim, x.rank);
  if (index.rank > 1) throw new ShapeError('indexSelect', [x.shape, index.shape], 'index must be 0-D or 1-D');
  checkIndices('indexSelect', index, x.shape[d], [x.shape, index.shape], 'index');
  return apply(indexSelectOp, [x, index], { dim: d });
}

/** Rank limit of gather's kernels (shapes travel as two vec4s). */
const MAX_GATHER_RANK = 8;

/**
 * torch.gather(x, dim, index): out[c] = x[c with c[dim] = index[c]]; index (i32) has x's rank,
 * out has index's shape, and index.shape[d] <= x.shape[d] for d != dim. The gradient is a
 * deterministic scatter-add (fixed summation order).
 */
export function gather(x: Tensor, dim: number, index: Tensor): Tensor {
  checkTensor('gather', 'x', x);
  checkTensor('gather', 'index', index);
  if (x.rank === 0) throw new ShapeError('gather', [x.shape], 'expected a tensor of rank >= 1');
  const d = normalizeAxis('gather', dim, x.rank);
  if (x.rank > MAX_GATHER_RANK) throw new ShapeError('gather', [x.shape], `supports rank <= ${MAX_GATHER_RANK}`);
  if (index.rank !== x.rank || index.shape.some((s, i) => i !== d && s > x.shape[i])) {
    throw new ShapeError('gather', [x.shape, index.shape], `index must have the input's rank and index.shape[d] <= input.shape[d] for every d != ${d}`);
  }
  checkIndices('gather', index, x.shape[d], [x.shape, index.shape], 'index');
  return apply(gatherOp, [x, index], { dim: d });
}

const ARANGE_OPTIONS = {
  dtype: option.dtype(),
  requiresGrad: option.boolean({ default: false, aliases: ['requires_grad'] }),
  label: option.string(),
};
/** Options of `arange(...)`. */
export type ArangeOptions = OptionsOf<typeof ARANGE_OPTIONS>;

/**
 * torch.arange: arange(end), arange(start, end) or arange(start, end, step), each optionally
 * followed by { dtype, requiresGrad, label }. Values start + i * step for i < ceil((end - start) / step),
 * computed in float64 on the host. dtype defaults to i32 when every argument is an integer, else f32.
 */
export function arange(...args: (number | ArangeOptions | undefined)[]): Tensor {
  const last = args[args.length - 1];
  const optsGiven = last !== undefined && typeof last !== 'number';
  const nums = (optsGiven ? args.slice(0, -1) : args).filter((a) => a !== undefined);
  const opts = parseOptions('arange', optsGiven ? last : undefined, ARANGE_OPTIONS);
  if (nums.length < 1 || nums.length > 3 || !nums.every((a) => typeof a === 'number' && Number.isFinite(a))) {
    throw new ValueError('arange', `expected arange(end), arange(start, end) or arange(start, end, step) with finite numbers, got (${args.map(String).join(', ')})`);
  }
  const [start, end, step] = (nums.length === 1 ? [0, nums[0], 1] : [nums[0], nums[1], nums[2] ?? 1]) as number[];
  if (step === 0) throw new ValueError('arange', 'step must be nonzero');
  if ((end - start) * step < 0) throw new ValueError('arange', `upper bound and larger bound inconsistent with step sign (start ${start}, end ${end}, step ${step})`);
  const ints = [start, end, step].every(Number.isInteger);
  const dtype = opts.dtype ?? (ints ? 'i32' : 'f32');
  if (dtype === 'i32' && !ints) throw new ValueError('arange', `an i32 arange needs integer start, end and step (got ${start}, ${end}, ${step})`);
  const n = Math.max(Math.ceil((end - start) / step), 0);
  const values = dtype === 'i32' ? new Int32Array(n) : new Float32Array(n);
  for (let i = 0; i < n; i++) values[i] = start + i * step;
  return tensor(values, { dtype, requiresGrad: opts.requiresGrad, label: opts.label ?? 'arange' });
}
