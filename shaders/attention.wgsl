// Fused scaled-dot-product attention (PyTorch F.scaled_dot_product_attention) on q [BH, T, D],
// k [BH, S, D], v [BH, S, Dv], one (batch, head) pair per BH row block, row-major contiguous.
//
//   s_ij = scale * q_i . k_j  over the allowed pairs (causal: j <= i; mask: M(b, h, i, j) != 0)
//   P_ij = softmax_j(s_ij),  O_i = SUM_j P_ij v_j
//   forward:  online softmax (Milakov & Gimelshein; FlashAttention): keys are read in tiles of
//             KT; per query row a running max m and sum l, the accumulator rescaled by
//             exp(m_old - m_new) once per tile. The [T, S] score matrix never reaches global
//             memory: extra memory is O(BH * T) (the saved row logsumexp L_i = m + log l).
//   delta:    LD_i = (L_i, D_i) with D_i = dO_i . O_i = SUM_j P_ij dP_ij (softmax's backward term).
//   dq:       per query row, scores recomputed from q, k and L: P_ij = exp(s_ij - L_i),
//             dP_ij = dO_i . v_j, dS_ij = P_ij (dP_ij - D_i), dQ_i = scale * SUM_j dS_ij k_j.
//   dkv:      per key row (a gather over query rows: no atomics, one writer per element, so two
//             runs give bit-identical gradients): dV_j = SUM_i P_ij dO_i,
//             dK_j = scale * SUM_i dS_ij q_i.
// A row with no allowed key gives P.nan: NaN for a fully masked row (as the composite's softmax
// of an all -inf row), 0 when S = 0 (the empty sum); it contributes nothing to the gradients. D, Dv <= DMAX (private arrays).
// HAS_MASK: a boolean mask (nonzero = attend, the `where` convention), f32 or i32 (MASK_INT),
// addressed through element strides of [B, H, T, S] (0 on broadcast dims).
// Families: one invocation per row either way. CPU drivers: plain loops, no barriers, rows of
// any head in a workgroup; grid 2-D, row = (wid.y * num_workgroups.x + wid.x) * WG + local index.
// TILED (GPUs): a workgroup holds WG rows of one head and walks the other side (keys for forward
// and dq, query rows for dkv) in tiles of KT rows that its invocations load together into
// workgroup memory (TA, TB, TL: 2 * KT * DMAX floats = 8 KiB), so each K / V (or Q / dO) row is
// read from global memory once per workgroup instead of once per row; workgroup index =
// wid.y * num_workgroups.x + wid.x, block = index % ceil(rows / WG), head = index / that.

override WG: u32 = 64u;
const DMAX = 128u;
const KT = 8u;
// A finite "minus infinity" for the running max (a constant infinity does not compile); a key
// is only ever compared against it when allowed, so real scores always replace it.
const LOWEST = -3.0e38;

