// TensorFlow.js 4.22 (`@tensorflow/tfjs` union package for gradients and optimizers, plus
// `@tensorflow/tfjs-backend-webgpu`). Pitfalls handled here:
// - the WebGPU backend checks navigator.gpu when it is imported, so it is imported lazily,
//   after the caller set navigator.gpu (Node: Dawn; both: our instrumented wrapper);
// - tensors under 1,000 elements run on the CPU by default: WEBGPU_CPU_FORWARD is set false;
// - TF.js keeps up to 15 dispatches in a pass before it submits; settle() ends the pass,
//   submits and waits for the queue (onSubmittedWorkDone), without a readback.
import type * as TF from '@tensorflow/tfjs';
import type { DeviceProbe } from '../core/instrument.ts';
import type { MatmulShape, MlpData, MlpSpec } from '../core/reference.ts';
import { cnnDims, type CnnData, type CnnSpec } from '../core/cnn-reference.ts';
import { gptParamShapes, type GptData, type GptSpec } from '../core/gpt-reference.ts';
import { concatF32, permute4 } from '../core/layout.ts';
import { oneHot } from '../core/reference.ts';
import { LN_EPS } from '../suites/layernorm.ts';
import { outSize } from '../suites/conv.ts';
import type { Engine, OpCase, TrainCase } from './types.ts';

type Tf = typeof TF;
interface WebGpuBackendInternals {
  device: GPUDevice;
  commandEncoder: GPUCommandEncoder | null;
  endComputePassEncoder(): void;
  submitQueue(): void;
}

