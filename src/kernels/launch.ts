// Helpers shared by the kernel launchers: grid sizing and Params packing.
import type { Runtime } from '../gpu/runtime.ts';

/** Workgroups for `n` threads of `wg` each, as a 2-D grid within the per-dimension limit. */
export function grid1d(rt: Runtime, n: number, wg: number): [number, number] {
  const groups = Math.ceil(n / wg);
  const max = rt.limits.maxComputeWorkgroupsPerDimension;
  if (groups <= max) return [Math.max(groups, 0), 1];
  const y = Math.ceil(groups / max);
  if (y > max) throw new RangeError(`grid of ${groups} workgroups exceeds ${max} x ${max}`);
  return [max, y];
}

/**
 * Packs a WGSL uniform struct. Fields are appended in declaration order; `u32`/`f32`/`i32`
 * take 4 bytes; `vec4Array` takes 16 bytes per vec4 and starts 16-byte aligned.
 */
export class ParamWriter {
  private readonly view: DataView<ArrayBuffer>;
  private offset = 0;
  constructor(private readonly bytes = 256) {
    this.view = new DataView(new ArrayBuffer(bytes));
  }
  u32(v: number): this {
    this.view.setUint32(this.offset, v >>> 0, true);
    this.offset += 4;
    return this;
  }
  i32(v: number): this {
    this.view.setInt32(this.offset, v | 0, true);
    this.offset += 4;
    return this;
  }
  f32(v: number): this {
    this.view.setFloat32(this.offset, v, true);
    this.offset += 4;
    return this;
  }
  /** array<vec4<u32>, count> from `values`, padded with `pad`. */
  u32x4(values: readonly number[], count: number, pad = 0): this {
    this.offset = Math.ceil(this.offset / 16) * 16;
    for (let i = 0; i < count * 4; i++) this.u32(values[i] ?? pad);
    return this;
  }
  /** The whole block: binding the full size keeps every Params struct (<= 256 bytes) in range. */
  done(): Uint8Array<ArrayBuffer> {
    if (this.offset > this.bytes) throw new RangeError(`Params overflow: ${this.offset} > ${this.bytes} bytes`);
    return new Uint8Array(this.view.buffer);
  }
}
