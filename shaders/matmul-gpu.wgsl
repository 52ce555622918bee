// Matmul kernels for GPUs (the GPU kernel family): workgroup-memory tiles, split-K and a
// matrix-vector product. Same contract as shaders/matmul.wgsl:
//
//   C[b, m, n] = act( sum_k opA(A)[b, m, k] * opB(B)[b, k, n] + bias[n] )
//
// A is [batch?, M, K] ([batch?, K, M] when TRANS_A), B is [batch?, K, N] ([batch?, N, K] when
// TRANS_B), row-major f32; a batch stride of 0 broadcasts an operand. The records in
// src/kernels/matmul-variants.ts pick the override constants and defines of each variant.
//
// tile: a WX x WY workgroup computes a TM x TN block of C; each invocation keeps RM x RN of it
//   in registers (rows ty + WY i, columns tx + WX j: neighbours touch neighbouring addresses;
//   under VEC4 whole vec4s, columns 4 (tx + WX g) + 0..3). Per step of BK the workgroup stages
//   a TM x BK block of opA and a BK x TN block of opB in workgroup memory, each read along its
//   contiguous axis; out-of-range elements stage as 0, so any M, N, K works.
//   VEC4: opB is staged and C stored as vec4 (needs !TRANS_B, N % 4 == 0, B batch stride % 4).
//   DOUBLE_BUF: two stages; the next block of k loads while this one is multiplied, one
//   barrier per step instead of two (A_LEN / B_LEN hold both).
//   SPLIT_K: workgroup z = batch * splits + split sums k in [split k_chunk, (split+1) k_chunk)
//   only and writes the raw partial sum to C = partials [batch, splits, M, N]; splitk_sum adds
//   the splits in order (deterministic: no atomics) and applies the epilogue.
// gemv (M = 1): a 256-invocation workgroup owns 64 columns; 16 lanes along N (4 columns each)
//   times 16 lanes along k, each summing every 16th k; the 16 partial vec4s are added in lane
//   order through workgroup memory. Under TRANS_B the k lanes are the fast index, so
//   consecutive invocations read consecutive k of one row of B.

struct Params {
  M: u32,
  N: u32,
  K: u32,
  batch_offset: u32,     // first batch index of this dispatch (grids are split at the z limit)
  a_batch_stride: u32,   // elements between consecutive A matrices (0: broadcast)
  b_batch_stride: u32,
  c_batch_stride: u32,   // M * N
  row_offset: u32,       // first row block of this dispatch (grids are split at the y limit)
  k_chunk: u32,          // SPLIT_K: k per split
  splits: u32,           // SPLIT_K, splitk_sum: splits per matrix
}

override TM: u32 = 64u;     // tile: rows of C per workgroup
override TN: u32 = 64u;     // columns of C per workgroup
override RM: u32 = 4u;      // rows per invocation (<= 8)
override RN: u32 = 4u;      // columns per invocation (4 or 8)
override BK: u32 = 16u;     // k per staged block
override WX: u32 = 16u;     // TN / RN
override WY: u32 = 16u;     // TM / RM
override A_LEN: u32 = 1024u; // f32 of staged opA: BK * TM per stage
override B_LEN: u32 = 1024u; // staged opB per stage: BK * TN f32 (BK * TN / 4 vec4 under VEC4)

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> A: array<f32>;          // [batch?, M, K] / [batch?, K, M]; splitk_sum: partials
#if VEC4
@group(0) @binding(2) var<storage, read> B: array<vec4<f32>>;    // [batch?, K, N / 4]
#else
@group(0) @binding(2) var<storage, read> B: array<f32>;          // [batch?, K, N] / [batch?, N, K]
#endif
@group(0) @binding(3) var<storage, read> Bias: array<f32>;       // [N] (HAS_BIAS), else unused
#if VEC4
@group(0) @binding(4) var<storage, read_write> C: array<vec4<f32>>; // [batch, M, N / 4] (SPLIT_K: partials)
#else
@group(0) @binding(4) var<storage, read_write> C: array<f32>;    // [batch, M, N] (SPLIT_K: [batch, splits, M, N])
#endif

var<workgroup> As: array<f32, A_LEN>;  // As[stage][k * TM + m]
#if VEC4
var<workgroup> Bs: array<vec4<f32>, B_LEN>;  // Bs[stage][k * TN / 4 + n / 4]
#else
var<workgroup> Bs: array<f32, B_LEN>;  // Bs[stage][k * TN + n]
#endif
var<workgroup> Red: array<vec4<f32>, 256>;  // gemv: partial sums, Red[k lane * 16 + column lane]

