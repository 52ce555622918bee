// Parameter groups as PyTorch's param_groups: per-group options override the constructor's,
// against the float64 references of the update rules (test/optim-reference.ts), a mutable lr per
// group (an LR schedule), weightDecayGroups (nanoGPT's split), and the refusals.
import { describe, expect, it } from 'vitest';
import { Rng, ValueError, capture, nn, tensor, type Tensor } from '../src/index.ts';
import { Adam, AdamW, SGD, weightDecayGroups, type Optimizer } from '../src/optim/index.ts';
import { expectClose } from './helpers.ts';
import { adamRef, randomArray, sgdRef, type RefParam, type RefRule } from './optim-reference.ts';

interface Setup {
  params: Tensor[];
  refs: RefParam[];
}

function setup(shapes: number[][], seed: number): Setup {
  const rng = new Rng(seed);
  const params: Tensor[] = [];
  const refs: RefParam[] = [];
  for (const shape of shapes) {
    const n = shape.reduce((a, b) => a * b, 1);
    const init = randomArray(rng, n);
    params.push(tensor(init, { shape, requiresGrad: true }));
    refs.push({ p: Float64Array.from(init), s1: new Float64Array(n), s2: new Float64Array(n), s3: new Float64Array(n), t: 0 });
  }
  return { params, refs };
}

/** `steps` steps on the GPU and in float64; `rules[j]` and `lrs(k)[j]` are parameter j's rule and lr at step k. */
async function compare(s: Setup, opt: Optimizer, rules: RefRule[], lrs: (k: number) => number[], steps: number, between?: (k: number) => void) {
  const rng = new Rng(7);
  for (let k = 0; k < steps; k++) {
    between?.(k);
    s.params.forEach((p, j) => {
      const g = randomArray(rng, p.size, 0.5);
      p.grad?.dispose();
      p.grad = tensor(g, { shape: p.shape });
      rules[j](s.refs[j], Float64Array.from(g), lrs(k)[j]);
    });
    opt.step();
    for (const [j, p] of s.params.entries()) expectClose(await p.data(), s.refs[j].p, { rtol: 2e-5, atol: 2e-6 });
  }
  opt.dispose();
  s.params.forEach((p) => { p.zeroGrad(); p.dispose(); });
}

describe('parameter groups against float64', () => {
  it('AdamW: a decay group and a no-decay group with its own lr and betas', async () => {
    const s = setup([[6, 4], [4], [3, 5], [5]], 1);
    const [w1, b1, w2, b2] = s.params;
    const opt = new AdamW([{ params: [w1, w2], weightDecay: 0.1 }, { params: [b1, b2], weightDecay: 0, lr: 0.02, betas: [0.8, 0.99] }], { lr: 0.05 });
    const decay = adamRef(0.9, 0.999, 1e-8, 0.1, true);
    const noDecay = adamRef(0.8, 0.99, 1e-8, 0, true);
    await compare(s, opt, [decay, noDecay, decay, noDecay], () => [0.05, 0.02, 0.05, 0.02], 4);
  });

  it('SGD: per-group momentum, nesterov and weight decay over the constructor defaults', async () => {
    const s = setup([[5, 3], [7]], 2);
    const opt = new SGD([{ params: [s.params[0]] }, { params: [s.params[1]], momentum: 0.5, nesterov: true, weightDecay: 0.01, lr: 0.3 }], { lr: 0.1, momentum: 0.9 });
    await compare(s, opt, [sgdRef(0.9, 0, false), sgdRef(0.5, 0.01, true)], () => [0.1, 0.3], 4);
  });

  it('Adam (L2 decay) per group, amsgrad in one group', async () => {
    const s = setup([[4, 4], [9]], 3);
    const opt = new Adam([{ params: [s.params[0]], amsgrad: true }, { params: [s.params[1]], weightDecay: 0.05, eps: 1e-6 }], { lr: 0.01 });
    await compare(s, opt, [adamRef(0.9, 0.999, 1e-8, 0, false, true), adamRef(0.9, 0.999, 1e-6, 0.05, false)], () => [0.01, 0.01], 4);
  });

  it('lr is mutable per group between steps (an LR schedule), and setLr sets every group', async () => {
    const s = setup([[3, 3], [3]], 4);
    const opt = new AdamW([{ params: [s.params[0]] }, { params: [s.params[1]], weightDecay: 0 }], { lr: 0.1 });
    const lrAt = (k: number) => [0.1 * 0.5 ** k, 0.2 / (k + 1)];
    const rule = [adamRef(0.9, 0.999, 1e-8, 0.01, true), adamRef(0.9, 0.999, 1e-8, 0, true)];
    await compare(s, opt, rule, lrAt, 4, (k) => opt.paramGroups.forEach((g, i) => (g.lr = lrAt(k)[i])));
    expect(opt.paramGroups.map((g) => g.lr)).toEqual(lrAt(3));
    opt.setLr(1e-3);
    expect(opt.paramGroups.map((g) => g.lr)).toEqual([1e-3, 1e-3]);
  });

  it('a group with weightDecay 0 is exactly Adam (bit for bit)', async () => {
    const run = async (make: (p: Tensor[]) => Optimizer) => {
      const s = setup([[8, 3]], 5);
      const opt = make(s.params);
      const rng = new Rng(9);
      for (let k = 0; k < 3; k++) {
        s.params[0].grad?.dispose();
        s.params[0].grad = tensor(randomArray(rng, 24), { shape: [8, 3] });
        opt.step();
      }
      const out = Array.from(await s.params[0].data());
      opt.dispose();
      s.params.forEach((p) => { p.zeroGrad(); p.dispose(); });
      return out;
    };
    const extra = tensor([1], { requiresGrad: true });
    const adamw = await run((p) => new AdamW([{ params: p, weightDecay: 0 }, { params: [extra] }], { lr: 0.01 }));
    const adam = await run((p) => new Adam(p, { lr: 0.01 }));
    expect(adamw).toEqual(adam);
    extra.dispose();
  });

  it("a captured step replays each group's current lr", async () => {
    const s = setup([[4, 2], [2]], 6);
    const opt = new SGD([{ params: [s.params[0]] }, { params: [s.params[1]], lr: 0.5 }], { lr: 0.1 });
    const rng = new Rng(11);
    const grads = s.params.map((p) => tensor(randomArray(rng, p.size), { shape: p.shape }));
    s.params.forEach((p, j) => (p.grad = grads[j]));
    const step = capture(() => opt.step());
    const lrAt = (k: number) => [0.1 / (k + 1), 0.5 / (k + 1)];
    const rule = sgdRef(0, 0, false);
    for (let k = 0; k < 3; k++) {
      opt.paramGroups.forEach((g, i) => (g.lr = lrAt(k)[i]));
      step.run();
      const gs = await Promise.all(grads.map((g) => g.data()));
      s.refs.forEach((r, j) => rule(r, Float64Array.from(gs[j]), lrAt(k)[j]));
      for (const [j, p] of s.params.entries()) expectClose(await p.data(), s.refs[j].p, { rtol: 2e-5, atol: 2e-6 });
    }
    step.dispose();
    opt.dispose();
    s.params.forEach((p) => { p.zeroGrad(); p.dispose(); });
  });
});

