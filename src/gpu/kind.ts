// What kind of adapter webgrad runs on, and which kernel family it picks for it. On a CPU
// driver (lavapipe, SwiftShader, WARP...) a workgroupBarrier() is a coroutine switch per
// invocation and SwiftShader's JIT keeps arrays indexed in loops in memory, so the launchers
// pick barrier-free kernels there (docs/ARCHITECTURE.md, "Kernel families").
//
// The rule (first match decides; `reason` says which, and init prints it):
//   1. the kernels option / WEBGRAD_KERNELS forces 'cpu' or 'gpu';
//   2. isFallbackAdapter: a CPU driver (Firefox's software adapter says only this: its
//      adapter.info has no vendor, architecture or description);
//   3. the adapter info names a software rasterizer (llvmpipe, lavapipe, SwiftShader, WARP...);
//   4. the info is empty and the limits are no higher than WebGPU's defaults (256 invocations
//      and 16 KiB of workgroup memory): a CPU driver, since every GPU adapter offers more;
//   5. otherwise a GPU (an empty info alone is not evidence: browsers may hide it for privacy).
import { ValueError } from '../errors.ts';
import type { AdapterSummary } from './device.ts';

export type KernelFamily = 'auto' | 'cpu' | 'gpu';

export interface AdapterKind {
  /** The adapter is a CPU rasterizer (by the rule above, or forced by the kernels option). */
  readonly cpu: boolean;
  /** SwiftShader, whose JIT wants the block matmul (unless the GPU family is forced). */
  readonly swiftshader: boolean;
  /** Which rule decided, in words (printed by init). */
  readonly reason: string;
}

/** The kernels option (else WEBGRAD_KERNELS, else 'auto'), validated. */
export function kernelFamily(option: string | undefined): KernelFamily {
  const v = option ?? (typeof process !== 'undefined' ? process.env?.WEBGRAD_KERNELS : undefined) ?? 'auto';
  if (v !== 'auto' && v !== 'cpu' && v !== 'gpu') {
    throw new ValueError('init', `kernels (option or WEBGRAD_KERNELS) must be 'auto', 'cpu' or 'gpu', got '${v}'`);
  }
  return v;
}

/** Whether the adapter reports any vendor, architecture, device or description. */
export function hasAdapterInfo(adapter: AdapterSummary): boolean {
  return `${adapter.vendor}${adapter.architecture}${adapter.device}${adapter.description}`.trim().length > 0;
}

/** WebGPU's default limits: an adapter that offers no more than these is not a GPU. */
const DEFAULT_INVOCATIONS = 256;
const DEFAULT_WORKGROUP_STORAGE = 16384;

/** Why the adapter itself counts as a CPU driver (rules 2-4), or null when it is taken for a GPU. */
export function cpuDriverReason(adapter: AdapterSummary): string | null {
  if (adapter.isFallbackAdapter) return hasAdapterInfo(adapter) ? 'a fallback adapter' : 'a fallback adapter with empty adapter info';
  const text = `${adapter.vendor} ${adapter.architecture} ${adapter.device} ${adapter.description} ${adapter.driver}`.toLowerCase();
  const sw = /llvmpipe|lavapipe|swiftshader|software|warp/.exec(text);
  if (sw) return `a software rasterizer ('${sw[0]}' in the adapter info)`;
  const inv = adapter.limits.maxComputeInvocationsPerWorkgroup;
  const wgs = adapter.limits.maxComputeWorkgroupStorageSize;
  if (!hasAdapterInfo(adapter) && typeof inv === 'number' && typeof wgs === 'number' && inv <= DEFAULT_INVOCATIONS && wgs <= DEFAULT_WORKGROUP_STORAGE) {
    return `empty adapter info and default limits (${inv} invocations, ${wgs} B workgroup memory)`;
  }
  return null;
}

/** Whether the adapter itself is a CPU driver, whatever the kernels option says. */
export function isCpuDriver(adapter: AdapterSummary): boolean {
  return cpuDriverReason(adapter) !== null;
}

export function adapterKind(adapter: AdapterSummary, option: string | undefined): AdapterKind {
  const family = kernelFamily(option);
  const text = `${adapter.vendor} ${adapter.architecture} ${adapter.device} ${adapter.description}`.toLowerCase();
  const swiftshader = family !== 'gpu' && text.includes('swiftshader');
  if (family !== 'auto') return { cpu: family === 'cpu', swiftshader, reason: `forced by the kernels option ('${family}')` };
  const why = cpuDriverReason(adapter);
  const gpuWhy = hasAdapterInfo(adapter) ? 'a GPU by its adapter info' : 'assumed a GPU (empty adapter info, not a fallback adapter, limits above the defaults)';
  return { cpu: why !== null, swiftshader, reason: why ?? gpuWhy };
}

/** One line for logs: the kernel family and why it was chosen. */
export function describeKind(kind: AdapterKind): string {
  return `kernels: ${kind.cpu ? 'cpu' : 'gpu'} family${kind.swiftshader ? ' (SwiftShader block matmul)' : ''}: ${kind.reason}`;
}

/**
 * A stable identity for per-adapter caches (the autotuner's store). Adapters with info keep the
 * key they always had; with empty info the fallback flag and the limits tell adapters apart.
 */
export function adapterIdentity(adapter: AdapterSummary): string {
  const key = [adapter.vendor, adapter.architecture, adapter.device, adapter.description, adapter.driver].join('|');
  if (hasAdapterInfo(adapter)) return key;
  const lim = ['maxComputeInvocationsPerWorkgroup', 'maxComputeWorkgroupStorageSize', 'maxStorageBufferBindingSize'].map((k) => adapter.limits[k] ?? 0);
  return `${key}|${adapter.isFallbackAdapter ? 'fallback' : 'adapter'}|${lim.join(',')}`;
}
