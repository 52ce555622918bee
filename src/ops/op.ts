// The op contract. An op's forward and backward live side by side in one file and are
// registered in the typed table in ./registry.ts; `backward` is a required member, so an op
// without one does not compile.
import { isGradEnabled, noGrad } from '../context.ts';
import { GraphNode, forEachTensor, mapTensors } from '../autograd/graph.ts';
import { DTypeError, DisposedTensorError, ValueError } from '../errors.ts';
import { Tensor } from '../tensor.ts';

export interface InputInfo {
  readonly shape: readonly number[];
  readonly dtype: Tensor['dtype'];
}

export interface ForwardResult<S> {
  out: Tensor;
  /**
   * What backward needs. Tensors here are kept alive (as internal handles) until backward
   * has run; tensors the op created itself for this purpose are released when not recording.
   */
  saved: S;
}

export interface BackwardArgs<A> {
  attrs: A;
  inputs: readonly InputInfo[];
  /** needsGrad[i]: whether input i wants a gradient (return null for the others). */
  needsGrad: readonly boolean[];
  outShape: readonly number[];
}

/** A differentiable op: its name, forward and backward (both required). */
export interface OpDef<A, S> {
  readonly name: string;
  /** Number of tensor inputs. */
  readonly arity: number;
  /** Inputs that may be i32 (labels); all others must be f32. */
  readonly intInputs?: readonly number[];
  forward(inputs: readonly Tensor[], attrs: A): ForwardResult<S>;
  /** Gradients for each input given the output gradient; runs with recording off. */
  backward(grad: Tensor, saved: S, args: BackwardArgs<A>): (Tensor | null)[];
}

/** Declare a differentiable op (forward and backward kernels); use it with `apply()`. */
export function defineOp<A = undefined, S = undefined>(def: OpDef<A, S>): OpDef<A, S> {
  return def;
}

/** Run an op: validate inputs, compute forward and, when any input requires grad, record it. */
export function apply<A, S>(op: OpDef<A, S>, inputs: readonly Tensor[], attrs: A): Tensor {
  if (inputs.length !== op.arity) {
    throw new ValueError(op.name, `expected ${op.arity} tensor input(s), got ${inputs.length}`);
  }
  const rt = inputs[0]?.disposed === false ? inputs[0].runtime : null;
  inputs.forEach((t, i) => {
    if (!(t instanceof Tensor)) throw new ValueError(op.name, `input ${i} is not a Tensor (got ${typeof t})`);
    if (t.disposed) throw new DisposedTensorError(op.name, `input ${i}: ${t.describe()}`);
    if (rt && t.runtime !== rt) {
      throw new ValueError(op.name, `input ${i} lives on another device (created before the last init()); move it with toDevice()`);
    }
    if (t.dtype !== 'f32' && !op.intInputs?.includes(i)) {
      throw new DTypeError(op.name, `input ${i} must be f32, got ${t.dtype} tensor of shape [${t.shape.join(', ')}]`);
    }
  });
  rt?.assertAlive(op.name);
  const needsGrad = inputs.map((t) => t.requiresGrad && t.dtype === 'f32');
  const record = isGradEnabled() && needsGrad.some(Boolean);
  const { out, saved } = noGrad(() => op.forward(inputs, attrs));
  if (rt?.numerics && out.dtype === 'f32') {
    rt.numerics.check(out.buffer(op.name), out.size, `'${op.name}' (forward, output [${out.shape.join(', ')}])`);
  }
  const owned = (t: Tensor) => t !== out && !inputs.includes(t);
  if (!record) {
    forEachTensor(saved, (t) => owned(t) && t.dispose());
    return out;
  }
  // Saved tensors become internal handles: the user may dispose the originals freely.
  const handles = mapTensors(saved, (t) => {
    const h = t.share(t.shape, { internal: true });
    if (owned(t)) t.dispose();
    return h;
  });
  out.requiresGrad = true;
  out.gradFn = new GraphNode(op, inputs, needsGrad, attrs, handles, out);
  return out;
}
