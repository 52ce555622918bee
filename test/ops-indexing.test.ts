// embedding and indexSelect against the float64 reference (repeated and unused indices, sizes
// not multiples of 4, size 1), bit-identical gradients run to run, paddingIdx, and typed errors
// (out-of-range host indices caught before any GPU work).
import { describe, expect, it } from 'vitest';
import { refArray, type RefArray } from '../src/check/array.ts';
import { Rng } from '../src/random.ts';
import { DTypeError, ShapeError, ValueError, arange, capture, embedding, gather, indexSelect, layerNorm, memory, randint, randn, runtime, tensor } from '../src/index.ts';
import { checkOp, input, randomRef, shapesLabel, testSeed } from './ops-harness.ts';

function ids(shape: number[], classes: number, seed: number): RefArray {
  const rng = new Rng(seed);
  return refArray(shape, () => rng.int(classes));
}

describe('embedding', () => {
  const cases: [number[], number, number][] = [
    [[1], 1, 1], [[5], 3, 4], [[2, 7], 11, 5], [[3, 1], 2, 1], [[4, 33], 65, 13], [[2, 3, 4], 6, 130], [[1000], 5, 3],
  ];
  for (const [idShape, V, D] of cases) {
    it(`ids ${shapesLabel(idShape)} table [${V},${D}]`, async () => {
      const i = ids(idShape, V, testSeed(0));
      const table = randomRef([V, D], testSeed(1));
      await checkOp('embedding', { paddingIdx: -1 }, [input(i, { dtype: 'i32' }), input(table)], ([a, t]) => embedding(a, t));
    });
  }

  it('paddingIdx: that row gets no gradient (negative counts from the end)', async () => {
    const i = refArray([8], [0, 2, 2, 1, 3, 2, 0, 3]);
    const table = randomRef([4, 6], testSeed(1));
    await checkOp('embedding', { paddingIdx: 2 }, [input(i, { dtype: 'i32' }), input(table)], ([a, t]) => embedding(a, t, { paddingIdx: -2 }));
  });

  it('gradients are bit-identical run to run (many repeats of few ids)', async () => {
    const run = async () => {
      const table = randn([7, 129], { seed: 3, requiresGrad: true });
      const id = randint([50, 41], 0, 7, { seed: 4 });
      const g = randn([50, 41, 129], { seed: 5 });
      const out = embedding(id, table);
      out.backward(g);
      const bits = new Uint32Array((await table.grad!.data()).buffer);
      for (const t of [table, table.grad, id, g, out]) t?.dispose();
      return Array.from(bits);
    };
    expect(await run()).toEqual(await run());
  });
});

describe('embedding gradient at scale', () => {
  it('one id repeated 40000 times in a 30000-row table (the histogram chunk grows): exact bucket sum', async () => {
    const n = 40000;
    const V = 30000;
    const rng = new Rng(testSeed(0));
    const idv = Int32Array.from({ length: n }, (_, i) => (i % 7 === 0 ? (i * 7919) % V : 12345));
    const g = Float32Array.from({ length: n }, () => Math.fround(rng.normal()));
    const table = tensor(new Float32Array(V), { shape: [V, 1], requiresGrad: true });
    embedding(tensor(idv, { shape: [n], dtype: 'i32' }), table).backward(tensor(g, { shape: [n, 1] }));
    const expected = new Float64Array(V);
    idv.forEach((v, i) => (expected[v] += g[i]));
    const got = await table.grad!.data();
    let worst = 0;
    for (let v = 0; v < V; v++) worst = Math.max(worst, Math.abs(got[v] - expected[v]));
    expect(worst).toBeLessThan(1e-3); // f32 sums of up to 34000 N(0, 1) terms
  });
});

