// The runtime owns one device and everything made from it: the buffer pool, the pipeline
// cache and the shared command encoder. Kernels are recorded into one compute pass and
// submitted together on flush (a readback or an explicit flush()), never once per kernel.
import { DeviceLostError, GPUExecutionError, LimitError } from '../errors.ts';
import type { AdapterSummary } from './device.ts';
import { NumericsChecker } from './numerics.ts';
import { CaptureRecording, type ParamsRefresh } from './capture.ts';
import { PipelineCache, type KernelKey } from './pipelines.ts';
import { BufferPool } from './pool.ts';
import { BindGroupCache } from './bindgroups.ts';
import { BufferView, bindingOf, ownerOf, rangeOf, readsWritten } from './buffer-view.ts';
import { settle } from './settle.ts';
import { adapterKind, isCpuDriver, type AdapterKind, type KernelFamily } from './kind.ts';

export type Grid = readonly [number, number?, number?];

export interface RuntimeStats {
  dispatches: number;
  submits: number;
  uploads: number;
  readbacks: number;
  bindGroups: number;
}

const UNIFORM_CHUNK = 64 * 1024;

/** The limits webgrad's kernels and allocations respect (device limits, optionally capped lower). */
export interface EffectiveLimits {
  maxStorageBufferBindingSize: number;
  maxBufferSize: number;
  maxComputeWorkgroupsPerDimension: number;
  maxComputeWorkgroupStorageSize: number;
  maxComputeInvocationsPerWorkgroup: number;
}

export interface RuntimeOptions {
  /** Caps below the device's own limits, e.g. to test how webgrad splits or rejects work. */
  limits?: Partial<EffectiveLimits>;
  /** Record a call site per tensor (memory({ verbose: true })) and capture errors per op. */
  debug?: boolean;
  /** After every op, check its output for NaN/Inf on the GPU; reads report the first culprit. */
  checkNumerics?: boolean;
  /** Maximum bytes of live tensor memory; allocation beyond it throws OutOfMemoryError. */
  memoryBudget?: number;
  /**
   * Sleep for most of the expected GPU time before waiting on it. Default: on in Node with a CPU
   * (software) adapter, where dawn.node polls in a tight loop while a map or onSubmittedWorkDone
   * is pending and so takes a core away from the driver's own worker threads.
   * WEBGRAD_POLITE_WAIT=0/1 overrides the default.
   */
  politeWait?: boolean;
  /**
   * Kernel family: 'cpu' runs the barrier-free variants written for CPU drivers (one
   * invocation per row or column, register-blocked matmul), 'gpu' the workgroup-memory ones.
   * Default 'auto': by adapter (lavapipe, SwiftShader, WARP... are CPUs). WEBGRAD_KERNELS too.
   */
  kernels?: KernelFamily;
}

/** politeWait: a wait this short after the sleep means the GPU was done before we woke. */
const OVERSLEPT_MS = 1.5;

export class Runtime {
  readonly pool: BufferPool;
  readonly pipelines: PipelineCache;
  readonly stats: RuntimeStats = { dispatches: 0, submits: 0, uploads: 0, readbacks: 0, bindGroups: 0 };
  lost: DeviceLostError | null = null;
  /**
   * Resolves once the first readback has returned: the autotuner starts no background job
   * (timing, pipeline compiles) before it, so the first result never waits for tuning.
   */
  readonly firstResult: Promise<void>;
  private resolveFirstResult: () => void = () => undefined;
  /** Uncaptured GPU errors since the last readback; surfaced by the next read. */
  readonly gpuErrors: string[] = [];
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private readonly uniformAlign: number;
  private readonly uniformChunks: { buffer: GPUBuffer; cpu: Uint8Array<ArrayBuffer> }[] = [];
  private uniformChunk = 0;
  private uniformOffset = 0;
  /** Bind groups of earlier dispatches (captures make their own). */
  private readonly bindGroups = new BindGroupCache();
  private readonly readbackFree = new Map<number, GPUBuffer[]>();
  private destroyed = false;
  private placeholders: Partial<Record<'read' | 'rw', GPUBuffer>> = {};
  /** The capture being recorded, if any (see capture.ts). */
  private recording: CaptureRecording | null = null;
  /** Buffers pinned by live captures. */
  private readonly pinned = new Map<GPUBuffer, CaptureRecording>();