/** Load TF.js on the WebGPU backend. navigator.gpu must already be the wrapped GPU. */
export async function tfjsEngine(probeOf: (d: GPUDevice) => DeviceProbe): Promise<Engine & { version: string }> {
  const tf = (await import('@tensorflow/tfjs')) as Tf;
  await import('@tensorflow/tfjs-backend-webgpu');
  tf.env().set('WEBGPU_CPU_FORWARD', false);
  if (!(await tf.setBackend('webgpu'))) throw new Error('TF.js: the webgpu backend failed to initialise');
  await tf.ready();
  const backend = tf.backend() as unknown as WebGpuBackendInternals;
  const probe = probeOf(backend.device);

  async function settle(): Promise<void> {
    backend.endComputePassEncoder();
    if (backend.commandEncoder) backend.submitQueue();
    await backend.device.queue.onSubmittedWorkDone();
  }

  /** A case whose run() evaluates `fn`; result() reads its output(s) back, concatenated in order. */
  function opCase(fn: () => TF.Tensor | TF.Tensor[], inputs: TF.Tensor[]): OpCase {
    let last: TF.Tensor[] = [];
    return {
      run() {
        const out = fn();
        tf.dispose(last);
        last = Array.isArray(out) ? out : [out];
      },
      settle,
      async result() {
        if (!last.length) throw new Error('result() before run()');
        return concatF32(await Promise.all(last.map(async (t) => Float32Array.from((await t.data()) as Float32Array))));
      },
      dispose() {
        tf.dispose(last);
        tf.dispose(inputs);
      },
    };
  }

  return {
    name: 'tfjs',
    version: tf.version.tfjs,
    probe,
    suites: ['warmup', 'matmul', 'bandwidth', 'softmax-ce', 'dispatch', 'training', 'conv', 'cnn', 'attention', 'layernorm', 'gpt'],
    adapter: probe.adapter,
    ownCounters: () => null,
    matmul(s: MatmulShape, a, b) {
      const A = tf.tensor2d(a, s.transA ? [s.K, s.M] : [s.M, s.K]);
      const B = tf.tensor2d(b, s.transB ? [s.N, s.K] : [s.K, s.N]);
      return opCase(() => tf.matMul(A, B, s.transA, s.transB), [A, B]);
    },
    add(n, a, b) {
      const A = tf.tensor1d(a);
      const B = tf.tensor1d(b);
      return opCase(() => tf.add(A, B), [A, B]);
    },
    biasSum(rows, cols, x) {
      const X = tf.tensor2d(x, [rows, cols]);
      return opCase(() => tf.sum(X, 0), [X]);
    },
    softmaxCE(batch, classes, logits, _y, yOneHot) {
      const L = tf.tensor2d(logits, [batch, classes]);
      const Y = tf.tensor2d(yOneHot, [batch, classes]);
      const g = tf.grad((l: TF.Tensor) => tf.losses.softmaxCrossEntropy(Y, l));
      return opCase(() => g(L), [L, Y]);
    },
    addChain(n, len, x, y) {
      const X = tf.tensor1d(x);
      const Y = tf.tensor1d(y);
      return opCase(() => tf.tidy(() => {
        let h = tf.add(X, Y);
        for (let i = 1; i < len; i++) h = tf.add(h, Y);
        return h;
      }), [X, Y]);
    },
    mlp(spec, data) {
      return mlpCase(tf, spec, data, settle);
    },
    cnn(spec, data) {
      return cnnCase(tf, spec, data, settle);
    },
    gpt(spec, data) {
      return gptCase(tf, spec, data, settle);
    },
    // TF.js convolves NHWC with HWIO filters: the data is transposed on the host, outside the timing.
    conv2d(c, pass, x, w, dy) {
      const [OH, OW] = outSize(c);
      const X = tf.tensor4d(permute4(x, [c.N, c.C, c.H, c.W], [0, 2, 3, 1]), [c.N, c.H, c.W, c.C]);
      const F = tf.tensor4d(permute4(w, [c.O, c.C, c.k, c.k], [2, 3, 1, 0]), [c.k, c.k, c.C, c.O]);
      const DY = tf.tensor4d(permute4(dy, [c.N, c.O, OH, OW], [0, 2, 3, 1]), [c.N, OH, OW, c.O]);
      const conv = (xx: TF.Tensor, ff: TF.Tensor) => tf.conv2d(xx as TF.Tensor4D, ff as TF.Tensor4D, 1, c.pad);
      if (pass === 'forward') return back(opCase(() => conv(X, F), [X, F, DY]), [c.N, OH, OW, c.O], [0, 3, 1, 2]);
      if (pass === 'data') return back(opCase(() => tf.grad((xx: TF.Tensor) => conv(xx, F))(X, DY), [X, F, DY]), [c.N, c.H, c.W, c.C], [0, 3, 1, 2]);
      return back(opCase(() => tf.grad((ff: TF.Tensor) => conv(X, ff))(F, DY), [X, F, DY]), [c.k, c.k, c.C, c.O], [3, 2, 0, 1]);
    },
    maxPool(p, pass, x, dy) {
      const [OH, OW] = [Math.floor(p.H / p.k), Math.floor(p.W / p.k)];
      const X = tf.tensor4d(permute4(x, [p.N, p.C, p.H, p.W], [0, 2, 3, 1]), [p.N, p.H, p.W, p.C]);
      const DY = tf.tensor4d(permute4(dy, [p.N, p.C, OH, OW], [0, 2, 3, 1]), [p.N, OH, OW, p.C]);
      const pool = (xx: TF.Tensor) => tf.maxPool(xx as TF.Tensor4D, p.k, p.k, 'valid');
      if (pass === 'forward') return back(opCase(() => pool(X), [X, DY]), [p.N, OH, OW, p.C], [0, 3, 1, 2]);
      return back(opCase(() => tf.grad(pool)(X, DY), [X, DY]), [p.N, p.H, p.W, p.C], [0, 3, 1, 2]);
    },
    // Composed as tfjs-layers' attention does: batched matmuls, an additive causal mask, softmax.
    attention(a, pass, q, k, v, dO) {
      const shape: [number, number, number, number] = [a.B, a.H, a.T, a.D];
      const [Q, K, V, DO] = [q, k, v, dO].map((d) => tf.tensor4d(d, shape));
      const T = a.T;
      const bias = tf.tensor2d(Float32Array.from({ length: T * T }, (_, i) => (i % T <= Math.floor(i / T) ? 0 : -1e9)), [T, T]);
      const scale = 1 / Math.sqrt(a.D);
      const att = (qq: TF.Tensor, kk: TF.Tensor, vv: TF.Tensor) => tf.matMul(tf.softmax(tf.matMul(qq, kk, false, true).mul(scale).add(bias)), vv);
      const inputs = [Q, K, V, DO, bias];
      if (pass === 'forward') return opCase(() => tf.tidy(() => att(Q, K, V)), inputs);
      const g = tf.grads(att as (...xs: TF.Tensor[]) => TF.Tensor);
      return opCase(() => g([Q, K, V], DO), inputs);
    },
    layerNorm(sh, pass, x, gamma, beta, dy) {
      const X = tf.tensor2d(x, [sh.rows, sh.cols]);
      const [G, B] = [gamma, beta].map((d) => tf.tensor1d(d));
      const DY = tf.tensor2d(dy, [sh.rows, sh.cols]);
      const ln = (xx: TF.Tensor, gg: TF.Tensor, bb: TF.Tensor) => {
        const { mean, variance } = tf.moments(xx, -1, true);
        return xx.sub(mean).mul(tf.rsqrt(variance.add(LN_EPS))).mul(gg).add(bb);
      };
      if (pass === 'forward') return opCase(() => tf.tidy(() => ln(X, G, B)), [X, G, B, DY]);
      const g = tf.grads(ln as (...xs: TF.Tensor[]) => TF.Tensor);
      return opCase(() => g([X, G, B], DY), [X, G, B, DY]);
    },
    // Destroy the buffers TF.js keeps for reuse (its BufferManager's free lists), as webgrad's releasePool().
    releaseMemory() {
      const bm = (backend as unknown as { bufferManager?: { freeBuffers: Map<string, GPUBuffer[]>; numFreeBuffers: number } }).bufferManager;
      if (!bm) return;
      for (const list of bm.freeBuffers.values()) {
        for (const b of list) b.destroy();
        list.length = 0; // the lists stay: releaseBuffer() returns early when the map is empty
      }
      bm.numFreeBuffers = 0;
    },
    dispose() {
      tf.disposeVariables();
    },
  };
}

