// In-memory image classification datasets: u8 pixels [count, rows * cols] and u8 labels,
// scaled to [0, 1] f32 only when a batch is made. Browser-safe (no Node imports).
import { ValueError } from '../errors.ts';
import { Rng } from '../random.ts';
import { readIdx } from './idx.ts';

/** Images as unsigned bytes (row-major, `rows * cols` per image) with one class label per image. */
export interface ImageDataset {
  /** Pixels, row-major [count, rows * cols], 0..255. */
  images: Uint8Array;
  /** Class index per image. */
  labels: Uint8Array;
  count: number;
  rows: number;
  cols: number;
  numClasses: number;
}

/** Wrap image bytes ([count, rows * cols]) and label bytes ([count]) as an ImageDataset, checking that the sizes agree. */
export function makeDataset(images: Uint8Array, labels: Uint8Array, rows: number, cols: number, name = 'dataset'): ImageDataset {
  const count = labels.length;
  if (images.length !== count * rows * cols) {
    throw new ValueError(name, `${count} labels need ${count * rows * cols} pixels (${rows}x${cols} each), got ${images.length}`);
  }
  let max = 0;
  for (let i = 0; i < count; i++) if (labels[i] > max) max = labels[i];
  return { images, labels, count, rows, cols, numClasses: count ? max + 1 : 0 };
}

/** Images + labels from two IDX files (plain or gzipped), checking they belong together. */
export async function datasetFromIdx(imageBytes: Uint8Array, labelBytes: Uint8Array, names = { images: 'images', labels: 'labels' }): Promise<ImageDataset> {
  const img = await readIdx(imageBytes, names.images);
  const lab = await readIdx(labelBytes, names.labels);
  if (img.dims.length !== 3) {
    throw new ValueError('idx', `'${names.images}' should be an images file [count, rows, cols] (magic 0x00000803) but has dims [${img.dims.join(', ')}]`);
  }
  if (lab.dims.length !== 1) {
    throw new ValueError('idx', `'${names.labels}' should be a labels file [count] (magic 0x00000801) but has dims [${lab.dims.join(', ')}]`);
  }
  if (img.dims[0] !== lab.dims[0]) {
    throw new ValueError('idx', `'${names.images}' has ${img.dims[0]} images but '${names.labels}' has ${lab.dims[0]} labels`);
  }
  return makeDataset(img.data, lab.data, img.dims[1], img.dims[2], 'idx');
}

/** The examples at `indices`, in that order. */
export function subset(d: ImageDataset, indices: ArrayLike<number>): ImageDataset {
  const px = d.rows * d.cols;
  const images = new Uint8Array(indices.length * px);
  const labels = new Uint8Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const j = indices[i];
    images.set(d.images.subarray(j * px, (j + 1) * px), i * px);
    labels[i] = d.labels[j];
  }
  return { ...d, images, labels, count: indices.length };
}

/**
 * A fixed, documented split: the examples are permuted with Rng(seed) (Fisher-Yates, the
 * same numbers on every machine) and the first `trainCount` go to train, the next `testCount`
 * to test.
 */
export function splitDataset(d: ImageDataset, trainCount: number, testCount: number, seed: number): { train: ImageDataset; test: ImageDataset } {
  if (trainCount + testCount > d.count) throw new ValueError('split', `${trainCount} + ${testCount} examples requested from ${d.count}`);
  const perm = new Int32Array(d.count);
  for (let i = 0; i < d.count; i++) perm[i] = i;
  new Rng(seed).shuffle(perm);
  return { train: subset(d, perm.subarray(0, trainCount)), test: subset(d, perm.subarray(trainCount, trainCount + testCount)) };
}
