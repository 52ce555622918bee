// maxPool2d, avgPool2d, adaptiveAvgPool2d and pad against the float64 reference (forward and
// gradient) over many geometries; max-pool ties and NaN as PyTorch; bad inputs.
import { describe, expect, it } from 'vitest';
import { refArray } from '../src/check/array.ts';
import type { PoolAttrs } from '../src/ops/pool.ts';
import { padAttrs } from '../src/ops/pad.ts';
import {
  adaptiveAvgPool2d, avgPool2d, maxPool2d, memory, pad, runtime, tensor, ShapeError, ValueError,
  type AvgPool2dOptions, type MaxPool2dOptions,
} from '../src/index.ts';
import { checkOp, input, randomRef, testSeed } from './ops-harness.ts';

const pair = (v: number | [number, number] | undefined, d: [number, number]): [number, number] =>
  v === undefined ? d : typeof v === 'number' ? [v, v] : v;

function attrsOf(o: MaxPool2dOptions & AvgPool2dOptions): PoolAttrs {
  const kernel = pair(o.kernelSize, [1, 1]);
  return {
    kernel,
    stride: pair(o.stride, kernel),
    padding: pair(o.padding, [0, 0]),
    dilation: pair(o.dilation, [1, 1]),
    ceilMode: o.ceilMode ?? false,
    countIncludePad: o.countIncludePad ?? true,
  };
}

const MAX_CASES: [number[], MaxPool2dOptions][] = [
  [[2, 3, 6, 6], { kernelSize: 2 }],
  [[1, 1, 24, 24], { kernelSize: 2, stride: 2 }],
  [[2, 3, 7, 9], { kernelSize: 3, stride: 2 }],
  [[1, 2, 7, 9], { kernelSize: 3, stride: 2, ceilMode: true }],
  [[2, 2, 8, 7], { kernelSize: 3, stride: 1, padding: 1 }],
  [[1, 3, 9, 10], { kernelSize: [3, 2], stride: [2, 1], padding: [1, 1] }],
  [[2, 2, 11, 11], { kernelSize: 3, dilation: 2, stride: 2, padding: 1 }],
  [[1, 1, 5, 5], { kernelSize: 5 }],
  [[3, 5, 7], { kernelSize: 2, stride: 1 }],
  [[1, 2, 10, 6], { kernelSize: 4, stride: 3, padding: 2, ceilMode: true }],
  // Windows that tile the input with padding (the per-output backward) and ones that stop short
  // of an odd edge (the gather, which zeroes the last row and column).
  [[2, 2, 5, 7], { kernelSize: 2, padding: 1 }],
  [[1, 2, 5, 7], { kernelSize: [2, 3], ceilMode: true }],
  [[1, 2, 5, 7], { kernelSize: 2 }],
];

const AVG_CASES: [number[], AvgPool2dOptions][] = [
  [[2, 3, 6, 6], { kernelSize: 2 }],
  [[2, 3, 7, 9], { kernelSize: 3, stride: 2 }],
  [[1, 2, 7, 9], { kernelSize: 3, stride: 2, ceilMode: true }],
  [[2, 2, 8, 7], { kernelSize: 3, stride: 1, padding: 1 }],
  [[2, 2, 8, 7], { kernelSize: 3, stride: 1, padding: 1, countIncludePad: false }],
  [[1, 3, 9, 10], { kernelSize: [3, 2], stride: [2, 1], padding: [1, 1], ceilMode: true }],
  [[1, 3, 9, 10], { kernelSize: [3, 2], stride: [2, 1], padding: [1, 1], ceilMode: true, countIncludePad: false }],
  [[1, 2, 10, 6], { kernelSize: 4, stride: 3, padding: 2, ceilMode: true }],
  [[3, 5, 7], { kernelSize: 2, stride: 1 }],
];

const label = (s: number[], o: object) => `[${s.join(',')}] ${JSON.stringify(o)}`;

describe('maxPool2d against the float64 reference', () => {
  for (const [shape, opts] of MAX_CASES) {
    it(label(shape, opts), async () => {
      await checkOp('maxPool2d', attrsOf(opts), [input(randomRef(shape, testSeed(0)))], ([x]) => maxPool2d(x, opts));
    });
  }

  it('ties: the first maximum of the window (row-major) gets the whole gradient, as PyTorch', async () => {
    // Overlapping 2x2 windows, stride 1, over a plane of equal values.
    const x = tensor(new Float32Array(9).fill(1), { shape: [1, 1, 3, 3], requiresGrad: true });
    const y = maxPool2d(x, { kernelSize: 2, stride: 1 });
    y.sum().backward();
    // Windows start at (0,0), (0,1), (1,0), (1,1): each picks its top-left tap.
    expect(Array.from(await x.grad!.data())).toEqual([1, 1, 0, 1, 1, 0, 0, 0, 0]);
    await checkOp('maxPool2d', attrsOf({ kernelSize: 2, stride: 1 }), [input(refArray([1, 2, 3, 4], [0, 2, 2, 1, 2, 2, 0, -1, 2, 2, 3, 3, 1, 1, 1, 1, 1, 1, 2, 2, 2, 1, 0, 0]))], ([t]) => t.maxPool2d({ kernelSize: 2, stride: 1 }));
  });

  it('NaN propagates: a window holding NaN outputs NaN and routes its gradient to the NaN', async () => {
    const x = tensor([[[[1, NaN, 3, 4], [5, 6, 7, 8]]]], { requiresGrad: true });
    const y = maxPool2d(x, { kernelSize: 2 });
    const v = await y.data();
    expect(Number.isNaN(v[0])).toBe(true);
    expect(v[1]).toBe(8);
    y.sum().backward();
    expect(Array.from(await x.grad!.data())).toEqual([0, 1, 0, 0, 0, 0, 0, 1]);
  });

  it('-Infinity everywhere still picks the first tap', async () => {
    const x = tensor(new Float32Array(4).fill(-Infinity), { shape: [1, 1, 2, 2], requiresGrad: true });
    const y = maxPool2d(x, { kernelSize: 2 });
    expect(await y.item()).toBe(-Infinity);
    y.backward();
    expect(Array.from(await x.grad!.data())).toEqual([1, 0, 0, 0]);
  });
});

