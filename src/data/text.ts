// Character-level text data: the fortune databases Debian's `fortunes` and `fortunes-min`
// packages ship (/usr/share/games/fortunes, plain text, one fortune per entry, entries
// separated by lines holding a single '%'), a deterministic split by whole fortunes, a
// character vocabulary built from the training text, and batches of random windows drawn from
// a seed (for next-character prediction: y is x shifted by one).
//
// Streams keep the file format: each fortune is followed by "\n%\n", so a model learns where a
// fortune ends, and a split's text is the concatenation of its fortunes in corpus order.
import { platform } from '#platform';
import { ValueError } from '../errors.ts';
import { option, parseOptions, type OptionsOf } from '../options.ts';
import { Rng } from '../random.ts';
import { tensor, type Tensor } from '../tensor.ts';

/** Where Debian's fortune packages install their databases. */
export const FORTUNES_DIR = '/usr/share/games/fortunes';

/**
 * The databases read by default: every text database of `fortunes-min` (fortunes, literature,
 * riddles) and `fortunes` (the rest) except `ascii-art`, which holds pictures, not prose.
 * About 2.4 MB, 15,700 fortunes. Order matters: it fixes the corpus order and so the split.
 */
export const FORTUNE_FILES = [
  'fortunes', 'literature', 'riddles',
  'art', 'computers', 'cookie', 'debian', 'definitions', 'disclaimer', 'drugs', 'education', 'ethnic', 'food', 'goedel',
  'humorists', 'kids', 'knghtbrd', 'law', 'linux', 'linuxcookie', 'love', 'magic', 'medicine', 'men-women', 'miscellaneous',
  'news', 'paradoxum', 'people', 'perl', 'pets', 'platitudes', 'politics', 'pratchett', 'science', 'songs-poems', 'sports',
  'startrek', 'tao', 'translate-me', 'wisdom', 'work', 'zippy',
] as const;

/** What separates two fortunes in a stream (the '%' line of the file format). */
export const FORTUNE_SEPARATOR = '\n%\n';

/**
 * The fortunes of one database file: the text between lines that are exactly '%', without the
 * newline before the separator; empty entries are dropped. CRLF line ends are read as LF.
 */
export function parseFortunes(text: string): string[] {
  const out: string[] = [];
  let lines: string[] = [];
  const end = () => {
    const entry = lines.join('\n');
    if (entry.trim() !== '') out.push(entry);
    lines = [];
  };
  for (const line of text.replace(/\r\n/g, '\n').split('\n')) {
    if (line === '%') end();
    else lines.push(line);
  }
  // A file ends with "%\n" (the last split piece is ''); text after the last '%' is a fortune too.
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  end();
  return out;
}

const LOAD_OPTIONS = {
  /** Directory of the databases (default FORTUNES_DIR). */
  dir: option.string(),
  /** Database names to read, in this order (default FORTUNE_FILES). */
  files: option.custom<readonly string[]>('a non-empty array of file names', (v) => Array.isArray(v) && v.length > 0 && v.every((f) => typeof f === 'string' && f !== '')),
};
/** Options of `loadFortunes()`: `{ dir, files }`. */
export type LoadFortunesOptions = OptionsOf<typeof LOAD_OPTIONS>;

/** Fortunes read from the database files, in file order. */
export interface FortuneCorpus {
  /** The files read (full paths). */
  files: string[];
  fortunes: string[];
}

/** Read fortune databases (Node only). A missing file is an error naming it and the package to install. */
export function loadFortunes(opts?: LoadFortunesOptions): FortuneCorpus {
  const o = parseOptions('loadFortunes', opts, LOAD_OPTIONS);
  if (platform.kind !== 'node') {
    throw new ValueError('loadFortunes', 'reading files needs Node; in a browser fetch the text and call parseFortunes()');
  }
  const dir = o.dir ?? FORTUNES_DIR;
  const files: string[] = [];
  const fortunes: string[] = [];
  for (const name of o.files ?? FORTUNE_FILES) {
    const path = platform.join(dir, name);
    if (!platform.firstExisting([path])) {
      throw new ValueError('loadFortunes', `${path} not found (Debian: apt-get install fortunes fortunes-min, or npm run setup)`);
    }
    files.push(path);
    for (const f of parseFortunes(platform.readTextSync(path))) fortunes.push(f);
  }
  return { files, fortunes };
}

