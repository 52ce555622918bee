// The optimizer contract: parameters (named, so errors can say which one) in groups with their
// own options (PyTorch's param_groups), learning rates with optional schedules, and step(), which validates every parameter's gradient BEFORE touching
// the GPU and then records one fused in-place update kernel per parameter (shaders/optim.wgsl).
// State (momentum, Adam's m and v) lives in GPU tensors owned by the optimizer.
import { ArgumentTypeError, DTypeError, DisposedTensorError, ShapeError, ValueError, fmtShape } from '../errors.ts';
import { describeValue, isPlainObject, option, parseOptions, type OptionsSpec } from '../options.ts';
import { keep } from '../memory.ts';
import { sameShape } from '../shape.ts';
import { Tensor, zeros } from '../tensor.ts';

/**
 * What an optimizer optimizes: a model (anything with namedParameters(), e.g. an nn.Module),
 * `model.parameters()` or any array / iterable of tensors, or [name, tensor] pairs.
 */
export type ParamSource =
  | { namedParameters(): [string, Tensor][] }
  | readonly Tensor[]
  | readonly (readonly [string, Tensor])[]
  | Iterable<Tensor>;

/**
 * One parameter group as given to a constructor, as PyTorch's `{'params': ..., 'lr': ...}`:
 * its parameters and any of the optimizer's options, which override the constructor's.
 */
export type ParamGroupInput<O> = { params: ParamSource } & O;

/** A parameter with the name its state is stored under. */
export interface NamedParam {
  readonly name: string;
  readonly tensor: Tensor;
}

/**
 * A parameter group as the optimizer holds it (PyTorch's `optimizer.param_groups[i]`): its
 * parameters and every option, defaults filled in. The options are plain fields that may be
 * changed between steps (`group.lr = 1e-4`, as an LR schedule does); step() validates them
 * again, before any GPU work. With a `scheduler`, step() sets `lr` from it.
 */
export type ParamGroup<O = Record<string, unknown>> = O & {
  readonly params: readonly NamedParam[];
  lr: number;
  scheduler: ((step: number) => number) | null;
};

/** Options every optimizer takes. */
export interface OptimizerOptions {
  /** Learning rate (constant unless `scheduler` is given). */
  lr?: number;
  /** Learning-rate schedule: called before each step with the 0-based step index; returns the lr. */
  scheduler?: (step: number) => number;
}

/** The options every optimizer takes; each adds its own (see SGD, Adam) and declares lr's default. */
export const OPTIMIZER_OPTIONS = {
  /** Learning-rate schedule: called before each step with the 0-based step index; returns the lr. */
  scheduler: option.function<(step: number) => number>(),
};
/** A learning rate option with torch's default for that optimizer. */
export const lrOption = (defaultLr: number) => option.number({ min: 0, default: defaultLr });

/** A spec with no defaults: a group's options fall back to the constructor's, not to the spec's. */
function withoutDefaults(spec: OptionsSpec): OptionsSpec {
  return Object.fromEntries(Object.entries(spec).map(([k, o]) => [k, { ...o, default: undefined, hasDefault: false }]));
}

const isGroupList = (source: unknown): source is readonly Record<string, unknown>[] =>
  Array.isArray(source) && source.length > 0 && source.every((g) => isPlainObject(g) && 'params' in g);

/**
 * The base class of optimizers: parameter groups (each with its own options, PyTorch's
 * param_groups), learning rates and schedules, per-parameter state, step(), dispose().
 */
export abstract class Optimizer<O extends Record<string, unknown> = Record<string, unknown>> {
  /** Every parameter, in group order. */
  readonly params: readonly NamedParam[];
  /** The parameter groups (one unless the constructor was given a list of groups). */
  readonly paramGroups: ParamGroup<O>[];
  /** The constructor's options with defaults filled in (PyTorch's optimizer.defaults). */
  readonly defaults: O;
  /** Completed step() calls. */
  stepCount = 0;
  private readonly states = new Map<Tensor, Record<string, Tensor>>();
  private readonly steps = new Map<Tensor, number>();
  private readonly spec: OptionsSpec;

