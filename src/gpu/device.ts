// Device acquisition for browsers (navigator.gpu) and Node (the `webgpu` package, Dawn).
// In Node, the Vulkan driver is chosen here: the system default first (a real GPU when there
// is one), then Mesa lavapipe, then SwiftShader, keeping the first that yields an adapter.
/// <reference types="@webgpu/types" preserve="true" />
/// <reference lib="dom" preserve="true" />
/// <reference lib="esnext.disposable" preserve="true" />
// (These survive into dist/gpu/device.d.ts, so a consumer's TypeScript finds GPUDevice & co.
// without listing @webgpu/types, a dependency of webgrad, in its own config; @webgpu/types
// needs the DOM lib, and Tensor implements Symbol.dispose.)
import { platform } from '#platform';
import { WebGPUUnavailableError } from '../errors.ts';
import type { RuntimeOptions } from './runtime.ts';
import { adapterKind, describeKind } from './kind.ts';

/** What `init()` and `adapterInfo()` report about the WebGPU adapter and device in use. */
export interface AdapterSummary {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** Which Vulkan driver Node picked ('default', 'lavapipe', 'swiftshader'); 'browser' in a page. */
  driver: string;
  features: string[];
  isFallbackAdapter: boolean;
  /** The device's limits that matter to webgrad's kernels and allocations. */
  limits: Record<string, number>;
}

/** Options of `init(opts)`. */
export interface InitOptions extends RuntimeOptions {
  /** Use this device instead of acquiring one (e.g. to share a device with other code). */
  device?: GPUDevice;
  powerPreference?: GPUPowerPreference;
  /** Extra limits to request (clamped to what the adapter supports). */
  requiredLimits?: Record<string, number>;
  /** Node only: force a driver: 'default' | 'lavapipe' | 'swiftshader' (also WEBGRAD_ADAPTER). */
  driver?: 'default' | 'lavapipe' | 'swiftshader';
  /** Do not print the adapter that was picked and its kernel family (printed by default: stderr in Node, console.info in pages). */
  quiet?: boolean;
}

export interface Acquired {
  device: GPUDevice;
  adapter: GPUAdapter | null;
  summary: AdapterSummary;
}

// Node's build of webgrad (package.json "imports" #platform) drives Dawn; every other build uses
// navigator.gpu.
const isNode = platform.kind === 'node';

/** Limits webgrad's kernels want; each is clamped to the adapter's own maximum. */
const WANTED_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxStorageBuffersPerShaderStage',
] as const;
const WANTED_FEATURES: GPUFeatureName[] = ['timestamp-query', 'subgroups' as GPUFeatureName];

export async function acquireDevice(opts: InitOptions = {}): Promise<Acquired> {
  if (opts.device) {
    return { device: opts.device, adapter: null, summary: summarize(null, 'external', opts.device) };
  }
  const { adapter, driver } = isNode ? await nodeAdapter(opts) : await browserAdapter(opts);
  const requiredLimits: Record<string, number> = {};
  for (const name of WANTED_LIMITS) {
    const max = (adapter.limits as unknown as Record<string, number>)[name];
    if (typeof max === 'number') requiredLimits[name] = max;
  }
  for (const [name, v] of Object.entries(opts.requiredLimits ?? {})) {
    const max = (adapter.limits as unknown as Record<string, number>)[name];
    requiredLimits[name] = typeof max === 'number' ? Math.min(v, max) : v;
  }
  const requiredFeatures = WANTED_FEATURES.filter((f) => adapter.features.has(f));
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({ label: 'webgrad', requiredLimits, requiredFeatures });
  } catch (e) {
    throw new WebGPUUnavailableError(`webgrad: the adapter refused a device: ${(e as Error).message}`);
  }
  const summary = summarize(adapter, driver, device);
  // The adapter and the kernel family chosen for it (src/gpu/kind.ts), with the rule that
  // decided: Node prints to stderr, pages log to the console (both unless quiet).
  if (!opts.quiet && !(isNode && process.env.WEBGRAD_QUIET === '1')) {
    const line = `[webgrad] WebGPU adapter: ${describe(summary)}; ${describeKind(adapterKind(summary, opts.kernels))}`;
    if (isNode) process.stderr.write(`${line}\n`);
    else console.info(line);
  }
  return { device, adapter, summary };
}

export function describe(s: AdapterSummary): string {
  const name = [s.vendor, s.architecture, s.device, s.description].filter(Boolean).join(' / ') || 'adapter.info empty';
  return `${name} (driver: ${s.driver}${s.isFallbackAdapter ? ', fallback' : ''})`;
}

function summarize(adapter: GPUAdapter | null, driver: string, device: GPUDevice): AdapterSummary {
  const info = (adapter?.info ?? (device as unknown as { adapterInfo?: GPUAdapterInfo }).adapterInfo) as GPUAdapterInfo | undefined;
  return {
    vendor: info?.vendor ?? '',
    architecture: info?.architecture ?? '',
    device: info?.device ?? '',
    description: info?.description ?? '',
    driver,
    features: [...device.features].sort(),
    isFallbackAdapter: Boolean((info as unknown as { isFallbackAdapter?: boolean })?.isFallbackAdapter),
    limits: Object.fromEntries(
      [...WANTED_LIMITS, 'maxComputeWorkgroupsPerDimension', 'minUniformBufferOffsetAlignment'].map((k) => [
        k,
        (device.limits as unknown as Record<string, number>)[k],
      ]),
    ),
  };
}

