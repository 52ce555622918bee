// CNN layers (Conv2d, pooling, Flatten/Unflatten, BatchNorm1d/2d, Dropout), train()/eval()
// reaching every submodule, buffers in the state dict and in safetensors (num_batches_tracked as
// I64), nn.init's fan and gain rules, and PyTorch's default Linear/Conv2d initialisation.
import { describe, expect, it } from 'vitest';
import { refArray } from '../src/check/array.ts';
import { REFERENCE } from '../src/check/reference.ts';
import { batchNormRunningRef } from '../src/check/reference/norm.ts';
import { conv2d, manualSeed, maxPool2d, nn, randn, tensor, ValueError, ShapeError, type Tensor } from '../src/index.ts';
import { expectClose } from './helpers.ts';

const { Conv2d, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, Flatten, Unflatten, BatchNorm1d, BatchNorm2d, Dropout, Linear, ReLU, Sequential } = nn;
const host = async (t: Tensor) => Array.from(await t.data());

function stats(v: number[]): { mean: number; std: number; min: number; max: number } {
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const std = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
  return { mean, std, min: Math.min(...v), max: Math.max(...v) };
}

describe('layers', () => {
  it('Conv2d is conv2d with its weight [out, in / groups, kH, kW] and bias; pooling and flatten layers call their ops', async () => {
    const conv = new Conv2d(4, 6, 3, { stride: 2, padding: 1, groups: 2, seed: 3 });
    expect(conv.weight.shape).toEqual([6, 2, 3, 3]);
    expect(conv.bias!.shape).toEqual([6]);
    const x = randn([2, 4, 9, 7], { seed: 1 });
    expectClose(await conv.forward(x).data(), await conv2d(x, conv.weight, conv.bias, { stride: 2, padding: 1, groups: 2 }).data(), { rtol: 1e-6, atol: 1e-7 });
    expect(new Conv2d(3, 5, [2, 3], { bias: false, seed: 1 }).bias).toBeNull();
    expectClose(await new MaxPool2d(2).forward(x).data(), await maxPool2d(x, { kernelSize: 2 }).data(), { rtol: 0, atol: 0 });
    expect(new AvgPool2d(3, { stride: 1, padding: 1 }).forward(x).shape).toEqual([2, 4, 9, 7]);
    expect(new AdaptiveAvgPool2d(1).forward(x).shape).toEqual([2, 4, 1, 1]);
    expect(new Flatten().forward(x).shape).toEqual([2, 252]);
    expect(new Unflatten(1, [1, 28, 28]).forward(randn([3, 784], { seed: 2 })).shape).toEqual([3, 1, 28, 28]);
  });

  it('bad layer arguments are typed errors at construction', () => {
    expect(() => new Conv2d(3, 4, 3, { groups: 2, seed: 1 })).toThrow(/groups \(2\) must divide inChannels \(3\)/);
    expect(() => new Conv2d(3, 4, 0, { seed: 1 })).toThrow(ValueError);
    expect(() => new Conv2d(3, 4, 3, { padding_mode: 'zeros' } as never)).toThrow(/padding_mode/);
    expect(() => new Conv2d(3, 4, 3, { padding: 'same', stride: 2 })).toThrow(/same.*stride 1/);
    expect(() => new MaxPool2d(2, { ceil_mode: true } as never)).toThrow(/ceil_mode/);
    expect(() => new BatchNorm2d(4, { momentum: null } as never)).toThrow(/momentum null/);
    expect(() => new BatchNorm2d(4, { track_running_stats: false } as never)).toThrow(/trackRunningStats/);
    expect(() => new Dropout(2)).toThrow(/between 0 and 1/);
    expect(() => new BatchNorm2d(3).forward(randn([2, 4, 3, 3], { seed: 1 }))).toThrow(ShapeError);
    expect(() => new BatchNorm2d(3).forward(randn([2, 3, 3], { seed: 1 }))).toThrow(/4-D/);
  });
});

