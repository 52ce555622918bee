// Module: a tree of named parameters and child modules (PyTorch's nn.Module, minus hooks).
// Parameters are GPU tensors with requiresGrad, exempt from tidy() scopes (keep()), named
// "child.param" like torch's state_dict keys so checkpoints line up with PyTorch models.
import { runtime } from '../context.ts';
import { ShapeError, ValueError, fmtShape } from '../errors.ts';
import { keep, tidy } from '../memory.ts';
import { sameShape } from '../shape.ts';
import { Tensor, tensor } from '../tensor.ts';

/** How a registered parameter is laid out relative to PyTorch's (for state dicts and safetensors). */
export interface ParamSpec {
  readonly tensor: Tensor;
  /**
   * True when PyTorch stores this parameter transposed: Linear weights are [in, out] here (the
   * layout the fused linear kernel reads, seed 003's Affine W) and [out, in] in torch.nn.Linear.
   * Safetensors export in torch layout transposes these.
   */
  readonly torchTransposed: boolean;
}

// Parameters stored as the transpose of torch's layout (Linear weights), so nn.init can compute
// torch's fans from a bare tensor.
const transposed = new WeakSet<Tensor>();

/** Whether `t` is a parameter stored transposed relative to PyTorch (a Linear weight [in, out]). */
export function isTorchTransposed(t: Tensor): boolean {
  return transposed.has(t);
}

/** What loadStateDict accepts per key: a tensor, or host data with the parameter's element count. */
export type StateValue = Tensor | Float32Array | Int32Array | readonly number[];

/** The base class of layers and models: parameters, buffers, children, train/eval, state dicts, dispose(). */
export abstract class Module {
  /** train() / eval() mode: BatchNorm and Dropout behave differently (see train() / eval()). */
  training = true;
  private readonly ownParams = new Map<string, ParamSpec>();
  /** Buffers: state that is saved and loaded but not trained (BatchNorm's running statistics). */
  private readonly ownBuffers = new Map<string, Tensor>();
  private readonly children = new Map<string, Module>();

  abstract forward(x: Tensor): Tensor;

  /** Register a parameter: it gets requiresGrad and survives tidy() scopes until dispose(). */
  protected registerParameter(name: string, t: Tensor, opts: { torchTransposed?: boolean } = {}): Tensor {
    checkName(name, this.ownParams, this.children, this.ownBuffers);
    t.requiresGrad = true;
    t.label = name;
    keep(t);
    this.ownParams.set(name, { tensor: t, torchTransposed: opts.torchTransposed ?? false });
    if (opts.torchTransposed) transposed.add(t);
    return t;
  }

  /** Register a buffer (torch's register_buffer): in the state dict, never trained, survives tidy(). */
  protected registerBuffer(name: string, t: Tensor): Tensor {
    checkName(name, this.ownParams, this.children, this.ownBuffers);
    t.label = name;
    keep(t);
    this.ownBuffers.set(name, t);
    return t;
  }

  protected registerModule<M extends Module>(name: string, m: M): M {
    checkName(name, this.ownParams, this.children, this.ownBuffers);
    if (!(m instanceof Module)) throw new ValueError('Module', `child '${name}' is not a Module`);
    this.children.set(name, m);
    for (const [n, spec] of m.parameterSpecs()) spec.tensor.label = `${name}.${n}`;
    return m;
  }

  /** Parameters with their torch-style dotted names, in registration order (depth first). */
  parameterSpecs(): [string, ParamSpec][] {
    const out: [string, ParamSpec][] = [...this.ownParams];
    for (const [c, m] of this.children) for (const [n, s] of m.parameterSpecs()) out.push([`${c}.${n}`, s]);
    return out;
  }

  /** Buffers with their dotted names, depth first. */
  namedBuffers(): [string, Tensor][] {
    const out: [string, Tensor][] = [...this.ownBuffers];
    for (const [c, m] of this.children) for (const [n, b] of m.namedBuffers()) out.push([`${c}.${n}`, b]);
    return out;
  }

  /** Everything in the state dict in torch's order (per module: parameters, buffers, then children). */
  stateSpecs(): [string, ParamSpec][] {
    const out: [string, ParamSpec][] = [...this.ownParams, ...[...this.ownBuffers].map(([n, t]): [string, ParamSpec] => [n, { tensor: t, torchTransposed: false }])];
    for (const [c, m] of this.children) for (const [n, s] of m.stateSpecs()) out.push([`${c}.${n}`, s]);
    return out;
  }

