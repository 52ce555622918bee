// a + b for gradient accumulation; consumes (disposes) both operands.
import { add } from '../ops/elementwise.ts';
import type { Tensor } from '../tensor.ts';

export function accumulate(a: Tensor, b: Tensor): Tensor {
  const sum = add(a, b);
  a.dispose();
  b.dispose();
  return sum;
}
