// Pipeline cache: each (shader, entry point, defines, override constants) compiles once.
// Layouts are explicit (not 'auto') so a binding a variant does not use is still valid, and
// layouts with the same binding kinds are shared between kernels.
import { ShaderCompileError } from '../errors.ts';
import { preprocess, type Defines } from './preprocess.ts';
import { SHADER_SOURCES, type ShaderName } from './shaderSources.ts';

/** What each binding (in order, @binding(0..n-1) of @group(0)) is. */
export type BindingKind = 'uniform' | 'read' | 'rw';

export interface KernelKey {
  shader: ShaderName;
  entry: string;
  defines?: Defines;
  constants?: Readonly<Record<string, number>>;
  bindings: readonly BindingKind[];
}

export interface CompiledKernel {
  pipeline: GPUComputePipeline;
  layout: GPUBindGroupLayout;
  label: string;
  /**
   * Compiled for real: a warm-up dispatch of it has completed (src/kernels/variants.ts,
   * warmPlan). A pipeline object alone is not enough: lavapipe compiles with LLVM at the
   * first dispatch, not at createComputePipeline.
   */
  ready?: boolean;
}

/** A structured, order-independent key: same defines in another order hit the same entry. */
export function kernelCacheKey(k: KernelKey): string {
  const sorted = (o: Readonly<Record<string, unknown>> | undefined) =>
    Object.keys(o ?? {})
      .sort()
      .map((name) => [name, o![name]]);
  return JSON.stringify([k.shader, k.entry, sorted(k.defines), sorted(k.constants), k.bindings]);
}

export class PipelineCache {
  private readonly pipelines = new Map<string, CompiledKernel>();
  private readonly modules = new Map<string, GPUShaderModule>();
  private readonly layouts = new Map<string, GPUBindGroupLayout>();
  private readonly pendingAsync = new Map<string, Promise<CompiledKernel>>();
  /** Compilation checks run asynchronously; flushes await them and surface errors. */
  readonly pendingChecks: Promise<void>[] = [];
  compileErrors: ShaderCompileError[] = [];
  stats = { pipelinesCreated: 0, modulesCreated: 0, hits: 0 };

  constructor(private readonly device: GPUDevice) {}

  get(k: KernelKey): CompiledKernel {
    const key = kernelCacheKey(k);
    const hit = this.pipelines.get(key);
    if (hit) {
      this.stats.hits++;
      return hit;
    }
    const { descriptor, layout, label } = this.describe(k);
    const compiled = { pipeline: this.device.createComputePipeline(descriptor), layout, label };
    this.stats.pipelinesCreated++;
    this.pipelines.set(key, compiled);
    return compiled;
  }

  /**
   * The kernel, compiled with createComputePipelineAsync: callers ask for every pipeline they
   * will need at once (the autotuner's candidates), so a browser compiles them in parallel off
   * the page's thread. (Dawn in Node compiles them on the polling thread: no faster, never slower.)
   * A get() of the same key meanwhile compiles it synchronously; the first result is kept.
   */
  getAsync(k: KernelKey): Promise<CompiledKernel> {
    const key = kernelCacheKey(k);
    const hit = this.pipelines.get(key);
    if (hit) return Promise.resolve(hit);
    let pending = this.pendingAsync.get(key);
    if (!pending) {
      const { descriptor, layout, label } = this.describe(k);
      pending = this.device
        .createComputePipelineAsync(descriptor)
        .then(
          (pipeline) => {
            const known = this.pipelines.get(key);
            if (known) return known;
            this.stats.pipelinesCreated++;
            const compiled = { pipeline, layout, label };
            this.pipelines.set(key, compiled);
            return compiled;
          },
          // A failed async compile is reported the way a synchronous one is (validation error).
          () => this.get(k),
        )
        .finally(() => this.pendingAsync.delete(key));
      this.pendingAsync.set(key, pending);
    }
    return pending;
  }

  private describe(k: KernelKey): { descriptor: GPUComputePipelineDescriptor; layout: GPUBindGroupLayout; label: string } {
    const label = `webgrad:${k.shader}.${k.entry}${variantLabel(k.defines)}`;
    const module = this.module(k.shader, k.defines ?? {}, label);
    const layout = this.layout(k.bindings);
    const descriptor = {
      label,
      layout: this.device.createPipelineLayout({ label: `${label}:layout`, bindGroupLayouts: [layout] }),
      compute: { module, entryPoint: k.entry, constants: { ...(k.constants ?? {}) } },
    };
    return { descriptor, layout, label };
  }

  private module(shader: ShaderName, defines: Defines, label: string): GPUShaderModule {
    const key = JSON.stringify([shader, Object.entries(defines).sort()]);
    let m = this.modules.get(key);
    if (m) return m;
    const code = preprocess(SHADER_SOURCES[shader], defines);
    m = this.device.createShaderModule({ label, code });
    this.stats.modulesCreated++;
    this.modules.set(key, m);
    const check = m.getCompilationInfo().then((info) => {
      const errors = info.messages.filter((x) => x.type === 'error');
      if (errors.length) {
        const lines = code.split('\n');
        this.compileErrors.push(
          new ShaderCompileError(
            `${shader}${variantLabel(defines)}`,
            errors.map((e) => `  shaders/${shader}.wgsl (preprocessed) ${e.lineNum}:${e.linePos}: ${e.message}\n    | ${lines[e.lineNum - 1] ?? ''}`),
          ),
        );
      }
    });
    this.pendingChecks.push(check);
    return m;
  }

  private layout(kinds: readonly BindingKind[]): GPUBindGroupLayout {
    const key = kinds.join(',');
    let l = this.layouts.get(key);
    if (l) return l;
    l = this.device.createBindGroupLayout({
      label: `webgrad:layout(${key})`,
      entries: kinds.map((kind, binding) => ({
        binding,
        visibility: GPUShaderStage.COMPUTE,
        buffer: { type: kind === 'uniform' ? 'uniform' : kind === 'read' ? 'read-only-storage' : 'storage' },
      })),
    });
    this.layouts.set(key, l);
    return l;
  }

  /** Wait for outstanding compile checks; throw the first compile error if any. */
  async check(): Promise<void> {
    const pending = this.pendingChecks.splice(0);
    if (pending.length) await Promise.all(pending);
    // Report each compile error once; the broken pipeline stays cached, so later uses fail in
    // GPU validation (naming its label) rather than re-throwing this error everywhere.
    if (this.compileErrors.length) throw this.compileErrors.splice(0)[0];
  }

  /** Every key is cached and ready (a warm-up ran it); false for any key never requested. */
  ready(keys: readonly KernelKey[]): boolean {
    return keys.every((k) => this.pipelines.get(kernelCacheKey(k))?.ready === true);
  }

  get size(): number {
    return this.pipelines.size;
  }
}

function variantLabel(defines: Defines | undefined): string {
  const on = Object.entries(defines ?? {})
    .filter(([, v]) => v)
    .map(([k]) => k);
  return on.length ? `[${on.join(',')}]` : '';
}
