// Differential fuzzing (issue 6): fast-check builds random small op graphs (random shapes,
// broadcasting, chains of ops); each graph's forward value is compared with the float64 CPU
// reference (a replay of its tape) and its gradients with gradcheck. Failures shrink to a
// minimal program. Fixed seed in CI; FUZZ_SEED=<n> / FUZZ_RUNS=<n> to explore on demand.
// The CNN and transformer ops take their options from a per-step seed (conv2d stride, padding,
// dilation and groups; pooling windows; batchNorm in training and eval mode; dropout p in
// {0, 0.25, 0.5, 1} with an explicit seed, so the replay draws the forward's mask and gradcheck
// holds the backward to it; attention masks), and the run fails if any op was never applied.
import fc from 'fast-check';
import { expect, it } from 'vitest';
import {
  adaptiveAvgPool2d, avgPool2d, batchNorm, cat, chunk, conv2d, dropout, embedding, gather, gradcheck, maskedFill, maxPool2d, randn, slice, split, stack,
  tensor, where, type Tensor,
} from '../src/index.ts';
import { captureTape, readRef, replay } from '../src/check/replay.ts';

const OPS = [
  'add', 'sub', 'mul', 'div', 'maximum', 'exp', 'log', 'sqrt', 'square', 'tanh', 'relu', 'sigmoid', 'abs', 'neg',
  'sum', 'mean', 'max', 'softmax', 'logSoftmax', 'matmul', 'transpose', 'reshape', 'scalar',
  'conv2d', 'maxPool2d', 'avgPool2d', 'adaptiveAvgPool2d', 'pad', 'batchNorm', 'dropout',
  'pow', 'unsqueeze', 'squeeze', 'flatten', 'view',
  'layerNorm', 'rmsNorm', 'gelu', 'silu', 'narrow', 'slice', 'cat', 'stack', 'split', 'chunk',
  'where', 'maskedFill', 'tril', 'indexSelect', 'gather', 'embedding',
  'scaledDotProductAttention',
] as const;
type Op = (typeof OPS)[number];
/** One op of a program: operands a, b (indices into the values so far), an axis, a flag, a small integer, and p: the seed of the op's other options. */
interface Step { op: Op; a: number; b: number; axis: number; keep: boolean; k: number; p: number }
interface Program { shapes: number[][]; steps: Step[]; seed: number }

const shapeArb = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 0, maxLength: 3 });
const stepArb = fc.record({
  op: fc.constantFrom(...OPS),
  a: fc.nat(9),
  b: fc.nat(9),
  axis: fc.integer({ min: -3, max: 2 }),
  keep: fc.boolean(),
  k: fc.integer({ min: -3, max: 3 }),
  p: fc.nat(1_000_000),
});
const programArb = fc.record({
  shapes: fc.array(shapeArb, { minLength: 1, maxLength: 3 }),
  steps: fc.array(stepArb, { minLength: 1, maxLength: 6 }),
  seed: fc.nat(1000),
});

function broadcastable(a: readonly number[], b: readonly number[]): boolean {
  for (let i = 1; i <= Math.min(a.length, b.length); i++) {
    const x = a[a.length - i];
    const y = b[b.length - i];
    if (x !== y && x !== 1 && y !== 1) return false;
  }
  return true;
}

/** Successive small integers r(m) in [0, m) drawn from a step's option seed (deterministic, shrinkable). */
function picker(seed: number): (m: number) => number {
  let v = seed;
  return (m) => {
    const out = v % m;
    v = Math.floor(v / m);
    return out;
  };
}

/** The first n values of t flattened, repeated when t is smaller (differentiable: weights made from an operand). */
function tileTo(t: Tensor, n: number): Tensor {
  const flat = t.reshape(-1);
  const long = flat.size >= n ? flat : cat(Array<Tensor>(Math.ceil(n / flat.size)).fill(flat));
  return long.size === n ? long : slice(long, 0, 0, n);
}

/** x as a batch of one [1, C, rows, last] image: C = the first dim of a 3-D x, else 1. */
function asImage(x: Tensor): Tensor {
  return x.reshape(1, x.rank >= 3 ? x.shape[0] : 1, -1, x.shape[x.rank - 1]);
}

/** Whether a window of k taps spaced d apart fits `size` with p padding on each side. */
const fits = (size: number, k: number, d: number, p: number) => d * (k - 1) + 1 <= size + 2 * p;

