// Batched matrix multiply with optional transposed operands and a fused epilogue.
//
//   C[b, m, n] = act( sum_k opA(A)[b, m, k] * opB(B)[b, k, n] + bias[n] )
//
// Layout (row-major, f32): A is [batch?, M, K], or [batch?, K, M] when TRANS_A; B is
// [batch?, K, N], or [batch?, N, K] when TRANS_B. Reading the transposed layout directly is
// how backward computes dX = dY * W^T and dW = X^T * dY without materialising a transpose.
// A batch stride of 0 broadcasts that operand over the batch.
// Tiling: a TILE x TILE workgroup computes a TILE x TILE block of C, staging TILE x TILE
// blocks of A and B in workgroup memory; out-of-range elements load as 0 (any M, N, K).

override TILE: u32 = 16u;

struct Params {
  M: u32,
  N: u32,
  K: u32,
  batch: u32,
  a_batch_stride: u32,   // elements between consecutive A matrices (0: broadcast)
  b_batch_stride: u32,
  c_batch_stride: u32,
  _pad: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> A: array<f32>;          // [batch?, M, K] or [batch?, K, M] (TRANS_A)
@group(0) @binding(2) var<storage, read> B: array<f32>;          // [batch?, K, N] or [batch?, N, K] (TRANS_B)
@group(0) @binding(3) var<storage, read> Bias: array<f32>;       // [N] (HAS_BIAS), else unused
@group(0) @binding(4) var<storage, read_write> C: array<f32>;    // [batch, M, N]

var<workgroup> As: array<f32, 256>;  // TILE x TILE block of opA(A): As[r * TILE + k]
var<workgroup> Bs: array<f32, 256>;  // TILE x TILE block of opB(B): Bs[k * TILE + c]

fn load_a(base: u32, m: u32, k: u32) -> f32 {
  if (m >= P.M || k >= P.K) { return 0.0; }
#if TRANS_A
  return A[base + k * P.M + m];
#else
  return A[base + m * P.K + k];
#endif
}

fn load_b(base: u32, k: u32, n: u32) -> f32 {
  if (k >= P.K || n >= P.N) { return 0.0; }
#if TRANS_B
  return B[base + n * P.K + k];
#else
  return B[base + k * P.N + n];
#endif
}

fn epilogue(v: f32, n: u32) -> f32 {
  var x = v;
#if HAS_BIAS
  x += Bias[n];
#endif
#if ACT_RELU
  x = max(x, 0.0);
#endif
#if ACT_SIGMOID
  if (x >= 0.0) { x = 1.0 / (1.0 + exp(-x)); } else { let e = exp(x); x = e / (1.0 + e); }
#endif
  return x;
}

@compute @workgroup_size(TILE, TILE)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let b = wid.z;
  let row = wid.y * TILE + lid.y;
  let col = wid.x * TILE + lid.x;
  let a_base = b * P.a_batch_stride;
  let b_base = b * P.b_batch_stride;
  var acc = 0.0;
  let tiles = (P.K + TILE - 1u) / TILE;
  for (var t = 0u; t < tiles; t++) {
    let k0 = t * TILE;
    As[lid.y * TILE + lid.x] = load_a(a_base, row, k0 + lid.x);
    Bs[lid.y * TILE + lid.x] = load_b(b_base, k0 + lid.y, col);
    workgroupBarrier();
    for (var k = 0u; k < TILE; k++) {
      acc += As[lid.y * TILE + k] * Bs[k * TILE + lid.x];
    }
    workgroupBarrier();
  }
  if (row < P.M && col < P.N) {
    C[b * P.c_batch_stride + row * P.N + col] = epilogue(acc, col);
  }
}
