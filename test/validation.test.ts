// Issue 6, bad input: empty tensors, tensors from two devices, NaN labels, and "nothing
// half-applied" when an optimizer step fails validation.
import { describe, expect, it } from 'vitest';
import { DTypeError, ShapeError, ValueError, init, matmul, runtime, softmaxCrossEntropy, tensor, zeros, randn } from '../src/index.ts';
import { SGD } from '../src/optim/index.ts';

describe('empty tensors', () => {
  it('flow through elementwise ops, reductions and matmul with NumPy semantics', async () => {
    const e = zeros([0, 3]);
    expect((await e.relu().data()).length).toBe(0);
    expect((await e.add(tensor([1, 2, 3])).toArray())).toEqual([]);
    expect(await e.sum().item()).toBe(0);
    expect(Array.from(await e.sum({ axis: 0 }).data())).toEqual([0, 0, 0]);
    // [2, 0] x [0, 3] is a [2, 3] matrix of zeros (an empty sum).
    expect(await matmul(zeros([2, 0]), zeros([0, 3])).toArray()).toEqual([[0, 0, 0], [0, 0, 0]]);
  });

  it('are rejected where the result would be undefined', () => {
    expect(() => zeros([0, 3]).max({ axis: 0 })).toThrow(ValueError);
    expect(() => softmaxCrossEntropy(zeros([0, 4]), tensor([], { dtype: 'i32', shape: [0] }))).toThrow(ShapeError);
  });
});

describe('bad labels', () => {
  it('NaN or fractional class indices are rejected when the tensor is made', () => {
    expect(() => tensor([0, NaN, 1], { dtype: 'i32' })).toThrow(/non-integer value NaN at flat index 1/);
    expect(() => tensor([0, 1.5], { dtype: 'i32' })).toThrow(ValueError);
  });

  it('f32 class indices get a DTypeError that says what to do', () => {
    expect(() => softmaxCrossEntropy(zeros([2, 3]), tensor([0, 1]))).toThrow(DTypeError);
  });
});

describe('tensors from two devices', () => {
  it('cannot be mixed in one op', async () => {
    const a = tensor([1, 2]);
    await init({ debug: false, limits: {} }); // a new runtime: `a` belongs to the old device
    const b = tensor([3, 4]);
    expect(() => a.add(b)).toThrow(/lives on another device/);
    expect(a.runtime).not.toBe(runtime());
  });
});

describe('optimizer steps are all or nothing', () => {
  it('leaves every parameter unchanged when one gradient is invalid', async () => {
    const w = randn([3, 2], { seed: 1, requiresGrad: true });
    const b = randn([2], { seed: 2, requiresGrad: true });
    w.square().sum().add(b.square().sum()).backward();
    const before = [await w.data(), await b.data()];
    b.grad!.dispose(); // the second parameter's gradient is now unusable
    const opt = new SGD([w, b], { lr: 0.1 });
    expect(() => opt.step()).toThrow(/gradient of parameter/);
    expect(Array.from(await w.data())).toEqual(Array.from(before[0]));
    expect(Array.from(await b.data())).toEqual(Array.from(before[1]));
  });
});
