// Deterministic reductions (no float atomics: the same input gives bit-identical output).
//
//   reduce:   out[o] = scale * SUM_r in[base(o) + offset(r)]   (OP = 0, sum; mean uses scale)
//             out[o] = MAX_r in[...]                            (OP = 1; NaN if any is NaN,
//                                                                as torch.amax: tested on the bits)
//             One workgroup per output element; each thread strides over the reduced index
//             space, then a workgroup-memory tree combines the WG partial results.
//             base(o) decomposes o over the kept dims, offset(r) decomposes r over the reduced
//             dims; both use the input's element strides (up to 8 dims each).
//   argmax:   out_i[o] = first index r of the maximum along the reduced dims (ties: smallest r).
//             NaN counts as larger than every number, as in NumPy and PyTorch (first NaN wins);
//             NaN is detected from the bits because float compares may assume no NaNs.
//   reduce_serial, argmax_serial (CPU adapters: many outputs or short reductions): the same with one
//             invocation per output looping over the reduced index space in order: no
//             workgroup memory or barriers (a barrier is a coroutine switch per invocation on a
//             CPU driver: the tree form took 200 ms for 512 sums of 256 on SwiftShader).
//   bias_sum: out[c] = SUM_n in[n * C + c] for in [N, C]: the gradient of a row-broadcast add
//             (and any sum over leading axes).
//             A COLS x ROWS workgroup: each thread sums every ROWS-th row of its column, then a
//             tree over ROWS partial sums, so reads stay contiguous along C.
//   bias_sum_cols: the same sums for CPU adapters: one invocation per column, no workgroup
//             memory or barriers (on a CPU driver a barrier is a coroutine switch per
//             invocation: the tree version took 220 ms for 256 x 512 on SwiftShader).
//             Neighbouring invocations read neighbouring columns; four partial sums (rows
//             n % 4) keep the rounding error and the dependency chain short.

override WG: u32 = 256u;
override OP: u32 = 0u;
override COLS: u32 = 16u;
override ROWS: u32 = 16u;

struct Params {
  out_size: u32,        // number of outputs
  red_size: u32,        // elements reduced into each output
  kept_rank: u32,
  red_rank: u32,
  scale: f32,           // multiplies the sum (1 for sum, 1/red_size for mean)
  rows: u32,            // bias_sum: N
  cols: u32,            // bias_sum: C
  _pad: u32,
  kept_shape: array<vec4<u32>, 2>,
  kept_strides: array<vec4<u32>, 2>,
  red_shape: array<vec4<u32>, 2>,
  red_strides: array<vec4<u32>, 2>,
}

@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> In: array<f32>;            // input, any shape (row-major)
@group(0) @binding(2) var<storage, read_write> Out: array<f32>;     // [out_size] (reduce, bias_sum: [C])
@group(0) @binding(2) var<storage, read_write> OutI: array<i32>;    // [out_size] (argmax)

var<workgroup> partial: array<f32, 256>;
var<workgroup> partial_idx: array<u32, 256>;

fn dim(v: array<vec4<u32>, 2>, d: u32) -> u32 {
  return v[d / 4u][d % 4u];
}

// Element offset of the i-th index of a row-major `shape` (rank dims) laid out with `strides`.
fn strided_offset(i: u32, rank: u32, shape: array<vec4<u32>, 2>, strides: array<vec4<u32>, 2>) -> u32 {
  var rem = i;
  var idx = 0u;
  for (var k = 0u; k < rank; k++) {
    let d = rank - 1u - k;
    let size = dim(shape, d);
    idx += (rem % size) * dim(strides, d);
    rem = rem / size;
  }
  return idx;
}

fn is_nan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

// max that propagates NaN (the builtin need not).
fn max_nan(a: f32, b: f32) -> f32 {
  if (is_nan(a)) { return a; }
  if (is_nan(b)) { return b; }
  return max(a, b);
}

fn kept_base(o: u32) -> u32 {
  return strided_offset(o, P.kept_rank, P.kept_shape, P.kept_strides);
}

fn red_offset(r: u32) -> u32 {
  return strided_offset(r, P.red_rank, P.red_shape, P.red_strides);
}

fn out_index(wid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return wid.y * nwg.x + wid.x;
}