  /**
   * `source`: the parameters, or a list of groups `{ params, ...options }`; `opts`: the
   * options (defaults of every group), validated against `spec` (which declares lr's default).
   */
  protected constructor(readonly name: string, source: ParamSource | readonly ParamGroupInput<Record<string, unknown>>[], spec: OptionsSpec, opts: unknown) {
    this.spec = spec;
    const defaults = parseOptions(name, opts, spec) as Record<string, unknown>;
    this.defaults = defaults as O;
    const groupSpec = { params: option.custom<ParamSource>('parameters (a model, tensors or [name, tensor] pairs)', (v) => v !== null && typeof v === 'object'), ...withoutDefaults(spec) };
    const given: readonly Record<string, unknown>[] = isGroupList(source) ? source : [{ params: source }];
    const seen = new Set<Tensor>();
    this.paramGroups = given.map((g, i) => {
      const where = given.length > 1 || isGroupList(source) ? `paramGroups[${i}]` : '';
      const o = parseOptions(where ? `${name} ${where}` : name, g, groupSpec) as Record<string, unknown>;
      const params = namedParams(name, o.params as ParamSource, seen, where);
      const group: Record<string, unknown> = { params };
      for (const k of Object.keys(spec)) group[k] = o[k] !== undefined ? o[k] : defaults[k];
      group.scheduler ??= null;
      return group as ParamGroup<O>;
    });
    this.params = this.paramGroups.flatMap((g) => g.params);
    if (this.params.length === 0) throw new ValueError(name, 'got an empty parameter list (pass model.parameters(), a model, or an array of tensors)');
    this.paramGroups.forEach((g, i) => this.checkGroup(g, i));
  }

  /** The learning rate of the first group as of the last step (or the initial one before any step). */
  get lr(): number {
    return this.paramGroups[0].lr;
  }

  /** The first group's schedule (null: constant lr). */
  get scheduler(): ((step: number) => number) | null {
    return this.paramGroups[0].scheduler;
  }

  set scheduler(fn: ((step: number) => number) | null) {
    for (const g of this.paramGroups) g.scheduler = fn;
  }

  /** Set a constant learning rate for every group from now on (clears any scheduler). */
  setLr(lr: number): void {
    const v = checkLr(this.name, lr);
    for (const g of this.paramGroups) {
      g.lr = v;
      g.scheduler = null;
    }
  }

  /**
   * Validate a group's options (they are plain mutable fields): the spec's types and ranges,
   * then the optimizer's own rules (checkOptions). Throws naming the group.
   */
  private checkGroup(g: ParamGroup<O>, i: number): void {
    const where = this.paramGroups.length > 1 ? `${this.name} paramGroups[${i}]` : this.name;
    const values = Object.fromEntries(Object.keys(this.spec).map((k) => [k, (g as Record<string, unknown>)[k] ?? undefined]));
    parseOptions(where, values, this.spec);
    this.checkOptions(where, g);
  }

  /** An optimizer's own rules on a group's options beyond their types (e.g. SGD's nesterov). */
  protected checkOptions(_where: string, _group: ParamGroup<O>): void {}

