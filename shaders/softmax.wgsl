// Softmax, log-softmax along any axis, and the fused softmax-cross-entropy, one workgroup per row.
//
// A "row" is a line along the softmax axis: x viewed as [outer, C, inner] (inner = the product of
// the dims after the axis, 1 for the last axis), row r = (o, i) = (r / inner, r % inner) holds
// x[o, c, i] for c < C, at element (o * C) * inner + i + c * inner. Reading the axis with stride
// `inner` in place needs no permute copies. Cross-entropy uses the same rows with classes on
// dim 1 (PyTorch's [N, C, d1, ...]: outer = N, inner = d1 * ...), so row r is also the flat
// index of its class-index target in [N, d1, ...].
//
//   softmax:      y[r, c] = exp(x[r, c] - m_r) / s_r,   m_r = max_c x[r, c],  s_r = sum_c exp(x - m_r)
//   log_softmax:  y[r, c] = x[r, c] - m_r - log(s_r)
//   ce_forward:   p = softmax(x); loss_r = -sum_c t[r, c] * log p[r, c]
//                 computed as -sum_c t * (x - m - log s) so a probability of 0 never takes log(0).
//                 t is the effective target of PyTorch's F.cross_entropy (w: class weights, 1
//                 without; eps: label smoothing):
//                   class index y (i32, LABELS_INT): t[c] = (1 - eps) w[y] [c == y] + eps / C w[c],
//                     and t = 0 for y == ignore_index; RW[r] = w[y] (0 when ignored), the row's
//                     share of the 'mean' denominator (sum over rows, reduced by the launcher)
//                   probabilities (f32 rows): t[c] = w[c] ((1 - eps) q[c] + eps / C)
//                 Class-index rows skip t = 0 (the -Inf log-probability of another class gives 0,
//                 as nll_loss); probability rows do not (0 * -Inf = NaN, as PyTorch's sum).
//   ce_backward:  dx[r, c] = g_r * (p[r, c] * T_r - t[r, c]) * inv_n   (T_r = sum_c t[r, c];
//                 g_r: the upstream gradient, one scalar or one per row (FLAG_G_PER_ROW); for
//                 'mean' the launcher passes g / denominator. One-hot rows give seed 003's
//                 (y - t) / N.)
//   softmax_backward:     dx = y * (g - sum_c g * y)
//   log_softmax_backward: dx = g - exp(y) * sum_c g
// Subtracting the row max first keeps exp() in range for logits of +-1e4.
// NaN and Inf as PyTorch (docs/NUMERICS.md): the max propagates NaN (tested on the bits: the
// max() builtin and float compares may drop NaN), so a row with a NaN is NaN; a +Inf makes
// x - m = Inf - Inf = NaN for the whole row; a -Inf entry of a finite row gets probability 0.
// Reductions across the row use a workgroup-memory tree: deterministic, no atomics.
// SERIAL (CPU adapters): one invocation per row instead of one workgroup, so the reductions
// are plain loops and there are no barriers (on a CPU driver every barrier is a coroutine
// switch per invocation; the tree form took 31 ms for 256 x 10 on SwiftShader). LANES is the
// number of invocations sharing a row: WG, or 1 when SERIAL.

override WG: u32 = 64u;
#if SERIAL
const LANES = 1u;
#else
override LANES: u32 = WG;
#endif

struct Params {
  rows: u32,     // N: outer * inner lines along the axis
  cols: u32,     // C: the length of the axis
  inv_n: f32,    // 1 / N (mean over rows for the loss gradient)
  _pad: u32,     // 0 (read to make a run-time NaN)
  inner: u32,    // element stride of the axis (product of the dims after it)
  ignore_index: i32, // cross-entropy: the class index whose rows are ignored (PyTorch's -100)
  smoothing: f32,    // cross-entropy: label smoothing eps in [0, 1]
  flags: u32,        // cross-entropy: FLAG_WEIGHT | FLAG_G_PER_ROW
}

const FLAG_WEIGHT = 1u;     // CW holds class weights (else every weight is 1)
const FLAG_G_PER_ROW = 2u;  // ce_backward: L holds one upstream gradient per row ('none')

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> X: array<f32>;             // [outer, C, inner] logits, or y (backward)
@group(0) @binding(2) var<storage, read> T: array<f32>;             // like X: f32 probability targets, or g (softmax_backward), unused by softmax
@group(0) @binding(2) var<storage, read> TI: array<i32>;            // [rows] i32 class indices (LABELS_INT)
@group(0) @binding(3) var<storage, read_write> Y: array<f32>;       // like X: output (probabilities / dx)
@group(0) @binding(4) var<storage, read_write> L: array<f32>;       // [rows] per-row loss (ce_forward); [1] or [rows] upstream g (ce_backward)
@group(0) @binding(5) var<storage, read> CW: array<f32>;            // [C] class weights (cross-entropy, FLAG_WEIGHT; placeholder otherwise)
@group(0) @binding(6) var<storage, read_write> RW: array<f32>;      // [rows] ce_forward with LABELS_INT: w[y] per row, 0 when ignored

var<workgroup> red: array<f32, 64>;

