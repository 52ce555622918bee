// Debug check for non-finite values (checkNumerics): flags[slot] = 1 when any element of the
// tensor is NaN or +-Inf. One dispatch per checked op output; the host maps each slot back to
// the op that wrote the tensor, so the first flagged slot names the op that produced the NaN.
// The test looks at the bits: NaN and +-Inf are exactly the values whose exponent bits are all
// ones. (Float comparisons such as x != x may be folded away: WGSL lets implementations assume
// no NaNs.) The flag write is a plain store of 1 (idempotent), so races are harmless.

override WG: u32 = 256u;

struct Params {
  n: u32,      // elements to check
  slot: u32,   // index into Flags
  _pad0: u32,
  _pad1: u32,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> X: array<f32>;            // [n] the tensor to check
@group(0) @binding(2) var<storage, read_write> Flags: array<u32>;  // [slots] 1 = non-finite seen

@compute @workgroup_size(WG)
fn check(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.y * nwg.x * WG + gid.x;
  if (i >= P.n) { return; }
  let bits = bitcast<u32>(X[i]);
  if ((bits & 0x7f800000u) == 0x7f800000u) {
    Flags[P.slot] = 1u;
  }
}
