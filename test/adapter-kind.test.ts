// The kernel-family rule of src/gpu/kind.ts on adapter summaries as browsers report them,
// including Firefox's fallback adapter, whose adapter.info is empty.
import { describe, expect, it } from 'vitest';
import type { AdapterSummary } from '../src/gpu/device.ts';
import { adapterIdentity, adapterKind, cpuDriverReason, describeKind } from '../src/gpu/kind.ts';

const GPU_LIMITS = { maxComputeInvocationsPerWorkgroup: 1024, maxComputeWorkgroupStorageSize: 32768, maxStorageBufferBindingSize: 2 ** 31 };
const DEFAULT_LIMITS = { maxComputeInvocationsPerWorkgroup: 256, maxComputeWorkgroupStorageSize: 16384, maxStorageBufferBindingSize: 2 ** 27 };

function summary(over: Partial<AdapterSummary>): AdapterSummary {
  return { vendor: '', architecture: '', device: '', description: '', driver: 'browser', features: [], isFallbackAdapter: false, limits: GPU_LIMITS, ...over };
}

// What Firefox 153 ESR reports for its software adapter on this machine (no GPU).
const FIREFOX_FALLBACK = summary({ isFallbackAdapter: true, limits: { ...GPU_LIMITS, maxStorageBufferBindingSize: 2 ** 27 } });

describe('adapter kind', () => {
  it("Firefox's fallback adapter with empty info is a CPU driver, and the reason says so", () => {
    const k = adapterKind(FIREFOX_FALLBACK, 'auto');
    expect(k).toEqual({ cpu: true, swiftshader: false, reason: 'a fallback adapter with empty adapter info' });
    expect(describeKind(k)).toBe('kernels: cpu family: a fallback adapter with empty adapter info');
  });

  it('software rasterizers are recognised by their info', () => {
    expect(adapterKind(summary({ vendor: 'google', architecture: 'swiftshader' }), 'auto')).toMatchObject({ cpu: true, swiftshader: true });
    expect(cpuDriverReason(summary({ description: 'llvmpipe (LLVM 19.1.7, 256 bits)' }))).toBe("a software rasterizer ('llvmpipe' in the adapter info)");
    expect(adapterKind(summary({ vendor: 'mesa', driver: 'lavapipe' }), 'auto').cpu).toBe(true);
  });

  it('empty info with default limits is a CPU driver; empty info with GPU limits is taken for a GPU', () => {
    expect(adapterKind(summary({ limits: DEFAULT_LIMITS }), 'auto')).toMatchObject({ cpu: true, reason: expect.stringMatching(/^empty adapter info and default limits/) });
    expect(adapterKind(summary({}), 'auto')).toMatchObject({ cpu: false, reason: expect.stringMatching(/^assumed a GPU/) });
    expect(adapterKind(summary({ vendor: 'nvidia', architecture: 'ampere' }), 'auto')).toEqual({ cpu: false, swiftshader: false, reason: 'a GPU by its adapter info' });
  });

  it('the kernels option overrides the rule and says so', () => {
    expect(adapterKind(FIREFOX_FALLBACK, 'gpu')).toEqual({ cpu: false, swiftshader: false, reason: "forced by the kernels option ('gpu')" });
    expect(adapterKind(summary({ vendor: 'nvidia' }), 'cpu')).toMatchObject({ cpu: true });
    expect(() => adapterKind(FIREFOX_FALLBACK, 'fast')).toThrow(/kernels .* must be 'auto', 'cpu' or 'gpu', got 'fast'/);
  });

  it('adapters with empty info get distinct cache identities; adapters with info keep their old key', () => {
    const a = adapterIdentity(FIREFOX_FALLBACK);
    const b = adapterIdentity(summary({}));
    expect(a).not.toBe(b);
    expect(a).toContain('fallback');
    expect(adapterIdentity(summary({ vendor: 'v', architecture: 'a', device: 'd', description: 'x', driver: 'lavapipe' }))).toBe('v|a|d|x|lavapipe');
  });
});
