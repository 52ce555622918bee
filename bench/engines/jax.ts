// jax-js (`@jax-js/jax`) on its WebGPU backend, eager or jit. Pitfalls handled here:
// - arrays are lazy: nothing runs until an array is realized, so every case keeps its outputs
//   until settle(), which calls blockUntilReady on them (dispatch + wait for the GPU);
// - every function takes ownership of its arguments: inputs are passed as `.ref`;
// - data() consumes the array, so reads go through `.ref`.
import type * as JaxModule from '@jax-js/jax';
import type { DeviceProbe } from '../core/instrument.ts';
import type { MatmulShape, MlpData, MlpSpec } from '../core/reference.ts';
import { cnnDims, type CnnData, type CnnSpec } from '../core/cnn-reference.ts';
import { gptParamShapes, type GptData, type GptSpec } from '../core/gpt-reference.ts';
import { concatF32, permute4 } from '../core/layout.ts';
import { oneHot } from '../core/reference.ts';
import { LN_EPS } from '../suites/layernorm.ts';
import { outSize } from '../suites/conv.ts';
import type { Engine, OpCase, TrainCase } from './types.ts';

type Jax = typeof JaxModule;
type Arr = JaxModule.Array;

/** Load jax-js on WebGPU. navigator.gpu must already be the wrapped GPU. */
export async function jaxEngine(useJit: boolean, probeOf: (d: GPUDevice) => DeviceProbe): Promise<Engine> {
  const jax = (await import('@jax-js/jax')) as Jax;
  const got = await jax.init('webgpu');
  if (!got.includes('webgpu')) throw new Error('jax-js: the webgpu backend failed to initialise');
  jax.defaultDevice('webgpu');
  const probe = probeOf(jax.getWebGPUDevice());
  const { numpy: np, nn } = jax;
  const maybeJit = <F extends (...a: any[]) => any>(f: F): F => (useJit ? (jax.jit(f) as unknown as F) : f);

  /**
   * A case whose run() evaluates `fn` (one array or a list); result() reads the latest output(s)
   * back, each through `post` (a host layout change), concatenated in order.
   */
  function opCase(fn: () => Arr | Arr[], inputs: Arr[], post: (a: Float32Array) => Float32Array = (a) => a): OpCase {
    const list = (o: Arr | Arr[]) => (Array.isArray(o) ? o : [o]);
    let pending: Arr[][] = [];
    let last: Arr[] = [];
    return {
      run() {
        pending.push(list(fn()));
      },
      async settle() {
        if (!pending.length) return;
        await jax.blockUntilReady(pending);
        for (const a of last) a.dispose();
        last = pending.pop()!;
        for (const p of pending) for (const a of p) a.dispose();
        pending = [];
      },
      async result() {
        if (!last.length) throw new Error('result() before settle()');
        return concatF32(await Promise.all(last.map(async (a) => post(Float32Array.from((await a.ref.data()) as Float32Array)))));
      },
      dispose() {
        for (const a of [...last, ...pending.flat(), ...inputs]) a.dispose();
      },
    };
  }

  return {
    name: useJit ? 'jax-js-jit' : 'jax-js',
    probe,
    // jit of a single primitive is the eager kernel plus tracing: jit only where it can fuse.
    suites: useJit ? ['warmup', 'softmax-ce', 'training', 'conv', 'cnn', 'attention', 'layernorm', 'gpt'] : ['warmup', 'matmul', 'bandwidth', 'softmax-ce', 'dispatch', 'training', 'conv', 'cnn', 'attention', 'layernorm', 'gpt'],
    adapter: probe.adapter,
    ownCounters: () => null,
    matmul(s: MatmulShape, a, b) {
      const A = np.array(a, { shape: s.transA ? [s.K, s.M] : [s.M, s.K] });
      const B = np.array(b, { shape: s.transB ? [s.N, s.K] : [s.K, s.N] });
      const f = maybeJit((x: Arr, y: Arr) => np.matmul(s.transA ? x.transpose() : x, s.transB ? y.transpose() : y));
      return opCase(() => f(A.ref, B.ref), [A, B]);
    },
    add(n, a, b) {
      const A = np.array(a);
      const B = np.array(b);
      return opCase(() => A.ref.add(B.ref), [A, B]);
    },
    biasSum(rows, cols, x) {
      const X = np.array(x, { shape: [rows, cols] });
      return opCase(() => np.sum(X.ref, 0), [X]);
    },
    softmaxCE(batch, classes, logits, _y, yOneHot) {
      const Lg = np.array(logits, { shape: [batch, classes] });
      const Y = np.array(yOneHot, { shape: [batch, classes] });
      const loss = (l: Arr, y: Arr) => nn.logSoftmax(l, -1).mul(y).sum().mul(-1 / batch);
      const g = maybeJit(jax.grad(loss) as (l: Arr, y: Arr) => Arr);
      return opCase(() => g(Lg.ref, Y.ref), [Lg, Y]);
    },
    addChain(n, len, x, y) {
      const X = np.array(x);
      const Y = np.array(y);
      return opCase(() => {
        let h = X.ref.add(Y.ref);
        for (let i = 1; i < len; i++) h = h.add(Y.ref);
        return h;
      }, [X, Y]);
    },
    mlp(spec, data) {
      return mlpCase(jax, spec, data, useJit);
    },
    cnn(spec, data) {
      return cnnCase(jax, spec, data, useJit);
    },
    gpt(spec, data) {
      return gptCase(jax, spec, data, useJit);
    },
    // lax.conv takes NCHW / OIHW (the suite's layout); gradients through jax.grad of sum(y * dy).
    conv2d(c, pass, x, w, dy) {
      const X = np.array(x, { shape: [c.N, c.C, c.H, c.W] });
      const Wt = np.array(w, { shape: [c.O, c.C, c.k, c.k] });
      const DY = np.array(dy, { shape: [c.N, c.O, ...outSize(c)] });
      const conv = (xx: Arr, ww: Arr) => jax.lax.conv(xx, ww, [1, 1], [[c.pad, c.pad], [c.pad, c.pad]]);
      if (pass === 'forward') {
        const f = maybeJit(conv);
        return opCase(() => f(X.ref, Wt.ref), [X, Wt, DY]);
      }
      if (pass === 'data') {
        const g = maybeJit(jax.grad((xx: Arr, ww: Arr, d: Arr) => conv(xx, ww).mul(d).sum()) as (a: Arr, b: Arr, d: Arr) => Arr);
        return opCase(() => g(X.ref, Wt.ref, DY.ref), [X, Wt, DY]);
      }
      const g = maybeJit(jax.grad((ww: Arr, xx: Arr, d: Arr) => conv(xx, ww).mul(d).sum()) as (a: Arr, b: Arr, d: Arr) => Arr);
      return opCase(() => g(Wt.ref, X.ref, DY.ref), [X, Wt, DY]);
    },
    // Windows as axes of a reshape ([N, C, OH, k, OW, k]) and a max over them.
    maxPool(p, pass, x, dy) {
      const [OH, OW] = [Math.floor(p.H / p.k), Math.floor(p.W / p.k)];
      const X = np.array(x, { shape: [p.N, p.C, p.H, p.W] });
      const DY = np.array(dy, { shape: [p.N, p.C, OH, OW] });
      const pool = (xx: Arr) => np.max(xx.reshape([p.N, p.C, OH, p.k, OW, p.k]), [3, 5]);
      if (pass === 'forward') {
        const f = maybeJit(pool);
        return opCase(() => f(X.ref), [X, DY]);
      }
      const g = maybeJit(jax.grad((xx: Arr, d: Arr) => pool(xx).mul(d).sum()) as (a: Arr, d: Arr) => Arr);
      return opCase(() => g(X.ref, DY.ref), [X, DY]);
    },
    // nn.dotProductAttention takes [B, T, H, D]: inputs and results are transposed on the host.
    attention(a, pass, q, k, v, dO) {
      const bhtd = [a.B, a.H, a.T, a.D];
      const bthd = [a.B, a.T, a.H, a.D];
      const [Q, K, V, DO] = [q, k, v, dO].map((d) => np.array(permute4(d, bhtd, [0, 2, 1, 3]), { shape: bthd }));
      const back = (r: Float32Array) => permute4(r, bthd, [0, 2, 1, 3]);
      const att = (qq: Arr, kk: Arr, vv: Arr) => nn.dotProductAttention(qq, kk, vv, { isCausal: true });
      if (pass === 'forward') {
        const f = maybeJit(att);
        return opCase(() => f(Q.ref, K.ref, V.ref), [Q, K, V, DO], back);
      }
      const g = maybeJit(jax.grad((qkv: Arr[], d: Arr) => att(qkv[0], qkv[1], qkv[2]).mul(d).sum()) as (qkv: Arr[], d: Arr) => Arr[]);
      return opCase(() => g([Q.ref, K.ref, V.ref], DO.ref), [Q, K, V, DO], back);
    },
    layerNorm(sh, pass, x, gamma, beta, dy) {
      const X = np.array(x, { shape: [sh.rows, sh.cols] });
      const [G, B] = [gamma, beta].map((d) => np.array(d));
      const DY = np.array(dy, { shape: [sh.rows, sh.cols] });
      const ln = (xx: Arr, gg: Arr, bb: Arr) => nn.standardize(xx, -1, { epsilon: LN_EPS }).mul(gg).add(bb);
      if (pass === 'forward') {
        const f = maybeJit(ln);
        return opCase(() => f(X.ref, G.ref, B.ref), [X, G, B, DY]);
      }
      const g = maybeJit(jax.grad((p: Arr[], d: Arr) => ln(p[0], p[1], p[2]).mul(d).sum()) as (p: Arr[], d: Arr) => Arr[]);
      return opCase(() => g([X.ref, G.ref, B.ref], DY.ref), [X, G, B, DY]);
    },
    dispose() {},
  };
}

