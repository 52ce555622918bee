// Fused layer norm and RMS norm over the last D elements of each row (x viewed as [R, D]).
//
//   layer norm: mean_r = (1/D) SUM_c x[r, c],  var_r = (1/D) SUM_c (x[r, c] - mean_r)^2  (biased)
//               rstd_r = 1 / sqrt(var_r + eps),  xhat = (x - mean_r) * rstd_r,  y = xhat * w + b
//   RMS norm:   rstd_r = 1 / sqrt((1/D) SUM_c x[r, c]^2 + eps),  xhat = x * rstd_r,  y = xhat * w
//   forward:          one pass over the row for mean and variance: each lane runs Welford's
//                     update over its strided elements (shifted by the row's first element), lanes merge with Chan's formula
//                     (n, mean, M2), which avoids E[x^2] - E[x]^2 cancellation. Saves
//                     S[r] = (mean_r, rstd_r) for backward (mean is 0 for RMS norm).
//   backward_x:       gy = g * w;  dx = rstd * (gy - (SUM gy + xhat * SUM gy * xhat) / D)
//                     (RMS norm: dx = rstd * (gy - xhat * SUM gy * xhat / D)); xhat recomputed
//                     from x and S, so nothing of size R x D is saved besides x.
//   backward_params:  dw[c] = SUM_r g[r, c] * xhat[r, c],  db[c] = SUM_r g[r, c]: column sums in
//                     a fixed order (no atomics): two runs give bit-identical gradients.
// HAS_WEIGHT / HAS_BIAS: the op's optional parameters (absent: weight 1, bias 0, no gradient).
// Families: the GPU entries use one workgroup per row (forward, backward_x) and a COLS x ROWS
// tree per column block (backward_params); SERIAL (CPU drivers, where a barrier is a coroutine
// switch per invocation) gives one invocation per row / per column and plain loops, no barriers.

override WG: u32 = 64u;
override COLS: u32 = 16u;
override ROWS: u32 = 16u;
#if SERIAL
const LANES = 1u;
#else
override LANES: u32 = WG;
#endif

struct Params {
  rows: u32,     // R
  cols: u32,     // D
  eps: f32,
  _pad: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> X: array<f32>;           // [R, D] input
@group(0) @binding(2) var<storage, read> W: array<f32>;           // [D] weight (HAS_WEIGHT; else 1)
@group(0) @binding(3) var<storage, read> B: array<f32>;           // [D] bias (forward, HAS_BIAS; else 0)
@group(0) @binding(3) var<storage, read> G: array<f32>;           // [R, D] upstream gradient (backward)
@group(0) @binding(4) var<storage, read_write> Y: array<f32>;     // [R, D] y (forward), dx (backward_x)
@group(0) @binding(4) var<storage, read_write> DW: array<f32>;    // [D] dw (backward_params)
@group(0) @binding(5) var<storage, read_write> S: array<vec2<f32>>;  // [R] (mean, rstd), written by forward
@group(0) @binding(5) var<storage, read> SR: array<vec2<f32>>;       // [R] (mean, rstd), read by backward
@group(0) @binding(6) var<storage, read_write> DB: array<f32>;    // [D] db (backward_params)

var<workgroup> red_a: array<f32, 256>;
var<workgroup> red_b: array<f32, 256>;
var<workgroup> red_n: array<f32, 64>;

fn w_at(c: u32) -> f32 {
#if HAS_WEIGHT
  return W[c];
#else
  return 1.0;
#endif
}

fn b_at(c: u32) -> f32 {
#if HAS_BIAS
  return B[c];
#else
  return 0.0;
#endif
}

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

// Sums of (a, b) over the lanes of a row (identity when SERIAL).
fn row_sum2(lid: u32, v: vec2<f32>) -> vec2<f32> {
#if SERIAL
  return v;
#else
  red_a[lid] = v.x;
  red_b[lid] = v.y;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid < s) {
      red_a[lid] = red_a[lid] + red_a[lid + s];
      red_b[lid] = red_b[lid] + red_b[lid + s];
    }
    workgroupBarrier();
  }
  let r = vec2<f32>(red_a[0], red_b[0]);
  workgroupBarrier();
  return r;
#endif
}

// Welford state (count, mean, M2) of this lane's elements, merged over the lanes (Chan et al.).
// Values are shifted by the row's first element first: x - k is exact for x near k (Sterbenz),
// so a row like 1000 + 0.01 * noise keeps its spread instead of drifting with the rounding of a
// running mean near 1000 (that drift cost 6% of the std over 100 elements). Returns the
// moments of x - k.
fn row_moments(lid: u32, base: u32, k: f32) -> vec3<f32> {
  var n = 0.0;
  var mean = 0.0;
  var m2 = 0.0;
  for (var c = lid; c < P.cols; c += LANES) {
    let v = X[base + c] - k;
    n += 1.0;
    let d = v - mean;
    mean += d / n;
    m2 += d * (v - mean);
  }
#if SERIAL
  return vec3<f32>(n, mean, m2);
#else
  red_n[lid] = n;
  red_a[lid] = mean;
  red_b[lid] = m2;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid < s) {
      let na = red_n[lid];
      let nb = red_n[lid + s];
      let nt = na + nb;
      if (nb > 0.0) {
        let d = red_a[lid + s] - red_a[lid];
        red_a[lid] = red_a[lid] + d * (nb / nt);
        red_b[lid] = red_b[lid] + red_b[lid + s] + d * d * (na * nb / nt);
        red_n[lid] = nt;
      }
    }
    workgroupBarrier();
  }
  let r = vec3<f32>(red_n[0], red_a[0], red_b[0]);
  workgroupBarrier();
  return r;
