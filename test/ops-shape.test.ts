// reshape (a view), transpose and permute (copies through a kernel) against the reference.
import { describe, expect, it } from 'vitest';
import { permute, reshape, tensor, transpose } from '../src/index.ts';
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
