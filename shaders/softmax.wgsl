// Softmax, log-softmax along any axis, and the fused softmax-cross-entropy, one workgroup per row.
//
// A "row" is a line along the softmax axis: x viewed as [outer, C, inner] (inner = the product of
// the dims after the axis, 1 for the last axis), row r = (o, i) = (r / inner, r % inner) holds
// x[o, c, i] for c < C, at element (o * C) * inner + i + c * inner. Reading the axis with stride
// `inner` in place needs no permute copies (the cross-entropy entries use inner = 1).
//
//   softmax:      y[r, c] = exp(x[r, c] - m_r) / s_r,   m_r = max_c x[r, c],  s_r = sum_c exp(x - m_r)
//   log_softmax:  y[r, c] = x[r, c] - m_r - log(s_r)
//   ce_forward:   p = softmax(x); loss_r = -sum_c t[r, c] * log p[r, c]
//                 computed as -sum_c t * (x - m - log s) so a probability of 0 never takes log(0).
//                 Labels are class indices (i32, LABELS_INT) or per-class targets (f32 rows).
//   ce_backward:  dx[r, c] = g * (p[r, c] * T_r - t[r, c]) / N   (g: upstream scalar gradient,
//                 T_r = sum_c t[r, c]: 1 for class indices and one-hot rows, which gives seed
//                 003's (y - t) / N; soft targets that do not sum to 1 need the factor)
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
  _pad1: u32,
  _pad2: u32,
  _pad3: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> X: array<f32>;             // [outer, C, inner] logits, or y (backward)
@group(0) @binding(2) var<storage, read> T: array<f32>;             // like X: f32 targets ([N, C]), or g (backward), unused by softmax
@group(0) @binding(2) var<storage, read> TI: array<i32>;            // [N] i32 class indices (LABELS_INT)
@group(0) @binding(3) var<storage, read_write> Y: array<f32>;       // like X: output (probabilities / dx)
@group(0) @binding(4) var<storage, read_write> L: array<f32>;       // [N] per-row loss (ce_forward); [1] upstream g (ce_backward)

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

fn target_at(base: u32, r: u32, c: u32) -> f32 {
#if LABELS_INT
  return select(0.0, 1.0, TI[r] == i32(c));
#else
  return T[base + c];
#endif
}

@compute @workgroup_size(WG)
fn ce_forward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) local: u32,
              @builtin(num_workgroups) nwg: vec3<u32>) {
  let r = row_of(wid, nwg, local);
  let lid = lane_of(local);
  if (r >= P.rows) { return; }
  let base = r * P.cols;
  let st = row_stats(lid, base);
  var loss = 0.0;
  for (var c = lid; c < P.cols; c += LANES) {
    let logp = X[base + c] - st.x - st.y;
    Y[base + c] = exp(logp);
    let t = target_at(base, r, c);
    if (t != 0.0) { loss -= t * logp; }
  }
  loss = tree_sum(lid, loss);
  if (lid == 0u) {
#if LABELS_INT
    // An out-of-range class index has no target: report NaN rather than a silent 0 loss.
    // (P._pad is 0; reading it keeps the NaN a runtime value: constant NaNs do not compile.)
    if (TI[r] < 0 || u32(TI[r]) >= P.cols) { loss = bitcast<f32>(P._pad | 0x7fc00000u); }
#endif
    L[r] = loss;
  }
}

@compute @workgroup_size(WG)
fn ce_backward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) local: u32,
               @builtin(num_workgroups) nwg: vec3<u32>) {
  // X = saved probabilities p, L[0] = upstream gradient of the (mean) loss.
  let r = row_of(wid, nwg, local);
  let lid = lane_of(local);
  if (r >= P.rows) { return; }
  let base = r * P.cols;
  let g = L[0] * P.inv_n;
  var acc = 0.0;
  for (var c = lid; c < P.cols; c += LANES) { acc += target_at(base, r, c); }
  let tsum = tree_sum(lid, acc);
  for (var c = lid; c < P.cols; c += LANES) {
    Y[base + c] = g * (X[base + c] * tsum - target_at(base, r, c));
  }
}
