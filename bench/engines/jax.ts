// jax-js (`@jax-js/jax`) on its WebGPU backend, eager or jit. Pitfalls handled here:
// - arrays are lazy: nothing runs until an array is realized, so every case keeps its outputs
//   until settle(), which calls blockUntilReady on them (dispatch + wait for the GPU);
// - every function takes ownership of its arguments: inputs are passed as `.ref`;
// - data() consumes the array, so reads go through `.ref`.
import type * as JaxModule from '@jax-js/jax';
import type { DeviceProbe } from '../core/instrument.ts';
import type { MatmulShape, MlpData, MlpSpec } from '../core/reference.ts';
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

  function opCase(fn: () => Arr, inputs: Arr[]): OpCase {
    let pending: Arr[] = [];
    let last: Arr | null = null;
    return {
      run() {
        pending.push(fn());
      },
      async settle() {
        if (!pending.length) return;
        await jax.blockUntilReady(pending);
        last?.dispose();
        last = pending.pop()!;
        for (const p of pending) p.dispose();
        pending = [];
      },
      async result() {
        if (!last) throw new Error('result() before settle()');
        return Float32Array.from((await last.ref.data()) as Float32Array);
      },
      dispose() {
        last?.dispose();
        for (const p of [...pending, ...inputs]) p.dispose();
      },
    };
  }

  return {
    name: useJit ? 'jax-js-jit' : 'jax-js',
    probe,
    // jit of a single primitive is the eager kernel plus tracing: jit only where it can fuse.
    suites: useJit ? ['warmup', 'softmax-ce', 'training', 'conv'] : ['warmup', 'matmul', 'bandwidth', 'softmax-ce', 'dispatch', 'training', 'conv'],
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
    dispose() {},
  };
}

function mlpCase(jax: Jax, spec: MlpSpec, data: MlpData, useJit: boolean): TrainCase {
  const { numpy: np, nn, tree } = jax;
  const { sizes, batch } = spec;
  const L = sizes.length - 1;
  let params: Arr[] = data.params.map((p, i) =>
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
  const stepFn = (p: Arr[], xs: Arr, ys: Arr): [Arr[], Arr] => {
    const [loss, grads] = (jax.valueAndGrad(lossFn) as (p: Arr[], x: Arr, y: Arr) => [Arr, Arr[]])(tree.ref(p), xs, ys);
    return [p.map((w, i) => w.sub(grads[i].mul(spec.lr))), loss];
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
