// webgrad through its public API (src/index.ts, plus src/nn and src/optim). Work is recorded
// into webgrad's one command encoder; every case flushes at the end of run()/step() so the CPU
// time of a step includes its submission, as it does for the peers.
import {
  adapterInfo, add, autotuneIdle, autotuneResults, capture, flush, keep, memory, runtime, softmaxCrossEntropy, sum, sync, tensor, tidy, matmul,
  Linear, Sequential, SGD, conv2d, maxPool2d, type CapturedStep, type Tensor,
} from '../../src/index.ts';
import { describeAdapter, probeFor, type GpuCounters } from '../core/instrument.ts';
import type { MatmulShape, MlpData, MlpSpec } from '../core/reference.ts';
import { outSize } from '../suites/conv.ts';
import type { Engine, EngineName, OpCase, TrainCase } from './types.ts';

/** `captured`: the training step is recorded once with capture() and replayed. */
export function webgradEngine(captured = false): Engine {
  const probe = probeFor(runtime().device);
  const name: EngineName = captured ? 'webgrad-captured' : 'webgrad';
  return {
    name,
    probe,
    suites: captured ? ['training'] : ['warmup', 'matmul', 'bandwidth', 'softmax-ce', 'dispatch', 'training', 'conv'],
    adapter: describeAdapter(adapterInfo()),
    // webgrad times matmul variants in the background the first time a shape class is seen
    // (and then switches to the winner); the timed samples start once that is over.
    quiesce: () => autotuneIdle(),
    notes: () => {
      const tuned = autotuneResults().map(({ key, winner, times }) =>
        `${key} -> ${winner}${times ? ` (${Object.entries(times).sort((a, b) => a[1] - b[1]).map(([v, ms]) => `${v} ${ms.toFixed(1)}`).join(', ')} ms)` : ''}`);
      return tuned.length ? [`webgrad matmul autotuning (shape class -> winner, median ms per variant): ${tuned.join('; ')}`] : [];
    },
    ownCounters(): Partial<GpuCounters> {
      const rt = runtime();
      return { submits: rt.stats.submits, pipelines: rt.pipelines.stats.pipelinesCreated, buffers: memory().buffersCreated, bindGroups: rt.stats.bindGroups, dispatches: rt.stats.dispatches };
    },
    matmul(s: MatmulShape, a: Float32Array, b: Float32Array): OpCase {
      const A = keep(tensor(a, { shape: s.transA ? [s.K, s.M] : [s.M, s.K] }));
      const B = keep(tensor(b, { shape: s.transB ? [s.N, s.K] : [s.K, s.N] }));
      // Transposed operands are read in place (matmul's transposeA / transposeB).
      return opCase(() => matmul(A, B, { transposeA: !!s.transA, transposeB: !!s.transB }), [A, B]);
    },
    add(n, a, b) {
      const A = keep(tensor(a, { shape: [n] }));
      const B = keep(tensor(b, { shape: [n] }));
      return opCase(() => add(A, B), [A, B]);
    },
    biasSum(rows, cols, x) {
      const X = keep(tensor(x, { shape: [rows, cols] }));
      return opCase(() => sum(X, { axis: 0 }), [X]);
    },
    softmaxCE(batch, classes, logits, y) {
      const L = keep(tensor(logits, { shape: [batch, classes], requiresGrad: true }));
      const Y = keep(tensor(y, { shape: [batch], dtype: 'i32' }));
      return opCase(() => {
        L.zeroGrad();
        tidy(() => softmaxCrossEntropy(L, Y).backward());
        const g = L.grad!;
        L.grad = null; // hand the gradient to the case (the next run() gets a fresh one)
        return g;
      }, [L, Y]);
    },
    addChain(n, len, x, y) {
      const X = keep(tensor(x, { shape: [n] }));
      const Y = keep(tensor(y, { shape: [n] }));
      return opCase(() => tidy(() => {
        let h = add(X, Y);
        for (let i = 1; i < len; i++) h = add(h, Y);
        return h;
      }), [X, Y]);
    },
    mlp(spec, data) {
      return mlpCase(spec, data, captured);
    },
    conv2d(c, pass, x, w, dy) {
      const X = keep(tensor(x, { shape: [c.N, c.C, c.H, c.W], requiresGrad: pass === 'data' }));
      const Wt = keep(tensor(w, { shape: [c.O, c.C, c.k, c.k], requiresGrad: pass === 'filter' }));
      const DY = keep(tensor(dy, { shape: [c.N, c.O, ...outSize(c)] }));
      const f = () => conv2d(X, Wt, null, { padding: c.pad });
      return pass === 'forward' ? opCase(f, [X, Wt, DY]) : opCase(() => gradOf(pass === 'data' ? X : Wt, f, DY), [X, Wt, DY]);
    },
    maxPool(p, pass, x, dy) {
      const X = keep(tensor(x, { shape: [p.N, p.C, p.H, p.W], requiresGrad: pass === 'backward' }));
      const DY = keep(tensor(dy, { shape: [p.N, p.C, Math.floor(p.H / p.k), Math.floor(p.W / p.k)] }));
      const f = () => maxPool2d(X, { kernelSize: p.k });
      return pass === 'forward' ? opCase(f, [X, DY]) : opCase(() => gradOf(X, f, DY), [X, DY]);
    },
    dispose() {},
  };
}

