// capture(fn): record a fixed-shape step (forward + backward + optimizer update) once and replay
// it. The first run() executes `fn` normally while the runtime records every dispatch; later
// run()s re-encode the recorded dispatches with the same pipelines, bind groups and uniform
// buffers and submit once, so the per-step CPU cost is a small constant (no op dispatch in JS,
// no allocation, no pipeline or bind-group creation).
//
// Rules (a replay runs no JavaScript from `fn`):
// - Feed new data by writing into the same input tensors: `x.write(batch)` before run().
// - Shapes and the op sequence are frozen; uniform parameters too, except where an op registers
//   a refresh (optimizers do, for step counters, bias corrections and learning-rate changes).
// - No readback inside `fn`; read the returned tensors after run().
// - Tensors `fn` returns (e.g. the loss) are the same objects after every run(), with new values.
import { runtime } from './context.ts';
import { GPUExecutionError } from './errors.ts';
import { option, parseOptions } from './options.ts';
import { CaptureRecording } from './gpu/capture.ts';
import { keep, tidy } from './memory.ts';
import type { Tensor } from './tensor.ts';

/** A captured step: run() replays the recorded commands; dispose() frees them. */
export interface CapturedStep<T> {
  /** Run the step: records on the first call, replays afterwards. Returns fn's result. */
  run(): T;
  /** Release the pinned buffers and uniforms. */
  dispose(): void;
  /** Commands recorded (dispatches and copies), or 0 before the first run. */
  readonly commands: number;
  readonly replays: number;
}

/** Record `fn` once into a replayable GPU command sequence (a captured training step). */
export function capture<T>(fn: () => T, opts: { label?: string } = {}): CapturedStep<T> {
  parseOptions('capture', opts, { label: option.string() });
  const label = opts.label ?? 'webgrad:capture';
  let rec: CaptureRecording | null = null;
  let result: T;
  let replays = 0;
  let disposed = false;
  return {
    run(): T {
      if (disposed) throw new GPUExecutionError(`capture '${label}' was disposed`);
      const rt = runtime();
      if (!rec) {
        if (rt.numerics) throw new GPUExecutionError(`capture '${label}': checkNumerics cannot be used with capture (its checks are per-op JS)`);
        const r = new CaptureRecording(rt.device, Math.max(16, rt.device.limits.minUniformBufferOffsetAlignment), label);
        rt.beginCapture(r);
        try {
          result = tidy(fn);
          forEachTensor(result, keep);
        } catch (e) {
          rt.endCapture();
          rt.disposeCapture(r);
          throw e;
        }
        rt.endCapture();
        rec = r;
        return result;
      }
      rt.replay(rec);
      replays++;
      return result;
    },
    dispose(): void {
      if (disposed) return;
      disposed = true;
      if (rec) runtime().disposeCapture(rec);
    },
    get commands() {
      return rec?.commands.length ?? 0;
    },
    get replays() {
      return replays;
    },
  };
}

/** Register `hook` to run at the start of every replay of the capture being recorded (no-op otherwise). */
export function onReplay(hook: () => void): void {
  runtime().addReplayHook(hook);
}

function forEachTensor(v: unknown, f: (t: Tensor) => void): void {
  if (v && typeof v === 'object') {
    if ((v as { __isTensor?: boolean }).__isTensor) f(v as Tensor);
    else for (const x of Object.values(v)) forEachTensor(x, f);
  }
}
