// Kernel variants as self-describing records, shared by every family that has more than one
// way to run (matmul today; conv and attention reuse it). A record carries everything about
// one variant: its name, what it is for, which kernel family tunes it, what the adapter must
// have (subgroups, invocations, workgroup memory), which shapes it can run, and its plan (the
// pipelines, Params, grids and scratch buffers of one launch). A VariantTable answers the
// three questions a launcher and the autotuner ask: can the adapter run it, can it run this
// shape, and which records compete for a shape on this adapter's kernel family.
// launch() is the one call a launcher makes: select() picks the record (forced name, else the
// tuned winner of the shape class, else the family default, with a background tuning job
// scheduled for a new large class; src/gpu/autotune.ts times the candidates' plans, nothing
// else), and while that record's pipelines have not been compiled a table with a coldStart
// record runs it instead and warms the selected pipelines up in the background (warmPlan):
// a cold first step compiles only quick kernels.
import { ValueError } from '../errors.ts';
import { autotuner, type TuneJob } from '../gpu/autotune.ts';
import { kernelCacheKey, type KernelKey } from '../gpu/pipelines.ts';
import type { Runtime } from '../gpu/runtime.ts';
import { settle } from '../gpu/settle.ts';
import { empty } from '../tensor.ts';

export type Family = 'cpu' | 'gpu';

/** What the adapter must have for a variant to compile and run. */
export interface VariantNeeds {
  /** Subgroup operations with at least this many lanes (the adapter's subgroupMinSize). */
  subgroupMinSize?: number;
  /** Invocations per workgroup. */
  invocations?: number;
  /** Bytes of workgroup memory. */
  workgroupStorage?: number;
}

/** A buffer of one launch: an operand of the launcher (by index) or a scratch buffer. */
export type BufferRef = { operand: number } | { scratch: number };

export interface PlanStep {
  key: KernelKey;
  params: Uint8Array<ArrayBuffer>;
  grid: [number, number, number];
  /** One per binding after the uniform (binding 0). */
  buffers: readonly BufferRef[];
}

export interface Plan {
  steps: PlanStep[];
  /** f32 elements of each scratch buffer the steps use (partial sums). */
  scratch: number[];
}

export interface VariantRecord<D> {
  name: string;
  /** What the variant is for (docs/ARCHITECTURE.md lists the same). */
  purpose: string;
  /** Kernel families whose autotuner times it (any supported record can be forced). */
  families: readonly Family[];
  needs: VariantNeeds;
  /** Whether the variant can run `d` at all (shape limits); absent: every shape. */
  fits?(d: D): boolean;
  /** Whether the tuner should time it for `d` (a cheap filter; default: fits). */
  worthTiming?(d: D): boolean;
  plan(rt: Runtime, d: D, op: string): Plan;
}

/** The smallest subgroup size the adapter may use; 0 without the 'subgroups' feature. */
export function subgroupMinSize(rt: Runtime): number {
  if (!rt.device.features.has('subgroups' as GPUFeatureName)) return 0;
  const info = (rt.device as unknown as { adapterInfo?: { subgroupMinSize?: number } }).adapterInfo;
  return info?.subgroupMinSize ?? 4; // WebGPU guarantees at least 4
}

export function family(rt: Runtime): Family {
  return rt.kind.cpu ? 'cpu' : 'gpu';
}

export interface TableOptions<D> {
  /** Family name used in keys and errors ('matmul'). */
  kind: string;
  /** Shape class of `d`: tuned winners are cached per (adapter, class). */
  shapeClass(d: D): string;
  /** The variant used without timing. */
  defaultFor(rt: Runtime, d: D): string;
  /** Work below which the default runs without scheduling a tuning job. */
  worthTuning(d: D): boolean;
  /** A job timing `candidates` on a (possibly scaled-down) shape of `d`'s class. */
  tuneJob(rt: Runtime, d: D, candidates: VariantRecord<D>[], scaled: boolean): TuneJob | Promise<TuneJob>;
  /**
   * Cold start: the record that compiles fastest, run in place of the selected one while the
   * selected one's pipelines are not compiled yet, for shapes where `fits` says it is cheap
   * enough; the selected pipelines are warmed up in the background after the first result
   * (warmPlan), and launches switch to them once that is done. Never for forced variants or
   * inside capture() (a replay would keep the stand-in).
   */
  coldStart?: { variant: string; fits(d: D): boolean };
}

export class VariantTable<D> {
  readonly byName: ReadonlyMap<string, VariantRecord<D>>;

  constructor(
    readonly records: readonly VariantRecord<D>[],
    readonly options: TableOptions<D>,
  ) {
    this.byName = new Map(records.map((r) => [r.name, r]));
  }

  get names(): string[] {
    return this.records.map((r) => r.name);
  }

