// Launchers for shaders/conv.wgsl: conv2d forward and its three gradients, by two algorithms
// (which one runs: algorithm() below). im2col + the matmul kernels (src/kernels/matmul.ts,
// which choose their own variant per adapter family), or direct kernels without columns.
// The column matrix of a chunk of images is created, used by one matmul and released within
// the same call: it never outlives the step. Chunks keep it under CHUNK_BYTES (and under the
// device's binding limit); each chunk's matmul writes a [O, nb, L] block that to_nchw moves
// into the NCHW output, so chunking changes no result (dw sums the chunks in order).
import { LimitError } from '../errors.ts';
import type { Runtime } from '../gpu/runtime.ts';
import { empty, type Tensor } from '../tensor.ts';
import { ParamWriter, grid1d } from './launch.ts';
import { matmulKernel } from './matmul.ts';
import { reduceKernel } from './reduce.ts';

const WG = 256;
/** Largest column matrix of one chunk (bytes): big enough for the matmul to run at speed. */
const CHUNK_BYTES = 32 * 1024 * 1024;
const BINDINGS = ['uniform', 'read', 'read', 'rw'] as const;

/** A conv2d's geometry, resolved by src/ops/conv.ts (padding = the leading pad of each axis). */
export interface ConvGeometry {
  N: number;
  C: number;
  H: number;
  W: number;
  O: number;
  groups: number;
  kH: number;
  kW: number;
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
  OH: number;
  OW: number;
}

type Entry = 'im2col' | 'col2im' | 'to_nchw' | 'from_nchw' | 'accumulate' | 'bias_partial' | 'direct_forward' | 'direct_dx' | 'direct_dw';
const DIRECT: readonly Entry[] = ['direct_forward', 'direct_dx', 'direct_dw'];

/** How im2col / from_nchw cut a chunk: S splits of nbs images, `run` entries per invocation. */
interface Layout {
  splits: number;
  nbs: number;
  run: number;
}

function launch(
  rt: Runtime, entry: Entry, g: ConvGeometry, n: number, chunk: { n0: number; nb: number }, bufs: GPUBuffer[], hasBias: boolean, label: string,
  splits = 1, layout: Layout = { splits, nbs: chunk.nb, run: 1 },
): void {
  const p = new ParamWriter()
    .u32(n).u32(chunk.nb).u32(chunk.n0)
    .u32(g.C).u32(g.H).u32(g.W).u32(g.O).u32(g.groups)
    .u32(g.kH).u32(g.kW)
    .u32(g.stride[0]).u32(g.stride[1])
    .u32(g.padding[0]).u32(g.padding[1])
    .u32(g.dilation[0]).u32(g.dilation[1])
    .u32(g.OH).u32(g.OW)
    .u32(hasBias ? 1 : 0).u32(layout.splits)
    .u32(layout.nbs).u32(layout.run).u32(0).u32(0)
    .done();
  const bindings = DIRECT.includes(entry) ? [...BINDINGS, 'read' as const] : [...BINDINGS];
  rt.dispatch({ shader: 'conv', entry, constants: { WG }, bindings }, p, bufs, grid1d(rt, n, WG), label);
}

const kg = (g: ConvGeometry) => (g.C / g.groups) * g.kH * g.kW;

/** Chunks of images whose column matrix (and matmul output) stay under the byte budget. */
function chunks(rt: Runtime, g: ConvGeometry, op: string): { n0: number; nb: number }[] {
  const perImage = Math.max(g.groups * kg(g), g.O) * g.OH * g.OW * 4;
  const budget = Math.min(CHUNK_BYTES, rt.limits.maxStorageBufferBindingSize);
  if (perImage > budget) {
    throw new LimitError(op, `one image's column matrix needs ${perImage} bytes, more than ${budget}; use a smaller input or kernel`);
  }
  const nb = Math.max(1, Math.min(g.N, Math.floor(budget / perImage)));
  const out: { n0: number; nb: number }[] = [];
  for (let n0 = 0; n0 < g.N; n0 += nb) out.push({ n0, nb: Math.min(nb, g.N - n0) });
  return out;
}

