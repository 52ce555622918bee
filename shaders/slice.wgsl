// Block copies between row-major tensors viewed as [rows, *] around one dim: the kernels of
// narrow / slice / split / chunk (a window of each row), concat / stack (each input into its
// window of the output) and their gradients (a window written into zeros).
//
//   copy_block: Dst[o * dst_row + dst_off + j] = Src[o * src_row + src_off + j],  o < rows, j < len
//               e.g. narrow(x, dim, start, length) with inner = prod(shape[dim + 1:]):
//               rows = prod(shape[:dim]), src_row = shape[dim] * inner, src_off = start * inner,
//               len = dst_row = length * inner, dst_off = 0.
//   fill_zero:  Dst[i] = 0, i < rows * len.
// A window that is one contiguous range (rows == 1) is a buffer copy instead (src/kernels/slice.ts).
// Layout: f32, 2-D grid, i = gid.y * num_workgroups.x * WG + gid.x over rows * len.

override WG: u32 = 256u;

struct Params {
  rows: u32,
  len: u32,      // elements copied per row
  src_row: u32,  // row pitch of Src (elements)
  src_off: u32,
  dst_row: u32,  // row pitch of Dst (elements)
  dst_off: u32,
  _pad0: u32,
  _pad1: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> Src: array<f32>;        // [rows, src_row] (window at src_off)
@group(0) @binding(2) var<storage, read_write> Dst: array<f32>;  // [rows, dst_row] (window at dst_off)

@compute @workgroup_size(WG)
fn copy_block(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.y * nwg.x * WG + gid.x;
  if (i >= P.rows * P.len) { return; }
  let o = i / P.len;
  let j = i % P.len;
  Dst[o * P.dst_row + P.dst_off + j] = Src[o * P.src_row + P.src_off + j];
}

@compute @workgroup_size(WG)
fn fill_zero(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.y * nwg.x * WG + gid.x;
  if (i >= P.rows * P.len) { return; }
  Dst[i] = 0.0;
}
