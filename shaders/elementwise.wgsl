// Elementwise kernels: unary maps, their derivatives, and binary ops with NumPy broadcasting.
//
//   unary:      out[i] = f(a[i])                      f picked by a define U_<OP> (binary: B_<OP>)
//   unary_grad: out[i] = g[i] * f'(x[i])              x is the op's input or output (see unary_df)
//   pow (U_POW): unary out = x^alpha, unary_grad out = g * d(x^alpha)/dx (x: the input);
//               binary POW: a^b, POW_DA: d(a^b)/da, POW_DB: d(a^b)/db (see pow_f below)
//   binary:     out[i] = a[idx_a(i)] (op) b[idx_b(i)] idx_* map an output index to an operand
//                                                     index through per-operand strides, 0 on
//                                                     broadcast dims (up to rank 8)
// Layout: row-major contiguous f32. The grid is 2-D (x * y workgroups of WG threads) so more than
// 65535 * WG elements fit in one dispatch; i = (gid.y * num_workgroups.x * WG) + gid.x.
// Variants (records in src/kernels/elementwise-variants.ts):
//   scalar: one element per invocation, elements P.first .. P.n - 1 (first > 0: the tail of a
//           vec4 launch, the elements past the last whole vec4).
//   VEC4 (unary, unary_grad, binary with SAME_SHAPE): the whole vec4s 0 .. n / 4 - 1 through the
//           *4 views of the same bindings, PER of them per invocation (override, 1 or 4), the
//           j-th at workgroup * WG * PER + j * WG + lane, so a workgroup's loads stay contiguous
//           at every j. 16-byte loads and stores doubled add's bandwidth on the CPU drivers.
// Numerics: sigmoid uses the form that never overflows exp; tanh is computed from exp(-2|x|).
// NaN as PyTorch (docs/NUMERICS.md): relu(NaN) and maximum(NaN, x) = maximum(x, NaN) are NaN.
// NaN is tested on the bits (is_nan): the max() builtin need not propagate NaN, and compilers
// may fold float compares such as x != x as if NaN did not exist.

override WG: u32 = 256u;
override PER: u32 = 1u;  // VEC4: vec4s per invocation
// The op is a define (U_RELU, B_ADD, ...; src/kernels/elementwise-variants.ts), not an override
// constant: a module then holds only its own op's code, and SwiftShader compiled a relu
// gradient about 2x faster than with every op of a switch on an override.

