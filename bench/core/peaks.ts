// The adapter's own ceilings, measured by the bench on the adapter it runs on, for the roofline
// line of the report: a matmul case's GFLOP/s as a fraction of the FMA peak, a bandwidth
// case's GB/s as a fraction of the copy bandwidth.
// - FMA peak: every invocation runs CHAINS independent vec4 fma chains of ITERS steps (no
//   memory traffic but one store of their sum, so nothing is optimised away): 2 * 4 * CHAINS *
//   ITERS flops per invocation.
// - copy bandwidth: dst[i] = src[i] over vec4s (one read and one write per element).
// Each kernel's size is doubled until one run takes >= MIN_MS (capped by the adapter's
// limits), then the best of REPS runs counts. GPU time from timestamp-query when the adapter
// has it, else wall time of a lone submission until onSubmittedWorkDone.

export interface Peaks {
  /** f32 FMA throughput, in GFLOP/s (an FMA is 2 flops). */
  fmaGflops: number;
  /** Buffer copy bandwidth, GB/s of bytes read plus bytes written. */
  copyGBs: number;
  timing: 'gpu-timestamp' | 'wall';
}

const CHAINS = 8;
const ITERS = 1024;
const WG = 256;
const MIN_MS = 15;
const REPS = 3;

const FMA_WGSL = /* wgsl */ `
override ITERS: u32 = 1024u;
@group(0) @binding(0) var<storage, read_write> Out: array<vec4<f32>>;  // [invocations]
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.y * nwg.x * ${WG}u + gid.x;
  let s = f32(i) * 1e-9;
  var a0 = vec4<f32>(s); var a1 = a0 + 1.0; var a2 = a0 + 2.0; var a3 = a0 + 3.0;
  var a4 = a0 + 4.0; var a5 = a0 + 5.0; var a6 = a0 + 6.0; var a7 = a0 + 7.0;
  let m = vec4<f32>(0.99999);
  let c = vec4<f32>(1e-6);
  for (var k = 0u; k < ITERS; k++) {
    a0 = fma(a0, m, c); a1 = fma(a1, m, c); a2 = fma(a2, m, c); a3 = fma(a3, m, c);
    a4 = fma(a4, m, c); a5 = fma(a5, m, c); a6 = fma(a6, m, c); a7 = fma(a7, m, c);
  }
  Out[i] = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7;
}`;

const COPY_WGSL = /* wgsl */ `
@group(0) @binding(0) var<storage, read> Src: array<vec4<f32>>;        // [n]
@group(0) @binding(1) var<storage, read_write> Dst: array<vec4<f32>>;  // [n]
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.y * nwg.x * ${WG}u + gid.x;
  if (i < arrayLength(&Src)) { Dst[i] = Src[i]; }
}`;

function grid(groups: number, max: number): [number, number] {
  return groups <= max ? [groups, 1] : [max, Math.ceil(groups / max)];
}