/** A train / validation split of whole fortunes, as streams. */
export interface TextSplit {
  train: string;
  val: string;
  trainFortunes: number;
  valFortunes: number;
}

/**
 * Split by whole fortunes: fortune i (0-based, corpus order) goes to validation when
 * i % valEvery === valEvery - 1 (every 10th by default), the rest to training. No randomness:
 * the same files give the same split everywhere. Each split is its fortunes, each followed by
 * FORTUNE_SEPARATOR.
 */
export function splitFortunes(fortunes: readonly string[], valEvery = 10): TextSplit {
  if (!Number.isInteger(valEvery) || valEvery < 2) throw new ValueError('splitFortunes', `valEvery must be an integer >= 2, got ${valEvery}`);
  const train: string[] = [];
  const val: string[] = [];
  fortunes.forEach((f, i) => (i % valEvery === valEvery - 1 ? val : train).push(f + FORTUNE_SEPARATOR));
  return { train: train.join(''), val: val.join(''), trainFortunes: train.length, valFortunes: val.length };
}

/**
 * A character vocabulary: the distinct characters (Unicode code points) of a text, sorted by
 * code point, then `<unk>` (id size - 1) for characters the text did not have.
 */
export class CharVocab {
  readonly chars: readonly string[];
  /** The id of `<unk>`: the last one. */
  readonly unk: number;
  private readonly index = new Map<string, number>();

  constructor(chars: readonly string[]) {
    const seen = new Set<string>();
    for (const c of chars) {
      if (typeof c !== 'string' || [...c].length !== 1) throw new ValueError('CharVocab', `every entry must be one character, got ${JSON.stringify(c)}`);
      if (seen.has(c)) throw new ValueError('CharVocab', `character ${JSON.stringify(c)} is listed twice`);
      seen.add(c);
    }
    this.chars = [...chars];
    this.chars.forEach((c, i) => this.index.set(c, i));
    this.unk = this.chars.length;
  }

  /** The vocabulary of `text`: its distinct characters in code-point order, plus `<unk>`. */
  static fromText(text: string): CharVocab {
    const set = new Set<string>();
    for (const c of text) set.add(c);
    return new CharVocab([...set].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!));
  }

  /** Number of ids, `<unk>` included. */
  get size(): number {
    return this.chars.length + 1;
  }

  /** Ids of each character of `text` (code points); unknown characters map to `unk`. */
  encode(text: string): Int32Array {
    const out: number[] = [];
    for (const c of text) out.push(this.index.get(c) ?? this.unk);
    return Int32Array.from(out);
  }

  /** The text of `ids`; `<unk>` decodes to `unkText` (default U+FFFD). */
  decode(ids: ArrayLike<number>, unkText = '\uFFFD'): string {
    let s = '';
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (!Number.isInteger(id) || id < 0 || id >= this.size) throw new ValueError('CharVocab.decode', `id ${id} at ${i} is not in [0, ${this.size - 1}]`);
      s += id === this.unk ? unkText : this.chars[id];
    }
    return s;
  }

  /** How many of `ids` are `<unk>`. */
  countUnknown(ids: ArrayLike<number>): number {
    let n = 0;
    for (let i = 0; i < ids.length; i++) if (ids[i] === this.unk) n++;
    return n;
  }
}

/** Windows of ids in host memory: x and y are [B, T] row-major, y[b, t] = stream[start_b + t + 1]. */
export interface HostWindows {
  x: Int32Array;
  y: Int32Array;
  batchSize: number;
  blockSize: number;
  /** Where each window starts in the stream. */
  starts: Int32Array;
}

const WINDOW_OPTIONS = {
  /** Seed of the window positions (default 0). */
  seed: option.integer({ default: 0 }),
};
/** Options of `new TextWindows(ids, blockSize, opts)`: `{ seed }`. */
export type TextWindowsOptions = OptionsOf<typeof WINDOW_OPTIONS>;