  /**
   * Update every parameter that has a gradient (parameters without one are skipped). All
   * groups' options and all gradients are checked first: if any is invalid this throws, naming
   * the group or parameter, and no parameter or state has been changed. No readback: the
   * updates are recorded GPU work.
   */
  step(): void {
    this.paramGroups.forEach((g, i) => this.checkGroup(g, i));
    const lrs = this.paramGroups.map((g) => this.nextLr(g));
    const work: { p: NamedParam; grad: Tensor; group: ParamGroup<O> }[] = [];
    for (const group of this.paramGroups) {
      for (const p of group.params) {
        const grad = checkedGrad(`${this.name}.step`, p);
        if (grad) work.push({ p, grad, group });
      }
    }
    this.paramGroups.forEach((g, i) => (g.lr = lrs[i]));
    for (const { p, grad, group } of work) {
      const t = (this.steps.get(p.tensor) ?? 0) + 1;
      this.steps.set(p.tensor, t);
      this.update(p, grad, group, t);
    }
    this.stepCount++;
    // Inside capture(): a replay runs no JS, so redo this bookkeeping (schedules, step counts)
    // at the start of each replay; the update kernels re-read lr and t through liveOf().
    const rt = this.params[0]?.tensor.runtime;
    if (rt?.capturing) {
      rt.addReplayHook(() => {
        const next = this.paramGroups.map((g) => this.nextLr(g));
        for (const { p } of work) this.steps.set(p.tensor, (this.steps.get(p.tensor) ?? 0) + 1);
        this.paramGroups.forEach((g, i) => (g.lr = next[i]));
        this.stepCount++;
      });
    }
  }

  /** The lr a group's next step uses: its scheduler's value, or its lr field. */
  private nextLr(g: ParamGroup<O>): number {
    if (g.scheduler) return checkLr(`${this.name} scheduler(${this.stepCount})`, g.scheduler(this.stepCount));
    return checkLr(this.name, g.lr);
  }

  /** The learning rate and step count of a parameter as of the latest step (for captured replays). */
  protected liveOf(p: NamedParam, group: ParamGroup<O>): () => { lr: number; t: number } {
    return () => ({ lr: group.lr, t: this.steps.get(p.tensor) ?? 1 });
  }

  /** Clear (dispose) the gradients of all parameters. */
  zeroGrad(): void {
    for (const p of this.params) p.tensor.zeroGrad();
  }

  /** Release the optimizer's state tensors. */
  dispose(): void {
    for (const s of this.states.values()) for (const t of Object.values(s)) t.dispose();
    this.states.clear();
    this.steps.clear();
  }

  /** The state tensors of a parameter if it has stepped (undefined before its first step). */
  protected stateOf(p: NamedParam): Readonly<Record<string, Tensor>> | undefined {
    return this.states.get(p.tensor);
  }

  /** The state tensors of a parameter (created as zeros on first use). */
  protected state(p: NamedParam, names: readonly string[]): Record<string, Tensor> {
    let s = this.states.get(p.tensor);
    if (!s) {
      s = {};
      for (const n of names) s[n] = keep(zeros(p.tensor.shape, { label: `${this.name}.${n}(${p.name})` }));
      this.states.set(p.tensor, s);
    }
    return s;
  }

  /** Record the fused update of one parameter (validated; `t` is its 1-based step count; `group.lr` is this step's lr). */
  protected abstract update(p: NamedParam, grad: Tensor, group: ParamGroup<O>, t: number): void;
}

/**
 * The gradient of a parameter, checked (null when it has none): a live f32 tensor of the
 * parameter's shape on its device, else a typed error naming the parameter.
 */
export function checkedGrad(op: string, p: NamedParam): Tensor | null {
  if (p.tensor.disposed) throw new DisposedTensorError(op, `parameter '${p.name}'`);
  const g = p.tensor.grad;
  if (!g) return null;
  if (g.disposed) throw new DisposedTensorError(op, `gradient of parameter '${p.name}'`);
  if (g.dtype !== 'f32') throw new DTypeError(op, `gradient of parameter '${p.name}' must be f32, got ${g.dtype}`);
  if (!sameShape(g.shape, p.tensor.shape)) {
    throw new ShapeError(op, [g.shape, p.tensor.shape], `gradient of parameter '${p.name}' has shape ${fmtShape(g.shape)} but the parameter is ${fmtShape(p.tensor.shape)}`);
  }
  if (g.runtime !== p.tensor.runtime) throw new ValueError(op, `gradient of parameter '${p.name}' lives on another device`);
  return g;
}

