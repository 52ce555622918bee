// webgrad through its public API (src/index.ts, plus src/nn and src/optim). Work is recorded
// into webgrad's one command encoder; every case flushes at the end of run()/step() so the CPU
// time of a step includes its submission, as it does for the peers.
import {
  adapterInfo, add, autotuneIdle, autotuneResults, capture, flush, keep, memory, runtime, softmaxCrossEntropy, sum, sync, tensor, tidy, matmul,
  Linear, Sequential, SGD, conv2d, maxPool2d, releasePool, ReLU, Module, nn, type CapturedStep, type Tensor,
  scaledDotProductAttention, layerNorm, softmax, where, tril, ones, transpose, GPT,
} from '../../src/index.ts';
import type { GptData, GptSpec } from '../core/gpt-reference.ts';
import type { AttnShape } from '../suites/attention.ts';
import { LN_EPS, type LnShape } from '../suites/layernorm.ts';
import { cnnDims, type CnnData, type CnnSpec } from '../core/cnn-reference.ts';
import { concatF32 } from '../core/layout.ts';
import { describeAdapter, probeFor, type GpuCounters } from '../core/instrument.ts';
import type { MatmulShape, MlpData, MlpSpec } from '../core/reference.ts';
import { outSize } from '../suites/conv.ts';
import type { SuiteName } from '../suites/types.ts';
import type { Engine, EngineName, OpCase, TrainCase } from './types.ts';

/**
 * 'webgrad': eager. 'webgrad-captured': the training steps recorded once with capture() and
 * replayed. 'webgrad-composite': attention from webgrad's own ops instead of the fused kernel.
 */
