// What kind of adapter webgrad runs on, and which kernel family it picks for it. On a CPU
// driver (lavapipe, SwiftShader, WARP...) a workgroupBarrier() is a coroutine switch per
// invocation and SwiftShader's JIT keeps arrays indexed in loops in memory, so the launchers
// pick barrier-free kernels there (docs/ARCHITECTURE.md, "Kernel families").
import { ValueError } from '../errors.ts';
import type { AdapterSummary } from './device.ts';

export type KernelFamily = 'auto' | 'cpu' | 'gpu';

export interface AdapterKind {
  /** The adapter is a CPU rasterizer (by its description, or forced by the kernels option). */
  readonly cpu: boolean;
  /** SwiftShader, whose JIT wants the block matmul (unless the GPU family is forced). */
  readonly swiftshader: boolean;
}

/** The kernels option (else WEBGRAD_KERNELS, else 'auto'), validated. */
export function kernelFamily(option: string | undefined): KernelFamily {
  const v = option ?? (typeof process !== 'undefined' ? process.env?.WEBGRAD_KERNELS : undefined) ?? 'auto';
  if (v !== 'auto' && v !== 'cpu' && v !== 'gpu') {
    throw new ValueError('init', `kernels (option or WEBGRAD_KERNELS) must be 'auto', 'cpu' or 'gpu', got '${v}'`);
  }
  return v;
}

/** Whether the adapter itself is a CPU driver, whatever the kernels option says. */
export function isCpuDriver(adapter: AdapterSummary): boolean {
  const text = `${adapter.vendor} ${adapter.architecture} ${adapter.device} ${adapter.description} ${adapter.driver}`.toLowerCase();
  return adapter.isFallbackAdapter || /llvmpipe|lavapipe|swiftshader|software|warp/.test(text);
}

export function adapterKind(adapter: AdapterSummary, option: string | undefined): AdapterKind {
  const family = kernelFamily(option);
  const text = `${adapter.vendor} ${adapter.architecture} ${adapter.device} ${adapter.description}`.toLowerCase();
  return {
    cpu: family === 'auto' ? isCpuDriver(adapter) : family === 'cpu',
    swiftshader: family !== 'gpu' && text.includes('swiftshader'),
  };
}
