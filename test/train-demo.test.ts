// The demo page (npm run demo) in headless Chromium and Firefox: it loads the digits served as
// IDX, trains in the page on WebGPU, draws live curves, and predicts a digit drawn with the mouse;
// with the CNN it draws the learned filters and the drawn digit's feature maps, which the test
// recomputes from the model's weights (read back from the page) and compares pixel by pixel.
// The GPT panel trains a small GPT in a Web Worker and streams its samples while the page's own
// timer keeps firing. Skipped only when the engine is missing outside CI (browserGate).
import type { Page } from 'puppeteer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BROWSER_TITLE, browserGate, pageResults, suiteBrowsers, withBrowserPage, type BrowserName, type HarnessContext,
} from '../scripts/browser-harness.ts';
import { ensureDemoCorpus, ensureDemoData } from '../scripts/demo-data.ts';
import type { GptSelfTest } from '../demo/gpt.ts';
import { UNK_TEXT } from '../demo/gpt-train.ts';
import { filterLayout, mapLayout, renderTiles, type TileLayout } from '../demo/cnn-view.ts';

interface SelfTest {
  epochs: { epoch: number; testAccuracy: number; trainLoss: number }[];
  trainCount: number;
  label: number;
  predicted: number;
  predictedFromPad: number | null;
  lossPoints: number;
  model: string;
  filterDraws: number;
  mapDraws: number;
  filter0: number[][];
}

/** What the page shows for the CNN, and the tensors it must show: filters read back fresh, the last input. */
interface CnnSnapshot {
  filters: { values: number[]; shape: number[]; bias: number[] };
  input: number[] | null;
  mapDraws: number;
  filterPixels: Uint8Array;
  mapPixels: Uint8Array;
  filterSize: [number, number];
  mapSize: [number, number];
}

async function cnnSnapshot(page: Page): Promise<CnnSnapshot> {
  // Pixels come back base64-encoded: a plain array of ~500k numbers takes tens of seconds over BiDi.
  const s = await page.evaluate(async () => {
    const w = window as unknown as Record<string, () => unknown> & { __views: { mapDraws: number } };
    const pixels = (id: string) => {
      const c = document.getElementById(id) as HTMLCanvasElement;
      const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let bin = '';
      for (let i = 0; i < data.length; i += 0x8000) bin += String.fromCharCode(...data.subarray(i, i + 0x8000));
      return { px: btoa(bin), size: [c.width, c.height] as [number, number] };
    };
    const f = pixels('filters');
    const m = pixels('maps');
    return {
      filters: (await w.__readFilters()) as CnnSnapshot['filters'],
      input: w.__lastPixels() as number[] | null,
      mapDraws: w.__views.mapDraws,
      filterPixels: f.px, filterSize: f.size, mapPixels: m.px, mapSize: m.size,
    };
  });
  const bytes = (b64: string) => new Uint8Array(Buffer.from(b64, 'base64'));
  return { ...s, filterPixels: bytes(s.filterPixels), mapPixels: bytes(s.mapPixels) };
}

/** ReLU(conv2d(x, w, b)) in float64: x one 28x28 image, w [O, 1, 5, 5], valid padding, stride 1. */
function convRelu(x: number[], w: number[], b: number[], O: number, K: number, H: number): Float64Array {
  const P = H - K + 1;
  const out = new Float64Array(O * P * P);
  for (let o = 0; o < O; o++) {
    for (let i = 0; i < P; i++) {
      for (let j = 0; j < P; j++) {
        let s = b[o];
        for (let u = 0; u < K; u++) for (let v = 0; v < K; v++) s += w[(o * K + u) * K + v] * x[(i + u) * H + j + v];
        out[(o * P + i) * P + j] = Math.max(0, s);
      }
    }
  }
  return out;
}

/** Largest per-channel difference between drawn pixels and the expected ones; pixels of tiles in `skip` are left out. */
function maxPixelDiff(drawn: Uint8Array, expected: Uint8ClampedArray, l: TileLayout, skip = new Set<number>()): number {
  expect(drawn.length).toBe(expected.length);
  const tw = l.w * l.scale + l.gap;
  const th = l.h * l.scale + l.gap;
  let worst = 0;
  for (let p = 0; p < expected.length; p += 4) {
    const x = (p / 4) % l.width;
    const y = Math.floor(p / 4 / l.width);
    if (skip.has(Math.floor(y / th) * l.cols + Math.floor(x / tw))) continue;
    for (let c = 0; c < 4; c++) worst = Math.max(worst, Math.abs(drawn[p + c] - expected[p + c]));
  }
  return worst;
}