export function webgradEngine(mode: 'eager' | 'captured' | 'composite' = 'eager'): Engine {
  const probe = probeFor(runtime().device);
  const captured = mode === 'captured';
  const name: EngineName = mode === 'eager' ? 'webgrad' : mode === 'captured' ? 'webgrad-captured' : 'webgrad-composite';
  const SUITES: Record<typeof mode, SuiteName[]> = {
    eager: ['warmup', 'matmul', 'bandwidth', 'softmax-ce', 'dispatch', 'training', 'conv', 'cnn', 'attention', 'layernorm', 'gpt'],
    captured: ['training', 'cnn', 'gpt'],
    composite: ['attention'],
  };
  return {
    name,
    probe,
    suites: SUITES[mode],
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
    cnn(spec, data) {
      return cnnCase(spec, data, captured);
    },
    gpt(spec, data) {
      return gptCase(spec, data, captured);
    },
    attention(a, pass, q, k, v, dO) {
      return attentionCase(a, pass, q, k, v, dO, mode === 'composite');
    },
    layerNorm(shape, pass, x, gamma, beta, dy) {
      return layerNormCase(shape, pass, x, gamma, beta, dy);
    },
    releaseMemory: () => releasePool(),
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
  return gradsOf([leaf], f, dy)[0];
}

/** The gradients of sum(f() * dy) with respect to `leaves`, handed to the caller. */
function gradsOf(leaves: Tensor[], f: () => Tensor, dy: Tensor): Tensor[] {
  for (const l of leaves) l.zeroGrad();
  tidy(() => f().backward(dy));
  return leaves.map((l) => {
    const g = l.grad!;
    l.grad = null;
    return g;
  });
}

/** A case whose run() evaluates `fn`; result() reads its output(s) back, concatenated in order. */
function opCase(fn: () => Tensor | Tensor[], inputs: Tensor[]): OpCase {
  let last: Tensor[] = [];
  return {
    run() {
      const out = fn();
      const outs = Array.isArray(out) ? out : [out];
      for (const t of outs) keep(t);
      for (const t of last) t.dispose();
      last = outs;
      flush();
    },
    settle: () => sync(),
    async result() {
      if (!last.length) throw new Error('result() before run()');
      return concatF32(await Promise.all(last.map(async (t) => (await t.data()) as Float32Array)));
    },
    dispose() {
      for (const t of last) t.dispose();
      for (const t of inputs) {
        t.zeroGrad();
        t.dispose();
      }
    },
  };
}

/**
 * softmax(q k^T * scale + causal mask) v from webgrad's ops (the fused kernel's reference, as in
 * test/ops-attention.test.ts); `keepMask` is tril(ones([T, T])), built once outside the timing.
 */
function compositeAttention(q: Tensor, k: Tensor, v: Tensor, keepMask: Tensor): Tensor {
  const s = matmul(q, transpose(k)).mul(1 / Math.sqrt(q.shape[3]));
  return softmax(where(keepMask, s, -Infinity), -1).matmul(v);
}

function attentionCase(a: AttnShape, pass: 'forward' | 'backward', q: Float32Array, k: Float32Array, v: Float32Array, dO: Float32Array, composite: boolean): OpCase {
  const shape = [a.B, a.H, a.T, a.D];
  const grad = pass === 'backward';
  const [Q, K, V] = [q, k, v].map((d) => keep(tensor(d, { shape, requiresGrad: grad })));
  const DO = keep(tensor(dO, { shape }));
  const mask = composite ? keep(tril(ones([a.T, a.T]))) : null;
  const f = () => (mask ? compositeAttention(Q, K, V, mask) : scaledDotProductAttention(Q, K, V, { causal: true }));
  const inputs = [Q, K, V, DO, ...(mask ? [mask] : [])];
  return grad ? opCase(() => gradsOf([Q, K, V], f, DO), inputs) : opCase(f, inputs);
}

function layerNormCase(s: LnShape, pass: 'forward' | 'backward', x: Float32Array, gamma: Float32Array, beta: Float32Array, dy: Float32Array): OpCase {
  const grad = pass === 'backward';
  const X = keep(tensor(x, { shape: [s.rows, s.cols], requiresGrad: grad }));
  const G = keep(tensor(gamma, { shape: [s.cols], requiresGrad: grad }));
  const B = keep(tensor(beta, { shape: [s.cols], requiresGrad: grad }));
  const DY = keep(tensor(dy, { shape: [s.rows, s.cols] }));
  const f = () => layerNorm(X, s.cols, G, B, { eps: LN_EPS });
  return grad ? opCase(() => gradsOf([X, G, B], f, DY), [X, G, B, DY]) : opCase(f, [X, G, B, DY]);
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
  const x = keep(tensor(data.x, { shape: [batch, sizes[0]] }));
  const y = keep(tensor(data.y, { shape: [batch], dtype: 'i32' }));
  return sgdStep(model, model.parameters(), spec.lr, (m) => softmaxCrossEntropy(m.forward(x), y), [x, y], captured, 'bench:mlp');
}

/** The SimpleConvNet step: nn.Conv2d - ReLU - MaxPool2d - Flatten - Linear (fused ReLU) - Linear. */
function cnnCase(spec: CnnSpec, data: CnnData, captured: boolean): TrainCase {
  const { features } = cnnDims(spec);
  const conv = new nn.Conv2d(1, spec.filters, spec.k, { seed: spec.seed });
  const fc1 = new Linear(features, spec.hidden, { seed: spec.seed + 1, activation: 'relu' });
  const fc2 = new Linear(spec.hidden, spec.classes, { seed: spec.seed + 2 });
  const model = new Sequential(conv, new ReLU(), new nn.MaxPool2d(2), new nn.Flatten(), fc1, fc2);
  const params = [conv.weight, conv.bias!, fc1.weight, fc1.bias, fc2.weight, fc2.bias];
  params.forEach((p, i) => p.write(data.params[i])); // Linear weights [in, out]: webgrad's layout
  const x = keep(tensor(data.x, { shape: [spec.batch, 1, spec.size, spec.size] }));
  const y = keep(tensor(data.y, { shape: [spec.batch], dtype: 'i32' }));
  return sgdStep(model, params, spec.lr, (m) => softmaxCrossEntropy(m.forward(x), y), [x, y], captured, 'bench:cnn');
}

/**
 * The model zoo's GPT (src/models/gpt.ts), its parameters written in place from the bench's
 * host data in gptParamShapes order (Linear weights [in, out]: webgrad's own layout).
 */
function gptCase(spec: GptSpec, data: GptData, captured: boolean): TrainCase {
  const model = new GPT({ vocabSize: spec.vocab, blockSize: spec.T, nLayer: spec.nLayer, nHead: spec.nHead, nEmbd: spec.nEmbd, seed: spec.seed });
  const lin = (m: unknown) => m as Linear;
  const params: Tensor[] = [model.wte.weight, model.wpe.weight];
  for (const b of model.h) {
    const [qkv, proj, fc, fcProj] = [b.attn.c_attn, b.attn.c_proj, b.mlp.c_fc, b.mlp.c_proj].map(lin);
    params.push(b.ln_1.weight!, b.ln_1.bias!, qkv.weight, qkv.bias, proj.weight, proj.bias, b.ln_2.weight!, b.ln_2.bias!, fc.weight, fc.bias, fcProj.weight, fcProj.bias);
  }
  params.push(model.ln_f.weight!, model.ln_f.bias!);
  const owned = model.parameters().reduce((n, p) => n + p.size, 0);
  const listed = params.reduce((n, p) => n + p.size, 0);
  if (owned !== listed) throw new Error(`bench: the GPT has ${owned} parameter values, the bench's list ${listed} (the architecture changed?)`);
  params.forEach((p, i) => p.write(data.params[i]));
  const ids = keep(tensor(data.ids, { shape: [spec.batch, spec.T], dtype: 'i32' }));
  const targets = keep(tensor(data.targets, { shape: [spec.batch, spec.T], dtype: 'i32' }));
  return sgdStep(model, params, spec.lr, (m) => m.loss(ids, targets), [ids, targets], captured, 'bench:gpt');
}

/**
 * A training step of `model` with SGD: zero the gradients, loss, backward, update; eager in a
 * tidy scope, or recorded once with capture() and replayed. `params` in the order params() reads.
 */
function sgdStep<M extends Module>(model: M, params: Tensor[], lr: number, lossOf: (m: M) => Tensor, inputs: Tensor[], captured: boolean, label: string): TrainCase {
  const opt = new SGD(model, { lr });
  const body = () => {
    opt.zeroGrad();
    const loss = lossOf(model);
    loss.backward();
    opt.step();
    return loss;
  };
  const cap: CapturedStep<Tensor> | null = captured ? capture(body, { label }) : null;
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
      return Promise.all(params.map(async (p) => (await p.data()) as Float32Array));
    },
    dispose() {
      if (!cap) last?.dispose();
      cap?.dispose();
      opt.dispose();
      model.dispose();
      for (const t of inputs) t.dispose();
    },
  };
}