describe('embedding in a captured step', () => {
  it('replays with new ids written in place give the eager gradients', async () => {
    const table = randn([9, 6], { seed: 1, requiresGrad: true });
    const w = randn([6], { seed: 2, requiresGrad: true });
    const id = tensor(new Int32Array(10), { shape: [2, 5], dtype: 'i32' });
    const step = () => {
      table.zeroGrad();
      w.zeroGrad();
      const l = layerNorm(embedding(id, table), 6, w).square().sum();
      l.backward();
      return l;
    };
    const cap = capture(step);
    // The first run() executes the step while recording; the later ones replay it.
    const batches = [[1, 2, 3, 4, 5, 6, 7, 8, 0, 1], [8, 8, 8, 0, 0, 2, 2, 2, 2, 3], [4, 4, 4, 4, 4, 4, 4, 4, 4, 4]];
    const replayed: number[][] = [];
    for (const b of batches) {
      id.write(b);
      cap.run();
      replayed.push(Array.from(await table.grad!.data()));
    }
    cap.dispose();
    for (const [i, b] of batches.entries()) {
      id.write(b);
      step();
      expect(Array.from(await table.grad!.data())).toEqual(replayed[i]);
    }
  });
});

describe('indexSelect', () => {
  const cases: [number[], number, number][] = [
    [[5], 0, 3], [[1, 1], 1, 1], [[4, 3], 0, 9], [[4, 3], 1, 5], [[2, 5, 3], 1, 7], [[2, 5, 3], -1, 4], [[3, 2, 65], 2, 2],
  ];
  for (const [shape, dim, n] of cases) {
    it(`${shapesLabel(shape)} dim ${dim}, ${n} indices`, async () => {
      const x = randomRef(shape, testSeed(0));
      const d = dim < 0 ? dim + shape.length : dim;
      const index = ids([n], shape[d], testSeed(1));
      await checkOp('indexSelect', { dim: d }, [input(x), input(index, { dtype: 'i32' })], ([a, i]) => indexSelect(a, dim, i));
    });
  }

  it('0-D index and method form', async () => {
    const x = randomRef([3, 4], testSeed(0));
    const index = refArray([], [2]);
    await checkOp('indexSelect', { dim: 1 }, [input(x), input(index, { dtype: 'i32' })], ([a, i]) => a.indexSelect(1, i));
  });
});

describe('gather', () => {
  // [x shape, dim, index shape]
  const cases: [number[], number, number[]][] = [
    [[5], 0, [3]], [[1], 0, [4]], [[3, 4], 1, [3, 7]], [[3, 4], 0, [2, 4]], [[4, 3, 5], 1, [2, 6, 3]], [[2, 3, 65], 2, [2, 3, 9]],
    [[2, 2, 2, 3], -1, [2, 1, 2, 5]],
  ];
  for (const [shape, dim, idxShape] of cases) {
    it(`${shapesLabel(shape)} dim ${dim} index ${shapesLabel(idxShape)}`, async () => {
      const d = dim < 0 ? dim + shape.length : dim;
      const index = ids(idxShape, shape[d], testSeed(1));
      await checkOp('gather', { dim: d }, [input(randomRef(shape, testSeed(0))), input(index, { dtype: 'i32' })], ([x, i]) => x.gather(dim, i));
    });
  }

  it('picks the logit of each label (the cross-entropy use)', async () => {
    const logits = tensor([[1, 2, 3], [4, 5, 6]]);
    expect(await gather(logits, 1, tensor([[2], [0]], { dtype: 'i32' })).toArray()).toEqual([[3], [4]]);
  });
});

