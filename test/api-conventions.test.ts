// Issue 11: the PyTorch / TF.js call forms users write, and the arguments that used to be
// silently ignored (each case here returned a plausible wrong answer before).
import { describe, expect, it } from 'vitest';
import {
  ArgumentTypeError, DTypeError, DisposedTensorError, ShapeError, ValueError, add, argmax, maximum, loadSafetensors, mseLoss, mul, nn, softmaxCrossEntropy, toSafetensors, empty, full, initialSeed, manualSeed, mean, ones, rand, randint, randn, sum, tensor, zeros,
} from '../src/index.ts';

const X = [[1, 2, 3], [4, 5, 6]];

describe('reductions take an axis number or array (x.sum(1), x.mean([0, 1], { keepDims }))', () => {
  it('bare axis, axis array, keepdim positional or in options, dim/keepdim spellings', async () => {
    const x = tensor(X);
    expect(await x.sum(1).toArray()).toEqual([6, 15]);
    expect(await x.mean(0).toArray()).toEqual([2.5, 3.5, 4.5]);
    expect(await x.max(1).toArray()).toEqual([3, 6]);
    expect(await x.max(-1, true).toArray()).toEqual([[3], [6]]);
    expect(await x.sum([0, 1]).toArray()).toBe(21);
    expect(await x.mean([0, 1], { keepDims: true }).toArray()).toEqual([[3.5]]);
    expect(await x.sum(1, { keepdim: true }).toArray()).toEqual([[6], [15]]);
    expect(await x.sum({ dim: 0 }).toArray()).toEqual([5, 7, 9]);
    expect(await x.sum({ dim: 1, keepdim: true }).toArray()).toEqual([[6], [15]]);
    expect(await sum(x, 0).toArray()).toEqual([5, 7, 9]);
    expect(await mean(x, 1, true).toArray()).toEqual([[2], [5]]);
    expect(await x.sum().item()).toBe(21);
  });

  it('argmax: bare axis, dim, keepdim', async () => {
    const x = tensor([[1, 9, 3], [7, 5, 6]]);
    expect(await x.argmax(0).toArray()).toEqual([1, 0, 1]);
    expect(await x.argmax(1, true).toArray()).toEqual([[1], [0]]);
    expect(await argmax(x, { dim: 0 }).toArray()).toEqual([1, 0, 1]);
    // No axis: the index into the flattened tensor, as torch.argmax(x) / np.argmax(x).
    expect(await x.argmax().toArray()).toEqual(1);
    expect(await tensor([[1, 2, 3], [7, 5, 6]]).argmax().item()).toBe(3);
    expect(await x.argmax({ keepDims: true }).toArray()).toEqual([[1]]);
  });

  it('refuses what it cannot honour', () => {
    const x = tensor(X);
    expect(() => x.sum({ axes: 1 } as never)).toThrow(/sum: unknown option 'axes' \(did you mean 'axis'\?\); valid options: axis \(or dim\), keepDims \(or keepdim\)/);
    expect(() => x.sum({ keepdims: true } as never)).toThrow(/did you mean 'keepDims'/);
    expect(() => x.mean({ axis: 0, dim: 1 })).toThrow(/given twice/);
    expect(() => x.sum('1' as never)).toThrow(ArgumentTypeError);
    expect(() => x.sum(1.5)).toThrow(ArgumentTypeError);
    expect(() => x.sum(1, { axis: 0 } as never)).toThrow(/unknown option 'axis'; valid options: keepDims/);
    expect(() => x.sum(...([{ axis: 1 }, true] as unknown as [number]))).toThrow(ValueError);
    expect(() => x.sum(1, 'yes' as never)).toThrow(ArgumentTypeError);
    expect(() => x.argmax([0, 1] as never)).toThrow(/argmax: argument 'axis' must be an integer axis/);
    expect(() => x.max(tensor(X) as never)).toThrow(/maximum\(a, b\)/);
    expect(() => x.sum(2)).toThrow(/axis 2 is out of range/);
  });
});

