// The types shared by the float64 reference's family files (see ../reference.ts).
import type { OpDef } from '../../ops/op.ts';
import type { OPS, OpName } from '../../ops/registry.ts';
import type { RefArray } from '../array.ts';

export interface RefOp<A> {
  forward(inputs: readonly RefArray[], attrs: A): RefArray;
  /** d(sum(out * dY)) / d(input) for each input; null for inputs that are data (labels). */
  backward(inputs: readonly RefArray[], attrs: A, dY: RefArray): (RefArray | null)[];
}

/** The attributes type of an op in OPS, so each reference takes exactly what the op takes. */
export type AttrsOf<K extends OpName> = (typeof OPS)[K] extends OpDef<infer A, any> ? A : never;
export type ReferenceTable = { readonly [K in OpName]: RefOp<AttrsOf<K>> };

/** The part of the table one family file provides. */
export type RefFamily<K extends OpName> = { readonly [P in K]: RefOp<AttrsOf<P>> };