/**
 * Next-character windows over an encoded stream. `batch(i, B)` draws B random window starts
 * from a generator seeded by (seed, i), so batch i is the same on every run and can be drawn
 * again in any order; `tileWindows()` gives the stream's consecutive non-overlapping windows
 * (evaluation: each position they cover is predicted exactly once).
 */
export class TextWindows {
  readonly seed: number;

  constructor(readonly ids: Int32Array, readonly blockSize: number, opts?: TextWindowsOptions) {
    this.seed = parseOptions('TextWindows', opts, WINDOW_OPTIONS).seed;
    if (!(ids instanceof Int32Array)) throw new ValueError('TextWindows', 'ids must be an Int32Array (CharVocab.encode())');
    if (!Number.isInteger(blockSize) || blockSize < 1) throw new ValueError('TextWindows', `blockSize must be an integer >= 1, got ${blockSize}`);
    if (ids.length < blockSize + 1) {
      throw new ValueError('TextWindows', `a window of ${blockSize} needs ${blockSize + 1} ids (inputs and the next character), the stream has ${ids.length}`);
    }
  }

  /** Number of non-overlapping evaluation windows: floor((n - 1) / T). */
  get tiles(): number {
    return Math.floor((this.ids.length - 1) / this.blockSize);
  }

  /** Random windows: batch `index` of `batchSize`, starts uniform in [0, n - T - 1]. */
  batch(index: number, batchSize: number): HostWindows {
    checkCount('TextWindows.batch', 'batchSize', batchSize);
    if (!Number.isInteger(index) || index < 0) throw new ValueError('TextWindows.batch', `index must be an integer >= 0, got ${index}`);
    const rng = new Rng((Math.imul(this.seed, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca77)) >>> 0);
    const span = this.ids.length - this.blockSize; // starts in [0, span)
    const starts = new Int32Array(batchSize);
    for (let b = 0; b < batchSize; b++) starts[b] = rng.int(span);
    return this.gather(starts);
  }

  /**
   * Which non-overlapping windows to evaluate: all `tiles` (default), or `max` of them evenly
   * spaced over the stream (window j = floor(j * tiles / max)), so a sample covers every part of it.
   */
  tileIndices(max?: number): Int32Array {
    if (max !== undefined) checkCount('TextWindows.tileIndices', 'max', max);
    const n = Math.min(this.tiles, max ?? Infinity);
    const out = new Int32Array(n);
    for (let j = 0; j < n; j++) out[j] = Math.floor((j * this.tiles) / n);
    return out;
  }

  /** The non-overlapping windows with these indices (window j starts at j * T). */
  tileWindows(indices: ArrayLike<number>): HostWindows {
    const starts = new Int32Array(indices.length);
    for (let b = 0; b < indices.length; b++) {
      const j = indices[b];
      if (!Number.isInteger(j) || j < 0 || j >= this.tiles) throw new ValueError('TextWindows.tileWindows', `window ${j} is not in [0, ${this.tiles - 1}]`);
      starts[b] = j * this.blockSize;
    }
    if (!starts.length) throw new ValueError('TextWindows.tileWindows', 'no window indices given');
    return this.gather(starts);
  }

  private gather(starts: Int32Array): HostWindows {
    const T = this.blockSize;
    const x = new Int32Array(starts.length * T);
    const y = new Int32Array(starts.length * T);
    starts.forEach((s, b) => {
      x.set(this.ids.subarray(s, s + T), b * T);
      y.set(this.ids.subarray(s + 1, s + T + 1), b * T);
    });
    return { x, y, batchSize: starts.length, blockSize: T, starts };
  }
}

/** Windows on the GPU: x and y i32 [B, T]. */
export function windowTensors(w: HostWindows): { x: Tensor; y: Tensor } {
  const shape = [w.batchSize, w.blockSize];
  return { x: tensor(w.x, { shape, dtype: 'i32' }), y: tensor(w.y, { shape, dtype: 'i32' }) };
}

function checkCount(op: string, name: string, v: number): void {
  if (!Number.isInteger(v) || v < 1) throw new ValueError(op, `${name} must be an integer >= 1, got ${v}`);
}
