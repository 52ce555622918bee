// The text pipeline of `npm start -- --model gpt`: fortune parsing, the split by whole
// fortunes, the character vocabulary, seeded windows, and the bigram baseline against
// hand-computed values. Host code only, apart from the upload test.
import { describe, expect, it } from 'vitest';
import {
  BigramModel, CharVocab, FORTUNE_FILES, FORTUNE_SEPARATOR, TextWindows, ValueError, loadFortunes, parseFortunes, splitFortunes, windowTensors,
} from '../src/index.ts';
import { platform } from '#platform';

const hasFortunes = platform.firstExisting(['/usr/share/games/fortunes/fortunes']) !== undefined;

describe('fortune databases', () => {
  it('parseFortunes splits on lines holding only %, keeps inner newlines and tabs, drops empty entries', () => {
    const file = 'One.\n%\nTwo\n\tlines.\n%\n%\n100% sure\n%\r\nlast, no final separator\n';
    expect(parseFortunes(file)).toEqual(['One.', 'Two\n\tlines.', '100% sure', 'last, no final separator']);
    expect(parseFortunes('')).toEqual([]);
    expect(parseFortunes('%\n')).toEqual([]);
  });

  it('splitFortunes sends every 10th whole fortune to validation, in corpus order', () => {
    const fortunes = Array.from({ length: 25 }, (_, i) => `f${i}`);
    const s = splitFortunes(fortunes);
    expect(s.valFortunes).toBe(2);
    expect(s.trainFortunes).toBe(23);
    expect(s.val).toBe(`f9${FORTUNE_SEPARATOR}f19${FORTUNE_SEPARATOR}`);
    expect(s.train.startsWith(`f0${FORTUNE_SEPARATOR}f1${FORTUNE_SEPARATOR}`)).toBe(true);
    expect(s.train).not.toContain('f9\n');
    expect(splitFortunes(fortunes, 5).val).toBe(['f4', 'f9', 'f14', 'f19', 'f24'].map((f) => f + FORTUNE_SEPARATOR).join(''));
    expect(() => splitFortunes(fortunes, 1)).toThrow(ValueError);
  });

  it.skipIf(!hasFortunes)('the installed databases give the same split twice, and no fortune in both parts', () => {
    const a = loadFortunes();
    const b = loadFortunes();
    expect(a.files.length).toBe(FORTUNE_FILES.length);
    expect(a.fortunes.length).toBeGreaterThan(10000);
    const sa = splitFortunes(a.fortunes);
    const sb = splitFortunes(b.fortunes);
    expect(sb.train === sa.train && sb.val === sa.val).toBe(true);
    expect(sa.valFortunes).toBe(Math.floor(a.fortunes.length / 10));
    const val = new Set(a.fortunes.filter((_, i) => i % 10 === 9));
    const leaked = a.fortunes.filter((f, i) => i % 10 !== 9 && val.has(f)).length;
    // Duplicates inside the databases (the same quip in two files) are the only overlap allowed.
    expect(leaked).toBeLessThan(a.fortunes.length / 100);
  });

  it('a missing database is an error naming the file and the package', () => {
    expect(() => loadFortunes({ dir: '/nonexistent', files: ['fortunes'] })).toThrow(/\/nonexistent\/fortunes not found.*apt-get install fortunes/);
    expect(() => loadFortunes({ files: [] })).toThrow(ValueError);
  });
});

describe('character vocabulary', () => {
  it('is the training text characters in code-point order, then <unk>', () => {
    const v = CharVocab.fromText('hello, world\n');
    expect(v.chars).toEqual(['\n', ' ', ',', 'd', 'e', 'h', 'l', 'o', 'r', 'w']);
    expect(v.size).toBe(11);
    expect(v.unk).toBe(10);
    expect(Array.from(v.encode('hold'))).toEqual([5, 7, 6, 3]);
    // characters the training text lacks (also outside the BMP) map to <unk>
    const ids = v.encode('hey 😀');
    expect(Array.from(ids)).toEqual([5, 4, 10, 1, 10]);
    expect(v.countUnknown(ids)).toBe(2);
    expect(v.decode(ids)).toBe('he\uFFFD \uFFFD');
    expect(v.decode(v.encode('world, hello'))).toBe('world, hello');
    expect(() => v.decode([11])).toThrow(/id 11 at 0 is not in \[0, 10\]/);
    expect(() => new CharVocab(['a', 'a'])).toThrow(/listed twice/);
  });
});

