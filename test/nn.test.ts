// nn: Linear against a float64 reference, Sequential fusion (one linear kernel per
// Linear+activation), torch-style names, state dicts with shape checks, and safetensors
// (round trip, byte-level header format, torch layout).
import { describe, expect, it } from 'vitest';
import { Rng, ShapeError, ValueError, runtime, softmaxCrossEntropy, tensor, tidy } from '../src/index.ts';
import {
  Linear, ReLU, Sequential, Sigmoid, Tanh, decodeSafetensors, encodeSafetensors, loadSafetensors, toSafetensors, transpose2d,
} from '../src/nn/index.ts';
import { expectClose } from './helpers.ts';

function hostMatmul(x: Float32Array, w: Float32Array, b: Float32Array, m: number, k: number, n: number, act: (v: number) => number): number[] {
  const out: number[] = [];
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = b[j];
      for (let t = 0; t < k; t++) s += x[i * k + t] * w[t * n + j];
      out.push(act(s));
    }
  }
  return out;
}

function randomInput(m: number, k: number, seed = 7): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: m * k }, () => rng.normal());
}

describe('Linear', () => {
  it('forward is act(x W + b) with W stored [in, out]', async () => {
    const lin = new Linear(6, 4, { seed: 3, activation: 'sigmoid' });
    expect(lin.weight.shape).toEqual([6, 4]);
    expect(lin.bias.shape).toEqual([4]);
    lin.loadStateDict({ bias: [0.1, -0.2, 0.3, 0] }, { strict: false });
    const xh = randomInput(5, 6);
    const y = lin.forward(tensor(xh, { shape: [5, 6] }));
    const w = (await lin.weight.data()) as Float32Array;
    const b = (await lin.bias.data()) as Float32Array;
    expectClose(await y.data(), hostMatmul(xh, w, b, 5, 6, 4, (v) => 1 / (1 + Math.exp(-v))), { rtol: 1e-5, atol: 1e-6 });
  });

  it('initialisations: he sqrt(2/in), xavier sqrt(1/in), normal std; seeded and reproducible', async () => {
    const std = async (l: Linear) => {
      const d = (await l.weight.data()) as Float32Array;
      return Math.sqrt(d.reduce((s, v) => s + v * v, 0) / d.length);
    };
    expect(await std(new Linear(400, 100, { seed: 1, init: 'he' }))).toBeCloseTo(Math.sqrt(2 / 400), 3);
    expect(await std(new Linear(400, 100, { seed: 1, init: 'xavier' }))).toBeCloseTo(Math.sqrt(1 / 400), 3);
    expect(await std(new Linear(400, 100, { seed: 1, std: 0.01 }))).toBeCloseTo(0.01, 3);
    const a = await new Linear(10, 3, { seed: 9 }).weight.data();
    const b = await new Linear(10, 3, { seed: 9 }).weight.data();
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(() => new Linear(3, 2, { seed: 1.5 })).toThrow(/'seed' must be an integer/);
  });

  it('flattens inputs of rank > 2 like seed 003 Affine', async () => {
    const lin = new Linear(12, 2, { seed: 1 });
    const y = lin.forward(tensor(randomInput(2, 12), { shape: [2, 3, 4] }));
    expect(y.shape).toEqual([2, 2]);
  });
});

describe('Sequential', () => {
  it('fuses Linear+ReLU and Linear+Sigmoid into one kernel each; Tanh stays separate', async () => {
    const model = new Sequential(new Linear(8, 16, { seed: 1 }), new ReLU(), new Linear(16, 8, { seed: 2 }), new Sigmoid(), new Linear(8, 3, { seed: 3 }), new Tanh());
    const x = tensor(randomInput(4, 8), { shape: [4, 8] });
    await x.data();
    const rt = runtime();
    const before = rt.stats.dispatches;
    const y = model.forward(x);
    expect(rt.stats.dispatches - before).toBe(4); // 3 fused linears + tanh
    // same numbers as the unfused chain
    const parts = model.layers;
    let h = x;
    for (const m of parts) h = m.forward(h);
    expectClose(await y.data(), await h.data(), { rtol: 1e-5, atol: 1e-6 });
  });

  it('uses torch.nn.Sequential parameter names and gets gradients for every parameter', async () => {
    const model = new Sequential(new Linear(5, 4, { seed: 1 }), new ReLU(), new Linear(4, 3, { seed: 2 }));
    expect(model.namedParameters().map(([n, p]) => [n, p.shape])).toEqual([
      ['0.weight', [5, 4]], ['0.bias', [4]], ['2.weight', [4, 3]], ['2.bias', [3]],
    ]);
    expect(model.numParameters()).toBe(5 * 4 + 4 + 4 * 3 + 3);
    tidy(() => softmaxCrossEntropy(model.forward(tensor(randomInput(6, 5), { shape: [6, 5] })), tensor(new Int32Array([0, 1, 2, 0, 1, 2]))).backward());
    for (const [n, p] of model.namedParameters()) expect(p.grad?.shape, n).toEqual(p.shape);
    // parameters survive tidy() and zeroGrad clears the gradients
    model.zeroGrad();
    expect(model.parameters().every((p) => p.grad === null && !p.disposed)).toBe(true);
    expect(model.eval().training).toBe(false);
    expect((model.layers[0] as Linear).training).toBe(false);
    expect(model.train().layers.every((l) => l.training)).toBe(true);
  });
});