/**
 * Whether every max-pooling window along an axis holds an input element (PyTorch's output
 * size rule): a dilated window can fall wholly into the padding, giving -inf, whose mean
 * no tolerance compares.
 */
function windowsHit(size: number, k: number, s: number, d: number, p: number, ceil: boolean): boolean {
  let out = Math.floor((size + 2 * p - d * (k - 1) - 1 + (ceil ? s - 1 : 0)) / s) + 1;
  if (ceil && (out - 1) * s >= size + p) out--;
  for (let o = 0; o < out; o++) {
    if (!Array.from({ length: k }, (_, j) => o * s - p + j * d).some((t) => t >= 0 && t < size)) return false;
  }
  return true;
}

/** Distinct small offsets (a ramp): ties of a max (relu's zeros) would make its gradient a kink. */
const ramp = (x: Tensor) => tensor(Float32Array.from({ length: x.size }, (_, i) => i * 1e-2), { shape: x.shape });

/** A 0/1 f32 pattern of the given shape (data, not differentiated), with ones where (i + k) % 3 != 0. */
const pattern = (shape: readonly number[], k: number) =>
  tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => ((i + k) % 3 === 0 ? 0 : 1)), { shape: [...shape] });

/** How often each op was applied (not skipped) over the run: every op must be reached. */
const applied = new Map<Op, number>();

