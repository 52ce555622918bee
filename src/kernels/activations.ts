// Launchers for shaders/activations.wgsl (GELU in both forms, SiLU).
import { empty, type Tensor } from '../tensor.ts';
import { ParamWriter, grid1d } from './launch.ts';

const WG = 256;

export const ACTIVATION = { gelu: 0, geluTanh: 1, silu: 2 } as const;
export type ActivationKind = keyof typeof ACTIVATION;

/** y = f(x) (backward: g * f'(x)), elementwise over contiguous f32. */
function launch(kind: ActivationKind, x: Tensor, g: Tensor | null): Tensor {
  const rt = x.runtime;
  const op = kind === 'silu' ? 'silu' : 'gelu';
  const out = empty(x.shape, 'f32', g ? `${op}.grad` : op);
  rt.dispatch(
    { shader: 'activations', entry: g ? 'backward' : 'forward', constants: { WG, OP: ACTIVATION[kind] }, bindings: ['uniform', 'read', 'read', 'rw'] },
    new ParamWriter().u32(x.size).u32(0).u32(0).u32(0).done(),
    [x.buffer(op), g ? g.buffer(op) : rt.placeholder('read'), out.buffer(op)],
    grid1d(rt, x.size, WG),
    `${op}.${g ? 'backward' : 'forward'}`,
  );
  return out;
}

export const activationKernel = (kind: ActivationKind, x: Tensor): Tensor => launch(kind, x, null);
export const activationGradKernel = (kind: ActivationKind, x: Tensor, g: Tensor): Tensor => launch(kind, x, g);
