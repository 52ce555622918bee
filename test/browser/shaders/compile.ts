// Compiles the pipeline variants of ./variants.ts on a device: every module is checked with
// getCompilationInfo() and validation/internal error scopes, every selected entry point with
// createComputePipelineAsync() inside error scopes. Two canaries (a module that does not
// type-check, a pipeline whose workgroup is over the limit) must be reported as errors, so a
// device that reported nothing fails the test too. Used by the browser page (./main.ts) and
// by Node (test/shader-variants.test.ts).
//
// pipelines: 'all' compiles every distinct pipeline (entry point x the code reachable from it);
// 'cover' compiles, per shader and entry point, the fewest variants in which every define is
// seen both on and off (for SwiftShader, whose JIT takes ~1 s a pipeline; every module is
// still created and validated in full).
import { moduleVariants, reachableCode, type ModuleVariant } from './variants.ts';

export interface VariantFailure {
  shader: string;
  /** Defines that were on. */
  defines: string[];
  entry: string | null;
  stage: 'module' | 'pipeline';
  messages: string[];
}

export interface VariantReport {
  pipelinesMode: 'all' | 'cover';
  /** Per shader: modules created, pipelines compiled, modules skipped for missing features. */
  shaders: Record<string, { modules: number; pipelines: number; skipped: number }>;
  skippedFeatures: string[];
  failures: VariantFailure[];
  /** Whether each canary was reported as an error (true = the checks can fail). */
  canaries: { module: boolean; pipeline: boolean };
  ms: number;
}

/** A device with the adapter's features and limits that matter, as webgrad's init() asks for. */
export async function variantDevice(adapter: GPUAdapter): Promise<GPUDevice> {
  const requiredFeatures = (['subgroups', 'shader-f16'] as GPUFeatureName[]).filter((f) => adapter.features.has(f));
  const requiredLimits: Record<string, number> = {};
  for (const k of ['maxComputeWorkgroupStorageSize', 'maxComputeInvocationsPerWorkgroup', 'maxComputeWorkgroupSizeX', 'maxComputeWorkgroupSizeY', 'maxStorageBuffersPerShaderStage']) {
    requiredLimits[k] = (adapter.limits as unknown as Record<string, number>)[k];
  }
  return adapter.requestDevice({ label: 'webgrad:variants', requiredFeatures, requiredLimits });
}

async function scoped<T>(device: GPUDevice, fn: () => Promise<T>): Promise<{ value: T | null; messages: string[] }> {
  device.pushErrorScope('validation');
  device.pushErrorScope('internal');
  const messages: string[] = [];
  let value: T | null = null;
  try {
    value = await fn();
  } catch (e) {
    messages.push(`${(e as Error).name}: ${(e as Error).message}`);
  }
  for (const err of [await device.popErrorScope(), await device.popErrorScope()]) if (err) messages.push(err.message);
  return { value, messages: [...new Set(messages)] };
}

async function moduleErrors(device: GPUDevice, label: string, code: string): Promise<{ module: GPUShaderModule | null; messages: string[] }> {
  const { value: module, messages } = await scoped(device, async () => device.createShaderModule({ label, code }));
  if (module) {
    const lines = code.split('\n');
    for (const m of (await module.getCompilationInfo()).messages) {
      if (m.type === 'error') messages.push(`${m.lineNum}:${m.linePos}: ${m.message} | ${(lines[m.lineNum - 1] ?? '').trim()}`);
    }
  }
  return { module, messages };
}

async function pipelineErrors(device: GPUDevice, label: string, module: GPUShaderModule, entryPoint: string): Promise<string[]> {
  return (await scoped(device, () => device.createComputePipelineAsync({ label, layout: 'auto', compute: { module, entryPoint } }))).messages;
}

interface PipelineJob {
  variant: ModuleVariant;
  entry: string;
}

