// `npm start -- --model gpt`: a character-level GPT (src/models/gpt.ts, nanoGPT's model) trained
// on the fortune databases of Debian's `fortunes` and `fortunes-min` packages (src/data/text.ts:
// every 10th whole fortune is validation, the rest training; the vocabulary is the training
// text's characters plus <unk>). Before training it fits the count-based bigram model (add-k)
// on the training text and prints its validation loss: the number to beat. Training draws
// random windows from a seed (AdamW with weight decay on matrices only, gradient-norm clipping,
// linear warm-up then cosine decay to lr / 10), with a progress bar (tokens/s, loss), a
// validation loss and a sampled fortune after each epoch, then the validation loss against the
// bigram's on the same characters, and writes chart.svg (losses and the bigram line),
// log.json, samples.txt and model.safetensors (nanoGPT's names) under --out.
//
// Validation: after each epoch on --val-windows evenly spaced windows of the validation text,
// at the end on --final-val-windows of them (512 x 64 = 32,768 characters, an eighth of it, by
// default; 'all' for every window: minutes of forward passes on a loaded machine).
//
// By default training runs for a time budget (--time seconds, split into --epochs equal
// slices; the learning-rate schedule follows the elapsed fraction of the budget, so it ends
// decayed however fast the machine is). --steps N trains a fixed number of steps instead
// (schedule by step: the same run on every machine).
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { adapterInfo, clipGradNorm, init } from '../src/index.ts';
import { AdamW, weightDecayGroups } from '../src/optim/index.ts';
import { toSafetensors } from '../src/nn/index.ts';
import { CharVocab, FORTUNE_FILES, FORTUNE_SEPARATOR, FORTUNES_DIR, TextWindows, loadFortunes, splitFortunes } from '../src/data/index.ts';
import { BigramModel, evaluateLm, lmChartSvg, trainSteps, type LmProgress } from '../src/train/index.ts';
import { GPT } from '../src/models/gpt.ts';

export const GPT_USAGE =
  'usage: npm start -- --model gpt [--layers 2] [--heads 4] [--embd 64] [--block 64] [--batch 32] [--lr 6e-3]\n' +
  '                   [--weight-decay 0.1] [--clip 1] [--dropout 0] [--time 230 | --steps N] [--epochs 6] [--val-windows 64]\n' +
  '                   [--final-val-windows 512|all] [--sample-chars 120] [--temperature 0.8] [--top-k 0] [--bigram-k 1]\n' +
  `                   [--files ${FORTUNE_FILES.slice(0, 3).join(',')},...] [--fortunes-dir ${FORTUNES_DIR}] [--seed 1] [--out reports/gpt]`;

