// SGD with optional momentum (and dampening), Nesterov momentum and L2 weight decay
// (torch.optim.SGD). Seed 002's gradient_descent_update, x = x - lr * gradx, is SGD(params, { lr }).
import { ValueError } from '../errors.ts';
import { option, type OptionsOf, type ParsedOptions } from '../options.ts';
import type { Tensor } from '../tensor.ts';
import { sgdKernel } from '../kernels/optim.ts';
import { OPTIMIZER_OPTIONS, Optimizer, lrOption, type NamedParam, type ParamGroup, type ParamGroupInput, type ParamSource } from './optimizer.ts';

const SGD_OPTIONS = {
  /** Learning rate; default 1e-3 as torch.optim.SGD (torch >= 2.2). */
  lr: lrOption(1e-3),
  ...OPTIMIZER_OPTIONS,
  /** Momentum factor mu in [0, 1) (0: plain gradient descent). */
  momentum: option.number({ min: 0, max: 1, default: 0 }),
  /** Dampening tau: after the first step the momentum buffer adds (1 - tau) * g (torch's). */
  dampening: option.number({ min: 0, max: 1, default: 0 }),
  /** L2 penalty: wd * p is added to the gradient. */
  weightDecay: option.number({ min: 0, default: 0 }),
  /** Nesterov momentum (needs momentum > 0 and dampening 0, as torch). */
  nesterov: option.boolean({ default: false }),
};
/** `{ lr, momentum, dampening, weightDecay, nesterov, scheduler }`, torch.optim.SGD's (camelCase). */
export type SgdOptions = OptionsOf<typeof SGD_OPTIONS>;

/** SGD's options as a parameter group holds them (every option set). */
export type SgdGroupOptions = ParsedOptions<typeof SGD_OPTIONS>;

/** Stochastic gradient descent as torch.optim.SGD: momentum, dampening, Nesterov momentum, L2 weight decay. */
export class SGD extends Optimizer<SgdGroupOptions> {
  readonly momentum: number;
  readonly dampening: number;
  readonly weightDecay: number;
  readonly nesterov: boolean;

  /**
   * `new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 })`; also a model or [name, tensor]
   * pairs, or parameter groups `[{ params, ...options }, ...]` whose options override `opts`.
   * The fields momentum, dampening, weightDecay, nesterov are `opts`' (the defaults of every group).
   */
  constructor(params: ParamSource | readonly ParamGroupInput<SgdOptions>[], opts?: SgdOptions) {
    super('SGD', params, SGD_OPTIONS, opts);
    ({ momentum: this.momentum, dampening: this.dampening, weightDecay: this.weightDecay, nesterov: this.nesterov } = this.defaults);
  }

  protected override checkOptions(where: string, g: ParamGroup<SgdGroupOptions>): void {
    if (g.momentum >= 1) throw new ValueError(where, `momentum must be in [0, 1), got ${g.momentum}`);
    if (g.nesterov && (g.momentum === 0 || g.dampening !== 0)) throw new ValueError(where, 'nesterov needs momentum > 0 and dampening 0');
  }

  protected update(p: NamedParam, grad: Tensor, g: ParamGroup<SgdGroupOptions>, t: number): void {
    sgdKernel({
      param: p.tensor,
      grad,
      momentumBuf: g.momentum > 0 ? this.state(p, ['momentum']).momentum : null,
      lr: g.lr,
      momentum: g.momentum,
      dampening: g.dampening,
      weightDecay: g.weightDecay,
      nesterov: g.nesterov,
      t,
      label: p.name,
      live: this.liveOf(p, g),
    });
  }
}
