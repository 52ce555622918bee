// SGD with optional momentum, Nesterov momentum and L2 weight decay (torch.optim.SGD without
// dampening). Seed 002's gradient_descent_update, x = x - lr * gradx, is SGD({ lr }).
import { ValueError } from '../errors.ts';
import type { Tensor } from '../tensor.ts';
import { sgdKernel } from '../kernels/optim.ts';
import { Optimizer, checkRange, type NamedParam, type OptimizerOptions, type ParamSource } from './optimizer.ts';

export interface SgdOptions extends OptimizerOptions {
  /** Momentum factor mu (0: plain gradient descent). */
  momentum?: number;
  /** L2 penalty: wd * p is added to the gradient. */
  weightDecay?: number;
  /** Nesterov momentum (needs momentum > 0). */
  nesterov?: boolean;
}

export class SGD extends Optimizer {
  readonly momentum: number;
  readonly weightDecay: number;
  readonly nesterov: boolean;

  constructor(params: ParamSource, opts: SgdOptions) {
    super('SGD', params, opts);
    this.momentum = checkRange('SGD', 'momentum', opts.momentum ?? 0, 0, 1, true);
    this.weightDecay = checkRange('SGD', 'weightDecay', opts.weightDecay ?? 0, 0, Infinity);
    this.nesterov = opts.nesterov ?? false;
    if (this.nesterov && this.momentum === 0) throw new ValueError('SGD', 'nesterov needs momentum > 0');
  }

  protected update(p: NamedParam, grad: Tensor, lr: number): void {
    sgdKernel({
      param: p.tensor,
      grad,
      momentumBuf: this.momentum > 0 ? this.state(p, ['momentum']).momentum : null,
      lr,
      momentum: this.momentum,
      weightDecay: this.weightDecay,
      nesterov: this.nesterov,
      label: p.name,
      live: this.liveOf(p),
    });
  }
}
