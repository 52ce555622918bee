// Seed 002's MiniFlow graph, expressed with webgrad:
//
//   X, y = Input(), Input()            -> data tensors
//   W1, b1, W2, b2 = Input() x 4       -> tensors with requiresGrad (the trainables)
//   l1 = Linear(X, W1, b1)             -> linear(X, W1, b1)
//   s  = Sigmoid(l1)                   -> sigmoid(l1)       (fused into the linear kernel below)
//   l2 = Linear(s, W2, b2)             -> linear(s, W2, b2)
//   cost = MSE(l2, y)                  -> mseLoss(l2, y)    (mean of (y - a)^2, as MiniFlow's MSE)
//   forward_and_backward(graph)        -> build the graph forward, then cost.backward()
//   gradient_descent_update(x, gradx, learning_rate): x = x - learning_rate * gradx
//                                      -> SGD({ lr }).step(): the same rule, one fused in-place
//                                         GPU kernel per trainable
//
// Next to it runs a float64 MiniFlow written like the seed's (Node classes with forward and
// backward, gradients summed over outbound nodes, a topological sort), on the same data, so the
// first gradients and the cost curve can be compared.
//
//   npx tsx examples/miniflow.ts [--epochs 200]
import { pathToFileURL } from 'node:url';
import { init, linear, mseLoss, Rng, SGD, tensor, tidy, type Tensor } from '../src/index.ts';

// ------------------------------------------------------------------- MiniFlow, float64, as in the seed

type Mat = { r: number; c: number; v: Float64Array };
const mat = (r: number, c: number, v = new Float64Array(r * c)): Mat => ({ r, c, v });
function dot(a: Mat, b: Mat, ta = false, tb = false): Mat {
  const [m, k] = ta ? [a.c, a.r] : [a.r, a.c];
  const n = tb ? b.r : b.c;
  const out = mat(m, n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let t = 0; t < k; t++) s += (ta ? a.v[t * a.c + i] : a.v[i * a.c + t]) * (tb ? b.v[j * b.c + t] : b.v[t * b.c + j]);
      out.v[i * n + j] = s;
    }
  }
  return out;
}

abstract class MfNode {
  value: Mat = mat(0, 0);
  outbound: MfNode[] = [];
  gradients = new Map<MfNode, Mat>();
  constructor(readonly inbound: MfNode[] = []) {
    for (const n of inbound) n.outbound.push(this);
  }
  abstract forward(): void;
  abstract backward(): void;
  protected zeroGrads(): void {
    for (const n of this.inbound) this.gradients.set(n, mat(n.value.r, n.value.c));
  }
  protected addGrad(n: MfNode, g: Mat): void {
    const acc = this.gradients.get(n)!;
    for (let i = 0; i < acc.v.length; i++) acc.v[i] += g.v[i];
  }
}

class MfInput extends MfNode {
  forward(): void {}
  backward(): void {
    this.gradients.set(this, mat(this.value.r, this.value.c));
    for (const n of this.outbound) this.addGrad(this, n.gradients.get(this)!);
  }
}

class MfLinear extends MfNode {
  constructor(x: MfNode, w: MfNode, b: MfNode) {
    super([x, w, b]);
  }
  forward(): void {
    const [x, w, b] = this.inbound.map((n) => n.value);
    this.value = dot(x, w);
    for (let i = 0; i < this.value.v.length; i++) this.value.v[i] += b.v[i % this.value.c];
  }
  backward(): void {
    this.zeroGrads();
    const [x, w] = this.inbound;
    for (const n of this.outbound) {
      const g = n.gradients.get(this)!;
      this.addGrad(x, dot(g, w.value, false, true)); // grad_cost . W^T
      this.addGrad(w, dot(x.value, g, true, false)); // X^T . grad_cost
      const gb = mat(1, g.c);
      for (let i = 0; i < g.v.length; i++) gb.v[i % g.c] += g.v[i]; // sum over axis 0
      this.addGrad(this.inbound[2], gb);
    }
  }
}

