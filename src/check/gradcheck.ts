// gradcheck: compare webgrad's analytic gradients (the real WGSL backward kernels) with central
// differences. By default the numerical side replays the recorded op sequence in float64 on the
// CPU reference (./replay.ts), so it is not limited by fp32 cancellation; mode 'gpu' instead
// re-runs the function on the GPU in fp32 (larger h, looser tolerance) to check forward kernels
// end to end. Kinks (ReLU at 0, max ties) are detected only in 'reference' mode, where the replay
// knows each op's branch; keep 'gpu' mode for smooth functions.
//
// Relative error per element, as in seed 003: |num - ana| / max(|num| + |ana|, floor), where
// floor = 1e-3 * (largest |num| of that input) + 1e-12: elements whose true gradient is tiny
// compared with the input's scale are judged against that scale, since fp32 cannot resolve them
// more finely. An element also passes when its absolute difference is at most `atol`: a
// gradient that is exactly 0 (a constant function) comes back from fp32 as ~1e-8, a relative
// error of 1 that says nothing about the kernel. maxRelError and the verdict still report the
// relative error of every element. Verdict bands (seed 003): < 1e-7 excellent, < 1e-5 fine,
// < 1e-3 check, else likely a bug. Pass thresholds for fp32 analytic gradients, stated once in
// PASS_TOLERANCE: relative 1e-3 or absolute 1e-6 in 'reference' mode, 2e-2 or 1e-4 in 'gpu' mode.
import { noGrad } from '../context.ts';
import { ValueError } from '../errors.ts';
import { option, parseOptions } from '../options.ts';
import { tidy } from '../memory.ts';
import { Rng } from '../random.ts';
import { tensor, type Tensor } from '../tensor.ts';
import { coordsOf, refArray, type RefArray } from './array.ts';
import { captureTape, dot, readRef, replay, type Tape } from './replay.ts';

/** How close a gradient check came, from 'excellent' to 'likely a bug' (see verdictOf). */
export type Verdict = 'excellent' | 'fine' | 'check' | 'likely a bug';

/** The tolerances (rtol, atol) a gradient check passes within, against the float64 reference and in GPU mode. */
export const PASS_TOLERANCE = {
  reference: { rtol: 1e-3, atol: 1e-6 },
  gpu: { rtol: 2e-2, atol: 1e-4 },
} as const;

/** Options of `gradcheck(fn, inputs, opts)`. */
export interface GradcheckOptions {
  /** 'reference' (default): float64 CPU replay; 'gpu': fp32 forward on the GPU. */
  mode?: 'reference' | 'gpu';
  /** Relative step: h = eps * max(1, |x|). Default 1e-6 (reference), 1e-2 (gpu). */
  eps?: number;
  /** Coordinates checked per input; larger inputs get a seeded random subset. Default 64 / 16. */
  maxCoords?: number;
  /** Random-direction checks (directional derivative vs <grad, v>). Default 2. */
  directions?: number;
  /** Seed for cotangents, subsets and directions. Default 0. */
  seed?: number;
  /** Pass threshold on the max relative error. Default PASS_TOLERANCE[mode].rtol. */
  tolerance?: number;
  /** Absolute differences up to this agree regardless of relative error. Default PASS_TOLERANCE[mode].atol. */
  atol?: number;
  /** Indices of the inputs to check (default: every f32 input). */
  wrt?: number[];
}

/** The gradient check of one input: largest errors against the float64 numeric gradient. */
export interface InputReport {
  input: number;
  shape: number[];
  total: number;
  checked: number;
  /** Coordinates whose +-h straddles a non-differentiable point (ReLU at 0, max ties): skipped. */
  skippedNearKink: number;
  maxRelError: number;
  /** Elements that fail both the relative and the absolute threshold. */
  failing: number;
  maxAbsError: number;
  worst: { index: number[]; numerical: number; analytical: number } | null;
  verdict: Verdict;
  passed: boolean;
}

export interface DirectionalReport {
  numerical: number;
  analytical: number;
  relError: number;
  passed: boolean;
  skippedNearKink: boolean;
}

/** The result of a gradient check: whether it passed, its settings and one report per input. */
export interface GradcheckReport {
  passed: boolean;
  mode: 'reference' | 'gpu';
  eps: number;
  tolerance: number;
  atol: number;
  outputShape: number[];
  inputs: InputReport[];
  directional: DirectionalReport[];
  /** Names of the ops the function recorded (reference mode), in execution order. */
  ops: string[];
}

/** The verdict for a relative error: 'excellent' below 1e-7, 'fine' below 1e-5, 'check' below 1e-3, else 'likely a bug'. */
export function verdictOf(relError: number): Verdict {
  if (relError < 1e-7) return 'excellent';
  if (relError < 1e-5) return 'fine';
  if (relError < 1e-3) return 'check';
  return 'likely a bug';
}

