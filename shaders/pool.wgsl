// 2-D pooling over planes [P, H, W] (P = N * C) -> [P, OH, OW] (PyTorch max_pool2d, avg_pool2d,
// adaptive_avg_pool2d).
//
//   window of output (oh, ow): rows oh*sH - pH + ky*dH for ky < kH, cols likewise (dH = 1 for avg)
//   max:  y = max over the window's in-bounds taps; idx = h*W + w of the FIRST maximum in
//         row-major window order (a later equal value does not replace it), and a NaN tap wins
//         (v > m || isnan(v)): PyTorch's CPU rule, so ties and NaN go where PyTorch sends them.
//   avg:  y = sum(in-bounds taps) / div, div = the window clipped to the padded input
//         (countIncludePad) or to the input itself, as PyTorch's avg_pool2d.
//   adaptive: rows floor(oh*H/OH) .. ceil((oh+1)*H/OH), cols likewise; y = their mean.
// Backward entries are GATHERS over input elements (no atomics, deterministic): an input tap
// (h, w) lies in output oh's window for the ky with (h + pH - ky*dH) = oh*sH, so each input
// visits at most kH * kW outputs:
//   max_backward: dx[h, w] = sum of dy over the outputs whose idx is h*W + w
//   max_backward_tiled: the same when the windows TILE the input (dilation 1, stride = kernel,
//         the windows reach past the last row and column): every input element lies in exactly
//         one window, so one invocation per OUTPUT writes its window's taps (dy at idx, 0 at the
//         others) with no write shared and none missed. ~4x fewer invocations than the gather for
//         2x2 pooling and no integer division per tap: CPU drivers scalarise vector u32 division,
//         which made the gather the slowest kernel of a SimpleConvNet step on lavapipe.
//   avg_backward: dx[h, w] = sum of dy / div over the outputs whose window holds (h, w)
//   adaptive_backward: the same over the adaptive windows holding (h, w)
// One invocation per output element, no barriers: both kernel families use these kernels.
// max_forward and max_backward_tiled take `run` consecutive outputs of a row per invocation:
// 1 on GPUs, a whole row on CPU drivers (the index decomposition's integer divisions, which
// their vector compilers scalarise, are then paid once per row).

override WG: u32 = 256u;

