// Tensor: a shape, a dtype and a reference-counted GPU buffer. Methods that compute
// (add, matmul, ...) are installed from src/ops/methods.ts so this file stays about storage.
import { runtime } from './context.ts';
import { ArgumentTypeError, DTypeError, DisposedTensorError, LimitError, ShapeError, ValueError, fmtShape } from './errors.ts';
import type { Runtime } from './gpu/runtime.ts';
import { trackTensor, untrackTensor } from './memory.ts';
import { BufferView } from './gpu/buffer-view.ts';
import { checkShape, flatten, inferShape, sizeOf, unflatten, type NestedArray, type Shape } from './shape.ts';
import { option, parseArg, parseOptions, type OptionsOf, type OptionsSpec } from './options.ts';
import type { GraphNode } from './autograd/graph.ts';

/** Element types: 'f32' (default) and 'i32' (indices, labels). */
export type DType = 'f32' | 'i32';
export type TypedArrayFor<D extends DType> = D extends 'i32' ? Int32Array : Float32Array;

/**
 * GPU memory shared by tensor handles (reshape views, tensors saved for backward): a whole pooled
 * buffer, or an offset view, a byte range of another Storage's buffer (narrow / slice / split /
 * chunk pieces that are one contiguous range at a bindable offset; see `view()`). A view retains
 * the storage that owns the buffer, so that buffer goes back to the pool (or to a capture that
 * pins it) only when the owner and every view of it are released. A view allocates nothing.
 */
export class Storage {
  refs = 1;
  /** What kernels get from Tensor.buffer(): the buffer itself, or a BufferView of this storage's range. */
  readonly handle: GPUBuffer;
  constructor(
    readonly rt: Runtime,
    readonly buffer: GPUBuffer,
    readonly bytes: number,
    /** For a view: the storage that owns `buffer` (retained until this view is released). */
    readonly parent: Storage | null = null,
    /** For a view: the byte offset of its range in `buffer`. */
    readonly offset = 0,
  ) {
    this.handle = parent ? new BufferView(buffer, offset, bytes) : buffer;
  }
  retain(): this {
    this.refs++;
    return this;
  }
  release(): void {
    if (--this.refs !== 0) return;
    if (this.parent) this.parent.release();
    else if (!this.rt.lost) this.rt.releaseBuffer(this.buffer);
  }

  /**
   * A view of `bytes` bytes from `byteOffset` into this storage, sharing its buffer, or null where
   * the device cannot bind that range: WebGPU binds a storage buffer only from an offset that is a
   * multiple of minStorageBufferOffsetAlignment (often 256 bytes; read from the adapter), and only
   * a non-empty range. The caller copies instead in those cases.
   */
  view(byteOffset: number, bytes: number): Storage | null {
    const owner = this.parent ?? this;
    const offset = this.offset + byteOffset;
    if (bytes <= 0 || byteOffset < 0 || byteOffset + bytes > this.bytes) return null;
    if (offset % this.rt.storageOffsetAlignment !== 0) return null;
    return new Storage(this.rt, owner.retain().buffer, bytes, owner, offset);
  }
}

// `using` support on runtimes that predate Symbol.dispose (the same polyfill TypeScript's helpers use).
(Symbol as { dispose?: symbol }).dispose ??= Symbol.for('Symbol.dispose');

// Safety net: a tensor dropped without dispose() gives its buffer back when collected.
const finalizer = new FinalizationRegistry<Storage>((s) => s.release());

let nextId = 1;

const CREATE_OPTIONS = {
  /** 'f32' (default) or 'i32'; 'float32' and 'int32' are accepted too. */
  dtype: option.dtype(),
  /** Record operations on this tensor for autograd (f32 only). PyTorch: requires_grad. */
  requiresGrad: option.boolean({ default: false }),
  /** A name shown in errors and memory reports. */
  label: option.string(),
};
const TENSOR_OPTIONS = {
  ...CREATE_OPTIONS,
  /** The shape of flat data (a typed array or flat number array), or a reshape of nested data. */
  shape: option.shape(),
};

/** Options of tensor creation (zeros, ones, full, empty, randn, ...): `{ dtype, requiresGrad, label }`. */
export type TensorOptions = OptionsOf<typeof CREATE_OPTIONS>;
/** Options of `tensor(data, opts)`: TensorOptions plus `shape`. */
export type TensorDataOptions = OptionsOf<typeof TENSOR_OPTIONS>;