struct Params {
  bh: u32,       // B * H
  t: u32,        // query rows per head
  s: u32,        // key rows per head
  d: u32,        // q / k head dim
  dv: u32,       // v head dim
  heads: u32,    // H (splits a BH index into b, h for the mask)
  causal: u32,   // 1: key j allowed only for j <= i
  scale: f32,
  mstride: vec4<u32>,  // HAS_MASK: element strides of the mask over (b, h, i, j), 0 where broadcast
  nan: f32,      // a quiet NaN from the host (the output of a fully masked row)
  _p0: u32,
  _p1: u32,
  _p2: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> Q: array<f32>;            // [BH, T, D]
@group(0) @binding(2) var<storage, read> K: array<f32>;            // [BH, S, D]
@group(0) @binding(3) var<storage, read> V: array<f32>;            // [BH, S, Dv]
@group(0) @binding(4) var<storage, read> M: array<f32>;            // HAS_MASK: mask (broadcast to [B, H, T, S]), f32
@group(0) @binding(4) var<storage, read> MI: array<i32>;           // HAS_MASK && MASK_INT: the mask as i32
@group(0) @binding(5) var<storage, read_write> O: array<f32>;      // forward: [BH, T, Dv] output
@group(0) @binding(6) var<storage, read_write> L: array<f32>;      // forward: [BH, T] row logsumexp
@group(0) @binding(5) var<storage, read> GO: array<f32>;           // dq, dkv: [BH, T, Dv] upstream gradient dO
@group(0) @binding(6) var<storage, read> LDR: array<vec2<f32>>;    // dq, dkv: [BH, T] (L_i, D_i)
@group(0) @binding(7) var<storage, read_write> DQ: array<f32>;     // dq: [BH, T, D]
@group(0) @binding(7) var<storage, read_write> DK: array<f32>;     // dkv: [BH, S, D]
@group(0) @binding(8) var<storage, read_write> DV: array<f32>;     // dkv: [BH, S, Dv]
// delta's own bindings (1..4)
@group(0) @binding(1) var<storage, read> OR: array<f32>;           // delta: [BH, T, Dv] forward output
@group(0) @binding(2) var<storage, read> GOD: array<f32>;          // delta: [BH, T, Dv] dO
@group(0) @binding(3) var<storage, read> LR: array<f32>;           // delta: [BH, T] saved L
@group(0) @binding(4) var<storage, read_write> LD: array<vec2<f32>>;  // delta: [BH, T] (L_i, D_i)

// TILED: the current tile of KT rows of the other side (K / V for forward and dq; Q / dO / LD for dkv).
var<workgroup> TA: array<f32, KT * DMAX>;
var<workgroup> TB: array<f32, KT * DMAX>;
var<workgroup> TL: array<vec2<f32>, KT>;

fn row_of(wid: vec3<u32>, nwg: vec3<u32>, lid: u32) -> u32 {
  return (wid.y * nwg.x + wid.x) * WG + lid;
}

// (head, base row) of this invocation for `rows` rows per head; its row is base + lane(lid).
// TILED: the workgroup's block (index % nblk of head index / nblk, nblk = ceil(rows / WG)), from
// the workgroup index alone so that it is uniform (the barriers need it); CPU form: its own row.
// A head >= P.bh means past the end.
fn block_of(wid: vec3<u32>, nwg: vec3<u32>, lid: u32, rows: u32) -> vec2<u32> {
#if TILED
  let nblk = max((rows + WG - 1u) / WG, 1u);
  let index = wid.y * nwg.x + wid.x;
  return vec2<u32>(index / nblk, (index % nblk) * WG);
#else
  let r = row_of(wid, nwg, lid);
  return vec2<u32>(r / max(rows, 1u), r % max(rows, 1u));
#endif
}

// The row within a block, and the rows a block spans.
#if TILED
fn lane(lid: u32) -> u32 { return lid; }
fn span() -> u32 { return WG; }
#else
fn lane(lid: u32) -> u32 { return 0u; }
fn span() -> u32 { return 1u; }
#endif

// TILED: key rows [j0, j0 + n) of head bh into TA (K) and TB (V) (the caller passes the barriers).
fn load_kv(lid: u32, bh: u32, j0: u32, n: u32) {
#if TILED
  let kb = (bh * P.s + j0) * P.d;
  let vb = (bh * P.s + j0) * P.dv;
  for (var e = lid; e < n * P.d; e += WG) { TA[e] = K[kb + e]; }
  for (var e = lid; e < n * P.dv; e += WG) { TB[e] = V[vb + e]; }
#endif
}

// Row reads of the other side's tile: K[j0 + u, c] / V[j0 + u, c] of head bh (forward, dq) and
// Q / dO / LD of global query row r = tile row u (dkv), from workgroup memory (TILED) or
// straight from the storage buffers (CPU form, where the tile is never loaded).
#if TILED
fn k_at(bh: u32, j0: u32, u: u32, c: u32) -> f32 { return TA[u * P.d + c]; }
fn v_at(bh: u32, j0: u32, u: u32, c: u32) -> f32 { return TB[u * P.dv + c]; }
fn q_at(r: u32, u: u32, c: u32) -> f32 { return TA[u * P.d + c]; }
fn go_at(r: u32, u: u32, c: u32) -> f32 { return TB[u * P.dv + c]; }
fn ld_at(r: u32, u: u32) -> vec2<f32> { return TL[u]; }
fn wg_barrier() { workgroupBarrier(); }
#else
fn k_at(bh: u32, j0: u32, u: u32, c: u32) -> f32 { return K[(bh * P.s + j0 + u) * P.d + c]; }
fn v_at(bh: u32, j0: u32, u: u32, c: u32) -> f32 { return V[(bh * P.s + j0 + u) * P.dv + c]; }
fn q_at(r: u32, u: u32, c: u32) -> f32 { return Q[r * P.d + c]; }
fn go_at(r: u32, u: u32, c: u32) -> f32 { return GO[r * P.dv + c]; }
fn ld_at(r: u32, u: u32) -> vec2<f32> { return LDR[r]; }
fn wg_barrier() {}
#endif

// Whether query row i of head bh may attend to key j.
fn allowed(bh: u32, i: u32, j: u32) -> bool {
  if (P.causal != 0u && j > i) { return false; }
#if HAS_MASK
  let at = (bh / P.heads) * P.mstride.x + (bh % P.heads) * P.mstride.y + i * P.mstride.z + j * P.mstride.w;
#if MASK_INT
  return MI[at] != 0;
#else
  // Bits, not a float compare: NaN is true (as bool()), -0 false, and no compiler folds it.
  return (bitcast<u32>(M[at]) & 0x7fffffffu) != 0u;
#endif
#else
  return true;
#endif
}

// Keys j < key_end(i) can be allowed (causal rows stop at the diagonal).
fn key_end(i: u32) -> u32 {
  if (P.causal != 0u) { return min(P.s, i + 1u); }
  return P.s;
}

// Per-invocation state of a query row (forward): its q, the running max m, sum l and the
// unnormalised output accumulator.
var<private> q_row: array<f32, DMAX>;
var<private> acc: array<f32, DMAX>;
var<private> run_m: f32;
var<private> run_l: f32;

// One tile of keys [j0, j0 + n) for query row i: the online-softmax update of m, l and acc.
fn forward_tile(bh: u32, i: u32, j0: u32, n: u32) {
  var sc: array<f32, KT>;
  var ok: array<bool, KT>;
  var tmax = LOWEST;
  var seen = false;
  for (var u = 0u; u < n; u++) {
    ok[u] = allowed(bh, i, j0 + u);
    if (!ok[u]) { continue; }
    var dot = 0.0;
    for (var c = 0u; c < P.d; c++) { dot += q_row[c] * k_at(bh, j0, u, c); }
    sc[u] = P.scale * dot;
    tmax = max(tmax, sc[u]);
    seen = true;
  }
  if (!seen) { return; }
  let mn = max(run_m, tmax);
  let corr = exp(run_m - mn);  // 0 on the first tile (m = LOWEST), where l and acc are 0 anyway
  run_l = run_l * corr;
  for (var c = 0u; c < P.dv; c++) { acc[c] = acc[c] * corr; }
  for (var u = 0u; u < n; u++) {
    if (!ok[u]) { continue; }
    let p = exp(sc[u] - mn);
    run_l += p;
    for (var c = 0u; c < P.dv; c++) { acc[c] += p * v_at(bh, j0, u, c); }
  }
  run_m = mn;
}

@compute @workgroup_size(WG)
fn forward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
           @builtin(num_workgroups) nwg: vec3<u32>) {
  let hb = block_of(wid, nwg, lid, P.t);
  if (hb.x >= P.bh) { return; }
  let bh = hb.x;
  let i = hb.y + lane(lid);
  let live = i < P.t;
  let jend = key_end(min(hb.y + span(), P.t) - 1u);  // TILED: the block's last row (uniform)
  let row = bh * P.t + i;
  if (live) {
    for (var c = 0u; c < P.d; c++) { q_row[c] = Q[row * P.d + c]; }
  }
  for (var c = 0u; c < P.dv; c++) { acc[c] = 0.0; }
  run_m = LOWEST;
  run_l = 0.0;
  for (var j0 = 0u; j0 < jend; j0 += KT) {
    let n = min(KT, jend - j0);
    load_kv(lid, bh, j0, n);
    wg_barrier();
    if (live) { forward_tile(bh, i, j0, n); }
    wg_barrier();
  }
  if (!live) { return; }
  let empty_row = run_l == 0.0;
  for (var c = 0u; c < P.dv; c++) { O[row * P.dv + c] = select(acc[c] / run_l, P.nan, empty_row); }
  L[row] = select(run_m + log(run_l), LOWEST, empty_row);
}

