// Slicing and joining: narrow / slice, split / chunk (windows of one dim), concat / cat and
// stack (inputs joined along one dim). PyTorch's semantics and names.
//
// Views: a window that is one contiguous range of x (a narrow of the leading dim, of any dim whose
// leading dims are all 1, or one spanning its whole dim; so split / chunk pieces along dim 0) is
// an offset view sharing x's memory, as in PyTorch, when it is non-empty and starts at a byte
// offset the device can bind: a multiple of minStorageBufferOffsetAlignment (often 256 bytes,
// e.g. a row start of a [*, 64] f32 tensor; see Storage.view). Writes through a view (in-place
// optimizer steps, write()) change the parent's range, and a view keeps the parent's buffer alive
// after the parent is disposed. Any other window is a copy: a contiguous one a single
// buffer-to-buffer copy with no kernel, a strided one the copy_block kernel (shaders/slice.wgsl).
// cat of one tensor copies (torch.cat returns new memory); concat's gradients are views of the
// output gradient where the rule allows.
import { ShapeError, ValueError, fmtShape } from '../errors.ts';
import { normalizeAxis, sameShape, sizeOf } from '../shape.ts';
import { empty, Tensor } from '../tensor.ts';
import { copyBlock, zerosKernel, type Block } from '../kernels/slice.ts';
import { apply, defineOp, type OpDef } from './op.ts';
import { unsqueeze } from './shape.ts';

/** A tensor of `shape` as rows around `dim`: the row count, the elements per index of dim, the row pitch. */
function windowOf(shape: readonly number[], dim: number): { rows: number; inner: number; pitch: number } {
  const inner = sizeOf(shape.slice(dim + 1));
  return { rows: sizeOf(shape.slice(0, dim)), inner, pitch: shape[dim] * inner };
}

/**
 * Dim-window [start, start + length) of x: an offset view of x's storage where the window is one
 * contiguous, non-empty range at a bindable offset (the rule above), else a copy.
 */
function narrowWindow(x: Tensor, dim: number, start: number, length: number, op: string): Tensor {
  const w = windowOf(x.shape, dim);
  if (w.rows === 1 || length === x.shape[dim]) {
    const view = x.shareRange(x.shape.map((s, i) => (i === dim ? length : s)), start * w.inner, { label: op });
    if (view) return view;
  }
  return narrowCopy(x, dim, start, length, op);
}

/** Copy dim-window [start, start + length) of x into a new tensor. */
function narrowCopy(x: Tensor, dim: number, start: number, length: number, op: string): Tensor {
  const outShape = x.shape.map((s, i) => (i === dim ? length : s));
  const out = empty(outShape, 'f32', op);
  const w = windowOf(x.shape, dim);
  const b: Block = { rows: w.rows, len: length * w.inner, srcRow: w.pitch, srcOff: start * w.inner, dstRow: length * w.inner, dstOff: 0 };
  copyBlock(x, out, b, op);
  return out;
}

/** narrow's attributes; `copy` forces new memory (cat of one tensor), else a view where the rule allows. */
export interface NarrowAttrs {
  dim: number;
  start: number;
  length: number;
  copy?: boolean;
}

export const narrowOp = defineOp<NarrowAttrs, undefined>({
  name: 'narrow',
  arity: 1,
  forward: ([x], { dim, start, length, copy }) => ({
    out: copy ? narrowCopy(x, dim, start, length, 'narrow') : narrowWindow(x, dim, start, length, 'narrow'),
    saved: undefined,
  }),
  // The window of a zero tensor of x's shape holds g.
  backward: (g, _s, { inputs, attrs: { dim, start, length } }) => {
    const shape = inputs[0].shape;
    const dx = zerosKernel(g.runtime, shape, 'narrow.grad');
    const w = windowOf(shape, dim);
    copyBlock(g, dx, { rows: w.rows, len: length * w.inner, srcRow: length * w.inner, srcOff: 0, dstRow: w.pitch, dstOff: start * w.inner }, 'narrow.grad');
    return [dx];
  },
});