class MfSigmoid extends MfNode {
  forward(): void {
    const x = this.inbound[0].value;
    this.value = mat(x.r, x.c, x.v.map((t) => 1 / (1 + Math.exp(-t))));
  }
  backward(): void {
    this.zeroGrads();
    for (const n of this.outbound) {
      const g = n.gradients.get(this)!;
      this.addGrad(this.inbound[0], mat(g.r, g.c, g.v.map((t, i) => t * this.value.v[i] * (1 - this.value.v[i]))));
    }
  }
}

class MfMSE extends MfNode {
  private diff = mat(0, 0);
  forward(): void {
    const [y, a] = this.inbound.map((n) => n.value);
    this.diff = mat(y.r, 1, y.v.map((t, i) => t - a.v[i]));
    this.value = mat(1, 1, new Float64Array([this.diff.v.reduce((s, d) => s + d * d, 0) / y.r]));
  }
  backward(): void {
    const m = this.diff.r;
    this.gradients.set(this.inbound[0], mat(m, 1, this.diff.v.map((d) => (2 / m) * d)));
    this.gradients.set(this.inbound[1], mat(m, 1, this.diff.v.map((d) => (-2 / m) * d)));
  }
}

/** Kahn's algorithm from the inputs, as MiniFlow's topological_sort(feed_dict). */
function topologicalSort(inputs: MfNode[]): MfNode[] {
  const indeg = new Map<MfNode, number>();
  const seen = new Set<MfNode>(inputs);
  const stack = [...inputs];
  while (stack.length) for (const m of stack.pop()!.outbound) if (!seen.has(m)) (seen.add(m), stack.push(m));
  for (const n of seen) indeg.set(n, n.inbound.length);
  const order: MfNode[] = [];
  const ready = [...seen].filter((n) => indeg.get(n) === 0);
  while (ready.length) {
    const n = ready.shift()!;
    order.push(n);
    for (const m of n.outbound) {
      indeg.set(m, indeg.get(m)! - 1);
      if (indeg.get(m) === 0) ready.push(m);
    }
  }
  return order;
}

function forwardAndBackward(graph: MfNode[]): void {
  for (const n of graph) n.forward();
  for (const n of [...graph].reverse()) n.backward();
}

function gradientDescentUpdate(x: MfNode, lr: number): void {
  const g = x.gradients.get(x)!;
  for (let i = 0; i < x.value.v.length; i++) x.value.v[i] -= lr * g.v[i];
}

// ------------------------------------------------------------------- the run

export interface MiniflowResult {
  /** max |webgrad - MiniFlow| over the first gradients of W1, b1, W2, b2 */
  firstGradMaxDiff: number;
  costs: { webgrad: number[]; miniflow: number[] };
}

