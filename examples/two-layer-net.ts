// Seed 003's TwoLayerNet (Affine - ReLU - Affine - SoftmaxWithLoss, 784-50-10, weight_init_std
// 0.01) with its gradient check, then a few iterations of its training loop:
//
//   params: W1 [784, 50], b1 [50], W2 [50, 10], b2 [10]   (seed layout: W is [in, out])
//   gradient(x, t): loss forward, backward()              (webgrad's tape, GPU kernels)
//   numerical_gradient: central differences (f(w + h) - f(w - h)) / 2h on a few coordinates of
//     every parameter, from a float64 CPU evaluation of the same loss (in float32 on the GPU a
//     loss near 2.3 has steps of 2.4e-7, too coarse for the tiny differences of small weights)
//   relative error = |num - ana| / (|num| + |ana| + 1e-7); the seed's scale: < 1e-5 acceptable,
//     > 1e-3 probably a bug. The analytic gradient is float32, so ~1e-6 is expected.
//   training: batch_mask = random choice of 100 training digits; params -= lr * grad.
//
//   npx tsx examples/two-layer-net.ts [--iters 200]
import { pathToFileURL } from 'node:url';
import {
  argmax, init, keep, linear, loadMnist, noGrad, randn, Rng, SGD, softmaxCrossEntropy, tensor, tidy, zeros,
  type ImageDataset, type Tensor,
} from '../src/index.ts';

export class TwoLayerNet {
  readonly params: Record<'W1' | 'b1' | 'W2' | 'b2', Tensor>;

  constructor(inputSize: number, hiddenSize: number, outputSize: number, weightInitStd = 0.01, seed = 1) {
    const p = (t: Tensor, label: string) => keep(Object.assign(t, { requiresGrad: true, label }));
    this.params = {
      W1: p(randn([inputSize, hiddenSize], { seed, std: weightInitStd }), 'W1'),
      b1: p(zeros([hiddenSize]), 'b1'),
      W2: p(randn([hiddenSize, outputSize], { seed: seed + 1, std: weightInitStd }), 'W2'),
      b2: p(zeros([outputSize]), 'b2'),
    };
  }

  /** Affine1 + Relu1 (one fused kernel), Affine2. */
  predict(x: Tensor): Tensor {
    const { W1, b1, W2, b2 } = this.params;
    return linear(linear(x, W1, b1, 'relu'), W2, b2);
  }

  /** SoftmaxWithLoss (fused softmax + cross-entropy). */
  loss(x: Tensor, t: Tensor): Tensor {
    return softmaxCrossEntropy(this.predict(x), t);
  }

  async accuracy(x: Tensor, t: Int32Array): Promise<number> {
    const pred = noGrad(() => tidy(() => argmax(this.predict(x), { axis: 1 })));
    const p = (await pred.data()) as Int32Array;
    pred.dispose();
    return p.reduce((n, v, i) => n + (v === t[i] ? 1 : 0), 0) / t.length;
  }

  /** Backpropagation: the gradients of the loss for every parameter. */
  async gradient(x: Tensor, t: Tensor): Promise<Record<string, Float32Array>> {
    for (const p of Object.values(this.params)) p.zeroGrad();
    tidy(() => this.loss(x, t).backward());
    const out: Record<string, Float32Array> = {};
    for (const [k, p] of Object.entries(this.params)) out[k] = (await p.grad!.data()) as Float32Array;
    return out;
  }
}

/** The same loss in float64 on the CPU from host copies of the parameters. */
function lossF64(P: Record<string, Float64Array>, x: Float32Array, t: Int32Array, n: number, D: number, H: number, C: number): number {
  let total = 0;
  const h = new Float64Array(H);
  const z = new Float64Array(C);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < H; j++) {
      let s = P.b1[j];
      for (let k = 0; k < D; k++) s += x[i * D + k] * P.W1[k * H + j];
      h[j] = Math.max(0, s);
    }
    let max = -Infinity;
    for (let c = 0; c < C; c++) {
      let s = P.b2[c];
      for (let j = 0; j < H; j++) s += h[j] * P.W2[j * C + c];
      z[c] = s;
      max = Math.max(max, s);
    }
    let sum = 0;
    for (let c = 0; c < C; c++) sum += Math.exp(z[c] - max);
    total += -(z[t[i]] - max - Math.log(sum));
  }
  return total / n;
}

export interface GradCheckRow {
  param: string;
  index: number;
  numerical: number;
  analytic: number;
  relError: number;
}

export interface TwoLayerNetResult {
  check: GradCheckRow[];
  maxRelError: number;
  losses: number[];
  testAccuracy: number;
}

