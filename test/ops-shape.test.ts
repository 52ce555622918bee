// reshape and the views (view, unsqueeze, squeeze, flatten: no copies), transpose and permute (copies through a kernel) against the reference.
import { describe, expect, it } from 'vitest';
import { flatten, permute, reshape, squeeze, tensor, transpose, unsqueeze, view, type Tensor } from '../src/index.ts';
import { checkOp, input, randomRef, shapesLabel, testSeed } from './ops-harness.ts';

describe('reshape', () => {
  const cases: [number[], number[], number[]][] = [
    // [from, requested, resolved]
    [[2, 3, 4], [6, 4], [6, 4]],
    [[2, 3, 4], [-1], [24]],
    [[2, 3, 4], [4, -1, 2], [4, 3, 2]],
    [[1], [], []],
    [[], [1, 1], [1, 1]],
    [[7], [7, 1], [7, 1]],
    [[300, 257], [257, 300], [257, 300]],
  ];
  for (const [from, requested, resolved] of cases) {
    it(`${shapesLabel(from)} -> ${shapesLabel(requested)}`, async () => {
      const x = randomRef(from, testSeed(0));
      await checkOp('reshape', { shape: resolved }, [input(x)], ([t]) => reshape(t, requested));
    });
  }

  it('the method takes dims as arguments or as one array', async () => {
    const x = randomRef([2, 6], testSeed(0));
    await checkOp('reshape', { shape: [3, 4] }, [input(x)], ([t]) => t.reshape(3, 4));
    await checkOp('reshape', { shape: [4, 3] }, [input(x)], ([t]) => t.reshape([4, -1]));
  });

  it('is a view: it shares storage, and a gradient through it keeps the input shape', async () => {
    const t = tensor([[1, 2, 3], [4, 5, 6]], { requiresGrad: true });
    const v = t.reshape(3, 2);
    expect(v.storageFor('test')).toBe(t.storageFor('test'));
    v.mul(tensor([[1, 2], [3, 4], [5, 6]])).sum().backward();
    expect(t.grad!.shape).toEqual([2, 3]);
    expect(await t.grad!.toArray()).toEqual([[1, 2, 3], [4, 5, 6]]);
  });
});

describe('transpose and permute', () => {
  const transposes: [number[], number, number][] = [
    [[1, 1], 0, 1],
    [[1, 17], -2, -1],
    [[17, 1], 0, 1],
    [[16, 16], 0, 1],
    [[33, 65], 0, 1],
    [[300, 257], 1, 0],
    [[2, 3, 4], -1, -2],
    [[2, 3, 4], 0, 2],
    [[5, 1, 7, 3], 1, 3],
  ];
  for (const [shape, d0, d1] of transposes) {
    it(`transpose ${shapesLabel(shape)} dims ${d0}, ${d1}`, async () => {
      const rank = shape.length;
      const perm = [...Array(rank).keys()];
      const [a, b] = [(d0 + rank) % rank, (d1 + rank) % rank];
      [perm[a], perm[b]] = [perm[b], perm[a]];
      await checkOp('permute', { perm }, [input(randomRef(shape, testSeed(0)))], ([t]) => transpose(t, d0, d1));
    });
  }

  it('.T swaps the last two axes', async () => {
    await checkOp('permute', { perm: [0, 2, 1] }, [input(randomRef([3, 4, 5], testSeed(0)))], ([t]) => t.T);
  });

  const perms: [number[], number[]][] = [
    [[7], [0]],
    [[2, 3, 4], [2, 0, 1]],
    [[2, 3, 4], [1, 2, 0]],
    [[2, 3, 4, 5], [3, 1, 0, 2]],
    [[3, 1, 4, 1, 5], [4, 2, 0, 3, 1]],
    [[2, 3, 4, 5], [-1, 0, -2, 1]],
  ];
  for (const [shape, perm] of perms) {
    it(`permute ${shapesLabel(shape)} by [${perm.join(', ')}]`, async () => {
      const norm = perm.map((p) => (p < 0 ? p + shape.length : p));
      await checkOp('permute', { perm: norm }, [input(randomRef(shape, testSeed(0)))], ([t]) => permute(t, perm));
      await checkOp('permute', { perm: norm }, [input(randomRef(shape, testSeed(1)))], ([t]) => t.permute(...perm));
    });
  }
});