describe('arange', () => {
  it('torch.arange forms, dtypes and sizes', async () => {
    expect(Array.from(await arange(5).data())).toEqual([0, 1, 2, 3, 4]);
    expect(arange(5).dtype).toBe('i32');
    expect(Array.from(await arange(2, 7, 2).data())).toEqual([2, 4, 6]);
    expect(Array.from(await arange(3, 0, -1).data())).toEqual([3, 2, 1]);
    const f = arange(0, 1, 0.25);
    expect(f.dtype).toBe('f32');
    expect(Array.from(await f.data())).toEqual([0, 0.25, 0.5, 0.75]);
    expect(arange(0, 1, 0.3).shape).toEqual([4]);
    expect(arange(4, { dtype: 'f32' }).dtype).toBe('f32');
    expect(arange(3, 3).shape).toEqual([0]);
    const g = arange(0, 3, { dtype: 'float32', requiresGrad: true });
    expect(g.requiresGrad).toBe(true);
    expect(arange(1, 4).intRange).toEqual([1, 3]);
  });

  it('bad arguments are refused', () => {
    expect(() => arange(0, 5, 0)).toThrow(/step must be nonzero/);
    expect(() => arange(5, 0, 1)).toThrow(/inconsistent with step sign/);
    expect(() => arange(0, 1, 0.5, { dtype: 'i32' })).toThrow(/an i32 arange needs integer/);
    expect(() => arange(Infinity)).toThrow(ValueError);
    expect(() => arange(3, { step: 1 } as never)).toThrow(/unknown option 'step'/);
  });
});

describe('indexing errors', () => {
  it('out-of-range host indices, wrong dtypes and shapes are typed errors before any GPU work', () => {
    const table = tensor([[1, 2], [3, 4], [5, 6]]);
    const rt = runtime();
    const before = rt.stats.dispatches;
    const live = memory().liveTensors;
    expect(() => embedding(tensor([0, 3], { dtype: 'i32' }), table)).toThrow(/embedding: ids holds 3, out of range for a dim of size 3.*\[2\] and \[3, 2\]/);
    expect(() => embedding(tensor([-1], { dtype: 'i32' }), table)).toThrow(ValueError);
    expect(() => embedding(tensor([0, 1]), table)).toThrow(DTypeError);
    expect(() => embedding(tensor([0], { dtype: 'i32' }), tensor([1, 2, 3]))).toThrow(ShapeError);
    expect(() => embedding(tensor([0], { dtype: 'i32' }), table, { paddingIdx: 3 })).toThrow(/paddingIdx 3 is out of range/);
    expect(() => embedding(tensor([0], { dtype: 'i32' }), table, { maxNorm: 1 } as never)).toThrow(/unknown option 'maxNorm'/);
    expect(() => indexSelect(table, 0, tensor([[0]], { dtype: 'i32' }))).toThrow(/index must be 0-D or 1-D/);
    expect(() => indexSelect(table, 1, tensor([2], { dtype: 'i32' }))).toThrow(/indexSelect: index holds 2, out of range for a dim of size 2/);
    expect(() => indexSelect(table, 2, tensor([0], { dtype: 'i32' }))).toThrow(ValueError);
    expect(rt.stats.dispatches).toBe(before);
    expect(memory().liveTensors - live).toBe(10); // exactly the argument tensors built above
    expect(() => gather(table, 1, tensor([[0, 2]], { dtype: 'i32' }))).toThrow(/gather: index holds 2, out of range for a dim of size 2/);
    expect(() => gather(table, 1, tensor([0, 1], { dtype: 'i32' }))).toThrow(/gather: index must have the input's rank.*\(got \[3, 2\] and \[2\]\)/);
    expect(() => gather(table, 0, tensor([[0, 1, 0]], { dtype: 'i32' }))).toThrow(ShapeError);
    expect(() => gather(table, 1, tensor([[0, 1]]))).toThrow(DTypeError);
    expect(rt.stats.dispatches).toBe(before);
  });

  it('indices computed on the GPU out of range read as NaN and get no gradient', async () => {
    const table = tensor([[1, 2], [3, 4]], { requiresGrad: true });
    const id = tensor([1, 0], { dtype: 'i32' });
    id.intRange = null; // as for indices a kernel produced
    const bad = tensor([5, 0], { dtype: 'i32' });
    bad.intRange = null;
    const out = embedding(bad, table);
    expect(Array.from(await out.data()).map(Number.isNaN)).toEqual([true, true, false, false]);
    out.backward(tensor([[1, 1], [1, 1]]));
    expect(Array.from(await table.grad!.data())).toEqual([1, 1, 0, 0]);
    expect(Array.from(await embedding(id, table).data())).toEqual([3, 4, 1, 2]);
  });
});
