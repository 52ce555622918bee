// IDX files (the MNIST / Fashion-MNIST container): magic 0x00 0x00 <type> <ndims>, then ndims
// big-endian u32 sizes, then the data. Only unsigned bytes (type 0x08) are used by those
// datasets and supported here. gzip (.gz) input is detected by its 1f 8b signature and
// decompressed with DecompressionStream (Node >= 18 and browsers alike, no node:zlib).
import { ValueError } from '../errors.ts';

/** A parsed IDX file: its dimensions and its unsigned bytes. */
export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

const UBYTE = 0x08;
const TYPE_NAMES: Record<number, string> = { 0x08: 'ubyte', 0x09: 'byte', 0x0b: 'short', 0x0c: 'int', 0x0d: 'float', 0x0e: 'double' };

/** True when the bytes start with the gzip signature (0x1f 0x8b). */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Decompress gzip data (streams through DecompressionStream). */
export async function gunzip(bytes: Uint8Array, name = 'data'): Promise<Uint8Array> {
  try {
    const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream('gzip'));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (e) {
    throw new ValueError('idx', `'${name}' looks gzipped but does not decompress: ${(e as Error).message}`);
  }
}

/** Parse an (uncompressed) IDX file of unsigned bytes. `name` appears in error messages. */
export function parseIdx(bytes: Uint8Array, name = 'idx file'): IdxArray {
  if (isGzip(bytes)) throw new ValueError('idx', `'${name}' is gzip-compressed; use readIdx() (or gunzip it first)`);
  if (bytes.length < 4) throw new ValueError('idx', `'${name}' is ${bytes.length} bytes, too short for an IDX header`);
  const magic = ((bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3]) >>> 0;
  const hex = `0x${magic.toString(16).padStart(8, '0')}`;
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new ValueError('idx', `'${name}' has magic number ${hex}; an IDX file starts with 0x00 0x00 (e.g. 0x00000803 for images, 0x00000801 for labels)`);
  }
  const type = bytes[2];
  const ndims = bytes[3];
  if (type !== UBYTE) {
    throw new ValueError('idx', `'${name}' (magic ${hex}) holds ${TYPE_NAMES[type] ?? `unknown type 0x${type.toString(16)}`} values; only unsigned bytes (type 0x08) are supported`);
  }
  if (ndims < 1) throw new ValueError('idx', `'${name}' (magic ${hex}) declares 0 dimensions`);
  const headerBytes = 4 + 4 * ndims;
  if (bytes.length < headerBytes) {
    throw new ValueError('idx', `'${name}' declares ${ndims} dimensions but is only ${bytes.length} bytes long (header needs ${headerBytes})`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  for (let i = 0; i < ndims; i++) dims.push(view.getUint32(4 + 4 * i, false));
  const expected = dims.reduce((a, b) => a * b, 1);
  const actual = bytes.length - headerBytes;
  if (actual !== expected) {
    throw new ValueError('idx', `'${name}' has dims [${dims.join(', ')}] = ${expected} bytes of data but ${actual} follow the header${actual < expected ? ' (truncated file?)' : ''}`);
  }
  return { dims, data: bytes.subarray(headerBytes) };
}

/** Parse IDX bytes that may be gzip-compressed. */
export async function readIdx(bytes: Uint8Array, name = 'idx file'): Promise<IdxArray> {
  return parseIdx(isGzip(bytes) ? await gunzip(bytes, name) : bytes, name);
}

/** Encode unsigned bytes as an IDX file (type 0x08). */
export function encodeIdx(dims: readonly number[], data: Uint8Array): Uint8Array {
  const n = dims.reduce((a, b) => a * b, 1);
  if (n !== data.length) throw new ValueError('encodeIdx', `dims [${dims.join(', ')}] need ${n} bytes, got ${data.length}`);
  if (dims.length < 1 || dims.length > 255) throw new ValueError('encodeIdx', `1 to 255 dims, got ${dims.length}`);
  const out = new Uint8Array(4 + 4 * dims.length + n);
  out[2] = UBYTE;
  out[3] = dims.length;
  const view = new DataView(out.buffer);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(data, 4 + 4 * dims.length);
  return out;
}
