// Every misuse is a typed error whose message names the op, the shapes involved and what was
// expected, so the caller can fix the call without reading webgrad's source.
import { describe, expect, it } from 'vitest';
import {
  AutogradError, DTypeError, DisposedTensorError, ShapeError, ValueError, add, linear, matmul, mean, mseLoss, permute, reshape,
  softmax, softmaxCrossEntropy, sum, tensor, transpose, zeros, type Tensor,
} from '../src/index.ts';

/** Assert `fn` throws an instance of `type` whose message matches every pattern. */
function expectError(fn: () => unknown, type: abstract new (...args: never[]) => Error, ...patterns: (string | RegExp)[]): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, 'expected a throw').toBeInstanceOf(type);
  const message = (caught as Error).message;
  for (const p of patterns) {
    if (typeof p === 'string') expect(message).toContain(p);
    else expect(message).toMatch(p);
  }
}

const f32 = (shape: number[]): Tensor => zeros(shape);
const labels = (values: number[]): Tensor => tensor(values, { dtype: 'i32' });

describe('ShapeError', () => {
  it('matmul with mismatched inner dimensions', () => {
    expectError(() => matmul(f32([2, 3]), f32([4, 5])), ShapeError, 'matmul:', 'inner dimensions must match for [.., M, K] x [.., K, N]', 'K = 3 from the first operand, 4 from the second', '[2, 3] and [4, 5]');
    expectError(() => f32([2, 3, 4]).matmul(f32([2, 5, 6])), ShapeError, 'matmul:', '[2, 3, 4] and [2, 5, 6]');
  });

  it('matmul with 0-D operands, transposed vectors or batch dims that do not broadcast', () => {
    expectError(() => matmul(f32([]), f32([3, 2])), ShapeError, 'matmul:', 'both operands must be at least 1-D', '[] and [3, 2]');
    expectError(() => matmul(f32([3]), f32([3, 2]), { transposeA: true }), ShapeError, 'matmul:', 'transposeA needs an operand of rank >= 2', '[3] and [3, 2]');
    expectError(() => matmul(f32([2, 3, 4]), f32([5, 4, 6])), ShapeError, 'matmul:', 'batch dims [2] and [5] do not broadcast', '[2, 3, 4] and [5, 4, 6]');
  });

  it('shapes that do not broadcast', () => {
    expectError(() => add(f32([3]), f32([4])), ShapeError, 'add:', 'not broadcastable', '3 vs 4', 'expected equal or 1', '[3] and [4]');
    expectError(() => f32([2, 3]).mul(f32([2])), ShapeError, 'mul:', '[2, 3] and [2]');
    expectError(() => f32([5, 2, 3]).maximum(f32([4, 1, 3])), ShapeError, 'maximum:', '5 vs 4', '[5, 2, 3] and [4, 1, 3]');
  });

  it('linear with x, W or b of the wrong shape', () => {
    expectError(() => linear(f32([2, 3]), f32([4, 5]), f32([5])), ShapeError, 'linear:', 'x has 3 features but W expects 4', '[2, 3] and [4, 5]');
    expectError(() => linear(f32([2, 3]), f32([3, 5]), f32([4])), ShapeError, 'linear:', "bias must have W's 5 output features", '[3, 5] and [4]');
    expectError(() => linear(f32([3]), f32([3, 5]), f32([5])), ShapeError, 'linear:', 'expected x [M, K], W [K, N] and b [N]');
  });

  it('reshape to a different number of elements, or with two -1s', () => {
    expectError(() => reshape(f32([2, 3]), [4]), ShapeError, 'reshape:', 'cannot reshape 6 elements into 4', '[2, 3] and [4]');
    expectError(() => f32([2, 3]).reshape(-1, 4), ShapeError, 'reshape:', 'cannot infer the -1 dimension');
    expectError(() => f32([2, 3]).reshape(-1, -1), ShapeError, 'reshape:', 'at most one dimension may be -1');
  });

  it('transpose and softmax along unsupported axes', () => {
    expectError(() => transpose(f32([3])), ShapeError, 'transpose:', 'rank >= 2', '[3]');
    expectError(() => softmax(f32([2, 3]), 2), ValueError, 'softmax:', 'axis 2 is out of range for a tensor of rank 2');
  });

  it('losses with mismatched shapes', () => {
    expectError(() => mseLoss(f32([2, 3]), f32([3, 2])), ShapeError, 'mseLoss:', 'same shape', '[2, 3] and [3, 2]');
    expectError(() => softmaxCrossEntropy(f32([6]), labels([0])), ShapeError, 'softmaxCrossEntropy:', "labels must have the input's shape without the class axis (dim 0), []", '[6] and [1]');
    expectError(() => softmaxCrossEntropy(f32([2, 3]), labels([0, 1, 2])), ShapeError, 'softmaxCrossEntropy:', "labels must have the input's shape without the class axis (dim 1), [2]", '[2, 3] and [3]');
    expectError(() => softmaxCrossEntropy(f32([2, 3]), f32([2, 4])), ShapeError, 'softmaxCrossEntropy:', "f32 labels must be class probabilities of the input's shape [2, 3]", '[2, 3] and [2, 4]');
  });
});

