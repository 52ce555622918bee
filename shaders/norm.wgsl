// Batch normalisation over the channel axis of x viewed as [N, C, S] (S = H * W, or 1 for
// [N, C] inputs); every channel c normalises its M = N * S elements.
//
//   bn_forward (training):  mu_c = sum x / M,  var_c = sum (x - mu_c)^2 / M  (biased, two
//                 passes over the channel so no catastrophic cancellation of E[x^2] - E[x]^2)
//                 y = (x - mu_c) * rsqrt(var_c + eps) * w_c + b_c
//                 UPDATE: running_mean = (1 - m) running_mean + m mu_c
//                         running_var  = (1 - m) running_var  + m var_c * M / (M - 1)
//                 (PyTorch's momentum and its UNBIASED running variance; M = 1 keeps var_c)
//   bn_forward (EVAL):      mu_c = running_mean_c, var_c = running_var_c, no update.
//   Both write ST = [mu_c, rsqrt(var_c + eps)] per channel: what the backward needs.
//   bn_backward: with xhat = (x - mu) * istd, gw_c = sum g * xhat, gb_c = sum g and
//                 training: dx = w istd (g - gb_c / M - xhat gw_c / M)
//                 EVAL:     dx = w istd g      (the statistics are constants)
//   count_batches: num_batches_tracked += 1 (its own dispatch, after bn_forward).
//
// Deterministic: each channel is reduced by one workgroup (a workgroup-memory tree over a
// fixed lane partition) or, SERIAL (CPU adapters, no barriers), by one invocation with a
// plain loop; never with atomics, so every run sums in the same order. Memory: no
// intermediate the size of x; the backward recomputes xhat from x and ST.

override WG: u32 = 64u;
#if SERIAL
const LANES = 1u;
#else
override LANES: u32 = WG;
#endif

struct Params {
  channels: u32,   // C
  inner: u32,      // S = H * W (1 for [N, C])
  count: u32,      // M = N * S elements per channel
  batch: u32,      // N
  momentum: f32,   // running-statistics update factor
  eps: f32,
  unbias: f32,     // M / (M - 1), or 1 when M = 1
  inv_count: f32,  // 1 / M
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> X: array<f32>;         // [N, C, S] input
@group(0) @binding(2) var<storage, read> W: array<f32>;         // [C] weight (gamma), AFFINE_W only
@group(0) @binding(3) var<storage, read> B: array<f32>;         // [C] bias (beta), AFFINE_B only (forward)
@group(0) @binding(3) var<storage, read> G: array<f32>;         // [N, C, S] upstream gradient (backward)
@group(0) @binding(4) var<storage, read_write> RM: array<f32>;  // [C] running mean (forward; only read in EVAL)
@group(0) @binding(4) var<storage, read_write> DX: array<f32>;  // [N, C, S] input gradient (backward)
@group(0) @binding(5) var<storage, read_write> RV: array<f32>;  // [C] running var (forward; only read in EVAL)
@group(0) @binding(5) var<storage, read_write> GW: array<f32>;  // [C] weight gradient sum g * xhat (backward)
@group(0) @binding(6) var<storage, read_write> Y: array<f32>;   // [N, C, S] output (forward)
@group(0) @binding(6) var<storage, read_write> GB: array<f32>;  // [C] bias gradient sum g (backward)
@group(0) @binding(7) var<storage, read_write> ST: array<f32>;  // [2, C]: mean then rsqrt(var + eps) (written forward, read backward)

var<workgroup> red: array<f32, 64>;

// The channel this invocation reduces (SERIAL: its own; else its workgroup's) and its lane.
fn channel_of(wid: vec3<u32>, nwg: vec3<u32>, lid: u32) -> u32 {
#if SERIAL
  return (wid.y * nwg.x + wid.x) * WG + lid;
#else
  return wid.y * nwg.x + wid.x;
#endif
}

fn lane_of(lid: u32) -> u32 {
#if SERIAL
  return 0u;
#else
  return lid;
#endif
}

fn tree_sum(lid: u32, v: f32) -> f32 {
#if SERIAL
  return v;
#else
  red[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid < s) { red[lid] = red[lid] + red[lid + s]; }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
#endif
}

// Channel c's elements are S contiguous values per sample n, at (n * C + c) * S. Lanes take
// whole samples (n = lane, lane + LANES, ...) and walk their S values in order: no index
// division per element (it dominated the CPU form), and a fixed summation order.
fn row(c: u32, n: u32) -> u32 {
  return (n * P.channels + c) * P.inner;
}

fn weight(c: u32) -> f32 {
#if AFFINE_W
  return W[c];
#else
  return 1.0;
#endif
}

fn bias(c: u32) -> f32 {
#if AFFINE_B
  return B[c];
#else
  return 0.0;
#endif
}

@compute @workgroup_size(WG)
fn bn_forward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) local: u32,
              @builtin(num_workgroups) nwg: vec3<u32>) {
  let c = channel_of(wid, nwg, local);
  let lid = lane_of(local);
  // SERIAL: whole invocations past the end leave; tree form: the workgroup stays uniform.
  if (c >= P.channels) { return; }
#if EVAL
  let mu = RM[c];
  let istd = inverseSqrt(RV[c] + P.eps);
#else
  var s = 0.0;
  for (var n = lid; n < P.batch; n += LANES) {
    let r = row(c, n);
    for (var k = 0u; k < P.inner; k++) { s += X[r + k]; }
  }
  let mu = tree_sum(lid, s) * P.inv_count;
  var q = 0.0;
  for (var n = lid; n < P.batch; n += LANES) {
    let r = row(c, n);
    for (var k = 0u; k < P.inner; k++) {
      let d = X[r + k] - mu;
      q += d * d;
    }
  }
  let v = tree_sum(lid, q) * P.inv_count;
  let istd = inverseSqrt(v + P.eps);
#if UPDATE
  if (lid == 0u) {
    RM[c] = (1.0 - P.momentum) * RM[c] + P.momentum * mu;
    RV[c] = (1.0 - P.momentum) * RV[c] + P.momentum * v * P.unbias;
  }
#endif
#endif
  if (lid == 0u) {
    ST[c] = mu;
    ST[P.channels + c] = istd;
  }
  let scale = istd * weight(c);
  let shift = bias(c) - mu * scale;
  for (var n = lid; n < P.batch; n += LANES) {
    let r = row(c, n);
    for (var k = 0u; k < P.inner; k++) { Y[r + k] = X[r + k] * scale + shift; }
  }
}