/** S splits of ceil(nb / S) images (the last padded with zero images). */
function split(c: { nb: number }, S: number): { splits: number; nbs: number } {
  const nbs = Math.ceil(c.nb / S);
  return { splits: Math.ceil(c.nb / nbs), nbs };
}

/**
 * cols [S, G, Kg, nbs * L] of images n0 .. n0 + nb in S splits (S = 1: [G, Kg, nb * L]). CPU
 * drivers write a row of OW entries per invocation, GPUs one entry (see shaders/conv.wgsl).
 */
function im2col(x: Tensor, g: ConvGeometry, c: { n0: number; nb: number }, label: string, S = 1): Tensor {
  const rt = x.runtime;
  const L = g.OH * g.OW;
  const { splits, nbs } = split(c, S);
  const run = rt.kind.cpu ? g.OW : 1;
  const cols = empty([splits * g.groups, kg(g), nbs * L], 'f32', `${label}.cols`);
  const n = (cols.size / g.OW) * Math.ceil(g.OW / run);
  launch(rt, 'im2col', g, n, c, [x.buffer(label), rt.placeholder('read'), cols.buffer(label)], false, `${label}.im2col`, splits, { splits, nbs, run });
  return cols;
}

/** dy of images n0 .. n0 + nb as gt [S, O, nbs * L] (S = 1: [O, nb * L], the matmul layout). */
function gtLayout(dy: Tensor, g: ConvGeometry, c: { n0: number; nb: number }, label: string, S = 1): Tensor {
  const rt = dy.runtime;
  const L = g.OH * g.OW;
  const { splits, nbs } = split(c, S);
  const run = rt.kind.cpu ? L : 1;
  const gt = empty([splits, g.O, nbs * L], 'f32', `${label}.gt`);
  const n = (gt.size / L) * Math.ceil(L / run);
  launch(rt, 'from_nchw', g, n, c, [dy.buffer(label), rt.placeholder('read'), gt.buffer(label)], false, `${label}.gt`, splits, { splits, nbs, run });
  return gt;
}

/**
 * Splits of dw's matmul: one [Og, Kg] product over nb*L is a single output tile (one
 * workgroup) for small layers, so S image splits give S*G workgroups, whose partials a column
 * sum adds in order. 1 when the weight is large enough to have tiles of its own or when the
 * padded splits would not fit the chunk's byte budget.
 */
function dwSplits(rt: Runtime, g: ConvGeometry, c: { nb: number }): number {
  const target = rt.kind.cpu ? DW_SPLITS_CPU : DW_SPLITS_GPU;
  const tiles = Math.ceil(g.O / g.groups / 64) * Math.ceil(kg(g) / 64) * g.groups;
  const S = Math.max(1, Math.min(c.nb, Math.floor(target / tiles)));
  const { splits, nbs } = split(c, S);
  const perImage = Math.max(g.groups * kg(g), g.O) * g.OH * g.OW * 4;
  return splits * nbs * perImage <= Math.min(CHUNK_BYTES, rt.limits.maxStorageBufferBindingSize) ? S : 1;
}

/** Workgroups dw's matmul aims for: CPU drivers (lavapipe, SwiftShader) run one per core thread; GPUs want many more (not measured on one). */
const DW_SPLITS_CPU = 8;
const DW_SPLITS_GPU = 32;

export type ConvAlgorithm = 'im2col' | 'direct';

/** WEBGRAD_CONV (Node) forces one algorithm for all three passes (tests run both). */
function forced(): ConvAlgorithm | null {
  const env = typeof process !== 'undefined' ? process.env?.WEBGRAD_CONV : undefined;
  return env === 'im2col' || env === 'direct' ? env : null;
}

/**
 * The measured rule (docs/ARCHITECTURE.md "Convolution"): the forward is direct on CPU drivers,
 * where it beat im2col + the tuned matmul on both benchmark layers; im2col + the tiled matmul
 * kernels on GPUs. The gradients are im2col + matmul + col2im on both families: direct dx / dw
 * were no faster on lavapipe (slower on the 64-channel layer).
 */
function algorithm(rt: Runtime, pass: 'forward' | 'backward'): ConvAlgorithm {
  return forced() ?? (pass === 'forward' && rt.kind.cpu ? 'direct' : 'im2col');
}