function mlpCase(jax: Jax, spec: MlpSpec, data: MlpData, useJit: boolean): TrainCase {
  const { numpy: np, nn } = jax;
  const { sizes, batch } = spec;
  const L = sizes.length - 1;
  const params: Arr[] = data.params.map((p, i) =>
    i % 2 === 0 ? np.array(p, { shape: [sizes[i / 2], sizes[i / 2 + 1]] }) : np.array(p),
  );
  const x = np.array(data.x, { shape: [batch, sizes[0]] });
  const y = np.array(data.yOneHot, { shape: [batch, sizes[L]] });
  const lossFn = (p: Arr[], xs: Arr, ys: Arr): Arr => {
    let h = xs;
    for (let l = 0; l < L; l++) {
      h = np.dot(h, p[2 * l]).add(p[2 * l + 1]);
      if (l < L - 1) h = nn.relu(h);
    }
    return nn.logSoftmax(h, -1).mul(ys).sum().mul(-1 / batch);
  };
  return sgdCase(jax, params, lossFn, x, y, spec.lr, useJit);
}

/** SimpleConvNet: lax.conv (NCHW / OIHW) + bias, ReLU, 2 x 2 max-pool as a reshape + max, two dense layers. */
function cnnCase(jax: Jax, spec: CnnSpec, data: CnnData, useJit: boolean): TrainCase {
  const { numpy: np, nn } = jax;
  const { batch: N, filters: F, k } = spec;
  const { pooled: P, features } = cnnDims(spec);
  const shapes = [[F, 1, k, k], [F], [features, spec.hidden], [spec.hidden], [spec.hidden, spec.classes], [spec.classes]];
  const params = data.params.map((p, i) => np.array(p, { shape: shapes[i] }));
  const x = np.array(data.x, { shape: [N, 1, spec.size, spec.size] });
  const y = np.array(data.yOneHot, { shape: [N, spec.classes] });
  const lossFn = (p: Arr[], xs: Arr, ys: Arr): Arr => {
    const c = nn.relu(jax.lax.conv(xs, p[0], [1, 1], [[0, 0], [0, 0]]).add(p[1].reshape([1, F, 1, 1])));
    const pooled = np.max(c.reshape([N, F, P, 2, P, 2]), [3, 5]).reshape([N, features]);
    const h = nn.relu(np.dot(pooled, p[2]).add(p[3]));
    const z = np.dot(h, p[4]).add(p[5]);
    return nn.logSoftmax(z, -1).mul(ys).sum().mul(-1 / N);
  };
  return sgdCase(jax, params, lossFn, x, y, spec.lr, useJit);
}