struct Params {
  n: u32,          // invocations (elements written)
  H: u32,
  W: u32,
  OH: u32,
  OW: u32,
  kH: u32,
  kW: u32,
  sH: u32,
  sW: u32,
  pH: u32,
  pW: u32,
  dH: u32,
  dW: u32,
  include_pad: u32, // avg: count the padding in the divisor
  _pad0: u32,
  run: u32,        // max_forward, max_backward_tiled: outputs of a row per invocation
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> X: array<f32>;          // forward: x [P, H, W]; backward: dy [P, OH, OW]
@group(0) @binding(2) var<storage, read> Idx: array<i32>;        // max_backward: idx [P, OH, OW] (placeholder otherwise)
@group(0) @binding(3) var<storage, read_write> Y: array<f32>;    // forward: y [P, OH, OW]; backward: dx [P, H, W]
@group(0) @binding(4) var<storage, read_write> YIdx: array<i32>; // max_forward: idx [P, OH, OW] (placeholder otherwise)

fn index(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return gid.y * nwg.x * WG + gid.x;
}

// Output element i: (ow, oh, offset of its input plane).
fn out_coords(i: u32) -> vec3<u32> {
  return vec3<u32>(i % P.OW, (i / P.OW) % P.OH, (i / (P.OW * P.OH)) * P.H * P.W);
}

// Input element i: (w, h, offset of its output plane).
fn in_coords(i: u32) -> vec3<u32> {
  return vec3<u32>(i % P.W, (i / P.W) % P.H, (i / (P.W * P.H)) * P.OH * P.OW);
}

fn is_nan(v: f32) -> bool {
  // Bit test: a compiler may fold v != v away under fast-math assumptions.
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

// Invocation i's first output: (ow0, output row over [P, OH], offset of its input plane, oh).
fn run_coords(i: u32) -> vec4<u32> {
  let per_row = (P.OW + P.run - 1u) / P.run;
  let row = i / per_row;
  return vec4<u32>((i % per_row) * P.run, row, (row / P.OH) * P.H * P.W, row % P.OH);
}

@compute @workgroup_size(WG)
fn max_forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = index(gid, nwg);
  if (i >= P.n) { return; }
  let rc = run_coords(i);
  let base = rc.z;
  let oh = rc.w;
  for (var ow = rc.x; ow < min(rc.x + P.run, P.OW); ow++) {
    // -inf (P._pad0 is 0; reading it keeps -inf a run-time value: constant infinities do not compile)
    var m = bitcast<f32>(P._pad0 | 0xff800000u);
    var at = -1;
    for (var ky = 0u; ky < P.kH; ky++) {
      let h = i32(oh * P.sH + ky * P.dH) - i32(P.pH);
      if (h < 0 || h >= i32(P.H)) { continue; }
      for (var kx = 0u; kx < P.kW; kx++) {
        let w = i32(ow * P.sW + kx * P.dW) - i32(P.pW);
        if (w < 0 || w >= i32(P.W)) { continue; }
        let v = X[base + u32(h) * P.W + u32(w)];
        if (at < 0 || v > m || is_nan(v)) {
          m = v;
          at = h * i32(P.W) + w;
        }
      }
    }
    let o = rc.y * P.OW + ow;
    Y[o] = m;
    YIdx[o] = at;
  }
}

@compute @workgroup_size(WG)
fn max_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = index(gid, nwg);
  if (i >= P.n) { return; }
  let at_in = in_coords(i);
  let w = at_in.x;
  let h = at_in.y;
  let obase = at_in.z;
  let me = i32(h * P.W + w);
  var acc = 0.0;
  for (var ky = 0u; ky < P.kH; ky++) {
    let ty = i32(h + P.pH) - i32(ky * P.dH);
    if (ty < 0 || u32(ty) % P.sH != 0u || u32(ty) / P.sH >= P.OH) { continue; }
    for (var kx = 0u; kx < P.kW; kx++) {
      let tx = i32(w + P.pW) - i32(kx * P.dW);
      if (tx < 0 || u32(tx) % P.sW != 0u || u32(tx) / P.sW >= P.OW) { continue; }
      let o = obase + (u32(ty) / P.sH) * P.OW + u32(tx) / P.sW;
      if (Idx[o] == me) { acc += X[o]; }
    }
  }
  Y[i] = acc;
}

@compute @workgroup_size(WG)
fn max_backward_tiled(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = index(gid, nwg);
  if (i >= P.n) { return; }
  // Outputs of dy [P, OH, OW]; Y = dx [P, H, W] (every element written by exactly one output).
  let rc = run_coords(i);
  let base = rc.z;
  let oh = rc.w;
  for (var ow = rc.x; ow < min(rc.x + P.run, P.OW); ow++) {
    let o = rc.y * P.OW + ow;
    let g = X[o];
    let at = Idx[o];
    for (var ky = 0u; ky < P.kH; ky++) {
      let h = i32(oh * P.sH + ky) - i32(P.pH);
      if (h < 0 || h >= i32(P.H)) { continue; }
      for (var kx = 0u; kx < P.kW; kx++) {
        let w = i32(ow * P.sW + kx) - i32(P.pW);
        if (w < 0 || w >= i32(P.W)) { continue; }
        let me = h * i32(P.W) + w;
        Y[base + u32(me)] = select(0.0, g, me == at);
      }
    }
  }
}

// PyTorch's divisor of avg output (oh, ow); 0 when the window holds no input element.
fn avg_divisor(oh: u32, ow: u32) -> f32 {
  let hs = i32(oh * P.sH) - i32(P.pH);
  let ws = i32(ow * P.sW) - i32(P.pW);
  let he = min(hs + i32(P.kH), i32(P.H + P.pH));
  let we = min(ws + i32(P.kW), i32(P.W + P.pW));
  let pool = (he - hs) * (we - ws);
  let ch = min(he, i32(P.H)) - max(hs, 0);
  let cw = min(we, i32(P.W)) - max(ws, 0);
  if (ch <= 0 || cw <= 0) { return 0.0; }
  if (P.include_pad != 0u) { return f32(pool); }
  return f32(ch * cw);
}

