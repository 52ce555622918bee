// Reductions against the float64 reference: sum, mean and max over every single axis (positive
// and negative), pairs of axes and all axes, with and without keepDims; argmax; max with ties.
import { describe, expect, it } from 'vitest';
import { refArray } from '../src/check/array.ts';
import { argmaxRef } from '../src/check/reference.ts';
import { argmax, max, mean, sum, tensor, type ReduceOptions, type Tensor } from '../src/index.ts';
import { checkOp, FP32, input, randomRef, readRef, shapesLabel, testSeed } from './ops-harness.ts';
import { expectClose } from './helpers.ts';

const SHAPES: number[][] = [[1], [7], [3, 5], [1, 4], [2, 3, 4], [4, 1, 5, 3], [300, 257], [2, 1000], [3, 0]];
const REDUCE = { sum, mean, max } as const;
type ReduceName = keyof typeof REDUCE;

/** Every way to pick the axes of `shape`: each axis (also negative), a pair, all (undefined). */
function axisChoices(rank: number): (number | number[] | undefined)[] {
  const choices: (number | number[] | undefined)[] = [undefined];
  for (let a = 0; a < rank; a++) choices.push(a);
  if (rank > 0) choices.push(-1);
  if (rank >= 3) choices.push([0, rank - 1], [-1, 1]);
  return choices;
}

const normalize = (axis: number | number[] | undefined, rank: number): number[] => {
  const list = axis === undefined ? [...Array(rank).keys()] : Array.isArray(axis) ? axis : [axis];
  return [...new Set(list.map((a) => (a < 0 ? a + rank : a)))].sort((x, y) => x - y);
};

describe('sum, mean, max over axes', () => {
  for (const name of Object.keys(REDUCE) as ReduceName[]) {
    for (const shape of SHAPES) {
      for (const axis of axisChoices(shape.length)) {
        for (const keepDims of [false, true]) {
          const axes = normalize(axis, shape.length);
          // Only sum is defined over an empty axis (it is 0); mean and max throw (see errors.test.ts).
          if (name !== 'sum' && axes.some((a) => shape[a] === 0)) continue;
          it(`${name} ${shapesLabel(shape)} axis ${JSON.stringify(axis) ?? 'all'}${keepDims ? ' keepDims' : ''}`, async () => {
            const x = randomRef(shape, testSeed(0));
            const opts: ReduceOptions = { axis, keepDims };
            await checkOp(name, { axes, keepDims }, [input(x)], ([t]) => REDUCE[name](t, opts));
          });
        }
      }
    }
  }

  it('a 0-d tensor reduces to itself', async () => {
    const x = refArray([], [2.5]);
    for (const name of Object.keys(REDUCE) as ReduceName[]) {
      await checkOp(name, { axes: [], keepDims: false }, [input(x)], ([t]) => REDUCE[name](t));
    }
  });

  it('long reductions: 100003 elements, and 70000 outputs (more workgroups than one grid dimension holds)', async () => {
    const long = randomRef([100003], 3901);
    await checkOp('sum', { axes: [0], keepDims: false }, [input(long)], ([t]) => t.sum());
    await checkOp('max', { axes: [0], keepDims: false }, [input(long)], ([t]) => t.max());
    const many = randomRef([70000, 3], 3902);
    await checkOp('mean', { axes: [1], keepDims: false }, [input(many)], ([t]) => t.mean({ axis: 1 }));
    await checkOp('max', { axes: [1], keepDims: true }, [input(many)], ([t]) => t.max({ axis: 1, keepDims: true }));
  });

  it('max of -Infinity and of very negative values', async () => {
    const t = tensor([-Infinity, -Infinity, -3e38, -Infinity], { shape: [2, 2] });
    expect([...(await max(t, { axis: 1 }).data())]).toEqual([-Infinity, Math.fround(-3e38)]);
  });
});

describe('max with ties', () => {
  it('splits the gradient evenly between tied maxima (the parts sum to the output gradient)', async () => {
    const x = refArray([2, 4], [1, 3, 3, 0, 5, 5, 5, 2]);
    await checkOp('max', { axes: [1], keepDims: false }, [input(x)], ([t]) => t.max({ axis: 1 }));
    await checkOp('max', { axes: [0, 1], keepDims: false }, [input(x)], ([t]) => t.max());
    const t = tensor([[1, 3, 3, 0]], { requiresGrad: true });
    t.max().backward();
    expectClose(await t.grad!.data(), [0, 0.5, 0.5, 0], FP32);
  });
});

describe('argmax', () => {
  const cases: [number[], number][] = [[[7], 0], [[3, 5], 1], [[3, 5], 0], [[3, 5], -1], [[2, 3, 4], 1], [[2, 300], 1], [[1, 1], 0], [[70000, 2], 1]];
  for (const [shape, axis] of cases) {
    for (const keepDims of [false, true]) {
      it(`${shapesLabel(shape)} axis ${axis}${keepDims ? ' keepDims' : ''}`, async () => {
        const x = randomRef(shape, testSeed(0));
        const t = tensor(Float32Array.from(x.data), { shape });
        const out = argmax(t, { axis, keepDims });
        const expected = argmaxRef(x, axis < 0 ? axis + shape.length : axis, keepDims);
        expect(out.dtype).toBe('i32');
        expect(out.shape).toEqual(expected.shape);
        expect([...(await out.data())]).toEqual([...expected.data]);
      });
    }
  }

  it('without an axis indexes the flattened tensor (torch.argmax); returns the first index of a tie', async () => {
    const t: Tensor = tensor([[1, 4, 4, 2], [9, 0, 9, 9], [-1, -1, -1, -1]]);
    expect(await argmax(t).toArray()).toEqual(4);
    expect(await argmax(t, -1).toArray()).toEqual([1, 0, 0]);
    expect(await t.argmax({ axis: 0 }).toArray()).toEqual([1, 0, 1, 1]);
    expect((await readRef(argmax(tensor([[-5, -2, -7]])))).data[0]).toBe(1);
  });
});