/** Validate creation options (shared with randn/rand/randint, which add their own keys). */
export function parseCreateOptions<S extends OptionsSpec>(op: string, given: unknown, extra: S) {
  const o = parseOptions(op, given, { ...CREATE_OPTIONS, ...extra });
  if (o.requiresGrad && o.dtype === 'i32') {
    throw new DTypeError(op, 'only f32 tensors can require gradients (an i32 tensor holds indices or labels)');
  }
  return o;
}

/** An n-dimensional array on the GPU, with autograd (`requiresGrad`, `.grad`, `backward()`). */
export class Tensor {
  readonly __isTensor = true;
  readonly id = nextId++;
  readonly shape: readonly number[];
  readonly dtype: DType;
  requiresGrad: boolean;
  /** Accumulated gradient (same shape as the tensor), set by backward(). */
  grad: Tensor | null = null;
  /** The graph node that produced this tensor, when it was recorded for autograd. */
  gradFn: GraphNode | null = null;
  label: string;
  private storage: Storage | null;
  /** For i32 tensors made from host data: [min, max], so label checks need no readback. */
  intRange: [number, number] | null = null;
  /** Debug mode only: where the tensor was created (for memory({ verbose: true })). */
  createdAt = '';
  /** Whether backward() stores this (non-leaf) tensor's gradient in .grad. */
  retainsGrad = false;
  /** Internal handles are saved for backward; they are not counted in tidy() scopes. */
  readonly internal: boolean;

  constructor(storage: Storage, shape: Shape, dtype: DType, opts: { requiresGrad?: boolean; label?: string; internal?: boolean } = {}) {
    this.storage = storage;
    this.shape = Object.freeze([...shape]);
    this.dtype = dtype;
    this.requiresGrad = opts.requiresGrad ?? false;
    this.label = opts.label ?? '';
    this.internal = opts.internal ?? false;
    finalizer.register(this, storage, this);
    if (storage.rt.debug) this.createdAt = callSite();
    trackTensor(this, this.internal);
  }

  get size(): number {
    return sizeOf(this.shape);
  }
  get rank(): number {
    return this.shape.length;
  }
  get disposed(): boolean {
    return this.storage === null;
  }
  get runtime(): Runtime {
    return this.live('runtime').rt;
  }

  /**
   * The GPU buffer to bind: the tensor's own buffer, or for an offset view (a contiguous slice
   * sharing its parent's memory) a BufferView of the parent's range, which only the Runtime's
   * dispatch / copy / upload / read accept. Throws DisposedTensorError when the tensor was disposed.
   */
  buffer(op = 'buffer'): GPUBuffer {
    return this.live(op).handle;
  }

  /** The shared storage (for views such as reshape). */
  storageFor(op: string): Storage {
    return this.live(op);
  }

  private live(op: string): Storage {
    if (!this.storage) throw new DisposedTensorError(op, this.describe());
    return this.storage;
  }

  describe(): string {
    return `${this.label || 'tensor'}#${this.id} ${fmtShape(this.shape)} ${this.dtype}`;
  }

  /** Release the GPU memory now. Safe to call twice. Does not free `grad`. */
  dispose(): void {
    if (!this.storage) return;
    finalizer.unregister(this);
    this.storage.release();
    this.storage = null;
    untrackTensor(this, this.internal);
  }

  /** `using t = tensor(...)` disposes `t` at the end of the block. */
  [Symbol.dispose](): void {
    this.dispose();
  }

  /** Read the values back (async: flushes pending GPU work first). */
  async data(): Promise<TypedArrayFor<this['dtype']>> {
    const s = this.live('data');
    const bytes = this.size * 4;
    const raw = await s.rt.read(s.handle, bytes, `data(${this.describe()})`);
    return (this.dtype === 'i32' ? new Int32Array(raw) : new Float32Array(raw)) as TypedArrayFor<this['dtype']>;
  }

  /** Read back as nested arrays matching the shape (a number for a 0-d tensor). */
  async toArray(): Promise<NestedArray> {
    return unflatten(await this.data(), this.shape);
  }

  /** Read back a one-element tensor as a number. */
  async item(): Promise<number> {
    if (this.size !== 1) throw new ShapeError('item', [this.shape], 'expected a tensor with exactly one element');
    return (await this.data())[0];
  }

  /**
   * Point this tensor at new storage (device-loss recovery re-uploads parameters in place so
   * models and optimizers keep their references). The old storage is released.
   */
  replaceStorage(storage: Storage): void {
    if (this.storage) {
      finalizer.unregister(this);
      this.storage.release();
    } else {
      trackTensor(this, this.internal);
    }
    this.storage = storage;
    finalizer.register(this, storage, this);
  }