describe('BatchNorm layers', () => {
  it('state dict in torch names; running statistics and num_batches_tracked follow training steps; eval uses them', async () => {
    const bn = new BatchNorm2d(3, { momentum: 0.2 });
    expect(Object.keys(bn.stateDict())).toEqual(['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked']);
    expect(bn.stateDict().num_batches_tracked.dtype).toBe('i32');
    expect(bn.parameters().length).toBe(2);
    let rm = refArray([3], () => 0);
    let rv = refArray([3], () => 1);
    for (let s = 0; s < 3; s++) {
      const x = randn([4, 3, 5, 2], { seed: 10 + s, std: 1 + s, mean: s });
      bn.forward(x);
      ({ mean: rm, var: rv } = batchNormRunningRef(refArray(x.shape, await x.data()), rm, rv, 0.2));
    }
    expectClose(await bn.runningMean!.data(), rm.data, { rtol: 1e-5, atol: 1e-6 });
    expectClose(await bn.runningVar!.data(), rv.data, { rtol: 1e-5, atol: 1e-6 });
    expect(await host(bn.numBatchesTracked!)).toEqual([3]);
    bn.eval();
    const x = randn([2, 3, 4, 4], { seed: 99 });
    const y = bn.forward(x);
    const ones = refArray([3], () => 1);
    const zeros = refArray([3], () => 0);
    const attrs = { training: false, momentum: 0.2, eps: 1e-5, hasWeight: true, hasBias: true, hasRunning: true };
    expectClose(await y.data(), REFERENCE.batchNorm.forward([refArray(x.shape, await x.data()), ones, zeros, rm, rv], attrs).data, { rtol: 1e-5, atol: 1e-6 });
    expect(await host(bn.numBatchesTracked!)).toEqual([3]);
  });

  it('BatchNorm1d on [N, C] and [N, C, L]; without running statistics eval mode uses batch statistics', async () => {
    const bn = new BatchNorm1d(5, { affine: false, trackRunningStats: false });
    expect(Object.keys(bn.stateDict())).toEqual([]);
    const x = randn([6, 5, 3], { seed: 4 });
    const train = await host(bn.forward(x));
    bn.eval();
    expect(await host(bn.forward(x))).toEqual(train);
    const flat = randn([6, 5], { seed: 5 });
    const y = await host(new BatchNorm1d(5).forward(flat));
    const col0 = [0, 1, 2, 3, 4, 5].map((r) => y[r * 5]);
    expect(Math.abs(stats(col0).mean)).toBeLessThan(1e-5);
    expect(() => new BatchNorm1d(5).forward(randn([2, 5, 2, 2], { seed: 1 }))).toThrow(/2-D.*3-D/);
  });

  it('backward through BatchNorm2d reaches weight, bias and the input', async () => {
    const bn = new BatchNorm2d(2);
    const x = randn([3, 2, 2, 2], { seed: 8, requiresGrad: true });
    bn.forward(x).mul(randn([3, 2, 2, 2], { seed: 9 })).sum().backward();
    expect(bn.weight!.grad).not.toBeNull();
    expect(bn.bias!.grad).not.toBeNull();
    expect(x.grad!.shape).toEqual([3, 2, 2, 2]);
  });
});

describe('train() / eval()', () => {
  it('reach every submodule of nested containers; Dropout is the identity in eval mode', async () => {
    const inner = new Sequential(new Linear(8, 8, { seed: 1 }), new Dropout(0.5, { seed: 3 }));
    const model = new Sequential(inner, new BatchNorm1d(8), new ReLU());
    model.eval();
    const all = [model, inner, ...inner.layers, ...model.layers];
    expect(all.every((m) => !m.training)).toBe(true);
    const x = randn([4, 8], { seed: 2 });
    expect(inner.layers[1].forward(x)).toBe(x);
    model.train();
    expect(all.every((m) => m.training)).toBe(true);
    const y = await host(inner.layers[1].forward(x));
    expect(y.filter((v) => v === 0).length).toBeGreaterThan(4);
    // A seeded Dropout layer draws a new mask per call, reproducibly.
    const d1 = new Dropout(0.5, { seed: 7 });
    const d2 = new Dropout(0.5, { seed: 7 });
    const ones = tensor(new Float32Array(256).fill(1));
    const a = [await host(d1.forward(ones)), await host(d1.forward(ones))];
    expect(a[0]).not.toEqual(a[1]);
    expect([await host(d2.forward(ones)), await host(d2.forward(ones))]).toEqual(a);
  });
});