/** The case with its result permuted back to the suite's layout on the host (not timed). */
function back(c: OpCase, shape: number[], perm: number[]): OpCase {
  return { ...c, result: async () => permute4(await c.result(), shape, perm) };
}

function mlpCase(tf: Tf, spec: MlpSpec, data: MlpData, settle: () => Promise<void>): TrainCase {
  const { sizes, batch } = spec;
  const L = sizes.length - 1;
  const vars: TF.Variable[] = [];
  for (let l = 0; l < L; l++) {
    vars.push(tf.variable(tf.tensor2d(data.params[2 * l], [sizes[l], sizes[l + 1]]), true, `w${l}`));
    vars.push(tf.variable(tf.tensor1d(data.params[2 * l + 1]), true, `b${l}`));
  }
  const x = tf.tensor2d(data.x, [batch, sizes[0]]);
  const y = tf.tensor2d(data.yOneHot, [batch, sizes[L]]);
  const lossFn = (): TF.Scalar => {
    let h: TF.Tensor2D = x;
    for (let l = 0; l < L; l++) {
      // TF.js's fused matmul + bias + activation (its fastest dense layer, with gradients).
      h = tf.fused.matMul({ a: h, b: vars[2 * l] as TF.Tensor2D, bias: vars[2 * l + 1], activation: l < L - 1 ? 'relu' : 'linear' }) as TF.Tensor2D;
    }
    return tf.losses.softmaxCrossEntropy(y, h) as TF.Scalar;
  };
  return sgdCase(tf, vars, lossFn, [x, y], spec.lr, settle, async () => Promise.all(vars.map(async (v) => Float32Array.from((await v.data()) as Float32Array))));
}

/**
 * SimpleConvNet in TF.js's layout: NHWC input (with one channel the same bytes as NCHW), HWIO
 * filters, fused conv2d + bias + ReLU, max-pool, then flattening in (i, j, f) order, so the first
 * dense weight holds the reference's rows permuted (the same function; un-permuted by params()).
 */
function cnnCase(tf: Tf, spec: CnnSpec, data: CnnData, settle: () => Promise<void>): TrainCase {
  const { batch: N, filters: F, k } = spec;
  const { pooled: P, features } = cnnDims(spec);
  const tfRow = (r: number) => { // reference row (f, i, j) -> TF.js row (i, j, f)
    const f = Math.floor(r / (P * P));
    return (r % (P * P)) * F + f;
  };
  const W1 = new Float32Array(data.params[2].length);
  for (let r = 0; r < features; r++) W1.set(data.params[2].subarray(r * spec.hidden, (r + 1) * spec.hidden), tfRow(r) * spec.hidden);
  const vars = [
    tf.variable(tf.tensor4d(permute4(data.params[0], [F, 1, k, k], [2, 3, 1, 0]), [k, k, 1, F]), true, 'conv_w'),
    tf.variable(tf.tensor1d(data.params[1]), true, 'conv_b'),
    tf.variable(tf.tensor2d(W1, [features, spec.hidden]), true, 'w1'),
    tf.variable(tf.tensor1d(data.params[3]), true, 'b1'),
    tf.variable(tf.tensor2d(data.params[4], [spec.hidden, spec.classes]), true, 'w2'),
    tf.variable(tf.tensor1d(data.params[5]), true, 'b2'),
  ];
  const x = tf.tensor4d(data.x, [N, spec.size, spec.size, 1]);
  const y = tf.tensor2d(data.yOneHot, [N, spec.classes]);
  const lossFn = (): TF.Scalar => {
    const c = tf.fused.conv2d({ x, filter: vars[0] as TF.Tensor4D, bias: vars[1], activation: 'relu', strides: 1, pad: 'valid' });
    const pooled = tf.maxPool(c, 2, 2, 'valid').reshape([N, features]) as TF.Tensor2D;
    const h = tf.fused.matMul({ a: pooled, b: vars[2] as TF.Tensor2D, bias: vars[3], activation: 'relu' });
    const z = tf.fused.matMul({ a: h, b: vars[4] as TF.Tensor2D, bias: vars[5] });
    return tf.losses.softmaxCrossEntropy(y, z) as TF.Scalar;
  };
  const read = async (v: TF.Variable) => Float32Array.from((await v.data()) as Float32Array);
  const params = async () => {
    const p = await Promise.all(vars.map(read));
    const w1 = new Float32Array(p[2].length);
    for (let r = 0; r < features; r++) w1.set(p[2].subarray(tfRow(r) * spec.hidden, (tfRow(r) + 1) * spec.hidden), r * spec.hidden);
    return [permute4(p[0], [k, k, 1, F], [3, 2, 0, 1]), p[1], w1, p[3], p[4], p[5]];
  };
  return sgdCase(tf, vars, lossFn, [x, y], spec.lr, settle, params);
}

