// The seeds' worked numbers (docs the project grew from, /work/shared/seeds), each to fp32 or
// to the seed's own rounding. Where a seed's arithmetic slips, the correct value is asserted and
// the comment says what the seed printed.
import { describe, expect, it } from 'vitest';
import { refArray, type RefArray } from '../src/check/array.ts';
import { mseLossRef, REFERENCE } from '../src/check/reference.ts';
import { linear, matmul, mseLoss, noGrad, softmax, softmaxCrossEntropy, tensor, type Tensor } from '../src/index.ts';
import { expectClose } from './helpers.ts';
import { FP32, TOL } from './ops-harness.ts';

describe('seed 004: affine forward Y = X W + B, element by element', () => {
  const X = [[1, 2, 3], [4, 5, 6]];
  const W = [[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]];
  const B = [0.1, 0.2];
  const Y = [[2.3, 3.0], [5.0, 6.6]];

  it('matmul + broadcast add', async () => {
    expectClose(await matmul(tensor(X), tensor(W)).add(tensor(B)).toArray(), Y, FP32);
  });
  it('fused linear', async () => {
    expectClose(await linear(tensor(X), tensor(W), tensor(B)).toArray(), Y, FP32);
  });
});

describe('seed 003: computational graph nodes', () => {
  it('mul node: x = 2, y = 3, dL/dz = 1.5 gives dx = 4.5, dy = 3.0', async () => {
    const x = tensor(2, { requiresGrad: true });
    const y = tensor(3, { requiresGrad: true });
    const z = x.mul(y);
    expect(await z.item()).toBe(6);
    z.backward(tensor(1.5));
    expect(await x.grad!.item()).toBe(4.5);
    expect(await y.grad!.item()).toBe(3.0);
  });

  it('mul node with dL/dz = 1 swaps the inputs; add node passes the gradient through', async () => {
    const x = tensor(2, { requiresGrad: true });
    const y = tensor(3, { requiresGrad: true });
    x.mul(y).backward();
    expect([await x.grad!.item(), await y.grad!.item()]).toEqual([3, 2]);
    x.zeroGrad();
    y.zeroGrad();
    x.add(y).backward(tensor(1.5));
    expect([await x.grad!.item(), await y.grad!.item()]).toEqual([1.5, 1.5]);
  });

  it('chain x -> *2 -> +3 -> *5 at x = 1: y = 25, dL/db = 5, dL/da = 5, dx = 10', async () => {
    const x = tensor(1, { requiresGrad: true });
    const a = x.mul(2).retainGrad();
    const b = a.add(3).retainGrad();
    const y = b.mul(5);
    expect([await a.item(), await b.item(), await y.item()]).toEqual([2, 5, 25]);
    y.backward();
    expect([await b.grad!.item(), await a.grad!.item(), await x.grad!.item()]).toEqual([5, 5, 10]);
  });

  it('chain rule examples: d(x + 1)^2/dx = 2(x + 1); d(x + y)^2 = 2(x + y) for both', async () => {
    const x = tensor(3, { requiresGrad: true });
    x.add(1).square().backward();
    expect(await x.grad!.item()).toBe(8);
    const u = tensor(1.5, { requiresGrad: true });
    const v = tensor(-4, { requiresGrad: true });
    u.add(v).square().backward();
    expect([await u.grad!.item(), await v.grad!.item()]).toEqual([-5, -5]);
  });

  it('sigmoid at 0: y = 0.5 and dx = y (1 - y) = 0.25', async () => {
    const x = tensor(0, { requiresGrad: true });
    const y = x.sigmoid();
    expect(await y.item()).toBe(0.5);
    y.backward();
    expect(await x.grad!.item()).toBe(0.25);
  });

  it('ReLU passes the gradient where x > 0 and blocks it where x <= 0', async () => {
    const x = tensor([[1.0, -0.5], [-2.0, 3.0], [0, 0.1]], { requiresGrad: true });
    const y = x.relu();
    expect(await y.toArray()).toEqual([[1, 0], [0, 3], [0, 0.1].map(Math.fround)]);
    y.backward(tensor([[5, 6], [7, 8], [9, 10]]));
    expect(await x.grad!.toArray()).toEqual([[5, 0], [0, 8], [0, 10]]);
  });
});

