// Optimizer updates: ONE fused kernel per parameter, in place on the parameter's buffer.
// The update rules are PyTorch's (torch.optim.SGD / Adam / AdamW), element by element:
//
//   sgd:   g = grad + wd * p
//          MOMENTUM:  buf = mu * buf + damp * g     (buf starts at 0; the host passes damp = 1
//                                                    at step 1, so buf = g, and 1 - dampening after)
//                     g   = g + mu * buf  (NESTEROV)   or   g = buf
//          p = p - lr * g
//   adam:  DECOUPLED (AdamW): p = p * (1 - lr * wd)      else (Adam, L2): g = grad + wd * p
//          m = b1 * m + (1 - b1) * g
//          v = b2 * v + (1 - b2) * g * g
//          AMSGRAD:   vmax = max(vmax, v), and vmax replaces v below (torch's max_exp_avg_sq)
//          p = p - step_size * m / (sqrt(v) / sqrt_bc2 + eps)
//          with step_size = lr / (1 - b1^t) and sqrt_bc2 = sqrt(1 - b2^t) computed on the host
//          in float64 from the float32-rounded b1, b2 that this kernel multiplies by, so the
//          corrections match the moments exactly (b2 = 0.99999 rounds by 1e-8 in float32, which
//          is a relative error of 1e-3 in 1 - b2 if the host used the unrounded value).
// Layout: every buffer is the parameter's flat f32 data [n]. The grid is 2-D (x * y workgroups
// of WG threads) so more than 65535 * WG elements fit; i = gid.y * num_workgroups.x * WG + gid.x.

override WG: u32 = 256u;

struct Params {
  n: u32,            // elements in the parameter
  _pad: u32,
  lr: f32,
  weight_decay: f32,
  momentum: f32,     // sgd: mu; adam: unused
  beta1: f32,        // adam
  beta2: f32,
  eps: f32,
  step_size: f32,    // adam: lr / (1 - beta1^t)
  sqrt_bc2: f32,     // adam: sqrt(1 - beta2^t)
  damp: f32,         // sgd: the factor of g in the momentum update (1 at step 1, else 1 - dampening)
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read_write> Param: array<f32>;  // [n] updated in place
@group(0) @binding(2) var<storage, read> Grad: array<f32>;         // [n] the parameter's gradient
@group(0) @binding(3) var<storage, read_write> S1: array<f32>;     // [n] sgd momentum buffer (MOMENTUM) / adam m
@group(0) @binding(4) var<storage, read_write> S2: array<f32>;     // [n] adam v
#if AMSGRAD
@group(0) @binding(5) var<storage, read_write> S3: array<f32>;     // [n] adam: running max of v
#endif

fn flat_index(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return gid.y * nwg.x * WG + gid.x;
}

@compute @workgroup_size(WG)
fn sgd(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg);
  if (i >= P.n) { return; }
  let p = Param[i];
  var g = Grad[i] + P.weight_decay * p;
#if MOMENTUM
  let buf = P.momentum * S1[i] + P.damp * g;
  S1[i] = buf;
#if NESTEROV
  g = g + P.momentum * buf;
#else
  g = buf;
#endif
#endif
  Param[i] = p - P.lr * g;
}

// max that propagates NaN, as torch.maximum does for max_exp_avg_sq (the max() builtin need
// not; NaN is tested on the bits: docs/NUMERICS.md).
fn max_nan(a: f32, b: f32) -> f32 {
  let nan_a = (bitcast<u32>(a) & 0x7fffffffu) > 0x7f800000u;
  let nan_b = (bitcast<u32>(b) & 0x7fffffffu) > 0x7f800000u;
  return select(select(max(a, b), b, nan_b), a, nan_a);
}

@compute @workgroup_size(WG)
fn adam(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg);
  if (i >= P.n) { return; }
  var p = Param[i];
#if DECOUPLED
  p = p * (1.0 - P.lr * P.weight_decay);
  let g = Grad[i];
#else
  let g = Grad[i] + P.weight_decay * p;
#endif
  let m = P.beta1 * S1[i] + (1.0 - P.beta1) * g;
  let v = P.beta2 * S2[i] + (1.0 - P.beta2) * g * g;
  S1[i] = m;
  S2[i] = v;
#if AMSGRAD
  let vmax = max_nan(S3[i], v);
  S3[i] = vmax;
  Param[i] = p - P.step_size * m / (sqrt(vmax) / P.sqrt_bc2 + P.eps);
#else
  Param[i] = p - P.step_size * m / (sqrt(v) / P.sqrt_bc2 + P.eps);
#endif
}
