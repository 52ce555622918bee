// A captured command stream: the dispatches and copies of one training step, recorded the first
// time it runs and replayed afterwards with the same pipelines, bind groups and uniform buffers
// (no JS op dispatch, no allocation, one submission). Buffers the stream touches are pinned:
// releasing one while the capture lives parks it here instead of in the pool, so replays never
// write into memory that was handed to someone else.

export type CapturedCommand =
  | { kind: 'dispatch'; pipeline: GPUComputePipeline; bindGroup: GPUBindGroup; grid: [number, number, number] }
  | { kind: 'copy'; src: GPUBuffer; srcOffset: number; dst: GPUBuffer; dstOffset: number; bytes: number };

const CHUNK = 64 * 1024;

/** Params of a dispatch that must be recomputed at every replay (e.g. Adam's bias correction). */
export type ParamsRefresh = () => ArrayBufferView;

export class CaptureRecording {
  readonly commands: CapturedCommand[] = [];
  /** Buffers bound or copied by the commands. */
  readonly buffers = new Set<GPUBuffer>();
  /** Buffers released while pinned; returned to the pool on dispose(). */
  readonly held: GPUBuffer[] = [];
  /** Run at the start of each replay, in recording order (e.g. an optimizer's step counter). */
  readonly replayHooks: (() => void)[] = [];
  private readonly refreshes: { chunk: number; offset: number; fn: ParamsRefresh }[] = [];
  private readonly chunks: { buffer: GPUBuffer; cpu: Uint8Array<ArrayBuffer>; dirtyEnd: number }[] = [];
  private offset = 0;
  disposed = false;

  constructor(
    private readonly device: GPUDevice,
    private readonly align: number,
    readonly label: string,
  ) {}

  /** A persistent uniform slot holding `params`; `refresh` recomputes them at each replay. */
  uniform(params: ArrayBufferView, refresh?: ParamsRefresh): GPUBufferBinding {
    const size = Math.max(16, Math.ceil(params.byteLength / 16) * 16);
    if (this.chunks.length === 0 || this.offset + size > CHUNK) {
      this.chunks.push({
        buffer: this.device.createBuffer({
          label: `${this.label}:uniforms#${this.chunks.length}`,
          size: CHUNK,
          usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
        }),
        cpu: new Uint8Array(CHUNK),
        dirtyEnd: 0,
      });
      this.offset = 0;
    }
    const c = this.chunks.length - 1;
    const chunk = this.chunks[c];
    const offset = this.offset;
    chunk.cpu.set(new Uint8Array(params.buffer as ArrayBuffer, params.byteOffset, params.byteLength), offset);
    chunk.dirtyEnd = Math.max(chunk.dirtyEnd, offset + size);
    if (refresh) this.refreshes.push({ chunk: c, offset, fn: refresh });
    this.offset = Math.ceil((offset + size) / this.align) * this.align;
    return { buffer: chunk.buffer, offset, size };
  }

  /** Run replay hooks and recompute refreshable params (before re-encoding the commands). */
  prepareReplay(): void {
    for (const hook of this.replayHooks) hook();
    for (const r of this.refreshes) {
      const p = r.fn();
      const chunk = this.chunks[r.chunk];
      chunk.cpu.set(new Uint8Array(p.buffer as ArrayBuffer, p.byteOffset, p.byteLength), r.offset);
      chunk.dirtyEnd = Math.max(chunk.dirtyEnd, r.offset + p.byteLength);
    }
  }

  /** Upload uniform bytes changed since the last upload (queue-ordered before the next submit). */
  writeUniforms(): void {
    for (const c of this.chunks) {
      if (c.dirtyEnd > 0) this.device.queue.writeBuffer(c.buffer, 0, c.cpu, 0, Math.ceil(c.dirtyEnd / 4) * 4);
      c.dirtyEnd = 0;
    }
  }

  get refreshCount(): number {
    return this.refreshes.length;
  }

  destroyUniforms(): void {
    for (const c of this.chunks) c.buffer.destroy();
    this.chunks.length = 0;
  }
}
