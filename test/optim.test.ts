// Optimizers against float64 CPU references of their update rules (torch semantics), several
// steps each, plus the step() contract: validation before any GPU work, one fused kernel per
// parameter, no readback.
import { describe, expect, it } from 'vitest';
import { ArgumentTypeError, Rng, ShapeError, WebgradError, runtime, tensor, type Tensor } from '../src/index.ts';
import { Adam, AdamW, SGD, type Optimizer } from '../src/optim/index.ts';
import { expectClose } from './helpers.ts';
import { adamRef, randomArray, sgdRef, type RefParam, type RefRule } from './optim-reference.ts';

const SHAPES = [[7, 5], [13], [300]] as const;

/** Run `steps` steps of `make(params)` on the GPU and of `rule` in float64; compare each step. */
async function compare(make: (ps: [string, Tensor][]) => Optimizer, rule: RefRule, steps: number, lrAt: (k: number) => number, tol = { rtol: 2e-5, atol: 2e-6 }) {
  const rng = new Rng(42);
  const named: [string, Tensor][] = [];
  const refs: RefParam[] = [];
  SHAPES.forEach((shape, j) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const init = randomArray(rng, n);
    named.push([`p${j}`, tensor(init, { shape: [...shape], requiresGrad: true })]);
    refs.push({ p: Float64Array.from(init), s1: new Float64Array(n), s2: new Float64Array(n), s3: new Float64Array(n), t: 0 });
  });
  const opt = make(named);
  for (let k = 0; k < steps; k++) {
    named.forEach(([, p], j) => {
      const g = randomArray(rng, p.size, 0.5);
      p.grad?.dispose();
      p.grad = tensor(g, { shape: p.shape });
      rule(refs[j], Float64Array.from(g), lrAt(k));
    });
    opt.step();
    for (let j = 0; j < named.length; j++) expectClose(await named[j][1].data(), refs[j].p, tol);
  }
  opt.dispose();
}

describe('SGD', () => {
  it('plain: seed 002 x = x - lr * gradx', async () => {
    await compare((ps) => new SGD(ps, { lr: 0.1 }), sgdRef(0, 0, false), 3, () => 0.1);
  });
  it('momentum + weight decay over 5 steps', async () => {
    await compare((ps) => new SGD(ps, { lr: 0.05, momentum: 0.9, weightDecay: 1e-2 }), sgdRef(0.9, 1e-2, false), 5, () => 0.05);
  });
  it('momentum with dampening over 5 steps (the first step fills the buffer undamped, as torch)', async () => {
    await compare((ps) => new SGD(ps, { lr: 0.05, momentum: 0.9, dampening: 0.3 }), sgdRef(0.9, 0, false, 0.3), 5, () => 0.05);
  });
  it('lr defaults to 1e-3 (torch >= 2.2); a model, model.parameters() or an iterable of tensors', async () => {
    await compare((ps) => new SGD(ps.map(([, t]) => t)), sgdRef(0, 0, false), 2, () => 1e-3);
    await compare((ps) => new SGD({ namedParameters: () => ps }), sgdRef(0, 0, false), 1, () => 1e-3);
    await compare((ps) => new SGD(new Set(ps.map(([, t]) => t)), { lr: 0.1 }), sgdRef(0, 0, false), 1, () => 0.1);
  });
  it('nesterov with a learning-rate schedule', async () => {
    const sched = (k: number) => 0.1 / (1 + k);
    await compare((ps) => new SGD(ps, { lr: 0.1, momentum: 0.8, weightDecay: 5e-3, nesterov: true, scheduler: sched }), sgdRef(0.8, 5e-3, true), 4, sched);
  });
});

