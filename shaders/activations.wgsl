// Smooth activations of transformer MLPs, forward and backward, elementwise.
//
//   GELU (OP 0, PyTorch approximate='none'): y = x * Phi(x),  Phi(x) = (1 + erf(x / sqrt 2)) / 2
//                                            dy/dx = Phi(x) + x * phi(x),  phi(x) = exp(-x^2 / 2) / sqrt(2 pi)
//   GELU (OP 1, approximate='tanh'):  y = x * (1 + tanh(u)) / 2,  u = k (x + 0.044715 x^3), k = sqrt(2 / pi)
//                                     computed as x * sigmoid(2u) (no 1 + tanh cancellation for x << 0)
//                                     dy/dx = s + 2 x s (1 - s) k (1 + 3 * 0.044715 x^2),  s = sigmoid(2u)
//   SiLU (OP 2):  y = x * sigmoid(x),  dy/dx = s (1 + x (1 - s))
//   backward: out = g * dy/dx, from the saved input x.
// erf / erfc (WGSL has neither): z = |x| / sqrt 2,
//   z < 1:        erf(z) = z * A(z^2)                        (A: degree 7)
//   0.5 <= z < 1: erfc(z) = exp(-z^2) * B0(z - 0.75)          (B0: degree 8; only for Phi(x < 0))
//   1 <= z < 2.5: erfc(z) = exp(-z^2) * B1(z - 1.75)          (B1: degree 10)
//   2.5 <= z < 10: erfc(z) = exp(-z^2) * B2(1 / z^2) / z      (B2: degree 8; erfc(10) ~ 2e-45)
// Each polynomial is a relative-error least-squares fit on Chebyshev nodes against scipy's
// erf / erfcx (scripts/fit-erf.py); evaluated in f32 by Horner the relative error of each piece
// is <= 2.1e-7. Phi for x < 0 and z >= 0.5 is erfc(z) / 2 directly, so the tail keeps its relative accuracy
// instead of cancelling in 1 + erf. erfc's condition number is 2 z^2, so exp(-z^2) is computed
// from x (exp_neg_half_sq: no rounding of z or z^2 first) and exp itself in this file (exp_neg).
// Layout: contiguous f32 [n]; 2-D grid, i = gid.y * num_workgroups.x * WG + gid.x.

override WG: u32 = 256u;
override OP: u32 = 0u;

