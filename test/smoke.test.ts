import { describe, expect, it } from 'vitest';
import { tensor, matmul } from '../src/index.ts';
import { expectClose } from './helpers.ts';

describe('smoke', () => {
  it('seed 003 affine forward and backward', async () => {
    const x = tensor([[1, 2], [3, 4]]);
    const W = tensor([[0.5, 0.8], [0.2, 0.3]], { requiresGrad: true });
    const b = tensor([0.1, 0.1], { requiresGrad: true });
    const y = matmul(x, W).add(b);
    expectClose(await y.toArray(), [[1.0, 1.5], [2.4, 3.7]]);
    const dY = tensor([[1.0, 1.5], [2.0, 2.5]]);
    y.mul(dY).sum().backward();
    expectClose(await W.grad!.toArray(), [[7, 9], [10, 13]]);
    expectClose(await b.grad!.toArray(), [3, 4]);
    expect(W.grad!.shape).toEqual([2, 2]);
  });
});