describe('DTypeError', () => {
  it('f32 class indices where i32 labels are expected', () => {
    expectError(() => softmaxCrossEntropy(f32([2, 3]), tensor([0, 2])), DTypeError, 'softmaxCrossEntropy:', 'labels [2] must be i32, got f32', "{ dtype: 'i32' }");
  });

  it('i32 tensors where f32 is expected', () => {
    expectError(() => softmaxCrossEntropy(labels([0, 1, 2, 0, 1, 2]).reshape(2, 3), labels([0, 1])), DTypeError, 'softmaxCrossEntropy:', 'input 0 must be f32, got i32', '[2, 3]');
    expectError(() => add(labels([1, 2]), f32([2])), DTypeError, 'add:', 'input 0 must be f32, got i32 tensor of shape [2]');
    expectError(() => labels([1, 2]).exp(), DTypeError, 'exp:', 'must be f32, got i32');
  });
});

describe('ValueError', () => {
  it('class indices outside [0, C)', () => {
    expectError(() => softmaxCrossEntropy(f32([3, 4]), labels([0, 4, 1])), ValueError, 'softmaxCrossEntropy:', 'class indices in [0, 3] for 4 classes', 'got values in [0, 4]');
    expectError(() => softmaxCrossEntropy(f32([2, 4]), labels([-1, 2])), ValueError, 'softmaxCrossEntropy:', 'got values in [-1, 2]');
  });

  it('labels that require grad', () => {
    const soft = tensor([[0.5, 0.5]], { requiresGrad: true });
    expectError(() => softmaxCrossEntropy(f32([1, 2]), soft), ValueError, 'softmaxCrossEntropy:', 'detach()');
  });

  it('axes out of range, bad permutations, empty reductions, bad options', () => {
    expectError(() => sum(f32([2, 3]), { axis: 2 }), ValueError, 'sum:', 'axis 2 is out of range for a tensor of rank 2', '-2 <= axis < 2');
    expectError(() => permute(f32([2, 3, 4]), [0, 0, 1]), ValueError, 'permute:', 'perm [0, 0, 1]', 'shape [2, 3, 4]');
    expectError(() => mean(f32([3, 0]), { axis: 1 }), ValueError, 'mean:', 'axis 1 of size 0', '[3, 0]');
    expectError(() => f32([2]).add('1' as never), ValueError, 'add:', 'operand 1 must be a Tensor or a number');
    expectError(() => mseLoss(f32([2]), f32([2]), { reduction: 'max' as 'sum' }), ValueError, 'mseLoss:', "one of 'mean', 'sum', 'none'", "'max'");
  });
});

describe('AutogradError', () => {
  it('backward on a non-scalar output without a gradient', () => {
    const y = tensor([[1, 2], [3, 4]], { requiresGrad: true }).square();
    expectError(() => y.backward(), AutogradError, 'backward:', 'shape [2, 2]', 'implicit gradients exist only for scalars', 'y.backward(dY)');
  });

  it('backward on a tensor that does not require grad', () => {
    expectError(() => f32([1]).sum().backward(), AutogradError, 'backward:', 'does not require grad');
  });

  it('backward through a graph already freed by an earlier backward', () => {
    const y = tensor([1, 2], { requiresGrad: true }).sigmoid().mean();
    y.backward();
    expectError(() => y.backward(), AutogradError, "'mean'", 'already freed', 'retainGraph: true');
  });
});

describe('DisposedTensorError', () => {
  const disposed = (): Tensor => {
    const t = tensor([[1, 2, 3], [4, 5, 6]], { requiresGrad: true, label: 'weights' });
    t.dispose();
    return t;
  };

  it('ops on a disposed input name the op, the input and its shape', () => {
    expectError(() => add(f32([2, 3]), disposed()), DisposedTensorError, 'add:', 'already disposed', 'input 1', 'weights', '[2, 3]');
    expectError(() => disposed().matmul(f32([3, 2])), DisposedTensorError, 'matmul:', 'input 0', '[2, 3]');
    expectError(() => disposed().mul(2), DisposedTensorError, 'mul:', '[2, 3]'); // the op called, not the internal affine
    expectError(() => disposed().sum({ axis: 0 }), DisposedTensorError, 'sum:');
    expectError(() => disposed().reshape(3, 2), DisposedTensorError, 'reshape:');
    expectError(() => disposed().T, DisposedTensorError, 'permute:');
    expectError(() => disposed().argmax(), DisposedTensorError, 'argmax:');
    expectError(() => disposed().detach(), DisposedTensorError, 'detach:', 'weights');
    expectError(() => linear(f32([1, 2]), disposed(), f32([3])), DisposedTensorError, 'linear:', 'input 1');
  });

  it('reading or differentiating a disposed tensor', async () => {
    await expect(disposed().data()).rejects.toThrow(DisposedTensorError);
    await expect(disposed().data()).rejects.toThrow(/data: used a tensor that is already disposed/);
    const y = tensor([1, 2], { requiresGrad: true }).sum();
    y.dispose();
    expectError(() => y.backward(), DisposedTensorError, 'backward:', 'the output');
    const z = tensor([1, 2], { requiresGrad: true }).square();
    const dz = tensor([1, 1]);
    dz.dispose();
    expectError(() => z.backward(dz), DisposedTensorError, 'backward:', 'the output gradient');
  });
});
