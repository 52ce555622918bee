// layerNorm and rmsNorm (PyTorch F.layer_norm / F.rms_norm) over the trailing `normalizedShape`
// dims, as fused kernels (shaders/layernorm.wgsl): one forward pass saves the per-row mean and
// 1/std, one backward pass gives dx, and dw / db are column sums in a fixed order (no atomics),
// so two runs give bit-identical gradients. The composite of mean/sub/square/... is the
// reference (src/check/reference/layernorm.ts) the kernels are tested against.
import { DTypeError, DisposedTensorError, ShapeError, ValueError, fmtShape } from '../errors.ts';
import { option, parseOptions, type OptionsOf } from '../options.ts';
import { sameShape, sizeOf } from '../shape.ts';
import { full, Tensor } from '../tensor.ts';
import { normForwardKernel, normGradParamsKernel, normGradXKernel, type NormDims } from '../kernels/layernorm.ts';
import { apply, defineOp } from './op.ts';

export interface NormAttrs {
  /** The trailing dims normalised over (their product is the row length). */
  normalizedShape: readonly number[];
  eps: number;
}

interface NormSaved {
  x: Tensor;
  w: Tensor;
  stats: Tensor;
}

function dims(x: { shape: readonly number[] }, attrs: NormAttrs, rms: boolean): NormDims {
  const cols = sizeOf(attrs.normalizedShape);
  return { rows: cols ? sizeOf(x.shape) / cols : 0, cols, eps: attrs.eps, rms };
}

/** inputs: x, weight [normalizedShape], bias [normalizedShape] (ones / zeros when not given). */
export const layerNormOp = defineOp<NormAttrs, NormSaved>({
  name: 'layerNorm',
  arity: 3,
  forward: ([x, w, b], attrs) => {
    const { y, stats } = normForwardKernel(x, w, b, dims(x, attrs, false));
    return { out: y, saved: { x, w, stats } };
  },
  backward: (g, { x, w, stats }, { attrs, needsGrad, inputs }) => {
    const d = dims(x, attrs, false);
    const dx = needsGrad[0] ? normGradXKernel(x, w, stats, g, d) : null;
    if (!needsGrad[1] && !needsGrad[2]) return [dx, null, null];
    const { dw, db } = normGradParamsKernel(x, stats, g, d);
    return [dx, shaped(needsGrad[1] ? dw : dispose(dw), inputs[1].shape), shaped(needsGrad[2] ? db : dispose(db), inputs[2].shape)];
  },
});

/** inputs: x, weight [normalizedShape] (ones when not given). */
export const rmsNormOp = defineOp<NormAttrs, NormSaved>({
  name: 'rmsNorm',
  arity: 2,
  forward: ([x, w], attrs) => {
    const { y, stats } = normForwardKernel(x, w, null, dims(x, attrs, true));
    return { out: y, saved: { x, w, stats } };
  },
  backward: (g, { x, w, stats }, { attrs, needsGrad, inputs }) => {
    const d = dims(x, attrs, true);
    const dx = needsGrad[0] ? normGradXKernel(x, w, stats, g, d) : null;
    if (!needsGrad[1]) return [dx, null];
    const { dw } = normGradParamsKernel(x, stats, g, d);
    return [dx, shaped(dw, inputs[1].shape)];
  },
});

function dispose(t: Tensor | null): null {
  t?.dispose();
  return null;
}

/** The [D] column sums as a tensor of the parameter's shape (a view, no copy). */
function shaped(t: Tensor | null, shape: readonly number[]): Tensor | null {
  if (!t || sameShape(t.shape, shape)) return t;
  const v = t.share(shape);
  t.dispose();
  return v;
}

// ------------------------------------------------------------------------ public functions

const LAYER_NORM_OPTIONS = { eps: option.number({ default: 1e-5, min: 0 }) };
/** PyTorch's rms_norm default eps: torch.finfo(float32).eps. */
const F32_EPS = 2 ** -23;
const RMS_NORM_OPTIONS = { eps: option.number({ default: F32_EPS, min: 0 }) };
export type LayerNormOptions = OptionsOf<typeof LAYER_NORM_OPTIONS>;
export type RmsNormOptions = OptionsOf<typeof RMS_NORM_OPTIONS>;

