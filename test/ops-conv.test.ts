// conv2d against the float64 reference (forward, dx, dw, db) over many geometries: sizes that
// are not multiples of 4, stride, padding (symmetric, per-axis, 'same' with odd and even
// kernels, 'valid'), dilation, grouped and depthwise convolutions, batch 1; chunked column
// matrices (a device whose binding limit forces several chunks); bad inputs.
import { describe, expect, it } from 'vitest';
import { conv2dAttrs, type Conv2dOptions } from '../src/ops/conv.ts';
import { conv2d, init, memory, runtime, tensor, ShapeError, ValueError } from '../src/index.ts';
import { checkOp, input, randomRef, testSeed } from './ops-harness.ts';

interface Case {
  x: [number, number, number, number];
  w: [number, number, number, number];
  bias: boolean;
  opts: Conv2dOptions;
}

const CASES: Case[] = [
  { x: [2, 3, 7, 9], w: [5, 3, 3, 3], bias: true, opts: {} },
  { x: [1, 1, 28, 28], w: [30, 1, 5, 5], bias: true, opts: {} },
  { x: [1, 5, 6, 6], w: [7, 5, 1, 1], bias: false, opts: {} },
  { x: [3, 2, 9, 7], w: [3, 2, 3, 2], bias: true, opts: { stride: 2 } },
  { x: [2, 3, 10, 11], w: [4, 3, 3, 3], bias: true, opts: { stride: [2, 3], padding: [1, 2] } },
  { x: [1, 2, 5, 5], w: [3, 2, 3, 3], bias: false, opts: { padding: 2 } },
  { x: [2, 3, 8, 7], w: [2, 3, 3, 3], bias: true, opts: { dilation: 2, padding: 1 } },
  { x: [1, 2, 9, 9], w: [3, 2, 2, 3], bias: true, opts: { dilation: [3, 1], stride: [1, 2] } },
  { x: [2, 4, 6, 5], w: [6, 2, 3, 3], bias: true, opts: { groups: 2, padding: 1 } },
  { x: [2, 6, 7, 7], w: [6, 1, 3, 3], bias: true, opts: { groups: 6, padding: 'same' } },
  { x: [1, 3, 6, 6], w: [6, 1, 3, 3], bias: false, opts: { groups: 3, stride: 2, padding: 1 } },
  { x: [2, 3, 6, 7], w: [4, 3, 4, 2], bias: true, opts: { padding: 'same' } },
  { x: [1, 2, 7, 6], w: [3, 2, 3, 4], bias: false, opts: { padding: 'same', dilation: [1, 2] } },
  { x: [2, 3, 5, 6], w: [2, 3, 5, 6], bias: true, opts: { padding: 'valid' } },
  { x: [4, 16, 11, 13], w: [9, 16, 3, 3], bias: true, opts: { stride: 2, padding: 1 } },
  // 11 images: dw's matmul splits them 2 per split with one zero padding image (src/kernels/conv.ts dwSplits).
  { x: [11, 2, 5, 6], w: [3, 2, 3, 3], bias: true, opts: { padding: 1 } },
];

const label = (c: Case) => `x [${c.x.join(',')}] w [${c.w.join(',')}]${c.bias ? ' + b' : ''} ${JSON.stringify(c.opts)}`;

/**
 * f32 sums of products of N(0, 1) values drift like sqrt(terms) ulps of their partial sums, and
 * the kernels sum in another order than the reference: atol grows with the longest sum (forward
 * Cg kH kW terms, dx Og kH kW, dw N OH OW).
 */
function tolFor(c: Case): { rtol: number; atol: number } {
  const groups = c.opts.groups ?? 1;
  const terms = Math.max(c.w[1] * c.w[2] * c.w[3], (c.w[0] / groups) * c.w[2] * c.w[3], c.x[0] * c.x[2] * c.x[3]);
  return { rtol: 1e-4, atol: Math.max(1e-5, 2e-6 * Math.sqrt(terms)) };
}

async function check(c: Case): Promise<void> {
  const attrs = conv2dAttrs(c.w, c.opts);
  const inputs = [input(randomRef(c.x, testSeed(0))), input(randomRef(c.w, testSeed(1), { scale: 0.5 }))];
  if (c.bias) {
    inputs.push(input(randomRef([c.w[0]], testSeed(2))));
    await checkOp('conv2d', attrs, inputs, ([x, w, b]) => conv2d(x, w, b, c.opts), tolFor(c));
  } else {
    await checkOp('conv2dNoBias', attrs, inputs, ([x, w]) => x.conv2d(w, null, c.opts), tolFor(c));
  }
}

