// Size-bucketed GPU buffer pool. A released buffer waits until the commands recorded so far
// are submitted (a buffer still referenced by an unsubmitted command must not be handed to a
// writeBuffer upload, which would run first), then becomes reusable.
import { GPUExecutionError } from '../errors.ts';

/** Round a byte size up to its bucket: powers of two to 1 MiB, then 256 KiB steps. */
export function bucketSize(bytes: number): number {
  const min = 256;
  if (bytes <= min) return min;
  if (bytes <= 1 << 20) return 2 ** Math.ceil(Math.log2(bytes));
  const step = 256 * 1024;
  return Math.ceil(bytes / step) * step;
}

export interface PoolStats {
  liveBuffers: number;
  liveBytes: number;
  pooledBuffers: number;
  pooledBytes: number;
  created: number;
  reused: number;
}

export class BufferPool {
  private readonly free = new Map<number, GPUBuffer[]>();
  private pendingRelease: GPUBuffer[] = [];
  private readonly sizes = new WeakMap<GPUBuffer, number>();
  liveBuffers = 0;
  liveBytes = 0;
  pooledBytes = 0;
  pooledBuffers = 0;
  created = 0;
  reused = 0;
  /** Above this many pooled bytes, released buffers are destroyed instead of kept. */
  maxPooledBytes = 512 * 1024 * 1024;

  constructor(private readonly device: GPUDevice) {}

  acquire(bytes: number, label: string): GPUBuffer {
    const size = bucketSize(bytes);
    const list = this.free.get(size);
    let buf = list?.pop();
    if (buf) {
      this.pooledBytes -= size;
      this.pooledBuffers--;
      this.reused++;
      buf.label = label;
    } else {
      const limit = this.device.limits.maxBufferSize;
      if (size > limit) {
        throw new GPUExecutionError(`${label}: a buffer of ${bytes} bytes exceeds the device's maxBufferSize (${limit} bytes)`);
      }
      buf = this.device.createBuffer({
        label,
        size,
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
      });
      this.sizes.set(buf, size);
      this.created++;
    }
    this.liveBuffers++;
    this.liveBytes += size;
    return buf;
  }

  /** Give a buffer back; it is reusable after the next submit. */
  release(buf: GPUBuffer): void {
    this.liveBuffers--;
    this.liveBytes -= this.sizes.get(buf) ?? buf.size;
    this.pendingRelease.push(buf);
  }

  /** Called right after a queue submission. */
  onSubmitted(): void {
    for (const buf of this.pendingRelease) {
      const size = this.sizes.get(buf) ?? buf.size;
      if (this.pooledBytes + size > this.maxPooledBytes) {
        buf.destroy();
        continue;
      }
      let list = this.free.get(size);
      if (!list) this.free.set(size, (list = []));
      list.push(buf);
      this.pooledBytes += size;
      this.pooledBuffers++;
    }
    this.pendingRelease = [];
  }

  /** Destroy every pooled (unused) buffer. */
  releaseAll(): void {
    for (const list of this.free.values()) for (const b of list) b.destroy();
    this.free.clear();
    this.pooledBytes = 0;
    this.pooledBuffers = 0;
  }

  stats(): PoolStats {
    return {
      liveBuffers: this.liveBuffers,
      liveBytes: this.liveBytes,
      pooledBuffers: this.pooledBuffers,
      pooledBytes: this.pooledBytes,
      created: this.created,
      reused: this.reused,
    };
  }
}