async function browserAdapter(opts: InitOptions): Promise<{ adapter: GPUAdapter; driver: string }> {
  const gpu = (globalThis as { navigator?: Navigator }).navigator?.gpu;
  if (!gpu) {
    throw new WebGPUUnavailableError(
      'webgrad: navigator.gpu is missing. WebGPU needs a secure context (https:// or http://127.0.0.1 / localhost, ' +
        'never data: URLs) and a browser with WebGPU (Chrome/Edge 113+, or Chromium started with --enable-unsafe-webgpu).',
    );
  }
  const adapter = await gpu.requestAdapter({ powerPreference: opts.powerPreference ?? 'high-performance' });
  if (!adapter) {
    throw new WebGPUUnavailableError(
      'webgrad: navigator.gpu.requestAdapter() returned null: the browser has WebGPU but no usable GPU. ' +
        'Enable hardware acceleration, or start Chromium with --enable-unsafe-webgpu (software rendering uses SwiftShader).',
    );
  }
  return { adapter, driver: 'browser' };
}

// ---------------------------------------------------------------------------------------------
// Node: Dawn through the `webgpu` package, loaded by src/platform/node.ts, which browser builds
// never include.

const LAVAPIPE_ICDS = ['/usr/share/vulkan/icd.d/lvp_icd.json', '/usr/share/vulkan/icd.d/lvp_icd.x86_64.json', '/usr/share/vulkan/icd.d/lvp_icd.aarch64.json'];
const SWIFTSHADER_ICDS = ['/usr/lib/chromium/vk_swiftshader_icd.json'];

// Dawn instances must outlive their devices; keep every one we create.
const dawnInstances: GPU[] = [];

/**
 * Dawn's Vulkan backend prints these two lines on every adapter it enumerates whose driver
 * reports more dynamic buffers than Dawn allocates offsets for (lavapipe reports 1000000).
 * They describe a Dawn-internal cap that webgrad never comes near (it binds no dynamic
 * buffers), so Node runs drop them unless WEBGRAD_DEBUG is set.
 */
export const DAWN_NOISE = /^Warning: maxDynamic(Uniform|Storage)BuffersPerPipelineLayout artificially reduced from \d+ to \d+ to fit dynamic offset allocation limit\.$/;

/** requestAdapter() on a Dawn instance; Dawn enumerates (and warns) synchronously inside the call. */
function dawnAdapter(gpu: GPU, opts: InitOptions): Promise<GPUAdapter | null> {
  const call = () => gpu.requestAdapter({ powerPreference: opts.powerPreference ?? 'high-performance' });
  if (process.env.WEBGRAD_DEBUG) return call();
  return platform.filterNativeStderr(call, (line) => !DAWN_NOISE.test(line));
}

async function nodeAdapter(opts: InitOptions): Promise<{ adapter: GPUAdapter; driver: string }> {
  process.env.XDG_RUNTIME_DIR ??= platform.tmpdir();
  const dawn = await platform.loadDawn();
  Object.assign(globalThis, dawn.globals);
  const firstExisting = (paths: string[]) => platform.firstExisting(paths);
  const userIcd = process.env.VK_ICD_FILENAMES ?? process.env.VK_DRIVER_FILES;
  const forced = opts.driver ?? (process.env.WEBGRAD_ADAPTER as InitOptions['driver']);

  const candidates: { driver: string; icd: string | undefined }[] = [];
  const lvp = firstExisting(LAVAPIPE_ICDS);
  const swr = firstExisting(SWIFTSHADER_ICDS);
  if (forced === 'lavapipe' || forced === 'swiftshader') {
    const icd = forced === 'lavapipe' ? lvp : swr;
    if (!icd) throw new WebGPUUnavailableError(`webgrad: driver '${forced}' was requested but its Vulkan ICD file is not installed (${forced === 'lavapipe' ? 'apt-get install -t bookworm-backports mesa-vulkan-drivers' : 'apt-get install chromium'}).`);
    candidates.push({ driver: forced, icd });
  } else if (userIcd) {
    candidates.push({ driver: `VK_ICD_FILENAMES=${userIcd}`, icd: userIcd });
  } else {
    candidates.push({ driver: 'default', icd: undefined });
    if (lvp) candidates.push({ driver: 'lavapipe', icd: lvp });
    if (swr) candidates.push({ driver: 'swiftshader', icd: swr });
  }

  const tried: string[] = [];
  let fallback: { adapter: GPUAdapter; driver: string } | null = null;
  for (const c of candidates) {
    if (c.icd) process.env.VK_ICD_FILENAMES = c.icd;
    const gpu = dawn.create([]);
    dawnInstances.push(gpu);
    const adapter = await dawnAdapter(gpu, opts);
    if (!adapter) {
      tried.push(`${c.driver}: no adapter`);
      continue;
    }
    const text = `${adapter.info.vendor} ${adapter.info.architecture} ${adapter.info.description}`.toLowerCase();
    // The default loader may land on SwiftShader when lavapipe is also present; lavapipe is
    // several times faster on CPUs, so keep looking before settling for it.
    if (c.driver === 'default' && text.includes('swiftshader') && lvp && !forced) {
      fallback ??= { adapter, driver: 'swiftshader' };
      continue;
    }
    const driver = c.driver === 'default' && text.includes('llvmpipe') ? 'lavapipe' : c.driver;
    return { adapter, driver };
  }
  if (fallback) return fallback;
  throw new WebGPUUnavailableError(
    `webgrad: no WebGPU adapter in Node (tried ${tried.join('; ') || 'nothing'}). Dawn needs a Vulkan driver: ` +
      'on Debian run `npm run setup` (installs Mesa 25 lavapipe from bookworm-backports and Chromium, whose ' +
      'SwiftShader also works), or point VK_ICD_FILENAMES at a Vulkan ICD json. Mesa 22 lavapipe is too old for Dawn.',
  );
}