describe('text windows', () => {
  const ids = Int32Array.from({ length: 50 }, (_, i) => i);

  it('random windows: y is x shifted by one, batch i is a pure function of (seed, i)', () => {
    const w = new TextWindows(ids, 8, { seed: 3 });
    const b = w.batch(5, 4);
    expect(b.x.length).toBe(32);
    for (let r = 0; r < 4; r++) {
      const s = b.starts[r];
      expect(s).toBeGreaterThanOrEqual(0);
      expect(s).toBeLessThanOrEqual(50 - 8 - 1);
      expect(Array.from(b.x.subarray(r * 8, r * 8 + 8))).toEqual(Array.from({ length: 8 }, (_, t) => s + t));
      expect(Array.from(b.y.subarray(r * 8, r * 8 + 8))).toEqual(Array.from({ length: 8 }, (_, t) => s + t + 1));
    }
    expect(Array.from(new TextWindows(ids, 8, { seed: 3 }).batch(5, 4).starts)).toEqual(Array.from(b.starts));
    const other = [w.batch(6, 4), new TextWindows(ids, 8, { seed: 4 }).batch(5, 4)];
    for (const o of other) expect(Array.from(o.starts)).not.toEqual(Array.from(b.starts));
    // every start is reachable: the last window ends on the stream's last id
    const seen = new Set<number>();
    for (let i = 0; i < 200; i++) for (const s of w.batch(i, 8).starts) seen.add(s);
    expect(Math.max(...seen)).toBe(50 - 8 - 1);
    expect(Math.min(...seen)).toBe(0);
  });

  it('tiles cover the stream once; a sample of them is evenly spaced', () => {
    const w = new TextWindows(ids, 8);
    expect(w.tiles).toBe(6); // floor(49 / 8)
    expect(Array.from(w.tileIndices())).toEqual([0, 1, 2, 3, 4, 5]);
    expect(Array.from(w.tileIndices(3))).toEqual([0, 2, 4]);
    const t = w.tileWindows(w.tileIndices());
    expect(Array.from(t.x)).toEqual(Array.from(ids.subarray(0, 48)));
    expect(Array.from(t.y)).toEqual(Array.from(ids.subarray(1, 49)));
    expect(() => w.tileWindows([6])).toThrow(/window 6 is not in \[0, 5\]/);
    expect(() => new TextWindows(ids.subarray(0, 8), 8)).toThrow(/needs 9 ids/);
    expect(() => new TextWindows(ids, 8, { sed: 1 } as never)).toThrow(/unknown option 'sed'/);
  });

  it('windowTensors uploads i32 [B, T]', async () => {
    const { x, y } = windowTensors(new TextWindows(ids, 4).batch(0, 3));
    expect(x.shape).toEqual([3, 4]);
    expect(x.dtype).toBe('i32');
    expect(Array.from(await y.data())).toEqual(Array.from(new TextWindows(ids, 4).batch(0, 3).y));
    x.dispose();
    y.dispose();
  });
});

describe('bigram baseline', () => {
  it('add-k probabilities and cross-entropy match a hand computation', () => {
    // stream 0 1 0 1 1, V = 2, k = 1: pairs (0,1) (1,0) (0,1) (1,1)
    // counts c01 = 2, c00 = 0 -> P(1|0) = 3/4, P(0|0) = 1/4; c10 = 1, c11 = 1 -> P(.|1) = 2/4
    const m = BigramModel.fit([0, 1, 0, 1, 1], 2);
    expect(Array.from(m.logProb).map(Math.exp)).toEqual([0.25, 0.75, 0.5, 0.5].map((p) => expect.closeTo(p, 12)));
    const ce = -(2 * Math.log(0.75) + 2 * Math.log(0.5)) / 4;
    expect(m.crossEntropy([0, 1, 0, 1, 1])).toBeCloseTo(ce, 12);
    // k = 0.5 on another stream, with an id (2, the <unk> slot) never seen in training
    const h = BigramModel.fit([0, 1, 0, 1, 1], 3, { k: 0.5 });
    // P(2|0) = 0.5 / (2 + 1.5), P(0|2) = 0.5 / (0 + 1.5)
    expect(h.crossEntropy([0, 2, 0])).toBeCloseTo(-(Math.log(0.5 / 3.5) + Math.log(0.5 / 1.5)) / 2, 12);
    expect(h.crossEntropyPairs([0, 2], [2, 0])).toBeCloseTo(h.crossEntropy([0, 2, 0]), 12);
    expect(() => BigramModel.fit([0, 3], 3)).toThrow(/id 3 at 1 is not in \[0, 2\]/);
    expect(() => BigramModel.fit([0, 1], 2, { k: 0 })).toThrow(ValueError);
    expect(() => m.crossEntropy([1])).toThrow(/no pairs/);
  });
});