describe('state dict', () => {
  it('loadStateDict copies in place and checks every key and shape first', async () => {
    const a = new Sequential(new Linear(3, 2, { seed: 1 }), new ReLU(), new Linear(2, 2, { seed: 2 }));
    const b = new Sequential(new Linear(3, 2, { seed: 5 }), new ReLU(), new Linear(2, 2, { seed: 6 }));
    const w0 = b.parameters()[0];
    b.loadStateDict(a.stateDict());
    expect(b.parameters()[0]).toBe(w0); // same tensor object
    for (let i = 0; i < 4; i++) expect(Array.from(await b.parameters()[i].data())).toEqual(Array.from(await a.parameters()[i].data()));
    const before = Array.from(await b.parameters()[0].data());
    const bad = { ...a.stateDict(), '2.weight': tensor([[1, 2, 3], [4, 5, 6]]) };
    expect(() => b.loadStateDict(bad)).toThrow(ShapeError);
    expect(() => b.loadStateDict(bad)).toThrow(/'2\.weight' has shape \[2, 3\] but PyTorch's shape of the parameter is \[2, 2\]/);
    expect(Array.from(await b.parameters()[0].data())).toEqual(before); // nothing copied
    const { ['0.bias']: _, ...missing } = a.stateDict();
    expect(() => b.loadStateDict(missing)).toThrow(/missing keys: 0\.bias/);
    expect(() => b.loadStateDict({ ...a.stateDict(), extra: tensor([1]) })).toThrow(/unexpected keys: extra/);
    b.loadStateDict(missing, { strict: false });
  });
});

describe('safetensors', () => {
  it('header bytes: u64 LE length, JSON padded with spaces to 8, offsets into the data', () => {
    const bytes = encodeSafetensors([['a', { shape: [2], data: new Float32Array([1, 2]) }], ['b', { shape: [1, 1], data: new Float32Array([-3]) }]], { format: 'pt' });
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const json = new TextDecoder().decode(bytes.subarray(8, 8 + n));
    expect(json.trimEnd()).toBe('{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1,1],"data_offsets":[8,12]}}');
    expect(json.length - json.trimEnd().length).toBe(n - json.trimEnd().length);
    expect(bytes.length).toBe(8 + n + 12);
    expect(Array.from(new Float32Array(bytes.slice(8 + n).buffer))).toEqual([1, 2, -3]);
    // little-endian raw data: 1.0f = 00 00 80 3f
    expect(Array.from(bytes.subarray(8 + n, 8 + n + 4))).toEqual([0x00, 0x00, 0x80, 0x3f]);
  });

  it('round trip through torch layout ([out, in] weights) and webgrad layout', async () => {
    const src = new Sequential(new Linear(4, 3, { seed: 1 }), new ReLU(), new Linear(3, 2, { seed: 2 }));
    src.loadStateDict({ '0.bias': [1, 2, 3], '2.bias': [-1, -2] }, { strict: false });
    const bytes = await toSafetensors(src);
    const file = decodeSafetensors(bytes);
    expect(file.metadata).toMatchObject({ format: 'pt', layout: 'torch' });
    expect([...file.tensors.keys()]).toEqual(['0.weight', '0.bias', '2.weight', '2.bias']);
    expect(file.tensors.get('0.weight')!.shape).toEqual([3, 4]); // torch.nn.Linear(4, 3).weight
    const w = (await src.parameters()[0].data()) as Float32Array;
    expect(Array.from(file.tensors.get('0.weight')!.data)).toEqual(Array.from(transpose2d(w, 4, 3)));
    for (const layout of ['torch', 'webgrad'] as const) {
      const dst = new Sequential(new Linear(4, 3, { seed: 7 }), new ReLU(), new Linear(3, 2, { seed: 8 }));
      loadSafetensors(dst, await toSafetensors(src, { layout }));
      for (let i = 0; i < 4; i++) expect(Array.from(await dst.parameters()[i].data())).toEqual(Array.from(await src.parameters()[i].data()));
    }
    const wrong = new Sequential(new Linear(4, 5, { seed: 1 }), new ReLU(), new Linear(5, 2, { seed: 2 }));
    expect(() => loadSafetensors(wrong, bytes)).toThrow(/'0\.weight' in the file \(torch layout\) does not match the model/);
  });

  it('rejects malformed files with clear errors', () => {
    expect(() => decodeSafetensors(new Uint8Array(4))).toThrow(/too short/);
    const huge = new Uint8Array(16);
    new DataView(huge.buffer).setBigUint64(0, 1000n, true);
    expect(() => decodeSafetensors(huge)).toThrow(/header length 1000 does not fit/);
    const f16 = new TextEncoder().encode('{"x":{"dtype":"F16","shape":[1],"data_offsets":[0,2]}}');
    const buf = new Uint8Array(8 + f16.length + 2);
    new DataView(buf.buffer).setBigUint64(0, BigInt(f16.length), true);
    buf.set(f16, 8);
    expect(() => decodeSafetensors(buf)).toThrow(ValueError);
    expect(() => decodeSafetensors(buf)).toThrow(/dtype F16; only F32/);
  });
});
