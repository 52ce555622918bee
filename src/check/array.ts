// A float64 CPU array for the reference implementation (./reference.ts): a shape and a
// row-major Float64Array, with NumPy broadcasting written out index by index. Deliberately
// independent of src/shape.ts and the kernels: it is the oracle they are checked against.

export interface RefArray {
  readonly shape: readonly number[];
  readonly data: Float64Array;
}

export function numel(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}

/** A RefArray from flat values (copied) or from a function of the flat index. */
export function refArray(shape: readonly number[], values: ArrayLike<number> | ((i: number) => number)): RefArray {
  const n = numel(shape);
  const data = new Float64Array(n);
  if (typeof values === 'function') {
    for (let i = 0; i < n; i++) data[i] = values(i);
  } else {
    if (values.length !== n) throw new Error(`refArray: ${values.length} values for shape [${shape.join(', ')}]`);
    data.set(values);
  }
  return { shape: [...shape], data };
}

export const zerosRef = (shape: readonly number[]): RefArray => refArray(shape, () => 0);

/** Row-major coordinates of flat index `i` in `shape`. */
export function coordsOf(i: number, shape: readonly number[]): number[] {
  const c = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    c[d] = i % shape[d];
    i = Math.floor(i / shape[d]);
  }
  return c;
}

/** Flat index of coordinates `c` in `shape`. */
export function indexOf(c: readonly number[], shape: readonly number[]): number {
  let i = 0;
  for (let d = 0; d < shape.length; d++) i = i * shape[d] + c[d];
  return i;
}

/** NumPy broadcast shape (right-aligned, 1 stretches); throws when the shapes conflict. */
export function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let k = rank; k >= 1; k--) {
    const da = a.length - k >= 0 ? a[a.length - k] : 1;
    const db = b.length - k >= 0 ? b[b.length - k] : 1;
    if (da !== db && da !== 1 && db !== 1) throw new Error(`reference: [${a.join(', ')}] and [${b.join(', ')}] do not broadcast`);
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** The flat index in `shape` of the element that output coordinate `c` reads under broadcasting. */
export function broadcastSource(c: readonly number[], shape: readonly number[]): number {
  const lead = c.length - shape.length;
  let i = 0;
  for (let d = 0; d < shape.length; d++) i = i * shape[d] + (shape[d] === 1 ? 0 : c[d + lead]);
  return i;
}

export function map(x: RefArray, f: (v: number, i: number) => number): RefArray {
  return refArray(x.shape, (i) => f(x.data[i], i));
}

/** f(a, b) elementwise with NumPy broadcasting. */
export function zip(a: RefArray, b: RefArray, f: (x: number, y: number) => number): RefArray {
  const shape = broadcastShape(a.shape, b.shape);
  return refArray(shape, (i) => {
    const c = coordsOf(i, shape);
    return f(a.data[broadcastSource(c, a.shape)], b.data[broadcastSource(c, b.shape)]);
  });
}

/** Sum a broadcast result `g` back to `shape`: the adjoint of broadcasting. */
export function unbroadcast(g: RefArray, shape: readonly number[]): RefArray {
  const out = zerosRef(shape);
  for (let i = 0; i < g.data.length; i++) out.data[broadcastSource(coordsOf(i, g.shape), shape)] += g.data[i];
  return out;
}

/** `x` with axes permuted: out.shape[d] = x.shape[perm[d]]. */
export function permuteRef(x: RefArray, perm: readonly number[]): RefArray {
  const shape = perm.map((p) => x.shape[p]);
  return refArray(shape, (i) => {
    const c = coordsOf(i, shape);
    const src = new Array<number>(x.shape.length);
    perm.forEach((p, d) => (src[p] = c[d]));
    return x.data[indexOf(src, x.shape)];
  });
}

/** Same data, another shape with the same element count. */
export function reshapeRef(x: RefArray, shape: readonly number[]): RefArray {
  if (numel(shape) !== x.data.length) throw new Error(`reference: cannot reshape [${x.shape.join(', ')}] to [${shape.join(', ')}]`);
  return refArray(shape, x.data);
}
