// Launchers for shaders/attention.wgsl: the fused attention forward (online softmax, saves the
// row logsumexp), the per-row D_i = dO . O pass, dQ per query row and dK / dV per key row.
// q, k, v are contiguous [B, H, T|S, D|Dv]; the mask (optional) is read through broadcast strides.
import type { BindingKind } from '../gpu/pipelines.ts';
import type { Runtime } from '../gpu/runtime.ts';
import { empty, type Tensor } from '../tensor.ts';
import { broadcastStrides } from './elementwise.ts';
import { ParamWriter, grid1d } from './launch.ts';

const WG = 64;
const OP = 'scaledDotProductAttention';

/** The largest head dim the kernels hold in private arrays (DMAX in the shader). */
export const ATTENTION_MAX_HEAD_DIM = 128;

export interface AttentionDims {
  b: number;
  h: number;
  t: number;
  s: number;
  d: number;
  dv: number;
  scale: number;
  causal: boolean;
}

function params(dm: AttentionDims, mask: Tensor | null): Uint8Array {
  const ms = mask ? broadcastStrides(mask.shape, [dm.b, dm.h, dm.t, dm.s]) : [0, 0, 0, 0];
  return new ParamWriter()
    .u32(dm.b * dm.h).u32(dm.t).u32(dm.s).u32(dm.d)
    .u32(dm.dv).u32(dm.h).u32(dm.causal ? 1 : 0).f32(dm.scale)
    .u32x4(ms, 1)
    // A row with keys that are all masked is NaN (softmax of -inf); with no keys at all (S = 0)
    // it is the empty sum 0, as PyTorch's softmax(empty) @ v.
    .f32(dm.s === 0 ? 0 : NaN).u32(0).u32(0).u32(0)
    .done();
}

/** GPUs: workgroup tiles of K / V (or Q / dO) shared by WG rows of one head; CPU drivers: no barriers. */
const tiled = (rt: Runtime) => !rt.kind.cpu;
const defines = (rt: Runtime, mask: Tensor | null) => ({ HAS_MASK: mask !== null, MASK_INT: mask?.dtype === 'i32', TILED: tiled(rt) });

/** The grid over `rows` rows per head: TILED one workgroup per block of WG rows of a head. */
function rowsGrid(rt: Runtime, heads: number, rows: number): [number, number] {
  return tiled(rt) ? grid1d(rt, heads * Math.ceil(rows / WG), 1) : grid1d(rt, heads * rows, WG);
}
const maskBuffer = (rt: Runtime, mask: Tensor | null) => (mask ? mask.buffer(OP) : rt.placeholder('read'));

/** O [B, H, T, Dv] and the saved row logsumexp L [B, H, T]. */
export function attentionForwardKernel(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | null, dm: AttentionDims): { out: Tensor; lse: Tensor } {
  const rt = q.runtime;
  const out = empty([dm.b, dm.h, dm.t, dm.dv], 'f32', OP);
  const lse = empty([dm.b, dm.h, dm.t], 'f32', `${OP}.lse`);
  const bindings: BindingKind[] = ['uniform', 'read', 'read', 'read', 'read', 'rw', 'rw'];
  rt.dispatch(
    { shader: 'attention', entry: 'forward', defines: defines(rt, mask), constants: { WG }, bindings },
    params(dm, mask),
    [q.buffer(OP), k.buffer(OP), v.buffer(OP), maskBuffer(rt, mask), out.buffer(OP), lse.buffer(OP)],
    rowsGrid(rt, dm.b * dm.h, dm.t),
    `${OP}.forward`,
  );
  return { out, lse };
}

/** The gradients of q, k and v (those asked for) from dO, the saved output and logsumexp. */
export function attentionBackwardKernel(
  q: Tensor, k: Tensor, v: Tensor, mask: Tensor | null, out: Tensor, lse: Tensor, g: Tensor, dm: AttentionDims, want: readonly boolean[],
): { dq: Tensor | null; dk: Tensor | null; dv: Tensor | null } {
  const rt = q.runtime;
  const p = params(dm, mask);
  const rows = dm.b * dm.h * dm.t;
  const ld = empty([rows, 2], 'f32', `${OP}.delta`);
  rt.dispatch(
    { shader: 'attention', entry: 'delta', defines: {}, constants: { WG }, bindings: ['uniform', 'read', 'read', 'read', 'rw'] },
    p,
    [out.buffer(OP), g.buffer(OP), lse.buffer(OP), ld.buffer(OP)],
    grid1d(rt, rows, WG),
    `${OP}.backward_delta`,
  );
  const shared = [q.buffer(OP), k.buffer(OP), v.buffer(OP), maskBuffer(rt, mask), g.buffer(OP), ld.buffer(OP)];
  let dq: Tensor | null = null;
  if (want[0]) {
    dq = empty(q.shape, 'f32', `${OP}.dq`);
    rt.dispatch(
      { shader: 'attention', entry: 'dq', defines: defines(rt, mask), constants: { WG }, bindings: ['uniform', 'read', 'read', 'read', 'read', 'read', 'read', 'rw'] },
      p,
      [...shared, dq.buffer(OP)],
      rowsGrid(rt, dm.b * dm.h, dm.t),
      `${OP}.backward_dq`,
    );
  }
  let dk: Tensor | null = null;
  let dv: Tensor | null = null;
  if (want[1] || want[2]) {
    dk = empty(k.shape, 'f32', `${OP}.dk`);
    dv = empty(v.shape, 'f32', `${OP}.dv`);
    rt.dispatch(
      { shader: 'attention', entry: 'dkv', defines: defines(rt, mask), constants: { WG }, bindings: ['uniform', 'read', 'read', 'read', 'read', 'read', 'read', 'rw', 'rw'] },
      p,
      [...shared, dk.buffer(OP), dv.buffer(OP)],
      rowsGrid(rt, dm.b * dm.h, dm.s),
      `${OP}.backward_dkv`,
    );
    if (!want[1]) (dk.dispose(), (dk = null));
    if (!want[2]) (dv.dispose(), (dv = null));
  }
  ld.dispose();
  return { dq, dk, dv };
}
