// Reverse-mode sweep: order the recorded nodes topologically from the root, walk them in
// reverse, call each op's backward (GPU kernels), check every gradient's shape, and sum the
// gradients of tensors used more than once.
import { noGrad } from '../context.ts';
import { ArgumentTypeError, AutogradError, DisposedTensorError, ShapeError, fmtShape } from '../errors.ts';
import { describeValue, option, parseOptions } from '../options.ts';
import { keep } from '../memory.ts';
import { sameShape } from '../shape.ts';
import { full, type Tensor } from '../tensor.ts';
import type { GraphNode } from './graph.ts';
import { accumulate } from './accumulate.ts';

/** Options of `backward(root, gradOutput, opts)`. */
export interface BackwardOptions {
  /** Keep saved tensors so backward can run again on the same graph. */
  retainGraph?: boolean;
}

/** Backpropagate from `root` (a scalar, or with `gradOutput`), accumulating `.grad` on tensors that require grad. */
export function backward(root: Tensor, gradOutput?: Tensor, opts: BackwardOptions = {}): void {
  parseOptions('backward', opts, { retainGraph: option.boolean() } satisfies Record<keyof BackwardOptions, unknown>);
  if (gradOutput != null && !(gradOutput as Tensor).__isTensor) {
    throw new ArgumentTypeError('backward', `the output gradient must be a Tensor, got ${describeValue(gradOutput)} (options go third: backward(grad, { retainGraph }))`);
  }
  if (root.disposed) throw new DisposedTensorError('backward', `the output ${root.describe()}`);
  if (gradOutput?.disposed) throw new DisposedTensorError('backward', `the output gradient ${gradOutput.describe()}`);
  if (!root.requiresGrad) {
    throw new AutogradError(`backward: ${root.describe()} does not require grad (no input of the graph had requiresGrad: true, or it was computed under noGrad)`);
  }
  if (gradOutput === undefined && root.size !== 1) {
    throw new AutogradError(
      `backward: the output has shape ${fmtShape(root.shape)}; implicit gradients exist only for scalars. Pass a gradient of shape ${fmtShape(root.shape)}: y.backward(dY)`,
    );
  }
  if (gradOutput && !sameShape(gradOutput.shape, root.shape)) {
    throw new ShapeError('backward', [gradOutput.shape, root.shape], 'the gradient must have the shape of the output');
  }
  noGrad(() => run(root, gradOutput, opts));
}

function topoOrder(root: GraphNode): GraphNode[] {
  const order: GraphNode[] = [];
  const seen = new Set<GraphNode>();
  const stack: [GraphNode, number][] = [[root, 0]];
  seen.add(root);
  while (stack.length) {
    const top = stack[stack.length - 1];
    const [node, i] = top;
    if (i < node.parents.length) {
      top[1]++;
      const p = node.parents[i].gradFn;
      if (p && node.needsGrad[i] && !seen.has(p)) {
        seen.add(p);
        stack.push([p, 0]);
      }
    } else {
      order.push(node);
      stack.pop();
    }
  }
  return order; // parents before children
}

function run(root: Tensor, gradOutput: Tensor | undefined, opts: BackwardOptions): void {
  const seed = gradOutput ? gradOutput.share(gradOutput.shape) : full(root.shape, 1);
  if (!root.gradFn) {
    accumulateLeaf(root, seed);
    return;
  }
  const grads = new Map<GraphNode, Tensor>([[root.gradFn, seed]]);
  const order = topoOrder(root.gradFn);
  for (let k = order.length - 1; k >= 0; k--) {
    const node = order[k];
    const g = grads.get(node);
    grads.delete(node);
    if (!g) continue;
    if (node.freed) {
      g.dispose();
      for (const t of grads.values()) t.dispose();
      throw new AutogradError(
        `backward: the graph through '${node.op.name}' was already freed by an earlier backward() (or its tidy() scope ended). ` +
          'Pass { retainGraph: true } to the first backward() to run it twice.',
      );
    }
    const out = node.output.deref();
    if (out?.retainsGrad) accumulateLeaf(out, g.share(g.shape));
    const inGrads = node.op.backward(g, node.saved, {
      attrs: node.attrs,
      inputs: node.parents.map((p) => ({ shape: p.shape, dtype: p.dtype })),
      needsGrad: node.needsGrad,
      outShape: node.outShape,
    });
    g.dispose();
    node.parents.forEach((parent, i) => {
      const gi = inGrads[i];
      if (!node.needsGrad[i]) {
        gi?.dispose();
        return;
      }
      if (!gi) throw new AutogradError(`backward of '${node.op.name}' returned no gradient for input ${i}, which requires one`);
      if (!sameShape(gi.shape, parent.shape)) {
        throw new ShapeError(`${node.op.name}.backward`, [gi.shape, parent.shape], `gradient for input ${i} must have the input's shape`);
      }
      gi.runtime.numerics?.check(gi.buffer('backward'), gi.size, `'${node.op.name}' (backward, gradient of input ${i} [${gi.shape.join(', ')}])`);
      if (parent.gradFn) {
        const prev = grads.get(parent.gradFn);
        grads.set(parent.gradFn, prev ? accumulate(prev, gi) : gi);
      } else {
        accumulateLeaf(parent, gi);
      }
    });
    if (!opts.retainGraph) node.free();
  }
}

/** Add `g` into `t.grad` (PyTorch semantics: gradients accumulate until zeroGrad()). */
function accumulateLeaf(t: Tensor, g: Tensor): void {
  if (!t.grad || t.grad.disposed) {
    t.grad = keep(g);
    g.label = `grad(${t.label || 'tensor'}#${t.id})`;
  } else {
    t.grad = keep(accumulate(t.grad, g));
  }
}
