// The demo's GPT run, written once for the two places it can run: a dedicated Web Worker
// (demo/gpt-worker.ts, the normal case: the page stays responsive) and the page itself (the
// fallback for a browser whose workers have no WebGPU). It talks only through `emit`, never to
// the DOM, and imports webgrad by its package name, as an application's worker would.
//
// The corpus is `npm start -- --model gpt`'s: the fortune databases (demo/data/fortunes.txt,
// written by scripts/demo-data.ts in the databases' own format), the same split by whole
// fortunes, the same character vocabulary and the same model family.
import {
  AdamW, BigramModel, CharVocab, FORTUNE_SEPARATOR, GPT, TextWindows, adapterInfo, evaluateLm, init, optim,
  parseFortunes, splitFortunes, toSafetensors, trainSteps,
} from 'webgrad';
import type { FromWorker, GptRunConfig } from './gpt-protocol.ts';

/** What the side that receives messages can ask of a run in progress (checked between chunks of steps). */
export interface GptControl {
  stop: boolean;
  checkpoint: boolean;
}

export type Emit = (m: FromWorker, transfer?: Transferable[]) => void;

/** The text of the <unk> id in streamed samples. */
export const UNK_TEXT = '\uFFFD';

/**
 * Fetch the corpus, build the vocabulary, the model and the optimizer, then train `cfg.steps`
 * steps in chunks of `cfg.logEvery`; after each chunk report the loss and extend one running
 * sample by `cfg.charsPerReport` characters, streamed one message per character.
 */
export async function runGpt(corpusUrl: string, cfg: GptRunConfig, emit: Emit, ctl: GptControl): Promise<void> {
  const adapter = await init();
  const res = await fetch(corpusUrl);
  if (!res.ok) throw new Error(`could not fetch ${corpusUrl} (${res.status}); run: npx tsx scripts/demo-data.ts`);
  const split = splitFortunes(parseFortunes(await res.text()));
  const vocab = CharVocab.fromText(split.train);
  const trainIds = vocab.encode(split.train);
  const train = new TextWindows(trainIds, cfg.blockSize, { seed: cfg.seed });
  const val = new TextWindows(vocab.encode(split.val), cfg.blockSize);
  const bigram = BigramModel.fit(trainIds, vocab.size);
  const model = new GPT({ vocabSize: vocab.size, blockSize: cfg.blockSize, nLayer: cfg.nLayer, nHead: cfg.nHead, nEmbd: cfg.nEmbd, seed: cfg.seed });
  // nanoGPT's split: weight decay on matrices only, not on biases and LayerNorm weights.
  const opt = new AdamW(optim.weightDecayGroups(model, 0.1), { lr: cfg.lr, betas: [0.9, 0.99] });
  emit({
    type: 'ready', inWorker: typeof document === 'undefined', adapter: `${adapterInfo().description || adapter.vendor || 'WebGPU adapter'} (${adapter.driver})`,
    vocab: [...vocab.chars], trainChars: split.train.length, valChars: split.val.length, params: model.numParameters(),
  });
  const t0 = performance.now();
  let sample = Array.from(vocab.encode(FORTUNE_SEPARATOR));
  let step = 0;
  const sendCheckpoint = async () => {
    ctl.checkpoint = false;
    const bytes = await toSafetensors(model);
    const buf = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes.buffer : bytes.slice().buffer;
    emit({ type: 'checkpoint', bytes: buf as ArrayBuffer }, [buf as ArrayBuffer]); // moved to the page, not copied
  };
  try {
    while (step < cfg.steps && !ctl.stop) {
      const n = Math.min(cfg.logEvery, cfg.steps - step);
      const r = await trainSteps(model, opt, train, {
        first: step, steps: n, batchSize: cfg.batchSize, logEvery: n,
        onProgress: (p) => emit({
          type: 'progress', step: step + p.step, steps: cfg.steps, loss: p.loss, lastLoss: p.lastLoss, tokensPerSec: p.tokensPerSec,
          elapsed: (performance.now() - t0) / 1000,
        }),
      });
      step += r.steps;
      const at = step;
      const rows = await model.eval().generate([sample.slice(-cfg.blockSize)], cfg.charsPerReport, {
        temperature: cfg.temperature, seed: cfg.seed + step,
        onToken: (tokens) => emit({ type: 'text', step: at, text: vocab.decode(tokens, UNK_TEXT) }),
      });
      model.train();
      sample = rows[0].slice(-cfg.blockSize);
      if (cfg.evalEvery > 0 && (step % cfg.evalEvery === 0 || step >= cfg.steps)) {
        const ev = await evaluateLm(model, val, { maxWindows: cfg.evalWindows, batchSize: 32 });
        const w = val.tileWindows(ev.indices);
        emit({ type: 'eval', step, valLoss: ev.loss, bigramLoss: bigram.crossEntropyPairs(w.x, w.y) });
      }
      if (ctl.checkpoint) await sendCheckpoint();
    }
    if (ctl.checkpoint) await sendCheckpoint();
    emit({ type: 'done', steps: step, stopped: step < cfg.steps });
  } finally {
    opt.dispose();
    model.dispose();
  }
}
