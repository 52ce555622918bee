// Masking: where / maskedFill (a condition picks between two operands, NumPy broadcasting) and
// tril / triu (a triangle of the last two dims kept, the rest zeroed), with their gradients.
//
//   where_fwd:  out[i] = t(i) ? A[a(i)] : B[b(i)],   t(i) = (C[c(i)] != 0) != INVERT
//               A_SCALAR: A is the constant P.value (maskedFill(x, mask, v) = where(mask, v, x)).
//               COND_INT: C is i32 (else f32; any nonzero value, NaN included, is true, as bool()).
//               c / a / b map an output index to each operand through its element strides,
//               0 on broadcast dims (rank <= 8).
//   where_grad: out[i] = t(i) ? G[i] : 0   (G has the output's shape; the caller sums the result
//               back to an operand's shape). INVERT gives the other operand's share.
//   tri:        out[m, r, c] = keep ? X[m, r, c] : 0 for X viewed as [batch, rows, cols],
//               keep = c - r <= diagonal (tril) or c - r >= diagonal (triu, P.upper = 1).
//               The gradient is the same map applied to g.
// Layout: row-major f32 (C may be i32); 2-D grid, i = gid.y * num_workgroups.x * WG + gid.x.

override WG: u32 = 256u;

struct Params {
  n: u32,          // output elements
  rank: u32,       // output rank (where)
  value: f32,      // A_SCALAR: the fill value
  diagonal: i32,   // tri
  rows: u32,       // tri: size of dim -2
  cols: u32,       // tri: size of dim -1
  upper: u32,      // tri: 1 for triu
  _pad: u32,
  out_shape: array<vec4<u32>, 2>,  // where: output shape, padded with 1s
  c_strides: array<vec4<u32>, 2>,  // element strides of C seen from the output, 0 where it broadcasts
  a_strides: array<vec4<u32>, 2>,
  b_strides: array<vec4<u32>, 2>,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> C: array<f32>;         // condition (broadcast), f32
@group(0) @binding(1) var<storage, read> CI: array<i32>;        // condition (broadcast), i32 (COND_INT)
@group(0) @binding(2) var<storage, read> A: array<f32>;         // where: a (broadcast); where_grad: g [n]; tri: x [n]
@group(0) @binding(3) var<storage, read> B: array<f32>;         // where: b (broadcast)
@group(0) @binding(4) var<storage, read_write> Out: array<f32>; // [n]

fn dim(v: array<vec4<u32>, 2>, d: u32) -> u32 {
  return v[d / 4u][d % 4u];
}

fn flat(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return gid.y * nwg.x * WG + gid.x;
}

// Element offsets of output index i in C, A and B.
fn offsets(i: u32) -> vec3<u32> {
  var rem = i;
  var o = vec3<u32>(0u, 0u, 0u);
  for (var k = 0u; k < P.rank; k++) {
    let d = P.rank - 1u - k;
    let size = dim(P.out_shape, d);
    let c = rem % size;
    rem = rem / size;
    o += c * vec3<u32>(dim(P.c_strides, d), dim(P.a_strides, d), dim(P.b_strides, d));
  }
  return o;
}

fn taken(ci: u32) -> bool {
#if COND_INT
  let t = CI[ci] != 0;
#else
  // Compared as bits: x != 0.0 may be folded for NaN under fast-math, and -0.0 is false.
  let t = (bitcast<u32>(C[ci]) & 0x7fffffffu) != 0u;
#endif
#if INVERT
  return !t;
#else
  return t;
#endif
}

@compute @workgroup_size(WG)
fn where_fwd(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat(gid, nwg);
  if (i >= P.n) { return; }
  let o = offsets(i);
  if (taken(o.x)) {
#if A_SCALAR
    Out[i] = P.value;
#else
    Out[i] = A[o.y];
#endif
  } else {
    Out[i] = B[o.z];
  }
}

@compute @workgroup_size(WG)
fn where_grad(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat(gid, nwg);
  if (i >= P.n) { return; }
  let o = offsets(i);
  Out[i] = select(0.0, A[i], taken(o.x));
}

@compute @workgroup_size(WG)
fn tri(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat(gid, nwg);
  if (i >= P.n) { return; }
  let c = i32(i % P.cols);
  let r = i32((i / P.cols) % P.rows);
  let d = c - r;
  let keep = select(d <= P.diagonal, d >= P.diagonal, P.upper == 1u);
  Out[i] = select(0.0, A[i], keep);
}
