// checkNumerics: after every op, a tiny kernel flags NaN/Inf in the op's output. Flags live in
// one GPU buffer per flush (a slot per checked tensor); on the next read the flags come back
// with the data and the first flagged slot names the op that produced the first bad value.
import { NumericsError } from '../errors.ts';
import { grid1d } from '../kernels/launch.ts';
import { ParamWriter } from '../kernels/launch.ts';
import type { Runtime } from './runtime.ts';
import { settle } from './settle.ts';

const SLOTS = 4096;
const WG = 256;

export class NumericsChecker {
  private flags: GPUBuffer | null = null;
  private slots: string[] = [];

  constructor(private readonly rt: Runtime) {}

  /** Record a check of `buffer` (first `n` f32 elements), produced by `what`. */
  check(buffer: GPUBuffer, n: number, what: string): void {
    if (n === 0) return;
    if (this.slots.length >= SLOTS) return; // beyond this many ops per flush, later ops go unchecked
    if (!this.flags) {
      this.flags = this.rt.device.createBuffer({
        label: 'webgrad:numerics-flags',
        size: SLOTS * 4,
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
      });
      this.rt.device.queue.writeBuffer(this.flags, 0, new Uint32Array(SLOTS));
    }
    const slot = this.slots.length;
    this.slots.push(what);
    this.rt.dispatch(
      { shader: 'numerics', entry: 'check', constants: { WG }, bindings: ['uniform', 'read', 'rw'] },
      new ParamWriter().u32(n).u32(slot).u32(0).u32(0).done(),
      [buffer, this.flags],
      grid1d(this.rt, n, WG),
      `checkNumerics(${what})`,
    );
  }

  /**
   * Called before a flush: queues a copy of the flags for reading and returns a function that,
   * once the GPU is done, throws NumericsError for the first flagged op (or resets the flags).
   */
  beforeFlush(): (() => Promise<void>) | null {
    if (!this.flags || this.slots.length === 0) return null;
    const slots = this.slots;
    const count = slots.length;
    this.slots = [];
    const staging = this.rt.device.createBuffer({
      label: 'webgrad:numerics-readback',
      size: count * 4,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
    this.rt.copy(this.flags, 0, staging, 0, count * 4);
    const flags = this.flags;
    return async () => {
      await settle(this.rt.device, staging.mapAsync(GPUMapMode.READ));
      const values = new Uint32Array(staging.getMappedRange().slice(0));
      staging.unmap();
      staging.destroy();
      this.rt.device.queue.writeBuffer(flags, 0, new Uint32Array(count));
      const first = values.findIndex((v) => v !== 0);
      if (first >= 0) {
        const later = values.reduce((n, v) => n + (v ? 1 : 0), 0) - 1;
        throw new NumericsError(slots[first], `first NaN/Inf produced by ${slots[first]}${later ? ` (and ${later} later op outputs)` : ''}`);
      }
    };
  }
}
