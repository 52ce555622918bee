// Device instrumentation shared by every engine under test (webgrad, TF.js, jax-js): the same
// counters and the same GPU clock for all of them, without touching their code.
//
// - Counters: queue submissions, compute pipelines (sync + async), bind-group layouts, buffers
//   (and bytes), bind groups, command encoders, compute passes and dispatches. The methods are
//   wrapped on the device instance (and on each encoder/pass it returns), so every engine's own
//   calls are counted, whichever object it keeps a reference to.
// - GPU time: while `timing` is on and the device has `timestamp-query`, every compute pass that
//   does not write timestamps itself gets a begin/end timestamp pair in our query sets. Each
//   encoder resolves its pairs just before finish(); gpuTimeMs() sums (end - begin) over the
//   pairs of submitted command buffers. That is GPU busy time (gaps between passes, where the
//   GPU waits for the CPU, are not counted), the same definition for every engine.
//
// Engines get an instrumented device either by wrapping navigator.gpu before they request one
// (wrapGpu) or by instrumenting a device that already exists (probeDevice).

export interface GpuCounters {
  submits: number;
  pipelines: number;
  bindGroupLayouts: number;
  buffers: number;
  bufferBytes: number;
  bindGroups: number;
  encoders: number;
  passes: number;
  dispatches: number;
  shaderModules: number;
}

export const zeroCounters = (): GpuCounters => ({
  submits: 0, pipelines: 0, bindGroupLayouts: 0, buffers: 0, bufferBytes: 0,
  bindGroups: 0, encoders: 0, passes: 0, dispatches: 0, shaderModules: 0,
});

export function diffCounters(after: GpuCounters, before: GpuCounters): GpuCounters {
  const out = zeroCounters();
  for (const k of Object.keys(out) as (keyof GpuCounters)[]) out[k] = after[k] - before[k];
  return out;
}

const QUERIES_PER_SET = 4096; // the WebGPU maximum query count of one query set
const BLOCK = 32; // queries per encoder block: 32 * 8 bytes = 256, the resolve offset alignment

interface QueryBlock {
  set: number;
  start: number; // first query index in the set
  used: number;
}

type Patched<T> = T & { __webgradBench?: true };

export class DeviceProbe {
  readonly counters: GpuCounters = zeroCounters();
  readonly hasTimestamps: boolean;
  /** The adapter the device came from, when the probe saw it (wrapGpu). */
  adapter = '';
  /** Inject timestamp writes into passes (GPU time); off: counters only. */
  timing = false;
  /** performance.now() of the latest queue submission. */
  lastSubmitAt = 0;
  /** Passes that could not be timed (query sets full or the engine wrote its own timestamps). */
  untimedPasses = 0;
  /**
   * Bytes of the engine's buffers created and not yet destroyed (pools included), and the most
   * there were since resetPeak(). A buffer an engine drops without destroy() stays counted.
   */
  liveBytes = 0;
  peakBytes = 0;
  private readonly sets: { qs: GPUQuerySet; resolve: GPUBuffer; next: number }[] = [];
  private readonly pendingByCommandBuffer = new WeakMap<GPUCommandBuffer, QueryBlock[]>();
  private submitted: QueryBlock[] = [];
  private readonly raw: {
    createCommandEncoder: GPUDevice['createCommandEncoder'];
    submit: GPUQueue['submit'];
    createBuffer: GPUDevice['createBuffer'];
  };

  constructor(readonly device: GPUDevice) {
    this.hasTimestamps = device.features.has('timestamp-query');
    const d = device as Patched<GPUDevice>;
    if (d.__webgradBench) throw new Error('bench: this device is already instrumented');
    d.__webgradBench = true;
    const c = this.counters;
    const rawCreateBuffer = device.createBuffer.bind(device);
    const rawEncoder = device.createCommandEncoder.bind(device);
    const queue = device.queue;
    const rawSubmit = queue.submit.bind(queue);
    this.raw = { createCommandEncoder: rawEncoder, submit: rawSubmit, createBuffer: rawCreateBuffer };

    wrap(device, 'createBuffer', (orig) => (desc: GPUBufferDescriptor) => {
      c.buffers++;
      c.bufferBytes += desc.size;
      const buffer = orig(desc) as GPUBuffer;
      this.track(buffer, desc.size);
      return buffer;
    });
    const counted: [keyof GPUDevice, keyof GpuCounters][] = [
      ['createComputePipeline', 'pipelines'],
      ['createComputePipelineAsync', 'pipelines'],
      ['createBindGroupLayout', 'bindGroupLayouts'],
      ['createBindGroup', 'bindGroups'],
      ['createShaderModule', 'shaderModules'],
    ];
    for (const [method, counter] of counted) {
      wrap(device, method, (orig) => (desc: unknown) => {
        c[counter]++;
        return orig(desc);
      });
    }
    wrap(device, 'createCommandEncoder', () => (desc?: GPUCommandEncoderDescriptor) => {
      c.encoders++;
      return this.instrumentEncoder(rawEncoder(desc));
    });
    wrap(queue, 'submit', () => (buffers: Iterable<GPUCommandBuffer>) => {
      c.submits++;
      this.lastSubmitAt = performance.now();
      const list = [...buffers];
      for (const cb of list) {
        const blocks = this.pendingByCommandBuffer.get(cb);
        if (blocks) this.submitted.push(...blocks);
      }
      return rawSubmit(list);
    });
  }