// opA[m, k] with zeros outside [0, M) x [0, k_end).
fn tile_a(base: u32, m: u32, k: u32, k_end: u32) -> f32 {
  if (m >= P.M || k >= k_end) { return 0.0; }
#if TRANS_A
  return A[base + k * P.M + m];
#else
  return A[base + m * P.K + k];
#endif
}

#if !VEC4
// opB[k, n] with zeros outside.
fn tile_b(base: u32, k: u32, n: u32, k_end: u32) -> f32 {
  if (k >= k_end || n >= P.N) { return 0.0; }
#if TRANS_B
  return B[base + n * P.K + k];
#else
  return B[base + k * P.N + n];
#endif
}
#endif

// gemv: opB[k, n .. n + 3]; columns past N read column N - 1 (never stored).
fn load_b4(base: u32, k: u32, n: u32) -> vec4<f32> {
#if VEC4
  return B[(base + k * P.N + min(n, P.N - 4u)) / 4u];
#else
  let last = P.N - 1u;
  return vec4<f32>(tile_b(base, k, min(n, last), P.K), tile_b(base, k, min(n + 1u, last), P.K),
                   tile_b(base, k, min(n + 2u, last), P.K), tile_b(base, k, min(n + 3u, last), P.K));
#endif
}

fn activate(v: f32) -> f32 {
  var x = v;
#if ACT_RELU
  // NaN stays NaN, as torch.relu (tested on the bits: the max() builtin need not propagate it).
  let nan = (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u;
  x = select(max(x, 0.0), x, nan);
#endif
#if ACT_SIGMOID
  // Same form as the elementwise sigmoid (exp of a non-positive number only).
  if (x >= 0.0) { x = 1.0 / (1.0 + exp(-x)); } else { let e = exp(x); x = e / (1.0 + e); }
#endif
  return x;
}

fn epilogue(v: f32, n: u32) -> f32 {
#if HAS_BIAS
  return activate(v + Bias[n]);
#else
  return activate(v);
#endif
}

// Columns n .. n + 3 (all < N: N % 4 == 0 wherever this is used).
fn epilogue4(v: vec4<f32>, n: u32) -> vec4<f32> {
  return vec4<f32>(epilogue(v.x, n), epilogue(v.y, n + 1u), epilogue(v.z, n + 2u), epilogue(v.w, n + 3u));
}

// Stage the block of k starting at k0 into stage s (every invocation takes a share).
fn stage(s: u32, li: u32, a_base: u32, b_base: u32, m0: u32, n0: u32, k0: u32, k_end: u32) {
  let nt = WX * WY;
  let a_off = s * BK * TM;
  for (var e = li; e < TM * BK; e += nt) {
#if TRANS_A
    let ka = e / TM; let ma = e % TM;
#else
    let ma = e / BK; let ka = e % BK;
#endif
    As[a_off + ka * TM + ma] = tile_a(a_base, m0 + ma, k0 + ka, k_end);
  }
#if VEC4
  let tq = TN / 4u;
  let b_off = s * BK * tq;
  for (var e = li; e < BK * tq; e += nt) {
    let k = k0 + e / tq;
    let n = n0 + (e % tq) * 4u;
    var v = vec4<f32>();
    if (k < k_end && n < P.N) { v = B[(b_base + k * P.N + n) / 4u]; }
    Bs[b_off + e] = v;
  }
#else
  let b_off = s * BK * TN;
  for (var e = li; e < BK * TN; e += nt) {
#if TRANS_B
    let nb = e / BK; let kb = e % BK;
#else
    let kb = e / TN; let nb = e % TN;
#endif
    Bs[b_off + kb * TN + nb] = tile_b(b_base, k0 + kb, n0 + nb, k_end);
  }
#endif
}

// acc[i * RN / 4 + g] += opA rows x opB vec4 group g, over the BK steps of stage s.
fn multiply(s: u32, tx: u32, ty: u32, acc: ptr<function, array<vec4<f32>, 16>>) {
  let groups = RN / 4u;
  let a_off = s * BK * TM;
  for (var k = 0u; k < BK; k++) {
    var a: array<f32, 8>;
    for (var i = 0u; i < RM; i++) { a[i] = As[a_off + k * TM + ty + WY * i]; }
    for (var g = 0u; g < groups; g++) {
#if VEC4
      let b = Bs[s * BK * (TN / 4u) + k * (TN / 4u) + tx + WX * g];
#else
      let c = s * BK * TN + k * TN + tx + WX * 4u * g;
      let b = vec4<f32>(Bs[c], Bs[c + WX], Bs[c + 2u * WX], Bs[c + 3u * WX]);
#endif
      for (var i = 0u; i < RM; i++) { (*acc)[i * groups + g] += a[i] * b; }
    }
  }
}

@compute @workgroup_size(WX, WY)
fn tile(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
  @builtin(local_invocation_index) li: u32,
) {
#if SPLIT_K
  let split = wid.z % P.splits;
  let batch = wid.z / P.splits + P.batch_offset;
  let k_begin = split * P.k_chunk;
  let k_end = min(P.K, k_begin + P.k_chunk);
  let c_base = (batch * P.splits + split) * P.c_batch_stride;
#else
  let batch = wid.z + P.batch_offset;
  let k_begin = 0u;
  let k_end = P.K;
  let c_base = batch * P.c_batch_stride;
#endif
  let a_base = batch * P.a_batch_stride;
  let b_base = batch * P.b_batch_stride;
  let m0 = (wid.y + P.row_offset) * TM;
  let n0 = wid.x * TN;
  var acc: array<vec4<f32>, 16>;
#if DOUBLE_BUF
  var s = 0u;
  if (k_begin < k_end) { stage(0u, li, a_base, b_base, m0, n0, k_begin, k_end); }
  workgroupBarrier();
  for (var k0 = k_begin; k0 < k_end; k0 += BK) {
    // Stage 1 - s was last read before the previous barrier: safe to overwrite now.
    if (k0 + BK < k_end) { stage(1u - s, li, a_base, b_base, m0, n0, k0 + BK, k_end); }
    multiply(s, lid.x, lid.y, &acc);
    workgroupBarrier();
    s = 1u - s;
  }
#else
  for (var k0 = k_begin; k0 < k_end; k0 += BK) {
    stage(0u, li, a_base, b_base, m0, n0, k0, k_end);
    workgroupBarrier();
    multiply(0u, lid.x, lid.y, &acc);
    workgroupBarrier();
  }
#endif
  let groups = RN / 4u;
  for (var i = 0u; i < RM; i++) {
    let m = m0 + lid.y + WY * i;
    if (m >= P.M) { continue; }
    for (var g = 0u; g < groups; g++) {
#if VEC4
      let n = n0 + (lid.x + WX * g) * 4u;
      if (n < P.N) { C[(c_base + m * P.N + n) / 4u] = epilogue4(acc[i * groups + g], n); }
#else
      for (var c = 0u; c < 4u; c++) {
        let n = n0 + lid.x + WX * (4u * g + c);
        if (n < P.N) { C[c_base + m * P.N + n] = epilogue(acc[i * groups + g][c], n); }
      }
#endif
    }
  }
}

#if !VEC4
// Second pass of split-K: one invocation per element of C, splits added in order.
@compute @workgroup_size(64)
fn splitk_sum(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32, @builtin(num_workgroups) nwg: vec3<u32>) {
  let mn = P.M * P.N;
  let i = (wid.y * nwg.x + wid.x) * 64u + li;
  if (i >= mn) { return; }
  let batch = wid.z + P.batch_offset;
  var sum = 0.0;
  for (var s = 0u; s < P.splits; s++) { sum += A[(batch * P.splits + s) * mn + i]; }
  C[batch * mn + i] = epilogue(sum, i % P.N);
}
#endif

@compute @workgroup_size(256)
fn gemv(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
#if TRANS_B
  let kl = li % 16u; let cx = li / 16u;
#else
  let cx = li % 16u; let kl = li / 16u;
#endif
  let batch = wid.z + P.batch_offset;
  let a_base = batch * P.a_batch_stride;  // opA[0, k] is A[a_base + k] in both layouts (M = 1)
  let b_base = batch * P.b_batch_stride;
  let n = (wid.x * 16u + cx) * 4u;
  var acc = vec4<f32>();
  for (var k = kl; k < P.K; k += 16u) { acc += A[a_base + k] * load_b4(b_base, k, n); }
  Red[kl * 16u + cx] = acc;
  workgroupBarrier();
  if (kl != 0u) { return; }
  var sum = Red[cx];
  for (var j = 1u; j < 16u; j++) { sum += Red[j * 16u + cx]; }
  let c_base = batch * P.c_batch_stride;
#if VEC4
  if (n < P.N) { C[(c_base + n) / 4u] = epilogue4(sum, n); }
#else
  for (var c = 0u; c < 4u; c++) {
    if (n + c < P.N) { C[c_base + n + c] = epilogue(sum[c], n + c); }
  }
#endif
}
