// The path of `npm start -- --model gpt`, kept cheap: a tiny GPT trained for a few dozen steps
// on a small text learns (loss finite and falling, validation below the uniform model), with
// one submit per step; then the job itself runs for a few steps on one fortune database and
// writes its report, and its options are validated.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AdamW, CharVocab, TextWindows, evaluateLm, memory, runtime, trainSteps } from '../src/index.ts';
import { GPT } from '../src/models/gpt.ts';
import { platform } from '#platform';

const hasFortunes = platform.firstExisting(['/usr/share/games/fortunes/riddles']) !== undefined;

const TEXT = Array.from({ length: 40 }, (_, i) => `the cat sat on mat ${i % 7}.\n%\n`).join('');

describe('next-character training (trainSteps, evaluateLm)', () => {
  it('a tiny GPT learns a small text: loss finite and falling, validation below uniform, one submit per step', async () => {
    const vocab = CharVocab.fromText(TEXT);
    const ids = vocab.encode(TEXT);
    const train = new TextWindows(ids, 16, { seed: 2 });
    const model = new GPT({ vocabSize: vocab.size, blockSize: 16, nLayer: 1, nHead: 2, nEmbd: 16, seed: 3 });
    const opt = new AdamW(model, { lr: 1e-2, weightDecay: 0 });
    const rt = runtime();
    const before = { ...rt.stats };
    const progress: number[] = [];
    const r = await trainSteps(model, opt, train, { steps: 40, batchSize: 8, logEvery: 20, onProgress: (p) => void progress.push(p.step) });
    expect(rt.stats.submits - before.submits).toBe(40 + 3); // a step each, and 3 loss-history reads (2 progress + the end)
    expect(progress).toEqual([20, 40]);
    expect(r.steps).toBe(40);
    expect(r.tokens).toBe(40 * 8 * 16);
    expect(Array.from(r.losses).every(Number.isFinite)).toBe(true);
    const head = (r.losses[0] + r.losses[1] + r.losses[2]) / 3;
    const tail = (r.losses[37] + r.losses[38] + r.losses[39]) / 3;
    expect(head).toBeGreaterThan(Math.log(vocab.size) - 0.5); // starts near uniform
    expect(tail).toBeLessThan(head - 1);
    const ev = await evaluateLm(model, new TextWindows(ids, 16), { maxWindows: 8, batchSize: 4 });
    expect(ev.tokens).toBe(8 * 16);
    expect(ev.loss).toBeLessThan(Math.log(vocab.size) - 1);
    // memory stays flat: after the optimizer state exists, more steps and evaluations keep nothing
    const live = memory().liveTensors;
    const again = await trainSteps(model, opt, train, { first: 40, steps: 2, batchSize: 8 });
    await evaluateLm(model, new TextWindows(ids, 16), { maxWindows: 2 });
    expect(again.steps).toBe(2);
    expect(memory().liveTensors).toBe(live);
    opt.dispose();
    model.dispose();
  }, 60_000);
});

const job = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', '--conditions=webgrad-source', 'scripts/train.ts', '--model', 'gpt', ...args], {
    cwd: new URL('..', import.meta.url),
    encoding: 'utf8',
    timeout: 150_000,
    env: { ...process.env, WEBGRAD_QUIET: '1' },
  });

describe('npm start -- --model gpt', () => {
  it.skipIf(!hasFortunes)('a few steps on one database: baseline, epochs, samples, final comparison and the report files', () => {
    const out = mkdtempSync(join(tmpdir(), 'webgrad-gpt-'));
    try {
      const r = job(
        '--files', 'riddles', '--steps', '6', '--epochs', '2', '--layers', '1', '--heads', '2', '--embd', '16', '--block', '16', '--batch', '4',
        '--lr', '1e-2', '--val-windows', '4', '--final-val-windows', '8', '--sample-chars', '12', '--out', out,
      );
      expect(r.stderr).not.toMatch(/Error/);
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/bigram baseline \(add-1 counts of the training text\): validation \d\.\d{4} nats\/char/);
      expect(r.stdout).toMatch(/epoch 2\/2 {2}train \d\.\d{4} {2}val \d\.\d{4}/);
      expect(r.stdout).toMatch(/validation: GPT \d\.\d{4} nats\/char vs bigram \d\.\d{4} on the same 128 chars/);
      const log = JSON.parse(readFileSync(join(out, 'log.json'), 'utf8'));
      expect(log.config).toMatchObject({ model: 'gpt', nLayer: 1, steps: 6, files: ['riddles'] });
      expect(log.stepLosses).toHaveLength(6);
      expect(log.stepLosses.every(Number.isFinite)).toBe(true);
      expect(log.epochs.map((e: { steps: number }) => e.steps)).toEqual([3, 3]);
      expect(Number.isFinite(log.final.valLoss)).toBe(true);
      expect(log.final.marginBelowBigram).toBeCloseTo(log.bigram.valLossFinalWindows - log.final.valLoss, 10);
      const svg = readFileSync(join(out, 'chart.svg'), 'utf8');
      expect(svg).toMatch(/^<svg[^]*bigram \(add-1\) validation/);
      expect(svg.match(/<path /g)).toHaveLength(4); // step losses, epoch means, validation, the bigram line
      expect(readFileSync(join(out, 'samples.txt'), 'utf8').match(/^--- after epoch \d$/gm)).toEqual(['--- after epoch 1', '--- after epoch 2']);
      expect(readFileSync(join(out, 'model.safetensors')).length).toBeGreaterThan(4 * log.config.nEmbd);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 160_000);

  it('refuses a bad option before any work', () => {
    const bad = job('--layers', '0');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/train: --layers must be an integer >= 1, got '0'/);
    expect(bad.stdout).not.toMatch(/bigram/);
  }, 160_000);
});