  readonly limits: EffectiveLimits;
  /**
   * The device's minStorageBufferOffsetAlignment: an offset view (Storage.view) must start at a
   * multiple of it, since WebGPU binds storage buffers only from such offsets.
   */
  readonly storageOffsetAlignment: number;
  readonly debug: boolean;
  /**
   * A CPU rasterizer (lavapipe, SwiftShader, WARP...) rather than a GPU, and which: kernels
   * pick barrier-free variants on CPUs, where a barrier is a coroutine switch per invocation.
   */
  readonly kind: AdapterKind;
  readonly numerics: NumericsChecker | null;
  /** Resolves when the device is lost (never rejects). */
  readonly lostPromise: Promise<void>;
  private readonly politeWait: boolean;
  /** Recent time from submit to completion of a wait that had GPU work (ms, moving average). */
  private waitEstimateMs = 0;
  private dispatchesAtLastWait = 0;
  private pipelinesAtLastWait = 0;

  constructor(
    readonly device: GPUDevice,
    readonly adapter: AdapterSummary,
    readonly options: RuntimeOptions = {},
  ) {
    const d = device.limits;
    const cap = (name: keyof EffectiveLimits) => Math.min(d[name], options.limits?.[name] ?? Infinity);
    this.limits = {
      maxStorageBufferBindingSize: cap('maxStorageBufferBindingSize'),
      maxBufferSize: cap('maxBufferSize'),
      maxComputeWorkgroupsPerDimension: cap('maxComputeWorkgroupsPerDimension'),
      maxComputeWorkgroupStorageSize: cap('maxComputeWorkgroupStorageSize'),
      maxComputeInvocationsPerWorkgroup: cap('maxComputeInvocationsPerWorkgroup'),
    };
    this.storageOffsetAlignment = d.minStorageBufferOffsetAlignment;
    this.debug = options.debug ?? false;
    this.kind = adapterKind(adapter, options.kernels);
    const cpuAdapter = isCpuDriver(adapter);
    const node = typeof process !== 'undefined' && !!process.versions?.node && typeof window === 'undefined';
    const env = typeof process !== 'undefined' ? process.env?.WEBGRAD_POLITE_WAIT : undefined;
    this.politeWait = options.politeWait ?? (env === '0' ? false : env === '1' ? true : node && cpuAdapter);
    this.pool = new BufferPool(device, this.limits, options.memoryBudget);
    this.pool.requestSubmit = () => this.flush();
    this.pipelines = new PipelineCache(device);
    this.firstResult = new Promise((r) => (this.resolveFirstResult = r));
    this.numerics = options.checkNumerics ? new NumericsChecker(this) : null;
    this.uniformAlign = Math.max(16, device.limits.minUniformBufferOffsetAlignment);
    this.lostPromise = device.lost.then((info) => {
      if (!this.lost) this.lost = new DeviceLostError(String(info.reason ?? 'unknown'), info.message || 'no message');
    });
    device.addEventListener('uncapturederror', (ev) => {
      this.gpuErrors.push((ev as GPUUncapturedErrorEvent).error.message);
    });
  }

  /** A small buffer to fill a binding that a kernel variant does not use. */
  placeholder(kind: 'read' | 'rw'): GPUBuffer {
    return (this.placeholders[kind] ??= this.device.createBuffer({
      label: `webgrad:unused-${kind}-binding`,
      size: 16,
      usage: GPUBufferUsage.STORAGE,
    }));
  }

  assertAlive(op: string): void {
    if (this.lost) throw new DeviceLostError(this.lost.reason, `${op} cannot run: ${this.lost.message}`);
    if (this.destroyed) throw new DeviceLostError('destroyed', `${op} cannot run: the runtime was destroyed`);
  }

