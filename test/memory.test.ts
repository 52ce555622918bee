// Tensor lifetimes and the buffer pool (issue 2): tidy() scopes, keep(), memory() counters,
// pool reuse. Every test disposes what it makes, so the file ends with zero live tensors.
import { describe, expect, it } from 'vitest';
import {
  flush, keep, matmul, memory, randn, releasePool, relu, runtime, sync, tensor, tidy, zeros, type Tensor,
} from '../src/index.ts';
import { bucketSize } from '../src/gpu/pool.ts';

/** One training-like step: forward, backward, all inside the caller's scope. */
function step(W: Tensor, b: Tensor, seed: number): void {
  let x = randn([32, 16], { seed });
  for (let i = 0; i < 3; i++) x = x.mul(0.5).add(0.1);
  relu(matmul(x, W).add(b)).mean().backward();
}

describe('tidy()', () => {
  it('disposes what the scope created, keeps what it returns', async () => {
    const base = memory();
    let inner: Tensor | null = null;
    const out = tidy(() => {
      const a = tensor([1, 2, 3]);
      inner = a.mul(2);
      return inner.add(1);
    });
    expect(inner!.disposed).toBe(true);
    expect(out.disposed).toBe(false);
    expect(Array.from(await out.data())).toEqual([3, 5, 7]);
    expect(memory().liveTensors).toBe(base.liveTensors + 1);
    out.dispose();
    expect(memory().liveTensors).toBe(base.liveTensors);
  });

  it('returns tensors inside objects and arrays; keep() exempts a tensor', () => {
    const base = memory().liveTensors;
    let kept: Tensor | null = null;
    const r = tidy(() => {
      kept = keep(tensor([1]));
      tensor([2]); // dropped
      return { a: tensor([3]), list: [tensor([4]), tensor([5])] };
    });
    expect(memory().liveTensors).toBe(base + 4);
    for (const t of [kept!, r.a, ...r.list]) t.dispose();
    expect(memory().liveTensors).toBe(base);
  });

  it('nested scopes hand returned tensors to the parent', () => {
    const base = memory().liveTensors;
    const outer = tidy(() => {
      const fromInner = tidy(() => tensor([1, 2]).mul(3));
      expect(fromInner.disposed).toBe(false);
      fromInner.add(1); // created in the outer scope: freed with it
      return null;
    });
    expect(outer).toBeNull();
    expect(memory().liveTensors).toBe(base);
  });

  it('frees the scope when the function throws, and rejects async functions', () => {
    const base = memory().liveTensors;
    expect(() =>
      tidy(() => {
        tensor([1, 2, 3]).relu();
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(memory().liveTensors).toBe(base);
    expect(() => tidy((async () => tensor([1])) as never)).toThrow(/synchronous/);
    expect(memory().liveTensors).toBe(base);
  });

  it('frees the activations saved for backward when the graph is dropped', () => {
    const base = memory();
    const W = randn([4, 4], { seed: 1, requiresGrad: true });
    tidy(() => {
      relu(matmul(randn([2, 4], { seed: 2 }), W)).sum(); // recorded, never backpropagated
    });
    expect(memory().savedForBackward).toBe(base.savedForBackward);
    W.dispose();
    expect(memory().liveTensors).toBe(base.liveTensors);
  });
});

describe('buffer pool', () => {
  it('buckets sizes (powers of two up to 1 MiB, then 256 KiB steps)', () => {
    expect(bucketSize(1)).toBe(256);
    expect(bucketSize(257)).toBe(512);
    expect(bucketSize(4100)).toBe(8192);
    expect(bucketSize(1 << 20)).toBe(1 << 20);
    expect(bucketSize((1 << 20) + 1)).toBe((1 << 20) + 256 * 1024);
  });

  it('after a scope the live buffers return to baseline, and the next step reuses them', async () => {
    const W = randn([16, 8], { seed: 3, requiresGrad: true });
    const b = zeros([8], { requiresGrad: true });
    // Warm-up step: gradients exist from here on (they are accumulated in place of new ones).
    tidy(() => step(W, b, 0));
    flush();
    const base = memory();
    tidy(() => step(W, b, 1));
    flush();
    const one = memory();
    expect(one.liveTensors).toBe(base.liveTensors);
    expect(one.liveBuffers).toBe(base.liveBuffers);
    expect(one.liveBytes).toBe(base.liveBytes);
    expect(one.savedForBackward).toBe(base.savedForBackward);
    expect(one.buffersReused).toBeGreaterThan(base.buffersReused);
    // Steady state: further identical steps allocate no new GPU buffers at all.
    for (let s = 2; s < 6; s++) {
      tidy(() => step(W, b, s));
      flush();
    }
    const five = memory();
    expect(five.buffersCreated).toBe(one.buffersCreated);
    expect(five.buffersReused).toBeGreaterThan(one.buffersReused);
    expect(five.liveBuffers).toBe(base.liveBuffers);
    for (const t of [W.grad, b.grad, W, b]) t?.dispose();
  });

  it('a released buffer is not reused before the commands that read it are submitted', async () => {
    // x is consumed by a recorded (unsubmitted) kernel, then disposed; the next upload must not
    // land in x's buffer before that kernel ran.
    const x = tensor([1, 2, 3, 4]);
    const y = x.mul(10);
    x.dispose();
    const z = tensor([7, 7, 7, 7]);
    expect(Array.from(await y.data())).toEqual([10, 20, 30, 40]);
    expect(Array.from(await z.data())).toEqual([7, 7, 7, 7]);
    y.dispose();
    z.dispose();
  });

  it('releasePool() destroys pooled buffers', async () => {
    tidy(() => {
      tensor(new Float32Array(5000)).add(1);
    });
    flush();
    expect(memory().pooledBuffers).toBeGreaterThan(0);
    releasePool();
    expect(memory().pooledBuffers).toBe(0);
    expect(memory().pooledBytes).toBe(0);
    // The runtime keeps working and allocates fresh buffers.
    const t = tensor([1, 2]);
    const u = t.add(1);
    expect(Array.from(await u.data())).toEqual([2, 3]);
    t.dispose();
    u.dispose();
  });
});

describe('memory()', () => {
  it('a scoped 1,000-iteration allocation loop leaves nothing alive', async () => {
    const before = memory();
    const created = runtime().pool.created;
    for (let i = 0; i < 1000; i++) {
      tidy(() => {
        const a = tensor([i, i + 1, i + 2]);
        const b = zeros([3, 5]);
        a.reshape(3, 1).add(b).relu().sum();
      });
    }
    await sync();
    const after = memory();
    expect(after.liveTensors).toBe(before.liveTensors);
    expect(after.liveBuffers).toBe(before.liveBuffers);
    expect(after.liveBytes).toBe(before.liveBytes);
    expect(after.savedForBackward).toBe(before.savedForBackward);
    // ~6,000 buffers requested with no readback in between: released buffers wait for a submit,
    // and the pool submits by itself once many wait, so it stays bounded.
    const pool = runtime().pool;
    expect(pool.created - created).toBeLessThan(2 * pool.submitAfter.buffers);
    expect(after.buffersReused - before.buffersReused).toBeGreaterThan(4000);
  });

  it('shows zero live tensors once everything in this file is disposed', () => {
    const m = memory();
    expect(m.liveTensors, JSON.stringify(memory({ verbose: true }).groups)).toBe(0);
    expect(m.savedForBackward).toBe(0);
    expect(m.liveBuffers).toBe(0);
    expect(m.liveBytes).toBe(0);
  });
});

describe('tidy and gradients', () => {
  it('disposes the gradient of a tensor that dies with its scope', async () => {
    const { memory, tidy, randn } = await import('../src/index.ts');
    const base = memory().liveTensors;
    tidy(() => {
      const w = randn([4, 3], { seed: 1, requiresGrad: true });
      w.square().sum().backward();
    });
    expect(memory().liveTensors).toBe(base);
  });
});
