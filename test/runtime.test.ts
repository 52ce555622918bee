// Runtime foundation (issue 2) on a real Dawn device: round trips, seeded randomness,
// disposal errors, pipeline cache, one submit per flush, error messages, adapter errors.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  DTypeError, DisposedTensorError, Rng, ShapeError, ValueError, WebGPUUnavailableError,
  adapterInfo, flush, full, init, matmul, tidy, ones, rand, randint, randn, relu, runtime, sync, tensor, zeros, type Tensor,
} from '../src/index.ts';
import { kernelCacheKey } from '../src/gpu/pipelines.ts';
import { expectClose } from './helpers.ts';

const sizeOf = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** Sizes that are not multiples of 4 or 256 (vec4 tails, partial workgroups), plus the edges. */
const SIZES = [
  ...Array.from({ length: 33 }, (_, i) => i + 1),
  63, 65, 127, 129, 255, 257, 383, 511, 513, 767, 1021, 1023, 1025, 4099, 65_537,
];
const SHAPES: number[][] = [
  [], [0], [1], [1, 1], [3, 1, 5], [1, 7, 1], [2, 0, 3], [5, 3], [17, 1, 3, 1], [2, 3, 4, 5, 6], [255, 3],
  ...SIZES.map((n) => [n]),
];

function f32Values(n: number, salt: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => Math.fround(Math.sin(i * 12.9898 + salt) * 43758.5453 - (i % 97) / 3));
}

describe('round trips', () => {
  it('f32: every shape reads back bit-exact', async () => {
    for (const shape of SHAPES) {
      const host = f32Values(sizeOf(shape), shape.length);
      host[0] = host.length > 0 ? -0 : host[0]; // signed zero survives
      if (host.length > 3) {
        host[1] = 3.4028234663852886e38;
        host[2] = 1.401298464324817e-45; // smallest subnormal
        host[3] = -1e-30;
      }
      const t = tensor(host, { shape });
      expect(t.shape).toEqual(shape);
      expect(t.dtype).toBe('f32');
      const back = await t.data();
      expect(back).toBeInstanceOf(Float32Array);
      expect(back.length, `size of ${JSON.stringify(shape)}`).toBe(host.length);
      expect(Buffer.from(back.buffer, back.byteOffset, back.byteLength).equals(Buffer.from(host.buffer)), `bits of ${JSON.stringify(shape)}`).toBe(true);
      t.dispose();
    }
  });

  it('i32: every shape reads back exactly, including the extremes', async () => {
    for (const shape of SHAPES) {
      const n = sizeOf(shape);
      const host = Int32Array.from({ length: n }, (_, i) => (i % 3 === 0 ? -1 : 1) * ((i * 2654435761) % 2147483647));
      if (n > 2) {
        host[1] = 2147483647;
        host[2] = -2147483648;
      }
      const t = tensor(host, { shape });
      expect(t.dtype).toBe('i32');
      const back = await t.data();
      expect(back).toBeInstanceOf(Int32Array);
      expect(Array.from(back), `values of ${JSON.stringify(shape)}`).toEqual(Array.from(host));
      t.dispose();
    }
  });

  it('nested arrays keep their shape; a 0-d tensor reads back as a number', async () => {
    const nested = [[[1, 2, 3]], [[4, 5, 6]]];
    const t = tensor(nested);
    expect(t.shape).toEqual([2, 1, 3]);
    expect(await t.toArray()).toEqual(nested);
    const s = tensor(3.5);
    expect(s.shape).toEqual([]);
    expect(await s.toArray()).toBe(3.5);
    expect(await s.item()).toBe(3.5);
    const i = tensor([[7, -8]], { dtype: 'i32' });
    expect(await i.toArray()).toEqual([[7, -8]]);
    const e = tensor([]);
    expect(e.shape).toEqual([0]);
    expect(await e.toArray()).toEqual([]);
    for (const x of [t, s, i, e]) x.dispose();
  });

  it('zeros / ones / full fill every element', async () => {
    for (const n of [1, 3, 5, 257, 1025]) {
      const z = zeros([n]);
      const o = ones([n, 1]);
      const f = full([1, n], -2.5);
      const fi = full([n], 7, { dtype: 'i32' });
      expect(Array.from(await z.data()).every((v) => v === 0)).toBe(true);
      expect(Array.from(await o.data()).every((v) => v === 1)).toBe(true);
      expect(Array.from(await f.data()).every((v) => v === -2.5)).toBe(true);
      expect(Array.from(await fi.data()).every((v) => v === 7)).toBe(true);
      for (const x of [z, o, f, fi]) x.dispose();
    }
  });

  it('a kernel output reads back right at odd sizes (relu over 1..1025)', async () => {
    for (const n of SIZES) {
      const host = f32Values(n, 3);
      const x = tensor(host);
      const y = relu(x);
      const back = await y.data();
      expect(back.length).toBe(n);
      for (let i = 0; i < n; i++) if (back[i] !== Math.max(host[i], 0)) expect.fail(`relu size ${n}: element ${i} is ${back[i]}, expected ${Math.max(host[i], 0)}`);
      x.dispose();
      y.dispose();
    }
  });
});

