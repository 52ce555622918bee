// Row gathers and their deterministic scatter-add gradients (embedding, indexSelect).
//
// x is viewed as [outer, V, inner] around the indexed dim (embedding: outer = 1, V = vocabulary,
// inner = D); idx is [n] i32.
//   gather_rows: out[o, j, k] = x[o, idx[j], k]; an index outside [0, V) gives NaN (the host checks
//              indices it knows before any GPU work; this covers indices computed on the GPU).
//   backward:  dx[o, v, k] = SUM over j with idx[j] == v of g[o, j, k], in increasing j, so two
//              runs give bit-identical gradients (no atomics at all). The positions of each v
//              are first grouped in increasing j by a stable counting sort over chunks of P.chunk
//              positions, in four small passes over an i32 workspace:
//     chunk_hist:   hist[c, v] = #{j in chunk c : idx[j] == v}      (one invocation per chunk)
//     chunk_scan:   hist[c, v] = SUM_{c' < c} hist[c', v]; cnt[v] = total (one invocation per v)
//     bucket_scan:  off[v] = SUM_{u < v} cnt[u], off[V] = n         (one invocation)
//     bucket_fill:  ord[off[v] + hist[c, v] + #{j' in chunk c, j' < j : idx[j'] == v}] = j: each
//                   position's rank in its bucket (one invocation per position, < chunk steps)
//     accumulate:   one invocation per dx element sums its bucket in that order; the padding row
//                   (embedding paddingIdx) gets 0.
//   Work: O(n * chunk + V * n / chunk + outer * (V + n) * inner), whatever the repeat counts;
//   the launcher grows the chunk so the histograms stay within 2^22 entries (16 MiB).
// fill_i32: hist[i] = 0 (clears the chunk histograms).
// gather (torch.gather along dim, x and idx of the same rank <= 8, Q instead of P):
//   gather_nd:     out[c] = x[c with c[dim] = idx[c]] over the coordinates c of idx's shape (NaN
//                  for an index outside [0, x.shape[dim]))
//   gather_nd_grad: dx[e] = SUM over j < idx.shape[dim] with idx[e with e[dim] = j] == e[dim] of
//                  g[e with e[dim] = j] (0 where e lies outside idx's extent in another dim): one
//                  invocation per dx element, j increasing, deterministic; O(x.size * idx.shape[dim]).

override WG: u32 = 64u;

struct Params {
  outer: u32,
  v: u32,        // size of the indexed dim
  inner: u32,
  n: u32,        // number of indices
  padding: i32,  // row whose gradient is 0 (embedding paddingIdx), -1 for none
  _pad0: u32,
  chunk: u32,    // positions per chunk of the counting sort (>= 256; larger when n * V is large)
  _pad2: u32,
}

@group(0) @binding(0) var<uniform> P: Params;

struct GatherParams {
  rank: u32,
  dim: u32,
  n: u32,        // elements of the output (gather_nd: idx's shape; gather_nd_grad: x's shape)
  _pad: u32,
  idx_shape: array<vec4<u32>, 2>,
  x_shape: array<vec4<u32>, 2>,
}
@group(0) @binding(0) var<uniform> Q: GatherParams;
@group(0) @binding(1) var<storage, read> X: array<f32>;             // [outer, V, inner] (gather_rows); g [outer, n, inner] (accumulate)
@group(0) @binding(2) var<storage, read> Idx: array<i32>;           // [n]
@group(0) @binding(3) var<storage, read_write> Out: array<f32>;     // [outer, n, inner] (gather_rows); dx [outer, V, inner] (accumulate)
@group(0) @binding(3) var<storage, read_write> Cnt: array<i32>;     // [V] bucket sizes (chunk_scan, bucket_scan)
@group(0) @binding(4) var<storage, read_write> Off: array<i32>;     // [V + 1] bucket offsets
@group(0) @binding(5) var<storage, read_write> Ord: array<i32>;     // [n] positions grouped by index value
@group(0) @binding(4) var<storage, read> OffR: array<i32>;          // [V + 1] (accumulate)
@group(0) @binding(5) var<storage, read> OrdR: array<i32>;          // [n] (accumulate)
@group(0) @binding(6) var<storage, read_write> Hist: array<i32>;    // [ceil(n / P.chunk), V] chunk histograms, then their prefixes

fn flat(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return gid.y * nwg.x * WG + gid.x;
}

fn nan() -> f32 {
  // P._pad0 is 0; reading it keeps the NaN a runtime value (constant NaNs do not compile).
  return bitcast<f32>(P._pad0 | 0x7fc00000u);
}

