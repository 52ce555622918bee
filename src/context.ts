// Process-wide state: the current runtime, the scope stack used by tidy(), and whether
// operations are being recorded for autograd.
import { DeviceLostError, NotInitializedError } from './errors.ts';
import { option, parseOptions } from './options.ts';
import { acquireDevice, type AdapterSummary, type InitOptions } from './gpu/device.ts';
import { Runtime } from './gpu/runtime.ts';
import { kernelFamily } from './gpu/kind.ts';
import { autotuner } from './gpu/autotune.ts';

let current: Runtime | null = null;
let pending: Promise<Runtime> | null = null;

const isObject = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
const numbers = (v: unknown) => isObject(v) && Object.values(v as object).every((x) => typeof x === 'number');

/** init()'s options, declared once; `satisfies` keeps the list in step with InitOptions. */
const INIT_OPTIONS = {
  device: option.custom<GPUDevice>('a GPUDevice', (v) => isObject(v) && typeof (v as GPUDevice).createBuffer === 'function'),
  powerPreference: option.oneOf(['low-power', 'high-performance']),
  requiredLimits: option.custom<Record<string, number>>('an object of numeric limits', numbers),
  driver: option.oneOf(['default', 'lavapipe', 'swiftshader']),
  quiet: option.boolean(),
  limits: option.custom<Record<string, number>>('an object of numeric limits', numbers),
  debug: option.boolean(),
  checkNumerics: option.boolean(),
  memoryBudget: option.number({ min: 0, infinite: true }),
  politeWait: option.boolean(),
  kernels: option.oneOf(['auto', 'cpu', 'gpu']),
} satisfies Record<keyof InitOptions, unknown>;

/** Acquire a WebGPU device (navigator.gpu in browsers, Dawn in Node). Safe to call repeatedly. */
export async function init(opts: InitOptions = {}): Promise<AdapterSummary> {
  parseOptions('init', opts, INIT_OPTIONS); // a bad option fails before a device is acquired
  const reuse = !opts.device && !opts.requiredLimits && !opts.driver && !opts.limits && opts.debug === undefined &&
    opts.checkNumerics === undefined && opts.memoryBudget === undefined && opts.politeWait === undefined &&
    opts.kernels === undefined;
  if (current && !current.lost && reuse) return current.adapter;
  if (pending && !opts.device) return (await pending).adapter;
  kernelFamily(opts.kernels); // a bad option fails before a device is acquired
  pending = (async () => {
    const { device, summary } = await acquireDevice(opts);
    current?.destroy();
    current = new Runtime(device, summary, {
      limits: opts.limits,
      debug: opts.debug,
      checkNumerics: opts.checkNumerics,
      memoryBudget: opts.memoryBudget,
      politeWait: opts.politeWait,
      kernels: opts.kernels,
    });
    return current;
  })();
  try {
    return (await pending).adapter;
  } finally {
    pending = null;
  }
}

/** The current runtime (device, buffer pool, pipelines); throws NotInitializedError before `await init()`. */
export function runtime(): Runtime {
  if (!current) {
    throw new NotInitializedError('webgrad: no device yet. Call `await init()` before creating tensors.');
  }
  if (current.lost) {
    throw new DeviceLostError(current.lost.reason, `${current.lost.message}; no new work can be recorded`);
  }
  return current;
}

export function hasRuntime(): boolean {
  return current !== null;
}

/** The current runtime even when its device was lost (for recovery code); null before init(). */
export function currentRuntime(): Runtime | null {
  return current;
}

/** Submit all recorded GPU work now (reads flush automatically). */
export function flush(): void {
  current?.flush();
}

/** Wait until the GPU has finished all submitted work. */
export async function sync(): Promise<void> {
  await runtime().sync();
}

/** Information about the adapter in use. */
export function adapterInfo(): AdapterSummary {
  return runtime().adapter;
}

// ------------------------------------------------------------------ autograd recording switch

let gradEnabled = true;

/** Whether ops record the autograd tape right now (false inside `noGrad()`). */
export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Run `fn` without recording operations for autograd (evaluation, optimizer updates). */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

/**
 * Resolves once background autotuning is over: the first matmul of a new large shape class
 * (>= 2^27 flops) runs the default kernel while the variants are timed in the background;
 * after this, the winners are in use. For benchmarks and latency-sensitive loops.
 */
export async function autotuneIdle(): Promise<void> {
  if (current && !current.lost) await autotuner(current).idle();
}

/**
 * What kernel selection settled on for this device: every shape class with a known winner
 * (timed by this process, or loaded from the persisted store), with the median time of each
 * candidate when this process timed it.
 */
export function autotuneResults(): { key: string; winner: string; times?: Record<string, number> }[] {
  if (!current) return [];
  const tuner = autotuner(current);
  return tuner.known().map(([key, winner]) => ({ key, winner, times: tuner.results.get(key)?.times }));
}
