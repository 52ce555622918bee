// Launchers for shaders/optim.wgsl: one in-place dispatch per parameter. Callers (src/optim/)
// validate shapes and dtypes first; these functions only pack Params and bind buffers.
import type { Tensor } from '../tensor.ts';
import { ParamWriter, grid1d } from './launch.ts';

const WG = 256;

export interface SgdKernelArgs {
  param: Tensor;
  grad: Tensor;
  /** The momentum buffer (same size as param), or null when momentum is 0. */
  momentumBuf: Tensor | null;
  lr: number;
  momentum: number;
  /** torch's dampening: the momentum update adds (1 - dampening) * g after the first step. */
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  /** 1-based step count of this parameter (step 1 fills the momentum buffer with g undamped). */
  t: number;
  label: string;
  /** Inside a capture: the current lr (and step) at each replay, so schedules keep working. */
  live?: () => { lr: number; t: number };
}

export function sgdKernel(a: SgdKernelArgs): void {
  const rt = a.param.runtime;
  const pack = (lr: number, t: number) =>
    new ParamWriter()
      .u32(a.param.size).u32(0)
      .f32(lr).f32(a.weightDecay).f32(a.momentum)
      .f32(0).f32(0).f32(0).f32(0).f32(1)
      .f32(t === 1 ? 1 : 1 - a.dampening)
      .done();
  const params = pack(a.lr, a.t);
  const live = a.live;
  rt.dispatch(
    {
      shader: 'optim',
      entry: 'sgd',
      defines: { MOMENTUM: a.momentumBuf !== null, NESTEROV: a.nesterov, DECOUPLED: false, AMSGRAD: false },
      constants: { WG },
      bindings: ['uniform', 'rw', 'read', 'rw'],
    },
    params,
    [a.param.buffer(a.label), a.grad.buffer(a.label), a.momentumBuf?.buffer(a.label) ?? rt.placeholder('rw')],
    grid1d(rt, a.param.size, WG),
    `${a.label}.sgd`,
    live &&
      (() => {
        const { lr, t } = live();
        return pack(lr, t);
      }),
  );
}

export interface AdamKernelArgs {
  param: Tensor;
  grad: Tensor;
  m: Tensor;
  v: Tensor;
  /** AMSGrad: the running maximum of v (torch's max_exp_avg_sq), or null. */
  vMax: Tensor | null;
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** AdamW: weight decay applied to the parameter, not added to the gradient. */
  decoupled: boolean;
  /** 1-based step count of this parameter (for the bias corrections). */
  t: number;
  label: string;
  /** Inside a capture: the current lr and step count at each replay (bias corrections change). */
  live?: () => { lr: number; t: number };
}

export function adamKernel(a: AdamKernelArgs): void {
  const rt = a.param.runtime;
  // The kernel multiplies by float32 betas: the bias corrections use the same rounded values.
  const b1 = Math.fround(a.beta1);
  const b2 = Math.fround(a.beta2);
  const pack = (lr: number, t: number) => {
    const bc1 = 1 - b1 ** t;
    const bc2 = 1 - b2 ** t;
    return new ParamWriter()
      .u32(a.param.size).u32(0)
      .f32(lr).f32(a.weightDecay).f32(0)
      .f32(b1).f32(b2).f32(a.eps).f32(lr / bc1).f32(Math.sqrt(bc2))
      .f32(1)
      .done();
  };
  const params = pack(a.lr, a.t);
  const live = a.live;
  rt.dispatch(
    {
      shader: 'optim',
      entry: 'adam',
      defines: { MOMENTUM: false, NESTEROV: false, DECOUPLED: a.decoupled, AMSGRAD: a.vMax !== null },
      constants: { WG },
      bindings: a.vMax ? ['uniform', 'rw', 'read', 'rw', 'rw', 'rw'] : ['uniform', 'rw', 'read', 'rw', 'rw'],
    },
    params,
    [a.param.buffer(a.label), a.grad.buffer(a.label), a.m.buffer(a.label), a.v.buffer(a.label), ...(a.vMax ? [a.vMax.buffer(a.label)] : [])],
    grid1d(rt, a.param.size, WG),
    `${a.label}.${a.decoupled ? 'adamw' : 'adam'}`,
    live &&
      (() => {
        const { lr, t } = live();
        return pack(lr, t);
      }),
  );
}
