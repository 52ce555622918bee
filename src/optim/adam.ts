// Adam (L2 weight decay added to the gradient, torch.optim.Adam) and AdamW (decoupled weight
// decay, torch.optim.AdamW), both with torch's amsgrad. Bias corrections use each parameter's
// own step count.
import { ArgumentTypeError, ValueError } from '../errors.ts';
import { describeValue, option, type OptionsOf, type ParsedOptions } from '../options.ts';
import type { Tensor } from '../tensor.ts';
import { adamKernel } from '../kernels/optim.ts';
import { OPTIMIZER_OPTIONS, Optimizer, lrOption, type NamedParam, type ParamGroup, type ParamGroupInput, type ParamSource } from './optimizer.ts';

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

/** Adam's / AdamW's options as a parameter group holds them (every option set). */
export type AdamGroupOptions = ParsedOptions<typeof ADAM_OPTIONS>;

/** Adam (torch.optim.Adam): L2 weight decay added to the gradient. */
export class Adam extends Optimizer<AdamGroupOptions> {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  readonly amsgrad: boolean;
  protected readonly decoupled: boolean = false;

  /**
   * `new Adam(model.parameters(), { lr: 1e-3 })`; also a model or [name, tensor] pairs, or
   * parameter groups `[{ params, ...options }, ...]` whose options override `opts`. The fields
   * beta1, beta2, eps, weightDecay, amsgrad are `opts`' (the defaults of every group).
   */
  constructor(params: ParamSource | readonly ParamGroupInput<AdamOptions>[], opts?: AdamOptions, name = 'Adam') {
    if (name !== 'Adam' && name !== 'AdamW') throw new ArgumentTypeError('Adam', `the third argument is internal; got ${describeValue(name)}`);
    super(name, params, name === 'AdamW' ? ADAMW_OPTIONS : ADAM_OPTIONS, opts);
    const d = this.defaults;
    [this.beta1, this.beta2] = d.betas;
    this.eps = d.eps;
    this.weightDecay = d.weightDecay;
    this.amsgrad = d.amsgrad;
  }

  protected override checkOptions(where: string, g: ParamGroup<AdamGroupOptions>): void {
    if (!g.amsgrad) return;
    const late = g.params.find((p) => { const s = this.stateOf(p); return s && !s.vMax; });
    if (late) throw new ValueError(where, `amsgrad was turned on after parameter '${late.name}' stepped without it (its running max of v does not exist); set amsgrad before the first step`);
  }

  protected update(p: NamedParam, grad: Tensor, g: ParamGroup<AdamGroupOptions>, t: number): void {
    const { m, v, vMax } = this.state(p, g.amsgrad ? ['m', 'v', 'vMax'] : ['m', 'v']);
    adamKernel({
      param: p.tensor,
      grad,
      m,
      v,
      vMax: g.amsgrad ? vMax : null,
      lr: g.lr,
      beta1: g.betas[0],
      beta2: g.betas[1],
      eps: g.eps,
      weightDecay: g.weightDecay,
      decoupled: this.decoupled,
      t,
      label: p.name,
      live: this.liveOf(p, g),
    });
  }
}

/** AdamW (torch.optim.AdamW): decoupled weight decay, default 0.01. */
export class AdamW extends Adam {
  protected override readonly decoupled: boolean = true;

  /** As Adam, with decoupled weight decay (default 0.01, torch.optim.AdamW); groups as Adam. */
  constructor(params: ParamSource | readonly ParamGroupInput<AdamOptions>[], opts?: AdamOptions) {
    super(params, opts, 'AdamW');
  }
}