describe('seed 003: Affine layer', () => {
  const X = [[1, 2], [3, 4]];
  const W = [[0.5, 0.8], [0.2, 0.3]];
  const b = [0.1, 0.1];
  const dY = [[1.0, 1.5], [2.0, 2.5]];
  // The seed prints Y = [[0.9, 1.5], [2.3, 3.5]], which is arithmetically wrong (it drops the
  // bias in the first column and miscomputes 3.5): X W + b = [[1.0, 1.5], [2.4, 3.7]].
  const Y = [[1.0, 1.5], [2.4, 3.7]];

  const paths: [string, (x: Tensor, w: Tensor, b: Tensor) => Tensor][] = [
    ['matmul + add', (x, w, bias) => x.matmul(w).add(bias)],
    ['linear', (x, w, bias) => linear(x, w, bias)],
  ];
  for (const [name, affine] of paths) {
    it(`${name}: forward, and backward dX = dY W^T, dW = X^T dY, db = sum(dY, axis 0)`, async () => {
      const x = tensor(X, { requiresGrad: true });
      const w = tensor(W, { requiresGrad: true });
      const bias = tensor(b, { requiresGrad: true });
      const y = affine(x, w, bias);
      expectClose(await y.toArray(), Y, FP32);
      y.backward(tensor(dY));
      expectClose(await x.grad!.toArray(), [[1.7, 0.65], [3.0, 1.15]], FP32);
      expectClose(await w.grad!.toArray(), [[7.0, 9.0], [10.0, 13.0]], FP32);
      expectClose(await bias.grad!.toArray(), [3.0, 4.0], FP32);
      // Shapes: dout's shape is the forward output's; each gradient has its input's shape.
      expect([x.grad!.shape, w.grad!.shape, bias.grad!.shape]).toEqual([[2, 2], [2, 2], [2]]);
    });
  }
});

describe('seed 003: Softmax-with-Loss', () => {
  const p = [0.3, 0.6, 0.1];
  const logits = () => tensor([p.map(Math.log)], { requiresGrad: true }); // softmax(log p) = p

  it('3 classes, t = [0, 1, 0], y = [0.3, 0.6, 0.1]: dL/da = y - t = [0.3, -0.4, 0.1]', async () => {
    for (const labels of [tensor([1], { dtype: 'i32' }), tensor([[0, 1, 0]])]) {
      const a = logits();
      expectClose(await softmax(a).toArray(), [p], FP32);
      const loss = softmaxCrossEntropy(a, labels);
      expectClose([await loss.item()], [-Math.log(0.6)], FP32);
      loss.backward();
      expectClose(await a.grad!.toArray(), [[0.3, -0.4, 0.1]], FP32);
    }
  });

  it('a batch divides by the batch size: (Y - T) / N, for class indices and one-hot rows', async () => {
    const P = [[0.3, 0.6, 0.1], [0.2, 0.2, 0.6]];
    const expected = [[0.15, -0.2, 0.05], [0.1, 0.1, -0.2]];
    for (const labels of [tensor([1, 2], { dtype: 'i32' }), tensor([[0, 1, 0], [0, 0, 1]])]) {
      const a = tensor(P.map((row) => row.map(Math.log)), { requiresGrad: true });
      softmaxCrossEntropy(a, labels).backward();
      expectClose(await a.grad!.toArray(), expected, FP32);
    }
  });

  it('the softmax Jacobian: dy_k/dx_i = y_k (1 - y_k) for i = k, -y_k y_i otherwise', async () => {
    const a = logits();
    softmax(a).backward(tensor([[0, 1, 0]])); // picks k = 1: dy_1 / dx
    expectClose(await a.grad!.toArray(), [[-0.6 * 0.3, 0.6 * (1 - 0.6), -0.6 * 0.1]], FP32);
  });
});

/** |actual - expected| within half a unit of the seed's last printed digit (plus fp32 slack). */
function expectRounded(actual: number, expected: number, decimals: number, what: string): void {
  const tol = 0.5 * 10 ** -decimals + 1e-6;
  expect(Math.abs(actual - expected), `${what}: got ${actual}, expected ${expected} (to ${decimals} decimals)`).toBeLessThanOrEqual(tol);
}

async function expectAllRounded(t: Tensor, expected: number[], decimals: number, what: string): Promise<void> {
  const got = await t.data();
  expect(got.length, what).toBe(expected.length);
  expected.forEach((e, i) => expectRounded(got[i], e, decimals, `${what}[${i}]`));
}

