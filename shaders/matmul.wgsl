// Batched matrix multiply with optional transposed operands and a fused epilogue.
//
//   C[b, m, n] = act( sum_k opA(A)[b, m, k] * opB(B)[b, k, n] + bias[n] )
//
// Layout (row-major, f32): A is [batch?, M, K], or [batch?, K, M] when TRANS_A; B is
// [batch?, K, N], or [batch?, N, K] when TRANS_B. Reading the transposed layout directly is
// how backward computes dX = dY * W^T and dW = X^T * dY without materialising a transpose.
// A batch stride of 0 broadcasts that operand over the batch. Grids larger than the
// per-dimension limit are split by the launcher (batch_offset, row_offset).
//
// Two entry points for CPU adapters (src/kernels/matmul-variants.ts lists the variants built
// from them); the GPU family's workgroup-memory kernels are in shaders/matmul-gpu.wgsl.
//
// rows (CPU adapters: lavapipe, SwiftShader), no workgroup memory: on a CPU a barrier is a
//   coroutine switch and every storage load a per-lane loop, so what counts is how many loads
//   each multiply-add needs. A workgroup of WG invocations owns R = 8 rows and 4 * WG columns
//   of C; each invocation keeps an R x 4 block (R vec4 accumulators). Invocations run along N:
//   per k-step one vec4 of opB feeds 4 * R multiply-adds, and the R values of opA are the same
//   for the whole workgroup.
//   SUBGROUPS: opA is loaded once per CHUNK k-steps: subgroup lane i loads opA[m, k0 + i] for
//   each row and subgroupBroadcast(v, u) hands step u's value to every lane (R loads instead
//   of R * CHUNK). Needs a subgroup size >= CHUNK (the launcher checks the adapter's
//   subgroupMinSize) and every lane active (no early return before the k loop).
//   VEC4_B: opB rows are read as vec4 (needs !TRANS_B, N % 4 == 0 and a B batch stride % 4 == 0).
//   Rows >= M and columns >= N are clamped when loading (their sums are never stored); k stays
//   in [0, K) (whole chunks, then single steps), so any M, N, K works.
// block (SwiftShader; lavapipe for N < 64), no workgroup memory: invocation i of the grid owns
//   an 8 x 8 block of C (numbered down panels of PANEL column blocks, see the entry) and keeps it
//   in 16 named vec4 accumulators. SwiftShader's JIT keeps named values in registers but puts
//   an array indexed inside a loop (the rows kernel's acc[r]) in memory, which ran 3-4x slower
//   there; so the 8 rows are written out, not looped (only the stores go through an array).
//   Per k-step: 8 loads of opA, two vec4 of opB, 64 multiply-adds. Rows and columns past the
//   edge are clamped when loading (their sums are never stored), so any M, N, K works.
// simple (any adapter; the cold-start variant): one invocation per element of C, a plain k loop
//   (one load of opA and one of opB per multiply-add), consecutive invocations along N. The
//   slowest kernel per flop but the quickest to compile by far: lavapipe's LLVM turns each
//   rows / block kernel into 0.7-1.5 s of compile, this one into under 0.1 s, so a cold first
//   step runs it while the chosen variant compiles in the background (src/kernels/variants.ts,
//   coldStart). Transposes, bias and activation are run-time flags (P.flags, not defines), so
//   one pipeline serves every matmul of a step: a 784-50-10 training step needs 4
//   combinations, which as defines were 4 compiles. Its sums run over k in order, as the
//   other kernels' (split-K aside), so it gives their results.

#if SUBGROUPS
enable subgroups;
#endif

override WG: u32 = 16u;  // rows, block: invocations per workgroup
override PANEL: u32 = 16u;  // block: column blocks (of 8) per panel
const R = 8u;            // rows: rows of C per workgroup and invocation
#if CHUNK8
const CHUNK = 8u;
#else
const CHUNK = 4u;
#endif

