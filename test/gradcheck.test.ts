// gradcheck itself: it passes correct backward kernels and catches wrong ones.
import { afterEach, describe, expect, it } from 'vitest';
import { OPS, randn, randint, tensor, gradcheck, relu, matmul, softmaxCrossEntropy, type Tensor } from '../src/index.ts';

const patched: (() => void)[] = [];
afterEach(() => patched.splice(0).forEach((undo) => undo()));

/** Replace an op's backward for one test (restored afterwards). */
function patchBackward<K extends keyof typeof OPS>(name: K, wrap: (orig: (typeof OPS)[K]['backward']) => (typeof OPS)[K]['backward']): void {
  const op = OPS[name] as { backward: unknown };
  const orig = op.backward;
  op.backward = wrap(orig as (typeof OPS)[K]['backward']);
  patched.push(() => (op.backward = orig));
}

const twoLayer = (x: Tensor, w1: Tensor, b1: Tensor, w2: Tensor, b2: Tensor, labels: Tensor) =>
  softmaxCrossEntropy(relu(matmul(x, w1).add(b1)).matmul(w2).add(b2), labels);

describe('gradcheck', () => {
  it('passes a two-layer net (Affine-ReLU-Affine-SoftmaxWithLoss) in float64 replay', async () => {
    const x = randn([5, 7], { seed: 1 });
    const w1 = randn([7, 6], { seed: 2, std: 0.5 });
    const b1 = randn([6], { seed: 3, std: 0.1 });
    const w2 = randn([6, 4], { seed: 4, std: 0.5 });
    const b2 = randn([4], { seed: 5, std: 0.1 });
    const labels = randint([5], 0, 4, { seed: 6 });
    const r = await gradcheck(twoLayer, [x, w1, b1, w2, b2, labels]);
    expect(r.passed, JSON.stringify(r.inputs.map((i) => [i.input, i.maxRelError]))).toBe(true);
    expect(r.inputs.map((i) => i.input)).toEqual([0, 1, 2, 3, 4]);
    for (const i of r.inputs) expect(i.maxRelError).toBeLessThan(1e-3);
  });

  it('passes in gpu mode (fp32 forward on the GPU)', async () => {
    const a = randn([3, 4], { seed: 7 });
    const b = randn([4, 2], { seed: 8 });
    const r = await gradcheck((p, q) => matmul(p, q).sigmoid(), [a, b], { mode: 'gpu' });
    expect(r.passed).toBe(true);
    expect(r.mode).toBe('gpu');
  });

  it('skips coordinates that straddle a ReLU kink and says so', async () => {
    const x = tensor([[0, 1, -1, 0.5]]);
    const r = await gradcheck((t) => t.relu().mul(t).sum(), [x]);
    expect(r.inputs[0].skippedNearKink).toBe(1);
    expect(r.inputs[0].checked).toBe(3);
    expect(r.passed).toBe(true);
  });

  it('catches a transposed matmul gradient', async () => {
    patchBackward('matmul', (orig) => (g, saved, args) => {
      const [ga, gb] = orig(g, saved, args);
      const wrong = gb ? gb.T : null; // square B: same shape, wrong values
      gb?.dispose();
      return [ga, wrong];
    });
    const r = await gradcheck((a, b) => matmul(a, b), [randn([3, 4], { seed: 1 }), randn([4, 4], { seed: 2 })]);
    expect(r.passed).toBe(false);
    expect(r.inputs[1].verdict).toBe('likely a bug');
    expect(r.inputs[0].passed).toBe(true);
  });

  it('catches a missing factor 2', async () => {
    patchBackward('square', (orig) => (g, saved, args) => orig(g, saved, args).map((t) => (t ? t.mul(0.5) : t)));
    const r = await gradcheck((a) => a.square().sum(), [randn([6], { seed: 3 })]);
    expect(r.passed).toBe(false);
    expect(r.inputs[0].maxRelError).toBeGreaterThan(0.3);
  });

  it('catches a dropped fan-out accumulation', async () => {
    // mul's backward keeps only the first operand's gradient when both operands are the same tensor.
    patchBackward('mul', (orig) => (g, saved, args) => {
      const [ga, gb] = orig(g, saved, args);
      gb?.dispose();
      return [ga, args.needsGrad[1] ? ga!.mul(0) : null];
    });
    const r = await gradcheck((a) => a.mul(a).sum(), [randn([5], { seed: 4 })]);
    expect(r.passed).toBe(false);
  });
});