describe('checkpoints with buffers', () => {
  it('safetensors round trip: num_batches_tracked is I64, buffers load with strict key matching', async () => {
    const make = (seed: number) => new Sequential(new Conv2d(1, 2, 3, { seed }), new BatchNorm2d(2), new ReLU(), new Flatten(), new Linear(2 * 4 * 4, 3, { seed: seed + 1 }));
    const a = make(1);
    a.forward(randn([2, 1, 6, 6], { seed: 3 }));
    const bytes = await nn.toSafetensors(a);
    const file = nn.decodeSafetensors(bytes);
    expect([...file.tensors.keys()]).toEqual(['0.weight', '0.bias', '1.weight', '1.bias', '1.running_mean', '1.running_var', '1.num_batches_tracked', '4.weight', '4.bias']);
    const n = 8 + Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, n)));
    expect(header['1.num_batches_tracked']).toMatchObject({ dtype: 'I64', shape: [] });
    expect(header['4.weight'].shape).toEqual([3, 32]);
    const b = make(5);
    b.eval();
    a.eval();
    nn.loadSafetensors(b, bytes);
    expect(await host(b.stateDict()['1.num_batches_tracked'])).toEqual([1]);
    const x = randn([2, 1, 6, 6], { seed: 4 });
    expect(await host(b.forward(x))).toEqual(await host(a.forward(x)));
    const partial = make(6);
    expect(() => partial.loadStateDict({ '0.weight': a.stateDict()['0.weight'] })).toThrow(/missing keys: .*1.running_mean/);
    expect(() => partial.loadStateDict({ ...a.stateDict(), '1.num_batches_tracked': tensor([1.5]) } as never)).toThrow();
  });
});