@compute @workgroup_size(WG)
fn avg_forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = index(gid, nwg);
  if (i >= P.n) { return; }
  let at_out = out_coords(i);
  let ow = at_out.x;
  let oh = at_out.y;
  let base = at_out.z;
  let div = avg_divisor(oh, ow);
  var s = 0.0;
  for (var ky = 0u; ky < P.kH; ky++) {
    let h = i32(oh * P.sH + ky) - i32(P.pH);
    if (h < 0 || h >= i32(P.H)) { continue; }
    for (var kx = 0u; kx < P.kW; kx++) {
      let w = i32(ow * P.sW + kx) - i32(P.pW);
      if (w < 0 || w >= i32(P.W)) { continue; }
      s += X[base + u32(h) * P.W + u32(w)];
    }
  }
  Y[i] = select(0.0, s / div, div > 0.0);
}

@compute @workgroup_size(WG)
fn avg_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = index(gid, nwg);
  if (i >= P.n) { return; }
  let at_in = in_coords(i);
  let w = at_in.x;
  let h = at_in.y;
  let obase = at_in.z;
  var acc = 0.0;
  for (var ky = 0u; ky < P.kH; ky++) {
    let ty = i32(h + P.pH) - i32(ky);
    if (ty < 0 || u32(ty) % P.sH != 0u || u32(ty) / P.sH >= P.OH) { continue; }
    for (var kx = 0u; kx < P.kW; kx++) {
      let tx = i32(w + P.pW) - i32(kx);
      if (tx < 0 || u32(tx) % P.sW != 0u || u32(tx) / P.sW >= P.OW) { continue; }
      let oh = u32(ty) / P.sH;
      let ow = u32(tx) / P.sW;
      acc += X[obase + oh * P.OW + ow] / avg_divisor(oh, ow);
    }
  }
  Y[i] = acc;
}

fn start_of(o: u32, size: u32, osize: u32) -> u32 {
  return (o * size) / osize;
}

fn end_of(o: u32, size: u32, osize: u32) -> u32 {
  return ((o + 1u) * size + osize - 1u) / osize;
}

@compute @workgroup_size(WG)
fn adaptive_forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = index(gid, nwg);
  if (i >= P.n) { return; }
  let at_out = out_coords(i);
  let ow = at_out.x;
  let oh = at_out.y;
  let base = at_out.z;
  let h0 = start_of(oh, P.H, P.OH);
  let h1 = end_of(oh, P.H, P.OH);
  let w0 = start_of(ow, P.W, P.OW);
  let w1 = end_of(ow, P.W, P.OW);
  var s = 0.0;
  for (var h = h0; h < h1; h++) {
    for (var w = w0; w < w1; w++) { s += X[base + h * P.W + w]; }
  }
  Y[i] = s / f32((h1 - h0) * (w1 - w0));
}

@compute @workgroup_size(WG)
fn adaptive_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = index(gid, nwg);
  if (i >= P.n) { return; }
  let at_in = in_coords(i);
  let w = at_in.x;
  let h = at_in.y;
  let obase = at_in.z;
  var acc = 0.0;
  // The windows holding row h start at oh >= floor(h * OH / H); they are consecutive.
  for (var oh = (h * P.OH) / P.H; oh < P.OH; oh++) {
    let h0 = start_of(oh, P.H, P.OH);
    if (h0 > h) { break; }
    let h1 = end_of(oh, P.H, P.OH);
    if (h >= h1) { continue; }
    for (var ow = (w * P.OW) / P.W; ow < P.OW; ow++) {
      let w0 = start_of(ow, P.W, P.OW);
      if (w0 > w) { break; }
      let w1 = end_of(ow, P.W, P.OW);
      if (w >= w1) { continue; }
      acc += X[obase + oh * P.OW + ow] / f32((h1 - h0) * (w1 - w0));
    }
  }
  Y[i] = acc;
}