type Fn = (...inputs: Tensor[]) => Tensor;

const GRADCHECK_OPTIONS = {
  mode: option.oneOf(['reference', 'gpu']),
  eps: option.number({ greaterThan: 0 }),
  maxCoords: option.integer({ min: 0 }),
  directions: option.integer({ min: 0 }),
  seed: option.integer(),
  tolerance: option.number({ min: 0 }),
  atol: option.number({ min: 0 }),
  wrt: option.custom<number[]>('an array of input indices', (v) => Array.isArray(v) && v.every((i) => Number.isInteger(i) && i >= 0)),
} satisfies Record<keyof GradcheckOptions, unknown>;

/**
 * Check the gradients of `fn` at `inputs`. `fn` maps tensors to a tensor; a non-scalar output
 * is contracted with a seeded random cotangent. Inputs are copied: the caller's tensors and
 * their .grad are untouched.
 */
export async function gradcheck(fn: Fn, inputs: readonly Tensor[], opts: GradcheckOptions = {}): Promise<GradcheckReport> {
  parseOptions('gradcheck', opts, GRADCHECK_OPTIONS);
  const mode = opts.mode ?? 'reference';
  if (mode !== 'reference' && mode !== 'gpu') throw new ValueError('gradcheck', `mode must be 'reference' or 'gpu', got '${String(mode)}'`);
  const eps = opts.eps ?? (mode === 'reference' ? 1e-6 : 1e-2);
  const tolerance = opts.tolerance ?? PASS_TOLERANCE[mode].rtol;
  const atol = opts.atol ?? PASS_TOLERANCE[mode].atol;
  const rng = new Rng(opts.seed ?? 0);
  const wrt = opts.wrt ?? inputs.flatMap((t, i) => (t.dtype === 'f32' ? [i] : []));
  for (const i of wrt) {
    if (!inputs[i] || inputs[i].dtype !== 'f32') throw new ValueError('gradcheck', `wrt index ${i} must name an f32 input (got ${inputs.length} inputs)`);
  }
  const host = await Promise.all(inputs.map(readRef));

  // Analytic gradients from webgrad's backward on the GPU, on fresh leaf copies.
  const leaves = inputs.map((t, i) =>
    tensor(t.dtype === 'i32' ? Int32Array.from(host[i].data) : Float32Array.from(host[i].data), {
      shape: t.shape, dtype: t.dtype, requiresGrad: wrt.includes(i), label: `gradcheck.input${i}`,
    }),
  );
  const out = fn(...leaves);
  const outputShape = [...out.shape];
  const cot = refArray(out.shape, () => (out.size === 1 ? 1 : rng.normal()));
  const tape = mode === 'reference' ? captureTape(out) : null;
  const constants = tape ? await readConstants(tape, leaves) : null;
  const cotTensor = out.size === 1 ? undefined : tensor(Float32Array.from(cot.data), { shape: out.shape });
  out.backward(cotTensor);
  const analytic = new Map<number, RefArray>();
  for (const i of wrt) {
    const g = leaves[i].grad;
    analytic.set(i, g ? await readRef(g) : refArray(inputs[i].shape, () => 0));
  }

  // The scalar function f(x) = <fn(x), cotangent>, in float64 (reference) or fp32 (gpu).
  const evaluate = async (values: RefArray[]): Promise<{ f: number; signature: string }> => {
    if (tape) {
      const map = new Map(constants!);
      values.forEach((v, i) => map.set(leaves[i], v));
      const r = replay(tape, map);
      return { f: dot(r.out, cot), signature: r.signature };
    }
    const y = noGrad(() =>
      tidy(() => {
        const ts = values.map((v, i) => tensor(inputs[i].dtype === 'i32' ? Int32Array.from(v.data) : Float32Array.from(v.data), { shape: inputs[i].shape, dtype: inputs[i].dtype }));
        return fn(...ts);
      }),
    );
    const data = await y.data();
    y.dispose();
    return { f: dot(refArray(y.shape, data), cot), signature: '' };
  };

  const base = await evaluate(host);
  const reports: InputReport[] = [];
  for (const i of wrt) {
    reports.push(await checkInput(i, host, analytic.get(i)!, evaluate, base.signature, { eps, tolerance, atol, maxCoords: opts.maxCoords ?? (tape ? 64 : 16), rng }));
  }
  const directional: DirectionalReport[] = [];
  for (let d = 0; d < (opts.directions ?? 2); d++) {
    directional.push(await checkDirection(host, wrt, analytic, evaluate, base.signature, eps, tolerance, atol, rng));
  }

  leaves.forEach((t) => {
    t.grad?.dispose();
    t.dispose();
  });
  out.dispose();
  cotTensor?.dispose();
  const passed = reports.every((r) => r.passed) && directional.every((d) => d.passed);
  const ops = tape ? tape.nodes.map((node) => node.op.name) : [];
  return { passed, mode, eps, tolerance, atol, outputShape, inputs: reports, directional, ops };
}

