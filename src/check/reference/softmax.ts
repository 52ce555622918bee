// Float64 reference of softmax and log-softmax along any axis `dim`, and of mseLoss
// (cross-entropy: ./loss.ts).
// NaN and Inf follow PyTorch's max-subtracted form: log_softmax(x) = x - m - log(sum exp(x - m))
// with m the max of the line, so a NaN in a line, or a +Inf (Inf - Inf), makes the whole line
// NaN, and a -Inf entry of an otherwise finite line gets probability 0 (log-probability -Inf).
import { map, numel, refArray, zerosRef, zip, type RefArray } from '../array.ts';
import type { RefFamily } from './types.ts';

/** Call `f(idx)` for every line along `dim`: idx lists the flat indices of the line's elements. */
export function forLines(shape: readonly number[], dim: number, f: (idx: number[]) => void): void {
  const cols = shape[dim] ?? 1;
  const inner = numel(shape.slice(dim + 1));
  const outer = numel(shape.slice(0, dim));
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * cols * inner + i;
      f(Array.from({ length: cols }, (_, c) => base + c * inner));
    }
  }
}

/** log(sum(exp(line))), shifted by the line max so logits of +-1e4 stay finite. */
function logSumExp(values: readonly number[]): number {
  const m = Math.max(...values);
  let s = 0;
  for (const v of values) s += Math.exp(v - m);
  return m + Math.log(s);
}

export function logSoftmaxRef(x: RefArray, dim = x.shape.length - 1): RefArray {
  const out = zerosRef(x.shape);
  forLines(x.shape, dim, (idx) => {
    const lse = logSumExp(idx.map((i) => x.data[i]));
    for (const i of idx) out.data[i] = x.data[i] - lse;
  });
  return out;
}

export const softmaxRef = (x: RefArray, dim = x.shape.length - 1): RefArray => map(logSoftmaxRef(x, dim), Math.exp);

export const SOFTMAX_REF: RefFamily<'softmax' | 'logSoftmax'> = {
  softmax: {
    forward: ([x], { dim }) => softmaxRef(x, dim),
    // dx = y * (g - sum(g * y)) per line (the softmax Jacobian y_k (delta_ki - y_i) applied to g).
    backward: ([x], { dim }, g) => {
      const y = softmaxRef(x, dim);
      const dx = zerosRef(x.shape);
      forLines(x.shape, dim, (idx) => {
        const dot = idx.reduce((s, i) => s + y.data[i] * g.data[i], 0);
        for (const i of idx) dx.data[i] = y.data[i] * (g.data[i] - dot);
      });
      return [dx];
    },
  },
  logSoftmax: {
    forward: ([x], { dim }) => logSoftmaxRef(x, dim),
    // dx = g - softmax(x) * sum(g) per line.
    backward: ([x], { dim }, g) => {
      const p = softmaxRef(x, dim);
      const dx = zerosRef(x.shape);
      forLines(x.shape, dim, (idx) => {
        const gsum = idx.reduce((s, i) => s + g.data[i], 0);
        for (const i of idx) dx.data[i] = g.data[i] - p.data[i] * gsum;
      });
      return [dx];
    },
  },
};

/** mean((pred - target)^2) or its sum, and its gradient with respect to pred (times g). */
export function mseLossRef(pred: RefArray, target: RefArray, reduction: 'mean' | 'sum'): { loss: number; grad: (g: number) => RefArray } {
  const scale = reduction === 'mean' ? 1 / numel(pred.shape) : 1;
  const diff = zip(pred, target, (p, t) => p - t);
  const loss = diff.data.reduce((s, d) => s + d * d, 0) * scale;
  return { loss, grad: (g) => map(diff, (d) => 2 * d * scale * g) };
}