const OPTIONS = {
  model: { type: 'string' },
  layers: { type: 'string', default: '2' },
  heads: { type: 'string', default: '4' },
  embd: { type: 'string', default: '64' },
  block: { type: 'string', default: '64' },
  batch: { type: 'string', default: '32' },
  lr: { type: 'string', default: '6e-3' },
  'weight-decay': { type: 'string', default: '0.1' },
  clip: { type: 'string', default: '1' },
  dropout: { type: 'string', default: '0' },
  time: { type: 'string' },
  steps: { type: 'string' },
  epochs: { type: 'string', default: '6' },
  'val-windows': { type: 'string', default: '64' },
  'final-val-windows': { type: 'string', default: '512' },
  'sample-chars': { type: 'string', default: '120' },
  temperature: { type: 'string', default: '0.8' },
  'top-k': { type: 'string', default: '0' },
  'bigram-k': { type: 'string', default: '1' },
  files: { type: 'string' },
  'fortunes-dir': { type: 'string', default: FORTUNES_DIR },
  seed: { type: 'string', default: '1' },
  out: { type: 'string', default: 'reports/gpt' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

function fail(msg: string): never {
  console.error(`train: ${msg}`);
  process.exit(2);
}

function intArg(name: string, v: string | undefined, min: number): number {
  const n = Number(v);
  if (v === undefined || !Number.isInteger(n) || n < min) fail(`--${name} must be an integer >= ${min}, got '${v}'`);
  return n;
}

function numArg(name: string, v: string | undefined, ok: (n: number) => boolean, what: string): number {
  const n = Number(v);
  if (v === undefined || v.trim() === '' || !Number.isFinite(n) || !ok(n)) fail(`--${name} must be ${what}, got '${v}'`);
  return n;
}

/** Parse the options (exit 2 with a message on a bad one), train, report. Returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const parsed = (() => {
    try {
      return parseArgs({ args: argv, options: OPTIONS });
    } catch (e) {
      return fail(`${(e as Error).message}\n${GPT_USAGE}`); // an unknown flag or a flag without its value
    }
  })();
  const a = parsed.values;
  if (a.help) {
    console.log(GPT_USAGE);
    return 0;
  }

  const cfg = {
    nLayer: intArg('layers', a.layers, 1),
    nHead: intArg('heads', a.heads, 1),
    nEmbd: intArg('embd', a.embd, 1),
    blockSize: intArg('block', a.block, 1),
    batch: intArg('batch', a.batch, 1),
    lr: numArg('lr', a.lr, (n) => n > 0, 'a positive number'),
    weightDecay: numArg('weight-decay', a['weight-decay'], (n) => n >= 0, 'a number >= 0'),
    clip: numArg('clip', a.clip, (n) => n >= 0, 'a number >= 0 (0: no clipping)'),
    dropout: numArg('dropout', a.dropout, (n) => n >= 0 && n < 1, 'a number in [0, 1)'),
    epochs: intArg('epochs', a.epochs, 1),
    steps: a.steps === undefined ? undefined : intArg('steps', a.steps, 1),
    time: a.time === undefined ? undefined : numArg('time', a.time, (n) => n > 0, 'a positive number of seconds'),
    valWindows: intArg('val-windows', a['val-windows'], 1),
    finalValWindows: a['final-val-windows'] === 'all' ? undefined : intArg('final-val-windows', a['final-val-windows'], 1),
    sampleChars: intArg('sample-chars', a['sample-chars'], 0),
    temperature: numArg('temperature', a.temperature, (n) => n > 0, 'a positive number'),
    topK: intArg('top-k', a['top-k'], 0),
    bigramK: numArg('bigram-k', a['bigram-k'], (n) => n > 0, 'a positive number'),
    seed: intArg('seed', a.seed, 0),
  };
  if (cfg.nEmbd % cfg.nHead !== 0) fail(`--embd (${cfg.nEmbd}) must be a multiple of --heads (${cfg.nHead})`);
  if (cfg.nEmbd / cfg.nHead > 128) fail(`--embd / --heads (the head dimension, ${cfg.nEmbd / cfg.nHead}) must be <= 128`);
  if (cfg.steps !== undefined && cfg.steps < cfg.epochs) fail(`--steps (${cfg.steps}) must be at least --epochs (${cfg.epochs})`);
  const budget = cfg.steps === undefined ? (cfg.time ?? 230) : cfg.time; // seconds of training, or none
  const files = a.files === undefined ? [...FORTUNE_FILES] : a.files.split(',').filter((f) => f !== '');
  if (!files.length) fail('--files must name at least one fortune database');
  const outDir = a.out!;
  process.env.WEBGRAD_QUIET ??= '1';
  const tty = process.stderr.isTTY;
  const t0 = performance.now();
  const since = () => (performance.now() - t0) / 1000;
  const load0 = loadavg()[0];

  const adapter = await init();
  console.log(`webgrad: ${adapter.description || adapter.device || adapter.vendor} (driver ${adapterInfo().driver}); load average ${load0.toFixed(1)}`);
  const corpus = loadFortunes({ dir: a['fortunes-dir'], files });
  const split = splitFortunes(corpus.fortunes);
  const vocab = CharVocab.fromText(split.train);
  const trainIds = vocab.encode(split.train);
  const valIds = vocab.encode(split.val);
  const train = new TextWindows(trainIds, cfg.blockSize, { seed: cfg.seed });
  const val = new TextWindows(valIds, cfg.blockSize);
  const dataName = `fortunes (${files.length} database${files.length === 1 ? '' : 's'} in ${a['fortunes-dir']}), every 10th fortune held out`;
  console.log(
    `data: ${dataName}: ${split.trainFortunes} train fortunes (${trainIds.length} chars), ${split.valFortunes} validation (${valIds.length} chars, ` +
      `${vocab.countUnknown(valIds)} <unk>); vocabulary ${vocab.size} (${vocab.chars.length} characters + <unk>)`,
  );

  // The baseline, scored on exactly the characters the GPT is scored on (the windows' targets).
  const bigram = BigramModel.fit(trainIds, vocab.size, { k: cfg.bigramK });
  const bigramOn = (indices: Int32Array) => {
    const w = val.tileWindows(indices);
    return bigram.crossEntropyPairs(w.x, w.y);
  };
  const epochIdx = val.tileIndices(cfg.valWindows);
  const finalIdx = val.tileIndices(cfg.finalValWindows);
  const bigramAll = bigram.crossEntropy(valIds);
  const bigramEpoch = bigramOn(epochIdx);
  const bigramFinal = bigramOn(finalIdx);
  console.log(
    `bigram baseline (add-${cfg.bigramK} counts of the training text): validation ${bigramAll.toFixed(4)} nats/char ` +
      `(${bigramFinal.toFixed(4)} on the ${finalIdx.length * cfg.blockSize} chars of the final evaluation): the number to beat`,
  );

  const model = new GPT({ vocabSize: vocab.size, blockSize: cfg.blockSize, nLayer: cfg.nLayer, nHead: cfg.nHead, nEmbd: cfg.nEmbd, dropout: cfg.dropout, seed: cfg.seed });
  const warmup = cfg.steps === undefined ? 50 : Math.min(50, Math.ceil(cfg.steps / 10));
  let tTrain = 0; // seconds of training done before the current trainSteps call
  let callStart = performance.now();
  const progressOf = (step: number) => (cfg.steps !== undefined ? step / cfg.steps : Math.min(1, (tTrain + (performance.now() - callStart) / 1000) / budget!));
  // Warm-up by steps in both modes: ending it by time (a tenth of the budget) let the first
  // epoch's slow steps (shader compiles) reach the full lr within ~20 steps, and those runs
  // learned far slower per step (2.67 vs 2.42 validation after 300 steps).
  const warm = (step: number) => Math.min(1, (step + 1) / warmup);
  const lrAt = (step: number) => cfg.lr * warm(step) * (0.1 + 0.45 * (1 + Math.cos(Math.PI * progressOf(step))));
  // nanoGPT's recipe: decay on matrices and embeddings only, gradients clipped to norm 1.
  const opt = new AdamW(weightDecayGroups(model, cfg.weightDecay), { lr: cfg.lr, betas: [0.9, 0.99], scheduler: lrAt });
  const params = model.parameters();
  const clip = () => void clipGradNorm(params, cfg.clip);
  const plan = cfg.steps !== undefined ? `${cfg.steps} steps${budget ? ` (at most ${budget} s)` : ''}` : `${budget} s of training`;
  console.log(
    `model: GPT ${cfg.nLayer} layers, ${cfg.nHead} heads, d ${cfg.nEmbd}, context ${cfg.blockSize}, ${model.numParameters()} parameters; ` +
      `AdamW lr ${cfg.lr} (warm-up ${warmup} steps, cosine to ${+(cfg.lr / 10).toPrecision(3)}), weight decay ${cfg.weightDecay} on matrices, ` +
      `${cfg.clip > 0 ? `gradient norm clipped to ${cfg.clip}` : 'no clipping'}, batch ${cfg.batch}; ${plan} in ${cfg.epochs} epochs`,
  );

  const prompt = vocab.encode(FORTUNE_SEPARATOR);
  const sample = async (n: number, seed: number): Promise<string> => {
    const rows = await model.eval().generate([Array.from(prompt)], n, { temperature: cfg.temperature, topK: cfg.topK || undefined, seed });
    model.train();
    return vocab.decode(rows[0].slice(prompt.length));
  };

  const epochs: { epoch: number; trainLoss: number; valLoss: number; steps: number; seconds: number; tokensPerSec: number }[] = [];
  const stepLosses: number[] = [];
  const samples: string[] = [];
  let step = 0;
  for (let e = 0; e < cfg.epochs; e++) {
    const epochSteps = cfg.steps !== undefined ? Math.floor((cfg.steps * (e + 1)) / cfg.epochs) - Math.floor((cfg.steps * e) / cfg.epochs) : 100_000;
    callStart = performance.now();
    const deadline = budget === undefined ? undefined : callStart + ((budget * (e + 1)) / cfg.epochs - tTrain) * 1000;
    const onProgress = (p: LmProgress) => {
      if (tty) process.stderr.write(`\r${formatLmProgress(e, cfg.epochs, p, progressOf(step + p.step), cfg.steps !== undefined)}\x1b[K`);
    };
    const r = await trainSteps(model, opt, train, { first: step, steps: epochSteps, batchSize: cfg.batch, logEvery: 5, onProgress, deadline, beforeStep: cfg.clip > 0 ? clip : undefined });
    tTrain += r.seconds;
    step += r.steps;
    stepLosses.push(...r.losses);
    const ev = await evaluateLm(model, val, { maxWindows: cfg.valWindows, batchSize: 32 });
    const trainLoss = r.losses.reduce((s, l) => s + l, 0) / Math.max(1, r.steps);
    epochs.push({ epoch: e + 1, trainLoss, valLoss: ev.loss, steps: r.steps, seconds: r.seconds, tokensPerSec: r.tokens / r.seconds });
    if (tty) process.stderr.write('\r\x1b[K');
    console.log(
      `epoch ${e + 1}/${cfg.epochs}  train ${trainLoss.toFixed(4)}  val ${ev.loss.toFixed(4)} (bigram ${bigramEpoch.toFixed(4)} on these ${ev.tokens} chars)  ` +
        `${r.steps} steps, ${(r.tokens / r.seconds).toFixed(0)} tokens/s, lr ${opt.lr.toExponential(2)} (${since().toFixed(0)} s total)`,
    );
    if (cfg.sampleChars > 0) {
      const s = await sample(cfg.sampleChars, cfg.seed + e);
      samples.push(s);
      console.log(`  sample: ${printable(s).replace(/\n/g, '\n          ')}`);
    }
  }

  const final = await evaluateLm(model, val, { maxWindows: cfg.finalValWindows, batchSize: 32 });
  const wall = since();
  const margin = bigramFinal - final.loss;
  const load1 = loadavg()[0];
  console.log(
    `validation: GPT ${final.loss.toFixed(4)} nats/char vs bigram ${bigramFinal.toFixed(4)} on the same ${final.tokens} chars: ` +
      `${margin >= 0 ? `${margin.toFixed(4)} lower` : `${(-margin).toFixed(4)} HIGHER`} (${step} steps, ${tTrain.toFixed(0)} s of training, ${wall.toFixed(0)} s in all; load average ${load0.toFixed(1)} -> ${load1.toFixed(1)})`,
  );
  mkdirSync(outDir, { recursive: true });
  const title = `char GPT ${cfg.nLayer}x${cfg.nEmbd}, context ${cfg.blockSize}, on fortunes: val ${final.loss.toFixed(3)} vs bigram ${bigramFinal.toFixed(3)} nats/char`;
  writeFileSync(join(outDir, 'chart.svg'), lmChartSvg({ title, stepLosses, epochs, baseline: { label: `bigram (add-${cfg.bigramK}) validation`, value: bigramEpoch } }));
  writeFileSync(join(outDir, 'samples.txt'), samples.map((s, i) => `--- after epoch ${i + 1}\n${s}\n`).join(''));
  writeFileSync(
    join(outDir, 'log.json'),
    JSON.stringify(
      {
        config: { model: 'gpt', ...cfg, budgetSeconds: budget ?? null, files },
        adapter: `${adapter.description} (${adapter.driver})`,
        data: { name: dataName, trainFortunes: split.trainFortunes, valFortunes: split.valFortunes, trainChars: trainIds.length, valChars: valIds.length, vocabSize: vocab.size },
        bigram: { k: cfg.bigramK, valLoss: bigramAll, valLossEpochWindows: bigramEpoch, valLossFinalWindows: bigramFinal },
        final: { valLoss: final.loss, valChars: final.tokens, marginBelowBigram: margin, steps: step, trainSeconds: tTrain },
        wallSeconds: wall,
        loadAverage: { start: load0, end: load1 },
        epochs,
        stepLosses,
      },
      null,
      1,
    ),
  );
  writeFileSync(join(outDir, 'model.safetensors'), await toSafetensors(model));
  console.log(`wrote ${outDir}/chart.svg, log.json, samples.txt, model.safetensors`);
  return 0;
}

/** "epoch 2/6 [######......] 41% step 380 loss 2.4012 (last 2.3511) 1934 tokens/s" */
function formatLmProgress(epoch: number, epochs: number, p: LmProgress, done: number, bySteps: boolean, width = 24): string {
  const filled = Math.round(Math.min(1, done) * width);
  return (
    `epoch ${epoch + 1}/${epochs} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(100 * done).toFixed(0)}%${bySteps ? '' : ' of the time'} ` +
    `loss ${p.loss.toFixed(4)} (last ${p.lastLoss.toFixed(4)}) ${p.tokensPerSec.toFixed(0)} tokens/s`
  );
}

/** Control characters of the corpus (backspace, bell) shown as ^H, ^G so a terminal prints the sample as text. */
function printable(s: string): string {
  return s.replace(/[\x00-\x08\x0b-\x1f\x7f]/g, (c) => (c === '\x7f' ? '^?' : `^${String.fromCharCode(c.charCodeAt(0) + 64)}`));
}