// The row this invocation works on (SERIAL: its own; else its workgroup's), and its lane in it.
fn row_of(wid: vec3<u32>, nwg: vec3<u32>, lid: u32) -> u32 {
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

// Element index of row r's first entry; entry c is at row_base(r) + c * P.inner.
fn row_base(r: u32) -> u32 {
  return (r / P.inner) * P.cols * P.inner + r % P.inner;
}

fn is_nan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

// max that propagates NaN (the builtin need not).
fn max_nan(a: f32, b: f32) -> f32 {
  if (is_nan(a)) { return a; }
  if (is_nan(b)) { return b; }
  return max(a, b);
}

fn tree_max(lid: u32, v: f32) -> f32 {
#if SERIAL
  return v;
#else
  red[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid < s) { red[lid] = max_nan(red[lid], red[lid + s]); }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
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

// Returns (max, log(sum exp(x - max))) of a row.
// The max starts from the row's first entry (C >= 1), so an all -Inf row gives m = -Inf and
// -Inf - -Inf = NaN, as in PyTorch, instead of a finite stand-in for -Inf.
fn row_stats(lid: u32, base: u32) -> vec2<f32> {
  var m = X[base];
  for (var c = lid; c < P.cols; c += LANES) { m = max_nan(m, X[base + c * P.inner]); }
  m = tree_max(lid, m);
  var s = 0.0;
  for (var c = lid; c < P.cols; c += LANES) { s += exp(X[base + c * P.inner] - m); }
  s = tree_sum(lid, s);
  return vec2<f32>(m, log(s));
}

@compute @workgroup_size(WG)
fn softmax(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) local: u32,
           @builtin(num_workgroups) nwg: vec3<u32>) {
  let r = row_of(wid, nwg, local);
  let lid = lane_of(local);
  if (r >= P.rows) { return; }
  let base = row_base(r);
  let st = row_stats(lid, base);
  for (var c = lid; c < P.cols; c += LANES) {
    let j = base + c * P.inner;
#if LOG
    Y[j] = X[j] - st.x - st.y;
#else
    Y[j] = exp(X[j] - st.x - st.y);
#endif
  }
}

@compute @workgroup_size(WG)
fn softmax_backward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) local: u32,
                    @builtin(num_workgroups) nwg: vec3<u32>) {
  // X = saved output y, T = upstream gradient g.
  let r = row_of(wid, nwg, local);
  let lid = lane_of(local);
  if (r >= P.rows) { return; }
  let base = row_base(r);
  var acc = 0.0;
  for (var c = lid; c < P.cols; c += LANES) {
    let j = base + c * P.inner;
#if LOG
    acc += T[j];
#else
    acc += T[j] * X[j];
#endif
  }
  let s = tree_sum(lid, acc);
  for (var c = lid; c < P.cols; c += LANES) {
    let j = base + c * P.inner;
#if LOG
    Y[j] = T[j] - exp(X[j]) * s;
#else
    Y[j] = X[j] * (T[j] - s);
#endif
  }
}

fn class_weight(c: u32) -> f32 {
  if ((P.flags & FLAG_WEIGHT) != 0u) { return CW[c]; }
  return 1.0;
}

// The effective target t[r, c] (see the header); `base` is row r's first element.
fn target_at(base: u32, r: u32, c: u32) -> f32 {
  let eps_c = P.smoothing / f32(P.cols);
#if LABELS_INT
  let y = TI[r];
  if (y == P.ignore_index) { return 0.0; }
  var t = eps_c * class_weight(c);
  if (y == i32(c)) { t += (1.0 - P.smoothing) * class_weight(c); }
  return t;
#else
  return class_weight(c) * ((1.0 - P.smoothing) * T[base + c * P.inner] + eps_c);
#endif
}

@compute @workgroup_size(WG)
fn ce_forward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) local: u32,
              @builtin(num_workgroups) nwg: vec3<u32>) {
  let r = row_of(wid, nwg, local);
  let lid = lane_of(local);
  if (r >= P.rows) { return; }
  let base = row_base(r);
  let st = row_stats(lid, base);
  var loss = 0.0;
  for (var c = lid; c < P.cols; c += LANES) {
    let j = base + c * P.inner;
    let logp = X[j] - st.x - st.y;
    Y[j] = exp(logp);
    let t = target_at(base, r, c);
#if LABELS_INT
    if (t != 0.0) { loss -= t * logp; }
#else
    loss -= t * logp;
#endif
  }
  loss = tree_sum(lid, loss);
  if (lid == 0u) {
#if LABELS_INT
    let y = TI[r];
    if (y == P.ignore_index) {
      RW[r] = 0.0;
    } else if (y < 0 || u32(y) >= P.cols) {
      // An out-of-range class index has no target: report NaN rather than a silent 0 loss.
      // (P._pad is 0; reading it keeps the NaN a runtime value: constant NaNs do not compile.)
      loss = bitcast<f32>(P._pad | 0x7fc00000u);
      RW[r] = 1.0;
    } else {
      RW[r] = class_weight(u32(y));
    }
#endif
    L[r] = loss;
  }
}

@compute @workgroup_size(WG)
fn ce_backward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) local: u32,
               @builtin(num_workgroups) nwg: vec3<u32>) {
  // X = saved probabilities p, L = upstream gradient (L[0], or L[r] with FLAG_G_PER_ROW).
  let r = row_of(wid, nwg, local);
  let lid = lane_of(local);
  if (r >= P.rows) { return; }
  let base = row_base(r);
  let g = L[select(0u, r, (P.flags & FLAG_G_PER_ROW) != 0u)] * P.inv_n;
  var acc = 0.0;
  for (var c = lid; c < P.cols; c += LANES) { acc += target_at(base, r, c); }
  let tsum = tree_sum(lid, acc);
  for (var c = lid; c < P.cols; c += LANES) {
    let j = base + c * P.inner;
    Y[j] = g * (X[j] * tsum - target_at(base, r, c));
  }
}
