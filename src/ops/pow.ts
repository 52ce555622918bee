// pow(x, exponent): x^exponent elementwise with PyTorch's semantics (torch.pow, which follows
// C's pow): x^0 = 1 and 1^y = 1 even for NaN, a negative base with an integer exponent takes the
// exponent's parity (-2^3 = -8), with any other exponent it is NaN, 0^negative = Inf, NaN
// elsewhere propagates. Two ops: `pow` (a tensor exponent, NumPy broadcasting) and `powScalar`
// (a number exponent, no tensor uploaded). Kernels: the POW entries of shaders/elementwise.wgsl.
// Gradients are torch's: d/dx = y x^(y-1) (0 where y = 0), d/dy = x^y log(x) (0 where x = 0 and
// y >= 0; NaN for a negative base, whose log is NaN).
import { ArgumentTypeError, DisposedTensorError } from '../errors.ts';
import { broadcastShapes } from '../shape.ts';
import { Tensor } from '../tensor.ts';
import { binaryKernel, unaryGradKernel, unaryKernel } from '../kernels/elementwise.ts';
import { apply, defineOp } from './op.ts';
import { sumTo } from './reduce-to.ts';

export const powOp = defineOp<undefined, { a: Tensor; b: Tensor }>({
  name: 'pow',
  arity: 2,
  forward: ([a, b]) => ({ out: binaryKernel('pow', a, b, broadcastShapes('pow', a.shape, b.shape)), saved: { a, b } }),
  backward: (g, { a, b }, { inputs, needsGrad }) => {
    const part = (kind: 'powDa' | 'powDb', shape: readonly number[]) => {
      const d = binaryKernel(kind, a, b, g.shape);
      const gd = binaryKernel('mul', g, d, g.shape);
      const out = sumTo(gd, shape);
      [d, gd].forEach((t) => t.dispose());
      return out;
    };
    return [needsGrad[0] ? part('powDa', inputs[0].shape) : null, needsGrad[1] ? part('powDb', inputs[1].shape) : null];
  },
});

export const powScalarOp = defineOp<{ exponent: number }, { x: Tensor }>({
  name: 'powScalar',
  arity: 1,
  forward: ([x], { exponent }) => ({ out: unaryKernel('pow', x, exponent, 0), saved: { x } }),
  backward: (g, { x }, { attrs }) => [unaryGradKernel('pow', x, g, attrs.exponent)],
});

const describe = (v: unknown) => (v instanceof Tensor ? `a tensor of shape [${v.shape.join(', ')}]` : typeof v === 'number' ? String(v) : typeof v);

/**
 * x raised to `exponent` elementwise (torch.pow): a number exponent, or a tensor that
 * broadcasts with x. (A number base with a tensor exponent, torch.pow(2, t), is not supported:
 * write full([], 2).pow(t).)
 */
export function pow(x: Tensor, exponent: Tensor | number): Tensor {
  if (!(x instanceof Tensor)) throw new ArgumentTypeError('pow', `the base must be a Tensor, got ${describe(x)} (for a number base write full([], base).pow(exponent))`);
  if (!(exponent instanceof Tensor) && typeof exponent !== 'number') {
    throw new ArgumentTypeError('pow', `exponent must be a Tensor or a number, got ${describe(exponent)}`);
  }
  if (x.disposed) throw new DisposedTensorError('pow', `base: ${x.describe()}`);
  if (typeof exponent === 'number') return apply(powScalarOp, [x], { exponent });
  return apply(powOp, [x, exponent], undefined);
}
