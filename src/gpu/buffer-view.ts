// Offset views: a byte range of a parent GPU buffer, handed to kernels in place of a buffer.
//
// A tensor made by narrow / slice / split / chunk whose elements are one contiguous range of its
// parent, starting at a byte offset the device can bind (a multiple of
// minStorageBufferOffsetAlignment, often 256 bytes), shares the parent's buffer instead of
// copying it (see Storage.view in src/tensor.ts for the rule). Kernel launchers never see the
// difference: Tensor.buffer() returns a BufferView for such a tensor, and the Runtime's entry
// points (dispatch, copy, upload, read) turn every buffer they are given into a range with
// `rangeOf()` and bind it with `bindingOf()`, so one helper, not every kernel, knows about
// offsets. A BufferView is GPUBuffer-shaped so that the launchers' `GPUBuffer[]` operand lists
// carry it unchanged; it is not a device object, and the device itself would refuse it: only the
// Runtime may receive one.

/** A byte range of a buffer: what a binding or a copy addresses. */
export interface BufferRange {
  readonly buffer: GPUBuffer;
  readonly offset: number;
  readonly size: number;
}

/** `size` bytes of `parent` from byte `offset` (a multiple of the device's storage offset alignment). */
export class BufferView implements GPUBuffer {
  readonly __brand = 'GPUBuffer' as const;
  constructor(
    readonly parent: GPUBuffer,
    readonly offset: number,
    readonly size: number,
  ) {}
  get label(): string {
    return this.parent.label;
  }
  set label(v: string) {
    this.parent.label = v;
  }
  get usage(): GPUFlagsConstant {
    return this.parent.usage;
  }
  get mapState(): GPUBufferMapState {
    return this.parent.mapState;
  }
  mapAsync(): Promise<undefined> {
    throw notOwned('mapAsync');
  }
  getMappedRange(): ArrayBuffer {
    throw notOwned('getMappedRange');
  }
  unmap(): undefined {
    throw notOwned('unmap');
  }
  destroy(): undefined {
    throw notOwned('destroy');
  }
}

function notOwned(what: string): Error {
  return new TypeError(`webgrad: ${what}() on an offset view of a buffer (the view does not own its memory; its parent tensor's storage does)`);
}

/** The range a (possibly view) buffer stands for: a whole buffer is [0, size). */
export function rangeOf(b: GPUBuffer): BufferRange {
  return b instanceof BufferView ? { buffer: b.parent, offset: b.offset, size: b.size } : { buffer: b, offset: 0, size: b.size };
}

/** The buffer that holds a (possibly view) buffer's memory: what captures pin. */
export function ownerOf(b: GPUBuffer): GPUBuffer {
  return b instanceof BufferView ? b.parent : b;
}

/** The bind-group resource for a (possibly view) buffer: a whole buffer is bound whole, as before views. */
export function bindingOf(b: GPUBuffer): GPUBufferBinding {
  return b instanceof BufferView ? { buffer: b.parent, offset: b.offset, size: b.size } : { buffer: b };
}

/**
 * Whether buffers[i], bound read-only, shares its memory with a buffer another binding writes
 * (kinds[j + 1] === 'rw'; kinds[0] is the uniform). WebGPU refuses such a dispatch whatever the
 * ranges (a buffer is one subresource of a pass's usage scope), which views make reachable: an
 * in-place update of one slice that reads a sibling slice. The Runtime reads a copy instead.
 */
export function readsWritten(kinds: readonly string[], buffers: readonly GPUBuffer[], i: number): boolean {
  if (kinds[i + 1] === 'rw') return false;
  const owner = ownerOf(buffers[i]);
  for (let j = 0; j < buffers.length; j++) if (kinds[j + 1] === 'rw' && ownerOf(buffers[j]) === owner) return true;
  return false;
}