export async function run(opts: { iters?: number; log?: (line: string) => void } = {}): Promise<TwoLayerNetResult> {
  const log = opts.log ?? console.log;
  const iters = opts.iters ?? 200;
  await init();
  const { train, test } = await loadMnist();
  const D = 784, H = 50, C = 10;
  const net = new TwoLayerNet(D, H, C, 0.01, 1);

  // ---- gradient check on x_train[:10], t_train[:10] (bigger weights than 0.01 so that every
  // gradient is well above float32 noise; the check is about the backward pass, not the init)
  const batchOf = (d: ImageDataset, idx: number[]) => {
    const x = new Float32Array(idx.length * D);
    idx.forEach((j, b) => { for (let k = 0; k < D; k++) x[b * D + k] = d.images[j * D + k] / 255; });
    return { x, t: Int32Array.from(idx, (j) => d.labels[j]) };
  };
  const check = new TwoLayerNet(D, H, C, 0.1, 7);
  const { x: xs, t: ts } = batchOf(train, [...Array(10).keys()]);
  const x10 = tensor(xs, { shape: [10, D] });
  const t10 = tensor(ts);
  const grads = await check.gradient(x10, t10);
  const host: Record<string, Float64Array> = {};
  for (const [k, p] of Object.entries(check.params)) host[k] = Float64Array.from(await p.data());
  const rng = new Rng(3);
  const rows: GradCheckRow[] = [];
  const eps = 1e-4;
  for (const name of ['W1', 'b1', 'W2', 'b2']) {
    const g = grads[name];
    // the coordinate with the largest gradient plus two random ones with a nonzero gradient
    let top = 0;
    for (let i = 1; i < g.length; i++) if (Math.abs(g[i]) > Math.abs(g[top])) top = i;
    const picks = [top];
    while (picks.length < 3) {
      const i = rng.int(g.length);
      if (Math.abs(g[i]) > 1e-4 && !picks.includes(i)) picks.push(i);
    }
    for (const i of picks) {
      const w = host[name];
      const old = w[i];
      w[i] = old + eps;
      const fp = lossF64(host, xs, ts, 10, D, H, C);
      w[i] = old - eps;
      const fm = lossF64(host, xs, ts, 10, D, H, C);
      w[i] = old;
      const numerical = (fp - fm) / (2 * eps);
      const analytic = g[i];
      rows.push({ param: name, index: i, numerical, analytic, relError: Math.abs(numerical - analytic) / (Math.abs(numerical) + Math.abs(analytic) + 1e-7) });
    }
  }
  const maxRelError = Math.max(...rows.map((r) => r.relError));
  log('Seed 003 TwoLayerNet 784-50-10: gradient check on x_train[:10] (central differences, h = 1e-4, float64 loss)');
  for (const r of rows) {
    log(`  ${r.param}[${String(r.index).padStart(5)}]  numerical ${r.numerical.toExponential(6).padStart(14)}  backprop ${r.analytic.toExponential(6).padStart(14)}  relative error ${r.relError.toExponential(2)}`);
  }
  log(`  max relative error ${maxRelError.toExponential(2)}: ${maxRelError < 1e-5 ? 'passed (< 1e-5, acceptable)' : maxRelError < 1e-3 ? 'check (< 1e-3)' : 'FAILED (> 1e-3)'}`);
  for (const p of Object.values(check.params)) { p.zeroGrad(); p.dispose(); }

  // ---- the training loop: random batches of 100 (with replacement, like np.random.choice),
  // SGD lr 0.1 (params -= lr * grad, one fused kernel per parameter)
  const opt = new SGD(Object.entries(net.params), { lr: 0.1 });
  const pick = new Rng(5);
  const losses: number[] = [];
  log(`training ${iters} iterations (batch 100, lr 0.1) on ${train.count} digits`);
  for (let it = 0; it < iters; it++) {
    const { x, t } = batchOf(train, Array.from({ length: 100 }, () => pick.int(train.count)));
    const loss = tidy(() => {
      opt.zeroGrad();
      const l = net.loss(tensor(x, { shape: [100, D] }), tensor(t));
      l.backward();
      opt.step();
      return l;
    });
    if ((it + 1) % Math.max(1, Math.floor(iters / 4)) === 0 || it === 0) {
      losses.push(await loss.item());
      log(`  iter ${String(it + 1).padStart(4)}: loss ${losses[losses.length - 1].toFixed(4)}`);
    }
    loss.dispose();
  }
  const { x: xt, t: tt } = batchOf(test, [...Array(test.count).keys()]);
  const testAccuracy = await net.accuracy(tensor(xt, { shape: [test.count, D] }), tt);
  log(`test acc after ${iters} iterations: ${(100 * testAccuracy).toFixed(2)}% (npm start trains 20 epochs: >= 92%)`);
  return { check: rows, maxRelError, losses, testAccuracy };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const i = process.argv.indexOf('--iters');
  await run({ iters: i >= 0 ? Number(process.argv[i + 1]) : undefined });
}
