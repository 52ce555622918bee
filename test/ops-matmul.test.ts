// matmul and the fused linear op against the float64 reference: every M, N, K in
// {1, 3, 17, 64, 100} (tile edges and non-multiples), both batched forms, and linear with each
// activation, which must also agree with the unfused matmul + add (+ relu / sigmoid) path.
import { describe, expect, it } from 'vitest';
import { linear, matmul, tensor, type Activation, type Tensor } from '../src/index.ts';
import { checkOp, input, randomRef, readRef, shapesLabel, testSeed, TOL, toTensor } from './ops-harness.ts';
import { expectClose } from './helpers.ts';

const DIMS = [1, 3, 17, 64, 100];
const NN = { transA: false, transB: false };
const T = (x: readonly number[]) => [...x.slice(0, -2), x[x.length - 1], x[x.length - 2]];

describe('matmul [M, K] x [K, N]', () => {
  for (const M of DIMS) {
    for (const N of DIMS) {
      for (const K of DIMS) {
        it(`M=${M} N=${N} K=${K}`, async () => {
          const a = randomRef([M, K], testSeed(0));
          const b = randomRef([K, N], testSeed(1));
          await checkOp('matmul', NN, [input(a), input(b)], ([x, y]) => matmul(x, y));
        });
      }
    }
  }
});

describe('batched matmul', () => {
  const cases: [number, number, number, number][] = [
    [1, 3, 5, 4],
    [2, 17, 3, 64],
    [3, 1, 100, 1],
    [4, 33, 17, 20],
    [7, 16, 16, 16],
  ];
  for (const [B, M, K, N] of cases) {
    it(`[B, M, K] x [K, N] (B shared) ${shapesLabel([B, M, K], [K, N])}`, async () => {
      const a = randomRef([B, M, K], testSeed(0));
      const b = randomRef([K, N], testSeed(1));
      await checkOp('matmul', NN, [input(a), input(b)], ([x, y]) => x.matmul(y));
    });
    it(`[B, M, K] x [B, K, N] ${shapesLabel([B, M, K], [B, K, N])}`, async () => {
      const a = randomRef([B, M, K], testSeed(0));
      const b = randomRef([B, K, N], testSeed(1));
      await checkOp('matmul', NN, [input(a), input(b)], ([x, y]) => x.matmul(y));
    });
  }

  it('only one operand requiring grad gets one', async () => {
    const a = randomRef([2, 3, 4], 6100);
    const b = randomRef([4, 5], 6101);
    await checkOp('matmul', NN, [input(a, { grad: false }), input(b)], ([x, y]) => x.matmul(y));
    await checkOp('matmul', NN, [input(a), input(b, { grad: false })], ([x, y]) => x.matmul(y));
  });
});

describe('matmul with transposed operands (transposeA / transposeB, read in place)', () => {
  // [B?, M, K] x [B?, K, N] forms; each operand stored transposed or not.
  const forms: [string, number[], number[]][] = [
    ['2-D', [17, 5], [5, 9]],
    ['2-D', [64, 100], [100, 3]],
    ['2-D, 1s', [1, 1], [1, 1]],
    ['B shared', [3, 17, 5], [5, 9]],
    ['batched', [3, 17, 5], [3, 5, 9]],
    ['B shared, batch 1', [1, 4, 6], [6, 7]],
  ];
  for (const [form, aShape, bShape] of forms) {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        if (!transA && !transB) continue;
        const stored = [transA ? T(aShape) : aShape, transB ? T(bShape) : bShape];
        it(`${form} ${shapesLabel(...stored)}${transA ? ' transposeA' : ''}${transB ? ' transposeB' : ''}`, async () => {
          const a = randomRef(stored[0], testSeed(0));
          const b = randomRef(stored[1], testSeed(1));
          await checkOp('matmul', { transA, transB }, [input(a), input(b)], ([x, y]) =>
            matmul(x, y, { transposeA: transA, transposeB: transB }));
        });
      }
    }
  }

  it('equals matmul of the materialised transposes, and a method form exists', async () => {
    const a = toTensor(input(randomRef([6, 4], 6200)));
    const b = toTensor(input(randomRef([5, 6], 6201)));
    const fused = await readRef(a.matmul(b, { transposeA: true, transposeB: true }));
    const plain = await readRef(matmul(a.T, b.T));
    expect(fused.shape).toEqual([4, 5]);
    expectClose(fused.data, plain.data, TOL);
  });

  it('names the layout when the inner dimensions differ', () => {
    const a = tensor(new Float32Array(12), { shape: [3, 4] });
    const b = tensor(new Float32Array(12), { shape: [3, 4] });
    expect(() => matmul(a, b)).toThrow(/^matmul: inner dimensions .*K = 4 from the first operand, 3 from the second \(got \[3, 4\] and \[3, 4\]\)/);
    expect(() => matmul(a, b, { transposeB: true })).not.toThrow();
    expect(() => matmul(a, b, { transposeA: true })).not.toThrow();
    expect(() => matmul(a, b, { transposeA: true, transposeB: true })).toThrow(/\(transposeA\) x .*\(transposeB\): K = 3 from the first operand, 4 from the second/);
  });
});