struct Params {
  M: u32,
  N: u32,
  K: u32,
  batch_offset: u32,     // first batch index of this dispatch (grids are split at the z limit)
  a_batch_stride: u32,   // elements between consecutive A matrices (0: broadcast)
  b_batch_stride: u32,
  c_batch_stride: u32,
  row_offset: u32,       // first row block of this dispatch (grids are split at the y limit)
  k_chunk: u32,          // matmul-gpu split-K only (same Params layout)
  splits: u32,           // matmul-gpu split-K only
  flags: u32,            // simple: TRANS_A 1, TRANS_B 2, HAS_BIAS 4, ACT_RELU 8, ACT_SIGMOID 16
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> A: array<f32>;          // [batch?, M, K] or [batch?, K, M] (TRANS_A)
#if VEC4_B
@group(0) @binding(2) var<storage, read> B: array<vec4<f32>>;    // [batch?, K, N / 4]
#else
@group(0) @binding(2) var<storage, read> B: array<f32>;          // [batch?, K, N] or [batch?, N, K] (TRANS_B)
#endif
@group(0) @binding(3) var<storage, read> Bias: array<f32>;       // [N] (HAS_BIAS), else unused
@group(0) @binding(4) var<storage, read_write> C: array<f32>;    // [batch, M, N]

// opA[m, k], unchecked (callers keep m < M and k < K).
fn load_a(base: u32, m: u32, k: u32) -> f32 {
#if TRANS_A
  return A[base + k * P.M + m];
#else
  return A[base + m * P.K + k];
#endif
}

#if !VEC4_B
// opB[k, n], unchecked.
fn load_b(base: u32, k: u32, n: u32) -> f32 {
#if TRANS_B
  return B[base + n * P.K + k];
#else
  return B[base + k * P.N + n];
#endif
}
#endif

// rows: opB[k, n .. n + 3]; columns past N read column N - 1 (their sums are discarded).
fn load_b4(base: u32, k: u32, n: u32) -> vec4<f32> {
#if VEC4_B
  return B[(base + k * P.N + min(n, P.N - 4u)) / 4u];
#else
  let last = P.N - 1u;
  return vec4<f32>(load_b(base, k, min(n, last)), load_b(base, k, min(n + 1u, last)),
                   load_b(base, k, min(n + 2u, last)), load_b(base, k, min(n + 3u, last)));
#endif
}

fn epilogue(v: f32, n: u32) -> f32 {
#if HAS_BIAS
  return activate(v + Bias[n]);
#else
  return activate(v);
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

@compute @workgroup_size(WG)
fn rows(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
#if SUBGROUPS
  @builtin(subgroup_invocation_id) sid: u32,
#endif
) {
  let batch = wid.z + P.batch_offset;
  let a_base = batch * P.a_batch_stride;
  let b_base = batch * P.b_batch_stride;
  let m0 = (wid.y + P.row_offset) * R;
  let n = (wid.x * WG + lid.x) * 4u;
  var row: array<u32, R>;  // rows past M read row M - 1 (never stored)
  for (var r = 0u; r < R; r++) { row[r] = min(m0 + r, P.M - 1u); }
  var acc: array<vec4<f32>, R>;
  var k = 0u;
#if SUBGROUPS
  let lane = sid & (CHUNK - 1u);
  let whole = P.K - P.K % CHUNK;
  for (; k < whole; k += CHUNK) {
    var a: array<f32, R>;
    for (var r = 0u; r < R; r++) { a[r] = load_a(a_base, row[r], k + lane); }
    // The broadcast lane must be a constant: one line per step of the chunk.
    { let b = load_b4(b_base, k, n); for (var r = 0u; r < R; r++) { acc[r] += subgroupBroadcast(a[r], 0u) * b; } }
    { let b = load_b4(b_base, k + 1u, n); for (var r = 0u; r < R; r++) { acc[r] += subgroupBroadcast(a[r], 1u) * b; } }
    { let b = load_b4(b_base, k + 2u, n); for (var r = 0u; r < R; r++) { acc[r] += subgroupBroadcast(a[r], 2u) * b; } }
    { let b = load_b4(b_base, k + 3u, n); for (var r = 0u; r < R; r++) { acc[r] += subgroupBroadcast(a[r], 3u) * b; } }
#if CHUNK8
    { let b = load_b4(b_base, k + 4u, n); for (var r = 0u; r < R; r++) { acc[r] += subgroupBroadcast(a[r], 4u) * b; } }
    { let b = load_b4(b_base, k + 5u, n); for (var r = 0u; r < R; r++) { acc[r] += subgroupBroadcast(a[r], 5u) * b; } }
    { let b = load_b4(b_base, k + 6u, n); for (var r = 0u; r < R; r++) { acc[r] += subgroupBroadcast(a[r], 6u) * b; } }
    { let b = load_b4(b_base, k + 7u, n); for (var r = 0u; r < R; r++) { acc[r] += subgroupBroadcast(a[r], 7u) * b; } }
#endif
  }
#endif
  for (; k < P.K; k++) {
    let b = load_b4(b_base, k, n);
    for (var r = 0u; r < R; r++) { acc[r] += load_a(a_base, row[r], k) * b; }
  }
  let c_base = batch * P.c_batch_stride;
  for (var r = 0u; r < R; r++) {
    let m = m0 + r;
    if (m < P.M) {
      for (var j = 0u; j < 4u; j++) {
        if (n + j < P.N) { C[c_base + m * P.N + n + j] = epilogue(acc[r][j], n + j); }
      }
    }
  }
}

@compute @workgroup_size(WG)
fn block(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
) {
  let col_blocks = (P.N + 7u) / 8u;
  let row_blocks = (P.M + 7u) / 8u;
  let i = (wid.y * nwg.x + wid.x) * WG + lid.x;  // flattened: the grid's x and y both count blocks
  if (i >= col_blocks * row_blocks) { return; }
  // Blocks are numbered panel by panel: a panel is PANEL column blocks wide (the last one may be
  // narrower) and runs down all rows, so the invocations running together share a
  // K x 8 * PANEL slice of opB instead of sweeping all of N per band of rows. (On this
  // machine's SwiftShader and lavapipe, panels of 4 to 64 blocks and plain row order measured
  // within run-to-run noise of each other; the order bounds the slice for larger caches' sake.)
  let panel_size = PANEL * row_blocks;
  let full = col_blocks / PANEL;
  let p = i / panel_size;
  var width = PANEL;
  var j = i % panel_size;
  if (p >= full) { width = col_blocks - full * PANEL; j = i - full * panel_size; }
  let m0 = (j / width) * 8u;
  let n0 = (p * PANEL + j % width) * 8u;
  let batch = wid.z + P.batch_offset;
  let a_base = batch * P.a_batch_stride;
  let b_base = batch * P.b_batch_stride;
  let last = P.M - 1u;
  let r0 = m0; let r1 = min(m0 + 1u, last); let r2 = min(m0 + 2u, last); let r3 = min(m0 + 3u, last);
  let r4 = min(m0 + 4u, last); let r5 = min(m0 + 5u, last); let r6 = min(m0 + 6u, last); let r7 = min(m0 + 7u, last);
  // The bias is read before the loop and added to whole vec4s after it (the same rounding as
  // matmul + add); read per element in the store loop, it made lavapipe's compile 2-3x slower.
  var bl = vec4<f32>();
  var bh = vec4<f32>();
#if HAS_BIAS
  let nl = P.N - 1u;
  bl = vec4<f32>(Bias[n0], Bias[min(n0 + 1u, nl)], Bias[min(n0 + 2u, nl)], Bias[min(n0 + 3u, nl)]);
  bh = vec4<f32>(Bias[min(n0 + 4u, nl)], Bias[min(n0 + 5u, nl)], Bias[min(n0 + 6u, nl)], Bias[min(n0 + 7u, nl)]);
#endif
  var c0l = vec4<f32>(); var c0h = vec4<f32>(); var c1l = vec4<f32>(); var c1h = vec4<f32>();
  var c2l = vec4<f32>(); var c2h = vec4<f32>(); var c3l = vec4<f32>(); var c3h = vec4<f32>();
  var c4l = vec4<f32>(); var c4h = vec4<f32>(); var c5l = vec4<f32>(); var c5h = vec4<f32>();
  var c6l = vec4<f32>(); var c6h = vec4<f32>(); var c7l = vec4<f32>(); var c7h = vec4<f32>();
  for (var k = 0u; k < P.K; k++) {
    let lo = load_b4(b_base, k, n0);
    let hi = load_b4(b_base, k, n0 + 4u);
    { let a = load_a(a_base, r0, k); c0l += a * lo; c0h += a * hi; }
    { let a = load_a(a_base, r1, k); c1l += a * lo; c1h += a * hi; }
    { let a = load_a(a_base, r2, k); c2l += a * lo; c2h += a * hi; }
    { let a = load_a(a_base, r3, k); c3l += a * lo; c3h += a * hi; }
    { let a = load_a(a_base, r4, k); c4l += a * lo; c4h += a * hi; }
    { let a = load_a(a_base, r5, k); c5l += a * lo; c5h += a * hi; }
    { let a = load_a(a_base, r6, k); c6l += a * lo; c6h += a * hi; }
    { let a = load_a(a_base, r7, k); c7l += a * lo; c7h += a * hi; }
  }
  // Stored through an array, in loops whose trip counts are only known at run time, so the
  // compiler keeps one copy of the epilogue: unrolled into 64 copies (constant trip counts),
  // a bias + ReLU variant took 3 s to compile on lavapipe.
  let acc = array<vec4<f32>, 16>(c0l + bl, c0h + bh, c1l + bl, c1h + bh, c2l + bl, c2h + bh, c3l + bl, c3h + bh,
                                 c4l + bl, c4h + bh, c5l + bl, c5h + bh, c6l + bl, c6h + bh, c7l + bl, c7h + bh);
  let c_base = batch * P.c_batch_stride;
  let rows = min(8u, P.M - m0);
  let cols = min(8u, P.N - n0);
  for (var r = 0u; r < rows; r++) {
    let base = c_base + (m0 + r) * P.N + n0;
    for (var c = 0u; c < cols; c++) {
      C[base + c] = activate(acc[2u * r + c / 4u][c % 4u]);
    }
  }
}

// simple's flags (P.flags).
const F_TRANS_A = 1u; const F_TRANS_B = 2u; const F_BIAS = 4u; const F_RELU = 8u; const F_SIGMOID = 16u;

#if !VEC4_B
// (Scalar opB only: modules built with VEC4_B declare B as vec4 and leave this entry out.)
@compute @workgroup_size(WG)
fn simple(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.y * nwg.x * WG + gid.x;  // flattened over the grid's x and y
  if (i >= P.M * P.N) { return; }
  let m = i / P.N;
  let n = i % P.N;
  let batch = gid.z + P.batch_offset;
  let f = P.flags;
  // opA[m, k] = A[a + k * sa], opB[k, n] = B[b + k * sb]: the layout picks the start and stride.
  var a = batch * P.a_batch_stride + m * P.K;
  var sa = 1u;
  if ((f & F_TRANS_A) != 0u) { a = batch * P.a_batch_stride + m; sa = P.M; }
  var b = batch * P.b_batch_stride + n;
  var sb = P.N;
  if ((f & F_TRANS_B) != 0u) { b = batch * P.b_batch_stride + n * P.K; sb = 1u; }
  var acc = 0.0;
  for (var k = 0u; k < P.K; k++) { acc += A[a + k * sa] * B[b + k * sb]; }
  if ((f & F_BIAS) != 0u) { acc += Bias[n]; }
  if ((f & F_RELU) != 0u) {
    let nan = (bitcast<u32>(acc) & 0x7fffffffu) > 0x7f800000u;  // NaN stays NaN (see activate)
    acc = select(max(acc, 0.0), acc, nan);
  }
  if ((f & F_SIGMOID) != 0u) {
    if (acc >= 0.0) { acc = 1.0 / (1.0 + exp(-acc)); } else { let e = exp(acc); acc = e / (1.0 + e); }
  }
  C[batch * P.c_batch_stride + i] = acc;
}
#endif