/**
 * The GPT composed from jax-js ops: the token embedding as a one-hot matmul (differentiable
 * with the tied head), nn.standardize layer norm, dense projections, nn.dotProductAttention
 * (causal, [B, T, H, D] as the projections lay it out), exact GELU, log-softmax cross-entropy.
 */
function gptCase(jax: Jax, spec: GptSpec, data: GptData, useJit: boolean): TrainCase {
  const { numpy: np, nn } = jax;
  const { batch: B, T, vocab: V, nHead: H, nEmbd: E } = spec;
  const M = B * T;
  const shapes = gptParamShapes(spec);
  const params = data.params.map((p, i) => np.array(p, { shape: shapes[i][1] }));
  const x1h = np.array(oneHot(data.ids, V), { shape: [M, V] });
  const y = np.array(oneHot(data.targets, V), { shape: [M, V] });
  const ln = (x: Arr, g: Arr, b: Arr) => nn.standardize(x, -1, { epsilon: LN_EPS }).mul(g).add(b);
  const dense = (x: Arr, w: Arr, b: Arr) => np.dot(x, w).add(b);
  const lossFn = (p: Arr[], xs: Arr, ys: Arr): Arr => {
    let x = np.dot(xs, p[0].ref).reshape([B, T, E]).add(p[1]).reshape([M, E]);
    for (let l = 0; l < spec.nLayer; l++) {
      const o = 2 + 12 * l;
      const qkv = dense(ln(x.ref, p[o], p[o + 1]), p[o + 2], p[o + 3]).reshape([B, T, 3 * E]);
      const [q, k, v] = np.split(qkv, 3, 2).map((t) => t.reshape([B, T, H, E / H]));
      const att = nn.dotProductAttention(q, k, v, { isCausal: true }).reshape([M, E]);
      x = x.add(dense(att, p[o + 4], p[o + 5]));
      const fc = nn.gelu(dense(ln(x.ref, p[o + 6], p[o + 7]), p[o + 8], p[o + 9]), { approximate: false });
      x = x.add(dense(fc, p[o + 10], p[o + 11]));
    }
    const n = 2 + 12 * spec.nLayer;
    const logits = np.dot(ln(x, p[n], p[n + 1]), p[0].transpose());
    return nn.logSoftmax(logits, -1).mul(ys).sum().mul(-1 / M);
  };
  return sgdCase(jax, params, lossFn, x1h, y, spec.lr, useJit);
}