#endif
}

@compute @workgroup_size(WG)
fn forward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) local: u32,
           @builtin(num_workgroups) nwg: vec3<u32>) {
  let r = row_of(wid, nwg, local);
  let lid = lane_of(local);
  if (r >= P.rows) { return; }
  let base = r * P.cols;
  let inv_d = 1.0 / f32(P.cols);
#if RMS
  var ss = 0.0;
  for (var c = lid; c < P.cols; c += LANES) { let v = X[base + c]; ss += v * v; }
  let mean = 0.0;
  let rstd = 1.0 / sqrt(row_sum2(lid, vec2<f32>(ss, 0.0)).x * inv_d + P.eps);
#else
  let shift = X[base];
  let mom = row_moments(lid, base, shift);
  let mean = shift + mom.y;
  let rstd = 1.0 / sqrt(mom.z * inv_d + P.eps);
#endif
  for (var c = lid; c < P.cols; c += LANES) {
#if RMS
    Y[base + c] = (X[base + c] * rstd) * w_at(c);
#else
    Y[base + c] = ((X[base + c] - mean) * rstd) * w_at(c) + b_at(c);
#endif
  }
  if (lid == 0u) { S[r] = vec2<f32>(mean, rstd); }
}

@compute @workgroup_size(WG)
fn backward_x(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) local: u32,
              @builtin(num_workgroups) nwg: vec3<u32>) {
  let r = row_of(wid, nwg, local);
  let lid = lane_of(local);
  if (r >= P.rows) { return; }
  let base = r * P.cols;
  let st = SR[r];
  // (SUM gy, SUM gy * xhat) over the row.
  var acc = vec2<f32>(0.0, 0.0);
  for (var c = lid; c < P.cols; c += LANES) {
    let gy = G[base + c] * w_at(c);
    acc += vec2<f32>(gy, gy * ((X[base + c] - st.x) * st.y));
  }
  let sums = row_sum2(lid, acc) * (1.0 / f32(P.cols));
  for (var c = lid; c < P.cols; c += LANES) {
    let gy = G[base + c] * w_at(c);
    let xhat = (X[base + c] - st.x) * st.y;
#if RMS
    Y[base + c] = st.y * (gy - xhat * sums.y);
#else
    Y[base + c] = st.y * (gy - sums.x - xhat * sums.y);
#endif
  }
}

// (g * xhat, g) summed over rows r = first, first + step, ... of column c.
fn column_partial(c: u32, first: u32, step: u32) -> vec2<f32> {
  var acc = vec2<f32>(0.0, 0.0);
  for (var r = first; r < P.rows; r += step) {
    let st = SR[r];
    let g = G[r * P.cols + c];
    acc += vec2<f32>(g * ((X[r * P.cols + c] - st.x) * st.y), g);
  }
  return acc;
}

#if SERIAL
@compute @workgroup_size(WG)
fn backward_params(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
                   @builtin(num_workgroups) nwg: vec3<u32>) {
  let c = (wid.y * nwg.x + wid.x) * WG + lid;
  if (c >= P.cols) { return; }
  let acc = column_partial(c, 0u, 1u);
#if HAS_WEIGHT
  DW[c] = acc.x;
#endif
#if HAS_BIAS
  DB[c] = acc.y;
#endif
}
#else
@compute @workgroup_size(COLS, ROWS)
fn backward_params(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
                   @builtin(num_workgroups) nwg: vec3<u32>) {
  let c = (wid.y * nwg.x + wid.x) * COLS + lid.x;
  let slot = lid.y * COLS + lid.x;
  var acc = vec2<f32>(0.0, 0.0);
  if (c < P.cols) { acc = column_partial(c, lid.y, ROWS); }
  red_a[slot] = acc.x;
  red_b[slot] = acc.y;
  workgroupBarrier();
  for (var s = ROWS / 2u; s > 0u; s = s / 2u) {
    if (lid.y < s) {
      red_a[slot] = red_a[slot] + red_a[slot + s * COLS];
      red_b[slot] = red_b[slot] + red_b[slot + s * COLS];
    }
    workgroupBarrier();
  }
  if (lid.y == 0u && c < P.cols) {
#if HAS_WEIGHT
    DW[c] = red_a[lid.x];
#endif
#if HAS_BIAS
    DB[c] = red_b[lid.x];
#endif
  }
}
#endif