  private instrumentEncoder(enc: GPUCommandEncoder): GPUCommandEncoder {
    const blocks: QueryBlock[] = [];
    const c = this.counters;
    wrap(enc, 'beginComputePass', (orig) => (desc?: GPUComputePassDescriptor) => {
      c.passes++;
      let d = desc;
      if (this.timing && this.hasTimestamps) {
        if (desc?.timestampWrites) this.untimedPasses++;
        else {
          const slot = this.allocPair(blocks);
          if (slot) d = { ...(desc ?? {}), timestampWrites: { querySet: slot.qs, beginningOfPassWriteIndex: slot.index, endOfPassWriteIndex: slot.index + 1 } };
          else this.untimedPasses++;
        }
      }
      const pass = orig(d);
      wrap(pass, 'dispatchWorkgroups', (o) => (x: number, y?: number, z?: number) => {
        c.dispatches++;
        return o(x, y, z);
      });
      wrap(pass, 'dispatchWorkgroupsIndirect', (o) => (b: GPUBuffer, off: number) => {
        c.dispatches++;
        return o(b, off);
      });
      return pass;
    });
    wrap(enc, 'finish', (orig) => (desc?: GPUCommandBufferDescriptor) => {
      for (const b of blocks) {
        const s = this.sets[b.set];
        enc.resolveQuerySet(s.qs, b.start, b.used, s.resolve, b.start * 8);
      }
      const cb = orig(desc);
      if (blocks.length) this.pendingByCommandBuffer.set(cb, blocks);
      return cb;
    });
    return enc;
  }

  private allocPair(blocks: QueryBlock[]): { qs: GPUQuerySet; index: number } | null {
    let b = blocks[blocks.length - 1];
    if (!b || b.used + 2 > BLOCK) {
      let s = this.sets[this.sets.length - 1];
      if (!s || s.next + BLOCK > QUERIES_PER_SET) {
        if (this.sets.length >= 16) return null; // 32k passes in one measurement: give up timing
        s = {
          qs: this.device.createQuerySet({ label: 'bench:timestamps', type: 'timestamp', count: QUERIES_PER_SET }),
          resolve: this.raw.createBuffer({ label: 'bench:timestamps-resolve', size: QUERIES_PER_SET * 8, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC }),
          next: 0,
        };
        this.sets.push(s);
      }
      b = { set: this.sets.length - 1, start: s.next, used: 0 };
      s.next += BLOCK;
      blocks.push(b);
    }
    const index = b.start + b.used;
    b.used += 2;
    return { qs: this.sets[b.set].qs, index };
  }

  /** Count a buffer as live until its first destroy(). */
  private track(buffer: GPUBuffer, size: number): void {
    this.liveBytes += size;
    if (this.liveBytes > this.peakBytes) this.peakBytes = this.liveBytes;
    let live = true;
    wrap(buffer, 'destroy', (orig) => () => {
      if (live) this.liveBytes -= size;
      live = false;
      return orig();
    });
  }

  /** Start a new peak-memory window at the current live bytes. */
  resetPeak(): void {
    this.peakBytes = this.liveBytes;
  }

  /** Forget timestamps recorded so far (call before the measured work). */
  resetTiming(): void {
    this.submitted = [];
    for (const s of this.sets) s.next = 0;
    this.untimedPasses = 0;
  }

