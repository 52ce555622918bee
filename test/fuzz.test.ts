// Differential fuzzing (issue 6): fast-check builds random small op graphs (random shapes,
// broadcasting, chains of ops); each graph's forward value is compared with the float64 CPU
// reference (a replay of its tape) and its gradients with gradcheck. Failures shrink to a
// minimal program. Fixed seed in CI; FUZZ_SEED=<n> / FUZZ_RUNS=<n> to explore on demand.
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { cat, gradcheck, randn, tensor, where, type Tensor } from '../src/index.ts';
import { captureTape, readRef, replay } from '../src/check/replay.ts';

const OPS = [
  'add', 'sub', 'mul', 'div', 'maximum', 'exp', 'log', 'sqrt', 'square', 'tanh', 'relu', 'sigmoid', 'abs', 'neg',
  'sum', 'mean', 'max', 'softmax', 'logSoftmax', 'matmul', 'transpose', 'reshape', 'scalar',
  'conv2d', 'maxPool2d', 'avgPool2d', 'pad',
  'pow', 'unsqueeze', 'squeeze', 'flatten', 'view',
  'layerNorm', 'rmsNorm', 'gelu', 'silu', 'narrow', 'cat', 'where', 'tril', 'indexSelect',
  'scaledDotProductAttention',
] as const;
type Op = (typeof OPS)[number];
interface Step { op: Op; a: number; b: number; axis: number; keep: boolean; k: number }
interface Program { shapes: number[][]; steps: Step[]; seed: number }

const shapeArb = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 0, maxLength: 3 });
const stepArb = fc.record({
  op: fc.constantFrom(...OPS),
  a: fc.nat(9),
  b: fc.nat(9),
  axis: fc.integer({ min: -3, max: 2 }),
  keep: fc.boolean(),
  k: fc.integer({ min: -3, max: 3 }),
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

/** Apply the program to inputs; steps whose operands do not fit are skipped. Domains are kept safe. */
function interpret(p: Program, inputs: Tensor[]): Tensor {
  const vals = [...inputs];
  for (const s of p.steps) {
    const x = vals[s.a % vals.length];
    const y = vals[s.b % vals.length];
    const axisOk = x.rank > 0 && s.axis >= -x.rank && s.axis < x.rank;
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
      // Spatial ops see x as one [1, 1, rows, last] image. 'same' padding fits any kernel, and a
      // 2x2 pooling window with padding 1 fits any image.
      case 'conv2d':
        if (x.rank >= 1 && y.size <= 6) out = x.reshape(1, 1, -1, x.shape[x.rank - 1]).conv2d(y.reshape(1, 1, 1, -1), null, { padding: 'same', dilation: 1 + (Math.abs(s.k) % 2) });
        break;
      case 'maxPool2d': case 'avgPool2d':
        if (x.rank >= 1) out = x.reshape(1, 1, -1, x.shape[x.rank - 1])[s.op]({ kernelSize: 2, stride: 1 + (s.axis & 1), padding: 1, ceilMode: s.keep });
        break;
      case 'pad':
        if (x.rank >= 1 && x.shape[x.rank - 1] + s.k + 1 >= 1) out = x.pad([s.k, 1], { value: s.k * 0.25 });
        break;
      // A large eps keeps rows that earlier ops made constant (relu of negatives) well conditioned.
      case 'layerNorm':
        if (x.rank >= 1) out = x.layerNorm(x.shape[x.rank - 1], null, null, { eps: 0.5 });
        break;
      case 'rmsNorm':
        if (x.rank >= 1) out = x.rmsNorm([x.shape[x.rank - 1]], null, { eps: 0.5 });
        break;
      // x as q [1, 1, rows, last]; y as k and v when its last dim matches (else self-attention).
      case 'scaledDotProductAttention':
        if (x.rank >= 1) {
          const last = x.shape[x.rank - 1];
          const q = x.reshape(1, 1, -1, last);
          const kv = y.rank >= 1 && y.shape[y.rank - 1] === last ? y.reshape(1, 1, -1, last) : q;
          out = q.scaledDotProductAttention(kv, kv, { causal: s.keep });
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
      case 'cat':
        if (axisOk) out = cat([x, x.mul(0.5)], s.axis);
        break;
      case 'where': {
        // A fixed 0/1 pattern as the condition (data, not differentiated).
        const cond = tensor(Float32Array.from({ length: x.size }, (_, i) => (i + s.k) & 1), { shape: x.shape });
        if (broadcastable(x.shape, y.shape)) out = where(cond, x, y);
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
    }
    if (out) vals.push(out);
  }
  return vals[vals.length - 1].mean();
}

const runs = Number(process.env.FUZZ_RUNS ?? 150);
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
}, 600_000);

it('an empty-shaped program input still works (scalar inputs)', async () => {
  const x = tensor(2, { requiresGrad: true } as never);
  expect(x.shape).toEqual([]);
  const y = x.square().mul(3);
  y.backward();
  expect(await x.grad!.item()).toBeCloseTo(12);
});
