// capture(): a recorded training step replays with the same numbers as eager execution, makes
// exactly one submission per step and creates no pipelines, bind groups or buffers.
import { describe, expect, it } from 'vitest';
import { capture, linear, randint, randn, runtime, softmaxCrossEntropy, memory, type Tensor } from '../src/index.ts';
import { Adam, SGD, type Optimizer } from '../src/optim/index.ts';

const BATCH = 12;

function params(): Tensor[] {
  return [
    randn([20, 16], { seed: 1, std: 0.3, requiresGrad: true }),
    randn([16], { seed: 2, std: 0.1, requiresGrad: true }),
    randn([16, 5], { seed: 3, std: 0.3, requiresGrad: true }),
    randn([5], { seed: 4, std: 0.1, requiresGrad: true }),
  ];
}

async function batches(n: number): Promise<{ x: Float32Array; y: Int32Array }[]> {
  const out = [];
  for (let i = 0; i < n; i++) {
    const x = randn([BATCH, 20], { seed: 100 + i });
    const y = randint([BATCH], 0, 5, { seed: 200 + i });
    out.push({ x: (await x.data()) as Float32Array, y: (await y.data()) as Int32Array });
    x.dispose();
    y.dispose();
  }
  return out;
}

function loss(p: Tensor[], x: Tensor, y: Tensor): Tensor {
  return softmaxCrossEntropy(linear(linear(x, p[0], p[1], 'relu'), p[2], p[3]), y);
}

async function train(makeOpt: (p: Tensor[]) => Optimizer, captured: boolean, data: { x: Float32Array; y: Int32Array }[]) {
  const p = params();
  const opt = makeOpt(p);
  const x = randn([BATCH, 20], { seed: 0 });
  const y = randint([BATCH], 0, 5, { seed: 0 });
  const body = () => {
    opt.zeroGrad();
    const l = loss(p, x, y);
    l.backward();
    opt.step();
    return l;
  };
  const step = captured ? capture(body) : null;
  const losses: number[] = [];
  let last: Tensor | null = null;
  const perStep: { submits: number; pipelines: number; bindGroups: number; buffers: number }[] = [];
  for (const b of data) {
    x.write(b.x);
    y.write(b.y);
    const rt = runtime();
    const before = { s: rt.stats.submits, p: rt.pipelines.stats.pipelinesCreated, g: rt.stats.bindGroups, b: memory().buffersCreated };
    const l = step ? step.run() : body();
    perStep.push({
      submits: rt.stats.submits - before.s,
      pipelines: rt.pipelines.stats.pipelinesCreated - before.p,
      bindGroups: rt.stats.bindGroups - before.g,
      buffers: memory().buffersCreated - before.b,
    });
    losses.push(await l.item());
    if (!step) l.dispose();
    last = l;
  }
  last?.dispose();
  const finalParams = await Promise.all(p.map((t) => t.data()));
  step?.dispose();
  opt.dispose();
  p.forEach((t) => {
    t.zeroGrad();
    t.dispose();
  });
  x.dispose();
  y.dispose();
  return { losses, finalParams, perStep, commands: step?.commands ?? 0 };
}

describe('capture', () => {
  for (const [name, make] of [
    ['SGD with momentum', (p: Tensor[]) => new SGD(p, { lr: 0.1, momentum: 0.9 })],
    ['Adam with an lr schedule', (p: Tensor[]) => new Adam(p, { lr: 0.01, scheduler: (s: number) => 0.01 / (1 + s) })],
  ] as const) {
    it(`replays a ${name} step with the eager numbers`, async () => {
      const data = await batches(6);
      const eager = await train(make, false, data);
      const replayed = await train(make, true, data);
      expect(replayed.commands).toBeGreaterThan(10);
      // Same kernels in the same order on the same data: identical results.
      expect(replayed.losses).toEqual(eager.losses);
      replayed.finalParams.forEach((a, i) => expect(Array.from(a)).toEqual(Array.from(eager.finalParams[i])));
      expect(eager.losses[5]).toBeLessThan(eager.losses[0]);
      // Steady state: one submission, nothing created.
      for (const s of replayed.perStep.slice(1)) expect(s).toEqual({ submits: 1, pipelines: 0, bindGroups: 0, buffers: 0 });
    });
  }

  it('keeps memory flat and releases pinned buffers on dispose', async () => {
    const base = memory();
    const data = await batches(3);
    await train((p) => new SGD(p, { lr: 0.05 }), true, data);
    const after = memory();
    expect(after.liveTensors).toBe(base.liveTensors);
    expect(after.liveBytes).toBe(base.liveBytes);
  });

  it('rejects a readback inside the captured function', async () => {
    const x = randn([3], { seed: 1 });
    let read: Promise<unknown> | null = null;
    const step = capture(() => {
      read = x.relu().data();
      return x;
    });
    step.run();
    await expect(read).rejects.toThrow(/cannot read back inside capture/);
    step.dispose();
    x.dispose();
  });
});
