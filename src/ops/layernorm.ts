// layerNorm and rmsNorm (PyTorch F.layer_norm / F.rms_norm) over the trailing `normalizedShape`
// dims, as fused kernels (shaders/layernorm.wgsl): one forward pass saves the per-row mean and
// 1/std, one backward pass gives dx, and dw / db are column sums in a fixed order (no atomics),
// so two runs give bit-identical gradients. Missing weight / bias are compiled out of the kernels
// (the op then has fewer inputs). The float64 reference is src/check/reference/layernorm.ts.
import { DTypeError, DisposedTensorError, ShapeError, ValueError, fmtShape } from '../errors.ts';
import { option, parseOptions, type OptionsOf } from '../options.ts';
import { sameShape, sizeOf } from '../shape.ts';
import { Tensor } from '../tensor.ts';
import { normForwardKernel, normGradParamsKernel, normGradXKernel, type NormDims } from '../kernels/layernorm.ts';
import { apply, defineOp, type OpDef } from './op.ts';

export interface NormAttrs {
  /** The trailing dims normalised over (their product is the row length). */
  normalizedShape: readonly number[];
  eps: number;
  /** Whether the inputs after x include a weight, then (layer norm) a bias. */
  weight: boolean;
  bias: boolean;
}

/** Saved for backward. Exported because dist/ops/registry.d.ts names it in OPS's type. */
export interface NormSaved {
  x: Tensor;
  w: Tensor | null;
  stats: Tensor;
}

function dims(x: { shape: readonly number[] }, attrs: NormAttrs, rms: boolean): NormDims {
  const cols = sizeOf(attrs.normalizedShape);
  return { rows: cols ? sizeOf(x.shape) / cols : 0, cols, eps: attrs.eps, rms, weight: attrs.weight, bias: attrs.bias };
}

/** The view of a [D] column sum as the parameter's shape (no copy). */
function shaped(t: Tensor | null, shape: readonly number[]): Tensor | null {
  if (!t || sameShape(t.shape, shape)) return t;
  const v = t.share(shape);
  t.dispose();
  return v;
}

/**
 * The normalisation op over inputs [x, weight?, bias?] (which are present is in the attrs): one
 * definition, with one OpDef per arity as concat does (apply() checks the input count).
 */
function normOp(name: 'layerNorm' | 'rmsNorm') {
  const rms = name === 'rmsNorm';
  return defineOp<NormAttrs, NormSaved>({
    name,
    arity: rms ? 2 : 3,
    forward: ([x, ...params], attrs) => {
      const w = attrs.weight ? params[0] : null;
      const b = attrs.bias ? params[attrs.weight ? 1 : 0] : null;
      const { y, stats } = normForwardKernel(x, w, b, dims(x, attrs, rms));
      return { out: y, saved: { x, w, stats } };
    },
    backward: (g, { x, w, stats }, { attrs, needsGrad, inputs }) => {
      const d = dims(x, attrs, rms);
      const dx = needsGrad[0] ? normGradXKernel(x, w, stats, g, d) : null;
      if (!needsGrad.slice(1).some(Boolean)) return [dx, ...inputs.slice(1).map(() => null)];
      const { dw, db } = normGradParamsKernel(x, stats, g, d);
      const grads = [dw, db].filter((t, i) => (i === 0 ? attrs.weight : attrs.bias));
      return [dx, ...grads.map((t, i) => (needsGrad[i + 1] ? shaped(t, inputs[i + 1].shape) : (t?.dispose(), null)))];
    },
  });
}

export const layerNormOp = normOp('layerNorm');
export const rmsNormOp = normOp('rmsNorm');

const variants = new Map<string, OpDef<NormAttrs, NormSaved>>();
function withArity(op: OpDef<NormAttrs, NormSaved>, arity: number): OpDef<NormAttrs, NormSaved> {
  if (arity === op.arity) return op;
  const key = `${op.name}:${arity}`;
  let v = variants.get(key);
  if (!v) variants.set(key, (v = { ...op, arity }));
  return v;
}

// ------------------------------------------------------------------------ public functions

const LAYER_NORM_OPTIONS = { eps: option.number({ default: 1e-5, min: 0 }) };
/** PyTorch's rms_norm default eps: torch.finfo(float32).eps. */
const F32_EPS = 2 ** -23;
const RMS_NORM_OPTIONS = { eps: option.number({ default: F32_EPS, min: 0 }) };
/** Options of `layerNorm(x, normalizedShape, opts)`. */
export type LayerNormOptions = OptionsOf<typeof LAYER_NORM_OPTIONS>;
/** Options of `rmsNorm(x, normalizedShape, opts)`. */
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
  const params = [weight, bias].filter((p): p is Tensor => !!p);
  return apply(withArity(layerNormOp, 1 + params.length), [x, ...params], { normalizedShape: ns, eps, weight: !!weight, bias: !!bias });
}

/** RMS normalisation (torch.nn.functional.rms_norm): y = x / sqrt(mean(x^2) + eps) * weight. */
export function rmsNorm(x: Tensor, normalizedShape: number | readonly number[], weight?: Tensor | null, opts?: RmsNormOptions): Tensor {
  const ns = checkNorm('rmsNorm', x, normalizedShape, [['weight', weight]]);
  const { eps } = parseOptions('rmsNorm', opts, RMS_NORM_OPTIONS);
  return apply(withArity(rmsNormOp, weight ? 2 : 1), weight ? [x, weight] : [x], { normalizedShape: ns, eps, weight: !!weight, bias: false });
}
