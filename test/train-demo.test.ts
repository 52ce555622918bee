// The demo page (npm run demo) in headless Chromium and Firefox: it loads the digits served as
// IDX, trains in the page on WebGPU, draws live curves, and predicts a digit drawn with the mouse.
// Skipped only when the engine is missing outside CI (scripts/browser-harness.ts browserGate).
import { describe, expect, it } from 'vitest';
import { BROWSER_TITLE, browserGate, pageResults, suiteBrowsers, withBrowserPage } from '../scripts/browser-harness.ts';
import { ensureDemoData } from '../scripts/demo-data.ts';

interface SelfTest {
  epochs: { epoch: number; testAccuracy: number; trainLoss: number }[];
  trainCount: number;
  label: number;
  predicted: number;
  predictedFromPad: number | null;
  lossPoints: number;
}

for (const engine of suiteBrowsers()) {
const gate = browserGate(engine);
describe.skipIf(gate.skip)(`demo page (${BROWSER_TITLE[engine]})${gate.skip ? ` — skipped: ${gate.reason}` : ''}`, () => {
  it('trains in the page, plots, and predicts a test digit and a digit drawn with the mouse', async () => {
    await ensureDemoData();
    const { r, guess, bars, chartInk } = await withBrowserPage(
      'demo/index.html',
      async (page, ctx) => {
        const r = await pageResults<SelfTest>(page, { timeoutMs: 240_000, logs: ctx.logs });
        // draw a "1": a vertical stroke in the middle of the pad
        await page.click('#clear');
        const box = (await (await page.$('#pad'))!.boundingBox())!;
        await page.mouse.move(box.x + box.width / 2, box.y + box.height * 0.2);
        await page.mouse.down();
        for (let k = 1; k <= 10; k++) await page.mouse.move(box.x + box.width / 2, box.y + box.height * (0.2 + 0.06 * k));
        await page.mouse.up();
        await page.waitForFunction(() => /^[0-9]$/.test(document.getElementById('guess')!.textContent ?? ''), { timeout: 60_000 });
        return page.evaluate(() => {
          const c = document.getElementById('lossChart') as HTMLCanvasElement;
          const px = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
          let ink = 0;
          for (let i = 0; i < px.length; i += 4) if (px[i + 2] > 120 && px[i] < 80) ink++; // the blue loss curve
          return {
            r: (window as unknown as { __results: SelfTest }).__results,
            guess: document.getElementById('guess')!.textContent,
            bars: document.querySelectorAll('#bars .bar').length,
            chartInk: ink,
          };
        });
      },
      { browser: engine, query: 'selftest&epochs=1&limit=1000', timeoutMs: 240_000 },
    );
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
});
}
