// narrow / slice / split / chunk and cat / stack against the float64 reference over many shapes
// and dims (sizes not multiples of 4, size 1, size-0 windows), the contiguous-window copy path
// (no kernel), PyTorch's split / chunk sizes, and typed errors with nothing half-applied.
import { describe, expect, it } from 'vitest';
import { REFERENCE } from '../src/check/reference.ts';
import { ShapeError, ValueError, DTypeError, cat, chunk, concat, narrow, runtime, slice, split, stack, tensor } from '../src/index.ts';
import { checkOp, input, randomRef, readRef, shapesLabel, testSeed, toTensor } from './ops-harness.ts';
import { expectClose } from './helpers.ts';

describe('narrow and slice', () => {
  const cases: [number[], number, number, number][] = [
    [[5], 0, 1, 3], [[1], 0, 0, 1], [[6, 3], 0, 2, 4], [[6, 3], 1, 1, 1], [[2, 7, 5], 1, -4, 3], [[2, 7, 5], 2, 0, 5],
    [[3, 1, 9], 2, 4, 5], [[1, 1, 130], 2, 3, 127], [[4, 5], 0, 4, 0],
  ];
  for (const [shape, dim, start, length] of cases) {
    it(`narrow ${shapesLabel(shape)} dim ${dim} start ${start} length ${length}`, async () => {
      const s = start < 0 ? start + shape[dim] : start;
      await checkOp('narrow', { dim, start: s, length }, [input(randomRef(shape, testSeed(0)))], ([x]) => narrow(x, dim, start, length));
    });
  }

  it('slice: Python bounds (negative, clamped, empty) and the method form', async () => {
    const x = randomRef([4, 6], testSeed(0));
    await checkOp('narrow', { dim: 1, start: 1, length: 4 }, [input(x)], ([t]) => t.slice(-1, 1, -1));
    await checkOp('narrow', { dim: 0, start: 2, length: 2 }, [input(x)], ([t]) => slice(t, 0, -2, 100));
    await checkOp('narrow', { dim: 1, start: 5, length: 0 }, [input(x)], ([t]) => slice(t, 1, 5, 2));
    await checkOp('narrow', { dim: 0, start: 0, length: 4 }, [input(x)], ([t]) => slice(t, 0));
  });

  it('a window of the leading dim is a buffer copy, not a kernel', async () => {
    const rt = runtime();
    const x = tensor([[1, 2], [3, 4], [5, 6]]);
    const before = rt.stats.dispatches;
    const y = narrow(x, 0, 1, 2);
    expect(rt.stats.dispatches).toBe(before);
    expect(await y.toArray()).toEqual([[3, 4], [5, 6]]);
  });
});

describe('split and chunk', () => {
  it('split by size: PyTorch sizes (last chunk smaller), values and gradients', async () => {
    const x = randomRef([7, 3], testSeed(0));
    const parts = split(toTensor(input(x)), 3);
    expect(parts.map((p) => p.shape)).toEqual([[3, 3], [3, 3], [1, 3]]);
    await checkOp('narrow', { dim: 0, start: 6, length: 1 }, [input(x)], ([t]) => split(t, 3)[2]);
  });

  it('split by sections along dim 1, method form', async () => {
    const x = randomRef([2, 9, 2], testSeed(0));
    const parts = toTensor(input(x)).split([2, 0, 7], 1);
    expect(parts.map((p) => p.shape)).toEqual([[2, 2, 2], [2, 0, 2], [2, 7, 2]]);
    await checkOp('narrow', { dim: 1, start: 2, length: 7 }, [input(x)], ([t]) => t.split([2, 0, 7], 1)[2]);
  });

  it('chunk: ceil-sized pieces, possibly fewer than asked (torch.chunk)', () => {
    const x = tensor([1, 2, 3, 4, 5, 6]);
    expect(chunk(x, 4).map((p) => p.shape)).toEqual([[2], [2], [2]]);
    expect(x.chunk(6).map((p) => p.shape[0])).toEqual([1, 1, 1, 1, 1, 1]);
    expect(chunk(tensor([1, 2, 3, 4, 5]), 2).map((p) => p.shape[0])).toEqual([3, 2]);
  });

  it('gradients of several pieces accumulate into one input', async () => {
    const x = tensor([[1, 2, 3, 4]], { requiresGrad: true });
    const [a, b] = chunk(x, 2, 1);
    a.mul(2).add(b.mul(3)).sum().backward();
    expect(Array.from(await x.grad!.data())).toEqual([2, 2, 3, 3]);
  });
});

