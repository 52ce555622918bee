// Launchers for shaders/elementwise.wgsl.
import { ShapeError } from '../errors.ts';
import { sameShape, sizeOf, stridesOf } from '../shape.ts';
import { empty, type Tensor } from '../tensor.ts';
import type { Runtime } from '../gpu/runtime.ts';
import { ParamWriter, grid1d } from './launch.ts';

const WG = 256;
export const MAX_BROADCAST_RANK = 8;

export const UNARY = {
  neg: 0, exp: 1, log: 2, sqrt: 3, square: 4, tanh: 5, relu: 6, sigmoid: 7, affine: 8, abs: 9, recip: 10, sign: 11, pow: 12,
} as const;
export type UnaryKind = keyof typeof UNARY;

export const BINARY = { add: 0, sub: 1, mul: 2, div: 3, maximum: 4, gt: 5, eq: 6, expand: 7, same: 8, maxShare: 9, pow: 10, powDa: 11, powDb: 12 } as const;
export type BinaryKind = keyof typeof BINARY;

/** Whole vec4s: the VEC4 form (4 elements an invocation) applies. */
const vec4 = (n: number): boolean => n > 0 && n % 4 === 0;

/** The grid for n elements: one invocation per vec4 when vec4(n), else per element. */
function grid(rt: Runtime, n: number): [number, number] {
  return grid1d(rt, vec4(n) ? n / 4 : n, WG);
}

/** out = f(a), elementwise. */
export function unaryKernel(kind: UnaryKind, a: Tensor, alpha = 1, beta = 0): Tensor {
  const rt = a.runtime;
  const out = empty(a.shape, 'f32', kind);
  const params = new ParamWriter().u32(a.size).u32(0).f32(alpha).f32(beta).done();
  rt.dispatch(
    { shader: 'elementwise', entry: 'unary', defines: { VEC4: vec4(a.size) }, constants: { WG, OP: UNARY[kind] }, bindings: ['uniform', 'read', 'read', 'rw'] },
    params,
    [a.buffer(kind), a.buffer(kind), out.buffer(kind)],
    grid(rt, a.size),
    `${kind}.forward`,
  );
  return out;
}

/** out = g * f'(x) where x is the op's input or output as documented in the shader. */
export function unaryGradKernel(kind: UnaryKind, x: Tensor, g: Tensor, alpha = 1): Tensor {
  const rt = x.runtime;
  const out = empty(x.shape, 'f32', `${kind}.grad`);
  const params = new ParamWriter().u32(x.size).u32(0).f32(alpha).f32(0).done();
  rt.dispatch(
    { shader: 'elementwise', entry: 'unary_grad', defines: { VEC4: vec4(x.size) }, constants: { WG, OP: UNARY[kind] }, bindings: ['uniform', 'read', 'read', 'rw'] },
    params,
    [x.buffer(kind), g.buffer(kind), out.buffer(kind)],
    grid(rt, x.size),
    `${kind}.backward`,
  );
  return out;
}

/** out = a (op) b with NumPy broadcasting to `outShape` (already validated by the caller). */
export function binaryKernel(kind: BinaryKind, a: Tensor, b: Tensor, outShape: readonly number[], alpha = 1): Tensor {
  const rt = a.runtime;
  const rank = outShape.length;
  if (rank > MAX_BROADCAST_RANK) {
    throw new ShapeError(kind, [a.shape, b.shape], `broadcasting supports rank <= ${MAX_BROADCAST_RANK}`);
  }
  const out = empty(outShape, 'f32', kind);
  const same = sameShape(a.shape, outShape) && sameShape(b.shape, outShape);
  const params = new ParamWriter()
    .u32(sizeOf(outShape))
    .u32(rank)
    .f32(alpha)
    .f32(0)
    .u32x4(outShape, 2, 1)
    .u32x4(broadcastStrides(a.shape, outShape), 2)
    .u32x4(broadcastStrides(b.shape, outShape), 2)
    .done();
  rt.dispatch(
    {
      shader: 'elementwise',
      entry: 'binary',
      defines: { SAME_SHAPE: same, VEC4: same && vec4(out.size) },
      constants: { WG, OP: BINARY[kind] },
      bindings: ['uniform', 'read', 'read', 'rw'],
    },
    params,
    [a.buffer(kind), b.buffer(kind), out.buffer(kind)],
    same ? grid(rt, out.size) : grid1d(rt, out.size, WG),
    `${kind}.forward`,
  );
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
