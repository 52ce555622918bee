// Adam (L2 weight decay added to the gradient, torch.optim.Adam) and AdamW (decoupled weight
// decay, torch.optim.AdamW), both with torch's amsgrad. Bias corrections use each parameter's
// own step count.
import { ArgumentTypeError } from '../errors.ts';
import { describeValue, option, parseOptions, type OptionsOf } from '../options.ts';
import type { Tensor } from '../tensor.ts';
import { adamKernel } from '../kernels/optim.ts';
import { OPTIMIZER_OPTIONS, Optimizer, lrOption, type NamedParam, type ParamSource } from './optimizer.ts';

type Betas = readonly [number, number];
const isBetas = (v: unknown): v is Betas => Array.isArray(v) && v.length === 2 && v.every((b) => typeof b === 'number' && b >= 0 && b < 1);

function adamOptions(defaultWeightDecay: number) {
  return {
    /** Default 1e-3. */
    lr: lrOption(1e-3),
    ...OPTIMIZER_OPTIONS,
    /** [beta1, beta2], each in [0, 1); default [0.9, 0.999]. */
    betas: option.custom<Betas, { default: Betas }>('[beta1, beta2] with each in [0, 1)', isBetas, { default: [0.9, 0.999] }),
    /** Default 1e-8. */
    eps: option.number({ min: 0, default: 1e-8 }),
    /** Adam: L2 penalty added to the gradient (default 0). AdamW: decoupled decay (default 0.01). */
    weightDecay: option.number({ min: 0, default: defaultWeightDecay }),
    /** AMSGrad: divide by the running maximum of the second moment (torch's amsgrad). */
    amsgrad: option.boolean({ default: false }),
  };
}
const ADAM_OPTIONS = adamOptions(0);
const ADAMW_OPTIONS = adamOptions(0.01);
/** `{ lr, betas, eps, weightDecay, amsgrad, scheduler }`, torch.optim.Adam's / AdamW's (camelCase). */
export type AdamOptions = OptionsOf<typeof ADAM_OPTIONS>;

/** Adam (torch.optim.Adam): L2 weight decay added to the gradient. */
export class Adam extends Optimizer {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  readonly amsgrad: boolean;
  protected readonly decoupled: boolean = false;

  /** `new Adam(model.parameters(), { lr: 1e-3 })`; also a model or [name, tensor] pairs. */
  constructor(params: ParamSource, opts?: AdamOptions, name = 'Adam') {
    if (name !== 'Adam' && name !== 'AdamW') throw new ArgumentTypeError('Adam', `the third argument is internal; got ${describeValue(name)}`);
    const o = parseOptions(name, opts, name === 'AdamW' ? ADAMW_OPTIONS : ADAM_OPTIONS);
    super(name, params, o);
    [this.beta1, this.beta2] = o.betas;
    this.eps = o.eps;
    this.weightDecay = o.weightDecay;
    this.amsgrad = o.amsgrad;
  }

  protected update(p: NamedParam, grad: Tensor, lr: number, t: number): void {
    const { m, v, vMax } = this.state(p, this.amsgrad ? ['m', 'v', 'vMax'] : ['m', 'v']);
    adamKernel({
      param: p.tensor,
      grad,
      m,
      v,
      vMax: vMax ?? null,
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

/** AdamW (torch.optim.AdamW): decoupled weight decay, default 0.01. */
export class AdamW extends Adam {
  protected override readonly decoupled: boolean = true;

  /** As Adam, with decoupled weight decay (default 0.01, torch.optim.AdamW). */
  constructor(params: ParamSource, opts?: AdamOptions) {
    super(params, opts, 'AdamW');
  }
}
