// The checks the browser page runs on navigator.gpu (SwiftShader in headless Chromium).
// Each check throws on failure and returns details (actual values) that the page reports;
// test/browser/browser.test.ts turns every entry into one test case.
import {
  init, tensor, zeros, matmul, linear, relu, sigmoid, mseLoss, randn, tidy, memory, flush, sync, runtime,
  type AdapterSummary, type Tensor,
} from 'webgrad';
import { describeKind } from '../../../src/gpu/kind.ts';
import { assert, assertClose, assertEqual } from './assert.ts';

export interface Check {
  name: string;
  run: () => Promise<unknown>;
}

/** Shapes for round trips: scalars, size-1 dims, sizes that are not multiples of 4 or 256. */
export const ROUNDTRIP_SHAPES: number[][] = [[], [1], [0], [3], [7], [3, 1, 5], [1, 1, 1], [13, 1], [4, 67], [255], [257], [1025], [2, 3, 5, 7]];

/** Seed and count of the randn values the page reports, compared with Node's in the test. */
export const RANDN_SEED = 1234;
export const RANDN_COUNT = 16;

let adapter: AdapterSummary | null = null;

function disposeAll(...ts: (Tensor | null | undefined)[]): void {
  for (const t of ts) t?.dispose();
}

// Float64 reference helpers for the seed examples.
const sig = (x: number) => 1 / (1 + Math.exp(-x));

