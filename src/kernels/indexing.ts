// Launchers for shaders/indexing.wgsl: row gathers (embedding, indexSelect) and their
// deterministic scatter-add gradient through a stable counting sort of the indices.
import type { BindingKind } from '../gpu/pipelines.ts';
import type { Runtime } from '../gpu/runtime.ts';
import { empty, type Tensor } from '../tensor.ts';
import { ParamWriter, grid1d } from './launch.ts';

const WG = 64;
const BUCKET: BindingKind[] = ['uniform', 'read', 'read', 'rw', 'rw', 'rw', 'rw'];
/** Positions per chunk of the counting sort, at least; the histograms stay within MAX_HIST entries. */
const CHUNK = 256;
const MAX_HIST = 2 ** 22;

/** x viewed as [outer, v, inner] around the indexed dim; n indices. */
export interface RowsDims {
  outer: number;
  v: number;
  inner: number;
  n: number;
  /** Row whose gradient is zero (embedding's paddingIdx), or -1. */
  padding: number;
}

const params = (d: RowsDims, n = d.n, chunk = CHUNK) =>
  new ParamWriter().u32(d.outer).u32(d.v).u32(d.inner).u32(n).i32(d.padding).u32(0).u32(chunk).u32(0).done();

/** out[o, j, k] = x[o, idx[j], k] with shape `outShape` (NaN for an index outside [0, v)). */
export function gatherRowsKernel(x: Tensor, idx: Tensor, d: RowsDims, outShape: readonly number[], op: string): Tensor {
  const rt = x.runtime;
  const out = empty(outShape, 'f32', op);
  rt.dispatch(
    { shader: 'indexing', entry: 'gather_rows', constants: { WG }, bindings: ['uniform', 'read', 'read', 'rw'] },
    params(d),
    [x.buffer(op), idx.buffer(op), out.buffer(op)],
    grid1d(rt, d.outer * d.n * d.inner, WG),
    `${op}.forward`,
  );
  return out;
}

/** dx[o, v, k] = sum over j with idx[j] == v of g[o, j, k], in increasing j (bit-reproducible). */
export function scatterRowsKernel(g: Tensor, idx: Tensor, d: RowsDims, xShape: readonly number[], op: string): Tensor {
  const rt: Runtime = g.runtime;
  const chunk = Math.max(CHUNK, Math.ceil((d.n * d.v) / MAX_HIST));
  const chunks = Math.ceil(d.n / chunk);
  const cnt = empty([d.v], 'i32', `${op}.counts`);
  const off = empty([d.v + 1], 'i32', `${op}.offsets`);
  const ord = empty([Math.max(d.n, 1)], 'i32', `${op}.order`);
  const hist = empty([Math.max(chunks * d.v, 1)], 'i32', `${op}.histograms`);
  const none = rt.placeholder('read');
  const pass = (entry: string, p: Uint8Array, threads: number, wg = WG) =>
    rt.dispatch(
      { shader: 'indexing', entry, constants: wg === WG ? { WG } : {}, bindings: BUCKET },
      p,
      [none, idx.buffer(op), cnt.buffer(op), off.buffer(op), ord.buffer(op), hist.buffer(op)],
      wg === WG ? grid1d(rt, threads, WG) : [1, 1],
      `${op}.backward.${entry}`,
    );
  const p = params(d, d.n, chunk);
  pass('fill_i32', params(d, chunks * d.v, chunk), chunks * d.v);
  pass('chunk_hist', p, chunks);
  pass('chunk_scan', p, d.v);
  pass('bucket_scan', p, 1, 1);
  pass('bucket_fill', p, d.n);
  const dx = empty(xShape, 'f32', `${op}.grad`);
  rt.dispatch(
    { shader: 'indexing', entry: 'accumulate', constants: { WG }, bindings: ['uniform', 'read', 'read', 'rw', 'read', 'read'] },
    params(d),
    [g.buffer(op), idx.buffer(op), dx.buffer(op), off.buffer(op), ord.buffer(op)],
    grid1d(rt, d.outer * d.v * d.inner, WG),
    `${op}.backward.accumulate`,
  );
  for (const t of [cnt, off, ord, hist]) t.dispose();
  return dx;
}

/** torch.gather's forward (out has idx's shape) or, with `grad`, its scatter-add backward (out has xShape). */
export function gatherKernel(src: Tensor, idx: Tensor, dim: number, xShape: readonly number[], grad: boolean): Tensor {
  const rt = src.runtime;
  const op = grad ? 'gather.grad' : 'gather';
  const out = empty(grad ? xShape : idx.shape, 'f32', op);
  const params = new ParamWriter().u32(idx.rank).u32(dim).u32(out.size).u32(0).u32x4(idx.shape, 2, 1).u32x4(xShape, 2, 1).done();
  rt.dispatch(
    { shader: 'indexing', entry: grad ? 'gather_nd_grad' : 'gather_nd', constants: { WG }, bindings: ['uniform', 'read', 'read', 'rw'] },
    params,
    [src.buffer(op), idx.buffer(op), out.buffer(op)],
    grid1d(rt, out.size, WG),
    grad ? 'gather.backward' : 'gather.forward',
  );
  return out;
}