/** [name, tensor] pairs from any ParamSource (a model, tensors, pairs), each f32 and listed once. */
export function namedParams(op: string, source: ParamSource, seen = new Set<Tensor>(), where = ''): NamedParam[] {
  const prefix = where ? `${where}.` : '';
  let pairs: (readonly [string, Tensor])[];
  const iterable = source !== null && typeof source === 'object' && typeof (source as Iterable<unknown>)[Symbol.iterator] === 'function';
  if (iterable && !(source instanceof Tensor)) {
    pairs = [...(source as Iterable<Tensor | readonly [string, Tensor]>)].map((x, i) =>
      x instanceof Tensor ? ([x.label && x.label !== 'tensor' ? x.label : `${prefix}params[${i}]`, x] as const) : x,
    );
    pairs.forEach((x, i) => {
      if (!Array.isArray(x) || x.length !== 2) throw new ArgumentTypeError(op, `${prefix}params[${i}] must be a Tensor or a [name, tensor] pair, got ${describeValue(x)}`);
    });
  } else if (typeof (source as { namedParameters?: unknown } | null)?.namedParameters === 'function') {
    pairs = (source as { namedParameters(): [string, Tensor][] }).namedParameters();
  } else {
    throw new ArgumentTypeError(op, `expected model.parameters(), a model (nn.Module), an array of tensors or [name, tensor] pairs, got ${describeValue(source)}`);
  }
  return pairs.map(([name, tensor]) => {
    if (!(tensor instanceof Tensor)) throw new ValueError(op, `parameter '${name}' is not a Tensor`);
    if (tensor.dtype !== 'f32') throw new DTypeError(op, `parameter '${name}' must be f32, got ${tensor.dtype}`);
    if (seen.has(tensor)) throw new ValueError(op, `parameter '${name}' is listed twice${where ? ' (a parameter belongs to one group)' : ''}`);
    seen.add(tensor);
    return { name, tensor };
  });
}

function checkLr(op: string, lr: number): number {
  if (typeof lr !== 'number' || !Number.isFinite(lr) || lr < 0) throw new ValueError(op, `learning rate must be a finite number >= 0, got ${String(lr)}`);
  return lr;
}

export function checkRange(op: string, name: string, v: number, lo: number, hi: number, hiOpen = false): number {
  if (typeof v !== 'number' || !(v >= lo && (hiOpen ? v < hi : v <= hi))) {
    throw new ValueError(op, `${name} must be in [${lo}, ${hi}${hiOpen ? ')' : ']'}, got ${String(v)}`);
  }
  return v;
}

/**
 * nanoGPT's split of parameters into two AdamW groups: tensors of rank >= 2 (matmul weights,
 * embeddings) decay with `weightDecay`, the rest (biases, LayerNorm / RMSNorm weights) do not.
 * Names are kept (pass a model to get its state-dict names in errors and state labels).
 *
 * ```ts
 * const opt = new AdamW(weightDecayGroups(model, 0.1), { lr: 6e-4, betas: [0.9, 0.95] });
 * ```
 */
export function weightDecayGroups(params: ParamSource, weightDecay: number): [
  { params: [string, Tensor][]; weightDecay: number },
  { params: [string, Tensor][]; weightDecay: number },
] {
  const op = 'weightDecayGroups';
  if (typeof weightDecay !== 'number' || !(weightDecay >= 0) || !Number.isFinite(weightDecay)) {
    throw new ValueError(op, `weightDecay must be a finite number >= 0, got ${describeValue(weightDecay)}`);
  }
  const named = namedParams(op, params);
  const pair = (p: NamedParam): [string, Tensor] => [p.name, p.tensor];
  return [
    { params: named.filter((p) => p.tensor.rank >= 2).map(pair), weightDecay },
    { params: named.filter((p) => p.tensor.rank < 2).map(pair), weightDecay: 0 },
  ];
}