@compute @workgroup_size(WG)
fn delta(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
         @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = row_of(wid, nwg, lid);
  if (row >= P.bh * P.t) { return; }
  var di = 0.0;
  for (var c = 0u; c < P.dv; c++) { di += GOD[row * P.dv + c] * OR[row * P.dv + c]; }
  LD[row] = vec2<f32>(LR[row], di);
}

// dq's per-row state: dO_i (q_row and acc hold q_i and the dQ_i accumulator).
var<private> go_row: array<f32, DMAX>;

fn dq_tile(bh: u32, i: u32, j0: u32, n: u32, ld: vec2<f32>) {
  for (var u = 0u; u < n; u++) {
    if (!allowed(bh, i, j0 + u)) { continue; }
    var dot = 0.0;
    for (var c = 0u; c < P.d; c++) { dot += q_row[c] * k_at(bh, j0, u, c); }
    let p = exp(P.scale * dot - ld.x);
    var dp = 0.0;
    for (var c = 0u; c < P.dv; c++) { dp += go_row[c] * v_at(bh, j0, u, c); }
    let ds = p * (dp - ld.y);
    for (var c = 0u; c < P.d; c++) { acc[c] += ds * k_at(bh, j0, u, c); }
  }
}

@compute @workgroup_size(WG)
fn dq(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
      @builtin(num_workgroups) nwg: vec3<u32>) {
  let hb = block_of(wid, nwg, lid, P.t);
  if (hb.x >= P.bh) { return; }
  let bh = hb.x;
  let i = hb.y + lane(lid);
  let live = i < P.t;
  let jend = key_end(min(hb.y + span(), P.t) - 1u);  // TILED: the block's last row (uniform)
  let row = bh * P.t + i;
  var ld = vec2<f32>(0.0, 0.0);
  if (live) {
    for (var c = 0u; c < P.d; c++) { q_row[c] = Q[row * P.d + c]; acc[c] = 0.0; }
    for (var c = 0u; c < P.dv; c++) { go_row[c] = GO[row * P.dv + c]; }
    ld = LDR[row];
  }
  for (var j0 = 0u; j0 < jend; j0 += KT) {
    let n = min(KT, jend - j0);
    load_kv(lid, bh, j0, n);
    wg_barrier();
    if (live) { dq_tile(bh, i, j0, n, ld); }
    wg_barrier();
  }
  if (!live) { return; }
  for (var c = 0u; c < P.d; c++) { DQ[row * P.d + c] = P.scale * acc[c]; }
}