/** An SGD step on a parameter list: valueAndGrad of `lossFn(params, x, y)`, eager or jit. */
function sgdCase(jax: Jax, params0: Arr[], lossFn: (p: Arr[], xs: Arr, ys: Arr) => Arr, x: Arr, y: Arr, lr: number, useJit: boolean): TrainCase {
  const { tree } = jax;
  let params = params0;
  const stepFn = (p: Arr[], xs: Arr, ys: Arr): [Arr[], Arr] => {
    const [loss, grads] = (jax.valueAndGrad(lossFn) as (p: Arr[], x: Arr, y: Arr) => [Arr, Arr[]])(tree.ref(p), xs, ys);
    return [p.map((w, i) => w.sub(grads[i].mul(lr))), loss];
  };
  const step = useJit ? (jax.jit(stepFn) as unknown as typeof stepFn) : stepFn;
  let loss: Arr | null = null;
  return {
    step() {
      const [next, l] = step(params, x.ref, y.ref);
      params = next;
      loss?.dispose();
      loss = l;
    },
    async settle() {
      await jax.blockUntilReady([params, loss]);
    },
    async loss() {
      if (!loss) throw new Error('loss() before step()');
      return ((await loss.ref.data()) as Float32Array)[0];
    },
    async params() {
      return Promise.all(params.map(async (p) => Float32Array.from((await p.ref.data()) as Float32Array)));
    },
    dispose() {
      loss?.dispose();
      for (const p of params) p.dispose();
      x.dispose();
      y.dispose();
      (step as { dispose?: () => void }).dispose?.();
    },
  };
}