describe('conv2d against the float64 reference (forward and all gradients)', () => {
  for (const c of CASES) it(label(c), () => check(c));
  // The two algorithms, forced (the default picks one per adapter family).
  for (const algo of ['im2col', 'direct']) {
    it(`every case with the ${algo} kernels (WEBGRAD_CONV=${algo})`, async () => {
      const before = process.env.WEBGRAD_CONV;
      process.env.WEBGRAD_CONV = algo;
      try {
        for (const c of CASES) await check(c);
      } finally {
        if (before === undefined) delete process.env.WEBGRAD_CONV;
        else process.env.WEBGRAD_CONV = before;
      }
    });
  }

  it('only the gradients asked for are computed (x frozen, w trained)', async () => {
    await checkOp('conv2d', conv2dAttrs([4, 3, 3, 3], {}), [
      input(randomRef([2, 3, 6, 6], testSeed(0)), { grad: false }),
      input(randomRef([4, 3, 3, 3], testSeed(1))),
      input(randomRef([4], testSeed(2))),
    ], ([x, w, b]) => conv2d(x, w, b));
  });
});

describe('conv2d with column matrices split into chunks of images', () => {
  it('a binding limit that fits 3 images per chunk gives the same results (dw summed over chunks)', async () => {
    // [7, 3, 9, 9] with a 3x3 kernel: one image's columns are 27 * 49 * 4 = 5292 bytes, so
    // a 16 KiB limit makes chunks of 3, 3 and 1 images.
    await init({ limits: { maxStorageBufferBindingSize: 16 * 1024 } });
    try {
      const c: Case = { x: [7, 3, 9, 9], w: [4, 3, 3, 3], bias: true, opts: { padding: 0 } };
      await check(c);
    } finally {
      // A fresh device without the cap (plain init() would keep the capped one), so the files that
      // import this one (test/kernels-gpu-family.test.ts) run the rest at full limits.
      await init({ limits: {} });
    }
  });
});

describe('conv2d bad inputs: typed errors naming the op and the shapes, nothing queued', () => {
  const make = (s: number[]) => tensor(new Float32Array(s.reduce((a, b) => a * b, 1)), { shape: s });

  it('refuses each bad call before any work', () => {
    const x = make([2, 3, 8, 8]);
    const w = { c2: make([4, 2, 3, 3]), k9: make([4, 3, 9, 9]), k5: make([4, 3, 5, 5]), g2: make([4, 1, 3, 3]), ok: make([4, 3, 3, 3]), d3: make([4, 3, 3]) };
    const x3 = make([3, 8, 8]);
    const b5 = make([5]);
    const bad: [() => unknown, RegExp, typeof ShapeError | typeof ValueError][] = [
      [() => conv2d(x, w.c2), /^conv2d: weight \[4, 2, 3, 3\] expects 2 input channels .* but the input has 3 \(got \[2, 3, 8, 8\] and \[4, 2, 3, 3\]\)/, ShapeError],
      [() => conv2d(x, w.k9), /^conv2d: kernel span 9 x 9 .* larger than the padded input 8 x 8/, ShapeError],
      [() => conv2d(x, w.k5, null, { dilation: 2 }), /kernel span 9 x 9 \(kernel 5 x 5, dilation \[2, 2\]\)/, ShapeError],
      [() => conv2d(x, w.g2, null, { groups: 2 }), /groups = 2 must divide both the input channels \(3\)/, ShapeError],
      [() => conv2d(x3, w.ok), /^conv2d: input must be 4-D \[N, C, H, W\], got a 3-D input \(got \[3, 8, 8\] and \[4, 3, 3, 3\]\)/, ShapeError],
      [() => conv2d(x, w.d3), /weight must be 4-D/, ShapeError],
      [() => conv2d(x, w.ok, b5), /bias must be \[4\]/, ShapeError],
      [() => conv2d(x, w.ok, null, { stride: 2, padding: 'same' }), /padding 'same' needs stride 1/, ValueError],
      [() => conv2d(x, w.ok, null, { stride: 0 }), /'stride' must be an integer >= 1 or a pair/, ValueError],
      [() => conv2d(x, w.ok, null, { padding: -1 }), /'padding' must be/, ValueError],
      [() => conv2d(x, w.ok, null, { groups: 1.5 }), /'groups' must be an integer >= 1/, ValueError],
      [() => conv2d(x, w.ok, null, { pading: 1 } as never), /unknown option 'pading' \(did you mean 'padding'\?\)/, ValueError],
    ];
    const made = memory().liveTensors;
    const dispatched = runtime().stats.dispatches;
    for (const [call, message, type] of bad) {
      expect(call).toThrow(type);
      expect(call).toThrow(message);
    }
    // No output, no column matrix, no kernel: only the operands made above are alive.
    expect(memory().liveTensors).toBe(made);
    expect(runtime().stats.dispatches).toBe(dispatched);
    for (const t of [x, x3, b5, ...Object.values(w)]) t.dispose();
  });
});
