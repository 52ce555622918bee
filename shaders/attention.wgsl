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
// Family: one invocation per row and plain loops, no barriers (the CPU-driver form; it also runs
// on GPUs). Grid: 2-D, row = (wid.y * num_workgroups.x + wid.x) * WG + local index.

override WG: u32 = 64u;
const DMAX = 128u;
const KT = 16u;
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

fn row_of(wid: vec3<u32>, nwg: vec3<u32>, lid: u32) -> u32 {
  return (wid.y * nwg.x + wid.x) * WG + lid;
}

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

// Query row `row` of [BH, T] as (bh, i, first element of its head in K, in V).
fn query_row(row: u32) -> vec4<u32> {
  let bh = row / P.t;
  return vec4<u32>(bh, row % P.t, bh * P.s * P.d, bh * P.s * P.dv);
}

// Keys j < key_end(i) can be allowed (causal rows stop at the diagonal).
fn key_end(i: u32) -> u32 {
  if (P.causal != 0u) { return min(P.s, i + 1u); }
  return P.s;
}

@compute @workgroup_size(WG)
fn forward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
           @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = row_of(wid, nwg, lid);
  if (row >= P.bh * P.t) { return; }
  let at = query_row(row);
  let bh = at.x;
  let i = at.y;
  let kb = at.z;
  let vb = at.w;
  var q: array<f32, DMAX>;
  var acc: array<f32, DMAX>;
  var sc: array<f32, KT>;
  var ok: array<bool, KT>;
  for (var c = 0u; c < P.d; c++) { q[c] = Q[row * P.d + c]; }
  for (var c = 0u; c < P.dv; c++) { acc[c] = 0.0; }
  var m = LOWEST;
  var l = 0.0;
  let jend = key_end(i);
  for (var j0 = 0u; j0 < jend; j0 += KT) {
    let n = min(KT, jend - j0);
    var tmax = LOWEST;
    var seen = false;
    for (var u = 0u; u < n; u++) {
      let j = j0 + u;
      ok[u] = allowed(bh, i, j);
      if (!ok[u]) { continue; }
      var dot = 0.0;
      for (var c = 0u; c < P.d; c++) { dot += q[c] * K[kb + j * P.d + c]; }
      sc[u] = P.scale * dot;
      tmax = max(tmax, sc[u]);
      seen = true;
    }
    if (!seen) { continue; }
    let mn = max(m, tmax);
    let corr = exp(m - mn);  // 0 on the first tile (m = LOWEST), where l and acc are 0 anyway
    l = l * corr;
    for (var c = 0u; c < P.dv; c++) { acc[c] = acc[c] * corr; }
    for (var u = 0u; u < n; u++) {
      if (!ok[u]) { continue; }
      let p = exp(sc[u] - mn);
      l += p;
      let vj = vb + (j0 + u) * P.dv;
      for (var c = 0u; c < P.dv; c++) { acc[c] += p * V[vj + c]; }
    }
    m = mn;
  }
  let empty_row = l == 0.0;
  for (var c = 0u; c < P.dv; c++) { O[row * P.dv + c] = select(acc[c] / l, P.nan, empty_row); }
  L[row] = select(m + log(l), LOWEST, empty_row);
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

@compute @workgroup_size(WG)
fn dq(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
      @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = row_of(wid, nwg, lid);
  if (row >= P.bh * P.t) { return; }
  var go: array<f32, DMAX>;
  var q: array<f32, DMAX>;
  var acc: array<f32, DMAX>;
  for (var c = 0u; c < P.d; c++) { q[c] = Q[row * P.d + c]; acc[c] = 0.0; }
  for (var c = 0u; c < P.dv; c++) { go[c] = GO[row * P.dv + c]; }
  let ld = LDR[row];
  let at = query_row(row);
  let bh = at.x;
  let kb = at.z;
  let vb = at.w;
  for (var j = 0u; j < key_end(at.y); j++) {
    if (!allowed(bh, at.y, j)) { continue; }
    var dot = 0.0;
    for (var c = 0u; c < P.d; c++) { dot += q[c] * K[kb + j * P.d + c]; }
    let p = exp(P.scale * dot - ld.x);
    var dp = 0.0;
    for (var c = 0u; c < P.dv; c++) { dp += go[c] * V[vb + j * P.dv + c]; }
    let ds = p * (dp - ld.y);
    for (var c = 0u; c < P.d; c++) { acc[c] += ds * K[kb + j * P.d + c]; }
  }
  for (var c = 0u; c < P.d; c++) { DQ[row * P.d + c] = P.scale * acc[c]; }
}

@compute @workgroup_size(WG)
fn dkv(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
       @builtin(num_workgroups) nwg: vec3<u32>) {
  let krow = row_of(wid, nwg, lid);
  if (krow >= P.bh * P.s) { return; }
  let bh = krow / P.s;
  let j = krow % P.s;
  let qb = bh * P.t;
  var k: array<f32, DMAX>;
  var v: array<f32, DMAX>;
  var dk: array<f32, DMAX>;
  var dv: array<f32, DMAX>;
  for (var c = 0u; c < P.d; c++) { k[c] = K[krow * P.d + c]; dk[c] = 0.0; }
  for (var c = 0u; c < P.dv; c++) { v[c] = V[krow * P.dv + c]; dv[c] = 0.0; }
  // Causal: only rows i >= j see key j.
  let istart = select(0u, j, P.causal != 0u);
  for (var i = istart; i < P.t; i++) {
    if (!allowed(bh, i, j)) { continue; }
    let r = qb + i;
    var dot = 0.0;
    for (var c = 0u; c < P.d; c++) { dot += Q[r * P.d + c] * k[c]; }
    let ld = LDR[r];
    let p = exp(P.scale * dot - ld.x);
    var dp = 0.0;
    for (var c = 0u; c < P.dv; c++) { dp += GO[r * P.dv + c] * v[c]; }
    let ds = p * (dp - ld.y);
    for (var c = 0u; c < P.dv; c++) { dv[c] += p * GO[r * P.dv + c]; }
    for (var c = 0u; c < P.d; c++) { dk[c] += ds * Q[r * P.d + c]; }
  }
  for (var c = 0u; c < P.d; c++) { DK[krow * P.d + c] = P.scale * dk[c]; }
  for (var c = 0u; c < P.dv; c++) { DV[krow * P.dv + c] = dv[c]; }
}