describe('seeded random tensors', () => {
  it('the same seed gives identical values; different seeds differ', async () => {
    const a = await randn([1000], { seed: 7 }).data();
    const b = await randn([1000], { seed: 7 }).data();
    const c = await randn([1000], { seed: 8 }).data();
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
    expect(Array.from(await rand([64], { seed: 1 }).data())).toEqual(Array.from(await rand([64], { seed: 1 }).data()));
    expect(Array.from(await randint([64], 0, 10, { seed: 1 }).data())).toEqual(Array.from(await randint([64], 0, 10, { seed: 1 }).data()));
  });

  it('matches the host Rng stream (so every adapter and machine agrees)', async () => {
    const rng = new Rng(42);
    const expected = Float32Array.from({ length: 17 }, () => rng.normal());
    expect(Array.from(await randn([17], { seed: 42 }).data())).toEqual(Array.from(expected));
    // Pinned values: a change in the generator changes every seeded experiment.
    const u = new Rng(0);
    expect([u.nextU32(), u.nextU32(), u.nextU32()]).toEqual(pinnedU32);
    const g = new Rng(42);
    expect(g.normal()).toBeCloseTo(1.9329722574503772, 12);
  });

  it('randn has roughly the right moments; mean/std options apply', async () => {
    const n = 100_000;
    const v = Array.from(await randn([n], { seed: 123 }).data());
    const mean = v.reduce((s, x) => s + x, 0) / n;
    const variance = v.reduce((s, x) => s + (x - mean) ** 2, 0) / n;
    const skew = v.reduce((s, x) => s + (x - mean) ** 3, 0) / n / variance ** 1.5;
    expect(Math.abs(mean)).toBeLessThan(0.02);
    expect(Math.abs(variance - 1)).toBeLessThan(0.03);
    expect(Math.abs(skew)).toBeLessThan(0.05);
    const w = Array.from(await randn([n], { seed: 5, mean: 3, std: 0.5 }).data());
    const wm = w.reduce((s, x) => s + x, 0) / n;
    const wsd = Math.sqrt(w.reduce((s, x) => s + (x - wm) ** 2, 0) / n);
    expect(wm).toBeCloseTo(3, 1);
    expect(wsd).toBeCloseTo(0.5, 1);
  });

  it('rand stays in [low, high) and randint in [low, high)', async () => {
    const u = await rand([10_000], { seed: 9, low: -2, high: 3 }).data();
    expect(Math.min(...u)).toBeGreaterThanOrEqual(-2);
    expect(Math.max(...u)).toBeLessThan(3);
    const r = await randint([10_000], -3, 4, { seed: 9 }).data();
    const seen = new Set(r);
    expect([...seen].sort((a, b) => a - b)).toEqual([-3, -2, -1, 0, 1, 2, 3]);
  });

  it('without a seed draws from the global generator; bad arguments are refused', () => {
    expect(() => randn([2], { seed: 1.5 })).toThrow(ValueError);
    expect(() => randn([2], { sed: 1 } as never)).toThrow(/unknown option 'sed' \(did you mean 'seed'\?\)/);
    expect(() => randint([2], 3, 3, { seed: 1 })).toThrow(/low < high/);
  });
});