/** The gradient of sum(f() * dy) with respect to `leaf`, handed to the caller. */
function gradOf(leaf: Tensor, f: () => Tensor, dy: Tensor): Tensor {
  leaf.zeroGrad();
  tidy(() => f().backward(dy));
  const g = leaf.grad!;
  leaf.grad = null;
  return g;
}

function opCase(fn: () => Tensor, inputs: Tensor[]): OpCase {
  let last: Tensor | null = null;
  return {
    run() {
      const out = keep(fn());
      last?.dispose();
      last = out;
      flush();
    },
    settle: () => sync(),
    async result() {
      if (!last) throw new Error('result() before run()');
      return (await last.data()) as Float32Array;
    },
    dispose() {
      last?.dispose();
      for (const t of inputs) {
        t.zeroGrad();
        t.dispose();
      }
    },
  };
}

function mlpCase(spec: MlpSpec, data: MlpData, captured: boolean): TrainCase {
  const { sizes, batch } = spec;
  const layers: Linear[] = [];
  for (let l = 0; l + 1 < sizes.length; l++) {
    layers.push(new Linear(sizes[l], sizes[l + 1], { seed: spec.seed + l, activation: l + 2 < sizes.length ? 'relu' : 'none' }));
  }
  const model = new Sequential(...layers);
  // The bench's parameters are stored [in, out], webgrad's own Linear layout, so they are written
  // in place (loadStateDict takes PyTorch's [out, in] shapes and refuses flat data as ambiguous).
  layers.forEach((layer, l) => {
    layer.weight.write(data.params[2 * l]);
    layer.bias.write(data.params[2 * l + 1]);
  });
  const opt = new SGD(model, { lr: spec.lr });
  const x = keep(tensor(data.x, { shape: [batch, sizes[0]] }));
  const y = keep(tensor(data.y, { shape: [batch], dtype: 'i32' }));
  const body = () => {
    opt.zeroGrad();
    const loss = softmaxCrossEntropy(model.forward(x), y);
    loss.backward();
    opt.step();
    return loss;
  };
  const cap: CapturedStep<Tensor> | null = captured ? capture(body, { label: 'bench:mlp' }) : null;
  let last: Tensor | null = null;
  return {
    step() {
      if (cap) {
        last = cap.run();
      } else {
        const loss = keep(tidy(body));
        last?.dispose();
        last = loss;
      }
      flush();
    },
    settle: () => sync(),
    async loss() {
      if (!last) throw new Error('loss() before step()');
      return (await last.data())[0];
    },
    async params() {
      return Promise.all(model.parameters().map(async (p) => (await p.data()) as Float32Array));
    },
    dispose() {
      if (!cap) last?.dispose();
      cap?.dispose();
      opt.dispose();
      model.dispose();
      x.dispose();
      y.dispose();
    },
  };
}
