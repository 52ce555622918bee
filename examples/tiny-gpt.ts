// A character-level GPT (webgrad's nanoGPT, src/models/gpt.ts) learns a short text and writes
// a continuation: token + position embeddings, pre-LN blocks with fused causal attention, tied
// output head, AdamW. The text is a few lines of Hamlet (public domain); it is memorised, not
// generalised: the point is the API, and that the loss falls from ln(vocab) towards 0.
//
//   npx tsx --conditions=webgrad-source examples/tiny-gpt.ts
import { pathToFileURL } from 'node:url';
import { GPT, init, optim, tensor, tidy, type Tensor } from '../src/index.ts';

const TEXT = `To be, or not to be, that is the question:
Whether 'tis nobler in the mind to suffer
The slings and arrows of outrageous fortune,
Or to take arms against a sea of troubles
And by opposing end them.`;

/** What run() reports: the losses it printed and the sampled text. */
export interface TinyGptResult {
  vocab: number;
  losses: { step: number; loss: number }[];
  sample: string;
}

export async function run(opts: { steps?: number; log?: (line: string) => void } = {}): Promise<TinyGptResult> {
  const steps = opts.steps ?? 300;
  const log = opts.log ?? console.log;
  await init({ quiet: true });
  const chars = [...new Set(TEXT)].sort();
  const encode = (s: string) => [...s].map((c) => chars.indexOf(c));
  const data = encode(TEXT);
  const [batch, block] = [8, 32];
  const model = new GPT({ vocabSize: chars.length, blockSize: block, nLayer: 2, nHead: 2, nEmbd: 48, seed: 1 });
  const opt = new optim.AdamW(model, { lr: 3e-3, weightDecay: 0 });
  log(`tiny GPT: ${model.numParameters()} parameters, vocab ${chars.length}, ${data.length} characters`);
  // Fixed, evenly spread windows (a deterministic batch per step).
  const windows = (step: number): [Tensor, Tensor] => {
    const starts = Array.from({ length: batch }, (_, b) => ((step * 7 + b * 23) % (data.length - block - 1)));
    const x = starts.flatMap((s) => data.slice(s, s + block));
    const y = starts.flatMap((s) => data.slice(s + 1, s + block + 1));
    const t = (v: number[]) => tensor(Int32Array.from(v), { shape: [batch, block], dtype: 'i32' });
    return [t(x), t(y)];
  };
  const losses: { step: number; loss: number }[] = [];
  for (let step = 1; step <= steps; step++) {
    const loss = tidy(() => {
      const [x, y] = windows(step);
      opt.zeroGrad();
      const l = model.loss(x, y);
      l.backward();
      opt.step();
      return l;
    });
    if (step === 1 || step % 50 === 0 || step === steps) {
      const v = (await loss.data())[0];
      losses.push({ step, loss: v });
      log(`step ${String(step).padStart(4)}  loss ${v.toFixed(4)}`);
    }
    loss.dispose();
  }
  const rows = await model.eval().generate([encode('To be')], 60, { temperature: 0.5, seed: 3 });
  const sample = rows[0].map((i) => chars[i]).join('');
  log(`sample: ${JSON.stringify(sample)}`);
  opt.dispose();
  model.dispose();
  return { vocab: chars.length, losses, sample };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await run();