  /** The adapter can compile and run the record (features and limits). */
  supported(rt: Runtime, r: VariantRecord<D>): boolean {
    const n = r.needs;
    if ((n.invocations ?? 0) > rt.limits.maxComputeInvocationsPerWorkgroup) return false;
    if ((n.workgroupStorage ?? 0) > rt.limits.maxComputeWorkgroupStorageSize) return false;
    return !n.subgroupMinSize || subgroupMinSize(rt) >= n.subgroupMinSize;
  }

  /** The records the autotuner times for `d` on this adapter's kernel family. */
  candidates(rt: Runtime, d: D): VariantRecord<D>[] {
    const fam = family(rt);
    return this.records.filter(
      (r) => r.families.includes(fam) && this.supported(rt, r) && (r.fits?.(d) ?? true) && (r.worthTiming?.(d) ?? true),
    );
  }

  /** A forced variant, validated: known, supported by the adapter, able to run `d`. */
  check(rt: Runtime, name: string, d: D, op: string): VariantRecord<D> {
    const r = this.byName.get(name);
    if (!r) throw new ValueError(op, `unknown ${this.options.kind} variant '${name}' (one of ${this.names.join(', ')})`);
    if (!this.supported(rt, r)) {
      throw new ValueError(op, `${this.options.kind} variant '${name}' needs features or limits this adapter lacks (${describeNeeds(r.needs)}; subgroup min size ${subgroupMinSize(rt)})`);
    }
    if (r.fits && !r.fits(d)) throw new ValueError(op, `${this.options.kind} variant '${name}' cannot run this shape (${r.purpose})`);
    return r;
  }

  /**
   * The one question a launch asks: which record runs `d`. A forced name wins; else the tuned
   * winner of d's class (if it still fits), else the default, and a large new class gets a
   * background tuning job (never awaited here).
   */
  select(rt: Runtime, d: D, forced: string | undefined, op: string): VariantRecord<D> {
    if (forced) return this.check(rt, forced, d, op);
    const fallback = () => this.check(rt, this.options.defaultFor(rt, d), d, op);
    if (!this.options.worthTuning(d)) return fallback();
    const tuner = autotuner(rt);
    const key = this.options.shapeClass(d);
    const hit = tuner.lookup(key);
    const r = hit === undefined ? undefined : this.byName.get(hit);
    if (r && this.supported(rt, r) && (r.fits?.(d) ?? true)) return r;
    if (hit === undefined) tuner.schedule(key, () => this.options.tuneJob(rt, d, this.candidates(rt, d), true));
    return fallback();
  }

  /**
   * select() and record the plan on `operands` (in binding order after the uniform). Returns
   * the record that ran: the selected one, or the cold-start stand-in while the selected
   * one's pipelines compile in the background (TableOptions.coldStart).
   */
  launch(rt: Runtime, d: D, forced: string | undefined, operands: readonly GPUBuffer[], label: string, dispatchLabel = `${label}.forward`): VariantRecord<D> {
    const record = this.select(rt, d, forced, label);
    const plan = record.plan(rt, d, label);
    const stand = forced ? undefined : this.standIn(rt, d, record, plan, label);
    runPlan(rt, stand ? stand.plan(rt, d, label) : plan, operands, label, dispatchLabel);
    return stand ?? record;
  }

  /** The cold-start record to run instead of `record` (whose pipelines it warms up), if any. */
  private standIn(rt: Runtime, d: D, record: VariantRecord<D>, plan: Plan, op: string): VariantRecord<D> | undefined {
    const cold = this.options.coldStart;
    if (!cold || record.name === cold.variant || rt.capturing || !cold.fits(d)) return undefined;
    const keys = plan.steps.map((s) => s.key);
    if (rt.pipelines.ready(keys)) return undefined;
    const stand = this.byName.get(cold.variant);
    if (!stand || !this.supported(rt, stand) || !(stand.fits?.(d) ?? true)) return undefined;
    autotuner(rt).background(`warm:${keys.map(kernelCacheKey).join(';')}`, () => warmPlan(rt, plan, `${op}:${record.name}`));
    return stand;
  }
}

/**
 * Compile a plan's pipelines for real, off the critical path: request them all at once with
 * createComputePipelineAsync (a browser compiles them in parallel), then run each once with
 * the plan's own Params on one workgroup and placeholder buffers (robust buffer access keeps
 * every load and store inside those; the Params keep every loop bounded), since lavapipe
 * compiles at the first dispatch. Marks the kernels ready (PipelineCache.ready).
 */