describe('cat and stack', () => {
  const cases: [number[][], number][] = [
    [[[2], [3]], 0], [[[1, 3], [4, 3], [2, 3]], 0], [[[2, 1], [2, 5], [2, 2]], 1], [[[2, 3, 1], [2, 3, 7]], -1],
    [[[1, 1], [1, 1]], 0], [[[3, 0], [3, 5]], 1], [[[2, 65, 3], [2, 1, 3], [2, 2, 3], [2, 5, 3]], 1],
  ];
  for (const [shapes, dim] of cases) {
    it(`cat ${shapesLabel(...shapes)} dim ${dim}`, async () => {
      const d = dim < 0 ? dim + shapes[0].length : dim;
      const xs = shapes.map((s, i) => input(randomRef(s, testSeed(i))));
      await checkOp('concat', { dim: d }, xs, (ts) => cat(ts, dim));
    });
  }

  it('concat is cat; one tensor is a copy', async () => {
    const a = tensor([[1, 2]]);
    expect(await concat([a, a], 0).toArray()).toEqual([[1, 2], [1, 2]]);
    expect(await cat([a], 1).toArray()).toEqual([[1, 2]]);
  });

  for (const [shape, dim] of [[[3], 0], [[3], 1], [[2, 5], 1], [[2, 5], -1], [[1, 1], 2]] as [number[], number][]) {
    it(`stack three ${shapesLabel(shape)} along ${dim}`, async () => {
      const refs = [0, 1, 2].map((i) => randomRef(shape, testSeed(i)));
      const ts = refs.map((r) => toTensor(input(r)));
      const out = stack(ts, dim);
      const d = dim < 0 ? dim + shape.length + 1 : dim;
      const unsq = refs.map((r) => ({ shape: [...r.shape.slice(0, d), 1, ...r.shape.slice(d)], data: r.data }));
      const expected = REFERENCE.concat.forward(unsq, { dim: d });
      expect(out.shape).toEqual(expected.shape);
      expectClose((await readRef(out)).data, expected.data);
      out.mul(tensor(Float32Array.from(expected.data.map((_, i) => i + 1)), { shape: expected.shape })).sum().backward();
      const g = REFERENCE.concat.backward(unsq, { dim: d }, { shape: expected.shape, data: Float64Array.from(expected.data, (_, i) => i + 1) });
      for (let i = 0; i < 3; i++) expectClose(await ts[i].grad!.data(), g[i]!.data);
    });
  }
});

describe('slicing errors', () => {
  it('bad dims, bounds, shapes and dtypes are typed errors naming the op and shapes, before any GPU work', () => {
    const x = tensor([[1, 2, 3], [4, 5, 6]]);
    const rt = runtime();
    const before = rt.stats.dispatches;
    expect(() => narrow(x, 1, 2, 2)).toThrow(/narrow: start 2 \+ length 2 exceeds dim 1 of size 3 \(shape \[2, 3\]\)/);
    expect(() => narrow(x, 0, -3, 1)).toThrow(ValueError);
    expect(() => narrow(x, 2, 0, 1)).toThrow(ValueError);
    expect(() => narrow(x, 0, 0.5, 1)).toThrow(/start must be an integer/);
    expect(() => cat([x, tensor([[1, 2]])], 1)).toThrow(ShapeError);
    expect(() => cat([x, tensor([[1, 2]])], 1)).toThrow(/cat: tensors must have the same shape except in dim 1 \(got \[2, 3\] and \[1, 2\]\)/);
    expect(() => cat([x, tensor([1, 2, 3])])).toThrow(ShapeError);
    expect(() => cat([])).toThrow(ValueError);
    expect(() => cat([x, tensor([[1, 2, 3]], { dtype: 'i32' })])).toThrow(DTypeError);
    expect(() => stack([x, tensor([[1, 2]])])).toThrow(/stack: stack expects each tensor to be equal size/);
    expect(() => stack([x, x], 3)).toThrow(ValueError);
    expect(() => split(x, [1, 1, 2], 1)).toThrow(/split: sections \[1, 1, 2\] must be non-negative and sum to dim 1 of size 3/);
    expect(() => split(x, 0)).toThrow(ValueError);
    expect(() => chunk(x, 0)).toThrow(ValueError);
    expect(rt.stats.dispatches).toBe(before);
  });
});