/** y = conv2d(x, w) + b without a column matrix (direct_forward in shaders/conv.wgsl). */
function directForward(x: Tensor, w: Tensor, b: Tensor | null, g: ConvGeometry): Tensor {
  const rt = x.runtime;
  const y = empty([g.N, g.O, g.OH, g.OW], 'f32', 'conv2d');
  const n = g.N * g.groups * Math.ceil(g.O / g.groups / 4) * g.OH * Math.ceil(g.OW / 4);
  const bufs = [x.buffer('conv2d'), b ? b.buffer('conv2d') : rt.placeholder('read'), y.buffer('conv2d'), w.buffer('conv2d')];
  launch(rt, 'direct_forward', g, n, { n0: 0, nb: g.N }, bufs, b !== null, 'conv2d.forward');
  return y;
}

/** y = conv2d(x, w) + b: per chunk, yt[g] = w[g] [Og, Kg] x cols[g] [Kg, nb*L], moved to NCHW. */
export function conv2dForwardKernel(x: Tensor, w: Tensor, b: Tensor | null, g: ConvGeometry): Tensor {
  const rt = x.runtime;
  const label = 'conv2d';
  const L = g.OH * g.OW;
  const Og = g.O / g.groups;
  const K = kg(g);
  if (algorithm(rt, 'forward') === 'direct') return directForward(x, w, b, g);
  const y = empty([g.N, g.O, g.OH, g.OW], 'f32', label);
  for (const c of chunks(rt, g, label)) {
    const cols = im2col(x, g, c, label);
    const yt = matmulKernel({
      a: w, b: cols, M: Og, N: c.nb * L, K, batch: g.groups,
      aBatchStride: Og * K, bBatchStride: K * c.nb * L, outShape: [g.groups, Og, c.nb * L], label: `${label}.matmul`,
    });
    cols.dispose();
    const run = rt.kind.cpu ? L : 1;
    const bufs = [yt.buffer(label), b ? b.buffer(label) : rt.placeholder('read'), y.buffer(label)];
    launch(rt, 'to_nchw', g, c.nb * g.O * Math.ceil(L / run), c, bufs, b !== null, `${label}.forward`, 1, { splits: 1, nbs: c.nb, run });
    yt.dispose();
  }
  return y;
}

/** Invocations direct_dw aims for: the images are split into this many / (weights) partial sums. */
const DW_TARGET_INVOCATIONS = 4096;

function directDx(dy: Tensor, w: Tensor, g: ConvGeometry): Tensor {
  const rt = dy.runtime;
  const dx = empty([g.N, g.C, g.H, g.W], 'f32', 'conv2d.dx');
  launch(rt, 'direct_dx', g, dx.size, { n0: 0, nb: g.N }, [dy.buffer('conv2d'), rt.placeholder('read'), dx.buffer('conv2d'), w.buffer('conv2d')], false, 'conv2d.dx');
  return dx;
}

/** dw as S partial sums over interleaved images, summed in order by a column sum (no atomics). */
function directDw(dy: Tensor, x: Tensor, w: Tensor, g: ConvGeometry): Tensor {
  const rt = dy.runtime;
  const S = Math.max(1, Math.min(g.N, Math.ceil(DW_TARGET_INVOCATIONS / w.size)));
  const part = empty(S > 1 ? [S, ...w.shape] : w.shape, 'f32', 'conv2d.dw');
  launch(rt, 'direct_dw', g, part.size, { n0: 0, nb: g.N }, [x.buffer('conv2d'), rt.placeholder('read'), part.buffer('conv2d'), dy.buffer('conv2d')], false, 'conv2d.dw', S);
  if (S === 1) return part;
  const dw = reduceKernel('sum', part, [0]);
  part.dispose();
  return dw;
}

/** Invocations of bias_partial (CPU drivers): enough to keep every core thread busy. */
const BIAS_PARTIALS = 256;

/**
 * db[o] = sum_{n, oh, ow} dy[n, o, oh, ow] in two deterministic passes: per (n, o) over the
 * plane (many outputs: the serial entry on CPU drivers), then a column sum over n. One pass over
 * [0, 2, 3] has only O outputs, each a tree over N * OH * OW; the two passes took 50-70 ms vs
 * 75-130 ms for SimpleConvNet's [100, 30, 24, 24] on lavapipe.
 */