struct Params {
  n: u32,                     // number of output elements
  rank: u32,                  // rank of the output (binary only)
  alpha: f32,                 // unary AFFINE: out = alpha * a + beta; binary EXPAND: alpha * a
  beta: f32,
  first: u32,                 // scalar: first element of this dispatch (0, or the tail after the vec4s)
  out_shape: array<vec4<u32>, 2>,  // binary: output shape, padded with 1s
  a_strides: array<vec4<u32>, 2>,  // binary: element strides of a, 0 where a broadcasts
  b_strides: array<vec4<u32>, 2>,  // binary: element strides of b, 0 where b broadcasts
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> A: array<f32>;        // [n] (unary, unary_grad: x) or broadcast shape of a
@group(0) @binding(2) var<storage, read> B: array<f32>;        // [n] (unary_grad: upstream g) or broadcast shape of b; unused by unary
@group(0) @binding(3) var<storage, read_write> Out: array<f32>; // [n]
@group(0) @binding(1) var<storage, read> A4: array<vec4<f32>>;        // [n / 4] (VEC4): A
@group(0) @binding(2) var<storage, read> B4: array<vec4<f32>>;        // [n / 4] (VEC4): B
@group(0) @binding(3) var<storage, read_write> Out4: array<vec4<f32>>; // [n / 4] (VEC4): Out

fn flat_index(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return gid.y * nwg.x * WG + gid.x;
}

// VEC4: the j-th vec4 of invocation i (PER per invocation, WG apart within the workgroup's run).
fn vec_index(i: u32, j: u32) -> u32 {
  return (i / WG) * WG * PER + j * WG + i % WG;
}

fn is_nan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

// +Inf as a run-time value (P.beta is 0 for pow: a constant infinity does not compile).
fn inf() -> f32 {
  return bitcast<f32>(bitcast<u32>(P.beta) | 0x7f800000u);
}

// x^y with C's (and PyTorch's) special cases: x^0 = 1 and 1^y = 1 even for NaN; (-1)^+-Inf = 1;
// a negative base takes an integer exponent (the sign from its parity) and gives NaN for any
// other; 0^y is 0 for y > 0 and Inf for y < 0 (signed for -0 and odd y). Otherwise
// exp2(y * log2|x|); y = 1 and y = 2 are exact.
fn pow_f(x: f32, y: f32) -> f32 {
  if (y == 0.0 || x == 1.0) { return 1.0; }
  if (is_nan(x)) { return x; }
  if (is_nan(y)) { return y; }
  if (y == 1.0) { return x; }
  if (y == 2.0) { return x * x; }
  let ax = abs(x);
  let yinf = (bitcast<u32>(y) & 0x7fffffffu) == 0x7f800000u;
  if (ax == 1.0 && yinf) { return 1.0; }
  var r = exp2(y * log2(ax));
  if (ax == 0.0) { r = select(inf(), 0.0, y > 0.0); }
  if ((bitcast<u32>(x) & 0x80000000u) != 0u) {
    if (!yinf && floor(y) != y) { return bitcast<f32>(bitcast<u32>(x) | 0x7fc00000u); }  // NaN
    // Odd only below 2^24 (every larger f32 is even); -Inf and Inf exponents are even.
    let odd = !yinf && abs(y) < 16777216.0 && y - 2.0 * floor(0.5 * y) == 1.0;
    return select(r, -r, odd);
  }
  return r;
}

fn sigmoid(x: f32) -> f32 {
  // exp of a non-positive number only: no overflow for x = -1e4.
  if (x >= 0.0) { return 1.0 / (1.0 + exp(-x)); }
  let e = exp(x);
  return e / (1.0 + e);
}

fn tanh_stable(x: f32) -> f32 {
  let e = exp(-2.0 * abs(x));
  return sign(x) * (1.0 - e) / (1.0 + e);
}

fn unary_f(x: f32) -> f32 {
#if U_NEG
  return -x;
#elif U_EXP
  return exp(x);
#elif U_LOG
  return log(x);
#elif U_SQRT
  return sqrt(x);
#elif U_SQUARE
  return x * x;
#elif U_TANH
  return tanh_stable(x);
#elif U_RELU
  return select(max(x, 0.0), x, is_nan(x));
#elif U_SIGMOID
  return sigmoid(x);
#elif U_AFFINE
  return P.alpha * x + P.beta;
#elif U_ABS
  return abs(x);
#elif U_RECIP
  return 1.0 / x;
#elif U_SIGN
  return sign(x);
#elif U_POW
  return pow_f(x, P.alpha);
#else
  return x;
#endif
}

// Derivative factor. For EXP, TANH, SIGMOID and RELU, `x` is the op's OUTPUT y (saved by
// forward, cheaper than recomputing); for the others it is the op's input.
fn unary_df(x: f32) -> f32 {
#if U_NEG
  return -1.0;
#elif U_EXP
  return x;              // d exp = y
#elif U_LOG
  return 1.0 / x;
#elif U_SQRT
  return 0.5 / x;       // x = y = sqrt(input)
#elif U_SQUARE
  return 2.0 * x;
#elif U_TANH
  return 1.0 - x * x;   // x = y
#elif U_RELU
  // x = y; ReLU'(0) = 0 as in the seeds; torch's threshold_backward zeroes only where y <= 0,
  // so the gradient passes where y is NaN.
  return select(0.0, 1.0, x > 0.0 || is_nan(x));
#elif U_SIGMOID
  return x * (1.0 - x);           // x = y
#elif U_AFFINE
  return P.alpha;
#elif U_ABS
  return sign(x);
#elif U_RECIP
  return -x * x;       // x = y = 1/input
#elif U_POW
  return select(P.alpha * pow_f(x, P.alpha - 1.0), 0.0, P.alpha == 0.0);  // x = input
#else
  return 1.0;
#endif
}

@compute @workgroup_size(WG)
fn unary(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg);
#if VEC4
  for (var j = 0u; j < PER; j++) {
    let q = vec_index(i, j);
    if (q >= P.n / 4u) { return; }
    let a = A4[q];
    Out4[q] = vec4<f32>(unary_f(a.x), unary_f(a.y), unary_f(a.z), unary_f(a.w));
  }
#else
  let e = P.first + i;
  if (e >= P.n) { return; }
  Out[e] = unary_f(A[e]);
#endif
}