/** Number of distinct colours in RGBA pixels (a blank or constant canvas has one or two). */
function colours(px: ArrayLike<number>): number {
  const seen = new Set<number>();
  for (let p = 0; p < px.length; p += 4) seen.add((px[p] << 16) | (px[p + 1] << 8) | px[p + 2]);
  return seen.size;
}

/** The snapshot's canvases against the pictures of its tensors: filters exactly, feature maps of the input within fp32. */
function checkCnnViews(s: CnnSnapshot): void {
  const [O, C, K] = s.filters.shape;
  expect([C, K]).toEqual([1, 5]);
  const fl = filterLayout(O, K, K);
  expect(s.filterSize).toEqual([fl.width, fl.height]);
  const expectedFilters = renderTiles(s.filters.values, fl, 'signed');
  expect(colours(expectedFilters)).toBeGreaterThan(100); // 30 x 25 trained weights: not blank
  expect(maxPixelDiff(s.filterPixels, expectedFilters, fl)).toBe(0);

  expect(s.input).not.toBeNull();
  const maps = convRelu(s.input!, s.filters.values, s.filters.bias, O, K, 28);
  const ml = mapLayout(O, 24, 24);
  expect(s.mapSize).toEqual([ml.width, ml.height]);
  // A map whose largest value is near 0 is scaled by a number fp32 rounding dominates: not compared.
  const faint = new Set<number>();
  for (let o = 0; o < O; o++) if (Math.max(...maps.subarray(o * 576, (o + 1) * 576)) < 1e-3) faint.add(o);
  expect(faint.size).toBeLessThan(O / 2);
  const expectedMaps = renderTiles(maps, ml, 'positive');
  expect(colours(expectedMaps)).toBeGreaterThan(100);
  expect(maxPixelDiff(s.mapPixels, expectedMaps, ml, faint)).toBeLessThanOrEqual(2);
}

/**
 * One browser and dev server per engine, shared by the tests (a launch is most of a test's time
 * on this machine): each test navigates the page to its own self-test query.
 */
function demoSession(engine: BrowserName) {
  let page: Page | null = null;
  let ctx: HarnessContext | null = null;
  let release = () => {};
  let closed: Promise<unknown> = Promise.resolve();
  return {
    async open(): Promise<void> {
      await ensureDemoData();
      await new Promise<void>((ready, fail) => {
        closed = withBrowserPage('demo/index.html', (p, c) => {
          [page, ctx] = [p, c];
          ready();
          return new Promise<void>((r) => (release = r));
        }, { browser: engine, timeoutMs: 240_000 }).catch(fail);
      });
    },
    async close(): Promise<void> {
      release();
      await closed;
    },
    /** Load the page with `query` and wait for its window.__results. */
    async run<T>(query: string): Promise<{ page: Page; r: T }> {
      await page!.goto(`${ctx!.url}?${query}`, { waitUntil: 'load' });
      return { page: page!, r: await pageResults<T>(page!, { timeoutMs: 240_000, logs: ctx!.logs }) };
    },
  };
}

/** Draw a roughly vertical stroke on the pad with the mouse (a "1"), from (x, top) leaning by `lean`. */
async function drawStroke(page: Page, x: number, top: number, step: number, lean = 0): Promise<void> {
  await page.click('#clear');
  const box = (await (await page.$('#pad'))!.boundingBox())!;
  await page.mouse.move(box.x + box.width * x, box.y + box.height * top);
  await page.mouse.down();
  for (let k = 1; k <= 10; k++) await page.mouse.move(box.x + box.width * (x - lean * k), box.y + box.height * (top + step * k));
  await page.mouse.up();
}