describe('weightDecayGroups and the refusals', () => {
  it("weightDecayGroups: nanoGPT's split (rank >= 2 decays; biases and norm weights do not), names kept", () => {
    const model = new nn.Sequential(new nn.Linear(4, 3), new nn.LayerNorm(3), new nn.Linear(3, 2));
    const [decay, noDecay] = weightDecayGroups(model, 0.1);
    expect(decay.weightDecay).toBe(0.1);
    expect(noDecay.weightDecay).toBe(0);
    expect(decay.params.map(([n]) => n)).toEqual(['0.weight', '2.weight']);
    expect(noDecay.params.map(([n]) => n)).toEqual(['0.bias', '1.weight', '1.bias', '2.bias']);
    const opt = new AdamW([decay, noDecay], { lr: 1e-3 });
    expect(opt.paramGroups.map((g) => [g.weightDecay, g.params.length])).toEqual([[0.1, 2], [0, 4]]);
    expect(opt.params.length).toBe(6);
    expect(() => weightDecayGroups(model, -1)).toThrow(ValueError);
    opt.dispose();
    model.dispose();
  });

  it('unknown keys, bad values and a parameter in two groups are typed errors naming the group', () => {
    const a = tensor([1], { requiresGrad: true });
    const b = tensor([2], { requiresGrad: true });
    expect(() => new AdamW([{ params: [a], weight_decay: 0 } as never, { params: [b] }])).toThrow(/AdamW paramGroups\[0\]: unknown option 'weight_decay' \(did you mean 'weightDecay'\?\)/);
    expect(() => new SGD([{ params: [a] }, { params: [b], momentum: 1 }])).toThrow(/SGD paramGroups\[1\]: momentum must be in \[0, 1\)/);
    expect(() => new SGD([{ params: [a] }, { params: [b], nesterov: true }])).toThrow(/nesterov needs momentum > 0/);
    expect(() => new Adam([{ params: [a] }, { params: [a, b] }])).toThrow(/listed twice \(a parameter belongs to one group\)/);
    expect(() => new Adam([{ params: [] }])).toThrow(/empty parameter list/);
    expect(() => new Adam([{ lr: 1 } as never])).toThrow(ValueError);
  });

  it('a group option changed to a bad value is refused at step() before any parameter changes', async () => {
    const a = tensor([1, 2], { requiresGrad: true });
    const b = tensor([3], { requiresGrad: true });
    a.grad = tensor([1, 1]);
    b.grad = tensor([1]);
    const opt = new AdamW([{ params: [a] }, { params: [b] }], { lr: 0.1 });
    opt.paramGroups[1].lr = -1;
    expect(() => opt.step()).toThrow(/AdamW.*learning rate|AdamW paramGroups\[1\].*lr/);
    opt.paramGroups[1].lr = 0.1;
    (opt.paramGroups[1] as { betas: unknown }).betas = [0.9, 2];
    expect(() => opt.step()).toThrow(/AdamW paramGroups\[1\]: option 'betas'/);
    expect(Array.from(await a.data())).toEqual([1, 2]);
    opt.dispose();
    [a, b].forEach((t) => { t.zeroGrad(); t.dispose(); });
  });
});