  private ensurePass(): GPUComputePassEncoder {
    if (!this.encoder) this.encoder = this.device.createCommandEncoder({ label: 'webgrad:step' });
    if (!this.pass) this.pass = this.encoder.beginComputePass({ label: 'webgrad:pass' });
    return this.pass;
  }

  private ensureEncoderNoPass(): GPUCommandEncoder {
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
    if (!this.encoder) this.encoder = this.device.createCommandEncoder({ label: 'webgrad:step' });
    return this.encoder;
  }

  /** The bind group of a dispatch: the uniform slot, then each (possibly offset view) buffer. */
  private createBindGroup(layout: GPUBindGroupLayout, uniform: GPUBufferBinding, buffers: readonly GPUBuffer[], label: string): GPUBindGroup {
    const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: uniform }];
    buffers.forEach((buffer, i) => entries.push({ binding: i + 1, resource: bindingOf(buffer) }));
    this.stats.bindGroups++;
    return this.device.createBindGroup({ label, layout, entries });
  }

  /** Reserve an aligned slot in the uniform arena, copy `params` there and return its binding. */
  private uniform(params: ArrayBufferView): GPUBufferBinding {
    const size = Math.max(16, Math.ceil(params.byteLength / 16) * 16);
    if (this.uniformOffset + size > UNIFORM_CHUNK) {
      this.uniformChunk++;
      this.uniformOffset = 0;
    }
    if (this.uniformChunk >= this.uniformChunks.length) {
      this.uniformChunks.push({
        buffer: this.device.createBuffer({
          label: `webgrad:uniforms#${this.uniformChunks.length}`,
          size: UNIFORM_CHUNK,
          usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
        }),
        cpu: new Uint8Array(UNIFORM_CHUNK),
      });
    }
    const chunk = this.uniformChunks[this.uniformChunk];
    const offset = this.uniformOffset;
    chunk.cpu.set(new Uint8Array(params.buffer as ArrayBuffer, params.byteOffset, params.byteLength), offset);
    this.uniformOffset = Math.ceil((offset + size) / this.uniformAlign) * this.uniformAlign;
    return { buffer: chunk.buffer, offset, size };
  }

  /**
   * Record one kernel launch. `buffers` are bound after the uniform (binding 0) in order; an
   * offset view (BufferView) is bound as its parent's range.
   * The grid is given in workgroups; callers split grids larger than the device limit.
   */
  dispatch(key: KernelKey, params: ArrayBufferView, given: readonly GPUBuffer[], grid: Grid, label: string, refresh?: ParamsRefresh): void {
    this.assertAlive(label);
    const max = this.limits.maxComputeWorkgroupsPerDimension;
    const [x, y = 1, z = 1] = grid;
    if (x > max || y > max || z > max) {
      throw new LimitError(label, `dispatch of [${x}, ${y}, ${z}] workgroups exceeds maxComputeWorkgroupsPerDimension (${max})`);
    }
    const maxBinding = this.limits.maxStorageBufferBindingSize;
    for (const b of given) {
      if (b.size > maxBinding) {
        throw new LimitError(label, `a ${b.size}-byte buffer exceeds maxStorageBufferBindingSize (${maxBinding} bytes)`);
      }
    }
    if (x === 0 || y === 0 || z === 0) return;
    const temps: GPUBuffer[] = [];
    const buffers = this.unaliased(key.bindings, given, temps);
    const kernel = this.pipelines.get(key);
    const rec = this.recording;
    const uniform = rec ? rec.uniform(params, refresh) : this.uniform(params);
    // Debug mode: an error scope per launch attributes validation errors to the op's label.
    if (this.debug) this.device.pushErrorScope('validation');
    const create = () => this.createBindGroup(kernel.layout, uniform, buffers, label);
    const bindGroup = rec ? create() : this.bindGroups.get(kernel.layout, label, uniform, buffers, create);
    const pass = this.ensurePass();
    pass.setPipeline(kernel.pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(x, y, z);
    this.stats.dispatches++;
    if (this.debug) {
      this.device.popErrorScope().then(
        (err) => err && this.gpuErrors.push(`in op '${label}': ${err.message}`),
        () => undefined,
      );
    }
    if (rec) {
      rec.commands.push({ kind: 'dispatch', pipeline: kernel.pipeline, bindGroup, grid: [x, y, z] });
      for (const b of buffers) this.pin(ownerOf(b), rec);
    }
    for (const t of temps) this.releaseBuffer(t);
  }

  /**
   * `buffers` with each read-only binding whose memory another binding writes (readsWritten:
   * slices of one buffer) replaced by a copy of its range in a pool buffer (pushed to `temps`,
   * released after the dispatch): the kernel reads the values from before its writes.
   */
  private unaliased(kinds: readonly string[], buffers: readonly GPUBuffer[], temps: GPUBuffer[]): readonly GPUBuffer[] {
    if (!buffers.some((b) => b instanceof BufferView)) return buffers; // a whole buffer bound twice is the caller's error, as before views
    return buffers.map((b, i) => {
      if (!readsWritten(kinds, buffers, i)) return b;
      const copy = this.pool.acquire(b.size, 'webgrad:view-read-copy');
      temps.push(copy);
      this.copy(b, 0, copy, 0, b.size);
      return copy;
    });
  }

  private pin(buf: GPUBuffer, rec: CaptureRecording): void {
    rec.buffers.add(buf);
    this.pinned.set(buf, rec);
  }

  /** Return a tensor's buffer: to the pool, or to the capture that pins it. */
  releaseBuffer(buf: GPUBuffer): void {
    const rec = this.pinned.get(buf);
    if (rec) {
      this.pool.liveBuffers--; // accounted as held by the capture, not live
      this.pool.liveBytes -= buf.size;
      rec.held.push(buf);
    } else {
      this.pool.release(buf);
    }
  }

  /** Start recording every dispatch and copy into `rec` (see src/capture.ts). */
  beginCapture(rec: CaptureRecording): void {
    if (this.recording) throw new GPUExecutionError(`capture '${rec.label}': another capture ('${this.recording.label}') is being recorded`);
    this.flush(); // the capture starts from an empty encoder
    this.recording = rec;
  }

  /** Stop recording and submit the first run. */
  endCapture(): void {
    const rec = this.recording;
    if (!rec) return;
    this.flush();
    this.recording = null;
  }

  /** Run `hook` at the start of each replay of the capture being recorded (no-op when not capturing). */
  addReplayHook(hook: () => void): void {
    this.recording?.replayHooks.push(hook);
  }

  get capturing(): boolean {
    return this.recording !== null;
  }

  /** Re-encode a captured stream (after its hooks ran) and submit it: one submission. */
  replay(rec: CaptureRecording): void {
    this.assertAlive(rec.label);
    if (rec.disposed) throw new GPUExecutionError(`capture '${rec.label}' was disposed`);
    if (this.recording) throw new GPUExecutionError(`capture '${rec.label}' cannot replay while '${this.recording.label}' is being recorded`);
    rec.prepareReplay();
    rec.writeUniforms();
    for (const c of rec.commands) {
      if (c.kind === 'dispatch') {
        const pass = this.ensurePass();
        pass.setPipeline(c.pipeline);
        pass.setBindGroup(0, c.bindGroup);
        pass.dispatchWorkgroups(c.grid[0], c.grid[1], c.grid[2]);
        this.stats.dispatches++;
      } else {
        this.ensureEncoderNoPass().copyBufferToBuffer(c.src, c.srcOffset, c.dst, c.dstOffset, c.bytes);
      }
    }
    this.flush();
  }

  /** Free a capture: its held buffers go back to the pool. */
  disposeCapture(rec: CaptureRecording): void {
    if (rec.disposed) return;
    rec.disposed = true;
    for (const b of rec.buffers) if (this.pinned.get(b) === rec) this.pinned.delete(b);
    for (const b of rec.held) {
      this.pool.liveBuffers++;
      this.pool.liveBytes += b.size;
      this.pool.release(b);
    }
    rec.held.length = 0;
    rec.destroyUniforms();
  }

  /** Record a buffer-to-buffer copy in order with the kernels (offsets relative to each, possibly view, buffer). */
  copy(srcBuf: GPUBuffer, srcOffset: number, dstBuf: GPUBuffer, dstOffset: number, bytes: number): void {
    this.assertAlive('copy');
    if (bytes === 0) return;
    const s = rangeOf(srcBuf);
    const d = rangeOf(dstBuf);
    if (s.buffer === d.buffer) {
      // Slices of one buffer: WebGPU copies only between two buffers, so go through a pool buffer.
      const tmp = this.pool.acquire(bytes, 'webgrad:view-copy');
      this.copy(srcBuf, srcOffset, tmp, 0, bytes);
      this.copy(tmp, 0, dstBuf, dstOffset, bytes);
      this.releaseBuffer(tmp);
      return;
    }
    const src = s.buffer;
    const dst = d.buffer;
    srcOffset += s.offset;
    dstOffset += d.offset;
    this.ensureEncoderNoPass().copyBufferToBuffer(src, srcOffset, dst, dstOffset, bytes);
    const rec = this.recording;
    if (rec) {
      rec.commands.push({ kind: 'copy', src, srcOffset, dst, dstOffset, bytes });
      this.pin(src, rec);
      this.pin(dst, rec);
    }
  }

  /**
   * Upload host data into a buffer (or an offset view's range) that no unsubmitted command
   * references (fresh from the pool, or after a flush).
   */
  upload(target: GPUBuffer, data: ArrayBufferView): void {
    this.assertAlive('upload');
    const { buffer: buf, offset } = rangeOf(target);
    const bytes = Math.ceil(data.byteLength / 4) * 4;
    if (bytes === data.byteLength) {
      this.device.queue.writeBuffer(buf, offset, data.buffer as ArrayBuffer, data.byteOffset, data.byteLength);
    } else {
      const padded = new Uint8Array(bytes);
      padded.set(new Uint8Array(data.buffer as ArrayBuffer, data.byteOffset, data.byteLength));
      this.device.queue.writeBuffer(buf, offset, padded);
    }
    this.stats.uploads++;
  }

  /** Whether commands are recorded but not yet submitted. */
  get hasPendingWork(): boolean {
    return this.encoder !== null;
  }

  /** Submit everything recorded so far (one submission). */
  flush(): void {
    if (this.lost || this.destroyed) return;
    if (this.encoder) {
      if (this.pass) {
        this.pass.end();
        this.pass = null;
      }
      for (let i = 0; i <= this.uniformChunk && i < this.uniformChunks.length; i++) {
        const c = this.uniformChunks[i];
        const used = i < this.uniformChunk ? UNIFORM_CHUNK : this.uniformOffset;
        if (used > 0) this.device.queue.writeBuffer(c.buffer, 0, c.cpu, 0, used);
      }
      this.recording?.writeUniforms();
      this.device.queue.submit([this.encoder.finish({ label: 'webgrad:step' })]);
      this.encoder = null;
      this.uniformChunk = 0;
      this.uniformOffset = 0;
      this.stats.submits++;
    }
    this.pool.onSubmitted();
  }

  /** Copy `bytes` from `from` (a buffer or an offset view) to the host. Flushes, waits for the GPU and surfaces GPU errors. */
  async read(from: GPUBuffer, bytes: number, label: string): Promise<ArrayBuffer> {
    this.assertAlive(label);
    if (this.recording) {
      throw new GPUExecutionError(`${label}: cannot read back inside capture '${this.recording.label}' (a replay runs no JS); read after run()`);
    }
    const size = Math.max(4, Math.ceil(bytes / 4) * 4);
    const free = this.readbackFree.get(size);
    const staging =
      free?.pop() ??
      this.device.createBuffer({ label: `webgrad:readback(${size})`, size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const src = rangeOf(from);
    if (bytes > 0) this.ensureEncoderNoPass().copyBufferToBuffer(src.buffer, src.offset, staging, 0, size);
    const numerics = this.numerics?.beforeFlush() ?? null;
    this.flush();
    this.stats.readbacks++;
    await this.pipelines.check();
    const waited = await this.waitPolitely();
    try {
      await settle(this.device, staging.mapAsync(GPUMapMode.READ));
      waited();
    } catch (e) {
      // A lost device rejects pending maps; its 'lost' promise may settle a moment later.
      await Promise.race([this.lostPromise, new Promise((r) => setTimeout(r, 200))]);
      this.assertAlive(label);
      throw new GPUExecutionError(`${label}: readback failed: ${(e as Error).message}`);
    }
    await numerics?.();
    const out = staging.getMappedRange().slice(0, bytes);
    staging.unmap();
    this.resolveFirstResult();
    let list = this.readbackFree.get(size);
    if (!list) this.readbackFree.set(size, (list = []));
    list.push(staging);
    this.throwGpuErrors(label);
    return out;
  }

  /** Wait until all submitted work is done (flushes first). */
  async sync(): Promise<void> {
    const numerics = this.numerics?.beforeFlush() ?? null;
    this.flush();
    await this.pipelines.check();
    const waited = await this.waitPolitely();
    await Promise.race([settle(this.device, this.device.queue.onSubmittedWorkDone()), this.lostPromise]);
    waited();
    this.assertAlive('sync');
    this.resolveFirstResult();
    await numerics?.();
    this.assertAlive('sync');
    this.throwGpuErrors('sync');
  }

  /**
   * Before waiting on the GPU: with politeWait, sleep for ~3/4 of the recent submit-to-done time
   * (only when that is 20 ms or more, and at most 200 ms) if kernels were submitted since the last
   * wait; a read of finished work does not sleep. Returns the callback to run once the wait completed, which updates the estimate:
   * waits that compiled pipelines are not typical and are ignored, and a wait that found the GPU
   * already done (we overslept) halves the estimate, so one slow step cannot keep later ones
   * sleeping.
   */
  private async waitPolitely(): Promise<() => void> {
    const start = performance.now();
    const work = this.stats.dispatches - this.dispatchesAtLastWait;
    const compiled = this.pipelines.stats.pipelinesCreated !== this.pipelinesAtLastWait;
    this.dispatchesAtLastWait = this.stats.dispatches;
    this.pipelinesAtLastWait = this.pipelines.stats.pipelinesCreated;
    if (!this.politeWait || work === 0) return () => undefined;
    // Short waits gain nothing worth a timer's granularity; long ones gain up to 2x on lavapipe.
    const sleep = this.waitEstimateMs >= 20 ? Math.min(this.waitEstimateMs * 0.75, 200) : 0;
    if (sleep > 0) await new Promise((r) => setTimeout(r, sleep));
    const woke = performance.now();
    return () => {
      const done = performance.now();
      if (compiled) return;
      // An already-finished submission takes dawn.node 0.2-0.4 ms to report (more on a busy host).
      if (sleep > 0 && done - woke < OVERSLEPT_MS) this.waitEstimateMs *= 0.5;
      else this.waitEstimateMs = this.waitEstimateMs === 0 ? done - start : 0.7 * this.waitEstimateMs + 0.3 * (done - start);
    };
  }

  private throwGpuErrors(label: string): void {
    const oom = this.pool.asyncErrors.splice(0);
    if (oom.length) throw oom[0];
    if (this.gpuErrors.length) {
      const msgs = this.gpuErrors.splice(0);
      throw new GPUExecutionError(`${label}: the GPU reported ${msgs.length} error(s):\n${msgs.join('\n')}`);
    }
  }

  destroy(): void {
    this.destroyed = true;
    this.pool.releaseAll();
    for (const c of this.uniformChunks) c.buffer.destroy();
    for (const l of this.readbackFree.values()) for (const b of l) b.destroy();
    this.readbackFree.clear();
  }
}
