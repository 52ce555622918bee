// 2-D convolution (PyTorch F.conv2d, NCHW) as im2col + matmul, plus the gathers around it.
//
//   y[n, o, oh, ow] = b[o] + sum_{c in group(o), ky, kx} w[o, c - g*Cg, ky, kx] *
//                     x[n, c, oh*sH - pH + ky*dH, ow*sW - pW + kx*dW]      (0 outside x)
//
// The matmuls run in src/kernels/matmul.ts; this file moves data between NCHW tensors and
// the column layout of one chunk of `nb` images starting at image n0 (L = OH * OW,
// Kg = Cg * kH * kW, row index kk = (cg * kH + ky) * kW + kx, as w's [O, Cg, kH, kW] layout):
//   cols [G, Kg, nb, L]    im2col:  cols[g, kk, n', l] = x[n0 + n', g*Cg + cg, ih, iw] (0 in the padding)
//   col2im (backward of im2col, a GATHER, never a scatter-add: each dx element sums the
//          column entries that read it, so overlapping windows need no atomics):
//     dx[n, c, ih, iw] = sum_{ky, kx : oh = (ih + pH - ky*dH) / sH integral in [0, OH), same for ow}
//                        dcols[g, kk, n - n0, oh*OW + ow]
//   to_nchw:   y[n0 + n', o, l] = yt[o, n', l] + b[o]   (yt: the matmul's [G, Og, nb*L] = [O, nb, L])
//   from_nchw: gt[o, n', l] = g[n0 + n', o, l]          (the output gradient in the matmul layout)
//   accumulate: acc[i] += part[i]                        (dw summed over chunks, in chunk order)
// Every entry is one invocation per output element with no barriers and no workgroup memory,
// so the same kernels serve both kernel families (CPU drivers and GPUs).

override WG: u32 = 256u;

struct Params {
  n: u32,        // invocations (elements written)
  nb: u32,       // images in this chunk
  n0: u32,       // first image of the chunk
  C: u32,
  H: u32,
  W: u32,
  O: u32,
  G: u32,
  kH: u32,
  kW: u32,
  sH: u32,
  sW: u32,
  pH: u32,       // leading (top) padding
  pW: u32,       // leading (left) padding
  dH: u32,
  dW: u32,
  OH: u32,
  OW: u32,
  has_bias: u32,
  _pad: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> A: array<f32>;        // im2col: x [N, C, H, W]; col2im: dcols [G, Kg, nb, L]; to_nchw: yt [O, nb, L]; from_nchw: g [N, O, OH, OW]; accumulate: part
@group(0) @binding(2) var<storage, read> Bias: array<f32>;     // to_nchw: b [O] (placeholder otherwise)
@group(0) @binding(3) var<storage, read_write> Out: array<f32>; // im2col: cols; col2im: dx [N, C, H, W]; to_nchw: y [N, O, OH, OW]; from_nchw: gt [O, nb, L]; accumulate: acc

fn index(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return gid.y * nwg.x * WG + gid.x;
}

@compute @workgroup_size(WG)
fn im2col(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = index(gid, nwg);
  if (i >= P.n) { return; }
  let L = P.OH * P.OW;
  let Cg = P.C / P.G;
  let Kg = Cg * P.kH * P.kW;
  let l = i % L;
  var t = i / L;
  let nn = t % P.nb;
  t = t / P.nb;
  let kk = t % Kg;
  let g = t / Kg;
  let kx = kk % P.kW;
  let ky = (kk / P.kW) % P.kH;
  let c = g * Cg + kk / (P.kW * P.kH);
  let ih = i32((l / P.OW) * P.sH + ky * P.dH) - i32(P.pH);
  let iw = i32((l % P.OW) * P.sW + kx * P.dW) - i32(P.pW);
  var v = 0.0;
  if (ih >= 0 && ih < i32(P.H) && iw >= 0 && iw < i32(P.W)) {
    v = A[(((P.n0 + nn) * P.C + c) * P.H + u32(ih)) * P.W + u32(iw)];
  }
  Out[i] = v;
}

@compute @workgroup_size(WG)
fn col2im(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = index(gid, nwg);
  if (i >= P.n) { return; }
  // i runs over the chunk's part of dx: [nb, C, H, W].
  let L = P.OH * P.OW;
  let Cg = P.C / P.G;
  let Kg = Cg * P.kH * P.kW;
  let iw = i % P.W;
  let ih = (i / P.W) % P.H;
  let c = (i / (P.W * P.H)) % P.C;
  let nn = i / (P.W * P.H * P.C);
  let g = c / Cg;
  let cg = c % Cg;
  var acc = 0.0;
  for (var ky = 0u; ky < P.kH; ky++) {
    let ty = i32(ih + P.pH) - i32(ky * P.dH);
    if (ty < 0 || u32(ty) % P.sH != 0u) { continue; }
    let oh = u32(ty) / P.sH;
    if (oh >= P.OH) { continue; }
    for (var kx = 0u; kx < P.kW; kx++) {
      let tx = i32(iw + P.pW) - i32(kx * P.dW);
      if (tx < 0 || u32(tx) % P.sW != 0u) { continue; }
      let ow = u32(tx) / P.sW;
      if (ow >= P.OW) { continue; }
      let kk = (cg * P.kH + ky) * P.kW + kx;
      acc += A[((g * Kg + kk) * P.nb + nn) * L + oh * P.OW + ow];
    }
  }
  Out[P.n0 * P.C * P.H * P.W + i] = acc;
}

@compute @workgroup_size(WG)
fn to_nchw(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = index(gid, nwg);
  if (i >= P.n) { return; }
  // i runs over the chunk's part of y: [nb, O, L].
  let L = P.OH * P.OW;
  let l = i % L;
  let o = (i / L) % P.O;
  let nn = i / (L * P.O);
  var v = A[(o * P.nb + nn) * L + l];
  if (P.has_bias != 0u) { v += Bias[o]; }
  Out[P.n0 * P.O * L + i] = v;
}

@compute @workgroup_size(WG)
fn from_nchw(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = index(gid, nwg);
  if (i >= P.n) { return; }
  // i runs over gt: [O, nb, L].
  let L = P.OH * P.OW;
  let l = i % L;
  let nn = (i / L) % P.nb;
  let o = i / (L * P.nb);
  Out[i] = A[((P.n0 + nn) * P.O + o) * L + l];
}

@compute @workgroup_size(WG)
fn accumulate(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = index(gid, nwg);
  if (i >= P.n) { return; }
  Out[i] = Out[i] + A[i];
}