  /**
   * Overwrite this tensor's values in place from host data (e.g. the next mini-batch of a
   * captured training step). Work recorded before is submitted first, so it still sees the
   * old values.
   */
  write(values: ArrayLike<number>): this {
    const s = this.live('write');
    if (values.length !== this.size) {
      throw new ShapeError('write', [this.shape], `expected ${this.size} values for shape ${fmtShape(this.shape)}, got ${values.length}`);
    }
    if (s.rt.hasPendingWork) s.rt.flush();
    const host = this.dtype === 'i32' ? Int32Array.from(values) : Float32Array.from(values);
    if (this.dtype === 'i32') this.intRange = host.length ? [Math.min(...host), Math.max(...host)] : null;
    if (host.length) s.rt.upload(s.handle, host);
    return this;
  }

  /** A new handle sharing this tensor's storage (used for views and saved tensors). */
  share(shape: Shape, opts: { internal?: boolean; label?: string } = {}): Tensor {
    const s = this.live('share').retain();
    const t = new Tensor(s, shape, this.dtype, { internal: opts.internal, label: opts.label ?? this.label });
    t.intRange = this.intRange;
    return t;
  }

  /**
   * A handle on the `sizeOf(shape)` elements from element `start` of this tensor's storage (an
   * offset view: writes through either handle are seen by both), or null where the range cannot
   * be bound at its offset (see Storage.view); the caller then copies. Elements are 4 bytes (f32
   * and i32). The view's intRange is unknown (null): a slice may hold fewer values than its parent.
   */
  shareRange(shape: Shape, start: number, opts: { label?: string } = {}): Tensor | null {
    const s = this.live('shareRange').view(start * 4, sizeOf(shape) * 4);
    return s && new Tensor(s, shape, this.dtype, { label: opts.label ?? this.label });
  }

  toString(): string {
    return `Tensor(${this.describe()}${this.requiresGrad ? ', requiresGrad' : ''})`;
  }
}

// webgrad's own modules, wherever they run from: the repository (src/*.ts), the package's
// dist/*.js (installed under node_modules/webgrad/), the one-file browser build
// (webgrad.browser.js, from a CDN or copied next to a page) and Vite's dev-server copy of it
// (node_modules/.vite/deps/webgrad.js). (An app bundle that inlines webgrad into its own chunk
// has no file boundary left to tell the two apart; there the first frame outside this file wins.)
const OWN_MODULES = 'tensor|memory|random|context|capture|recovery|shape|ops|kernels|autograd|gpu|nn|optim|train|data|check|platform';
const OWN_FRAME = new RegExp(
  `[\\\\/](?:src|dist)[\\\\/](?:${OWN_MODULES})[\\\\/.]|[\\\\/]webgrad\\.browser(?:\\.min)?\\.js|[\\\\/]\\.vite[\\\\/]deps[\\\\/]webgrad\\.js`,
);

/** True for a stack frame inside webgrad itself (exported for the leak-report tests). */
export function isOwnFrame(frame: string): boolean {
  return OWN_FRAME.test(frame);
}

/** The first stack frame outside webgrad's own sources. */
function callSite(): string {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 40; // webgrad's own frames alone can exceed the default of 10
  const lines = (new Error().stack ?? '').split('\n').slice(2);
  Error.stackTraceLimit = limit;
  const frame = lines.find((l) => !isOwnFrame(l)) ?? lines[0] ?? '';
  return frame.trim().replace(/^at /, '');
}

// ----------------------------------------------------------------------------- creation

/**
 * Allocate an uninitialised tensor (its values are whatever the pooled buffer held, as
 * torch.empty). `empty(shape, { dtype, requiresGrad, label })`; webgrad's kernels also call
 * it as `empty(shape, dtype, label)`.
 */
export function empty(shape: Shape, dtypeOrOpts: DType | 'float32' | 'int32' | TensorOptions = 'f32', label?: string): Tensor {
  const o = typeof dtypeOrOpts === 'string'
    ? { dtype: parseArg('empty', 'dtype', dtypeOrOpts, option.dtype()), requiresGrad: false, label: parseArg('empty', 'label', label, option.string()) }
    : parseCreateOptions('empty', dtypeOrOpts, {});
  if (typeof dtypeOrOpts !== 'string' && label !== undefined) throw new ValueError('empty', 'give the label in the options object, not as a third argument');
  const name = o.label ?? 'tensor';
  const rt = runtime();
  checkShape(name, shape);
  const bytes = sizeOf(shape) * 4;
  const maxBinding = rt.limits.maxStorageBufferBindingSize;
  if (bytes > maxBinding) {
    throw new LimitError(
      name,
      `a tensor of shape ${fmtShape(shape)} needs ${bytes} bytes, more than this device can bind to a kernel ` +
        `(maxStorageBufferBindingSize = ${maxBinding} bytes); split it into smaller tensors`,
    );
  }
  const buf = rt.pool.acquire(Math.max(bytes, 4), `webgrad:${name}`);
  const t = new Tensor(new Storage(rt, buf, bytes), shape, o.dtype ?? 'f32', { label: name });
  t.requiresGrad = o.requiresGrad;
  return t;
}

