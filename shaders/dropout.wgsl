// Inverted dropout with a counter-based random number generator.
//
//   y[i] = keep(i) ? x[i] * scale : 0,   scale = 1 / (1 - p),   keep(i) = u(i) >= threshold
//   u(i) = first word of Threefry-2x32-20(key = (k0, k1), counter = (i, 0)),  threshold = p * 2^32
//
// Threefry (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC 2011; the
// generator JAX uses) needs only 32-bit adds, rotates and xors, so WGSL computes it exactly.
// Each element's bit is a pure function of (key, i): the mask does not depend on the grid,
// the workgroup size or the launch order, and the backward applies the same mask by running
// this kernel on the upstream gradient with the same key (nothing is saved). src/ops/dropout.ts
// computes the same function on the host for the reference and the tests.
// DROP_ALL (p = 1): every element is 0, as in PyTorch (scale would be infinite).

override WG: u32 = 256u;

struct Params {
  n: u32,          // number of elements
  threshold: u32,  // round(p * 2^32): u < threshold drops the element
  k0: u32,         // the 64-bit key (seed)
  k1: u32,
  scale: f32,      // 1 / (1 - p)
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> X: array<f32>;        // [n] input (forward) or upstream gradient (backward)
@group(0) @binding(2) var<storage, read_write> Y: array<f32>;  // [n] output

fn rotl(x: u32, r: u32) -> u32 {
  return (x << r) | (x >> (32u - r));
}

// Four Threefry rounds with the rotation constants starting at `r`.
fn rounds(v: vec2<u32>, r: vec4<u32>) -> vec2<u32> {
  var x = v;
  x.x += x.y; x.y = rotl(x.y, r.x) ^ x.x;
  x.x += x.y; x.y = rotl(x.y, r.y) ^ x.x;
  x.x += x.y; x.y = rotl(x.y, r.z) ^ x.x;
  x.x += x.y; x.y = rotl(x.y, r.w) ^ x.x;
  return x;
}

fn threefry2x32(k0: u32, k1: u32, c: vec2<u32>) -> u32 {
  let k2 = k0 ^ k1 ^ 0x1BD11BDAu;
  let ra = vec4<u32>(13u, 15u, 26u, 6u);
  let rb = vec4<u32>(17u, 29u, 16u, 24u);
  var x = c + vec2<u32>(k0, k1);
  x = rounds(x, ra) + vec2<u32>(k1, k2 + 1u);
  x = rounds(x, rb) + vec2<u32>(k2, k0 + 2u);
  x = rounds(x, ra) + vec2<u32>(k0, k1 + 3u);
  x = rounds(x, rb) + vec2<u32>(k1, k2 + 4u);
  x = rounds(x, ra) + vec2<u32>(k2, k0 + 5u);
  return x.x;
}

@compute @workgroup_size(WG)
fn dropout(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.y * nwg.x * WG + gid.x;
  if (i >= P.n) { return; }
#if DROP_ALL
  Y[i] = 0.0;
#else
  let u = threefry2x32(P.k0, P.k1, vec2<u32>(i, 0u));
  Y[i] = select(0.0, X[i] * P.scale, u >= P.threshold);
#endif
}
