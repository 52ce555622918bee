// Axis permutation (transpose) of a row-major tensor, up to rank 8.
//
//   out[i] = in[ sum_d coord_d(i) * in_strides[perm[d]] ]
//
// coord_d(i) decomposes the output index over the output shape; `src_strides` already holds
// in_strides[perm[d]] for each output dim d, so the kernel needs no perm array.
// tile2d: the 2-D case [R, C] -> [C, R] through a 16x16 workgroup tile (+1 column of padding
// against bank conflicts) so that both the reads and the writes are contiguous.

override WG: u32 = 256u;

struct Params {
  n: u32,                            // elements
  rank: u32,
  rows: u32,                         // tile2d: R
  cols: u32,                         // tile2d: C
  out_shape: array<vec4<u32>, 2>,
  src_strides: array<vec4<u32>, 2>,  // input stride of the input dim that lands on each output dim
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> In: array<f32>;          // input (any shape)
@group(0) @binding(2) var<storage, read_write> Out: array<f32>;   // permuted output

fn dim(v: array<vec4<u32>, 2>, d: u32) -> u32 {
  return v[d / 4u][d % 4u];
}

@compute @workgroup_size(WG)
fn permute(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.y * nwg.x * WG + gid.x;
  if (i >= P.n) { return; }
  var rem = i;
  var src = 0u;
  for (var k = 0u; k < P.rank; k++) {
    let d = P.rank - 1u - k;
    let size = dim(P.out_shape, d);
    src += (rem % size) * dim(P.src_strides, d);
    rem = rem / size;
  }
  Out[i] = In[src];
}

var<workgroup> tile: array<f32, 272>;  // 16 x 17

@compute @workgroup_size(16, 16)
fn tile2d(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let r = wid.y * 16u + lid.y;
  let c = wid.x * 16u + lid.x;
  if (r < P.rows && c < P.cols) {
    tile[lid.y * 17u + lid.x] = In[r * P.cols + c];
  }
  workgroupBarrier();
  // Write the transposed tile: output row = input column.
  let orow = wid.x * 16u + lid.y;
  let ocol = wid.y * 16u + lid.x;
  if (orow < P.cols && ocol < P.rows) {
    Out[orow * P.rows + ocol] = tile[lid.x * 17u + lid.y];
  }
}
