// Replays a recorded webgrad graph on the float64 CPU reference. gradcheck runs the user's
// function once on the GPU (recording the tape), then evaluates the same op sequence in float64
// with perturbed inputs: central differences without fp32 cancellation, and an oracle that
// shares no code with the kernels.
import type { GraphNode } from '../autograd/graph.ts';
import type { OpName } from '../ops/registry.ts';
import type { Tensor } from '../tensor.ts';
import { refArray, zip, map, type RefArray } from './array.ts';
import { REFERENCE } from './reference.ts';

export interface Tape {
  /** Nodes in execution order (parents before children). */
  nodes: GraphNode[];
  output: GraphNode | null;
  /** Tensors the graph reads that no recorded node produced (inputs and constants). */
  leaves: Tensor[];
}

/** Collect the recorded graph that produced `out`. */
export function captureTape(out: Tensor): Tape {
  const nodes: GraphNode[] = [];
  const leaves = new Set<Tensor>();
  if (!out.gradFn) return { nodes, output: null, leaves: [out] };
  const seen = new Set<GraphNode>([out.gradFn]);
  const stack: [GraphNode, number][] = [[out.gradFn, 0]];
  while (stack.length) {
    const top = stack[stack.length - 1];
    const [node, i] = top;
    if (i < node.parents.length) {
      top[1]++;
      const p = node.parents[i];
      if (!p.gradFn) leaves.add(p);
      else if (!seen.has(p.gradFn)) {
        seen.add(p.gradFn);
        stack.push([p.gradFn, 0]);
      }
    } else {
      nodes.push(node);
      stack.pop();
    }
  }
  return { nodes, output: out.gradFn, leaves: [...leaves] };
}

export interface ReplayResult {
  out: RefArray;
  /** Branch pattern of every non-differentiable decision (ReLU sides, max winners, ...). */
  signature: string;
}

/** Evaluate the tape in float64 given a value for every leaf. */
export function replay(tape: Tape, leafValues: Map<Tensor, RefArray>): ReplayResult {
  const values = new Map<GraphNode, RefArray>();
  const sig: string[] = [];
  const valueOf = (t: Tensor): RefArray => {
    const v = t.gradFn ? values.get(t.gradFn) : leafValues.get(t);
    if (!v) throw new Error(`gradcheck replay: no value for ${t.describe()}`);
    return v;
  };
  for (const node of tape.nodes) {
    const name = node.op.name as OpName;
    const ref = REFERENCE[name] as { forward(i: readonly RefArray[], a: unknown): RefArray };
    if (!ref) throw new Error(`gradcheck replay: no float64 reference for op '${name}'`);
    const inputs = node.parents.map(valueOf);
    const branch = KINKS[name]?.(inputs, node.attrs);
    if (branch) sig.push(branch);
    values.set(node, ref.forward(inputs, node.attrs));
  }
  const out = tape.output ? values.get(tape.output)! : valueOf(tape.leaves[0]);
  return { out, signature: sig.join('|') };
}

const sign3 = (v: number) => (v > 0 ? '+' : v < 0 ? '-' : '0');
const pattern = (x: RefArray) => Array.from(x.data, sign3).join('');

/** Where an op is not differentiable, the side of the kink each element is on. */
const KINKS: Partial<Record<OpName, (inputs: RefArray[], attrs: any) => string>> = {
  relu: ([x]) => pattern(x),
  abs: ([x]) => pattern(x),
  maximum: ([a, b]) => pattern(zip(a, b, (u, v) => u - v)),
  max: ([x], attrs) => {
    const m = REFERENCE.max.forward([x], { axes: attrs.axes, keepDims: true });
    return pattern(zip(x, m, (u, v) => (u === v ? 1 : -1)));
  },
  linear: ([x, w, b], attrs) => {
    if (attrs.activation !== 'relu') return '';
    return pattern(REFERENCE.linear.forward([x, w, b], { activation: 'none' }));
  },
};

/** A RefArray holding a tensor's current GPU values (f32 or i32, widened to float64). */
export async function readRef(t: Tensor): Promise<RefArray> {
  return refArray(t.shape, await t.data());
}

/** <a, b> in float64. */
export function dot(a: RefArray, b: RefArray): number {
  let s = 0;
  for (let i = 0; i < a.data.length; i++) s += a.data[i] * b.data[i];
  return s;
}

export const scaled = (x: RefArray, s: number): RefArray => map(x, (v) => v * s);