@compute @workgroup_size(WG)
fn gather_rows(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat(gid, nwg);
  let total = P.outer * P.n * P.inner;
  if (i >= total) { return; }
  let k = i % P.inner;
  let j = (i / P.inner) % P.n;
  let o = i / (P.inner * P.n);
  let r = Idx[j];
  if (r < 0 || u32(r) >= P.v) { Out[i] = nan(); return; }
  Out[i] = X[(o * P.v + u32(r)) * P.inner + k];
}

@compute @workgroup_size(WG)
fn fill_i32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat(gid, nwg);
  if (i >= P.n) { return; }
  Hist[i] = 0;
}

fn in_range(r: i32) -> bool {
  return r >= 0 && u32(r) < P.v;
}

@compute @workgroup_size(WG)
fn chunk_hist(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let c = flat(gid, nwg);
  let lo = c * P.chunk;
  if (lo >= P.n) { return; }
  let hi = min(lo + P.chunk, P.n);
  for (var j = lo; j < hi; j++) {
    let r = Idx[j];
    if (in_range(r)) { Hist[c * P.v + u32(r)] += 1; }
  }
}

@compute @workgroup_size(WG)
fn chunk_scan(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let v = flat(gid, nwg);
  if (v >= P.v) { return; }
  let chunks = (P.n + P.chunk - 1u) / P.chunk;
  var acc = 0;
  for (var c = 0u; c < chunks; c++) {
    let t = Hist[c * P.v + v];
    Hist[c * P.v + v] = acc;
    acc += t;
  }
  Cnt[v] = acc;
}

@compute @workgroup_size(1)
fn bucket_scan() {
  var acc = 0;
  for (var v = 0u; v < P.v; v++) {
    Off[v] = acc;
    acc += Cnt[v];
  }
  Off[P.v] = acc;
}

@compute @workgroup_size(WG)
fn bucket_fill(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let j = flat(gid, nwg);
  if (j >= P.n) { return; }
  let r = Idx[j];
  if (!in_range(r)) { return; }
  let c = j / P.chunk;
  var rank = Off[r] + Hist[c * P.v + u32(r)];
  for (var k = c * P.chunk; k < j; k++) {
    if (Idx[k] == r) { rank++; }
  }
  Ord[rank] = i32(j);
}

@compute @workgroup_size(WG)
fn accumulate(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat(gid, nwg);
  let total = P.outer * P.v * P.inner;
  if (i >= total) { return; }
  let k = i % P.inner;
  let v = (i / P.inner) % P.v;
  let o = i / (P.inner * P.v);
  var acc = 0.0;
  if (i32(v) != P.padding) {
    for (var s = OffR[v]; s < OffR[v + 1u]; s++) {
      acc += X[(o * P.n + u32(OrdR[s])) * P.inner + k];
    }
  }
  Out[i] = acc;
}

fn qdim(v: array<vec4<u32>, 2>, d: u32) -> u32 {
  return v[d / 4u][d % 4u];
}

@compute @workgroup_size(WG)
fn gather_nd(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat(gid, nwg);
  if (i >= Q.n) { return; }
  let r = Idx[i];
  if (r < 0 || u32(r) >= qdim(Q.x_shape, Q.dim)) { Out[i] = bitcast<f32>(Q._pad | 0x7fc00000u); return; }
  var rem = i;
  var off = 0u;
  var stride = 1u;
  for (var k = 0u; k < Q.rank; k++) {
    let d = Q.rank - 1u - k;
    let c = rem % qdim(Q.idx_shape, d);
    rem = rem / qdim(Q.idx_shape, d);
    off += select(c, u32(r), d == Q.dim) * stride;
    stride *= qdim(Q.x_shape, d);
  }
  Out[i] = X[off];
}

@compute @workgroup_size(WG)
fn gather_nd_grad(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let e = flat(gid, nwg);
  if (e >= Q.n) { return; }
  // e's coordinate along dim, its idx offset with that coordinate 0, and idx's stride of dim.
  var rem = e;
  var base = 0u;
  var stride = 1u;
  var dim_stride = 1u;
  var want = 0u;
  var inside = true;
  for (var k = 0u; k < Q.rank; k++) {
    let d = Q.rank - 1u - k;
    let c = rem % qdim(Q.x_shape, d);
    rem = rem / qdim(Q.x_shape, d);
    if (d == Q.dim) {
      want = c;
      dim_stride = stride;
    } else {
      if (c >= qdim(Q.idx_shape, d)) { inside = false; }
      base += c * stride;
    }
    stride *= qdim(Q.idx_shape, d);
  }
  var acc = 0.0;
  if (inside) {
    for (var j = 0u; j < qdim(Q.idx_shape, Q.dim); j++) {
      let o = base + j * dim_stride;
      if (Idx[o] == i32(want)) { acc += X[o]; }
    }
  }
  Out[e] = acc;
}
