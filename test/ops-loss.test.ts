// crossEntropy (PyTorch's F.cross_entropy): classes on dim 1 of [N, C, d1, ...] read in place,
// a single sample [C], ignoreIndex, label smoothing, class weights, the three reductions, and
// probability targets, against the float64 reference (src/check/reference/loss.ts) and against
// values PyTorch printed; bad inputs give typed errors.
import { describe, expect, it } from 'vitest';
import { refArray, type RefArray } from '../src/check/array.ts';
import { Rng } from '../src/random.ts';
import { DTypeError, ShapeError, ValueError, crossEntropy, softmaxCrossEntropy, tensor, type Reduction } from '../src/index.ts';
import { checkOp, input, randomRef, testSeed } from './ops-harness.ts';
import { expectClose } from './helpers.ts';

/** Seeded class indices in [0, c), with about a quarter replaced by `ignore` when given. */
function classLabels(shape: number[], c: number, seed: number, ignore?: number): RefArray {
  const rng = new Rng(seed);
  return refArray(shape, () => (ignore !== undefined && rng.next() < 0.25 ? ignore : rng.int(c)));
}

/** Seeded probability rows along dim 1 (each line over the classes sums to 1, up to f32 rounding). */
function probabilities(shape: number[], seed: number): RefArray {
  const rng = new Rng(seed);
  const raw = refArray(shape, () => rng.next() + 0.05);
  const c = shape[1];
  const inner = shape.slice(2).reduce((a, b) => a * b, 1);
  for (let o = 0; o < shape[0]; o++) {
    for (let i = 0; i < inner; i++) {
      let s = 0;
      for (let k = 0; k < c; k++) s += raw.data[(o * c + k) * inner + i];
      for (let k = 0; k < c; k++) raw.data[(o * c + k) * inner + i] = Math.fround(raw.data[(o * c + k) * inner + i] / s);
    }
  }
  return raw;
}

const attrs = (reduction: Reduction, ignoreIndex = -100, labelSmoothing = 0) => ({ reduction, ignoreIndex, labelSmoothing });
const REDUCTIONS: Reduction[] = ['mean', 'sum', 'none'];

describe('crossEntropy against the float64 reference', () => {
  const shapes: number[][] = [[7, 5], [2, 5, 3], [3, 4, 2, 3], [1, 1], [33, 70]];
  for (const shape of shapes) {
    for (const reduction of REDUCTIONS) {
      it(`[${shape}] class indices with ignoreIndex and smoothing 0.15, ${reduction}`, async () => {
        const target = shape.filter((_, i) => i !== 1);
        const logits = randomRef(shape, testSeed(0), { scale: 2 });
        const labels = classLabels(target, shape[1], testSeed(1), -100);
        await checkOp('softmaxCrossEntropy', attrs(reduction, -100, 0.15), [input(logits), input(labels, { dtype: 'i32' })], ([x, t]) =>
          crossEntropy(x, t, { reduction, labelSmoothing: 0.15 }));
      });
    }
  }

  it('a custom ignoreIndex that is a real class (0), classes on dim 1 of [3, 4, 5]', async () => {
    const logits = randomRef([3, 4, 5], testSeed(0));
    const labels = classLabels([3, 5], 4, testSeed(1));
    await checkOp('softmaxCrossEntropy', attrs('mean', 0), [input(logits), input(labels, { dtype: 'i32' })], ([x, t]) => crossEntropy(x, t, { ignoreIndex: 0 }));
  });

  for (const reduction of REDUCTIONS) {
    it(`class weights with ignoreIndex and smoothing 0.2, [6, 4, 3], ${reduction}`, async () => {
      const logits = randomRef([6, 4, 3], testSeed(0));
      const labels = classLabels([6, 3], 4, testSeed(1), 7);
      const weight = refArray([4], [0.5, 2, 1, 0.25]);
      await checkOp('softmaxCrossEntropyWeighted', attrs(reduction, 7, 0.2), [input(logits), input(labels, { dtype: 'i32' }), input(weight, { grad: false })], ([x, t, w]) =>
        crossEntropy(x, t, { reduction, weight: w, ignoreIndex: 7, labelSmoothing: 0.2 }));
    });
    it(`probability targets [4, 5, 2] with weights and smoothing 0.1, ${reduction}`, async () => {
      const logits = randomRef([4, 5, 2], testSeed(0));
      const q = probabilities([4, 5, 2], testSeed(1));
      const weight = refArray([5], [1, 0.5, 2, 1.5, 0.75]);
      await checkOp('softmaxCrossEntropyWeighted', attrs(reduction, -100, 0.1), [input(logits), input(q, { grad: false }), input(weight, { grad: false })], ([x, t, w]) =>
        crossEntropy(x, t, { reduction, weight: w, labelSmoothing: 0.1 }));
    });
  }

  it('one sample [C] with a 0-d class index; reduction none gives a 0-d loss', async () => {
    const logits = randomRef([9], testSeed(0));
    for (const reduction of REDUCTIONS) {
      await checkOp('softmaxCrossEntropy', attrs(reduction, -100, 0.3), [input(logits), input(refArray([], [4]), { dtype: 'i32' })], ([x, t]) =>
        crossEntropy(x, t, { reduction, labelSmoothing: 0.3 }));
    }
  });
});

