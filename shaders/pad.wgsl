// Constant padding (PyTorch F.pad, mode 'constant') of a row-major tensor, up to rank 8.
//
//   out[c] = in[c - lo]   when 0 <= c_d - lo_d < in_shape_d for every dim d, else value
//
// lo_d is the leading pad of dim d (negative: that many elements cropped). The backward of
// pad(x, lo, hi) is this same kernel on dy with -lo and value 0 (a gather: each dx element
// reads the one dy element it produced), so one entry serves forward and backward. One
// invocation per output element, no barriers: both kernel families use it.

override WG: u32 = 256u;

struct Params {
  n: u32,                            // output elements
  rank: u32,
  value: f32,                        // fill value
  _pad: u32,
  out_shape: array<vec4<u32>, 2>,
  in_shape: array<vec4<u32>, 2>,
  lo: array<vec4<u32>, 2>,           // leading pad per dim, as i32 bits
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> In: array<f32>;          // input, in_shape
@group(0) @binding(2) var<storage, read_write> Out: array<f32>;   // output, out_shape

fn dim(v: array<vec4<u32>, 2>, d: u32) -> u32 {
  return v[d / 4u][d % 4u];
}

@compute @workgroup_size(WG)
fn pad_constant(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.y * nwg.x * WG + gid.x;
  if (i >= P.n) { return; }
  var rem = i;
  var src = 0u;
  var stride = 1u;
  var inside = true;
  for (var k = 0u; k < P.rank; k++) {
    let d = P.rank - 1u - k;
    let size = dim(P.out_shape, d);
    let c = i32(rem % size) - bitcast<i32>(dim(P.lo, d));
    rem = rem / size;
    let isz = dim(P.in_shape, d);
    if (c < 0 || c >= i32(isz)) { inside = false; }
    src += u32(max(c, 0)) * stride;
    stride *= isz;
  }
  Out[i] = select(P.value, In[min(src, max(arrayLength(&In), 1u) - 1u)], inside);
}
