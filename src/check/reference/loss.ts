// Float64 reference of cross-entropy (PyTorch's F.cross_entropy), written from PyTorch's
// definition rather than from the kernel's effective-target form:
//   class indices y, weights w (1 without), smoothing eps, C classes, logp = log_softmax(x, dim 1):
//     nll_n    = -w[y_n] logp[n, y_n]                        (0 when y_n == ignoreIndex)
//     smooth_n = -sum_c w[c] logp[n, c]                      (0 when ignored)
//     loss_n   = (1 - eps) nll_n + eps / C smooth_n
//     'mean'   = sum_n loss_n / sum_{n not ignored} w[y_n]   (all ignored: 0 / 0 = NaN)
//   probabilities q: loss_n = -sum_c w[c] ((1 - eps) q[n, c] + eps / C) logp[n, c], 'mean' / rows.
// The gradient is d loss_n / d x[n, k] = sum_c t[n, c] (p[n, k] - [k == c]) with t the weights
// of -logp above, i.e. p[n, k] sum_c t[n, c] - t[n, k].
import { refArray, zerosRef, type RefArray } from '../array.ts';
import type { CrossEntropyAttrs } from '../../ops/loss.ts';
import { forLines, logSoftmaxRef } from './softmax.ts';
import type { RefFamily } from './types.ts';

interface Rows {
  /** Per target: the flat indices of its C logits. */
  lines: number[][];
  /** Per target: the coefficient of -logp for each class (the effective target t). */
  t: number[][];
  /** Per target: its share of the 'mean' denominator. */
  denomShare: number[];
  /** Whether the targets are class indices with a known class (not out of range). */
  valid: boolean[];
}

function rowsOf(logits: RefArray, labels: RefArray, weight: RefArray | null, a: Partial<CrossEntropyAttrs>): Rows {
  const dim = logits.shape.length === 1 ? 0 : 1;
  const c = logits.shape[dim];
  const eps = a.labelSmoothing ?? 0;
  const ii = a.ignoreIndex ?? -100;
  const w = (k: number) => (weight ? weight.data[k] : 1);
  const classIndices = labels.shape.length !== logits.shape.length;
  const out: Rows = { lines: [], t: [], denomShare: [], valid: [] };
  forLines(logits.shape, dim, (idx) => {
    const n = out.lines.length;
    out.lines.push(idx);
    if (classIndices) {
      const y = labels.data[n];
      const ignored = y === ii;
      const inRange = Number.isInteger(y) && y >= 0 && y < c;
      out.t.push(idx.map((_, k) => (ignored ? 0 : (1 - eps) * (k === y ? w(k) : 0) + (eps / c) * w(k))));
      out.denomShare.push(ignored ? 0 : inRange ? w(y) : 1);
      out.valid.push(ignored || inRange);
    } else {
      out.t.push(idx.map((j, k) => w(k) * ((1 - eps) * labels.data[j] + eps / c)));
      out.denomShare.push(1);
      out.valid.push(true);
    }
  });
  return out;
}

function forward(logits: RefArray, labels: RefArray, weight: RefArray | null, a: Partial<CrossEntropyAttrs>): RefArray {
  const dim = logits.shape.length === 1 ? 0 : 1;
  const logp = logSoftmaxRef(logits, dim);
  const rows = rowsOf(logits, labels, weight, a);
  const classIndices = labels.shape.length !== logits.shape.length;
  const losses = rows.lines.map((idx, n) => {
    if (!rows.valid[n]) return NaN;
    // nll_loss reads only the weighted classes; a probability row sums every class (0 * -Inf = NaN).
    return idx.reduce((s, j, k) => (classIndices && rows.t[n][k] === 0 ? s : s - rows.t[n][k] * logp.data[j]), 0);
  });
  const reduction = a.reduction ?? 'mean';
  if (reduction === 'none') return refArray(logits.shape.filter((_, i) => i !== dim), losses);
  const total = losses.reduce((s, v) => s + v, 0);
  if (reduction === 'sum') return refArray([], [total]);
  return refArray([], [total / rows.denomShare.reduce((s, v) => s + v, 0)]);
}

function backward(logits: RefArray, labels: RefArray, weight: RefArray | null, a: Partial<CrossEntropyAttrs>, g: RefArray): RefArray {
  const dim = logits.shape.length === 1 ? 0 : 1;
  const p = logSoftmaxRef(logits, dim);
  const rows = rowsOf(logits, labels, weight, a);
  const reduction = a.reduction ?? 'mean';
  const denom = rows.denomShare.reduce((s, v) => s + v, 0);
  const dx = zerosRef(logits.shape);
  rows.lines.forEach((idx, n) => {
    const gn = reduction === 'none' ? g.data[n] : reduction === 'sum' ? g.data[0] : g.data[0] / denom;
    const tsum = rows.t[n].reduce((s, v) => s + v, 0);
    idx.forEach((j, k) => {
      dx.data[j] = gn * (Math.exp(p.data[j]) * tsum - rows.t[n][k]);
    });
  });
  return dx;
}

export const LOSS_REF: RefFamily<'softmaxCrossEntropy' | 'softmaxCrossEntropyWeighted'> = {
  softmaxCrossEntropy: {
    forward: ([logits, labels], attrs) => forward(logits, labels, null, attrs),
    backward: ([logits, labels], attrs, g) => [backward(logits, labels, null, attrs, g), null],
  },
  softmaxCrossEntropyWeighted: {
    forward: ([logits, labels, weight], attrs) => forward(logits, labels, weight, attrs),
    backward: ([logits, labels, weight], attrs, g) => [backward(logits, labels, weight, attrs, g), null, null],
  },
};