@compute @workgroup_size(WG)
fn unary_grad(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg);
#if VEC4
  for (var j = 0u; j < PER; j++) {
    let q = vec_index(i, j);
    if (q >= P.n / 4u) { return; }
    let x = A4[q];
    Out4[q] = B4[q] * vec4<f32>(unary_df(x.x), unary_df(x.y), unary_df(x.z), unary_df(x.w));
  }
#else
  let e = P.first + i;
  if (e >= P.n) { return; }
  Out[e] = B[e] * unary_df(A[e]);
#endif
}

fn dim(v: array<vec4<u32>, 2>, d: u32) -> u32 {
  return v[d / 4u][d % 4u];
}

fn binary_f(a: f32, b: f32) -> f32 {
#if B_ADD
  return a + b;
#elif B_SUB
  return a - b;
#elif B_MUL
  return a * b;
#elif B_DIV
  return a / b;
#elif B_MAXIMUM
  return select(select(max(a, b), b, is_nan(b)), a, is_nan(a));
#elif B_GT
  return select(0.0, 1.0, a > b);
#elif B_EQ
  return select(0.0, 1.0, a == b);
#elif B_EXPAND
  // out = alpha * a broadcast to the output shape (b unused)
  return P.alpha * a;
#elif B_POW_A
  return pow_f(a, b);
#elif B_POW_DA
  // d(a^b)/da = b * a^(b - 1), 0 where b == 0 (torch's pow_backward_self)
  return select(b * pow_f(a, b - 1.0), 0.0, b == 0.0);
#elif B_POW_DB
  // d(a^b)/db = a^b * log(a), 0 where a == 0 and b >= 0 (torch's pow_backward_exponent)
  return select(pow_f(a, b) * log(a), 0.0, a == 0.0 && b >= 0.0);
#elif B_SAME
  // 1 where a == b or both are NaN (the mask of max's gradient: a NaN max came from a NaN)
  return select(0.0, 1.0, a == b || (is_nan(a) && is_nan(b)));
#elif B_MAX_SHARE
  // torch.maximum's gradient share of a: 1 if a > b, 1/2 on a tie, 0 if a < b, 1 if either is NaN
  if (is_nan(a) || is_nan(b)) { return 1.0; }
  return select(select(0.0, 1.0, a > b), 0.5, a == b);
#else
  return a;
#endif
}

@compute @workgroup_size(WG)
fn binary(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg);
#if VEC4
  for (var j = 0u; j < PER; j++) {
    let q = vec_index(i, j);
    if (q >= P.n / 4u) { return; }
    let a = A4[q];
    let b = B4[q];
    Out4[q] = vec4<f32>(binary_f(a.x, b.x), binary_f(a.y, b.y), binary_f(a.z, b.z), binary_f(a.w, b.w));
  }
#elif SAME_SHAPE
  let e = P.first + i;
  if (e >= P.n) { return; }
  Out[e] = binary_f(A[e], B[e]);
#else
  if (i >= P.n) { return; }
  var rem = i;
  var ia = 0u;
  var ib = 0u;
  // Walk dims from the last (fastest) to the first.
  for (var k = 0u; k < P.rank; k++) {
    let d = P.rank - 1u - k;
    let size = dim(P.out_shape, d);
    let c = rem % size;
    rem = rem / size;
    ia += c * dim(P.a_strides, d);
    ib += c * dim(P.b_strides, d);
  }
  Out[i] = binary_f(A[ia], B[ib]);
#endif
}
