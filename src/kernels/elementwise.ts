// Launchers for shaders/elementwise.wgsl: each op packs its ElementwiseDims and asks the
// variant table (elementwise-variants.ts: scalar, vec4, vec4x4) once.
import { ShapeError, ValueError } from '../errors.ts';
import { sameShape, sizeOf, stridesOf } from '../shape.ts';
import { empty, type Tensor } from '../tensor.ts';
import type { Runtime } from '../gpu/runtime.ts';
import { ELEMENTWISE, ELEMENTWISE_VARIANT_NAMES, type ElementwiseDims } from './elementwise-variants.ts';

export const MAX_BROADCAST_RANK = 8;

/** The shader's define for each op (shaders/elementwise.wgsl: one op per module). */
export const UNARY = {
  neg: 'U_NEG', exp: 'U_EXP', log: 'U_LOG', sqrt: 'U_SQRT', square: 'U_SQUARE', tanh: 'U_TANH', relu: 'U_RELU',
  sigmoid: 'U_SIGMOID', affine: 'U_AFFINE', abs: 'U_ABS', recip: 'U_RECIP', sign: 'U_SIGN', pow: 'U_POW',
} as const;
export type UnaryKind = keyof typeof UNARY;

export const BINARY = {
  add: 'B_ADD', sub: 'B_SUB', mul: 'B_MUL', div: 'B_DIV', maximum: 'B_MAXIMUM', gt: 'B_GT', eq: 'B_EQ', expand: 'B_EXPAND',
  same: 'B_SAME', maxShare: 'B_MAX_SHARE', pow: 'B_POW_A', powDa: 'B_POW_DA', powDb: 'B_POW_DB',
} as const;
export type BinaryKind = keyof typeof BINARY;

/**
 * WEBGRAD_ELEMENTWISE (Node) forces a variant wherever it fits (tests run every record over
 * the elementwise shapes this way); launches it cannot run (a broadcast for vec4) keep the
 * default. An unknown name is an error.
 */
function forcedFor(d: ElementwiseDims, op: string): string | undefined {
  const env = typeof process !== 'undefined' ? process.env?.WEBGRAD_ELEMENTWISE : undefined;
  if (!env) return undefined;
  const r = ELEMENTWISE.byName.get(env);
  if (!r) throw new ValueError(op, `unknown elementwise variant '${env}' in WEBGRAD_ELEMENTWISE (one of ${ELEMENTWISE_VARIANT_NAMES.join(', ')})`);
  return (r.fits?.(d) ?? true) ? env : undefined;
}

function launch(d: ElementwiseDims, buffers: GPUBuffer[], rt: Runtime, label: string, dispatchLabel: string): void {
  ELEMENTWISE.launch(rt, d, forcedFor(d, label), buffers, label, dispatchLabel);
}

/** out = f(a), elementwise. */
export function unaryKernel(kind: UnaryKind, a: Tensor, alpha = 1, beta = 0): Tensor {
  const out = empty(a.shape, 'f32', kind);
  const d: ElementwiseDims = { entry: 'unary', op: UNARY[kind], n: a.size, same: true, alpha, beta };
  launch(d, [a.buffer(kind), a.buffer(kind), out.buffer(kind)], a.runtime, kind, `${kind}.forward`);
  return out;
}

/** out = g * f'(x) where x is the op's input or output as documented in the shader. */
export function unaryGradKernel(kind: UnaryKind, x: Tensor, g: Tensor, alpha = 1): Tensor {
  const out = empty(x.shape, 'f32', `${kind}.grad`);
  const d: ElementwiseDims = { entry: 'unary_grad', op: UNARY[kind], n: x.size, same: true, alpha, beta: 0 };
  launch(d, [x.buffer(kind), g.buffer(kind), out.buffer(kind)], x.runtime, kind, `${kind}.backward`);
  return out;
}

/** out = a (op) b with NumPy broadcasting to `outShape` (already validated by the caller). */
export function binaryKernel(kind: BinaryKind, a: Tensor, b: Tensor, outShape: readonly number[], alpha = 1): Tensor {
  const rank = outShape.length;
  if (rank > MAX_BROADCAST_RANK) {
    throw new ShapeError(kind, [a.shape, b.shape], `broadcasting supports rank <= ${MAX_BROADCAST_RANK}`);
  }
  const out = empty(outShape, 'f32', kind);
  const same = sameShape(a.shape, outShape) && sameShape(b.shape, outShape);
  const d: ElementwiseDims = {
    entry: 'binary', op: BINARY[kind], n: sizeOf(outShape), same, alpha, beta: 0,
    outShape, aStrides: broadcastStrides(a.shape, outShape), bStrides: broadcastStrides(b.shape, outShape),
  };
  launch(d, [a.buffer(kind), b.buffer(kind), out.buffer(kind)], a.runtime, kind, `${kind}.forward`);
  return out;
}

/** Strides of `shape` seen from `outShape` (right-aligned), 0 on broadcast dims. */
export function broadcastStrides(shape: readonly number[], outShape: readonly number[]): number[] {
  const s = stridesOf(shape);
  const lead = outShape.length - shape.length;
  return outShape.map((_, i) => (i < lead || shape[i - lead] === 1 ? 0 : s[i - lead]));
}

/** alpha * x broadcast to `outShape` (e.g. the gradient of a reduction). */
export function expandKernel(x: Tensor, outShape: readonly number[], alpha = 1): Tensor {
  return binaryKernel('expand', x, x, outShape, alpha);
}
