// Size-bucketed GPU buffer pool. A released buffer waits until the commands recorded so far
// are submitted (a buffer still referenced by an unsubmitted command must not be handed to a
// writeBuffer upload, which would run first), then becomes reusable.
import { LimitError, OutOfMemoryError } from '../errors.ts';
import type { EffectiveLimits } from './runtime.ts';

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
  private pendingBytes = 0;
  private readonly sizes = new WeakMap<GPUBuffer, number>();
  liveBuffers = 0;
  liveBytes = 0;
  pooledBytes = 0;
  pooledBuffers = 0;
  created = 0;
  reused = 0;
  /** Above this many pooled bytes, released buffers are destroyed instead of kept. */
  maxPooledBytes = 512 * 1024 * 1024;
  /**
   * Submits the recorded commands (set by the Runtime to its flush()). Called by acquire() when
   * many released buffers wait for a submit, so a long loop without readbacks reuses buffers
   * instead of growing the pool without bound.
   */
  requestSubmit: (() => void) | null = null;
  /** Pending releases that trigger requestSubmit(): this many buffers or bytes. */
  submitAfter = { buffers: 256, bytes: 64 * 1024 * 1024 };

  /** Out-of-memory errors reported asynchronously by the device; the next read throws them. */
  readonly asyncErrors: OutOfMemoryError[] = [];

  constructor(
    private readonly device: GPUDevice,
    private readonly limits: Pick<EffectiveLimits, 'maxBufferSize'>,
    private readonly memoryBudget = Infinity,
  ) {}

  acquire(bytes: number, label: string): GPUBuffer {
    const size = bucketSize(bytes);
    if (
      this.requestSubmit &&
      !this.free.get(size)?.length &&
      (this.pendingRelease.length >= this.submitAfter.buffers || this.pendingBytes >= this.submitAfter.bytes)
    ) {
      this.requestSubmit(); // -> onSubmitted(): the pending buffers become reusable
    }
    const list = this.free.get(size);
    let buf = list?.pop();
    if (buf) {
      this.pooledBytes -= size;
      this.pooledBuffers--;
      this.reused++;
      buf.label = label;
    } else {
      const limit = this.limits.maxBufferSize;
      if (size > limit) {
        throw new LimitError(label, `a buffer of ${bytes} bytes exceeds the device's maxBufferSize (${limit} bytes)`);
      }
      if (this.liveBytes + size > this.memoryBudget) {
        // Unused pooled buffers count against the device too: give them back before failing.
        this.releaseAll();
        throw new OutOfMemoryError(bytes, `the memory budget is ${this.memoryBudget} bytes and ${this.liveBytes} bytes are live in ${this.liveBuffers} buffers (see memory({ verbose: true }))`);
      }
      this.device.pushErrorScope('out-of-memory');
      buf = this.device.createBuffer({
        label,
        size,
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
      });
      const live = this.liveBytes;
      this.device.popErrorScope().then((err) => {
        if (err) this.asyncErrors.push(new OutOfMemoryError(bytes, `the device refused (${err.message}); ${live} bytes were live`));
      }, () => undefined);
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
    const size = this.sizes.get(buf) ?? buf.size;
    this.liveBytes -= size;
    this.pendingBytes += size;
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
    this.pendingBytes = 0;
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