describe('seed 001: the 2-2-1 sigmoid network, L = 1/2 (y - t)^2', () => {
  // The seed's X = [1, 2] is one sample: a [1, 2] row here. W1 is [in, out] since z1 = X W1 + b1.
  //
  // The seed slips at a1[1]: sigma(2.4) = 0.9168, not 0.9084, and every value downstream of it
  // inherits the error. Asserted below are the correct values to the seed's 4 decimals; the
  // seed's printed value is given where it differs:
  //   a1 [0.8808, 0.9168] (seed 0.9084)   z2 1.1844 (1.1835)   y 0.7657 (0.7692)
  //   L 0.035 (as printed)   dL/dy 0.2657 (0.2692)   sigma'(z2) 0.1794 (0.1776)
  //   delta2 0.0477 (0.0478)   dW2 [0.0420, 0.0437] ([0.0421, 0.0434])   db2 0.0477 (0.0478)
  //   dL/da1 [0.0429, 0.0048] ([0.0430, 0.0048])   sigma'(z1) [0.1050, 0.0763] ([0.1051, 0.0833])
  //   delta1 [0.0045, 0.0004] (as printed)   db1 [0.0045, 0.0004] (as printed)
  //   dW1 [[0.0045, 0.0004], [0.0090, 0.0007]]: the seed prints delta1^T X = [[0.0045, 0.0090],
  //   [0.0004, 0.0008]], the [out, in] layout (our W1 is [in, out], so its transpose), and its
  //   0.0008 is 2 x the rounded 0.0004; the exact entry is 0.000727.
  async function checkNetwork(net: { z1: Tensor; a1: Tensor; z2: Tensor; pred: Tensor; loss: Tensor }, W1: Tensor, b1: Tensor, W2: Tensor, b2: Tensor) {
    const { z1, a1, z2, pred, loss } = net;
    await expectAllRounded(z1, [2.0, 2.4], 4, 'z1');
    await expectAllRounded(a1, [0.8808, 0.9168], 4, 'a1');
    await expectAllRounded(z2, [1.1844], 4, 'z2');
    await expectAllRounded(pred, [0.7657], 4, 'y');
    expectRounded(await loss.item(), 0.035, 3, 'L');
    loss.backward();
    const dPred = (await pred.grad!.data())[0];
    const delta2 = (await z2.grad!.data())[0];
    expectRounded(dPred, 0.2657, 4, 'dL/dy');
    expectRounded(delta2 / dPred, 0.1794, 4, "sigma'(z2)");
    expectRounded(delta2, 0.0477, 4, 'delta2');
    await expectAllRounded(W2.grad!, [0.042, 0.0437], 4, 'dL/dW2');
    await expectAllRounded(b2.grad!, [0.0477], 4, 'dL/db2');
    const dA1 = await a1.grad!.data();
    const delta1 = await z1.grad!.data();
    await expectAllRounded(a1.grad!, [0.0429, 0.0048], 4, 'dL/da1');
    [0.105, 0.0763].forEach((e, i) => expectRounded(delta1[i] / dA1[i], e, 4, `sigma'(z1)[${i}]`));
    await expectAllRounded(z1.grad!, [0.0045, 0.0004], 4, 'delta1');
    await expectAllRounded(W1.grad!, [0.0045, 0.0004, 0.009, 0.0007], 4, 'dL/dW1');
    await expectAllRounded(b1.grad!, [0.0045, 0.0004], 4, 'dL/db1');
    // Beyond the seed's 4 decimals: the seed's formulas evaluated in float64.
    const e = seed001Exact();
    const pairs: [Tensor, number[]][] = [
      [z1, e.z1], [a1, e.a1], [z2, [e.z2]], [pred, [e.y]], [loss, [e.L]], [z2.grad!, [e.delta2]], [W2.grad!, e.dW2],
      [b2.grad!, [e.delta2]], [a1.grad!, e.dA1], [z1.grad!, e.delta1], [W1.grad!, e.dW1], [b1.grad!, e.delta1],
    ];
    for (const [t, exact] of pairs) expectClose(await t.data(), exact, FP32);
  }

  /** Seed 001's forward and backward formulas, written out in float64. */
  function seed001Exact() {
    const sigma = (v: number) => 1 / (1 + Math.exp(-v));
    const [x0, x1] = [1, 2];
    const z1 = [x0 * 0.5 + x1 * 0.7 + 0.1, x0 * 0.6 + x1 * 0.8 + 0.2];
    const a1 = z1.map(sigma);
    const z2 = a1[0] * 0.9 + a1[1] * 0.1 + 0.3;
    const y = sigma(z2);
    const delta2 = (y - 0.5) * y * (1 - y);
    const dA1 = [delta2 * 0.9, delta2 * 0.1];
    const delta1 = dA1.map((d, i) => d * a1[i] * (1 - a1[i]));
    return {
      z1, a1, z2, y, L: 0.5 * (y - 0.5) ** 2, delta2, dW2: a1.map((a) => delta2 * a), dA1, delta1,
      dW1: [x0 * delta1[0], x0 * delta1[1], x1 * delta1[0], x1 * delta1[1]], // dW1[i][j] = X[i] delta1[j]
    };
  }

  const params = () => ({
    X: tensor([[1, 2]]),
    t: tensor(0.5),
    W1: tensor([[0.5, 0.6], [0.7, 0.8]], { requiresGrad: true }),
    b1: tensor([0.1, 0.2], { requiresGrad: true }),
    b2: tensor(0.3, { requiresGrad: true }),
  });

  it('as matmul / add / sigmoid with z2 = a1 W2^T + b2 and L = pred.sub(t).square().mul(0.5).sum()', async () => {
    const { X, t, W1, b1, b2 } = params();
    const W2 = tensor([[0.9, 0.1]], { requiresGrad: true });
    const z1 = X.matmul(W1).add(b1).retainGrad();
    const a1 = z1.sigmoid().retainGrad();
    const z2 = a1.matmul(W2.T).add(b2).retainGrad();
    const pred = z2.sigmoid().retainGrad();
    const loss = pred.sub(t).square().mul(0.5).sum();
    await checkNetwork({ z1, a1, z2, pred, loss }, W1, b1, W2, b2);
  });

  it('as linear layers with L = mseLoss(pred, t, { reduction: "sum" }).mul(0.5)', async () => {
    const { X, W1, b1 } = params();
    const W2 = tensor([[0.9], [0.1]], { requiresGrad: true });
    const b2 = tensor([0.3], { requiresGrad: true });
    const z1 = X.matmul(W1).add(b1).retainGrad();
    const a1 = z1.sigmoid().retainGrad();
    const z2 = linear(a1, W2, b2).retainGrad();
    const pred = z2.sigmoid().retainGrad();
    const loss = mseLoss(pred, tensor([[0.5]]), { reduction: 'sum' }).mul(0.5);
    await checkNetwork({ z1, a1, z2, pred, loss }, W1, b1, W2, b2);
    // The fused linear + sigmoid gives the same parameter gradients (z2 is then internal).
    const W1b = tensor([[0.5, 0.6], [0.7, 0.8]], { requiresGrad: true });
    const fusedPred = linear(linear(X, W1b, tensor([0.1, 0.2]), 'sigmoid'), W2.detach(), b2.detach(), 'sigmoid');
    mseLoss(fusedPred, tensor([[0.5]]), { reduction: 'sum' }).mul(0.5).backward();
    await expectAllRounded(W1b.grad!, [0.0045, 0.0004, 0.009, 0.0007], 4, 'fused dL/dW1');
  });
});

