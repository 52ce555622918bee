// Browser side of the demo data: fetch the gzipped IDX files written by scripts/demo-data.ts
// and apply loadMnist()'s fixed 8,000 / 2,000 split, so the page trains on the same digits.
import { datasetFromIdx, splitMnist, type TrainTest } from '../src/data/index.ts';

// Relative to the page (both pages live in demo/). Not new URL(..., import.meta.url): Vite
// rewrites that pattern as a static asset reference.
async function fetchBytes(name: string): Promise<Uint8Array> {
  const res = await fetch(`data/${name}`);
  if (!res.ok) throw new Error(`could not fetch demo/data/${name} (${res.status}); run: npx tsx scripts/demo-data.ts`);
  return new Uint8Array(await res.arrayBuffer());
}

export async function loadDemoMnist(): Promise<TrainTest> {
  const [images, labels] = await Promise.all([
    fetchBytes('mnist-digits-images-idx3-ubyte.gz'),
    fetchBytes('mnist-digits-labels-idx1-ubyte.gz'),
  ]);
  return splitMnist(await datasetFromIdx(images, labels, { images: 'mnist-digits-images', labels: 'mnist-digits-labels' }));
}