describe('tensor creation options', () => {
  it("requires_grad is refused with the camelCase suggestion; requiresGrad works", () => {
    expect(() => tensor([1, 2], { requires_grad: true } as never)).toThrow(
      /tensor: unknown option 'requires_grad' \(did you mean 'requiresGrad'\?\); valid options: dtype, requiresGrad, label, shape/,
    );
    expect(tensor([1, 2], { requiresGrad: true }).requiresGrad).toBe(true);
    for (const make of [() => zeros([2], { requires_grad: true } as never), () => ones([2], { dtyp: 'f32' } as never),
      () => full([2], 3, { grad: true } as never), () => empty([2], { shape: [2] } as never),
      () => randn([2], { requires_grad: true } as never), () => rand([2], { hi: 2 } as never), () => randint([2], 0, 3, { dtype: 'i32', std: 1 } as never)]) {
      expect(make).toThrow(/unknown option/);
    }
  });

  it("dtype aliases 'float32' and 'int32'", async () => {
    expect(tensor([1, 2], { dtype: 'float32' }).dtype).toBe('f32');
    const i = tensor([1, 2], { dtype: 'int32' });
    expect(i.dtype).toBe('i32');
    expect(Array.from(await i.data())).toEqual([1, 2]);
    expect(zeros([2], { dtype: 'int32' }).dtype).toBe('i32');
    expect(empty([2], 'float32').dtype).toBe('f32');
    expect(() => tensor([1], { dtype: 'float64' as never })).toThrow(/'dtype' must be a dtype: 'f32' \(or 'float32'\) or 'i32' \(or 'int32'\), got string 'float64'/);
  });

  it('refuses what it cannot honour: i32 with grad, fractional i32 fills, a shape that does not fit nested data', () => {
    expect(() => tensor([1, 2], { dtype: 'i32', requiresGrad: true })).toThrow(DTypeError);
    expect(() => full([2], 1.5, { dtype: 'i32' })).toThrow(/cannot hold the fill value 1.5/);
    expect(() => tensor([[1, 2], [3, 4]], { shape: [3] })).toThrow(ShapeError);
    expect(() => tensor([1, 2], 'f32' as never)).toThrow(ArgumentTypeError);
    expect(() => randn([2], { dtype: 'i32' })).toThrow(DTypeError);
  });

  it('a ragged nested array names the element, its length and the expected length', () => {
    expect(() => tensor([[1, 2, 3], [4, 5]])).toThrow(/element \[1\] has length 2, expected 3 \(the length of element \[0\]\)/);
    expect(() => tensor([[[1, 2], [3, 4]], [[5, 6], [7]]])).toThrow(/element \[1\]\[1\] has length 1, expected 2/);
    expect(() => tensor([[1, 2], 3] as never)).toThrow(/element \[1\] is a number, expected an array of length 2/);
    expect(() => tensor([1, [2]] as never)).toThrow(/element \[1\] is an array of length 1, expected a number/);
    expect(() => tensor([1, 'a'] as never)).toThrow(/element \[1\] of the nested array is string, expected a number/);
  });
});

describe('the global generator (manualSeed)', () => {
  it('seedless creation is reproducible after manualSeed; an explicit seed wins and leaves the stream alone', async () => {
    manualSeed(123);
    const a = await randn([5]).data();
    const b = await rand([3]).data();
    manualSeed(123);
    expect(await randn([5]).data()).toEqual(a);
    expect(await rand([3]).data()).toEqual(b);
    expect(initialSeed()).toBe(123);
    // An explicit seed draws its own stream: the same values as seed 7 always, and the global stream is untouched.
    manualSeed(123);
    const own = await randn([5], { seed: 7 }).data();
    expect(own).toEqual(await randn([5], { seed: 7 }).data());
    expect(own).not.toEqual(a);
    expect(await randn([5]).data()).toEqual(a);
    manualSeed(124);
    expect(await randn([5]).data()).not.toEqual(a);
    expect(() => manualSeed(1.5)).toThrow(ArgumentTypeError);
  });
});