describe('torch.matmul forms: 1-D operands, N-D batches, broadcast batch dims', () => {
  // [a stored, b stored, transA, transB, result shape]
  const forms: [number[], number[], boolean, boolean, number[]][] = [
    [[5], [5], false, false, []],
    [[1], [1], false, false, []],
    [[3, 5], [5], false, false, [3]],
    [[5], [5, 4], false, false, [4]],
    [[5, 3], [5], true, false, [3]],
    [[5], [4, 5], false, true, [4]],
    [[2, 3, 5], [5], false, false, [2, 3]],
    [[5], [2, 5, 4], false, false, [2, 4]],
    [[4], [2, 3, 4, 6], false, false, [2, 3, 6]],
    [[2, 3, 4, 5], [2, 3, 5, 6], false, false, [2, 3, 4, 6]],
    [[2, 1, 2, 3, 4], [2, 1, 2, 4, 3], false, false, [2, 1, 2, 3, 3]],
    [[1, 3, 4], [5, 4, 2], false, false, [5, 3, 2]],
    [[5, 3, 4], [1, 4, 2], false, false, [5, 3, 2]],
    [[3, 4], [5, 4, 2], false, false, [5, 3, 2]],
    [[2, 1, 3, 4], [6, 4, 5], false, false, [2, 6, 3, 5]],
    [[2, 1, 3, 4], [1, 3, 4, 5], false, false, [2, 3, 3, 5]],
    [[2, 1, 4, 3], [6, 5, 4], true, true, [2, 6, 3, 5]],
    [[4, 3], [5, 4, 2], true, false, [5, 3, 2]],
    [[5, 4, 3], [2, 4], true, true, [5, 3, 2]],
    [[1, 4, 3], [5, 2, 4], true, true, [5, 3, 2]],
    [[3, 1, 17, 33], [4, 33, 9], false, false, [3, 4, 17, 9]],
  ];
  for (const [aShape, bShape, transA, transB, out] of forms) {
    const flags = `${transA ? ' transposeA' : ''}${transB ? ' transposeB' : ''}`;
    it(`${shapesLabel(aShape, bShape)}${flags} -> ${shapesLabel(out)}`, async () => {
      const a = randomRef(aShape, testSeed(0));
      const b = randomRef(bShape, testSeed(1));
      await checkOp('matmul', { transA, transB }, [input(a), input(b)], ([x, y]) => {
        const r = matmul(x, y, { transposeA: transA, transposeB: transB });
        expect(r.shape).toEqual(out);
        return r;
      });
    });
  }

  it('a broadcast operand that does not need a gradient gets none, the other one does', async () => {
    const a = randomRef([2, 1, 3, 4], 6300);
    const b = randomRef([5, 4, 2], 6301);
    await checkOp('matmul', NN, [input(a, { grad: false }), input(b)], ([x, y]) => x.matmul(y));
    await checkOp('matmul', NN, [input(a), input(b, { grad: false })], ([x, y]) => x.matmul(y));
  });

  it('agrees with explicit per-batch products (the batch dims are really broadcast)', async () => {
    const a = toTensor(input(randomRef([2, 1, 3, 4], 6400), { grad: false }));
    const b = toTensor(input(randomRef([3, 4, 5], 6401), { grad: false }));
    const out = await readRef(matmul(a, b));
    const a0 = a.reshape(2, 3, 4);
    for (const i of [0, 1]) {
      for (const h of [0, 1, 2]) {
        const ai = a0.reshape(2, 12).mul(tensor([[1 - i], [i]])).sum({ axis: 0 }).reshape(3, 4);
        const bh = b.reshape(3, 20).mul(tensor([[h === 0 ? 1 : 0], [h === 1 ? 1 : 0], [h === 2 ? 1 : 0]])).sum({ axis: 0 }).reshape(4, 5);
        const want = await readRef(matmul(ai, bh));
        expectClose(out.data.subarray((i * 3 + h) * 15, (i * 3 + h + 1) * 15), want.data, TOL);
      }
    }
  });

  it('errors name the shapes and what was expected', () => {
    const f = (...shape: number[]) => tensor(new Float32Array(shape.reduce((x, y) => x * y, 1)), { shape });
    expect(() => matmul(f(), f(3))).toThrow(/^matmul: both operands must be at least 1-D .*\(got \[\] and \[3\]\)/);
    expect(() => matmul(f(3), f(4))).toThrow(/^matmul: inner dimensions must match for \[K\] x \[K\]: K = 3 from the first operand, 4 from the second/);
    expect(() => matmul(f(2, 3), f(4))).toThrow(/K = 3 from the first operand, 4 from the second \(got \[2, 3\] and \[4\]\)/);
    expect(() => matmul(f(3), f(3, 2), { transposeA: true })).toThrow(/transposeA needs an operand of rank >= 2, got the vector \[3\]/);
    expect(() => matmul(f(2, 3, 4), f(3, 4, 5))).toThrow(/^matmul: batch dims \[2\] and \[3\] do not broadcast \(got \[2, 3, 4\] and \[3, 4, 5\]\)/);
    expect(() => matmul(f(2, 2), f(2, 2), { transpose_b: true } as never)).toThrow(/matmul: .*transpose_b.*transposeB/);
  });
});