// new Rng(0).nextU32() x3, recorded when the generator was written (xoshiro128** seeded by SplitMix32).
const pinnedU32 = [1292791899, 1284423797, 2013314966];

describe('disposal', () => {
  it('using a disposed tensor throws DisposedTensorError naming it', async () => {
    const t = tensor([1, 2, 3], { label: 'weights' });
    t.dispose();
    expect(t.disposed).toBe(true);
    expect(() => t.add(1)).toThrow(DisposedTensorError);
    expect(() => t.buffer()).toThrow(/already disposed \(weights#\d+ \[3\] f32\)/);
    await expect(t.data()).rejects.toThrow(DisposedTensorError);
    await expect(t.data()).rejects.toThrow(/tidy\(\)|keep\(\)/);
    const other = tensor([[1, 2, 3]]);
    expect(() => matmul(other, t)).toThrow(DisposedTensorError);
    other.dispose();
  });

  it('double dispose is safe', () => {
    const t = tensor([1, 2]);
    t.dispose();
    expect(() => t.dispose()).not.toThrow();
    expect(t.disposed).toBe(true);
  });

  it('Symbol.dispose frees the tensor at the end of a `using` block', async () => {
    let held: Tensor;
    {
      using t = tensor([1, 2, 3]);
      held = t;
      expect(held.disposed).toBe(false);
      expect(Array.from(await t.data())).toEqual([1, 2, 3]);
    }
    expect(held.disposed).toBe(true);
    const u = tensor([4]);
    u[Symbol.dispose]();
    expect(u.disposed).toBe(true);
  });

  it('a view keeps the storage alive until the last handle is disposed', async () => {
    const base = tensor([1, 2, 3, 4]);
    const view = base.reshape(2, 2);
    base.dispose();
    expect(await view.toArray()).toEqual([[1, 2], [3, 4]]);
    view.dispose();
  });
});

describe('kernel family option', () => {
  it('a bad kernels option is a ValueError before any device is acquired; the runtime stays', async () => {
    const before = runtime();
    const x = tensor([1, 2, 3]);
    await expect(init({ kernels: 'fast' as 'gpu' })).rejects.toThrow(/init: option 'kernels' must be one of 'auto', 'cpu', 'gpu', got string 'fast'/);
    await expect(init({ kernels: 'fast' as 'gpu' })).rejects.toBeInstanceOf(ValueError);
    expect(runtime()).toBe(before);
    expect(Array.from(await x.data())).toEqual([1, 2, 3]);
    x.dispose();
  });
});

describe('pipeline cache and command recording', () => {
  it('a second identical op creates no pipeline', async () => {
    const rt = runtime();
    const a = tensor([1, -2, 3]);
    const warm = relu(a);
    await warm.data();
    const before = { ...rt.pipelines.stats };
    const b = tensor([-4, 5, -6, 7, 8]); // another size: same kernel, new Params
    const y = relu(b);
    expect(Array.from(await y.data())).toEqual([0, 5, 0, 7, 8]);
    expect(rt.pipelines.stats.pipelinesCreated).toBe(before.pipelinesCreated);
    expect(rt.pipelines.stats.modulesCreated).toBe(before.modulesCreated);
    expect(rt.pipelines.stats.hits).toBeGreaterThan(before.hits);
    for (const t of [a, warm, b, y]) t.dispose();
  });

  it('a repeated eager loop reuses its bind groups, and each iteration still computes its own values', async () => {
    const rt = runtime();
    const x = tensor([1, 2, 3, 4, 5]);
    const step = async (k: number) => {
      // Same ops, same uniform slots after each flush, pooled buffers: the same bind groups.
      const y = tidy(() => relu(x.mul(k).sub(2 * k)));
      const out = Array.from(await y.data());
      y.dispose();
      return out;
    };
    const created: number[] = [];
    for (let k = 1; k <= 4; k++) {
      const [groups, dispatches] = [rt.stats.bindGroups, rt.stats.dispatches];
      expect(await step(k)).toEqual([1, 2, 3, 4, 5].map((v) => Math.max(v * k - 2 * k, 0)));
      expect(rt.stats.dispatches - dispatches).toBe(3);
      created.push(rt.stats.bindGroups - groups);
    }
    // Once the pool has settled (released buffers come back after a submit), nothing is new.
    expect(created[0]).toBe(3);
    expect(created[3]).toBe(0);
    x.dispose();
  });

  it('cache keys ignore the order of defines and constants', () => {
    const k1 = kernelCacheKey({ shader: 'elementwise' as never, entry: 'main', defines: { A: true, B: false }, constants: { WG: 64, X: 1 }, bindings: ['uniform', 'read', 'rw'] });
    const k2 = kernelCacheKey({ shader: 'elementwise' as never, entry: 'main', defines: { B: false, A: true }, constants: { X: 1, WG: 64 }, bindings: ['uniform', 'read', 'rw'] });
    const k3 = kernelCacheKey({ shader: 'elementwise' as never, entry: 'main', defines: { A: false, B: false }, constants: { WG: 64, X: 1 }, bindings: ['uniform', 'read', 'rw'] });
    expect(k1).toBe(k2);
    expect(k1).not.toBe(k3);
  });

  it('many ops and one readback make exactly one submit', async () => {
    const rt = runtime();
    const w = tensor([[0.5, -1], [2, 0.25]]);
    // Warm up: compile the pipelines outside the measurement.
    const warm = relu(matmul(tensor([[1, 2]]), w).add(1).mul(2)).sum();
    await warm.data();
    await sync();
    const submits = rt.stats.submits;
    const dispatches = rt.stats.dispatches;
    let x = tensor([[1, 2]]);
    for (let i = 0; i < 20; i++) x = relu(matmul(x, w).add(1).mul(0.5));
    const total = x.sum();
    const v = await total.item();
    expect(Number.isFinite(v)).toBe(true);
    expect(rt.stats.dispatches - dispatches).toBeGreaterThanOrEqual(60);
    expect(rt.stats.submits - submits).toBe(1);
    // flush() with nothing recorded submits nothing.
    flush();
    expect(rt.stats.submits - submits).toBe(1);
  });

  it('reading back every intermediate gives the same numbers as one final read', async () => {
    const w = tensor([[0.5, -1], [2, 0.25]]);
    const run = async (readEach: boolean) => {
      let x = tensor([[1, 2]]);
      for (let i = 0; i < 5; i++) {
        x = matmul(x, w).add(0.1);
        if (readEach) await x.data();
      }
      return Array.from(await x.data());
    };
    expectClose(await run(true), await run(false), { rtol: 0, atol: 0 });
  });
});

describe('error messages', () => {
  it('ragged nested arrays are a ShapeError', () => {
    expect(() => tensor([[1, 2], [3]])).toThrow(ShapeError);
    expect(() => tensor([[1, 2], [3]])).toThrow(/ragged: element \[1\] has length 1, expected 2 \(the length of element \[0\]\) \(got \[2\] and \[1\]\)/);
    expect(() => tensor([[1, 2], 3] as never)).toThrow(/ragged/);
    expect(() => tensor([1, [2, 3]] as never)).toThrow(/ragged/);
  });

  it('bad shapes name the problem', async () => {
    expect(() => tensor([1, 2, 3], { shape: [2, 2] })).toThrow(ShapeError);
    expect(() => tensor([1, 2, 3], { shape: [2, 2] })).toThrow(/3 values do not fill shape \[2, 2\] \(4 elements\)/);
    expect(() => zeros([2, -1])).toThrow(ValueError);
    expect(() => zeros([2, 1.5])).toThrow(/non-negative integers/);
    expect(() => tensor(new Float32Array(6), { shape: [4, 2] })).toThrow(/6 values do not fill shape \[4, 2\]/);
    const two = tensor([1, 2]);
    await expect(two.item()).rejects.toThrow(/exactly one element/);
    two.dispose();
  });

  it('matmul and broadcast errors name both shapes', () => {
    const a = tensor([[1, 2, 3]]);
    const b = tensor([[1, 2], [3, 4]]);
    expect(() => matmul(a, b)).toThrow(ShapeError);
    expect(() => matmul(a, b)).toThrow(/\[1, 3\].*\[2, 2\]/);
    expect(() => a.add(tensor([1, 2]))).toThrow(/not broadcastable.*\[1, 3\] and \[2\]/);
    a.dispose();
    b.dispose();
  });

  it('dtypes and values are checked', () => {
    expect(() => tensor([1.5], { dtype: 'i32' })).toThrow(ValueError);
    expect(() => tensor([1.5], { dtype: 'i32' })).toThrow(/non-integer value 1.5 at flat index 0/);
    expect(() => tensor([1], { dtype: 'f64' as never })).toThrow(DTypeError);
  });
});

describe('adapter selection', () => {
  it('the Node adapter is a real Vulkan driver', () => {
    const a = adapterInfo();
    expect(['default', 'lavapipe', 'swiftshader']).toContain(a.driver.startsWith('VK_ICD') ? 'default' : a.driver);
    expect(`${a.vendor} ${a.architecture} ${a.description}`.trim().length).toBeGreaterThan(0);
  });

  // Device acquisition happens in a child process so this file's device is untouched.
  const probe = (env: Record<string, string>) => {
    const code =
      "const m = await import('./src/index.ts');" +
      'try { const a = await m.init({ quiet: true }); console.log(JSON.stringify({ ok: true, driver: a.driver })); }' +
      'catch (e) { console.log(JSON.stringify({ ok: false, name: e.name, isClass: e instanceof m.WebGPUUnavailableError, message: e.message })); }' +
      'process.exit(0);';
    const clean = { ...process.env };
    delete clean.VK_ICD_FILENAMES;
    delete clean.VK_DRIVER_FILES;
    delete clean.WEBGRAD_ADAPTER;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--conditions=webgrad-source', '--input-type=module', '-e', code], {
      cwd: new URL('..', import.meta.url),
      env: { ...clean, WEBGRAD_QUIET: '1', ...env },
      encoding: 'utf8',
      timeout: 60_000,
    });
    const line = r.stdout.trim().split('\n').pop() ?? '';
    try {
      return JSON.parse(line) as { ok: boolean; driver?: string; name?: string; isClass?: boolean; message?: string };
    } catch {
      throw new Error(`probe printed no JSON (status ${r.status}):\n${r.stdout}\n${r.stderr}`);
    }
  };

  it('init() without a usable adapter throws WebGPUUnavailableError saying what to install', () => {
    const r = probe({ VK_ICD_FILENAMES: '/nonexistent/webgrad-test-icd.json', WEBGRAD_ADAPTER: 'default' });
    expect(r.ok, JSON.stringify(r)).toBe(false);
    expect(r.name).toBe('WebGPUUnavailableError');
    expect(r.isClass).toBe(true);
    expect(r.message).toMatch(/no WebGPU adapter in Node/);
    expect(r.message).toMatch(/npm run setup/);
    expect(r.message).toMatch(/VK_ICD_FILENAMES/);
  });

  it.skipIf(!existsSync('/usr/lib/chromium/vk_swiftshader_icd.json'))('WEBGRAD_ADAPTER forces a driver (SwiftShader from Debian chromium)', () => {
    const r = probe({ WEBGRAD_ADAPTER: 'swiftshader' });
    expect(r, JSON.stringify(r)).toMatchObject({ ok: true, driver: 'swiftshader' });
  });

  it('runtime() before init() explains what to do', () => {
    expect(new WebGPUUnavailableError('x')).toBeInstanceOf(Error);
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--conditions=webgrad-source', '--input-type=module', '-e', "const m = await import('./src/index.ts'); try { m.tensor([1]); } catch (e) { console.log(e.name + ': ' + e.message); }"],
      { cwd: new URL('..', import.meta.url), encoding: 'utf8', timeout: 60_000 },
    );
    expect(r.stdout).toMatch(/NotInitializedError: .*Call `await init\(\)`/);
  });
});
