// Module: a tree of named parameters and child modules (PyTorch's nn.Module, minus hooks).
// Parameters are GPU tensors with requiresGrad, exempt from tidy() scopes (keep()), named
// "child.param" like torch's state_dict keys so checkpoints line up with PyTorch models.
import { noGrad, runtime } from '../context.ts';
import { ArgumentTypeError, DTypeError, ShapeError, ValueError, fmtShape } from '../errors.ts';
import { keep, tidy } from '../memory.ts';
import { describeValue, isPlainObject, option, parseOptions } from '../options.ts';
import { transpose } from '../ops/shape.ts';
import { sameShape, type NestedArray } from '../shape.ts';
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

/** What loadStateDict accepts per key: a tensor or nested array in PyTorch's shape, or flat data for a 1-D parameter. */
export type StateValue = Tensor | Float32Array | Int32Array | readonly number[] | NestedArray;

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
   * Copy values into the parameters and buffers in place (the Tensor objects stay the same, so
   * optimizers keep working), as torch's load_state_dict. Values are in PyTorch's shapes: a
   * Linear weight is [out, in] (transposed into webgrad's [in, out] here). Each is a Tensor
   * (a webgrad Linear weight from another model's stateDict() is taken as is), a nested array,
   * or, for 1-D parameters only, flat data; flat data for a parameter of rank >= 2 is refused
   * because its layout is ambiguous. Every key and shape is checked before anything is copied;
   * with `strict` (default) missing and unexpected keys are errors too.
   */
  loadStateDict(state: Readonly<Record<string, StateValue>>, opts: { strict?: boolean } = {}): void {
    const { strict } = parseOptions('loadStateDict', opts, { strict: option.boolean({ default: true }) });
    if (!isPlainObject(state)) throw new ArgumentTypeError('loadStateDict', `expected an object of name -> value, got ${describeValue(state)}`);
    const specs = this.checkedSpecs('loadStateDict', Object.keys(state), strict);
    tidy(() => {
      const plan = specs.map(([name, spec]): [Tensor, Tensor] => [spec.tensor, torchValue(name, spec, state[name])]);
      copyPlan('loadStateDict', plan);
    });
  }

  /**
   * Internal (loadSafetensors): host data already in webgrad's layout and shape-checked by the
   * caller; the key checks are loadStateDict's.
   */
  loadHostState(op: string, state: Readonly<Record<string, Float32Array | Int32Array>>, strict: boolean): void {
    const specs = this.checkedSpecs(op, Object.keys(state), strict);
    tidy(() => copyPlan(op, specs.map(([name, s]): [Tensor, Tensor] => [s.tensor, tensor(state[name], { shape: s.tensor.shape, dtype: s.tensor.dtype })])));
  }

  /** The specs named in `keys`, after the strict missing / unexpected key check. */
  private checkedSpecs(op: string, keys: string[], strict: boolean): [string, ParamSpec][] {
    const specs = new Map(this.stateSpecs());
    const unexpected = keys.filter((k) => !specs.has(k));
    const missing = [...specs.keys()].filter((k) => !keys.includes(k));
    if (strict && (unexpected.length || missing.length)) {
      throw new ValueError(
        op,
        [missing.length ? `missing keys: ${missing.join(', ')}` : '', unexpected.length ? `unexpected keys: ${unexpected.join(', ')}` : '']
          .filter(Boolean)
          .join('; '),
      );
    }
    return [...specs].filter(([k]) => keys.includes(k));
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

/**
 * A state-dict value as a tensor in the parameter's (webgrad) layout, checked against
 * PyTorch's shape. Created tensors are disposed by the caller's tidy().
 */
function torchValue(name: string, spec: ParamSpec, v: StateValue | undefined): Tensor {
  const op = 'loadStateDict';
  const p = spec.tensor;
  const transposed = spec.torchTransposed && p.rank === 2;
  const torchShape = transposed ? [p.shape[1], p.shape[0]] : [...p.shape];
  // A webgrad parameter (e.g. another model's stateDict()) is already in this layout.
  if (v instanceof Tensor && transposed && isTorchTransposed(v)) {
    if (!sameShape(v.shape, p.shape)) throw new ShapeError(op, [v.shape, p.shape], `'${name}' has shape ${fmtShape(v.shape)} but the parameter is ${fmtShape(p.shape)}`);
    return v;
  }
  let t: Tensor;
  if (v instanceof Tensor) {
    t = v;
  } else if (Array.isArray(v) && v.some(Array.isArray)) {
    t = tensor(v as NestedArray, { dtype: p.dtype });
  } else if (ArrayBuffer.isView(v) || Array.isArray(v)) {
    const n = (v as ArrayLike<number>).length;
    if (p.rank >= 2) {
      throw new ShapeError(
        op,
        [[n], torchShape],
        `'${name}' is flat data (${n} values) for a parameter of rank ${p.rank}: its layout is ambiguous; pass a Tensor or a nested array in PyTorch's shape ${fmtShape(torchShape)}`,
      );
    }
    if (n !== p.size) throw new ShapeError(op, [[n], p.shape], `'${name}' has ${n} values but the parameter ${fmtShape(p.shape)} has ${p.size}`);
    t = tensor(p.dtype === 'i32' ? Int32Array.from(v as ArrayLike<number>) : Float32Array.from(v as ArrayLike<number>), { shape: p.shape, dtype: p.dtype });
  } else {
    throw new ArgumentTypeError(op, `'${name}' must be a Tensor, a nested array or (1-D only) flat data, got ${describeValue(v)}`);
  }
  if (!sameShape(t.shape, torchShape)) {
    const hint = transposed && sameShape(t.shape, p.shape) ? " (that is webgrad's [in, out]; a state dict holds PyTorch's [out, in])" : '';
    throw new ShapeError(op, [t.shape, torchShape], `'${name}' has shape ${fmtShape(t.shape)} but PyTorch's shape of the parameter is ${fmtShape(torchShape)}${hint}`);
  }
  if (t.dtype !== p.dtype) throw new DTypeError(op, `'${name}' must be ${p.dtype}, got ${t.dtype}`);
  return transposed ? noGrad(() => transpose(t)) : t;
}

/** Copy each source tensor's data into its parameter (same dtype and size, checked before). */
function copyPlan(op: string, plan: [Tensor, Tensor][]): void {
  const rt = runtime();
  for (const [p, src] of plan) rt.copy(src.buffer(op), 0, p.buffer(op), 0, p.size * 4);
}

function checkName(name: string, ...taken: Map<string, unknown>[]): void {
  if (!name || name.includes('.')) throw new ValueError('Module', `invalid name '${name}' (non-empty, no dots)`);
  if (taken.some((m) => m.has(name))) throw new ValueError('Module', `'${name}' is already registered`);
}