/** The concat op for two inputs; `concatOp(n)` gives the same op for n inputs. */
const concat2 = defineOp<{ dim: number }, undefined>({
  name: 'concat',
  arity: 2,
  forward: (xs, { dim }) => {
    const outShape = xs[0].shape.map((s, i) => (i === dim ? xs.reduce((n, x) => n + x.shape[dim], 0) : s));
    const out = empty(outShape, 'f32', 'concat');
    let start = 0;
    for (const x of xs) {
      const w = windowOf(outShape, dim);
      const len = x.shape[dim] * w.inner;
      copyBlock(x, out, { rows: w.rows, len, srcRow: len, srcOff: 0, dstRow: w.pitch, dstOff: start * w.inner }, 'concat');
      start += x.shape[dim];
    }
    return { out, saved: undefined };
  },
  backward: (g, _s, { inputs, needsGrad, attrs: { dim } }) => {
    let start = 0;
    return inputs.map((x, i) => {
      const s = start;
      start += x.shape[dim];
      return needsGrad[i] ? narrowWindow(g, dim, s, x.shape[dim], 'concat.grad') : null;
    });
  },
});
export const concatOp = concat2;

const concatByArity = new Map<number, OpDef<{ dim: number }, undefined>>([[2, concat2]]);
/** The concat op taking n tensors (same name, forward and backward; apply() checks the arity). */
function concatFor(n: number): OpDef<{ dim: number }, undefined> {
  let op = concatByArity.get(n);
  if (!op) concatByArity.set(n, (op = { ...concat2, arity: n }));
  return op;
}

// ------------------------------------------------------------------------ public functions

function checkTensor(op: string, x: unknown, what = 'input'): asserts x is Tensor {
  if (!(x instanceof Tensor)) throw new ValueError(op, `${what} must be a Tensor, got ${typeof x}`);
}

function checkInt(op: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new ValueError(op, `${name} must be an integer, got ${String(v)}`);
  return v;
}

/** torch.narrow(x, dim, start, length): elements start .. start + length - 1 of dim (start may be negative). */
export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  checkTensor('narrow', x);
  if (x.rank === 0) throw new ShapeError('narrow', [x.shape], 'expected a tensor of rank >= 1');
  const d = normalizeAxis('narrow', checkInt('narrow', 'dim', dim), x.rank);
  const size = x.shape[d];
  let s = checkInt('narrow', 'start', start);
  checkInt('narrow', 'length', length);
  if (s < -size || s > size) throw new ValueError('narrow', `start ${start} is out of range for dim ${d} of size ${size} (shape ${fmtShape(x.shape)})`);
  if (s < 0) s += size;
  if (length < 0 || s + length > size) {
    throw new ValueError('narrow', `start ${s} + length ${length} exceeds dim ${d} of size ${size} (shape ${fmtShape(x.shape)})`);
  }
  return apply(narrowOp, [x], { dim: d, start: s, length });
}

/**
 * x[..., start:end, ...] along `dim` with Python slice rules (negative indices count from the
 * end, bounds clamp to the dim, an empty range gives a size-0 dim). Only step 1.
 */
export function slice(x: Tensor, dim: number, start?: number | null, end?: number | null): Tensor {
  checkTensor('slice', x);
  if (x.rank === 0) throw new ShapeError('slice', [x.shape], 'expected a tensor of rank >= 1');
  const d = normalizeAxis('slice', checkInt('slice', 'dim', dim), x.rank);
  const size = x.shape[d];
  const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + size : v, 0), size);
  const s = start === undefined || start === null ? 0 : clamp(checkInt('slice', 'start', start));
  const e = end === undefined || end === null ? size : clamp(checkInt('slice', 'end', end));
  return apply(narrowOp, [x], { dim: d, start: s, length: Math.max(e - s, 0) });
}

