// What the suites ask of an engine (webgrad, TF.js, jax-js). Suites own the shapes, the data,
// the timing loop and the reference checks; an engine only turns host arrays into its own
// tensors and enqueues work. The same suite code runs every engine, in Node and in the page.
import type { DeviceProbe, GpuCounters } from '../core/instrument.ts';
import type { MatmulShape, MlpData, MlpSpec } from '../core/reference.ts';
import type { CnnData, CnnSpec } from '../core/cnn-reference.ts';
import type { GptData, GptSpec } from '../core/gpt-reference.ts';
import type { AttnShape } from '../suites/attention.ts';
import type { ConvPass, ConvShape, PoolShape } from '../suites/conv.ts';
import type { LnShape } from '../suites/layernorm.ts';
import type { SuiteName } from '../suites/types.ts';

export type EngineName = 'webgrad' | 'webgrad-captured' | 'webgrad-composite' | 'tfjs' | 'jax-js' | 'jax-js-jit';

/**
 * One benchmarked operation with its inputs already on the GPU. `run()` enqueues one more
 * evaluation (it may keep earlier outputs alive until `settle()`, for lazy engines); `settle()`
 * makes sure every enqueued evaluation was executed and completed on the GPU; `result()` reads
 * the latest output back.
 */
export interface OpCase {
  run(): void;
  settle(): Promise<void>;
  result(): Promise<Float32Array>;
  dispose(): void;
}

/** A training step on fixed data: forward, loss, backward, SGD update (p -= lr * grad). */
export interface TrainCase {
  /** Enqueue one step (returns when the CPU side is done; the GPU may still be working). */
  step(): void;
  settle(): Promise<void>;
  /** The loss computed by the latest step (at the parameters before its update). */
  loss(): Promise<number>;
  /** Current parameters W0, b0, W1, b1, ... (W as [in, out]). */
  params(): Promise<Float32Array[]>;
  dispose(): void;
}

export interface Engine {
  readonly name: EngineName;
  /** The probe on the engine's device (counters, GPU clock). */
  readonly probe: DeviceProbe;
  /**
   * Wait for background work the engine started on its own (webgrad's kernel autotuning), so it
   * neither overlaps the timed samples nor changes kernels in the middle of them.
   */
  quiesce?(): Promise<void>;
  /** Lines for the report after the suites ran (webgrad: what kernel selection chose). */
  notes?(): string[];
  /** Engine-internal counters when it has them (webgrad's runtime stats), else null. */
  ownCounters(): Partial<GpuCounters> | null;
  /** The suites this engine takes part in (e.g. jax-js jit only where jit can fuse). */
  readonly suites: readonly SuiteName[];
  /** The adapter its device came from (vendor, architecture, description). */
  readonly adapter: string;
  matmul(s: MatmulShape, a: Float32Array, b: Float32Array): OpCase;
  /** c = a + b, n elements (bandwidth). */
  add(n: number, a: Float32Array, b: Float32Array): OpCase;
  /** Column sums of a [rows, cols] matrix (the bias gradient). */
  biasSum(rows: number, cols: number, x: Float32Array): OpCase;
  /** Mean softmax cross-entropy and its gradient w.r.t. the logits; result() = the gradient. */
  softmaxCE(batch: number, classes: number, logits: Float32Array, y: Int32Array, yOneHot: Float32Array): OpCase;
  /** `len` dependent elementwise ops x = x + y on small tensors (dispatch overhead). */
  addChain(n: number, len: number, x: Float32Array, y: Float32Array): OpCase;
  mlp(spec: MlpSpec, data: MlpData): TrainCase;
  /**
   * conv2d, data NCHW / OIHW (an engine with another native layout transposes on the host, outside
   * the timed run, and returns NCHW / OIHW): pass 'forward' -> y, 'data' -> dx, 'filter' -> dw of
   * sum(y * dy), through the engine's autodiff. Optional: the conv suite skips engines without it.
   */
  conv2d?(s: ConvShape, pass: ConvPass, x: Float32Array, w: Float32Array, dy: Float32Array): OpCase;
  /** Max pooling (window = stride = s.k): 'forward' -> y, 'backward' -> dx of sum(y * dy). */
  maxPool?(s: PoolShape, pass: 'forward' | 'backward', x: Float32Array, dy: Float32Array): OpCase;
  /** The SimpleConvNet training step (bench/core/cnn-reference.ts); params() in the reference's layouts. */
  cnn?(spec: CnnSpec, data: CnnData): TrainCase;
  /**
   * Causal attention on q, k, v [B, H, T, D] (host data in that layout): 'forward' -> out,
   * 'backward' -> dq, dk, dv of sum(out * dO) concatenated (each [B, H, T, D]).
   */
  attention?(s: AttnShape, pass: 'forward' | 'backward', q: Float32Array, k: Float32Array, v: Float32Array, dO: Float32Array): OpCase;
  /** Layer norm over the last axis of x [rows, cols]: 'forward' -> y, 'backward' -> dx, dgamma, dbeta of sum(y * dy) concatenated. */
  layerNorm?(s: LnShape, pass: 'forward' | 'backward', x: Float32Array, gamma: Float32Array, beta: Float32Array, dy: Float32Array): OpCase;
  /** The GPT training step (bench/core/gpt-reference.ts); params() in the reference's order and layouts. */
  gpt?(spec: GptSpec, data: GptData): TrainCase;
  /** Free the engine's pooled (unused) GPU buffers, so a peak-memory window starts from what it holds. */
  releaseMemory?(): void;
  dispose(): void;
}
