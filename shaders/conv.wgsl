// 2-D convolution (PyTorch F.conv2d, NCHW) as im2col + matmul, plus the gathers around it.
//
//   y[n, o, oh, ow] = b[o] + sum_{c in group(o), ky, kx} w[o, c - g*Cg, ky, kx] *
//                     x[n, c, oh*sH - pH + ky*dH, ow*sW - pW + kx*dW]      (0 outside x)
//
// The matmuls run in src/kernels/matmul.ts; this file moves data between NCHW tensors and
// the column layout of one chunk of `nb` images starting at image n0 (L = OH * OW,
// Kg = Cg * kH * kW, row index kk = (cg * kH + ky) * kW + kx, as w's [O, Cg, kH, kW] layout).
// The chunk's images may be cut into S splits of nbs = ceil(nb / S) images (image
// n' = s * nbs + j; the padding images n' >= nb are zeros), so that dw's matmul is S*G batched
// products whose partial sums are added in order afterwards (split-K without atomics: one
// [O, Kg] product over nb*L has a single output tile, hence one workgroup). S = 1 is the plain
// layout the forward and dx use:
//   cols [S, G, Kg, nbs, L]  im2col: cols[s, g, kk, j, l] = x[n0 + n', g*Cg + cg, ih, iw] (0 in the padding)
//   gt   [S, O, nbs, L]      from_nchw: gt[s, o, j, l] = g[n0 + n', o, l]
// Both (and to_nchw) write `run` consecutive entries of a row per invocation (P.run): 1 on GPUs
// (one invocation per entry), a whole row (im2col: OW) or plane (from_nchw, to_nchw: L) on CPU drivers, where
// the index decomposition's integer divisions (scalarised by the vector compiler) cost more
// than the copy itself when paid per entry.
//   col2im (backward of im2col, a GATHER, never a scatter-add: each dx element sums the
//          column entries that read it, so overlapping windows need no atomics):
//     dx[n, c, ih, iw] = sum_{ky, kx : oh = (ih + pH - ky*dH) / sH integral in [0, OH), same for ow}
//                        dcols[g, kk, n - n0, oh*OW + ow]
//   to_nchw:   y[n0 + n', o, l] = yt[o, n', l] + b[o]   (yt: the matmul's [G, Og, nb*L] = [O, nb, L])
//   accumulate: acc[i] += part[i]                        (dw summed over chunks, in chunk order)
//   bias_partial: part[s, o] = sum over images n = s, s + S, ... < nb of sum_l g[n, o, l]
//          (db's first pass on CPU drivers: plane sums with a division-free inner loop; the
//          S partials are then summed in order by a column sum)
//   direct_forward: y without columns, 4 output channels x 4 output columns per invocation
//          (16 accumulators in registers; each x load feeds 4 FMAs, each w load 4)
//   direct_dx: dx[n, c, ih, iw] = sum_{o in group, ky, kx valid} w[o, cg, ky, kx] dy[n, o, oh, ow]
//          (the col2im gather reading dy and w directly; one invocation per dx element)
//   direct_dw: part[s, o, cg, ky, kx] = sum over images n of split s (n = s, s + S, ...) and all
//          (oh, ow) of dy[n, o, oh, ow] x[n, c, ih, iw]; the S partials are then summed in order
//          by a column sum (deterministic split-K: no atomics)
// Every entry has no barriers and no workgroup memory, so the same kernels serve both kernel
// families (CPU drivers and GPUs).

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
  splits: u32,   // direct_dw, bias_partial, im2col, from_nchw: S
  nbs: u32,      // im2col, from_nchw: images per split
  run: u32,      // im2col, from_nchw: entries per invocation
  _pad0: u32,
  _pad1: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> A: array<f32>;        // im2col: x [N, C, H, W]; col2im: dcols [G, Kg, nb, L]; to_nchw: yt [O, nb, L]; from_nchw: g [N, O, OH, OW]; accumulate: part
@group(0) @binding(2) var<storage, read> Bias: array<f32>;     // to_nchw: b [O] (placeholder otherwise)
@group(0) @binding(3) var<storage, read_write> Out: array<f32>; // im2col: cols; col2im: dx [N, C, H, W]; to_nchw: y [N, O, OH, OW]; from_nchw: gt [O, nb, L]; accumulate: acc
@group(0) @binding(4) var<storage, read> Wt: array<f32>;       // direct_forward, direct_dx: w [O, Cg, kH, kW]; direct_dw: dy [N, O, OH, OW]

fn index(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return gid.y * nwg.x * WG + gid.x;
}

