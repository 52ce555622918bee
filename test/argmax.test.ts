// argmax edge semantics (NumPy/PyTorch): NaN is the maximum, first index on ties, rows of -inf.
import { expect, it } from 'vitest';
import { tensor, argmax } from '../src/index.ts';
it('argmax: NaN wins like NumPy and PyTorch, ties go to the first index, across threads', async () => {
  expect(Array.from(await argmax(tensor([[1, NaN, 3, NaN], [2, 5, 5, 1], [-Infinity, -Infinity, -Infinity, -Infinity]]), 1).data())).toEqual([1, 1, 0]);
  const big = new Float32Array(1000).map((_, i) => Math.sin(i)); big[700] = NaN; big[900] = NaN;
  expect(await argmax(tensor(big)).item()).toBe(700);
  const t = new Float32Array(1000).fill(1); t[3] = 2; t[999] = 2;
  expect(await argmax(tensor(t)).item()).toBe(3);
});