for (const engine of suiteBrowsers()) {
const gate = browserGate(engine);
describe.skipIf(gate.skip)(`demo page (${BROWSER_TITLE[engine]})${gate.skip ? ` — skipped: ${gate.reason}` : ''}`, () => {
  const session = demoSession(engine);
  beforeAll(() => session.open(), 240_000);
  afterAll(() => session.close(), 60_000);

  it('trains in the page, plots, and predicts a test digit and a digit drawn with the mouse', async () => {
    const { page, r } = await session.run<SelfTest>('selftest&epochs=1&limit=1000');
    // draw a "1": a vertical stroke in the middle of the pad
    await drawStroke(page, 0.5, 0.2, 0.06);
    await page.waitForFunction(() => /^[0-9]$/.test(document.getElementById('guess')!.textContent ?? ''), { timeout: 60_000 });
    const { guess, bars, chartInk } = await page.evaluate(() => {
      const c = document.getElementById('lossChart') as HTMLCanvasElement;
      const px = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let ink = 0;
      for (let i = 0; i < px.length; i += 4) if (px[i + 2] > 120 && px[i] < 80) ink++; // the blue loss curve
      return {
        guess: document.getElementById('guess')!.textContent,
        bars: document.querySelectorAll('#bars .bar').length,
        chartInk: ink,
      };
    });
    expect(r.trainCount).toBe(1000);
    expect(r.epochs).toHaveLength(1);
    expect(r.epochs[0].testAccuracy).toBeGreaterThan(0.5); // 10 Adam steps; chance is 0.1
    expect(r.lossPoints).toBeGreaterThan(0);
    expect(r.predicted).toBeGreaterThanOrEqual(0);
    expect(r.predictedFromPad).not.toBeNull();
    expect(guess).toMatch(/^[0-9]$/);
    expect(bars).toBe(10);
    expect(chartInk).toBeGreaterThan(20);
  }, 300_000);

  it('trains the CNN a few steps and draws its filters and the feature maps of a drawn digit from its tensors', async () => {
    const { page, r } = await session.run<SelfTest>('selftest&model=cnn&epochs=1&limit=180&batch=30&testLimit=100&logEvery=3');
    const before = await cnnSnapshot(page); // maps of test digit 0
    // draw a "1" with the mouse: the maps are redrawn for it
    await drawStroke(page, 0.55, 0.15, 0.07, 0.01);
    await page.waitForFunction((n: number) => (window as unknown as { __views: { mapDraws: number } }).__views.mapDraws > n, { timeout: 60_000 }, before.mapDraws);
    const after = await cnnSnapshot(page);
    expect(r.model).toBe('cnn');
    expect(r.trainCount).toBe(180);
    expect(r.epochs).toHaveLength(1);
    expect(r.epochs[0].testAccuracy).toBeGreaterThan(0.15); // 6 Adam steps; chance is 0.1
    // Filters drawn before training, at steps 3 and 6 and after: they changed as it trained,
    // and the last drawing is of the weights the model has now.
    expect(r.filterDraws).toBe(4);
    expect(r.filter0[0]).not.toEqual(r.filter0[3]);
    expect(r.filter0[3]).toEqual(before.filters.values.slice(0, 25));
    checkCnnViews(before);
    checkCnnViews(after);
    expect(after.input).not.toEqual(before.input);
    expect(after.mapPixels).not.toEqual(before.mapPixels);
  }, 300_000);

  it('trains a GPT in a Web Worker and streams its text while the main thread keeps running', async () => {
    ensureDemoCorpus();
    const cfg = { nLayer: 1, nHead: 2, nEmbd: 32, blockSize: 32, batchSize: 8, steps: 12, logEvery: 4, charsPerReport: 8, evalEvery: 12, evalWindows: 8 };
    const query = Object.entries(cfg).map(([k, v]) => `gpt.${k}=${v}`).join('&');
    const { r } = await session.run<GptSelfTest>(`selftest=gpt&${query}`);
    // WebGPU in a dedicated worker: both Chromium and Firefox (with the harness's prefs) have it.
    expect(r.mode).toBe('worker');
    expect(r.fallbackReason).toBeNull();
    expect(r.ready.inWorker).toBe(true);
    expect(r.done).toEqual({ steps: 12, stopped: false });
    expect(r.progress.map((p) => p.step)).toEqual([4, 8, 12]);
    for (const p of r.progress) expect(Number.isFinite(p.lastLoss)).toBe(true);
    expect(r.progress[2].lastLoss).toBeLessThan(r.progress[0].lastLoss);
    // The page's timer (rescheduled whenever it runs) ran between every two reports: the main thread was never blocked for a chunk of steps.
    for (let i = 1; i < r.progress.length; i++) expect(r.progress[i].ticks).toBeGreaterThan(r.progress[i - 1].ticks);
    // Streamed: charsPerReport characters after each report, the first before training ended,
    // every one a vocabulary entry (or the <unk> id's text).
    const chars = [...r.text];
    expect(chars).toHaveLength(3 * cfg.charsPerReport);
    expect(r.textAfterReports[0]).toBeLessThan(r.progress.length);
    const vocab = new Set([...r.ready.vocab, UNK_TEXT]);
    expect(chars.filter((c) => !vocab.has(c))).toEqual([]);
    expect(r.ready.vocab.length).toBeGreaterThan(60);
    expect(r.evals).toHaveLength(1);
    expect(Number.isFinite(r.evals[0].valLoss) && r.evals[0].bigramLoss > 0).toBe(true);
    // "Save weights" clicked on the main thread mid-run; the worker moved a safetensors file back.
    expect(r.checkpoint).not.toBeNull();
    expect(r.checkpoint!.afterReports).toBeLessThan(r.progress.length);
    expect(r.checkpoint!.keys).toEqual(expect.arrayContaining(['transformer.wte.weight', 'transformer.h.0.attn.c_attn.weight', 'lm_head.weight']));
    expect(r.checkpoint!.bytes).toBeGreaterThan(4 * r.ready.params);
  }, 300_000);
});
}