@compute @workgroup_size(WG)
fn im2col(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = index(gid, nwg);
  if (i >= P.n) { return; }
  // i runs over [S, G, Kg, nbs, OH, runs per row]; this invocation writes `run` entries of a row.
  let Cg = P.C / P.G;
  let Kg = Cg * P.kH * P.kW;
  let per_row = (P.OW + P.run - 1u) / P.run;
  let ow0 = (i % per_row) * P.run;
  let row = i / per_row;                   // over [S, G, Kg, nbs, OH]
  let oh = row % P.OH;
  var t = row / P.OH;
  let j = t % P.nbs;
  t = t / P.nbs;
  let kk = t % Kg;
  t = t / Kg;
  let g = t % P.G;
  let nn = (t / P.G) * P.nbs + j;          // image within the chunk
  let kx = kk % P.kW;
  let ky = (kk / P.kW) % P.kH;
  let c = g * Cg + kk / (P.kW * P.kH);
  let ih = i32(oh * P.sH + ky * P.dH) - i32(P.pH);
  let inside = nn < P.nb && ih >= 0 && ih < i32(P.H);
  let rowbase = ((P.n0 + min(nn, P.nb - 1u)) * P.C + c) * P.H * P.W + u32(max(ih, 0)) * P.W;
  let out = row * P.OW;
  let ow1 = min(ow0 + P.run, P.OW);
  var iw = i32(ow0 * P.sW + kx * P.dW) - i32(P.pW);
  for (var ow = ow0; ow < ow1; ow++) {
    var v = 0.0;
    if (inside && iw >= 0 && iw < i32(P.W)) { v = A[rowbase + u32(iw)]; }
    Out[out + ow] = v;
    iw += i32(P.sW);
  }
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
  // i runs over [nb, O, runs per plane] of the chunk's part of y [nb, O, L]; `run` entries each.
  let L = P.OH * P.OW;
  let per_plane = (L + P.run - 1u) / P.run;
  let l0 = (i % per_plane) * P.run;
  let plane = i / per_plane;               // over [nb, O]
  let o = plane % P.O;
  let nn = plane / P.O;
  var b = 0.0;
  if (P.has_bias != 0u) { b = Bias[o]; }
  let src = (o * P.nb + nn) * L;
  let dst = (P.n0 * P.O + plane) * L;
  let l1 = min(l0 + P.run, L);
  for (var l = l0; l < l1; l++) { Out[dst + l] = A[src + l] + b; }
}

@compute @workgroup_size(WG)
fn from_nchw(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = index(gid, nwg);
  if (i >= P.n) { return; }
  // i runs over [S, O, nbs, runs per plane]; this invocation writes `run` entries of a plane.
  let L = P.OH * P.OW;
  let per_plane = (L + P.run - 1u) / P.run;
  let l0 = (i % per_plane) * P.run;
  let plane = i / per_plane;               // over [S, O, nbs]
  let j = plane % P.nbs;
  let o = (plane / P.nbs) % P.O;
  let nn = (plane / (P.nbs * P.O)) * P.nbs + j;
  let l1 = min(l0 + P.run, L);
  let dst = plane * L;
  if (nn >= P.nb) {
    for (var l = l0; l < l1; l++) { Out[dst + l] = 0.0; }
    return;
  }
  let src = ((P.n0 + nn) * P.O + o) * L;
  for (var l = l0; l < l1; l++) { Out[dst + l] = A[src + l]; }
}

@compute @workgroup_size(WG)
fn bias_partial(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = index(gid, nwg);
  if (i >= P.n) { return; }
  // i runs over part [S, O]; A = g [nb, O, L].
  let L = P.OH * P.OW;
  let o = i % P.O;
  let s = i / P.O;
  var acc = 0.0;
  for (var n = s; n < P.nb; n += P.splits) {
    let base = (n * P.O + o) * L;
    var plane = 0.0;
    for (var l = 0u; l < L; l++) { plane += A[base + l]; }
    acc += plane;
  }
  Out[i] = acc;
}

@compute @workgroup_size(WG)
fn accumulate(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = index(gid, nwg);
  if (i >= P.n) { return; }
  Out[i] = Out[i] + A[i];
}

// x[n, c, ih, iw] with zeros outside the input (rowbase = start of row ih, which is in range).
fn x_at(rowbase: u32, iw: i32) -> f32 {
  if (iw < 0 || iw >= i32(P.W)) { return 0.0; }
  return A[rowbase + u32(iw)];
}