export const CHECKS: Check[] = [
  {
    name: 'init() acquires navigator.gpu',
    run: async () => {
      assert(typeof navigator !== 'undefined' && navigator.gpu, 'navigator.gpu is missing (insecure origin or WebGPU disabled)');
      adapter = await init();
      assert(adapter.driver === 'browser', `expected driver 'browser', got '${adapter.driver}'`);
      // The kernel family and why (src/gpu/kind.ts): the test compares it with the rule.
      return { ...adapter, kernels: describeKind(runtime().kind) };
    },
  },
  {
    name: 'f32 round trips',
    run: async () => {
      for (const shape of ROUNDTRIP_SHAPES) {
        const n = shape.reduce((a, b) => a * b, 1);
        const host = Float32Array.from({ length: n }, (_, i) => Math.fround(Math.sin(i * 1.7 + n) * 1e3 + i / 7));
        const t = tensor(host, { shape });
        assertEqual(`f32 ${JSON.stringify(shape)}`, await t.data(), host);
        const nested = await t.toArray();
        if (shape.length === 0) assert(typeof nested === 'number', `a 0-d tensor reads back as a number, got ${JSON.stringify(nested)}`);
        t.dispose();
      }
      return { shapes: ROUNDTRIP_SHAPES.length };
    },
  },
  {
    name: 'i32 round trips',
    run: async () => {
      for (const shape of ROUNDTRIP_SHAPES) {
        const n = shape.reduce((a, b) => a * b, 1);
        const host = Int32Array.from({ length: n }, (_, i) => (i % 5 === 0 ? -(i * 7919) : i * 104729) | 0);
        if (n > 2) {
          host[1] = 2147483647;
          host[2] = -2147483648;
        }
        const t = tensor(host, { shape });
        assert(t.dtype === 'i32', `expected i32, got ${t.dtype}`);
        assertEqual(`i32 ${JSON.stringify(shape)}`, await t.data(), host);
        t.dispose();
      }
      // Nested arrays with dtype i32.
      const t = tensor([[1, -2, 3], [4, 5, -6]], { dtype: 'i32' });
      assertEqual('i32 nested', await t.data(), [1, -2, 3, 4, 5, -6]);
      t.dispose();
      return { shapes: ROUNDTRIP_SHAPES.length + 1 };
    },
  },
  {
    name: 'kernels: relu, broadcast add, matmul',
    run: async () => {
      const x = tensor([[-1, 2, -3], [4, -5, 6]]);
      const r = relu(x);
      assertClose('relu', await r.data(), [0, 2, 0, 4, 0, 6]);
      const b = tensor([10, 20, 30]);
      const s = x.add(b);
      assertClose('add [2,3]+[3]', await s.data(), [9, 22, 27, 14, 15, 36]);
      const w = tensor([[1, 0], [0, 1], [1, 1]]);
      const m = matmul(x, w);
      assertClose('matmul [2,3]x[3,2]', await m.toArray(), [[-4, -1], [10, 1]]);
      // A matmul whose sizes are not multiples of the tile size.
      const M = 17, K = 33, N = 9;
      const A = Float32Array.from({ length: M * K }, (_, i) => ((i * 37) % 11) / 11 - 0.5);
      const B = Float32Array.from({ length: K * N }, (_, i) => ((i * 53) % 13) / 13 - 0.5);
      const ref = new Float64Array(M * N);
      for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
        let acc = 0;
        for (let k = 0; k < K; k++) acc += A[i * K + k] * B[k * N + j];
        ref[i * N + j] = acc;
      }
      const ta = tensor(A, { shape: [M, K] });
      const tb = tensor(B, { shape: [K, N] });
      const tc = matmul(ta, tb);
      assertClose('matmul [17,33]x[33,9]', await tc.data(), ref, { rtol: 1e-5, atol: 1e-5 });
      disposeAll(x, r, b, s, w, m, ta, tb, tc);
      return { ok: true };
    },
  },
  {
    name: 'seed 004: Affine forward',
    run: async () => {
      const X = tensor([[1, 2, 3], [4, 5, 6]]);
      const W = tensor([[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]]);
      const b = tensor([0.1, 0.2]);
      const y1 = matmul(X, W).add(b);
      const y2 = linear(X, W, b);
      const expected = [[2.3, 3.0], [5.0, 6.6]];
      const v1 = await y1.toArray();
      const v2 = await y2.toArray();
      assertClose('matmul(X, W).add(b)', v1, expected);
      assertClose('linear(X, W, b)', v2, expected);
      disposeAll(X, W, b, y1, y2);
      return { y: v1 };
    },
  },
  {
    name: 'seed 003: Affine backward',
    run: async () => {
      const out: Record<string, unknown> = {};
      for (const fused of [false, true]) {
        const X = tensor([[1, 2], [3, 4]], { requiresGrad: true });
        const W = tensor([[0.5, 0.8], [0.2, 0.3]], { requiresGrad: true });
        const b = tensor([0.1, 0.1], { requiresGrad: true });
        const dY = tensor([[1, 1.5], [2, 2.5]]);
        const y = fused ? linear(X, W, b) : matmul(X, W).add(b);
        y.backward(dY);
        const tag = fused ? 'linear' : 'matmul+add';
        const dX = await X.grad!.toArray();
        const dW = await W.grad!.toArray();
        const db = await b.grad!.toArray();
        assertClose(`${tag} dX`, dX, [[1.7, 0.65], [3.0, 1.15]]);
        assertClose(`${tag} dW`, dW, [[7, 9], [10, 13]]);
        assertClose(`${tag} db`, db, [3, 4]);
        out[tag] = { dX, dW, db };
        disposeAll(X.grad, W.grad, b.grad, X, W, b, dY, y);
      }
      return out;
    },
  },
  {
    name: 'seed 003: chain x -> *2 -> +3 -> *5',
    run: async () => {
      const x = tensor([1], { requiresGrad: true });
      const y = x.mul(2).add(3).mul(5);
      y.backward();
      const value = await y.item();
      const dx = await x.grad!.item();
      assertClose('y', [value], [25]);
      assertClose('dy/dx', [dx], [10]);
      disposeAll(x.grad, x, y);
      return { y: value, dx };
    },
  },
  {
    name: "sigmoid'(0) = 0.25",
    run: async () => {
      const x = tensor([0, 2, -3], { requiresGrad: true });
      const y = sigmoid(x);
      y.sum().backward();
      const s = await y.data();
      const g = await x.grad!.data();
      assertClose('sigmoid', s, [0.5, sig(2), sig(-3)]);
      assertClose("sigmoid'", g, [0.25, sig(2) * (1 - sig(2)), sig(-3) * (1 - sig(-3))]);
      disposeAll(x.grad, x, y);
      return { grad: Array.from(g) };
    },
  },
  {
    name: 'seed 001: 2-2-1 sigmoid network',
    run: async () => {
      // z1 = X W1 + b1 (W1 is [in, out]); z2 = a1 W2 + b2 with W2 = [0.9, 0.1] as a [2, 1] column.
      const X = tensor([[1, 2]]);
      const W1 = tensor([[0.5, 0.6], [0.7, 0.8]], { requiresGrad: true });
      const b1 = tensor([0.1, 0.2], { requiresGrad: true });
      const W2 = tensor([[0.9], [0.1]], { requiresGrad: true });
      const b2 = tensor([0.3], { requiresGrad: true });
      const t = tensor([[0.5]]);
      const z1 = matmul(X, W1).add(b1);
      const a1 = sigmoid(z1);
      const yHat = sigmoid(matmul(a1, W2).add(b2));
      const loss = mseLoss(yHat, t, { reduction: 'sum' }).mul(0.5); // L = 1/2 (y_hat - y)^2
      loss.backward();
      const got = {
        z1: Array.from(await z1.data()),
        yHat: await yHat.item(),
        loss: await loss.item(),
        dW2: Array.from(await W2.grad!.data()),
        db2: await b2.grad!.item(),
        dW1: Array.from(await W1.grad!.data()),
        db1: Array.from(await b1.grad!.data()),
      };
      // The seed's printed numbers. Its hand arithmetic rounds sigma(2.4) to 0.9084 (it is
      // 0.91683) and sigma(1.1835) to 0.7692 (0.76558), so y_hat and dW2 match it only to ~4e-3;
      // the float64 reference below is the tight check.
      assertClose('z1', got.z1, [2.0, 2.4], { atol: 1e-5, rtol: 0 });
      const seed = { atol: 4e-3, rtol: 0 };
      assertClose('y_hat (seed)', [got.yHat], [0.7692], seed);
      assertClose('dW2 (seed)', got.dW2, [0.0421, 0.0434], seed);
      assertClose('db2 (seed)', [got.db2], [0.0478], seed);
      assertClose('db1 (seed)', got.db1, [0.0045, 0.0004], seed);
      // Float64 reference, float32 tolerances. dW1 = X^T delta1 in our [in, out] layout
      // (the seed prints delta1^T X, the [out, in] layout).
      const a = [sig(2.0), sig(2.4)];
      const yh = sig(a[0] * 0.9 + a[1] * 0.1 + 0.3);
      const d2 = (yh - 0.5) * yh * (1 - yh);
      const d1 = [d2 * 0.9 * a[0] * (1 - a[0]), d2 * 0.1 * a[1] * (1 - a[1])];
      const tight = { rtol: 1e-4, atol: 1e-6 };
      assertClose('y_hat (f64 reference)', [got.yHat], [yh], tight);
      assertClose('loss', [got.loss], [0.5 * (yh - 0.5) ** 2], tight);
      assertClose('dW2 (f64 reference)', got.dW2, [d2 * a[0], d2 * a[1]], tight);
      assertClose('db2 (f64 reference)', [got.db2], [d2], tight);
      assertClose('dW1 (f64 reference)', got.dW1, [d1[0], d1[1], 2 * d1[0], 2 * d1[1]], tight);
      assertClose('db1 (f64 reference)', got.db1, d1, tight);
      disposeAll(W1.grad, b1.grad, W2.grad, b2.grad, X, W1, b1, W2, b2, t, z1, a1, yHat, loss);
      return got;
    },
  },
  {
    name: 'seeded randn matches Node',
    run: async () => {
      const r = randn([RANDN_COUNT], { seed: RANDN_SEED });
      const values = Array.from(await r.data());
      r.dispose();
      return { values };
    },
  },
  {
    name: 'memory() returns to baseline after tidy()',
    run: async () => {
      await sync();
      const before = memory();
      // The usual training-step shape: parameters outside, the step inside tidy(). Gradients of
      // parameters survive the scope (backward keeps them); everything else is freed.
      const W = randn([8, 4], { seed: 1, requiresGrad: true });
      const b = zeros([4], { requiresGrad: true });
      for (let step = 0; step < 3; step++) {
        tidy(() => {
          let x = randn([16, 8], { seed: 2 + step });
          for (let i = 0; i < 5; i++) x = x.mul(0.5).add(1);
          relu(matmul(x, W).add(b)).sum().backward();
        });
        flush();
      }
      const during = memory();
      assert(during.liveTensors === before.liveTensors + 4, `expected W, b and their grads alive: ${before.liveTensors} + 4, got ${during.liveTensors}`);
      assert(during.buffersReused > before.buffersReused, 'the pool reused no buffers over 3 steps');
      disposeAll(W.grad, b.grad, W, b);
      await sync();
      const after = memory();
      const same = (k: keyof typeof before) => assert(after[k] === before[k], `${k}: ${before[k]} before, ${after[k]} after`);
      same('liveTensors');
      same('liveBuffers');
      same('liveBytes');
      same('savedForBackward');
      return { before, during, after };
    },
  },
];