describe('crossEntropy against PyTorch', () => {
  // x [2, 3, 2] (N = 2, C = 3, d = 2), y [[2, -100], [0, 1]], w = [0.5, 2, 1]; values printed by
  // torch 1.13 (float64): F.cross_entropy(x, y, **kw) and the gradient of its sum.
  const x = [[[1.0, -0.5], [2.0, 0.0], [-1.0, 0.5]], [[0.25, 3.0], [-2.0, 1.0], [0.5, -1.5]]];
  const y = [[2, -100], [0, 1]];
  const cases: [string, Record<string, unknown>, number[], number[]][] = [
    ['defaults', {}, [2.1189100132341463], [0.0864988201141397, 0, 0.23512817089941374, 0, -0.3216269910135534, 0, -0.19382973586519606, 0.2907540638597762, 0.014703570996732128, -0.2939840497486743, 0.17912616486846392, 0.0032299858888981355]],
    ['labelSmoothing 0.1', { labelSmoothing: 0.1 }, [2.0911322354563686], [0.07538770900302859, 0, 0.2240170597883026, 0, -0.2994047687913312, 0, -0.17160751364297383, 0.27964295274866513, 0.003592459885621019, -0.2717618275264521, 0.16801505375735284, -0.007881125222212975]],
    ['weight', { weight: true }, [2.302248274574886], [0.07414184581211974, 0, 0.20153843219949746, 0, -0.2756802780116172, 0, -0.08306988679936973, 0.4984355380453306, 0.006301530427170912, -0.5039726567120132, 0.07676835637219882, 0.005537118666682518]],
    ['weight, labelSmoothing 0.2', { weight: true, labelSmoothing: 0.2 }, [2.2417710984972143], [0.06708943114871423, 0, 0.17016114184424264, 0, -0.23725057299295685, 0, -0.04807899946967787, 0.44737543368441024, -0.030113299554154937, -0.43340350674791683, 0.0781922990238328, -0.013971926936493404]],
    ["'sum', labelSmoothing 0.1", { reduction: 'sum', labelSmoothing: 0.1 }, [6.273396706369106], [0.2261631270090858, 0, 0.6720511793649079, 0, -0.8982143063739936, 0, -0.5148225409289215, 0.8389288582459953, 0.010777379656863054, -0.8152854825793564, 0.5040451612720585, -0.023643375666638926]],
    ["'none', weight, labelSmoothing 0.1", { reduction: 'none', weight: true, labelSmoothing: 0.1 }, [3.1714957537143227, 0, 0.6352631406137341, 4.1452750085481185], [0.24715473468145943, 0, 0.6504742545765452, 0, -0.8976289892580046, 0, -0.22951055097083334, 1.6551692005270466, -0.04167059597222205, -1.6404082860548777, 0.27118114694305534, -0.014760914472169052]],
  ];
  for (const [name, kw, loss, grad] of cases) {
    it(name, async () => {
      const logits = tensor(x, { requiresGrad: true });
      const labels = tensor(y, { dtype: 'i32' });
      const weight = tensor([0.5, 2, 1]);
      const out = crossEntropy(logits, labels, { ...kw, weight: kw.weight ? weight : undefined });
      expect(out.shape).toEqual(kw.reduction === 'none' ? [2, 2] : []);
      expectClose(await out.data(), loss, { rtol: 1e-5, atol: 1e-6 });
      out.sum().backward();
      expectClose(await logits.grad!.data(), grad, { rtol: 1e-5, atol: 1e-6 });
    });
  }

  it('one sample [C] with smoothing, and weighted smoothed probability targets', async () => {
    // F.cross_entropy(tensor([1., 2., 0.5]), tensor(1), label_smoothing=0.3)
    expect(await crossEntropy(tensor([1, 2, 0.5]), tensor(1, { dtype: 'i32' }), { labelSmoothing: 0.3 }).item()).toBeCloseTo(0.7143687841079448, 5);
    // F.cross_entropy(x, q, weight=[0.5, 2, 1], label_smoothing=0.1) with probability targets q
    const q = tensor([[0.2, 0.3, 0.5], [1, 0, 0]]);
    const out = crossEntropy(tensor([[1, -0.5, 2], [0, 0.5, -1]]), q, { weight: tensor([0.5, 2, 1]), labelSmoothing: 0.1 });
    expect(await out.item()).toBeCloseTo(1.3468078589039283, 5);
  });

  it("every target ignored: 'mean' is NaN (0 / 0, as PyTorch), 'sum' 0, gradient 0", async () => {
    const logits = tensor([[0, 1, 2], [3, 4, 5]], { requiresGrad: true });
    const labels = tensor([-100, -100], { dtype: 'i32' });
    expect(Number.isNaN(await crossEntropy(logits, labels).item())).toBe(true);
    const s = crossEntropy(logits, labels, 'sum');
    expect(await s.item()).toBe(0);
    s.backward();
    expect(Array.from(await logits.grad!.data())).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it("a GPT's logits [B, T, V] viewed as [B * T, V] (PyTorch reads [B, T, V] as C = T)", async () => {
    const [B, T, V] = [2, 3, 5];
    const logitsRef = randomRef([B, T, V], testSeed(0));
    const labels = classLabels([B, T], V, testSeed(1), -1);
    const logits = tensor(Float32Array.from(logitsRef.data), { shape: [B, T, V] });
    const ids = tensor(Int32Array.from(labels.data), { shape: [B, T], dtype: 'i32' });
    const flat = await crossEntropy(logits.view([B * T, V]), ids.view([B * T]), { ignoreIndex: -1 }).item();
    // The same loss from the [B, V, T] layout PyTorch's convention expects.
    const perm = await crossEntropy(logits.permute(0, 2, 1), ids, { ignoreIndex: -1 }).item();
    expect(flat).toBeCloseTo(perm, 5);
  });
});

describe('crossEntropy refuses bad inputs before any GPU work', () => {
  const logits = () => tensor([[1, 2, 3], [4, 5, 6]]);
  it('a class index out of range (known on the host) is a ValueError; ignoreIndex is allowed', () => {
    expect(() => crossEntropy(logits(), tensor([0, 3], { dtype: 'i32' }))).toThrow(ValueError);
    expect(() => crossEntropy(logits(), tensor([0, 3], { dtype: 'i32' }))).toThrow(/crossEntropy: labels must be class indices in \[0, 2\] for 3 classes \(or ignoreIndex -100\), got values in \[0, 3\]/);
    expect(() => crossEntropy(logits(), tensor([-1, 0], { dtype: 'i32' }))).toThrow(ValueError);
    expect(() => crossEntropy(logits(), tensor([-1, 0], { dtype: 'i32' }), { ignoreIndex: -1 })).not.toThrow();
    expect(() => crossEntropy(logits(), tensor([7, 0], { dtype: 'i32' }), { ignoreIndex: 7 })).not.toThrow();
  });
  it('shapes: labels without the class axis, weights one per class', () => {
    expect(() => crossEntropy(logits(), tensor([0, 1, 2], { dtype: 'i32' }))).toThrow(ShapeError);
    expect(() => crossEntropy(tensor([[[1, 2], [3, 4]]]), tensor([0, 1], { dtype: 'i32' }))).toThrow(/shape without the class axis \(dim 1\), \[1, 2\]/);
    expect(() => crossEntropy(logits(), tensor([0, 1], { dtype: 'i32' }), { weight: tensor([1, 2]) })).toThrow(/weight must be one weight per class, \[3\]/);
    expect(() => crossEntropy(tensor(1), tensor(0, { dtype: 'i32' }))).toThrow(ShapeError);
    expect(() => crossEntropy(logits(), tensor([[0.5, 0.5], [0.5, 0.5]]))).toThrow(ShapeError);
  });
  it('dtypes: f32 class indices, i32 weights', () => {
    expect(() => crossEntropy(logits(), tensor([0, 1]))).toThrow(DTypeError);
    expect(() => crossEntropy(logits(), tensor([0, 1], { dtype: 'i32' }), { weight: tensor([1, 2, 3], { dtype: 'i32' }) })).toThrow(DTypeError);
  });
  it('options: range of labelSmoothing, ignoreIndex with probability targets, snake_case names', () => {
    const y = tensor([0, 1], { dtype: 'i32' });
    expect(() => crossEntropy(logits(), y, { labelSmoothing: 1.5 })).toThrow(/labelSmoothing/);
    expect(() => crossEntropy(logits(), y, { ignoreIndex: 0.5 })).toThrow(/ignoreIndex/);
    expect(() => crossEntropy(logits(), tensor([[1, 0, 0], [0, 1, 0]]), { ignoreIndex: 0 })).toThrow(/ignoreIndex applies to i32 class-index targets only/);
    expect(() => crossEntropy(logits(), y, { ignore_index: 0 } as never)).toThrow(/did you mean 'ignoreIndex'/);
    expect(() => softmaxCrossEntropy(logits(), y, 'avg' as never)).toThrow(/softmaxCrossEntropy: argument 'reduction'/);
  });
});
