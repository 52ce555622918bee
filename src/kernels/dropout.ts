// Launcher for shaders/dropout.wgsl: one invocation per element, a pure function of
// (key, element index), so forward and backward are the same launch on different inputs.
import { empty, type Tensor } from '../tensor.ts';
import { ParamWriter, grid1d } from './launch.ts';

const WG = 256;

/** The 64-bit Threefry key as two u32 words. */
export interface DropoutKey {
  k0: number;
  k1: number;
}

/** round(p * 2^32), capped to the u32 range (p = 1 is the DROP_ALL variant). */
export function dropoutThreshold(p: number): number {
  return Math.min(Math.round(p * 2 ** 32), 2 ** 32 - 1);
}

function params(n: number, p: number, key: DropoutKey): Uint8Array {
  return new ParamWriter().u32(n).u32(dropoutThreshold(p)).u32(key.k0).u32(key.k1).f32(p < 1 ? 1 / (1 - p) : 0).done();
}

/**
 * y = mask(key) * x / (1 - p). Inside a capture, `refresh()` gives the key at each replay
 * (src/ops/dropout.ts draws a fresh one per replay for masks seeded by the global generator).
 */
export function dropoutKernel(x: Tensor, p: number, key: DropoutKey, label: string, refresh: () => DropoutKey): Tensor {
  const rt = x.runtime;
  const y = empty(x.shape, 'f32', label);
  const n = x.size;
  rt.dispatch(
    { shader: 'dropout', entry: 'dropout', defines: { DROP_ALL: p === 1 }, constants: { WG }, bindings: ['uniform', 'read', 'rw'] },
    params(n, p, key),
    [x.buffer(label), y.buffer(label)],
    grid1d(rt, n, WG),
    label,
    () => params(n, p, refresh()),
  );
  return y;
}