export async function warmPlan(rt: Runtime, plan: Plan, label: string): Promise<void> {
  const kernels = await Promise.all(plan.steps.map((s) => rt.pipelines.getAsync(s.key)));
  if (kernels.every((k) => k.ready)) return;
  rt.assertAlive('warm-up');
  const device = rt.device;
  const uniforms: GPUBuffer[] = [];
  const enc = device.createCommandEncoder({ label: `webgrad:warm-up:${label}` });
  const pass = enc.beginComputePass({ label: `webgrad:warm-up:${label}` });
  plan.steps.forEach((s, i) => {
    const u = device.createBuffer({ label: `webgrad:warm-up-params:${label}`, size: s.params.byteLength, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    uniforms.push(u);
    device.queue.writeBuffer(u, 0, s.params);
    const bufs = s.key.bindings.map((kind) => (kind === 'uniform' ? u : rt.placeholder(kind)));
    const entries = bufs.map((buffer, binding) => ({ binding, resource: { buffer } }));
    pass.setPipeline(kernels[i].pipeline);
    pass.setBindGroup(0, device.createBindGroup({ label: `webgrad:warm-up:${label}`, layout: kernels[i].layout, entries }));
    pass.dispatchWorkgroups(1, 1, 1);
  });
  pass.end();
  device.queue.submit([enc.finish()]);
  try {
    await settle(device, device.queue.onSubmittedWorkDone());
    for (const k of kernels) k.ready = true;
  } finally {
    for (const u of uniforms) u.destroy();
  }
}

/** A plan of one dispatch on the launcher's operands in order (no scratch). */
export function singleStep(key: KernelKey, params: Uint8Array<ArrayBuffer>, grid: readonly [number, number, number?], operands: number): Plan {
  const buffers = Array.from({ length: operands }, (_, operand) => ({ operand }));
  return { steps: [{ key, params, grid: [grid[0], grid[1], grid[2] ?? 1], buffers }], scratch: [] };
}

function describeNeeds(n: VariantNeeds): string {
  const parts: string[] = [];
  if (n.subgroupMinSize) parts.push(`subgroups of >= ${n.subgroupMinSize} lanes`);
  if (n.invocations) parts.push(`${n.invocations} invocations per workgroup`);
  if (n.workgroupStorage) parts.push(`${n.workgroupStorage} bytes of workgroup memory`);
  return parts.join(', ') || 'nothing';
}

/**
 * Record a plan into the runtime's pass: operands are the launcher's buffers, scratch buffers
 * live for the launch (their pool buffers are reusable after the next submit).
 */
export function runPlan(rt: Runtime, plan: Plan, operands: readonly GPUBuffer[], label: string, dispatchLabel = `${label}.forward`): void {
  // Scratch as tensors: disposing one returns its buffer to the pool, or to a capture that pins it.
  const scratch = plan.scratch.map((elems) => empty([Math.max(4, elems)], 'f32', `${label}.scratch`));
  try {
    const pick = (ref: BufferRef) => ('operand' in ref ? operands[ref.operand] : scratch[ref.scratch].buffer(label));
    for (const s of plan.steps) rt.dispatch(s.key, s.params, s.buffers.map(pick), s.grid, dispatchLabel);
  } finally {
    for (const t of scratch) t.dispose();
  }
}

/**
 * A tuning job over records' plans: the candidates share the job's operand buffers (contents
 * do not matter for timing), each gets its own scratch, uniforms and bind groups. Every
 * candidate's pipelines are requested at once with createComputePipelineAsync before any
 * buffer exists.
 */
export async function planJob<D>(rt: Runtime, d: D, candidates: VariantRecord<D>[], operandElems: number[], op: string): Promise<TuneJob> {
  const device = rt.device;
  const plans = candidates.map((r) => ({ r, plan: r.plan(rt, d, op) }));
  const kernels = await Promise.all(plans.map(({ plan }) => Promise.all(plan.steps.map((s) => rt.pipelines.getAsync(s.key)))));
  rt.assertAlive('autotune');
  const owned: GPUBuffer[] = [];
  const storage = (elems: number, label: string) => {
    const b = device.createBuffer({ label: `webgrad:autotune-${label}`, size: Math.max(16, Math.ceil(elems / 4) * 16), usage: GPUBufferUsage.STORAGE });
    owned.push(b);
    return b;
  };
  const operands = operandElems.map((n, i) => storage(n, `operand${i}`));
  const jobs = plans.map(({ r, plan }, ci) => {
    const scratch = plan.scratch.map((n, i) => storage(n, `scratch${i}`));
    const steps = plan.steps.map((s, si) => {
      const kernel = kernels[ci][si];
      const u = device.createBuffer({ label: 'webgrad:autotune-params', size: s.params.byteLength, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
      owned.push(u);
      device.queue.writeBuffer(u, 0, s.params);
      const bufs = [u, ...s.buffers.map((ref) => ('operand' in ref ? operands[ref.operand] : scratch[ref.scratch]))];
      const entries = bufs.map((buffer, binding) => ({ binding, resource: { buffer } }));
      return { grid: s.grid, pipeline: kernel.pipeline, bindGroup: device.createBindGroup({ label: `webgrad:autotune:${r.name}`, layout: kernel.layout, entries }) };
    });
    return {
      name: r.name,
      encode(pass: GPUComputePassEncoder) {
        for (const s of steps) {
          pass.setPipeline(s.pipeline);
          pass.setBindGroup(0, s.bindGroup);
          pass.dispatchWorkgroups(...s.grid);
        }
      },
    };
  });
  return {
    candidates: jobs,
    dispose() {
      for (const b of owned) b.destroy();
    },
  };
}