type Data = NestedArray | Float32Array | Int32Array | Uint8Array | number[];

/**
 * Create a tensor from nested arrays, or from a flat (typed) array plus `shape`.
 * Options: `{ dtype, requiresGrad, label, shape }` (dtype 'f32' | 'i32', also 'float32' | 'int32').
 */
export function tensor(data: Data, opts?: TensorDataOptions): Tensor {
  const o = parseCreateOptions('tensor', opts, { shape: TENSOR_OPTIONS.shape });
  let values: ArrayLike<number>;
  let shape: number[];
  if (ArrayBuffer.isView(data)) {
    values = data as ArrayLike<number>;
    shape = o.shape ? checkShape('tensor', o.shape) : [values.length];
  } else if (o.shape && Array.isArray(data) && data.every((x) => typeof x === 'number')) {
    values = data as number[];
    shape = checkShape('tensor', o.shape);
  } else {
    shape = inferShape('tensor', data as NestedArray);
    values = flatten(data as NestedArray);
    if (o.shape) {
      if (sizeOf(o.shape) !== values.length) {
        throw new ShapeError('tensor', [shape, o.shape], `nested data of shape ${fmtShape(shape)} cannot take shape ${fmtShape(o.shape)}`);
      }
      shape = checkShape('tensor', o.shape);
    }
  }
  if (values.length !== sizeOf(shape)) {
    throw new ShapeError('tensor', [shape], `${values.length} values do not fill shape ${fmtShape(shape)} (${sizeOf(shape)} elements)`);
  }
  const dtype: DType = o.dtype ?? (data instanceof Int32Array ? 'i32' : 'f32');
  if (o.requiresGrad && dtype === 'i32') throw new DTypeError('tensor', 'only f32 tensors can require gradients (an i32 tensor holds indices or labels)');
  let host: Float32Array | Int32Array;
  if (dtype === 'i32') {
    host = values instanceof Int32Array ? values : Int32Array.from(values);
    if (!(values instanceof Int32Array)) {
      for (let i = 0; i < values.length; i++) {
        if (!Number.isInteger(values[i])) throw new ValueError('tensor', `i32 tensor got non-integer value ${values[i]} at flat index ${i}`);
      }
    }
  } else {
    host = values instanceof Float32Array ? values : Float32Array.from(values);
  }
  const t = empty(shape, dtype, o.label ?? 'tensor');
  if (host.length) runtime().upload(t.buffer('tensor'), host);
  if (dtype === 'i32') {
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < host.length; i++) {
      lo = Math.min(lo, host[i]);
      hi = Math.max(hi, host[i]);
    }
    t.intRange = host.length ? [lo, hi] : null;
  }
  t.requiresGrad = o.requiresGrad;
  return t;
}

/** A tensor of `shape` filled with `value`. Options: `{ dtype, requiresGrad, label }`. */
export function full(shape: Shape, value: number, opts?: TensorOptions): Tensor {
  return fill('full', shape, value, opts);
}

function fill(op: string, shape: Shape, value: number, opts: TensorOptions | undefined): Tensor {
  const o = parseCreateOptions(op, opts, {});
  const n = sizeOf(checkShape(op, shape));
  if (typeof value !== 'number') throw new ArgumentTypeError(op, `fill value must be a number, got ${typeof value}`);
  if (o.dtype === 'i32' && !Number.isInteger(value)) throw new ValueError(op, `an i32 tensor cannot hold the fill value ${value}`);
  const host = o.dtype === 'i32' ? new Int32Array(n).fill(value) : new Float32Array(n).fill(value);
  return tensor(host, { ...o, label: o.label ?? op, shape });
}

/** Zeros of `shape`. Options: `{ dtype, requiresGrad, label }`. */
export const zeros = (shape: Shape, opts?: TensorOptions): Tensor => fill('zeros', shape, 0, opts);
/** Ones of `shape`. Options: `{ dtype, requiresGrad, label }`. */
export const ones = (shape: Shape, opts?: TensorOptions): Tensor => fill('ones', shape, 1, opts);