// TILED: query rows [i0, i0 + n) of head bh into TA (Q), TB (dO), TL (L, D).
fn load_q(lid: u32, bh: u32, i0: u32, n: u32) {
#if TILED
  let r0 = bh * P.t + i0;
  for (var e = lid; e < n * P.d; e += WG) { TA[e] = Q[r0 * P.d + e]; }
  for (var e = lid; e < n * P.dv; e += WG) { TB[e] = GO[r0 * P.dv + e]; }
  for (var e = lid; e < n; e += WG) { TL[e] = LDR[r0 + e]; }
#endif
}

// dkv's per-key-row state: k_j, v_j (in q_row, go_row) and the dK_j, dV_j accumulators.
var<private> dk_acc: array<f32, DMAX>;

// Query rows [i0, i0 + n) of head bh against key row j: r is the global row of i0 + u.
fn dkv_tile(bh: u32, j: u32, i0: u32, n: u32) {
  for (var u = 0u; u < n; u++) {
    let i = i0 + u;
    if (!allowed(bh, i, j)) { continue; }
    let r = bh * P.t + i;
    var dot = 0.0;
    for (var c = 0u; c < P.d; c++) { dot += q_at(r, u, c) * q_row[c]; }
    let ld = ld_at(r, u);
    let p = exp(P.scale * dot - ld.x);
    var dp = 0.0;
    for (var c = 0u; c < P.dv; c++) { dp += go_at(r, u, c) * go_row[c]; }
    let ds = p * (dp - ld.y);
    for (var c = 0u; c < P.dv; c++) { acc[c] += p * go_at(r, u, c); }
    for (var c = 0u; c < P.d; c++) { dk_acc[c] += ds * q_at(r, u, c); }
  }
}

@compute @workgroup_size(WG)
fn dkv(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
       @builtin(num_workgroups) nwg: vec3<u32>) {
  let hb = block_of(wid, nwg, lid, P.s);
  if (hb.x >= P.bh) { return; }
  let bh = hb.x;
  let j = hb.y + lane(lid);
  let live = j < P.s;
  // Causal: only rows i >= j see key j (TILED: the block's first key, uniform).
  let istart = select(0u, hb.y, P.causal != 0u);
  let krow = bh * P.s + j;
  if (live) {
    for (var c = 0u; c < P.d; c++) { q_row[c] = K[krow * P.d + c]; dk_acc[c] = 0.0; }
    for (var c = 0u; c < P.dv; c++) { go_row[c] = V[krow * P.dv + c]; acc[c] = 0.0; }
  }
  for (var i0 = istart; i0 < P.t; i0 += KT) {
    let n = min(KT, P.t - i0);
    load_q(lid, bh, i0, n);
    wg_barrier();
    if (live) { dkv_tile(bh, j, i0, n); }
    wg_barrier();
  }
  if (!live) { return; }
  for (var c = 0u; c < P.d; c++) { DK[krow * P.d + c] = P.scale * dk_acc[c]; }
  for (var c = 0u; c < P.dv; c++) { DV[krow * P.dv + c] = acc[c]; }
}