export async function run(opts: { epochs?: number; log?: (line: string) => void } = {}): Promise<MiniflowResult> {
  const log = opts.log ?? console.log;
  const epochs = opts.epochs ?? 200;
  const lr = 0.5;
  await init();
  // Data: 64 examples, 3 features; y = a smooth function of the features (deterministic).
  const rng = new Rng(2);
  const m = 64;
  const nIn = 3;
  const nHidden = 8;
  const Xv = Float64Array.from({ length: m * nIn }, () => rng.normal());
  const yv = Float64Array.from({ length: m }, (_, i) => Math.tanh(Xv[i * 3] - 0.5 * Xv[i * 3 + 1]) + 0.3 * Xv[i * 3 + 2]);
  const init0 = {
    W1: Float64Array.from({ length: nIn * nHidden }, () => 0.5 * rng.normal()),
    b1: new Float64Array(nHidden),
    W2: Float64Array.from({ length: nHidden }, () => 0.5 * rng.normal()),
    b2: new Float64Array(1),
  };

  // MiniFlow graph (float64)
  const [X, y, W1, b1, W2, b2] = Array.from({ length: 6 }, () => new MfInput());
  const l1 = new MfLinear(X, W1, b1);
  const s = new MfSigmoid([l1]);
  const l2 = new MfLinear(s, W2, b2);
  const cost = new MfMSE([y, l2]);
  const feed: [MfNode, Mat][] = [
    [X, mat(m, nIn, Xv.slice())], [y, mat(m, 1, yv.slice())],
    [W1, mat(nIn, nHidden, init0.W1.slice())], [b1, mat(1, nHidden, init0.b1.slice())],
    [W2, mat(nHidden, 1, init0.W2.slice())], [b2, mat(1, 1, init0.b2.slice())],
  ];
  for (const [n, v] of feed) n.value = v;
  const graph = topologicalSort([X, y, W1, b1, W2, b2]);
  const trainables = [W1, b1, W2, b2];

  // The same graph in webgrad (float32 on the GPU)
  const Xt = tensor(Float32Array.from(Xv), { shape: [m, nIn] });
  const yt = tensor(Float32Array.from(yv), { shape: [m, 1] });
  const w = {
    W1: tensor(Float32Array.from(init0.W1), { shape: [nIn, nHidden], requiresGrad: true, label: 'W1' }),
    b1: tensor(Float32Array.from(init0.b1), { shape: [nHidden], requiresGrad: true, label: 'b1' }),
    W2: tensor(Float32Array.from(init0.W2), { shape: [nHidden, 1], requiresGrad: true, label: 'W2' }),
    b2: tensor(Float32Array.from(init0.b2), { shape: [1], requiresGrad: true, label: 'b2' }),
  };
  const sgd = new SGD(Object.entries(w), { lr }); // gradient_descent_update for every trainable
  const forwardAndBackwardGpu = (): Tensor =>
    tidy(() => {
      const hidden = linear(Xt, w.W1, w.b1, 'sigmoid'); // Linear + Sigmoid nodes, one kernel
      const out = linear(hidden, w.W2, w.b2); // Linear node
      const c = mseLoss(out, yt); // MSE node
      c.backward();
      return c;
    });

  log(`Seed 002 MiniFlow: X [${m}, ${nIn}] -> Linear -> Sigmoid -> Linear -> MSE, ${nHidden} hidden, learning rate ${lr}`);
  const costs = { webgrad: [] as number[], miniflow: [] as number[] };
  let firstGradMaxDiff = 0;
  for (let epoch = 0; epoch < epochs; epoch++) {
    forwardAndBackward(graph);
    const c = forwardAndBackwardGpu();
    if (epoch === 0) {
      for (const [name, node] of [['W1', W1], ['b1', b1], ['W2', W2], ['b2', b2]] as const) {
        const gpu = await w[name].grad!.data();
        const cpu = node.gradients.get(node)!.v;
        const d = Math.max(...Array.from(gpu, (g, i) => Math.abs(g - cpu[i])));
        firstGradMaxDiff = Math.max(firstGradMaxDiff, d);
        log(`  d cost / d ${name}: webgrad vs MiniFlow max |difference| ${d.toExponential(2)}`);
      }
    }
    for (const t of trainables) gradientDescentUpdate(t, lr);
    sgd.step();
    sgd.zeroGrad();
    costs.miniflow.push(cost.value.v[0]);
    costs.webgrad.push(await c.item());
    c.dispose();
    if (epoch % Math.max(1, Math.floor(epochs / 5)) === 0 || epoch === epochs - 1) {
      log(`  epoch ${String(epoch + 1).padStart(4)}: cost webgrad ${costs.webgrad[epoch].toFixed(6)}   MiniFlow ${costs.miniflow[epoch].toFixed(6)}`);
    }
  }
  return { firstGradMaxDiff, costs };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const i = process.argv.indexOf('--epochs');
  await run({ epochs: i >= 0 ? Number(process.argv[i + 1]) : undefined });
}