function biasGrad(dy: Tensor, g: ConvGeometry): Tensor {
  const rt = dy.runtime;
  if (rt.kind.cpu) {
    // CPU drivers: bias_partial's plane sums (a contiguous loop with no index arithmetic per
    // element; the reduction's per-element index decomposition took ~40 ms of a ~360 ms
    // SimpleConvNet step on lavapipe), then the column sum of the S partials.
    const S = Math.max(1, Math.min(g.N, Math.ceil(BIAS_PARTIALS / g.O)));
    const part = empty([S, g.O], 'f32', 'conv2d.db');
    launch(rt, 'bias_partial', g, part.size, { n0: 0, nb: g.N }, [dy.buffer('conv2d'), rt.placeholder('read'), part.buffer('conv2d')], false, 'conv2d.db', S);
    const db = reduceKernel('sum', part, [0]);
    part.dispose();
    return db;
  }
  const perImage = reduceKernel('sum', dy, [2, 3]);
  const db = reduceKernel('sum', perImage, [0]);
  perImage.dispose();
  return db;
}

export interface ConvGrads {
  dx: Tensor | null;
  dw: Tensor | null;
  db: Tensor | null;
}

/**
 * The three gradients of conv2d given dy [N, O, OH, OW]:
 *   dw[g] = sum over chunks of gt[g] [Og, nb*L] x cols[g]^T   (cols recomputed from x)
 *   dcols[g] = w[g]^T [Kg, Og] x gt[g], then col2im (a gather) into dx
 *   db[o] = sum_{n, l} dy[n, o, l]
 */
export function conv2dBackwardKernel(dy: Tensor, x: Tensor, w: Tensor, g: ConvGeometry, want: { dx: boolean; dw: boolean; db: boolean }): ConvGrads {
  const rt = dy.runtime;
  const label = 'conv2d.backward';
  const L = g.OH * g.OW;
  const Og = g.O / g.groups;
  const K = kg(g);
  const db = want.db ? biasGrad(dy, g) : null;
  if (algorithm(rt, 'backward') === 'direct') {
    return { dx: want.dx ? directDx(dy, w, g) : null, dw: want.dw ? directDw(dy, x, w, g) : null, db };
  }
  const dx = want.dx ? empty(x.shape, 'f32', 'conv2d.dx') : null;
  let dw: Tensor | null = null;
  if (want.dx || want.dw) {
    for (const c of chunks(rt, g, label)) {
      const S = want.dw ? dwSplits(rt, g, c) : 1;
      const gtS = gtLayout(dy, g, c, label, S);
      if (want.dw) {
        const cols = im2col(x, g, c, label, S);
        const { splits, nbs } = split(c, S);
        const prod = matmulKernel({
          a: gtS, b: cols, M: Og, N: K, K: nbs * L, batch: splits * g.groups, transB: true,
          aBatchStride: Og * nbs * L, bBatchStride: K * nbs * L, outShape: splits > 1 ? [splits, ...w.shape] : w.shape, label: 'conv2d.dw',
        });
        cols.dispose();
        const part = splits > 1 ? reduceKernel('sum', prod, [0]) : prod;
        if (part !== prod) prod.dispose();
        if (dw === null) {
          dw = part;
        } else {
          launch(rt, 'accumulate', g, dw.size, c, [part.buffer(label), rt.placeholder('read'), dw.buffer(label)], false, 'conv2d.dw.accumulate');
          part.dispose();
        }
      }
      if (dx) {
        const gt = S === 1 ? gtS : gtLayout(dy, g, c, label);
        const dcols = matmulKernel({
          a: w, b: gt, M: K, N: c.nb * L, K: Og, batch: g.groups, transA: true,
          aBatchStride: Og * K, bBatchStride: Og * c.nb * L, outShape: [g.groups, K, c.nb * L], label: 'conv2d.dcols',
        });
        launch(rt, 'col2im', g, c.nb * g.C * g.H * g.W, c, [dcols.buffer(label), rt.placeholder('read'), dx.buffer(label)], false, 'conv2d.dx');
        dcols.dispose();
        if (gt !== gtS) gt.dispose();
      }
      gtS.dispose();
    }
  }
  return { dx, dw, db };
}
