// The total norm of many gradients and their in-place clipping, as PyTorch's
// torch.nn.utils.clip_grad_norm_, on the GPU with no readback and no atomics (deterministic):
//
//   partial (one dispatch per gradient g of n elements, K partial sums, K = P.count):
//            part[offset + k] = sum_{j = k, k + K, k + 2K, ... < n} |g[j]|^p
//            (INF: max_j |g[j]|, NaN-propagating). Invocation k reads every K-th element, so
//            neighbouring invocations read neighbouring elements (coalesced), in a fixed order.
//   finish   (one workgroup of WG lanes over every gradient's partials, P.count of them):
//            s = sum_k part[k] (INF: max), lane-strided then a workgroup tree in a fixed order;
//            norm[0] = total = s^(1/p); clip = (coef, total) with coef = min(1, max_norm /
//            (total + 1e-6)), NaN when total is NaN (min() need not propagate it). sum_i ||g_i||_p^p equals
//            ||(||g_1||_p, ..., ||g_m||_p)||_p, PyTorch's norm of the per-tensor norms.
//   scale    (one dispatch per gradient): g[j] = g[j] * coef; with P.skip_nonfinite (the
//            caller's errorIfNonfinite) nothing is scaled when total is NaN or Inf, so the error
//            the host raises afterwards finds every gradient untouched.
// p is P.mode: 0 = Inf (max |g|), 1, 2 (g * g, sqrt), 3 = any other p > 0 (pow).
// No barriers in partial and scale, one workgroup in finish: both kernel families use these
// kernels. The 2-D grid (x * y workgroups) holds more than 65535 * WG invocations.

override WG: u32 = 64u;

struct Params {
  n: u32,              // partial, scale: elements of the gradient
  count: u32,          // partial: K, the partial sums of this gradient; finish: all partial sums
  offset: u32,         // partial: where this gradient's partial sums start in part
  mode: u32,           // 0: Inf, 1: p = 1, 2: p = 2, 3: general p
  p: f32,              // the norm's order (mode 3)
  max_norm: f32,       // finish
  skip_nonfinite: u32, // scale: leave g unchanged when the total norm is not finite
  _pad: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> Src: array<f32>;        // partial: g [n]; finish: part [count]
@group(0) @binding(1) var<storage, read_write> G: array<f32>;    // scale: g [n], scaled in place
@group(0) @binding(2) var<storage, read_write> Dst: array<f32>;  // partial: part [all partials]; finish: norm [1], the 0-d total norm
@group(0) @binding(2) var<storage, read> Clip: array<f32>;       // scale: clip [2] = (coef, total) of finish
@group(0) @binding(3) var<storage, read_write> ClipOut: array<f32>; // finish: clip [2] = (coef, total)

var<workgroup> red: array<f32, 64>;

fn is_nan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

fn is_finite(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7f800000u) != 0x7f800000u;
}

fn max_nan(a: f32, b: f32) -> f32 {
  if (is_nan(a)) { return a; }
  if (is_nan(b)) { return b; }
  return max(a, b);
}

// |v|^p of one element.
fn power(v: f32) -> f32 {
  let a = abs(v);
  switch P.mode {
    case 0u, 1u: { return a; }
    case 2u: { return a * a; }
    default: {
      if (a == 0.0) { return 0.0; }
      return pow(a, P.p);
    }
  }
}

fn combine(acc: f32, v: f32) -> f32 {
  if (P.mode == 0u) { return max_nan(acc, v); }
  return acc + v;
}

fn flat_index(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return gid.y * nwg.x * WG + gid.x;
}

@compute @workgroup_size(WG)
fn partial(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let k = flat_index(gid, nwg);
  if (k >= P.count) { return; }
  var acc = 0.0;
  for (var j = k; j < P.n; j += P.count) { acc = combine(acc, power(Src[j])); }
  Dst[P.offset + k] = acc;
}

@compute @workgroup_size(WG)
fn finish(@builtin(local_invocation_index) lid: u32) {
  var acc = 0.0;
  for (var k = lid; k < P.count; k += WG) { acc = combine(acc, Src[k]); }
  red[lid] = acc;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid < s) { red[lid] = combine(red[lid], red[lid + s]); }
    workgroupBarrier();
  }
  if (lid == 0u) {
    let s = red[0];
    var total = s;
    if (P.mode == 2u) { total = sqrt(s); } else if (P.mode == 3u && s > 0.0) { total = pow(s, 1.0 / P.p); }
    if (is_nan(s)) { total = s; }
    var coef = min(1.0, P.max_norm / (total + 1e-6));
    if (is_nan(total)) { coef = total; }
    Dst[0] = total;
    ClipOut[0] = coef;
    ClipOut[1] = total;
  }
}

@compute @workgroup_size(WG)
fn scale(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg);
  if (i >= P.n) { return; }
  if (P.skip_nonfinite != 0u && !is_finite(Clip[1])) { return; }
  G[i] = G[i] * Clip[0];
}
