// Device loss, limits, checkNumerics, leak report and memory budget (issue 6), on a real device.
import { afterAll, describe, expect, it } from 'vitest';
import {
  DeviceLostError, LimitError, NumericsError, OutOfMemoryError, init, memory, restore, runtime, snapshot, tensor, tidy, matmul,
  deviceLost, randn,
} from '../src/index.ts';
import { expectClose } from './helpers.ts';

afterAll(async () => {
  await init({ debug: false }); // leave a plain runtime for anything after us
});

describe('device loss', () => {
  it('rejects pending and later work with DeviceLostError, and recovers on a new device', async () => {
    await init({ debug: false });
    const w = tensor([[1, 2], [3, 4]], { requiresGrad: true, label: 'w' });
    const saved = await snapshot([w]);
    const pending = w.mul(2).data();
    runtime().device.destroy();
    await expect(pending).rejects.toBeInstanceOf(DeviceLostError);
    expect(deviceLost()).toBe(true);
    expect(() => w.add(1)).toThrow(DeviceLostError);
    expect(() => tensor([1, 2])).toThrow(/call init\(\)|init\(\)/i);

    await init();
    expect(deviceLost()).toBe(false);
    restore([w], saved);
    const y = w.matmul(tensor([[1], [1]])).sum();
    y.backward();
    expectClose(await w.data(), [1, 2, 3, 4]);
    expectClose(await w.grad!.data(), [1, 1, 1, 1]);
  });
});

describe('limits', () => {
  it('rejects a tensor larger than maxStorageBufferBindingSize before any GPU work', async () => {
    await init({ limits: { maxStorageBufferBindingSize: 1 << 16 } });
    const before = runtime().stats.dispatches;
    expect(() => tensor(new Float32Array((1 << 14) + 1))).toThrow(LimitError);
    expect(() => tensor(new Float32Array((1 << 14) + 1))).toThrow(/\[16385\].*maxStorageBufferBindingSize = 65536/);
    expect(runtime().stats.dispatches).toBe(before);
    // At the limit it works.
    const ok = tensor(new Float32Array(1 << 14).fill(2));
    expect(await ok.mul(3).sum().item()).toBeCloseTo(6 * (1 << 14));
  });

  it('splits 1-D grids when maxComputeWorkgroupsPerDimension is small', async () => {
    await init({ limits: { maxComputeWorkgroupsPerDimension: 4 } });
    const n = 256 * 4 * 3 + 5; // needs a 2-D grid of 4 x 4 workgroups
    const host = Float32Array.from({ length: n }, (_, i) => (i % 7) - 3);
    const out = await tensor(host).relu().data();
    expectClose(out, Array.from(host, (v) => Math.max(v, 0)));
  });
});