  namedParameters(): [string, Tensor][] {
    return this.parameterSpecs().map(([n, s]) => [n, s.tensor]);
  }

  parameters(): Tensor[] {
    return this.parameterSpecs().map(([, s]) => s.tensor);
  }

  namedChildren(): [string, Module][] {
    return [...this.children];
  }

  /** Total number of scalar parameters. */
  numParameters(): number {
    return this.parameters().reduce((n, p) => n + p.size, 0);
  }

  /** Dispose every parameter's gradient. */
  zeroGrad(): void {
    for (const p of this.parameters()) p.zeroGrad();
  }

  train(mode = true): this {
    this.training = mode;
    for (const m of this.children.values()) m.train(mode);
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Parameters and buffers by name (the live tensors, webgrad layout: Linear weights are [in, out]). */
  stateDict(): Record<string, Tensor> {
    return Object.fromEntries(this.stateSpecs().map(([n, s]) => [n, s.tensor]));
  }

  /**
   * Copy values into the parameters in place (the Tensor objects stay the same, so optimizers
   * keep working). Every key and shape is checked before anything is copied; with `strict`
   * (default) missing and unexpected keys are errors too.
   */
  loadStateDict(state: Readonly<Record<string, StateValue>>, opts: { strict?: boolean } = {}): void {
    const strict = opts.strict ?? true;
    const specs = new Map(this.stateSpecs());
    const unexpected = Object.keys(state).filter((k) => !specs.has(k));
    const missing = [...specs.keys()].filter((k) => !(k in state));
    if (strict && (unexpected.length || missing.length)) {
      throw new ValueError(
        'loadStateDict',
        [missing.length ? `missing keys: ${missing.join(', ')}` : '', unexpected.length ? `unexpected keys: ${unexpected.join(', ')}` : '']
          .filter(Boolean)
          .join('; '),
      );
    }
    const plan: [Tensor, StateValue][] = [];
    for (const [name, spec] of specs) {
      const v = state[name];
      if (v === undefined) continue;
      const p = spec.tensor;
      if (v instanceof Tensor) {
        if (!sameShape(v.shape, p.shape)) {
          throw new ShapeError('loadStateDict', [v.shape, p.shape], `'${name}' has shape ${fmtShape(v.shape)} but the parameter is ${fmtShape(p.shape)}`);
        }
        if (v.dtype !== p.dtype) throw new ValueError('loadStateDict', `'${name}' must be ${p.dtype}, got ${v.dtype}`);
      } else if (v.length !== p.size) {
        throw new ShapeError('loadStateDict', [[v.length], p.shape], `'${name}' has ${v.length} values but the parameter ${fmtShape(p.shape)} has ${p.size}`);
      }
      plan.push([p, v]);
    }
    const rt = runtime();
    tidy(() => {
      for (const [p, v] of plan) {
        const src = v instanceof Tensor ? v : tensor(p.dtype === 'i32' ? Int32Array.from(v) : Float32Array.from(v), { shape: p.shape, dtype: p.dtype });
        rt.copy(src.buffer('loadStateDict'), 0, p.buffer('loadStateDict'), 0, p.size * 4);
      }
    });
  }

  /** Release every parameter (and its gradient) and buffer. */
  dispose(): void {
    for (const p of this.parameters()) {
      p.zeroGrad();
      p.dispose();
    }
    for (const [, b] of this.namedBuffers()) b.dispose();
  }

  /** A one-line-per-module summary, like torch's repr. */
  toString(): string {
    return this.describe('');
  }

  protected describe(indent: string): string {
    const kids = [...this.children];
    if (!kids.length) return this.constructor.name + this.extraRepr();
    const inner = kids.map(([n, m]) => `${indent}  (${n}): ${m.describe(indent + '  ')}`).join('\n');
    return `${this.constructor.name}(\n${inner}\n${indent})`;
  }

  protected extraRepr(): string {
    return '()';
  }
}

function checkName(name: string, ...taken: Map<string, unknown>[]): void {
  if (!name || name.includes('.')) throw new ValueError('Module', `invalid name '${name}' (non-empty, no dots)`);
  if (taken.some((m) => m.has(name))) throw new ValueError('Module', `'${name}' is already registered`);
}
