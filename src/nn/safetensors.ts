// Safetensors checkpoints that PyTorch loads directly (safetensors.torch.load_file +
// model.load_state_dict). Format: an 8-byte little-endian u64 N, N bytes of UTF-8 JSON
// {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {str: str}} padded with
// spaces to a multiple of 8, then the raw little-endian tensor bytes; offsets count from the
// first byte after the header.
//
// Layout: webgrad keeps Linear weights as [in, out]; torch.nn.Linear's weight is [out, in].
// toSafetensors writes torch layout by default (those weights transposed on the host) and
// records it in __metadata__.layout; loadSafetensors transposes back unless the file says
// layout "webgrad". A file written by PyTorch has no layout key and is read as torch layout.
import { ArgumentTypeError, ShapeError, ValueError, fmtShape } from '../errors.ts';
import { describeValue, option, parseOptions } from '../options.ts';
import { sizeOf } from '../shape.ts';
import type { Module } from './module.ts';

/** 'torch' (PyTorch's weight layout, the default) or 'webgrad' (Linear weights stored [in, out]). */
export type Layout = 'torch' | 'webgrad';

/** One tensor of a safetensors file: dtype, shape and byte range. */
export interface SafetensorsEntry {
  shape: number[];
  /**
   * F32 values, or integers (webgrad's i32 tensors such as BatchNorm's num_batches_tracked),
   * which are stored as I64 like torch's int64 buffers and read back from I64 or I32.
   */
  data: Float32Array | Int32Array;
}

/** A parsed safetensors file: its header entries, metadata and data bytes. */
export interface SafetensorsFile {
  tensors: Map<string, SafetensorsEntry>;
  metadata: Record<string, string>;
}

const DTYPE_BYTES: Record<string, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };

/** Serialise named f32 tensors (in the given order) with optional string metadata. */
export function encodeSafetensors(entries: Iterable<readonly [string, SafetensorsEntry]>, metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  const list = [...entries];
  let offset = 0;
  for (const [name, e] of list) {
    if (name === '__metadata__') throw new ValueError('toSafetensors', "'__metadata__' is reserved");
    if (e.data.length !== sizeOf(e.shape)) {
      throw new ShapeError('toSafetensors', [e.shape], `'${name}' has ${e.data.length} values`);
    }
    const bytes = storedBytes(e.data);
    header[name] = { dtype: e.data instanceof Int32Array ? 'I64' : 'F32', shape: e.shape, data_offsets: [offset, offset + bytes.byteLength] };
    offset += bytes.byteLength;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const [, e] of list) {
    const bytes = storedBytes(e.data);
    out.set(bytes, at);
    at += bytes.byteLength;
  }
  return out;
}

/** The little-endian bytes of an entry: f32 as is, integers widened to int64. */
function storedBytes(data: Float32Array | Int32Array): Uint8Array {
  if (data instanceof Float32Array) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const wide = new BigInt64Array(data.length);
  for (let i = 0; i < data.length; i++) wide[i] = BigInt(data[i]);
  return new Uint8Array(wide.buffer);
}

/** Parse a safetensors file holding F32 tensors; errors say what is wrong and where. */
export function decodeSafetensors(bytes: Uint8Array): SafetensorsFile {
  const op = 'loadSafetensors';
  if (!(bytes instanceof Uint8Array)) throw new ArgumentTypeError(op, `expected the file's bytes as a Uint8Array (or a Node Buffer), got ${describeValue(bytes)}`);
  // A plain Uint8Array view of the same bytes: a Node Buffer (readFileSync) is a view into a
  // larger pool, and Buffer#slice returns another view, so `.slice(a, b).buffer` below would be
  // the whole pool. On a Uint8Array, slice copies exactly [a, b).
  bytes = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 8) throw new ValueError(op, `file is ${bytes.length} bytes, too short for the 8-byte header length`);
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  if (n < 2 || 8 + n > bytes.length) throw new ValueError(op, `header length ${n} does not fit in a ${bytes.length}-byte file (not a safetensors file?)`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    throw new ValueError(op, `header is not valid UTF-8 JSON: ${(e as Error).message}`);
  }
  if (!header || typeof header !== 'object' || Array.isArray(header)) throw new ValueError(op, 'header must be a JSON object');
  const dataStart = 8 + n;
  const dataLen = bytes.length - dataStart;
  const tensors = new Map<string, SafetensorsEntry>();
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = (raw ?? {}) as Record<string, string>;
      continue;
    }
    const info = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const dtype = info?.dtype;
    if (dtype !== 'F32' && dtype !== 'I64' && dtype !== 'I32') {
      throw new ValueError(op, `tensor '${name}' has dtype ${String(dtype)}; only F32 (and I64/I32 integer buffers) are supported (convert with tensor.float() before saving)`);
    }
    const shape = info.shape;
    const offs = info.data_offsets;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) throw new ValueError(op, `tensor '${name}' has an invalid shape ${JSON.stringify(shape)}`);
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new ValueError(op, `tensor '${name}' has invalid data_offsets ${JSON.stringify(offs)}`);
    }
    const [begin, end] = offs as [number, number];
    const expected = sizeOf(shape) * DTYPE_BYTES[dtype];
    if (end - begin !== expected || end > dataLen) {
      throw new ValueError(op, `tensor '${name}' ${fmtShape(shape)} needs ${expected} bytes but data_offsets are [${begin}, ${end}] in ${dataLen} bytes of data`);
    }
    // Copy: the data region need not be 4-byte aligned in `bytes`.
    const buf = bytes.slice(dataStart + begin, dataStart + end).buffer;
    tensors.set(name, { shape: shape as number[], data: dtype === 'F32' ? new Float32Array(buf) : integers(op, name, dtype, buf) });
  }
  return { tensors, metadata };
}

