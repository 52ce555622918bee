// Pure shape math: sizes, strides, broadcasting and axis normalisation. No GPU here,
// so everything in this file is testable on its own.
import { ShapeError, ValueError, fmtShape, type Shape } from './errors.ts';

export type { Shape };

/** The number of elements of a shape (1 for a scalar). */
export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function stridesOf(shape: Shape): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function checkShape(op: string, shape: Shape): number[] {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new ValueError(op, `shape ${fmtShape(shape)} must contain non-negative integers`);
    }
  }
  return [...shape];
}

/** NumPy broadcasting: align right, a dim of 1 stretches. */
export function broadcastShapes(op: string, a: Shape, b: Shape): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError(op, [a, b], `shapes are not broadcastable: dim ${i} is ${da} vs ${db}, expected equal or 1`);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Normalise a possibly negative axis; throws naming the op when out of range. */
export function normalizeAxis(op: string, axis: number, rank: number): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= Math.max(rank, 1)) {
    throw new ValueError(op, `axis ${axis} is out of range for a tensor of rank ${rank} (expected ${-rank} <= axis < ${rank})`);
  }
  return axis < 0 ? axis + rank : axis;
}

/** Resolve a reshape target that may contain one -1. */
export function resolveReshape(op: string, from: Shape, to: Shape): number[] {
  const out = [...to];
  const inferred = out.indexOf(-1);
  if (out.filter((d) => d === -1).length > 1) {
    throw new ShapeError(op, [from, to], 'at most one dimension may be -1');
  }
  const known = sizeOf(out.filter((d) => d !== -1));
  if (inferred >= 0) {
    if (known === 0 || sizeOf(from) % known !== 0) {
      throw new ShapeError(op, [from, to], `cannot infer the -1 dimension: ${sizeOf(from)} elements do not divide by ${known}`);
    }
    out[inferred] = sizeOf(from) / known;
  }
  checkShape(op, out);
  if (sizeOf(out) !== sizeOf(from)) {
    throw new ShapeError(op, [from, out], `cannot reshape ${sizeOf(from)} elements into ${sizeOf(out)}`);
  }
  return out;
}

/** The axes along which `from` was broadcast to reach `to` (used to reduce gradients back). */
export function broadcastAxes(from: Shape, to: Shape): number[] {
  const axes: number[] = [];
  const lead = to.length - from.length;
  for (let i = 0; i < to.length; i++) {
    const d = i < lead ? 1 : from[i - lead];
    if (d === 1 && to[i] !== 1) axes.push(i);
    else if (i < lead) axes.push(i);
  }
  return axes;
}

/** Nested JavaScript arrays of numbers, as `tensor()` accepts them. */
export type NestedArray = number | boolean | NestedArray[];

const at = (path: number[]) => path.map((i) => `[${i}]`).join('') || 'the top level';

/**
 * Shape of a (rectangular) nested array of numbers or booleans. A ragged array is refused
 * naming the first element that differs from element [0], its length and the expected one.
 */
export function inferShape(op: string, data: NestedArray): number[] {
  const shape: number[] = [];
  let cur: NestedArray = data;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    if (cur.length === 0) break;
    cur = cur[0];
  }
  const path: number[] = [];
  const check = (v: NestedArray, depth: number): void => {
    if (depth === shape.length) {
      if (Array.isArray(v)) {
        throw new ValueError(op, `nested array is ragged: element ${at(path)} is an array of length ${v.length}, expected a number (like element ${at(path.map(() => 0))})`);
      }
      if (typeof v !== 'number' && typeof v !== 'boolean') {
        throw new ValueError(op, `element ${at(path)} of the nested array is ${v === null ? 'null' : typeof v}, expected a number`);
      }
      return;
    }
    if (!Array.isArray(v)) {
      throw new ValueError(op, `nested array is ragged: element ${at(path)} is a ${typeof v}, expected an array of length ${shape[depth]}`);
    }
    if (v.length !== shape[depth]) {
      const first = at([...path.map(() => 0), 0].slice(0, depth));
      throw new ShapeError(op, [[shape[depth]], [v.length]], `nested array is ragged: element ${at(path)} has length ${v.length}, expected ${shape[depth]} (the length of element ${first})`);
    }
    v.forEach((x, i) => {
      path.push(i);
      check(x, depth + 1);
      path.pop();
    });
  };
  check(data, 0);
  return shape;
}

export function flatten(data: NestedArray, out: number[] = []): number[] {
  if (Array.isArray(data)) for (const x of data) flatten(x, out);
  else out.push(typeof data === 'boolean' ? Number(data) : data);
  return out;
}

export function unflatten(values: ArrayLike<number>, shape: Shape): NestedArray {
  if (shape.length === 0) return values[0];
  const strides = stridesOf(shape);
  const build = (depth: number, offset: number): NestedArray => {
    if (depth === shape.length - 1) return Array.from({ length: shape[depth] }, (_, i) => values[offset + i]);
    return Array.from({ length: shape[depth] }, (_, i) => build(depth + 1, offset + i * strides[depth]));
  };
  return build(0, 0);
}