describe('avgPool2d against the float64 reference', () => {
  for (const [shape, opts] of AVG_CASES) {
    it(label(shape, opts), async () => {
      await checkOp('avgPool2d', attrsOf(opts), [input(randomRef(shape, testSeed(0)))], ([x]) => avgPool2d(x, opts));
    });
  }
});

describe('adaptiveAvgPool2d against the float64 reference', () => {
  const cases: [number[], number | [number, number]][] = [
    [[2, 3, 7, 7], 1], [[1, 4, 5, 9], [1, 1]], [[2, 2, 7, 5], [3, 2]], [[1, 3, 6, 6], 3], [[1, 1, 5, 7], [5, 7]], [[2, 3, 4, 5], [7, 6]], [[3, 10, 10], 4],
  ];
  for (const [shape, size] of cases) {
    it(`[${shape.join(',')}] -> ${JSON.stringify(size)}`, async () => {
      const outputSize = pair(size, [1, 1]);
      await checkOp('adaptiveAvgPool2d', { outputSize }, [input(randomRef(shape, testSeed(0)))], ([x]) => adaptiveAvgPool2d(x, size));
    });
  }
});

describe('pad (constant) against the float64 reference', () => {
  const cases: [number[], number[], number][] = [
    [[2, 3, 5], [1, 2], 0], [[1, 2, 4, 4], [1, 1, 1, 1], 0], [[2, 3, 4, 5], [0, 1, 2, 0], -1.5], [[2, 3, 4, 5], [-1, 2, 1, -2], 0],
    [[3, 4], [1, 1, 2, 3], 7], [[5], [3, 0], 0.25], [[2, 2, 3], [0, 0, 0, 0, 1, 1], 0], [[1, 1, 7, 7], [2, 2, 2, 2], 0],
  ];
  for (const [shape, p, value] of cases) {
    it(`[${shape.join(',')}] pad [${p.join(',')}] value ${value}`, async () => {
      await checkOp('pad', padAttrs(shape, p, value), [input(randomRef(shape, testSeed(0)))], ([x]) => (value === 0 ? pad(x, p) : x.pad(p, { value })));
    });
  }
});

describe('pooling and pad bad inputs: typed errors naming the op and the shapes, nothing queued', () => {
  it('refuses each bad call before any work', () => {
    const x = tensor(new Float32Array(2 * 3 * 4 * 4), { shape: [2, 3, 4, 4] });
    const flat = tensor(new Float32Array(16), { shape: [4, 4] });
    const made = memory().liveTensors;
    const dispatched = runtime().stats.dispatches;
    const bad: [() => unknown, RegExp, typeof ShapeError | typeof ValueError][] = [
      [() => maxPool2d(x, { kernelSize: 5 }), /^maxPool2d: kernel \[5, 5\] .* larger than the padded input 4 x 4 \(got \[2, 3, 4, 4\]\)/, ShapeError],
      [() => maxPool2d(x, { kernelSize: 3, dilation: 2 }), /larger than the padded input/, ShapeError],
      [() => avgPool2d(flat, { kernelSize: 2 }), /^avgPool2d: expected a 4-D \[N, C, H, W\] or 3-D \[C, H, W\] input \(got \[4, 4\]\)/, ShapeError],
      [() => maxPool2d(x, { kernelSize: 2, padding: 2 }), /padding \[2, 2\] must be at most half the kernel size/, ValueError],
      [() => maxPool2d(x, {} as never), /option 'kernelSize' is required/, ValueError],
      [() => maxPool2d(x, { kernelSize: 2, countIncludePad: true } as never), /^maxPool2d: unknown option 'countIncludePad'/, ValueError],
      [() => avgPool2d(x, { kernelSize: 2, dilation: 2 } as never), /^avgPool2d: unknown option 'dilation'/, ValueError],
      [() => avgPool2d(x, { kernelSize: 0 }), /'kernelSize' must be an integer >= 1/, ValueError],
      [() => adaptiveAvgPool2d(x, 0), /^adaptiveAvgPool2d: outputSize must be an integer >= 1/, ValueError],
      [() => adaptiveAvgPool2d(flat, 1), /^adaptiveAvgPool2d: expected a 4-D/, ShapeError],
      [() => pad(x, [1]), /^pad: pad must hold \(before, after\) pairs/, ShapeError],
      [() => pad(flat, [1, 1, 1, 1, 1, 1]), /for at most 2 dims/, ShapeError],
      [() => pad(flat, [-3, -2]), /leaves a negative size/, ShapeError],
      [() => pad(flat, [1, 0.5]), /pad must be an array of integers/, ValueError],
      [() => pad(flat, [1, 1], { mode: 'reflect' } as never), /^pad: unknown option 'mode'/, ValueError],
    ];
    for (const [call, message, type] of bad) {
      expect(call).toThrow(type);
      expect(call).toThrow(message);
    }
    expect(memory().liveTensors).toBe(made);
    expect(runtime().stats.dispatches).toBe(dispatched);
    x.dispose();
    flat.dispose();
  });
});