/** torch.cat(tensors, dim): shapes must agree except along dim. */
export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) throw new ValueError('cat', 'expected a non-empty array of tensors');
  tensors.forEach((t, i) => checkTensor('cat', t, `tensors[${i}]`));
  const first = tensors[0];
  if (first.rank === 0) throw new ShapeError('cat', tensors.map((t) => t.shape), 'zero-dimensional tensors cannot be concatenated');
  const d = normalizeAxis('cat', checkInt('cat', 'dim', dim), first.rank);
  for (const t of tensors) {
    const other = (s: readonly number[]) => s.filter((_, i) => i !== d);
    if (t.rank !== first.rank || !sameShape(other(t.shape), other(first.shape))) {
      throw new ShapeError('cat', tensors.map((u) => u.shape), `tensors must have the same shape except in dim ${d}`);
    }
  }
  if (tensors.length === 1) return apply(narrowOp, [first], { dim: d, start: 0, length: first.shape[d], copy: true });
  return apply(concatFor(tensors.length), tensors, { dim: d });
}

/** Alias of cat (torch.concat). */
export const concat = cat;

/** torch.stack(tensors, dim): equal shapes joined along a new dim. */
export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) throw new ValueError('stack', 'expected a non-empty array of tensors');
  tensors.forEach((t, i) => checkTensor('stack', t, `tensors[${i}]`));
  if (!tensors.every((t) => sameShape(t.shape, tensors[0].shape))) {
    throw new ShapeError('stack', tensors.map((t) => t.shape), 'stack expects each tensor to be equal size');
  }
  const d = normalizeAxis('stack', checkInt('stack', 'dim', dim), tensors[0].rank + 1);
  // Unsqueezed views (no copies); the graph keeps what backward needs after they are released.
  const views = tensors.map((t) => unsqueeze(t, d));
  try {
    return cat(views, d);
  } finally {
    views.forEach((v) => v.dispose());
  }
}

/**
 * torch.split(x, splitSizeOrSections, dim): chunks of splitSize along dim (the last one
 * smaller), or sections of the given sizes (which must sum to the dim).
 */
export function split(x: Tensor, splitSizeOrSections: number | readonly number[], dim = 0): Tensor[] {
  checkTensor('split', x);
  if (x.rank === 0) throw new ShapeError('split', [x.shape], 'expected a tensor of rank >= 1');
  const d = normalizeAxis('split', checkInt('split', 'dim', dim), x.rank);
  const size = x.shape[d];
  let sizes: number[];
  if (typeof splitSizeOrSections === 'number') {
    const n = checkInt('split', 'splitSize', splitSizeOrSections);
    if (n <= 0 && !(n === 0 && size === 0)) throw new ValueError('split', `splitSize must be positive, got ${n}`);
    sizes = [];
    for (let s = 0; s < size; s += n) sizes.push(Math.min(n, size - s));
    if (size === 0) sizes = [0];
  } else {
    if (!Array.isArray(splitSizeOrSections)) throw new ValueError('split', `splitSizeOrSections must be an integer or an array of integers`);
    sizes = splitSizeOrSections.map((s, i) => checkInt('split', `sections[${i}]`, s));
    if (sizes.some((s) => s < 0) || sizes.reduce((a, b) => a + b, 0) !== size) {
      throw new ShapeError('split', [x.shape], `sections [${sizes.join(', ')}] must be non-negative and sum to dim ${d} of size ${size}`);
    }
  }
  let start = 0;
  return sizes.map((len) => {
    const t = apply(narrowOp, [x], { dim: d, start, length: len });
    start += len;
    return t;
  });
}

/** torch.chunk(x, chunks, dim): ceil(size / chunks)-sized pieces (possibly fewer than `chunks`). */
export function chunk(x: Tensor, chunks: number, dim = 0): Tensor[] {
  checkTensor('chunk', x);
  const n = checkInt('chunk', 'chunks', chunks);
  if (n <= 0) throw new ValueError('chunk', `chunks must be positive, got ${n}`);
  if (x.rank === 0) throw new ShapeError('chunk', [x.shape], 'expected a tensor of rank >= 1');
  const d = normalizeAxis('chunk', checkInt('chunk', 'dim', dim), x.rank);
  const size = x.shape[d];
  return split(x, Math.max(Math.ceil(size / n), size === 0 ? 0 : 1), d);
}