describe('nn.init', () => {
  it('fans and gains as torch: kaiming, xavier, uniform, normal, constants; Linear weights [in, out] use torch fans', async () => {
    const { init } = nn;
    expect(init.calculateGain('relu')).toBeCloseTo(Math.SQRT2, 12);
    expect(init.calculateGain('tanh')).toBeCloseTo(5 / 3, 12);
    expect(init.calculateGain('leaky_relu', Math.sqrt(5))).toBeCloseTo(Math.sqrt(1 / 3), 12);
    expect(init.fans('x', [30, 1, 5, 5])).toEqual({ fanIn: 25, fanOut: 750 });
    expect(() => init.fans('x', [5])).toThrow(/fewer than 2 dimensions/);
    const conv = new Conv2d(16, 256, 3, { seed: 1 }); // fan_in 144, fan_out 2304
    init.kaimingNormal_(conv.weight, { nonlinearity: 'relu', seed: 2 });
    expect(stats(await host(conv.weight)).std / Math.sqrt(2 / 144)).toBeCloseTo(1, 1);
    init.kaimingUniform_(conv.weight, { mode: 'fan_out', nonlinearity: 'relu', seed: 2 });
    expect(stats(await host(conv.weight)).max).toBeLessThanOrEqual(Math.sqrt(6 / 2304));
    expect(stats(await host(conv.weight)).max).toBeGreaterThan(0.99 * Math.sqrt(6 / 2304));
    const lin = new Linear(400, 100, { seed: 1 }); // stored [400, 100]; torch fan_in 400, fan_out 100
    init.xavierUniform_(lin.weight, { seed: 3 });
    expect(stats(await host(lin.weight)).max).toBeCloseTo(Math.sqrt(6 / 500), 3);
    init.kaimingNormal_(lin.weight, { seed: 3 });
    expect(stats(await host(lin.weight)).std).toBeCloseTo(Math.sqrt(2 / (1 + 0.01 ** 2)) / 20, 3);
    init.xavierNormal_(lin.weight, { gain: 2, seed: 4 });
    expect(stats(await host(lin.weight)).std).toBeCloseTo(2 * Math.sqrt(2 / 500), 3);
    init.uniform_(lin.bias, { a: -3, b: -2, seed: 5 });
    const ub = stats(await host(lin.bias));
    expect(ub.min).toBeGreaterThanOrEqual(-3);
    expect(ub.max).toBeLessThan(-2);
    init.normal_(lin.weight, { mean: 1, std: 0.5, seed: 6 });
    expect(stats(await host(lin.weight)).mean).toBeCloseTo(1, 2);
    init.zeros_(lin.bias);
    expect((await host(lin.bias)).every((v) => v === 0)).toBe(true);
    init.ones_(lin.bias);
    expect((await host(lin.bias)).every((v) => v === 1)).toBe(true);
    expect(() => init.uniform_(lin.bias, { low: 0 } as never)).toThrow(/low/);
    expect(() => init.kaimingUniform_(lin.bias)).toThrow(/fewer than 2/);
  });

  it("PyTorch's default init for Linear and Conv2d: weight and bias in U(-1/sqrt(fan_in), 1/sqrt(fan_in)); seeded or from manualSeed", async () => {
    const lin = new Linear(300, 200, { seed: 1 });
    const w = stats(await host(lin.weight));
    const bound = 1 / Math.sqrt(300);
    expect(w.max).toBeLessThanOrEqual(bound);
    expect(w.min).toBeGreaterThanOrEqual(-bound);
    expect(w.std).toBeCloseTo(bound / Math.sqrt(3), 3);
    const b = stats(await host(lin.bias));
    expect(b.max).toBeLessThanOrEqual(bound);
    expect(b.std).toBeGreaterThan(bound / 3);
    const conv = new Conv2d(30, 16, 5, { seed: 1 }); // fan_in 750
    expect(stats(await host(conv.weight)).max).toBeLessThanOrEqual(1 / Math.sqrt(750));
    expect(stats(await host(conv.weight)).max).toBeGreaterThan(0.95 / Math.sqrt(750));
    expect(stats(await host(conv.bias!)).max).toBeLessThanOrEqual(1 / Math.sqrt(750));
    manualSeed(42);
    const c1 = await host(new Conv2d(2, 3, 3).weight);
    manualSeed(42);
    expect(await host(new Conv2d(2, 3, 3).weight)).toEqual(c1);
    expect(await host(new Conv2d(2, 3, 3).weight)).not.toEqual(c1);
  });
});

describe('npm start --model cnn / cnn-bn (src/train/models.ts)', () => {
  it('each CNN trains a couple of steps through fit() and its checkpoint names match the torch model', async () => {
    const { MODELS } = await import('../src/train/models.ts');
    const { makeDataset, fit } = await import('../src/index.ts');
    const rng = new (await import('../src/random.ts')).Rng(5);
    const images = Uint8Array.from({ length: 200 * 784 }, () => rng.int(256));
    const labels = Uint8Array.from({ length: 200 }, (_, i) => i % 10);
    const data = makeDataset(images, labels, 28, 28, 'tiny');
    for (const name of ['cnn', 'cnn-bn'] as const) {
      const spec = MODELS[name];
      const model = spec.build({ hidden: 50, seed: 1 }, 28, 28, 10);
      const before = await host(model.parameters()[0]);
      const opt = new (await import('../src/optim/index.ts')).Adam(model, { lr: spec.defaults.lr });
      const r = await fit(model, opt, { train: data, test: data, epochs: 1, batchSize: 100, seed: 1 });
      expect(r.stepLosses.length).toBe(2);
      expect(r.stepLosses.every(Number.isFinite)).toBe(true);
      expect(await host(model.parameters()[0])).not.toEqual(before);
      expect(model.training).toBe(true);
      const keys = Object.keys(model.stateDict());
      expect(keys.slice(0, 2)).toEqual(['1.weight', '1.bias']);
      if (name === 'cnn-bn') expect(keys).toContain('2.num_batches_tracked');
    }
  });
});