/** I64 / I32 values as webgrad's i32 (an I64 value outside the i32 range is an error, not wrapped). */
function integers(op: string, name: string, dtype: 'I64' | 'I32', raw: ArrayBuffer): Int32Array {
  if (dtype === 'I32') return new Int32Array(raw);
  const wide = new BigInt64Array(raw);
  const out = new Int32Array(wide.length);
  for (let i = 0; i < wide.length; i++) {
    if (wide[i] > 2147483647n || wide[i] < -2147483648n) throw new ValueError(op, `tensor '${name}' (I64) holds ${wide[i]} at index ${i}, outside the i32 range`);
    out[i] = Number(wide[i]);
  }
  return out;
}

/** Transpose a row-major [r, c] matrix. */
export function transpose2d<T extends Float32Array | Int32Array>(data: T, r: number, c: number): T {
  const out = new (data.constructor as new (n: number) => T)(data.length);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = data[i * c + j];
  return out;
}

/** Options of `toSafetensors(model, opts)`. */
export interface SaveOptions {
  /** 'torch' (default): Linear weights as [out, in], loadable by torch.nn.Linear. */
  layout?: Layout;
  /** Extra string metadata stored in __metadata__. */
  metadata?: Record<string, string>;
}

const SAVE_OPTIONS = {
  layout: option.oneOf(['torch', 'webgrad']),
  metadata: option.custom<Record<string, string>>('an object of strings', (v) => typeof v === 'object' && v !== null && Object.values(v).every((x) => typeof x === 'string')),
} satisfies Record<keyof SaveOptions, unknown>;

/** Read the model's parameters back and serialise them (torch state_dict names and layout). */
export async function toSafetensors(model: Module, opts: SaveOptions = {}): Promise<Uint8Array> {
  parseOptions('toSafetensors', opts, SAVE_OPTIONS);
  const layout = opts.layout ?? 'torch';
  if (layout !== 'torch' && layout !== 'webgrad') throw new ValueError('toSafetensors', `layout must be 'torch' or 'webgrad', got '${String(layout)}'`);
  const specs = model.stateSpecs();
  const values = await Promise.all(specs.map(([, s]) => s.tensor.data()));
  const entries = specs.map(([name, s], i): [string, SafetensorsEntry] => {
    const shape = [...s.tensor.shape];
    if (layout === 'torch' && s.torchTransposed && shape.length === 2) {
      return [name, { shape: [shape[1], shape[0]], data: transpose2d(values[i], shape[0], shape[1]) }];
    }
    return [name, { shape, data: values[i] }];
  });
  return encodeSafetensors(entries, { format: 'pt', producer: 'webgrad', layout, ...opts.metadata });
}

/**
 * Load a safetensors file into the model's parameters in place (shape-checked; strict key
 * matching by default). Files without a webgrad layout tag are read as PyTorch layout.
 */
export function loadSafetensors(model: Module, bytes: Uint8Array, opts: { strict?: boolean } = {}): void {
  const { strict } = parseOptions('loadSafetensors', opts, { strict: option.boolean({ default: true }) });
  const file = decodeSafetensors(bytes);
  const layout: Layout = file.metadata.layout === 'webgrad' ? 'webgrad' : 'torch';
  const specs = new Map(model.stateSpecs());
  const state: Record<string, Float32Array | Int32Array> = {};
  for (const [name, e] of file.tensors) {
    const spec = specs.get(name);
    let { shape, data } = e;
    if (spec && layout === 'torch' && spec.torchTransposed && shape.length === 2) {
      data = transpose2d(data, shape[0], shape[1]);
      shape = [shape[1], shape[0]];
    }
    if (spec && (shape.length !== spec.tensor.rank || shape.some((d, i) => d !== spec.tensor.shape[i]))) {
      const want = layout === 'torch' && spec.torchTransposed ? [...spec.tensor.shape].reverse() : spec.tensor.shape;
      throw new ShapeError('loadSafetensors', [e.shape, want], `'${name}' in the file (${layout} layout) does not match the model`);
    }
    state[name] = data;
  }
  model.loadHostState('loadSafetensors', state, strict);
}
