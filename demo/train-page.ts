// The --browser run of `npm start`: the same fit() as scripts/train.ts, in the page's WebGPU.
// Query: hidden, optimizer, lr, epochs, batch, seed, trainAcc. Progress goes to the console as
// "webgrad:progress <json>" / "webgrad:epoch <json>" lines (the harness forwards them); the
// result is window.__results (browser-harness protocol), the checkpoint base64-encoded.
import { adapterInfo, init } from '../src/index.ts';
import { toSafetensors } from '../src/nn/index.ts';
import { fit, makeOptimizer, twoLayerNet, type TrainConfig } from '../src/train/index.ts';
import { loadDemoMnist } from './data.ts';

const w = window as unknown as Record<string, unknown>;
const logEl = document.getElementById('log')!;

async function main(): Promise<void> {
  const q = new URLSearchParams(location.search);
  const num = (k: string, d: number) => (q.has(k) ? Number(q.get(k)) : d);
  const cfg: TrainConfig = {
    hidden: num('hidden', 50),
    optimizer: q.get('optimizer') === 'adam' ? 'adam' : 'sgd',
    lr: num('lr', 0.1),
    epochs: num('epochs', 20),
    batch: num('batch', 100),
    seed: num('seed', 1),
  };
  const adapter = await init();
  const data = await loadDemoMnist();
  const model = twoLayerNet(cfg, data.train.rows * data.train.cols, data.train.numClasses);
  const opt = makeOptimizer(model, cfg);
  const r = await fit(model, opt, {
    train: data.train, test: data.test, epochs: cfg.epochs, batchSize: cfg.batch, seed: cfg.seed,
    trainAccuracy: q.get('trainAcc') === 'full' ? 'full' : 'running',
    onProgress: (p) => console.log(`webgrad:progress ${JSON.stringify(p)}`),
    onEpoch: (e) => {
      console.log(`webgrad:epoch ${JSON.stringify(e)}`);
      logEl.textContent += `\nepoch ${e.epoch}: test acc ${(100 * e.testAccuracy).toFixed(2)}%`;
    },
  });
  const bytes = await toSafetensors(model);
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  w.__results = {
    adapter: `${adapterInfo().description || adapter.vendor} (${adapter.driver})`,
    trainCount: data.train.count,
    testCount: data.test.count,
    epochs: r.epochs,
    stepLosses: r.stepLosses,
    checkpoint: btoa(bin),
  };
}

main().catch((e) => {
  console.error(e);
  w.__error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
});