describe('elementwise scalar forms and op names', () => {
  it('NaN and infinite scalar operands give what PyTorch gives (x.add(NaN) is NaN, x / 0 is +-Inf or NaN)', async () => {
    const x = tensor([-1, 0, 2]);
    expect(Array.from(await x.add(Number.NaN).data())).toEqual([NaN, NaN, NaN]);
    expect(Array.from(await x.mul(Number.POSITIVE_INFINITY).data())).toEqual([-Infinity, NaN, Infinity]);
    expect(Array.from(await x.div(0).data())).toEqual([-Infinity, NaN, Infinity]);
    expect(Array.from(await x.maximum(Number.NaN).data())).toEqual([NaN, NaN, NaN]);
  });

  it('maximum takes a number on either side, like add/sub/mul/div', async () => {
    const x = tensor([-1, 0.5, 2]);
    expect(Array.from(await x.maximum(0).data())).toEqual([0, 0.5, 2]);
    expect(Array.from(await maximum(1, x).data())).toEqual([1, 1, 2]);
    const w = tensor([-1, 0.5, 2], { requiresGrad: true });
    w.maximum(0).sum().backward();
    expect(Array.from(await w.grad!.data())).toEqual([0, 1, 1]);
  });

  it('an error on a disposed tensor names the op the user called, not the internal one', () => {
    const t = tensor([1, 2]);
    t.dispose();
    for (const op of ['add', 'sub', 'mul', 'div', 'maximum'] as const) {
      expect(() => t[op](1)).toThrow(DisposedTensorError);
      expect(() => t[op](1)).toThrow(new RegExp(`^${op}: used a tensor that is already disposed`));
    }
    expect(() => add(2, 3 as never)).toThrow(/add: at least one operand must be a Tensor/);
    expect(() => mul(tensor([1]), '2' as never)).toThrow(/mul: operand 1 must be a Tensor or a number, got string '2'/);
    expect(() => tensor([[1]]).linear(tensor([[1]]), tensor([0]), 'gelu' as never)).toThrow(/linear: argument 'activation' must be one of 'none', 'relu', 'sigmoid'/);
  });
});

describe("losses take reduction 'mean' | 'sum' | 'none' (PyTorch)", () => {
  it("mseLoss(p, t, 'sum') sums; { reduction } works; 'none' is elementwise", async () => {
    const p = tensor([[1, 2], [3, 5]]);
    const t = tensor([[0, 2], [1, 1]]);
    expect(await mseLoss(p, t, 'sum').item()).toBe(21);
    expect(await mseLoss(p, t, { reduction: 'sum' }).item()).toBe(21);
    expect(await mseLoss(p, t).item()).toBe(5.25);
    expect(await p.mseLoss(t, 'none').toArray()).toEqual([[1, 0], [4, 16]]);
    expect(() => mseLoss(p, t, 'avg' as never)).toThrow(/mseLoss: argument 'reduction' must be one of 'mean', 'sum', 'none', got string 'avg'/);
    expect(() => mseLoss(p, t, { reduce: 'sum' } as never)).toThrow(/unknown option 'reduce' \(did you mean 'reduction'\?\)/);
  });

  it("softmaxCrossEntropy: 'sum' is N x 'mean', 'none' gives per-sample losses, gradients follow", async () => {
    const logits = [[1, 2, 0.5], [0.1, -1, 3], [2, 2, 2], [0, 1, -1]];
    const labels = tensor([1, 2, 0, 1], { dtype: 'i32' });
    // float64 reference: -log softmax(logits)[label]
    const rows = logits.map((r, i) => Math.log(r.reduce((s, v) => s + Math.exp(v), 0)) - r[[1, 2, 0, 1][i]]);
    const total = rows.reduce((a, b) => a + b, 0);
    const x = tensor(logits, { requiresGrad: true });
    expect(await softmaxCrossEntropy(x, labels).item()).toBeCloseTo(total / 4, 5);
    expect(await softmaxCrossEntropy(x, labels, 'sum').item()).toBeCloseTo(total, 5);
    const none = softmaxCrossEntropy(x, labels, { reduction: 'none' });
    expect(none.shape).toEqual([4]);
    const got = await none.data();
    rows.forEach((r, i) => expect(got[i]).toBeCloseTo(r, 5));
    // d/dx of sum_i w_i * loss_i: row i of the mean gradient times 4 w_i.
    none.mul(tensor([1, 0, 2, -1])).sum().backward();
    const gNone = await x.grad!.data();
    x.zeroGrad();
    softmaxCrossEntropy(x, labels).backward();
    const gMean = await x.grad!.data();
    const w = [1, 0, 2, -1];
    for (let i = 0; i < 12; i++) expect(gNone[i]).toBeCloseTo(gMean[i] * 4 * w[Math.floor(i / 3)], 5);
    expect(() => softmaxCrossEntropy(x, labels, 'max' as never)).toThrow(ArgumentTypeError);
  });
});

