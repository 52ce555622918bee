// The optimizer contract: parameters (named, so errors can say which one), a learning rate with
// an optional schedule, and step(), which validates every parameter's gradient BEFORE touching
// the GPU and then records one fused in-place update kernel per parameter (shaders/optim.wgsl).
// State (momentum, Adam's m and v) lives in GPU tensors owned by the optimizer.
import { ArgumentTypeError, DTypeError, DisposedTensorError, ShapeError, ValueError, fmtShape } from '../errors.ts';
import { describeValue, option } from '../options.ts';
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

/** A parameter with the name its state is stored under. */
export interface NamedParam {
  readonly name: string;
  readonly tensor: Tensor;
}

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

/** The base class of optimizers: parameters, learning rate and schedule, per-parameter state, step(), dispose(). */
export abstract class Optimizer {
  readonly params: readonly NamedParam[];
  /** Completed step() calls. */
  stepCount = 0;
  scheduler: ((step: number) => number) | null;
  private lrValue: number;
  private readonly states = new Map<Tensor, Record<string, Tensor>>();
  private readonly steps = new Map<Tensor, number>();

  protected constructor(
    readonly name: string,
    source: ParamSource,
    opts: { lr: number; scheduler?: ((step: number) => number) | undefined },
  ) {
    this.params = namedParams(name, source);
    if (this.params.length === 0) throw new ValueError(name, 'got an empty parameter list (pass model.parameters(), a model, or an array of tensors)');
    this.lrValue = checkLr(name, opts.lr);
    this.scheduler = opts.scheduler ?? null;
  }

  /** The learning rate of the last step (or the initial one before any step). */
  get lr(): number {
    return this.lrValue;
  }

  /** Set a constant learning rate from now on (clears any scheduler). */
  setLr(lr: number): void {
    this.lrValue = checkLr(this.name, lr);
    this.scheduler = null;
  }

  /**
   * Update every parameter that has a gradient (parameters without one are skipped). All
   * gradients are checked first: if any is invalid this throws, naming the parameter, and no
   * parameter or state has been changed. No readback: the updates are recorded GPU work.
   */
  step(): void {
    const lr = this.scheduler ? checkLr(`${this.name} scheduler(${this.stepCount})`, this.scheduler(this.stepCount)) : this.lrValue;
    const work: { p: NamedParam; grad: Tensor }[] = [];
    for (const p of this.params) {
      const g = checkedGrad(`${this.name}.step`, p);
      if (!g) continue;
      work.push({ p, grad: g });
    }
    for (const { p, grad } of work) {
      const t = (this.steps.get(p.tensor) ?? 0) + 1;
      this.steps.set(p.tensor, t);
      this.update(p, grad, lr, t);
    }
    this.lrValue = lr;
    this.stepCount++;
    // Inside capture(): a replay runs no JS, so redo this bookkeeping (schedule, step counts) at
    // the start of each replay; the update kernels re-read it through liveOf().
    const rt = this.params[0]?.tensor.runtime;
    if (rt?.capturing) {
      rt.addReplayHook(() => {
        const next = this.scheduler ? checkLr(`${this.name} scheduler(${this.stepCount})`, this.scheduler(this.stepCount)) : this.lrValue;
        for (const { p } of work) this.steps.set(p.tensor, (this.steps.get(p.tensor) ?? 0) + 1);
        this.lrValue = next;
        this.stepCount++;
      });
    }
  }

  /** The learning rate and step count of a parameter as of the latest step (for captured replays). */
  protected liveOf(p: NamedParam): () => { lr: number; t: number } {
    return () => ({ lr: this.lrValue, t: this.steps.get(p.tensor) ?? 1 });
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

  /** Record the fused update of one parameter (validated; `t` is its 1-based step count). */
  protected abstract update(p: NamedParam, grad: Tensor, lr: number, t: number): void;
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
export function namedParams(op: string, source: ParamSource): NamedParam[] {
  let pairs: (readonly [string, Tensor])[];
  const iterable = source !== null && typeof source === 'object' && typeof (source as Iterable<unknown>)[Symbol.iterator] === 'function';
  if (iterable && !(source instanceof Tensor)) {
    pairs = [...(source as Iterable<Tensor | readonly [string, Tensor]>)].map((x, i) =>
      x instanceof Tensor ? ([x.label && x.label !== 'tensor' ? x.label : `params[${i}]`, x] as const) : x,
    );
    pairs.forEach((x, i) => {
      if (!Array.isArray(x) || x.length !== 2) throw new ArgumentTypeError(op, `params[${i}] must be a Tensor or a [name, tensor] pair, got ${describeValue(x)}`);
    });
  } else if (typeof (source as { namedParameters?: unknown } | null)?.namedParameters === 'function') {
    pairs = (source as { namedParameters(): [string, Tensor][] }).namedParameters();
  } else {
    throw new ArgumentTypeError(op, `expected model.parameters(), a model (nn.Module), an array of tensors or [name, tensor] pairs, got ${describeValue(source)}`);
  }
  const seen = new Set<Tensor>();
  return pairs.map(([name, tensor]) => {
    if (!(tensor instanceof Tensor)) throw new ValueError(op, `parameter '${name}' is not a Tensor`);
    if (tensor.dtype !== 'f32') throw new DTypeError(op, `parameter '${name}' must be f32, got ${tensor.dtype}`);
    if (seen.has(tensor)) throw new ValueError(op, `parameter '${name}' is listed twice`);
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
