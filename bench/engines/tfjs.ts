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

  function opCase(fn: () => TF.Tensor, inputs: TF.Tensor[]): OpCase {
    let last: TF.Tensor | null = null;
    return {
      run() {
        const out = fn();
        last?.dispose();
        last = out;
      },
      settle,
      async result() {
        if (!last) throw new Error('result() before run()');
        return Float32Array.from((await last.data()) as Float32Array);
      },
      dispose() {
        last?.dispose();
        tf.dispose(inputs);
      },
    };
  }

  return {
    name: 'tfjs',
    version: tf.version.tfjs,
    probe,
    suites: ['warmup', 'matmul', 'bandwidth', 'softmax-ce', 'dispatch', 'training', 'conv'],
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
    dispose() {
      tf.disposeVariables();
    },
  };
}

/** A row-major 4-D array with its axes permuted (out axis d = in axis perm[d]). */
function permute4(a: Float32Array, shape: number[], perm: number[]): Float32Array {
  const out = new Float32Array(a.length);
  const os = perm.map((p) => shape[p]);
  const st = [shape[1] * shape[2] * shape[3], shape[2] * shape[3], shape[3], 1];
  let i = 0;
  for (let a0 = 0; a0 < os[0]; a0++) for (let a1 = 0; a1 < os[1]; a1++) for (let a2 = 0; a2 < os[2]; a2++) for (let a3 = 0; a3 < os[3]; a3++) {
    out[i++] = a[a0 * st[perm[0]] + a1 * st[perm[1]] + a2 * st[perm[2]] + a3 * st[perm[3]]];
  }
  return out;
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
  const opt = tf.train.sgd(spec.lr);
  const lossFn = (): TF.Scalar => {
    let h: TF.Tensor2D = x;
    for (let l = 0; l < L; l++) {
      // TF.js's fused matmul + bias + activation (its fastest dense layer, with gradients).
      h = tf.fused.matMul({ a: h, b: vars[2 * l] as TF.Tensor2D, bias: vars[2 * l + 1], activation: l < L - 1 ? 'relu' : 'linear' }) as TF.Tensor2D;
    }
    return tf.losses.softmaxCrossEntropy(y, h) as TF.Scalar;
  };
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
    async params() {
      return Promise.all(vars.map(async (v) => Float32Array.from((await v.data()) as Float32Array)));
    },
    dispose() {
      last?.dispose();
      opt.dispose();
      tf.dispose([x, y, ...vars]);
    },
  };
}