/** Apply the program to inputs; steps whose operands do not fit are skipped. Domains are kept safe. */
function interpret(p: Program, inputs: Tensor[]): Tensor {
  const vals = [...inputs];
  for (const s of p.steps) {
    const x = vals[s.a % vals.length];
    const y = vals[s.b % vals.length];
    const axisOk = x.rank > 0 && s.axis >= -x.rank && s.axis < x.rank;
    const axisSize = axisOk ? x.shape[s.axis < 0 ? s.axis + x.rank : s.axis] : 0;
    const r = picker(s.p);
    let out: Tensor | null = null;
    switch (s.op) {
      case 'add': case 'sub': case 'mul': case 'maximum':
        if (broadcastable(x.shape, y.shape)) out = x[s.op](y);
        break;
      case 'div':
        if (broadcastable(x.shape, y.shape)) out = x.div(y.square().add(0.5));
        break;
      case 'exp': out = x.tanh().exp(); break;
      case 'log': out = x.abs().add(0.5).log(); break;
      case 'sqrt': out = x.square().add(0.25).sqrt(); break;
      case 'square': case 'tanh': case 'relu': case 'sigmoid': case 'abs': case 'neg':
        out = x[s.op]();
        break;
      case 'sum': case 'mean': case 'max':
        out = axisOk ? x[s.op]({ axis: s.axis, keepDims: s.keep }) : s.op === 'max' ? null : x[s.op]();
        if (s.op === 'max' && !axisOk && x.size > 0) out = x.max();
        break;
      case 'softmax': case 'logSoftmax':
        if (x.rank >= 1) out = x[s.op](axisOk ? s.axis : -1);
        break;
      case 'matmul':
        // Any pair torch.matmul accepts: 1-D operands, batches, broadcast batch dims.
        if (x.rank >= 1 && y.rank >= 1 && x.shape[x.rank - 1] === y.shape[Math.max(y.rank - 2, 0)] && broadcastable(x.shape.slice(0, -2), y.shape.slice(0, -2))) out = x.matmul(y);
        break;
      case 'pow':
        if (s.keep && broadcastable(x.shape, y.shape)) out = x.abs().add(0.5).pow(y.tanh());
        else out = s.k >= 0 ? x.pow(s.k) : x.abs().add(0.5).pow(s.k * 0.5);
        break;
      case 'unsqueeze':
        out = x.unsqueeze(Math.max(-x.rank - 1, Math.min(s.axis, x.rank)));
        break;
      case 'squeeze':
        out = axisOk ? x.squeeze(s.axis) : x.squeeze();
        break;
      case 'flatten':
        out = axisOk ? x.flatten(s.axis) : x.flatten();
        break;
      case 'view':
        out = x.view(x.shape[x.rank - 1] ?? 1, -1);
        break;
      case 'transpose':
        if (x.rank >= 2) out = x.transpose();
        break;
      case 'reshape': out = x.reshape(-1); break;
      case 'scalar': out = x.mul(s.k * 0.5 + 0.25).add(s.k); break;
      // Spatial ops see x as one [1, C, rows, last] image (C: the first dim of a 3-D x). conv2d:
      // random kernel, stride, padding ('same' at stride 1), dilation and groups (1, a divisor
      // of C, or depthwise), its weight and bias made from y.
      case 'conv2d':
        if (x.rank >= 1) {
          const img = asImage(x);
          const [, C, H, W] = img.shape;
          const groups = [1, C, C % 2 === 0 ? 2 : 1][r(3)];
          const O = groups * (1 + r(2));
          const k = [1 + r(3), 1 + r(3)];
          const stride = [1 + r(2), 1 + r(2)] as [number, number];
          const dilation = [1 + r(2), 1 + r(2)] as [number, number];
          const same = stride[0] === 1 && stride[1] === 1 && r(2) === 1;
          const pad = [r(3), r(3)] as [number, number];
          // ('same' pads the whole span, so any kernel fits.)
          if (same || (fits(H, k[0], dilation[0], pad[0]) && fits(W, k[1], dilation[1], pad[1]))) {
            const w = tileTo(y, O * (C / groups) * k[0] * k[1]).reshape(O, C / groups, k[0], k[1]).mul(0.5);
            const bias = s.keep ? tileTo(y.neg(), O) : null;
            out = conv2d(img, w, bias, { stride, padding: same ? 'same' : pad, dilation, groups });
          }
        }
        break;
      // Pooling: random window, stride (or the default, = kernel), padding up to half the window,
      // ceilMode; dilation for max, countIncludePad for avg. Max sees x plus a ramp (no ties).
      case 'maxPool2d': case 'avgPool2d':
        if (x.rank >= 1) {
          const img = asImage(x);
          const kernelSize = [1 + r(3), 1 + r(3)] as [number, number];
          const stride = r(3) === 0 ? undefined : ([1 + r(2), 1 + r(2)] as [number, number]);
          const padding = [Math.min(r(2), kernelSize[0] >> 1), Math.min(r(2), kernelSize[1] >> 1)] as [number, number];
          const dilation = (s.op === 'maxPool2d' ? [1 + r(2), 1 + r(2)] : [1, 1]) as [number, number];
          const hit = (i: number) => windowsHit(img.shape[2 + i], kernelSize[i], stride?.[i] ?? kernelSize[i], dilation[i], padding[i], s.keep);
          if (fits(img.shape[2], kernelSize[0], dilation[0], padding[0]) && fits(img.shape[3], kernelSize[1], dilation[1], padding[1]) && hit(0) && hit(1)) {
            out = s.op === 'maxPool2d'
              ? maxPool2d(img.add(ramp(img)), { kernelSize, stride, padding, dilation, ceilMode: s.keep })
              : avgPool2d(img, { kernelSize, stride, padding, ceilMode: s.keep, countIncludePad: r(2) === 1 });
          }
        }
        break;
      case 'adaptiveAvgPool2d':
        if (x.rank >= 1) out = adaptiveAvgPool2d(asImage(x), s.keep ? 1 + r(3) : [1 + r(3), 1 + r(4)]);
        break;
      // Constant pad of the last one or two dims; negative amounts crop (each dim keeps >= 1).
      case 'pad':
        if (x.rank >= 1) {
          const pads = (x.rank >= 2 && s.keep ? [0, 0, 0, 0] : [0, 0]).map(() => r(4) - 1);
          const keeps = pads.every((_, i) => i % 2 === 1 || x.shape[x.rank - 1 - i / 2] + pads[i] + pads[i + 1] >= 1);
          if (keeps) out = x.pad(pads, { value: s.k * 0.25 });
        }
        break;
      // x as [N, C] (2-D) or [N, C, rest, 1] (3-D), channels on axis 1; weight and bias from y.
      // Training: batch statistics (eps 0.5 keeps channels that relu made constant well
      // conditioned), running statistics updated or absent; eval: fixed running statistics.
      case 'batchNorm':
        if (x.rank >= 2) {
          const xb = x.rank === 2 ? x : x.reshape(x.shape[0], x.shape[1], -1, 1);
          const C = xb.shape[1];
          const training = s.keep;
          const running = !training || r(2) === 1;
          if (!training || xb.size / C > 1) {
            const rm = running ? tensor(Float32Array.from({ length: C }, (_, i) => 0.3 * i - 0.2)) : null;
            const rv = running ? tensor(Float32Array.from({ length: C }, (_, i) => 0.5 + 0.25 * i)) : null;
            const weight = r(2) === 1 ? tileTo(y, C) : null;
            const bias = r(2) === 1 ? tileTo(y.neg(), C) : null;
            out = batchNorm(xb, rm, rv, weight, bias, { training, momentum: 0.1 * (1 + r(9)), eps: training ? 0.5 : 1e-5 });
          }
        }
        break;
      // Dropout with an explicit seed, so the float64 replay draws the same mask; p = 0 (a copy)
      // and p = 1 (zeros) are PyTorch's edge cases. gradcheck compares the GPU backward's mask
      // with the replay of the forward's.
      case 'dropout':
        out = dropout(x, [0, 0.25, 0.5, 1][r(4)], { seed: s.p });
        break;
      // A large eps keeps rows that earlier ops made constant (relu of negatives) well conditioned.
      case 'layerNorm':
        if (x.rank >= 1) {
          const last = x.shape[x.rank - 1];
          out = x.layerNorm(last, r(2) === 1 ? tileTo(y, last) : null, r(2) === 1 ? tileTo(y.neg(), last) : null, { eps: 0.5 });
        }
        break;
      case 'rmsNorm':
        if (x.rank >= 1) out = x.rmsNorm([x.shape[x.rank - 1]], r(2) === 1 ? tileTo(y, x.shape[x.rank - 1]) : null, { eps: 0.5 });
        break;
      // x as q [1, heads, rows, last] (heads: the first dim of a 3-D x); y as k and v when it
      // splits into the same heads and last dim (else self-attention). Causal, a boolean-like
      // [T, S] or [heads, 1, S] mask (f32 or i32; key 0 always attended, so no row is fully
      // masked), or neither.
      case 'scaledDotProductAttention':
        if (x.rank >= 1) {
          const last = x.shape[x.rank - 1];
          const heads = x.rank >= 3 ? x.shape[0] : 1;
          const q = x.reshape(1, heads, -1, last);
          const kv = y.rank >= 1 && y.shape[y.rank - 1] === last && y.size % (heads * last) === 0 ? y.reshape(1, heads, -1, last) : q;
          const [T, S] = [q.shape[2], kv.shape[2]];
          const kind = s.keep ? 'causal' : ['none', 'mask', 'mask'][r(3)];
          let mask: Tensor | undefined;
          if (kind === 'mask') {
            const shape = r(2) === 1 ? [T, S] : [heads, 1, S];
            const m = Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => (i % S === 0 || (i + s.k + 3) % 3 !== 0 ? 1 : 0));
            mask = r(2) === 1 ? tensor(Float32Array.from(m), { shape }) : tensor(Int32Array.from(m), { shape, dtype: 'i32' });
          }
          out = q.scaledDotProductAttention(kv, kv, kind === 'causal' ? { causal: true } : mask ? { mask } : {});
        }
        break;
      case 'gelu': out = x.gelu({ approximate: s.keep ? 'tanh' : 'none' }); break;
      case 'silu': out = x.silu(); break;
      case 'narrow':
        if (axisOk) {
          const size = x.shape[s.axis < 0 ? s.axis + x.rank : s.axis];
          const start = size > 1 ? 1 : 0;
          out = x.narrow(s.axis, start, size - start);
        }
        break;
      case 'slice':
        // Python bounds: start 0 or -(size - 1) (= 1), end size or -1 (= size - 1); never empty.
        if (axisOk && axisSize > 1) {
          const [start, end] = [r(2) === 1 ? -axisSize + 1 : 0, r(2) === 1 ? axisSize : -1];
          if ((end < 0 ? axisSize - 1 : axisSize) - (start < 0 ? 1 : 0) >= 1) out = slice(x, s.axis, start, end);
        }
        break;
      case 'cat':
        if (axisOk) out = cat([x, x.mul(0.5)], s.axis);
        break;
      case 'stack':
        out = stack([x, x.mul(-0.5)], Math.max(-x.rank - 1, Math.min(s.axis, x.rank)));
        break;
      // split / chunk: the pieces put back in reverse order (every piece reaches the output).
      case 'split': case 'chunk':
        if (axisOk) {
          const pieces = s.op === 'split' ? split(x, s.keep ? 1 + r(3) : [axisSize - 1, 1].filter((n) => n > 0), s.axis) : chunk(x, 1 + r(3), s.axis);
          out = cat(pieces.reverse(), s.axis);
        }
        break;
      case 'where': {
        // A fixed 0/1 pattern as the condition (data, not differentiated).
        const cond = tensor(Float32Array.from({ length: x.size }, (_, i) => (i + s.k) & 1), { shape: x.shape });
        if (broadcastable(x.shape, y.shape)) out = where(cond, x, y);
        break;
      }
      case 'maskedFill': {
        // The mask over x's shape or only its last dim (broadcast), a fixed pattern.
        if (x.rank >= 1) out = maskedFill(x, pattern(s.keep ? x.shape : [x.shape[x.rank - 1]], s.k + 3), s.k * 0.5);
        break;
      }
      case 'tril':
        if (x.rank >= 2) out = s.keep ? x.tril(s.k) : x.triu(s.k);
        break;
      case 'indexSelect':
        if (axisOk) {
          const size = x.shape[s.axis < 0 ? s.axis + x.rank : s.axis];
          out = x.indexSelect(s.axis, tensor(Int32Array.from([0, s.a % size, s.b % size]), { dtype: 'i32' }));
        }
        break;
      // gather: an index like x but 1-3 long on the axis (values repeat: gradients add up).
      case 'gather':
        if (axisOk) {
          const d = s.axis < 0 ? s.axis + x.rank : s.axis;
          const shape = x.shape.map((n, i) => (i === d ? 1 + r(3) : n));
          const ids = Int32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => (i * 7 + s.a) % axisSize);
          out = gather(x, s.axis, tensor(ids, { shape, dtype: 'i32' }));
        }
        break;
      // embedding: x as a [rows, last] table, 1-D or 2-D ids with repeats. (No paddingIdx: its
      // row gets no gradient by design, which central differences cannot agree with.)
      case 'embedding':
        if (x.rank >= 1) {
          const table = x.reshape(-1, x.shape[x.rank - 1]);
          const V = table.shape[0];
          const shape = s.keep ? [2, 1 + r(3)] : [1 + r(4)];
          const ids = Int32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => (i * 5 + s.b) % V);
          out = embedding(tensor(ids, { shape, dtype: 'i32' }), table);
        }
        break;
    }
    if (out) {
      vals.push(out);
      applied.set(s.op, (applied.get(s.op) ?? 0) + 1);
    }
  }
  return vals[vals.length - 1].mean();
}