describe('Adam / AdamW', () => {
  it('Adam with L2 weight decay over 5 steps', async () => {
    await compare((ps) => new Adam(ps, { lr: 1e-2, betas: [0.9, 0.99], eps: 1e-8, weightDecay: 1e-2 }), adamRef(0.9, 0.99, 1e-8, 1e-2, false), 5, () => 1e-2);
  });
  it('AdamW with decoupled weight decay over 5 steps', async () => {
    await compare((ps) => new AdamW(ps, { lr: 3e-3, betas: [0.8, 0.95], eps: 1e-6, weightDecay: 0.1 }), adamRef(0.8, 0.95, 1e-6, 0.1, true), 5, () => 3e-3);
  });
  it('amsgrad (Adam and AdamW) over 6 steps against float64', async () => {
    await compare((ps) => new Adam(ps, { lr: 1e-2, betas: [0.9, 0.99], weightDecay: 1e-2, amsgrad: true }), adamRef(0.9, 0.99, 1e-8, 1e-2, false, true), 6, () => 1e-2);
    await compare((ps) => new AdamW(ps, { lr: 3e-3, betas: [0.8, 0.95], eps: 1e-6, amsgrad: true }), adamRef(0.8, 0.95, 1e-6, 0.01, true, true), 6, () => 3e-3);
  });
  it('betas near 1 (0.9999, 0.99999) match float64 with the same float32-rounded betas to 1e-6 after 10 steps', async () => {
    for (const b2 of [0.9999, 0.99999]) {
      const [f1, f2] = [Math.fround(0.9), Math.fround(b2)];
      await compare((ps) => new Adam(ps, { lr: 1e-2, betas: [0.9, b2] }), adamRef(f1, f2, 1e-8, 0, false), 10, () => 1e-2, { rtol: 1e-6, atol: 1e-7 });
    }
  });
  it('setLr changes the rate from the next step', async () => {
    let lr = 1e-2;
    await compare(
      (ps) => {
        const opt = new Adam(ps, { lr });
        const step = opt.step.bind(opt);
        opt.step = () => { opt.setLr(lr); step(); lr /= 2; };
        return opt;
      },
      adamRef(0.9, 0.999, 1e-8, 0, false),
      3,
      (k) => 1e-2 / 2 ** k,
    );
  });
});

describe('step() contract', () => {
  it('one fused kernel per parameter with a gradient, no readback; parameters without grad are skipped', async () => {
    const a = tensor([1, 2, 3], { requiresGrad: true });
    const b = tensor([4, 5], { requiresGrad: true });
    const c = tensor([6], { requiresGrad: true });
    const opt = new AdamW([['a', a], ['b', b], ['c', c]], { lr: 0.1 });
    a.grad = tensor([1, 1, 1]);
    c.grad = tensor([-1]);
    await b.data();
    const rt = runtime();
    const before = { ...rt.stats };
    opt.step();
    expect(rt.stats.dispatches - before.dispatches).toBe(2);
    expect(rt.stats.readbacks - before.readbacks).toBe(0);
    expect(Array.from(await b.data())).toEqual([4, 5]);
    // AdamW's first step moves each element by lr * (1 + small) against the gradient sign
    expectClose(await c.data(), [6 * (1 - 0.1 * 0.01) + 0.1], { rtol: 1e-5 });
  });

  it('a gradient of the wrong shape throws naming the parameter and changes nothing', async () => {
    const a = tensor([1, 2, 3], { requiresGrad: true });
    const b = tensor([[1, 2], [3, 4]], { requiresGrad: true });
    const opt = new SGD([['first', a], ['fc.weight', b]], { lr: 1, momentum: 0.9 });
    a.grad = tensor([1, 1, 1]);
    b.grad = tensor([1, 2, 3, 4]);
    expect(() => opt.step()).toThrow(ShapeError);
    expect(() => opt.step()).toThrow(/'fc\.weight' has shape \[4\] but the parameter is \[2, 2\]/);
    expect(Array.from(await a.data())).toEqual([1, 2, 3]);
    expect(Array.from(await b.data())).toEqual([1, 2, 3, 4]);
    expect(opt.stepCount).toBe(0);
    // fixed gradient: the step goes through, momentum starts from this step
    b.grad = tensor([[1, 1], [1, 1]]);
    opt.step();
    expect(Array.from(await a.data())).toEqual([0, 1, 2]);
  });

  it('rejects bad hyper-parameters', () => {
    const a = tensor([1], { requiresGrad: true });
    expect(() => new SGD([a], { lr: -1 })).toThrow(/SGD: option 'lr' must be a finite number >= 0, got number -1/);
    expect(() => new SGD([a], { lr: 0.1, nesterov: true })).toThrow(/nesterov/);
    expect(() => new SGD([a], { momentum: 0.9, dampening: 0.1, nesterov: true })).toThrow(/nesterov needs momentum > 0 and dampening 0/);
    expect(() => new Adam([a], { betas: [1, 0.9] })).toThrow(/'betas' must be \[beta1, beta2\] with each in \[0, 1\)/);
    expect(() => new Adam([a], { weight_decay: 0.5 } as never)).toThrow(/Adam: unknown option 'weight_decay' \(did you mean 'weightDecay'\?\)/);
    expect(() => new SGD([a], { lr: 0.1, nesterov: 1 } as never)).toThrow(ArgumentTypeError);
    expect(() => new SGD([])).toThrow(/empty parameter list/);
    expect(() => new SGD(undefined as never)).toThrow(WebgradError);
    expect(() => new AdamW([a], 0.1 as never)).toThrow(/AdamW: expected an options object/);
    expect(() => new SGD([a, a], { lr: 0.1 })).toThrow(/twice/);
    const opt = new SGD([a], { lr: 0.1, scheduler: () => Number.NaN });
    a.grad = tensor([1]);
    expect(() => opt.step()).toThrow(/scheduler/);
  });
});