function checkNorm(op: string, x: Tensor, normalizedShape: number | readonly number[], params: [string, Tensor | null | undefined][]): number[] {
  if (!(x instanceof Tensor)) throw new ValueError(op, `input is not a Tensor (got ${typeof x})`);
  if (x.disposed) throw new DisposedTensorError(op, x.describe());
  const ns = typeof normalizedShape === 'number' ? [normalizedShape] : [...(normalizedShape ?? [])];
  if (!Array.isArray(normalizedShape) && typeof normalizedShape !== 'number') {
    throw new ValueError(op, `normalizedShape must be an integer or an array of integers, got ${String(normalizedShape)}`);
  }
  if (ns.length === 0 || !ns.every((d) => Number.isInteger(d) && d > 0)) {
    throw new ShapeError(op, [x.shape], `normalizedShape must be a non-empty list of positive integers, got ${fmtShape(ns)}`);
  }
  if (ns.length > x.rank || !sameShape(x.shape.slice(x.rank - ns.length), ns)) {
    throw new ShapeError(op, [x.shape, ns], `normalizedShape ${fmtShape(ns)} must equal the trailing dims of the input`);
  }
  for (const [name, p] of params) {
    if (p === undefined || p === null) continue;
    if (!(p instanceof Tensor)) throw new ValueError(op, `${name} must be a Tensor or null, got ${typeof p}`);
    if (p.dtype !== 'f32') throw new DTypeError(op, `${name} must be f32, got ${p.dtype} tensor of shape ${fmtShape(p.shape)}`);
    if (!sameShape(p.shape, ns)) {
      throw new ShapeError(op, [x.shape, p.shape], `${name} must have shape normalizedShape ${fmtShape(ns)}`);
    }
  }
  return ns;
}

/**
 * A constant parameter (ones for a missing weight, zeros for a missing bias) of shape `ns`,
 * cached per runtime as an internal handle: tidy() scopes do not own it, and the graph (and
 * gradcheck's replay, which reads every leaf) can still see it after the call returns.
 */
const constants = new WeakMap<object, Map<string, Tensor>>();
function constant(x: Tensor, ns: readonly number[], v: number): Tensor {
  const rt = x.runtime;
  let cache = constants.get(rt);
  if (!cache) constants.set(rt, (cache = new Map()));
  const key = `${v}:${ns.join(',')}`;
  let t = cache.get(key);
  if (!t || t.disposed) {
    const host = full(ns, v, { label: v ? 'norm.ones' : 'norm.zeros' });
    t = host.share(ns, { internal: true });
    host.dispose();
    cache.set(key, t);
  }
  return t;
}

/**
 * Layer normalisation over the trailing `normalizedShape` dims (torch.nn.functional.layer_norm):
 * y = (x - mean) / sqrt(var + eps) * weight + bias, with the biased variance.
 */
export function layerNorm(
  x: Tensor,
  normalizedShape: number | readonly number[],
  weight?: Tensor | null,
  bias?: Tensor | null,
  opts?: LayerNormOptions,
): Tensor {
  const ns = checkNorm('layerNorm', x, normalizedShape, [['weight', weight], ['bias', bias]]);
  const { eps } = parseOptions('layerNorm', opts, LAYER_NORM_OPTIONS);
  return apply(layerNormOp, [x, weight ?? constant(x, ns, 1), bias ?? constant(x, ns, 0)], { normalizedShape: ns, eps });
}

/** RMS normalisation (torch.nn.functional.rms_norm): y = x / sqrt(mean(x^2) + eps) * weight. */
export function rmsNorm(x: Tensor, normalizedShape: number | readonly number[], weight?: Tensor | null, opts?: RmsNormOptions): Tensor {
  const ns = checkNorm('rmsNorm', x, normalizedShape, [['weight', weight]]);
  const { eps } = parseOptions('rmsNorm', opts, RMS_NORM_OPTIONS);
  return apply(rmsNormOp, [x, weight ?? constant(x, ns, 1)], { normalizedShape: ns, eps });
}