  /**
   * Sum of (end - begin) over the timed passes submitted since resetTiming(), in ms. Call after
   * the engine's work has completed. Returns null when nothing was timed. Uses the raw (not
   * counted) encoder and submit, so reading the clock does not show up in the counters.
   */
  async gpuTimeMs(): Promise<{ ms: number; passes: number } | null> {
    const blocks = this.submitted;
    this.submitted = [];
    if (!blocks.length) return null;
    const used = new Map<number, number>();
    for (const b of blocks) used.set(b.set, Math.max(used.get(b.set) ?? 0, b.start + BLOCK));
    let ns = 0;
    let passes = 0;
    for (const [setIndex, queries] of used) {
      const s = this.sets[setIndex];
      const staging = this.raw.createBuffer({ label: 'bench:timestamps-read', size: queries * 8, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
      const enc = this.raw.createCommandEncoder({ label: 'bench:timestamps' });
      enc.copyBufferToBuffer(s.resolve, 0, staging, 0, queries * 8);
      this.raw.submit([enc.finish()]);
      await staging.mapAsync(GPUMapMode.READ);
      const t = new BigUint64Array(staging.getMappedRange().slice(0));
      staging.unmap();
      staging.destroy();
      for (const b of blocks) {
        if (b.set !== setIndex) continue;
        for (let i = b.start; i < b.start + b.used; i += 2) {
          const begin = t[i];
          const end = t[i + 1];
          if (end >= begin && begin > 0n) {
            ns += Number(end - begin);
            passes++;
          }
        }
      }
    }
    for (const s of this.sets) s.next = 0;
    return passes ? { ms: ns / 1e6, passes } : null;
  }

  snapshot(): GpuCounters {
    return { ...this.counters };
  }
}

/** Replace `obj[name]` by an instance property calling the original through `make`. */
function wrap<T extends object, K extends keyof T>(obj: T, name: K, make: (orig: any) => unknown): void {
  const fn = obj[name] as unknown;
  if (typeof fn !== 'function') return;
  const orig = (fn as (...a: unknown[]) => unknown).bind(obj);
  Object.defineProperty(obj, name, { value: make(orig), configurable: true, writable: true });
}

// ------------------------------------------------------------------ navigator.gpu wrapper

/** Every probe made so far (devices created through a wrapped GPU, or instrumented later). */
export const probes: DeviceProbe[] = [];

/** The probe of `device`, instrumenting it on first use. */
export function probeFor(device: GPUDevice): DeviceProbe {
  let p = probes.find((x) => x.device === device);
  if (!p) probes.push((p = new DeviceProbe(device)));
  return p;
}

/**
 * A GPU whose adapters hand out instrumented devices (with `timestamp-query` requested when the
 * adapter has it, so the bench can time passes even if the engine does not ask for it).
 * `onDevice` sees each device's probe as it is created.
 */
export function wrapGpu(gpu: GPU, onDevice?: (probe: DeviceProbe, adapter: GPUAdapter) => void): GPU {
  const wrapped = Object.create(gpu) as GPU;
  Object.defineProperty(wrapped, 'requestAdapter', {
    value: async (opts?: GPURequestAdapterOptions) => {
      const adapter = await gpu.requestAdapter(opts);
      if (!adapter) return adapter;
      const raw = adapter.requestDevice.bind(adapter);
      Object.defineProperty(adapter, 'requestDevice', {
        configurable: true,
        value: async (desc: GPUDeviceDescriptor = {}) => {
          const features = new Set<GPUFeatureName>([...(desc.requiredFeatures ?? [])]);
          if (adapter.features.has('timestamp-query')) features.add('timestamp-query');
          const device = await raw({ ...desc, requiredFeatures: [...features] });
          const probe = new DeviceProbe(device);
          probe.adapter = describeAdapter(adapter.info);
          probes.push(probe);
          onDevice?.(probe, adapter);
          return device;
        },
      });
      return adapter;
    },
  });
  for (const k of ['getPreferredCanvasFormat', 'wgslLanguageFeatures'] as const) {
    const v = (gpu as unknown as Record<string, unknown>)[k];
    if (typeof v === 'function') Object.defineProperty(wrapped, k, { value: (v as () => unknown).bind(gpu) });
    else if (v !== undefined) Object.defineProperty(wrapped, k, { value: v });
  }
  return wrapped;
}

export function describeAdapter(info: Partial<GPUAdapterInfo> | undefined): string {
  return [info?.vendor, info?.architecture, info?.description].filter(Boolean).join(' / ') || 'unknown adapter';
}
