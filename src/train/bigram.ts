// The count-based character bigram model, the baseline a language model must beat: P(b | a) =
// (count(a, b) + k) / (count(a) + k * V) from the training stream's consecutive pairs (add-k
// smoothing, so a pair never seen in training, or the <unk> id, still has a probability).
// Fitted and evaluated on the host in float64: it is a few counts, no GPU work.
import { ValueError } from '../errors.ts';
import { option, parseOptions, type OptionsOf } from '../options.ts';

const BIGRAM_OPTIONS = {
  /** Add-k smoothing constant (default 1, Laplace); > 0. */
  k: option.number({ default: 1 }),
};
/** Options of `BigramModel.fit(ids, vocabSize, opts)`: `{ k }`. */
export type BigramOptions = OptionsOf<typeof BIGRAM_OPTIONS>;

/** A fitted bigram model: log P(next | previous) for every pair of ids. */
export class BigramModel {
  private constructor(
    readonly vocabSize: number,
    readonly k: number,
    /** [V, V] row-major: logProb[a * V + b] = log P(b | a). */
    readonly logProb: Float64Array,
  ) {}

  /** Count the pairs (ids[i], ids[i + 1]) of a stream with ids in [0, vocabSize). */
  static fit(ids: ArrayLike<number>, vocabSize: number, opts?: BigramOptions): BigramModel {
    const { k } = parseOptions('BigramModel.fit', opts, BIGRAM_OPTIONS);
    if (!(k > 0)) throw new ValueError('BigramModel.fit', `k must be > 0 (add-k smoothing), got ${k}`);
    if (!Number.isInteger(vocabSize) || vocabSize < 1) throw new ValueError('BigramModel.fit', `vocabSize must be an integer >= 1, got ${vocabSize}`);
    checkIds('BigramModel.fit', ids, vocabSize);
    const V = vocabSize;
    const counts = new Float64Array(V * V);
    for (let i = 0; i + 1 < ids.length; i++) counts[ids[i] * V + ids[i + 1]]++;
    const logProb = new Float64Array(V * V);
    for (let a = 0; a < V; a++) {
      let row = 0;
      for (let b = 0; b < V; b++) row += counts[a * V + b];
      const denom = Math.log(row + k * V);
      for (let b = 0; b < V; b++) logProb[a * V + b] = Math.log(counts[a * V + b] + k) - denom;
    }
    return new BigramModel(V, k, logProb);
  }

  /** Mean cross-entropy (nats per character) of predicting ids[i + 1] from ids[i], over the stream's pairs. */
  crossEntropy(ids: ArrayLike<number>): number {
    if (ids.length < 2) throw new ValueError('BigramModel.crossEntropy', `a stream of ${ids.length} ids has no pairs`);
    const a = Array.prototype.slice.call(ids, 0, ids.length - 1) as number[];
    const b = Array.prototype.slice.call(ids, 1) as number[];
    return this.crossEntropyPairs(a, b);
  }

  /**
   * Mean cross-entropy of predicting next[i] from prev[i]: for windows x, y (TextWindows),
   * the loss on exactly the positions a model evaluated on those windows is scored on.
   */
  crossEntropyPairs(prev: ArrayLike<number>, next: ArrayLike<number>): number {
    const op = 'BigramModel.crossEntropyPairs';
    if (prev.length !== next.length) throw new ValueError(op, `prev has ${prev.length} ids, next ${next.length}`);
    if (!prev.length) throw new ValueError(op, 'no pairs given');
    checkIds(op, prev, this.vocabSize);
    checkIds(op, next, this.vocabSize);
    let s = 0;
    for (let i = 0; i < prev.length; i++) s -= this.logProb[prev[i] * this.vocabSize + next[i]];
    return s / prev.length;
  }
}

function checkIds(op: string, ids: ArrayLike<number>, V: number): void {
  for (let i = 0; i < ids.length; i++) {
    const v = ids[i];
    if (!Number.isInteger(v) || v < 0 || v >= V) throw new ValueError(op, `id ${v} at ${i} is not in [0, ${V - 1}]`);
  }
}