/**
 * The GPT composed from TF.js ops: gather embeddings, moments-based layer norm, fused matmul +
 * bias projections, batched-matmul attention with an additive causal mask, erf GELU, the head
 * tied to the token embedding, softmax cross-entropy over one-hot targets.
 */
function gptCase(tf: Tf, spec: GptSpec, data: GptData, settle: () => Promise<void>): TrainCase {
  const { batch: B, T, vocab: V, nHead: H, nEmbd: E } = spec;
  const M = B * T;
  const Dh = E / H;
  const shapes = gptParamShapes(spec);
  const vars = data.params.map((p, i) => tf.variable(tf.tensor(p, shapes[i][1]), true, `gpt_${i}`));
  const ids = tf.tensor1d(data.ids, 'int32');
  const y = tf.tensor2d(oneHot(data.targets, V), [M, V]);
  const bias = tf.tensor2d(Float32Array.from({ length: T * T }, (_, i) => (i % T <= Math.floor(i / T) ? 0 : -1e9)), [T, T]);
  const scale = 1 / Math.sqrt(Dh);
  const ln = (x: TF.Tensor, g: TF.Tensor, b: TF.Tensor) => {
    const { mean, variance } = tf.moments(x, -1, true);
    return x.sub(mean).mul(tf.rsqrt(variance.add(LN_EPS))).mul(g).add(b);
  };
  const dense = (x: TF.Tensor, w: TF.Tensor, b: TF.Tensor) => tf.fused.matMul({ a: x as TF.Tensor2D, b: w as TF.Tensor2D, bias: b });
  const heads = (t: TF.Tensor) => t.reshape([B, T, H, Dh]).transpose([0, 2, 1, 3]);
  const lossFn = (): TF.Scalar => {
    const p = vars;
    let x: TF.Tensor = tf.gather(p[0], ids).reshape([B, T, E]).add(p[1]).reshape([M, E]);
    for (let l = 0; l < spec.nLayer; l++) {
      const o = 2 + 12 * l;
      const [q, k, v] = tf.split(dense(ln(x, p[o], p[o + 1]), p[o + 2], p[o + 3]), 3, 1).map(heads);
      const att = tf.matMul(tf.softmax(tf.matMul(q, k, false, true).mul(scale).add(bias)), v);
      x = x.add(dense(att.transpose([0, 2, 1, 3]).reshape([M, E]), p[o + 4], p[o + 5]));
      const fc = dense(ln(x, p[o + 6], p[o + 7]), p[o + 8], p[o + 9]);
      x = x.add(dense(fc.mul(0.5).mul(tf.erf(fc.mul(Math.SQRT1_2)).add(1)), p[o + 10], p[o + 11]));
    }
    const n = 2 + 12 * spec.nLayer;
    const logits = tf.matMul(ln(x, p[n], p[n + 1]), p[0], false, true);
    return tf.losses.softmaxCrossEntropy(y, logits) as TF.Scalar;
  };
  const params = async () => Promise.all(vars.map(async (v) => Float32Array.from((await v.data()) as Float32Array)));
  return sgdCase(tf, vars, lossFn, [ids, y, bias], spec.lr, settle, params);
}

/** An SGD step through optimizer.minimize (TF.js's training path), the loss kept until the next step. */
function sgdCase(tf: Tf, vars: TF.Variable[], lossFn: () => TF.Scalar, inputs: TF.Tensor[], lr: number, settle: () => Promise<void>, params: () => Promise<Float32Array[]>): TrainCase {
  const opt = tf.train.sgd(lr);
  let last: TF.Scalar | null = null;
  return {
    step() {
      const loss = opt.minimize(lossFn, true, vars);
      last?.dispose();
      last = loss;
    },
    settle,
    async loss() {
      if (!last) throw new Error('loss() before step()');
      return (await last.data())[0];
    },
    params,
    dispose() {
      last?.dispose();
      opt.dispose();
      tf.dispose([...inputs, ...vars]);
    },
  };
}
