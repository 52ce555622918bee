// Adam (L2 weight decay added to the gradient, torch.optim.Adam) and AdamW (decoupled weight
// decay, torch.optim.AdamW). Bias corrections use each parameter's own step count.
import type { Tensor } from '../tensor.ts';
import { adamKernel } from '../kernels/optim.ts';
import { Optimizer, checkRange, type NamedParam, type OptimizerOptions, type ParamSource } from './optimizer.ts';

export interface AdamOptions extends Partial<OptimizerOptions> {
  /** Default 1e-3. */
  lr?: number;
  /** [beta1, beta2], default [0.9, 0.999]. */
  betas?: readonly [number, number];
  /** Default 1e-8. */
  eps?: number;
  /** Adam: L2 penalty added to the gradient (default 0). AdamW: decoupled decay (default 0.01). */
  weightDecay?: number;
}

export class Adam extends Optimizer {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  protected readonly decoupled: boolean = false;

  constructor(params: ParamSource, opts: AdamOptions = {}, name = 'Adam', defaultWeightDecay = 0) {
    super(name, params, { lr: opts.lr ?? 1e-3, scheduler: opts.scheduler });
    const [b1, b2] = opts.betas ?? [0.9, 0.999];
    this.beta1 = checkRange(name, 'betas[0]', b1, 0, 1, true);
    this.beta2 = checkRange(name, 'betas[1]', b2, 0, 1, true);
    this.eps = checkRange(name, 'eps', opts.eps ?? 1e-8, 0, Infinity);
    this.weightDecay = checkRange(name, 'weightDecay', opts.weightDecay ?? defaultWeightDecay, 0, Infinity);
  }

  protected update(p: NamedParam, grad: Tensor, lr: number, t: number): void {
    const { m, v } = this.state(p, ['m', 'v']);
    adamKernel({
      param: p.tensor,
      grad,
      m,
      v,
      lr,
      beta1: this.beta1,
      beta2: this.beta2,
      eps: this.eps,
      weightDecay: this.weightDecay,
      decoupled: this.decoupled,
      t,
      label: p.name,
      live: this.liveOf(p),
    });
  }
}

export class AdamW extends Adam {
  protected override readonly decoupled: boolean = true;

  constructor(params: ParamSource, opts: AdamOptions = {}) {
    super(params, opts, 'AdamW', 0.01);
  }
}