@compute @workgroup_size(WG)
fn direct_forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = index(gid, nwg);
  if (i >= P.n) { return; }
  // i -> (n, output-channel block, oh, output-column block); channel blocks stay within a group.
  let Cg = P.C / P.G;
  let Og = P.O / P.G;
  let ob_per_g = (Og + 3u) / 4u;
  let owb = (P.OW + 3u) / 4u;
  let bw = i % owb;
  var t = i / owb;
  let oh = t % P.OH;
  t = t / P.OH;
  let ob = t % (ob_per_g * P.G);
  let n = t / (ob_per_g * P.G);
  let g = ob / ob_per_g;
  let og0 = (ob % ob_per_g) * 4u;          // first channel of the block within its group
  let ow0 = bw * 4u;
  let wstride = Cg * P.kH * P.kW;          // between consecutive output channels in w
  // Channels past the group's end read channel Og - 1 (valid memory) and are not written.
  let o = vec4<u32>(min(og0, Og - 1u), min(og0 + 1u, Og - 1u), min(og0 + 2u, Og - 1u), min(og0 + 3u, Og - 1u)) + g * Og;
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  for (var cg = 0u; cg < Cg; cg++) {
    let c = g * Cg + cg;
    for (var ky = 0u; ky < P.kH; ky++) {
      let ih = i32(oh * P.sH + ky * P.dH) - i32(P.pH);
      if (ih < 0 || ih >= i32(P.H)) { continue; }
      let rowbase = ((n * P.C + c) * P.H + u32(ih)) * P.W;
      for (var kx = 0u; kx < P.kW; kx++) {
        let iw = i32(ow0 * P.sW + kx * P.dW) - i32(P.pW);
        let s = i32(P.sW);
        let xv = vec4<f32>(x_at(rowbase, iw), x_at(rowbase, iw + s), x_at(rowbase, iw + 2 * s), x_at(rowbase, iw + 3 * s));
        let k = (cg * P.kH + ky) * P.kW + kx;
        acc0 += Wt[o.x * wstride + k] * xv;
        acc1 += Wt[o.y * wstride + k] * xv;
        acc2 += Wt[o.z * wstride + k] * xv;
        acc3 += Wt[o.w * wstride + k] * xv;
      }
    }
  }
  let rows = array<vec4<f32>, 4>(acc0, acc1, acc2, acc3);
  for (var j = 0u; j < 4u; j++) {
    if (og0 + j >= Og) { break; }
    let oc = g * Og + og0 + j;
    var b = 0.0;
    if (P.has_bias != 0u) { b = Bias[oc]; }
    let base = ((n * P.O + oc) * P.OH + oh) * P.OW;
    for (var q = 0u; q < 4u; q++) {
      if (ow0 + q < P.OW) { Out[base + ow0 + q] = rows[j][q] + b; }
    }
  }
}

@compute @workgroup_size(WG)
fn direct_dx(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = index(gid, nwg);
  if (i >= P.n) { return; }
  // A = dy [N, O, OH, OW], Wt = w; i runs over dx [N, C, H, W].
  let Cg = P.C / P.G;
  let Og = P.O / P.G;
  let iw = i % P.W;
  let ih = (i / P.W) % P.H;
  let c = (i / (P.W * P.H)) % P.C;
  let n = i / (P.W * P.H * P.C);
  let g = c / Cg;
  let cg = c % Cg;
  var acc = 0.0;
  for (var ky = 0u; ky < P.kH; ky++) {
    let ty = i32(ih + P.pH) - i32(ky * P.dH);
    if (ty < 0 || u32(ty) % P.sH != 0u || u32(ty) / P.sH >= P.OH) { continue; }
    let oh = u32(ty) / P.sH;
    for (var kx = 0u; kx < P.kW; kx++) {
      let tx = i32(iw + P.pW) - i32(kx * P.dW);
      if (tx < 0 || u32(tx) % P.sW != 0u || u32(tx) / P.sW >= P.OW) { continue; }
      let ow = u32(tx) / P.sW;
      let k = (cg * P.kH + ky) * P.kW + kx;
      for (var og = 0u; og < Og; og++) {
        let o = g * Og + og;
        acc += Wt[o * Cg * P.kH * P.kW + k] * A[((n * P.O + o) * P.OH + oh) * P.OW + ow];
      }
    }
  }
  Out[i] = acc;
}

@compute @workgroup_size(WG)
fn direct_dw(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = index(gid, nwg);
  if (i >= P.n) { return; }
  // A = x, Wt = dy; i runs over part [S, O, Cg, kH, kW].
  let Cg = P.C / P.G;
  let Og = P.O / P.G;
  let nw = P.O * Cg * P.kH * P.kW;
  let s = i / nw;
  let wi = i % nw;
  let kx = wi % P.kW;
  let ky = (wi / P.kW) % P.kH;
  let cg = (wi / (P.kW * P.kH)) % Cg;
  let o = wi / (P.kW * P.kH * Cg);
  let c = (o / Og) * Cg + cg;
  // The output rows and columns whose tap (ky, kx) lands inside x: ih = oh*sH - pH + ky*dH in [0, H).
  let offh = i32(ky * P.dH) - i32(P.pH);
  let offw = i32(kx * P.dW) - i32(P.pW);
  let oh0 = u32(max(0, (-offh + i32(P.sH) - 1) / i32(P.sH)));
  let ow0 = u32(max(0, (-offw + i32(P.sW) - 1) / i32(P.sW)));
  var acc = 0.0;
  for (var n = s; n < P.nb; n += P.splits) {
    let xbase = (n * P.C + c) * P.H * P.W;
    let ybase = (n * P.O + o) * P.OH * P.OW;
    for (var oh = oh0; oh < P.OH; oh++) {
      let ih = i32(oh * P.sH) + offh;
      if (ih >= i32(P.H)) { break; }
      let xrow = xbase + u32(ih) * P.W;
      let yrow = ybase + oh * P.OW;
      for (var ow = ow0; ow < P.OW; ow++) {
        let iw = i32(ow * P.sW) + offw;
        if (iw >= i32(P.W)) { break; }
        acc += Wt[yrow + ow] * A[xrow + u32(iw)];
      }
    }
  }
  Out[i] = acc;
}