const ACTIVATIONS: Activation[] = ['none', 'relu', 'sigmoid'];

describe('linear (fused act(x W + b))', () => {
  const shapes: [number, number, number][] = [[1, 1, 1], [3, 5, 2], [17, 3, 64], [64, 100, 17], [100, 17, 3], [2, 257, 33]];
  for (const activation of ACTIVATIONS) {
    for (const [M, K, N] of shapes) {
      it(`${activation} x [${M}, ${K}] W [${K}, ${N}]`, async () => {
        const x = randomRef([M, K], testSeed(0));
        const w = randomRef([K, N], testSeed(1));
        const b = randomRef([N], testSeed(2));
        await checkOp('linear', { activation }, [input(x), input(w), input(b)], ([tx, tw, tb]) => linear(tx, tw, tb, activation));
      });
    }
  }

  /** The unfused path: matmul, broadcast add, then the activation as its own op. */
  const unfused = (x: Tensor, w: Tensor, b: Tensor, activation: Activation): Tensor => {
    const z = x.matmul(w).add(b);
    return activation === 'relu' ? z.relu() : activation === 'sigmoid' ? z.sigmoid() : z;
  };

  for (const activation of ACTIVATIONS) {
    it(`${activation}: fused and unfused paths agree on values and gradients`, async () => {
      const refs = [randomRef([33, 20], testSeed(0)), randomRef([20, 7], testSeed(1)), randomRef([7], testSeed(2))];
      const dY = randomRef([33, 7], testSeed(3));
      const results = [];
      for (const path of [linear, unfused]) {
        const [x, w, b] = refs.map((r) => toTensor(input(r)));
        const out = path(x, w, b, activation);
        out.mul(tensor(Float32Array.from(dY.data), { shape: [33, 7] })).sum().backward();
        results.push(await Promise.all([out, x.grad!, w.grad!, b.grad!].map(readRef)));
      }
      const [fused, plain] = results;
      fused.forEach((f, i) => {
        expect(f.shape).toEqual(plain[i].shape);
        expectClose(f.data, plain[i].data, TOL);
      });
    });
  }

  it('the method form x.linear(W, b, act) is the same op', async () => {
    const x = randomRef([4, 3], 7900);
    const w = randomRef([3, 2], 7901);
    const b = randomRef([2], 7902);
    await checkOp('linear', { activation: 'relu' }, [input(x), input(w), input(b)], ([tx, tw, tb]) => tx.linear(tw, tb, 'relu'));
  });
});
