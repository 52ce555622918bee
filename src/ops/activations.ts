// GELU (exact erf form and PyTorch's tanh approximation) and SiLU, the activations of
// transformer MLPs. Kernels in shaders/activations.wgsl; both save the input x for backward.
import { ValueError } from '../errors.ts';
import { option, parseOptions, type OptionsOf } from '../options.ts';
import type { Tensor } from '../tensor.ts';
import { activationGradKernel, activationKernel } from '../kernels/activations.ts';
import { apply, defineOp } from './op.ts';

/** GELU's form: exact ('none', the erf) or PyTorch's 'tanh' approximation. */
export type GeluApproximate = 'none' | 'tanh';

export const geluOp = defineOp<{ approximate: GeluApproximate }, { x: Tensor }>({
  name: 'gelu',
  arity: 1,
  forward: ([x], { approximate }) => ({ out: activationKernel(approximate === 'tanh' ? 'geluTanh' : 'gelu', x), saved: { x } }),
  backward: (g, { x }, { attrs }) => [activationGradKernel(attrs.approximate === 'tanh' ? 'geluTanh' : 'gelu', x, g)],
});

export const siluOp = defineOp<undefined, { x: Tensor }>({
  name: 'silu',
  arity: 1,
  forward: ([x]) => ({ out: activationKernel('silu', x), saved: { x } }),
  backward: (g, { x }) => [activationGradKernel('silu', x, g)],
});

const GELU_OPTIONS = { approximate: option.oneOf(['none', 'tanh'] as const, { default: 'none' }) };
/** Options of `gelu(x, opts)`. */
export type GeluOptions = OptionsOf<typeof GELU_OPTIONS>;

/** GELU (torch.nn.functional.gelu): x * Phi(x); `{ approximate: 'tanh' }` for the tanh form. */
export function gelu(x: Tensor, opts?: GeluOptions): Tensor {
  const { approximate } = parseOptions('gelu', opts, GELU_OPTIONS);
  return apply(geluOp, [x], { approximate });
}

/** SiLU / swish (torch.nn.functional.silu): x * sigmoid(x). */
export function silu(x: Tensor, ...rest: unknown[]): Tensor {
  if (rest.length && rest[0] !== undefined) throw new ValueError('silu', `takes no options, got ${rest.length} extra argument(s)`);
  return apply(siluOp, [x], undefined);
}