describe('nn: Linear without a seed, state dicts in PyTorch shapes, safetensors from a Buffer', () => {
  it('new nn.Linear(784, 50) needs no seed and is reproducible after manualSeed; options are checked', async () => {
    manualSeed(7);
    const a = await new nn.Linear(784, 50).weight.data();
    manualSeed(7);
    const b = await new nn.Linear(784, 50).weight.data();
    expect(b).toEqual(a);
    expect(() => new nn.Linear(3, 2, { activation: 'gelu' } as never)).toThrow(/'activation' must be one of 'none', 'relu', 'sigmoid'/);
    expect(() => new nn.Linear(3, 2, { bias: false } as never)).toThrow(/Linear: unknown option 'bias'; valid options: seed, init, std, activation/);
  });

  it("loadStateDict takes tensors or nested arrays in torch's [out, in] and refuses ambiguous flat data", async () => {
    const lin = new nn.Linear(3, 2, { seed: 1 });
    const w = [[1, 2, 3], [4, 5, 6]]; // torch weight [out = 2, in = 3]
    lin.loadStateDict({ weight: w, bias: [0.5, -0.5] });
    expect(await lin.weight.toArray()).toEqual([[1, 4], [2, 5], [3, 6]]); // webgrad's [in, out]
    lin.loadStateDict({ weight: tensor(w).mul(2), bias: tensor([1, 1]) });
    expect(await lin.weight.toArray()).toEqual([[2, 8], [4, 10], [6, 12]]);
    expect(await lin.forward(tensor([[1, 0, 0]])).toArray()).toEqual([[3, 9]]);
    expect(() => lin.loadStateDict({ weight: [1, 2, 3, 4, 5, 6], bias: [0, 0] })).toThrow(/'weight' is flat data \(6 values\) for a parameter of rank 2: its layout is ambiguous; pass a Tensor or a nested array in PyTorch's shape \[2, 3\]/);
    expect(() => lin.loadStateDict({ weight: [[1, 4], [2, 5], [3, 6]], bias: [0, 0] })).toThrow(/that is webgrad's \[in, out\]/);
    expect(() => lin.loadStateDict({ weight: w, bias: [0, 0] }, { strict: false, assign: true } as never)).toThrow(/unknown option 'assign'/);
    // another webgrad model's stateDict() (live tensors in webgrad's layout) still loads as is
    const other = new nn.Linear(3, 2, { seed: 2 });
    other.loadStateDict(lin.stateDict());
    expect(await other.weight.toArray()).toEqual([[2, 8], [4, 10], [6, 12]]);
  });

  it('loadSafetensors(readFileSync(path)) respects the Buffer byteOffset', async () => {
    const src = new nn.Sequential(new nn.Linear(4, 3, { seed: 3 }), new nn.ReLU(), new nn.Linear(3, 2, { seed: 4 }));
    const file = await toSafetensors(src);
    // A Node Buffer that is a view into a larger pool, as readFileSync returns for small files.
    const pool = new ArrayBuffer(file.byteLength + 4096);
    new Uint8Array(pool).fill(0x7f);
    const buf = Buffer.from(pool, 1000, file.byteLength);
    buf.set(file);
    const dst = new nn.Sequential(new nn.Linear(4, 3, { seed: 5 }), new nn.ReLU(), new nn.Linear(3, 2, { seed: 6 }));
    loadSafetensors(dst, buf);
    for (const [name, t] of dst.namedParameters()) expect(await t.data(), name).toEqual(await src.stateDict()[name].data());
    expect(() => loadSafetensors(dst, buf, { strcit: true } as never)).toThrow(/did you mean 'strict'/);
  });
});