struct Params {
  n: u32,
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> X: array<f32>;         // [n] input x
@group(0) @binding(2) var<storage, read> G: array<f32>;         // [n] upstream gradient (backward)
@group(0) @binding(3) var<storage, read_write> Out: array<f32>; // [n] y (forward) or dx (backward)

const GELU = 0u; const GELU_TANH = 1u; const SILU = 2u;
const SQRT1_2 = 0.70710678118654752;
const INV_SQRT_2PI = 0.39894228040143268;
const K_TANH = 0.79788456080286536;  // sqrt(2 / pi)
const C_TANH = 0.044715;

fn sigmoid(x: f32) -> f32 {
  if (x >= 0.0) { return 1.0 / (1.0 + exp(-x)); }
  let e = exp(x);
  return e / (1.0 + e);
}

// erf(z) / z for z^2 = u in [0, 1].
fn erf_a(u: f32) -> f32 {
  return 1.128379225730896 + u * (-0.37612637877464294 + u * (0.11283782124519348 + u * (-0.0268654003739357
    + u * (0.005220945458859205 + u * (-0.0008482829434797168 + u * (0.00011256949801463634 + u * -9.641522410674952e-06))))));
}

// exp(-a) for a >= 0, to a few ulps: a = k ln2 + r with ln2 split in two (k ln2_hi exact for
// k < 256), |r| <= ln2 / 2, e^-r by its degree-7 Taylor polynomial (truncation < 6e-9).
// WGSL's exp() may be off by 3 + 2|x| ulps (lavapipe: ~1.5e-6 relative at x = -6), which alone
// would exceed this file's error budget in the tails.
fn exp_neg(a: f32) -> f32 {
  let k = floor(a * 1.4426950408889634 + 0.5);
  let r = (a - k * 0.693145751953125) - k * 1.4286067653e-06;
  let p = 1.0 - r * (1.0 - r * 0.5 * (1.0 - r * (1.0 / 3.0) * (1.0 - r * 0.25 * (1.0 - r * 0.2
    * (1.0 - r * (1.0 / 6.0) * (1.0 - r * (1.0 / 7.0)))))));
  return ldexp(p, -i32(k));
}

// exp(-x^2 / 2) = exp(-z^2) for z = x / sqrt 2, from x itself: s = x rounded to 12 bits, so s^2 / 2
// is exact. Rounding z (or z^2) first would cost 2 z^2 * 6e-8 = 2e-6 relative at z = 4.
fn exp_neg_half_sq(x: f32) -> f32 {
  let s = bitcast<f32>(bitcast<u32>(x) & 0xfffff000u);
  return exp_neg(s * s * 0.5) * exp_neg((x - s) * (x + s) * 0.5);
}

// erfc(z) for z = ax / sqrt 2 >= 0.5 (ax = |x|, passed for the exponential factor).
fn erfc_tail(z: f32, ax: f32) -> f32 {
  if (z >= 10.0) { return 0.0; }
  var r: f32;
  if (z < 1.0) {
    let t = z - 0.75;
    r = 0.5069376230239868 + t * (-0.3679727017879486 + t * (0.23095813393592834 + t * (-0.12983617186546326
      + t * (0.06679052859544754 + t * (-0.03189099580049515 + t * (0.014288217760622501 + t * (-0.00618496909737587
      + t * 0.0024762277025729418)))))));
  } else if (z < 2.5) {
    let t = z - 1.75;
    r = 0.284972220659256 + t * (-0.1309763491153717 + t * (0.05576362833380699 + t * (-0.022259926423430443
      + t * (0.008404322899878025 + t * (-0.003021667245775461 + t * (0.0010392827680334449 + t * (-0.000340734317433089
      + t * (0.00010895571176661178 + t * (-3.8633254007436335e-05 + t * 1.1290244401607197e-05)))))))));
  } else {
    let v = 1.0 / (z * z);
    r = (0.5641895532608032 + v * (-0.28209319710731506 + v * (0.42299455404281616 + v * (-1.0507159233093262
      + v * (3.4960579872131348 + v * (-12.78549861907959 + v * (40.90616226196289 + v * (-89.81747436523438
      + v * 94.54329681396484)))))))) / z;
  }
  return exp_neg_half_sq(ax) * r;
}

// The standard normal CDF. For x < 0 past z = 0.5, 1 + erf(-z) would cancel (Phi(-1.4) = 0.08
// from 0.5 - 0.42): erfc is used there.
fn phi_cdf(x: f32) -> f32 {
  let z = abs(x) * SQRT1_2;
  if (z < 1.0 && (x >= 0.0 || z < 0.5)) { return 0.5 + 0.5 * (x * SQRT1_2) * erf_a(z * z); }
  let c = 0.5 * erfc_tail(z, abs(x));
  return select(c, 1.0 - c, x > 0.0);
}

fn act(x: f32) -> f32 {
  switch OP {
    case GELU: { return x * phi_cdf(x); }
    case GELU_TANH: { return x * sigmoid(2.0 * K_TANH * (x + C_TANH * x * x * x)); }
    default: { return x * sigmoid(x); }
  }
}

fn act_grad(x: f32) -> f32 {
  switch OP {
    case GELU: { return phi_cdf(x) + x * INV_SQRT_2PI * exp_neg_half_sq(abs(x)); }
    case GELU_TANH: {
      let s = sigmoid(2.0 * K_TANH * (x + C_TANH * x * x * x));
      return s + 2.0 * x * s * (1.0 - s) * K_TANH * (1.0 + 3.0 * C_TANH * x * x);
    }
    default: {
      let s = sigmoid(x);
      return s * (1.0 + x * (1.0 - s));
    }
  }
}

fn flat_index(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return gid.y * nwg.x * WG + gid.x;
}

@compute @workgroup_size(WG)
fn forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg);
  if (i >= P.n) { return; }
  Out[i] = act(X[i]);
}

@compute @workgroup_size(WG)
fn backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg);
  if (i >= P.n) { return; }
  Out[i] = G[i] * act_grad(X[i]);
}