/** Milliseconds of one dispatch of `pipeline` over `groups` workgroups (best of REPS). */
async function timeDispatch(device: GPUDevice, pipeline: GPUComputePipeline, bindGroup: GPUBindGroup, groups: number): Promise<number> {
  const [gx, gy] = grid(groups, device.limits.maxComputeWorkgroupsPerDimension);
  const stamps = device.features.has('timestamp-query');
  let best = Infinity;
  for (let r = 0; r < REPS; r++) {
    const enc = device.createCommandEncoder({ label: 'bench:peaks' });
    const qs = stamps ? device.createQuerySet({ type: 'timestamp', count: 2 }) : null;
    const pass = enc.beginComputePass(qs ? { timestampWrites: { querySet: qs, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 } } : {});
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(gx, gy);
    pass.end();
    let read: GPUBuffer | null = null;
    if (qs) {
      const resolve = device.createBuffer({ size: 16, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
      read = device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
      enc.resolveQuerySet(qs, 0, 2, resolve, 0);
      enc.copyBufferToBuffer(resolve, 0, read, 0, 16);
    }
    const t0 = performance.now();
    device.queue.submit([enc.finish()]);
    if (read) {
      await read.mapAsync(GPUMapMode.READ);
      const [a, b] = new BigInt64Array(read.getMappedRange());
      best = Math.min(best, Number(b - a) / 1e6);
      read.destroy();
      qs!.destroy();
    } else {
      await device.queue.onSubmittedWorkDone();
      best = Math.min(best, performance.now() - t0);
    }
  }
  return best;
}

/** Measure both peaks on `adapter` (a device of its own, destroyed afterwards). */
export async function measurePeaks(adapter: GPUAdapter): Promise<Peaks> {
  const stamps = adapter.features.has('timestamp-query');
  const device = await adapter.requestDevice({
    label: 'bench:peaks',
    requiredFeatures: stamps ? ['timestamp-query'] : [],
    requiredLimits: { maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize, maxBufferSize: adapter.limits.maxBufferSize },
  });
  try {
    const maxDim = device.limits.maxComputeWorkgroupsPerDimension;
    const layout = (kinds: GPUBufferBindingType[]) => device.createBindGroupLayout({ entries: kinds.map((type, binding) => ({ binding, visibility: GPUShaderStage.COMPUTE, buffer: { type } })) });

    // FMA chains: grow the grid until a run is long enough to time.
    const fmaLayout = layout(['storage']);
    const fma = device.createComputePipeline({
      label: 'bench:fma-peak',
      layout: device.createPipelineLayout({ bindGroupLayouts: [fmaLayout] }),
      compute: { module: device.createShaderModule({ code: FMA_WGSL }), entryPoint: 'main', constants: { ITERS } },
    });
    let fmaGflops = 0;
    const maxInvocations = Math.min(device.limits.maxStorageBufferBindingSize / 16, maxDim * maxDim * WG);
    for (let groups = 8; groups * WG <= maxInvocations; groups *= 2) {
      const out = device.createBuffer({ size: groups * WG * 16, usage: GPUBufferUsage.STORAGE });
      const bg = device.createBindGroup({ layout: fmaLayout, entries: [{ binding: 0, resource: { buffer: out } }] });
      const ms = await timeDispatch(device, fma, bg, groups);
      out.destroy();
      fmaGflops = (2 * 4 * CHAINS * ITERS * groups * WG) / (ms * 1e6);
      if (ms >= MIN_MS) break;
    }

    // Copy: grow the buffers the same way (bounded by the binding and buffer limits).
    const copyLayout = layout(['read-only-storage', 'storage']);
    const copy = device.createComputePipeline({
      label: 'bench:copy-bandwidth',
      layout: device.createPipelineLayout({ bindGroupLayouts: [copyLayout] }),
      compute: { module: device.createShaderModule({ code: COPY_WGSL }), entryPoint: 'main' },
    });
    let copyGBs = 0;
    const maxBytes = Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize, 1 << 30);
    for (let bytes = 1 << 20; bytes <= maxBytes; bytes *= 2) {
      const src = device.createBuffer({ size: bytes, usage: GPUBufferUsage.STORAGE });
      const dst = device.createBuffer({ size: bytes, usage: GPUBufferUsage.STORAGE });
      const bg = device.createBindGroup({ layout: copyLayout, entries: [{ binding: 0, resource: { buffer: src } }, { binding: 1, resource: { buffer: dst } }] });
      const ms = await timeDispatch(device, copy, bg, Math.ceil(bytes / 16 / WG));
      src.destroy();
      dst.destroy();
      copyGBs = (2 * bytes) / (ms * 1e6);
      if (ms >= MIN_MS) break;
    }
    return { fmaGflops, copyGBs, timing: stamps ? 'gpu-timestamp' : 'wall' };
  } finally {
    device.destroy();
  }
}