describe('checkNumerics', () => {
  it('names the first op that produced a NaN', async () => {
    await init({ checkNumerics: true });
    const x = tensor([1, -1, 4]);
    const y = x.log().mul(2).exp(); // log(-1) = NaN first appears in 'log'
    await expect(y.data()).rejects.toThrow(NumericsError);
    const z = tensor([1, -1]).log().add(1);
    await expect(z.data()).rejects.toThrow(/'log' \(forward/);
    // Finite work passes.
    expectClose(await tensor([1, 2]).exp().log().data(), [1, 2], { rtol: 1e-6 });
  });
});

describe('leak report and budget', () => {
  it('groups live tensors by op and call site in debug mode', async () => {
    await init({ debug: true });
    const base = memory().liveTensors;
    const leaked = [0, 1, 2].map(() => randn([8, 8], { seed: 1 }).relu());
    const report = memory({ verbose: true });
    expect(report.liveTensors).toBe(base + 6);
    const relu = report.groups.find((g) => g.label === 'relu' && /reliability\.test\.ts/.test(g.site));
    expect(relu?.count).toBe(3);
    expect(relu?.bytes).toBe(3 * 64 * 4);
    leaked.forEach((t) => t.dispose());
  });

  it('throws OutOfMemoryError naming the request and what is live', async () => {
    await init({ memoryBudget: 1 << 20 });
    const keepAlive = tensor(new Float32Array(200_000));
    expect(() => tensor(new Float32Array(100_000))).toThrow(OutOfMemoryError);
    expect(() => tensor(new Float32Array(100_000))).toThrow(/400000 bytes.*budget is 1048576/);
    keepAlive.dispose();
    const t = tensor(new Float32Array(100_000));
    expect(t.size).toBe(100_000);
    t.dispose();
  });

  it('a scoped loop leaves no live tensors', async () => {
    await init({ debug: false });
    const base = memory();
    const a = randn([16, 16], { seed: 3, requiresGrad: true });
    for (let i = 0; i < 50; i++) {
      tidy(() => {
        matmul(a, a).relu().sum().backward();
      });
      a.grad?.dispose();
      a.grad = null;
    }
    const after = memory();
    expect(after.liveTensors).toBe(base.liveTensors + 1);
    expect(after.savedForBackward).toBe(0);
    a.dispose();
  });
});

describe('a long training loop', () => {
  it('keeps live tensors, live bytes and pooled bytes flat over 2,000 steps', async () => {
    await init({ debug: false });
    const { SGD } = await import('../src/optim/index.ts');
    const { linear, softmaxCrossEntropy, randint } = await import('../src/index.ts');
    const w1 = randn([32, 24], { seed: 1, std: 0.2, requiresGrad: true });
    const b1 = randn([24], { seed: 2, std: 0.1, requiresGrad: true });
    const w2 = randn([24, 10], { seed: 3, std: 0.2, requiresGrad: true });
    const b2 = randn([10], { seed: 4, std: 0.1, requiresGrad: true });
    const opt = new SGD([w1, b1, w2, b2], { lr: 0.05, momentum: 0.9 });
    const x = randn([16, 32], { seed: 5 });
    const y = randint([16], 0, 10, { seed: 6 });
    const samples: ReturnType<typeof memory>[] = [];
    let first = 0;
    let last = 0;
    for (let step = 0; step < 2000; step++) {
      const loss = tidy(() => {
        opt.zeroGrad();
        const l = softmaxCrossEntropy(linear(linear(x, w1, b1, 'relu'), w2, b2), y);
        l.backward();
        opt.step();
        return l;
      });
      if (step === 0) first = await loss.item();
      if (step === 1999) last = await loss.item();
      loss.dispose();
      if (step % 100 === 99) {
        await runtime().sync();
        samples.push(memory());
      }
    }
    expect(last).toBeLessThan(first * 0.5); // it really trained
    const warm = samples.slice(2); // after warm-up
    for (const s of warm) {
      expect(s.liveTensors).toBe(warm[0].liveTensors);
      expect(s.liveBytes).toBe(warm[0].liveBytes);
      expect(s.pooledBytes).toBe(warm[0].pooledBytes);
      expect(s.savedForBackward).toBe(0);
    }
    expect(warm[warm.length - 1].buffersCreated).toBe(warm[0].buffersCreated);
    opt.dispose();
    [w1, b1, w2, b2].forEach((t) => {
      t.zeroGrad();
      t.dispose();
    });
    x.dispose();
    y.dispose();
  }, 300_000);
});

describe('GPU validation errors', () => {
  it('are captured per launch in debug mode and reported with the op label', async () => {
    await init({ debug: true });
    const rt = runtime();
    const bad = rt.device.createBuffer({ label: 'not-storage', size: 64, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const x = tensor([1, 2, 3]);
    rt.dispatch(
      { shader: 'elementwise', entry: 'unary', constants: { WG: 256, OP: 6 }, bindings: ['uniform', 'read', 'read', 'rw'] },
      new Uint8Array(256),
      [x.buffer(), x.buffer(), bad],
      [1, 1],
      'deliberately-invalid.forward',
    );
    await expect(x.data()).rejects.toThrow(/deliberately-invalid\.forward/);
    // The runtime keeps working after the error was reported.
    expectClose(await tensor([1, -2]).relu().data(), [1, 0]);
    await init({ debug: false });
  });
});
