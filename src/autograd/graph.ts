// One recorded op application: its op, inputs, attributes and the tensors it saved for
// backward. The graph of nodes (reached through Tensor.gradFn) is the tape; backward.ts
// walks it in reverse topological order.
import type { OpDef } from '../ops/op.ts';
import type { Tensor } from '../tensor.ts';
import { trackNode } from '../memory.ts';

let nextNode = 1;

export class GraphNode {
  readonly id = nextNode++;
  freed = false;
  /** The op's output; weak so the graph does not keep user handles alive. */
  readonly output: WeakRef<Tensor>;

  constructor(
    readonly op: OpDef<any, any>,
    /** The op's inputs; only their identity, shape and gradFn are used after forward. */
    readonly parents: readonly Tensor[],
    readonly needsGrad: readonly boolean[],
    readonly attrs: unknown,
    public saved: unknown,
    output: Tensor,
  ) {
    this.output = new WeakRef(output);
    this.outShape = output.shape;
    trackNode(this);
  }

  readonly outShape: readonly number[];

  /** Release the tensors saved for backward. Idempotent. */
  free(): void {
    if (this.freed) return;
    this.freed = true;
    disposeSaved(this.saved);
    this.saved = null;
  }
}

/** Dispose every tensor inside a saved structure (a tensor, array or plain object of them). */
export function disposeSaved(v: unknown): void {
  forEachTensor(v, (t) => t.dispose());
}

export function forEachTensor(v: unknown, fn: (t: Tensor) => void): void {
  if (v === null || typeof v !== 'object') return;
  if ((v as { __isTensor?: boolean }).__isTensor) fn(v as Tensor);
  else if (Array.isArray(v)) for (const x of v) forEachTensor(x, fn);
  else for (const x of Object.values(v as object)) forEachTensor(x, fn);
}

/** Replace every tensor in a saved structure by fn(tensor), keeping the structure. */
export function mapTensors(v: unknown, fn: (t: Tensor) => Tensor): unknown {
  if (v === null || typeof v !== 'object') return v;
  if ((v as { __isTensor?: boolean }).__isTensor) return fn(v as Tensor);
  if (Array.isArray(v)) return v.map((x) => mapTensors(x, fn));
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v as object)) out[k] = mapTensors(x, fn);
  return out;
}