@compute @workgroup_size(WG)
fn bn_backward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) local: u32,
               @builtin(num_workgroups) nwg: vec3<u32>) {
  let c = channel_of(wid, nwg, local);
  let lid = lane_of(local);
  if (c >= P.channels) { return; }
  let mu = ST[c];
  let istd = ST[P.channels + c];
  var sg = 0.0;
  var sgx = 0.0;
  for (var n = lid; n < P.batch; n += LANES) {
    let r = row(c, n);
    for (var k = 0u; k < P.inner; k++) {
      let g = G[r + k];
      sg += g;
      sgx += g * (X[r + k] - mu);
    }
  }
  sgx *= istd;
  let gb = tree_sum(lid, sg);
  let gw = tree_sum(lid, sgx);
  if (lid == 0u) {
    GW[c] = gw;
    GB[c] = gb;
  }
  let k = weight(c) * istd;
#if EVAL
  for (var n = lid; n < P.batch; n += LANES) {
    let r = row(c, n);
    for (var e = 0u; e < P.inner; e++) { DX[r + e] = k * G[r + e]; }
  }
#else
  // dx = k (g - mg - (x - mu) istd mgx) = k g - k istd mgx x + k (istd mgx mu - mg)
  let mg = gb * P.inv_count;
  let a = k * istd * gw * P.inv_count;
  let b = a * mu - k * mg;
  for (var n = lid; n < P.batch; n += LANES) {
    let r = row(c, n);
    for (var e = 0u; e < P.inner; e++) { DX[r + e] = k * G[r + e] - a * X[r + e] + b; }
  }
#endif
}

@group(0) @binding(1) var<storage, read_write> NBT: array<i32>;  // [1] num_batches_tracked (count_batches)

@compute @workgroup_size(1)
fn count_batches() {
  NBT[0] = NBT[0] + 1;
}