const runs = Number(process.env.FUZZ_RUNS ?? 250);
const seed = Number(process.env.FUZZ_SEED ?? 20261122);

it(`random op graphs match the float64 reference (forward and gradients; seed ${seed}, ${runs} runs)`, async () => {
  await fc.assert(
    fc.asyncProperty(programArb, async (p) => {
      const inputs = p.shapes.map((s, i) => randn(s, { seed: p.seed + i, requiresGrad: true }));
      try {
        // Forward: the GPU value vs the tape replayed in float64.
        const out = interpret(p, inputs);
        const tape = captureTape(out);
        const leaves = new Map(await Promise.all(tape.leaves.map(async (t) => [t, await readRef(t)] as const)));
        const ref = replay(tape, leaves).out.data[0];
        const gpu = await out.item();
        expect(Math.abs(gpu - ref), `forward: gpu ${gpu} vs float64 ${ref}`).toBeLessThanOrEqual(1e-5 + 1e-4 * Math.abs(ref));
        out.dispose();
        // Gradients: the GPU backward vs central differences on the float64 replay.
        const r = await gradcheck((...ts) => interpret(p, ts), inputs, { maxCoords: 24, directions: 1, seed: p.seed });
        const worst = r.inputs.map((i) => `input ${i.input} ${JSON.stringify(i.shape)}: ${i.maxRelError.toExponential(2)} ${JSON.stringify(i.worst)}`);
        expect(r.passed, `gradients (ops ${r.ops.join(' > ')}):\n${worst.join('\n')}`).toBe(true);
      } finally {
        inputs.forEach((t) => t.dispose());
      }
    }),
    { seed, numRuns: runs, endOnFailure: false },
  );
  // A precondition that never holds would skip an op silently: each must have run.
  expect(OPS.filter((op) => !applied.has(op)), 'ops never applied').toEqual([]);
}, 600_000);

it('an empty-shaped program input still works (scalar inputs)', async () => {
  const x = tensor(2, { requiresGrad: true } as never);
  expect(x.shape).toEqual([]);
  const y = x.square().mul(3);
  y.backward();
  expect(await x.grad!.item()).toBeCloseTo(12);
});