/** The pipelines to compile: distinct (shader, entry, reachable code), thinned to a cover if asked. */
function pipelineJobs(variants: ModuleVariant[], mode: 'all' | 'cover'): Set<PipelineJob> {
  const seen = new Set<string>();
  const groups = new Map<string, PipelineJob[]>();
  for (const variant of variants) {
    for (const entry of variant.entries) {
      const key = `${variant.shader}\n${entry}\n${reachableCode(variant.code, entry)}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const g = `${variant.shader}.${entry}`;
      groups.set(g, [...(groups.get(g) ?? []), { variant, entry }]);
    }
  }
  const out = new Set<PipelineJob>();
  for (const jobs of groups.values()) {
    if (mode === 'all') {
      for (const j of jobs) out.add(j);
      continue;
    }
    // Greedy cover of every (define, value) pair: take the job that adds the most new pairs.
    const pairs = (j: PipelineJob) => Object.entries(j.variant.defines).map(([d, v]) => `${d}=${v}`);
    const need = new Set(jobs.flatMap(pairs));
    while (need.size) {
      let best = jobs[0];
      let gain = -1;
      for (const j of jobs) {
        const g = pairs(j).filter((p) => need.has(p)).length;
        if (g > gain) [best, gain] = [j, g];
      }
      out.add(best);
      for (const p of pairs(best)) need.delete(p);
    }
    if (!jobs.some((j) => out.has(j))) out.add(jobs[0]); // a shader without defines
  }
  return out;
}

/** Compile the variants of `sources` (default: every shader of src/gpu/shaderSources.ts). */
export async function compileVariants(
  device: GPUDevice,
  mode: 'all' | 'cover',
  progress?: (line: string) => void,
  sources?: Readonly<Record<string, string>>,
): Promise<VariantReport> {
  const t0 = performance.now();
  const report: VariantReport = { pipelinesMode: mode, shaders: {}, skippedFeatures: [], failures: [], canaries: { module: false, pipeline: false }, ms: 0 };
  const bad = await moduleErrors(device, 'canary:module', 'fn f() -> f32 { return 1u; }');
  report.canaries.module = bad.messages.length > 0;
  const big = await moduleErrors(device, 'canary:pipeline', 'override WG: u32 = 65536u;\n@compute @workgroup_size(WG) fn main() {}');
  report.canaries.pipeline = !!big.module && big.messages.length === 0 && (await pipelineErrors(device, 'canary:pipeline', big.module, 'main')).length > 0;

  const variants = moduleVariants(sources);
  const usable = variants.filter((v) => v.features.every((f) => device.features.has(f as GPUFeatureName)));
  const jobs = pipelineJobs(usable, mode);
  for (const [k, v] of variants.entries()) {
    const s = (report.shaders[v.shader] ??= { modules: 0, pipelines: 0, skipped: 0 });
    const missing = v.features.filter((f) => !device.features.has(f as GPUFeatureName));
    if (missing.length) {
      s.skipped++;
      for (const f of missing) if (!report.skippedFeatures.includes(f)) report.skippedFeatures.push(f);
      continue;
    }
    const label = `webgrad:${v.shader}[${v.on.join(',')}]`;
    const { module, messages } = await moduleErrors(device, label, v.code);
    s.modules++;
    if (messages.length || !module) {
      report.failures.push({ shader: v.shader, defines: v.on, entry: null, stage: 'module', messages });
      continue;
    }
    // The entries of one module compile concurrently (the browser may use several threads).
    await Promise.all(
      [...jobs].filter((j) => j.variant === v).map(async ({ entry }) => {
        const errs = await pipelineErrors(device, `${label}.${entry}`, module, entry);
        s.pipelines++;
        if (errs.length) report.failures.push({ shader: v.shader, defines: v.on, entry, stage: 'pipeline', messages: errs });
      }),
    );
    if (k % 25 === 0) progress?.(`${k + 1} / ${variants.length} modules, ${report.failures.length} failures`);
  }
  report.ms = performance.now() - t0;
  return report;
}
