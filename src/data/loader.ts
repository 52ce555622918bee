// DataLoader: shuffled mini-batches from a seed. Each epoch has its own permutation (a pure
// function of seed and epoch, so runs are reproducible and epochs can be replayed); a batch
// is x: f32 [B, rows * cols] scaled to [0, 1] and y: i32 [B] class indices.
import { ValueError } from '../errors.ts';
import { option, parseOptions } from '../options.ts';
import { Rng, drawSeed } from '../random.ts';
import { tensor, type Tensor } from '../tensor.ts';
import type { ImageDataset } from './dataset.ts';

const DATALOADER_OPTIONS = {
  batchSize: option.integer({ min: 1 }),
  shuffle: option.boolean(),
  seed: option.integer(),
  dropLast: option.boolean(),
} satisfies Record<keyof DataLoaderOptions, unknown>;

/** Options of `new DataLoader(dataset, opts)`. */
export interface DataLoaderOptions {
  batchSize: number;
  /** Shuffle each epoch (default true). */
  shuffle?: boolean;
  /** Shuffling seed; default: one drawn from the global generator (manualSeed). */
  seed?: number;
  /** Drop a last, smaller batch (default false). */
  dropLast?: boolean;
}

/** One mini-batch in host memory (what `Batch` holds before the upload). */
export interface HostBatch {
  x: Float32Array;
  y: Int32Array;
  size: number;
}

/** One mini-batch on the GPU: `x` f32 [B, rows * cols] in [0, 1], `y` i32 [B] labels. */
export interface Batch {
  x: Tensor;
  y: Tensor;
  size: number;
}

/** Mini-batches of an ImageDataset as GPU tensors, in a per-epoch order that depends only on (seed, epoch). */
export class DataLoader {
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly seed: number;
  readonly dropLast: boolean;
  private permEpoch = -1;
  private perm: Int32Array;

  constructor(
    readonly dataset: ImageDataset,
    opts: DataLoaderOptions,
  ) {
    parseOptions('DataLoader', opts, DATALOADER_OPTIONS);
    if (opts === undefined) throw new ValueError('DataLoader', 'options { batchSize } are required');
    if (!Number.isInteger(opts.batchSize) || opts.batchSize < 1) throw new ValueError('DataLoader', `batchSize must be a positive integer, got ${opts.batchSize}`);
    this.batchSize = opts.batchSize;
    this.shuffle = opts.shuffle ?? true;
    // No seed: one drawn from the global generator (manualSeed), so runs stay reproducible.
    this.seed = opts.seed ?? (this.shuffle ? drawSeed() : 0);
    this.dropLast = opts.dropLast ?? false;
    this.perm = new Int32Array(dataset.count);
  }

  /** Batches per epoch. */
  get length(): number {
    const n = this.dataset.count / this.batchSize;
    return this.dropLast ? Math.floor(n) : Math.ceil(n);
  }

  /** The example order of an epoch. */
  order(epoch: number): Int32Array {
    if (this.permEpoch !== epoch) {
      for (let i = 0; i < this.perm.length; i++) this.perm[i] = i;
      if (this.shuffle) new Rng((this.seed ^ Math.imul(epoch + 1, 0x9e3779b1)) >>> 0).shuffle(this.perm);
      this.permEpoch = epoch;
    }
    return this.perm;
  }

  /** Batch `i` of `epoch` on the host. */
  hostBatch(epoch: number, i: number): HostBatch {
    if (!(i >= 0 && i < this.length)) throw new ValueError('DataLoader', `batch ${i} out of range [0, ${this.length})`);
    const d = this.dataset;
    const px = d.rows * d.cols;
    const order = this.order(epoch);
    const start = i * this.batchSize;
    const size = Math.min(this.batchSize, d.count - start);
    const x = new Float32Array(size * px);
    const y = new Int32Array(size);
    for (let b = 0; b < size; b++) {
      const j = order[start + b];
      const src = d.images.subarray(j * px, (j + 1) * px);
      const dst = b * px;
      for (let k = 0; k < px; k++) x[dst + k] = src[k] / 255;
      y[b] = d.labels[j];
    }
    return { x, y, size };
  }

  /** Batch `i` of `epoch` as GPU tensors (create it inside tidy(), or dispose x and y). */
  batch(epoch: number, i: number): Batch {
    const h = this.hostBatch(epoch, i);
    const px = this.dataset.rows * this.dataset.cols;
    return { x: tensor(h.x, { shape: [h.size, px], label: 'batch.x' }), y: tensor(h.y, { shape: [h.size], label: 'batch.y' }), size: h.size };
  }
}