async function readConstants(tape: Tape, leaves: Tensor[]): Promise<Map<Tensor, RefArray>> {
  const map = new Map<Tensor, RefArray>();
  for (const t of tape.leaves) if (!leaves.includes(t)) map.set(t, await readRef(t));
  return map;
}

type Evaluate = (values: RefArray[]) => Promise<{ f: number; signature: string }>;

function perturbed(host: RefArray[], i: number, j: number, delta: number): RefArray[] {
  return host.map((v, k) => {
    if (k !== i) return v;
    const c = refArray(v.shape, v.data);
    c.data[j] += delta;
    return c;
  });
}

async function checkInput(
  i: number, host: RefArray[], ana: RefArray, evaluate: Evaluate, baseSig: string,
  o: { eps: number; tolerance: number; atol: number; maxCoords: number; rng: Rng },
): Promise<InputReport> {
  const x = host[i];
  const n = x.data.length;
  const coords = n <= o.maxCoords ? [...Array(n).keys()] : sample(n, o.maxCoords, o.rng);
  const pairs: { j: number; num: number; ana: number }[] = [];
  let skipped = 0;
  for (const j of coords) {
    const h = o.eps * Math.max(1, Math.abs(x.data[j]));
    const plus = await evaluate(perturbed(host, i, j, h));
    const minus = await evaluate(perturbed(host, i, j, -h));
    if (plus.signature !== baseSig || minus.signature !== baseSig) {
      skipped++;
      continue;
    }
    pairs.push({ j, num: (plus.f - minus.f) / (2 * h), ana: ana.data[j] });
  }
  const floor = 1e-3 * pairs.reduce((m, p) => Math.max(m, Math.abs(p.num)), 0) + 1e-12;
  let maxRel = 0;
  let maxAbs = 0;
  let failing = 0;
  let worst: InputReport['worst'] = null;
  for (const p of pairs) {
    let abs = Math.abs(p.num - p.ana);
    if (Number.isNaN(abs)) abs = Infinity;
    maxAbs = Math.max(maxAbs, abs);
    let rel = abs / Math.max(Math.abs(p.num) + Math.abs(p.ana), floor);
    if (Number.isNaN(rel)) rel = Infinity;
    if (!(rel < o.tolerance) && !(abs <= o.atol)) failing++;
    if (worst === null || rel > maxRel) {
      maxRel = rel;
      worst = { index: coordsOf(p.j, x.shape), numerical: p.num, analytical: p.ana };
    }
  }
  // Every coordinate may sit on a kink (e.g. all-zero ReLU inputs): nothing wrong was seen.
  const passed = failing === 0;
  return {
    input: i, shape: [...x.shape], total: n, checked: pairs.length, skippedNearKink: skipped,
    maxRelError: maxRel, failing, maxAbsError: maxAbs, worst, verdict: verdictOf(maxRel), passed,
  };
}

async function checkDirection(
  host: RefArray[], wrt: number[], analytic: Map<number, RefArray>, evaluate: Evaluate, baseSig: string,
  eps: number, tolerance: number, atol: number, rng: Rng,
): Promise<DirectionalReport> {
  const dirs = host.map((v, k) => refArray(v.shape, () => (wrt.includes(k) ? rng.normal() : 0)));
  let scale = 1;
  for (const k of wrt) for (const v of host[k].data) scale = Math.max(scale, Math.abs(v));
  const h = eps * scale;
  const shift = (s: number) => host.map((v, k) => (wrt.includes(k) ? refArray(v.shape, (j) => v.data[j] + s * dirs[k].data[j]) : v));
  const plus = await evaluate(shift(h));
  const minus = await evaluate(shift(-h));
  const analytical = wrt.reduce((s, k) => s + dot(analytic.get(k)!, dirs[k]), 0);
  if (plus.signature !== baseSig || minus.signature !== baseSig) {
    return { numerical: NaN, analytical, relError: 0, passed: true, skippedNearKink: true };
  }
  const numerical = (plus.f - minus.f) / (2 * h);
  const abs = Math.abs(numerical - analytical);
  const relError = abs / Math.max(Math.abs(numerical) + Math.abs(analytical), 1e-12);
  return { numerical, analytical, relError, passed: relError < tolerance || abs <= atol, skippedNearKink: false };
}

function sample(n: number, k: number, rng: Rng): number[] {
  const picked = new Set<number>();
  while (picked.size < k) picked.add(rng.int(n));
  return [...picked].sort((a, b) => a - b);
}
