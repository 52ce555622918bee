// The GPT training step (issue 13): nanoGPT's architecture with 4 layers, d_model 128, 4 heads,
// T = 128, batch 16 and a vocabulary of 100 (a character-level GPT's), in tokens per second of
// wall clock. webgrad runs its model zoo's GPT (src/models/gpt.ts, fused attention and layer
// norm); TF.js and jax-js run the same architecture composed from their ops (the parameter count
// is checked). The update is plain SGD in every engine (the same update everywhere; it is a
// small part of the step). Step 1 is checked against the float64 model
// (bench/core/gpt-reference.ts): the loss, and the gradient along a random direction.
import { compare, type Check } from '../core/reference.ts';
import { gptData, gptParamCount, gptReference, gptStepFlops, type GptData, type GptSpec } from '../core/gpt-reference.ts';
import type { Engine } from '../engines/types.ts';
import { throughput, type Log } from './common.ts';
import { runStepCase } from './training.ts';
import type { Row, RunSettings } from './types.ts';

export const GPT_STEP: GptSpec = { batch: 16, T: 128, vocab: 100, nLayer: 4, nHead: 4, nEmbd: 128, lr: 0.1, seed: 11 };
const QUICK_GPT: GptSpec = { batch: 2, T: 16, vocab: 20, nLayer: 1, nHead: 2, nEmbd: 16, lr: 0.1, seed: 11 };

export const gptLabel = (s: GptSpec) => `GPT ${s.nLayer}L d${s.nEmbd} ${s.nHead}h T${s.T} b${s.batch} V${s.vocab}`;

function checkGptStep(s: GptSpec, d: GptData, ref: ReturnType<typeof gptReference>, loss1: number, params: Float32Array[]): Check {
  const count = params.reduce((n, p) => n + p.length, 0);
  if (params.length !== d.params.length || count !== gptParamCount(s)) {
    return { ok: false, worst: Infinity, compared: 0, detail: `the engine has ${count} parameters in ${params.length} tensors; the reference has ${gptParamCount(s)} in ${d.params.length}` };
  }
  const lossCheck = compare([loss1], [ref.loss], null, 1e-3, 1e-5, 'loss of step 1');
  if (!lossCheck.ok) return lossCheck;
  // g = (p0 - p1) / lr, projected on u (float64 on the host).
  let gu = 0;
  for (let i = 0; i < params.length; i++) {
    const p0 = d.params[i];
    const p1 = params[i];
    const u = ref.u[i];
    for (let j = 0; j < p0.length; j++) gu += ((p0[j] - p1[j]) / s.lr) * u[j];
  }
  const c = compare([gu], [ref.dLdu], null, 3e-2, 3e-6, 'gradient along a random direction (SGD update / lr) vs the float64 finite difference');
  if (!c.ok) return c;
  return { ok: true, worst: Math.max(lossCheck.worst, c.worst), compared: 2, detail: `step 1: loss within 1e-3 of float64, gradient along a random unit direction ${gu.toPrecision(4)} vs ${ref.dLdu.toPrecision(4)} (rtol 3e-2); ${count} parameters as the reference` };
}

export async function gptSuite(engines: Engine[], s: RunSettings, log: Log): Promise<Row[]> {
  const rows: Row[] = [];
  const spec = s.profile === 'quick' ? QUICK_GPT : GPT_STEP;
  const data = gptData(spec);
  const t0 = performance.now();
  const ref = gptReference(spec, data);
  log(`gpt: float64 reference (2 forwards) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const tokens = spec.batch * spec.T;
  for (const e of engines.filter((x) => x.gpt && x.suites.includes('gpt'))) {
    rows.push(await runStepCase(e, {
      suite: 'gpt',
      label: gptLabel(spec),
      build: (en) => en.gpt!(spec, data),
      check: (loss1, params) => checkGptStep(spec, data, ref, loss1, params),
      warmup: 2,
      reps: s.profile === 'quick' ? 3 : s.slow ? 5 : 8,
      budgetMs: s.slow ? 60_000 : 45_000,
      metric: (t) => throughput(tokens, t.wallMs, 1, 'tokens/s'),
      extra: { flopsPerStep: gptStepFlops(spec), tokensPerStep: tokens, params: gptParamCount(spec), refLoss: ref.loss },
    }, log));
  }
  return rows;
}