describe("seed 002: MiniFlow's Linear -> Sigmoid -> Linear -> MSE", () => {
  // MiniFlow: l1 = Linear(X, W1, b1); s = Sigmoid(l1); l2 = Linear(s, W2, b2); cost = MSE(l2, y),
  // with MSE = mean((y - l2)^2). Linear's backward is dX = dY W^T, dW = X^T dY, db = sum(dY, 0);
  // "if a node has several outbound nodes, add their gradients". Expected values come from the
  // float64 reference, applying those rules node by node.
  const data = {
    X: refArray([3, 2], [-1, -2, 3, 0.5, 0.25, 1]),
    y: refArray([3, 1], [1, 2, -0.5]),
    W1: refArray([2, 3], [0.5, -0.25, 1, 2, 0.75, -1]),
    b1: refArray([3], [-3, 0.5, 0.25]),
    W2: refArray([3, 1], [1, -2, 0.5]),
    b2: refArray([1], [0.1]),
    W3: refArray([3, 1], [-0.5, 0.25, 2]),
  };
  const leaf = (r: RefArray, requiresGrad = true) => tensor(Float32Array.from(r.data), { shape: r.shape, requiresGrad });
  const none = { activation: 'none' as const };

  /** The reference gradients of cost = MSE(Linear(s, W, b), y) with respect to s, W and b. */
  function linearMseBackward(s: RefArray, W: RefArray, b: RefArray, y: RefArray) {
    const l = REFERENCE.linear.forward([s, W, b], none);
    const m = mseLossRef(l, y, 'mean');
    const [ds, dW, db] = REFERENCE.linear.backward([s, W, b], none, m.grad(1));
    return { cost: m.loss, ds: ds!, dW: dW!, db: db! };
  }

  /** Back through s = Sigmoid(Linear(X, W1, b1)) given dCost/ds. */
  function hiddenBackward(ds: RefArray) {
    const { X, W1, b1 } = data;
    const l1 = REFERENCE.linear.forward([X, W1, b1], none);
    const [dl1] = REFERENCE.sigmoid.backward([l1], undefined, ds);
    const [, dW1, db1] = REFERENCE.linear.backward([X, W1, b1], none, dl1!);
    return { dW1: dW1!, db1: db1! };
  }

  const hidden = () => REFERENCE.sigmoid.forward([REFERENCE.linear.forward([data.X, data.W1, data.b1], none)], undefined);

  it('the graph as written: cost and every parameter gradient', async () => {
    const [X, y, W1, b1, W2, b2] = [leaf(data.X, false), leaf(data.y, false), leaf(data.W1), leaf(data.b1), leaf(data.W2), leaf(data.b2)];
    const s = X.matmul(W1).add(b1).sigmoid();
    const cost = mseLoss(s.matmul(W2).add(b2), y);
    const top = linearMseBackward(hidden(), data.W2, data.b2, data.y);
    const { dW1, db1 } = hiddenBackward(top.ds);
    expectClose([await cost.item()], [top.cost], TOL);
    cost.backward();
    for (const [t, r] of [[W2, top.dW], [b2, top.db], [W1, dW1], [b1, db1]] as [Tensor, RefArray][]) {
      expect(t.grad!.shape).toEqual(r.shape);
      expectClose(await t.grad!.data(), r.data, TOL);
    }
  });

  it('s fans out to two Linear heads: its gradient is the sum of both, and reaches W1 and b1', async () => {
    const [X, y, W1, b1, W2, b2, W3] = [leaf(data.X, false), leaf(data.y, false), leaf(data.W1), leaf(data.b1), leaf(data.W2), leaf(data.b2), leaf(data.W3)];
    const s = X.matmul(W1).add(b1).sigmoid();
    const cost = mseLoss(linear(s, W2, b2), y).add(mseLoss(linear(s, W3, b2), y));
    const head2 = linearMseBackward(hidden(), data.W2, data.b2, data.y);
    const head3 = linearMseBackward(hidden(), data.W3, data.b2, data.y);
    const ds = REFERENCE.add.forward([head2.ds, head3.ds], undefined); // MiniFlow: sum over outbound nodes
    const { dW1, db1 } = hiddenBackward(ds);
    expectClose([await cost.item()], [head2.cost + head3.cost], TOL);
    cost.backward();
    const db2 = REFERENCE.add.forward([head2.db, head3.db], undefined); // b2 is shared by both heads too
    for (const [t, r] of [[W2, head2.dW], [W3, head3.dW], [b2, db2], [W1, dW1], [b1, db1]] as [Tensor, RefArray][]) {
      expectClose(await t.grad!.data(), r.data, TOL);
    }
  });

  it('gradient descent x = x - learning_rate * gradx lowers the cost', async () => {
    const [X, y, W1, b1, W2, b2] = [leaf(data.X, false), leaf(data.y, false), leaf(data.W1), leaf(data.b1), leaf(data.W2), leaf(data.b2)];
    const costOf = (w1: Tensor, c1: Tensor, w2: Tensor, c2: Tensor) => mseLoss(linear(linear(X, w1, c1, 'sigmoid'), w2, c2), y);
    const before = costOf(W1, b1, W2, b2);
    before.backward();
    const stepped = noGrad(() => [W1, b1, W2, b2].map((p) => p.sub(p.grad!.mul(0.1))));
    const after = noGrad(() => costOf(stepped[0], stepped[1], stepped[2], stepped[3]));
    expect(await after.item()).toBeLessThan(await before.item());
  });
});