@compute @workgroup_size(WG)
fn reduce(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
          @builtin(num_workgroups) nwg: vec3<u32>) {
  let o = out_index(wid, nwg);   // uniform per workgroup, so the early return keeps barriers uniform
  if (o >= P.out_size) { return; }
  let base = kept_base(o);
  // max starts from an element of its own set (red_size >= 1 for max), so -Infinity inputs need
  // no infinite constant; sum starts from 0.
  var acc = 0.0;
  if (OP == 1u) { acc = In[base]; }
  for (var r = lid; r < P.red_size; r += WG) {
    let v = In[base + red_offset(r)];
    if (OP == 1u) { acc = max_nan(acc, v); } else { acc += v; }
  }
  partial[lid] = acc;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid < s) {
      if (OP == 1u) { partial[lid] = max_nan(partial[lid], partial[lid + s]); }
      else { partial[lid] = partial[lid] + partial[lid + s]; }
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    Out[o] = select(partial[0] * P.scale, partial[0], OP == 1u);
  }
}


// Whether candidate (v, r) beats (best, best_r): NaN above numbers, then value, then lower index.
fn beats(v: f32, r: u32, best: f32, best_r: u32) -> bool {
  if (r == 0xffffffffu) { return false; }
  if (best_r == 0xffffffffu) { return true; }
  let vn = is_nan(v);
  let bn = is_nan(best);
  if (vn != bn) { return vn; }
  if (vn || v == best) { return r < best_r; }
  return v > best;
}

@compute @workgroup_size(WG)
fn argmax(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
          @builtin(num_workgroups) nwg: vec3<u32>) {
  let o = out_index(wid, nwg);
  if (o >= P.out_size) { return; }
  let base = kept_base(o);
  var best = 0.0;
  var best_r = 0xffffffffu;
  for (var r = lid; r < P.red_size; r += WG) {
    let v = In[base + red_offset(r)];
    if (beats(v, r, best, best_r)) { best = v; best_r = r; }
  }
  partial[lid] = best;
  partial_idx[lid] = best_r;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid < s && beats(partial[lid + s], partial_idx[lid + s], partial[lid], partial_idx[lid])) {
      partial[lid] = partial[lid + s];
      partial_idx[lid] = partial_idx[lid + s];
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    OutI[o] = i32(partial_idx[0]);
  }
}

@compute @workgroup_size(WG)
fn reduce_serial(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
                 @builtin(num_workgroups) nwg: vec3<u32>) {
  let o = out_index(wid, nwg) * WG + lid;
  if (o >= P.out_size) { return; }
  let base = kept_base(o);
  var acc = 0.0;
  if (OP == 1u) { acc = In[base]; }
  for (var r = 0u; r < P.red_size; r++) {
    let v = In[base + red_offset(r)];
    if (OP == 1u) { acc = max_nan(acc, v); } else { acc += v; }
  }
  Out[o] = select(acc * P.scale, acc, OP == 1u);
}

@compute @workgroup_size(WG)
fn argmax_serial(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
                 @builtin(num_workgroups) nwg: vec3<u32>) {
  let o = out_index(wid, nwg) * WG + lid;
  if (o >= P.out_size) { return; }
  let base = kept_base(o);
  var best = 0.0;
  var best_r = 0xffffffffu;
  for (var r = 0u; r < P.red_size; r++) {
    let v = In[base + red_offset(r)];
    if (beats(v, r, best, best_r)) { best = v; best_r = r; }
  }
  OutI[o] = i32(best_r);
}

var<workgroup> tile: array<f32, 1024>;

@compute @workgroup_size(COLS, ROWS)
fn bias_sum(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
            @builtin(num_workgroups) nwg: vec3<u32>) {
  let c = out_index(wid, nwg) * COLS + lid.x;  // uniform per workgroup's row of threads
  var acc = 0.0;
  if (c < P.cols) {
    for (var n = lid.y; n < P.rows; n += ROWS) {
      acc += In[n * P.cols + c];
    }
  }
  tile[lid.y * COLS + lid.x] = acc;
  workgroupBarrier();
  for (var s = ROWS / 2u; s > 0u; s = s / 2u) {
    if (lid.y < s) {
      tile[lid.y * COLS + lid.x] += tile[(lid.y + s) * COLS + lid.x];
    }
    workgroupBarrier();
  }
  if (lid.y == 0u && c < P.cols) {
    Out[c] = tile[lid.x] * P.scale;
  }
}

@compute @workgroup_size(WG)
fn bias_sum_cols(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
                 @builtin(num_workgroups) nwg: vec3<u32>) {
  let c = out_index(wid, nwg) * WG + lid;
  if (c >= P.cols) { return; }
  var acc = vec4<f32>();
  let whole = P.rows - P.rows % 4u;
  var n = 0u;
  for (; n < whole; n += 4u) {
    acc += vec4<f32>(In[n * P.cols + c], In[(n + 1u) * P.cols + c], In[(n + 2u) * P.cols + c], In[(n + 3u) * P.cols + c]);
  }
  for (; n < P.rows; n++) { acc.x += In[n * P.cols + c]; }
  Out[c] = ((acc.x + acc.y) + (acc.z + acc.w)) * P.scale;
}
