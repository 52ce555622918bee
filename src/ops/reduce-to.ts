// sumTo: reduce a broadcast gradient back to an input's shape, on the GPU.
// A row-broadcast (bias) gradient uses the dedicated bias_sum kernel.
import { broadcastAxes, sameShape } from '../shape.ts';
import type { Tensor } from '../tensor.ts';
import { biasSumKernel, reduceKernel } from '../kernels/reduce.ts';

/** Sum `g` over the dims along which `shape` was broadcast; consumes nothing. */
export function sumTo(g: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(g.shape, shape)) return g.share(shape);
  const axes = broadcastAxes(shape, g.shape);
  if (axes.length === 0) return g.share(shape);
  let reduced: Tensor;
  if (g.rank === 2 && axes.length === 1 && axes[0] === 0) {
    reduced = biasSumKernel(g);
  } else if (axes.length === g.rank - 1 && axes.every((a, i) => a === i)) {
    // Every leading dim reduced: view as [rows, C] and use the bias kernel too.
    const c = g.shape[g.rank - 1];
    const view = g.share([g.size / c, c]);
    reduced = biasSumKernel(view);
    view.dispose();
  } else {
    reduced = reduceKernel('sum', g, axes);
  }
  const out = reduced.share(shape);
  reduced.dispose();
  return out;
}
