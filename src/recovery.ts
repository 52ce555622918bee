// Device-loss recovery: copy tensors (model parameters, optimizer state) to the host while the
// device is healthy, and after a loss re-upload them onto the new device in place, so the same
// Tensor objects (held by models and optimizers) keep working.
import { currentRuntime, runtime } from './context.ts';
import { ShapeError, ValueError } from './errors.ts';
import { sameShape } from './shape.ts';
import { Storage, type DType, type Tensor } from './tensor.ts';

/** A tensor's values copied to host memory by `snapshot()`, for `restore()` after a device loss. */
export interface HostCopy {
  shape: number[];
  dtype: DType;
  data: Float32Array | Int32Array;
}

/** Read tensors back to host memory (call periodically, e.g. every N training steps). */
export async function snapshot(tensors: readonly Tensor[]): Promise<HostCopy[]> {
  const out: HostCopy[] = [];
  for (const t of tensors) out.push({ shape: [...t.shape], dtype: t.dtype, data: (await t.data()).slice() });
  return out;
}

/**
 * Re-create each tensor's GPU storage on the current device from a snapshot (after
 * `await init()` acquired a new device). Gradients are cleared. Each tensor gets its own buffer:
 * a restored offset view (a slice) no longer shares memory with its parent.
 */
export function restore(tensors: readonly Tensor[], copies: readonly HostCopy[]): void {
  if (tensors.length !== copies.length) {
    throw new ValueError('restore', `got ${tensors.length} tensors but the snapshot holds ${copies.length}`);
  }
  tensors.forEach((t, i) => {
    if (!sameShape(t.shape, copies[i].shape) || t.dtype !== copies[i].dtype) {
      throw new ShapeError('restore', [t.shape, copies[i].shape], `tensor ${i} (${t.dtype}) does not match its snapshot (${copies[i].dtype})`);
    }
  });
  const rt = runtime();
  for (let i = 0; i < tensors.length; i++) {
    const t = tensors[i];
    const bytes = t.size * 4;
    const buf = rt.pool.acquire(Math.max(bytes, 4), `webgrad:${t.label || 'restored'}`);
    if (bytes) rt.upload(buf, copies[i].data);
    t.replaceStorage(new Storage(rt, buf, bytes));
    t.grad = null;
    t.gradFn = null;
  }
}

/** Whether the device behind the current runtime was lost (then call init() and restore()). */
export function deviceLost(): boolean {
  return currentRuntime()?.lost != null;
}