describe('views: view, unsqueeze, squeeze, flatten (PyTorch semantics, no copies)', () => {
  // [name, input shape, the call, the resulting shape]
  const cases: [string, number[], (t: Tensor) => Tensor, number[]][] = [
    ['view(4, -1)', [2, 3, 4], (t) => view(t, 4, -1), [4, 6]],
    ['view([-1])', [2, 3], (t) => t.view([-1]), [6]],
    ['view() of one element', [1, 1], (t) => t.view(), []],
    ['unsqueeze(0)', [3, 4], (t) => unsqueeze(t, 0), [1, 3, 4]],
    ['unsqueeze(2) (append)', [3, 4], (t) => t.unsqueeze(2), [3, 4, 1]],
    ['unsqueeze(-1)', [3, 4], (t) => t.unsqueeze(-1), [3, 4, 1]],
    ['unsqueeze(-3)', [3, 4], (t) => t.unsqueeze(-3), [1, 3, 4]],
    ['unsqueeze(0) of a scalar', [], (t) => t.unsqueeze(0), [1]],
    ['squeeze()', [1, 3, 1, 4, 1], (t) => squeeze(t), [3, 4]],
    ['squeeze(1)', [2, 1, 3], (t) => t.squeeze(1), [2, 3]],
    ['squeeze(0) of a non-1 dim is a no-op', [2, 1, 3], (t) => t.squeeze(0), [2, 1, 3]],
    ['squeeze([0, -1])', [1, 2, 1], (t) => t.squeeze([0, -1]), [2]],
    ['squeeze() of [1]', [1], (t) => t.squeeze(), []],
    ['flatten()', [2, 3, 4], (t) => flatten(t), [24]],
    ['flatten(1)', [2, 3, 4, 5], (t) => t.flatten(1), [2, 60]],
    ['flatten(1, 2)', [2, 3, 4, 5], (t) => t.flatten(1, 2), [2, 12, 5]],
    ['flatten(-2)', [2, 3, 4], (t) => t.flatten(-2), [2, 12]],
    ['flatten(2, 2)', [2, 3, 4], (t) => t.flatten(2, 2), [2, 3, 4]],
    ['flatten() of a scalar', [], (t) => t.flatten(), [1]],
  ];
  for (const [name, from, call, to] of cases) {
    it(`${name}: ${shapesLabel(from)} -> ${shapesLabel(to)}`, async () => {
      const x = randomRef(from, testSeed(0));
      await checkOp('reshape', { shape: to }, [input(x)], ([t]) => call(t));
    });
  }

  it('share the input storage, carry the gradient back in the input shape, and work on i32', async () => {
    const t = tensor([[1, 2, 3], [4, 5, 6]], { requiresGrad: true });
    const views = [t.view(3, 2), t.unsqueeze(1), t.flatten(), t.unsqueeze(0).squeeze(0)];
    for (const v of views) expect(v.storageFor('test')).toBe(t.storageFor('test'));
    t.unsqueeze(0).flatten().mul(tensor([1, 2, 3, 4, 5, 6])).sum().backward();
    expect(t.grad!.shape).toEqual([2, 3]);
    expect(await t.grad!.toArray()).toEqual([[1, 2, 3], [4, 5, 6]]);
    const labels = tensor([1, 2, 3], { dtype: 'i32' });
    expect(labels.unsqueeze(0).shape).toEqual([1, 3]);
    expect(await labels.view(3, 1).toArray()).toEqual([[1], [2], [3]]);
  });

  it('bad arguments are errors naming the op and the shape', () => {
    const t = tensor([[1, 2, 3], [4, 5, 6]]);
    expect(() => t.view(4, -1)).toThrow(/view: .*\[2, 3\]/);
    expect(() => t.view(-1, -1)).toThrow(/view: .*at most one dimension may be -1/);
    expect(() => view(t, 2.5 as number)).toThrow(/view: expected integer dims/);
    expect(() => t.unsqueeze(3)).toThrow(/unsqueeze: axis 3 is out of range for a tensor of rank 3/);
    expect(() => t.squeeze(2)).toThrow(/squeeze: axis 2 is out of range/);
    expect(() => t.flatten(1, 0)).toThrow(/flatten: startDim \(1\) must not come after endDim \(0\) for shape \[2, 3\]/);
    expect(() => t.flatten(0.5)).toThrow(/flatten: startDim must be an integer/);
    t.dispose();
    expect(() => t.unsqueeze(0)).toThrow(/unsqueeze/);
  });
});
