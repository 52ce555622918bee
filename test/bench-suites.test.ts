// The benchmark suites of issues 12 and 13 (conv, cnn, attention, layernorm, gpt), untimed:
// - the webgrad training steps the cnn and gpt suites time, eager and captured: step 1 matches
//   the float64 reference, capture() replays them with one submission and no GPU object
//   creations per step, and the captured loss sequence is the eager one;
// - the runner runs every new suite end to end at tiny sizes (--quick) and its report has each
//   suite's table and the target verdict rows.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { init, memory, runtime } from '../src/index.ts';
import { cnnData, cnnStepReference, type CnnSpec } from '../bench/core/cnn-reference.ts';
import { gptData, gptReference, type GptSpec } from '../bench/core/gpt-reference.ts';
import type { TrainCase } from '../bench/engines/types.ts';
import { webgradEngine } from '../bench/engines/webgrad.ts';
import { checkStep } from '../bench/suites/training.ts';
import type { BenchRun } from '../bench/report/markdown.ts';

const CNN: CnnSpec = { batch: 4, size: 10, filters: 3, k: 3, hidden: 8, classes: 5, lr: 0.05, seed: 3 };
const GPT_SPEC: GptSpec = { batch: 2, T: 8, vocab: 11, nLayer: 1, nHead: 2, nEmbd: 8, lr: 0.1, seed: 5 };

/** Per-step runtime counters of `steps` steps after the first. */
async function steadyState(c: TrainCase, steps: number): Promise<{ losses: number[]; submits: number; buffers: number; pipelines: number; bindGroups: number }> {
  const losses: number[] = [];
  c.step();
  await c.settle();
  losses.push(await c.loss());
  c.step(); // a second step: anything created lazily on the second call is created now
  await c.settle();
  losses.push(await c.loss());
  const rt = runtime();
  const before = { submits: rt.stats.submits, buffers: memory().buffersCreated, pipelines: rt.pipelines.stats.pipelinesCreated, bindGroups: rt.stats.bindGroups };
  for (let i = 0; i < steps; i++) c.step();
  const after = { submits: rt.stats.submits, buffers: memory().buffersCreated, pipelines: rt.pipelines.stats.pipelinesCreated, bindGroups: rt.stats.bindGroups };
  await c.settle();
  losses.push(await c.loss());
  return {
    losses,
    submits: (after.submits - before.submits) / steps,
    buffers: after.buffers - before.buffers,
    pipelines: after.pipelines - before.pipelines,
    bindGroups: after.bindGroups - before.bindGroups,
  };
}

/**
 * A captured step replays with one submission and no buffer, pipeline or bind-group creation,
 * and gives the eager step's losses (both from the same fresh weights).
 */
async function expectCapturedLikeEager(build: (mode: 'eager' | 'captured') => TrainCase, digits: number): Promise<void> {
  const captured = build('captured');
  const eager = build('eager');
  try {
    const c = await steadyState(captured, 3);
    const e = await steadyState(eager, 3);
    expect(c.submits).toBe(1);
    expect({ buffers: c.buffers, pipelines: c.pipelines, bindGroups: c.bindGroups }).toEqual({ buffers: 0, pipelines: 0, bindGroups: 0 });
    expect(e.submits).toBe(1); // an eager step flushes once too
    for (let i = 0; i < 3; i++) expect(c.losses[i]).toBeCloseTo(e.losses[i], digits);
    expect(c.losses[2]).toBeLessThan(c.losses[0]);
  } finally {
    captured.dispose();
    eager.dispose();
  }
}

describe('bench training steps (webgrad, untimed)', () => {
  beforeAll(async () => {
    await init();
  });

  it('the SimpleConvNet step matches the float64 step; captured: 1 submission, no creations, the eager losses', async () => {
    const data = cnnData(CNN);
    const ref = cnnStepReference(CNN, data);
    const eager = webgradEngine('eager').cnn!(CNN, data);
    try {
      eager.step();
      await eager.settle();
      const check = checkStep(ref, await eager.loss(), await eager.params());
      expect(check.ok, check.detail).toBe(true);
    } finally {
      eager.dispose();
    }
    await expectCapturedLikeEager((mode) => webgradEngine(mode).cnn!(CNN, data), 5);
  }, 120_000);

  it('the GPT step matches the float64 loss and directional gradient; captured: 1 submission, no creations, the eager losses', async () => {
    const data = gptData(GPT_SPEC);
    const ref = gptReference(GPT_SPEC, data);
    const eager = webgradEngine('eager').gpt!(GPT_SPEC, data);
    try {
      eager.step();
      await eager.settle();
      expect(await eager.loss()).toBeCloseTo(ref.loss, 4);
      const p1 = await eager.params();
      let gu = 0;
      p1.forEach((p, i) => p.forEach((v, j) => (gu += ((data.params[i][j] - v) / GPT_SPEC.lr) * ref.u[i][j])));
      expect(Math.abs(gu - ref.dLdu)).toBeLessThan(3e-2 * Math.abs(ref.dLdu) + 3e-6);
    } finally {
      eager.dispose();
    }
    await expectCapturedLikeEager((mode) => webgradEngine(mode).gpt!(GPT_SPEC, data), 4);
  }, 120_000);
});

describe('bench runner: the new suites end to end (--quick, webgrad engines)', () => {
  let dir = '';
  let run: BenchRun;
  let md = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'webgrad-bench-suites-'));
    const r = spawnSync(process.execPath, [
      '--import', 'tsx', '--conditions=webgrad-source', 'bench/run.ts', '--node', '--quick',
      '--suites', 'conv,cnn,attention,layernorm,gpt', '--engines', 'webgrad,webgrad-captured,webgrad-composite', '--out', dir,
    ], { cwd: new URL('..', import.meta.url), encoding: 'utf8', timeout: 240_000, env: { ...process.env, WEBGRAD_AUTOTUNE: '0', MESA_SHADER_CACHE_DISABLE: 'false' } });
    expect(r.status, `${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`).toBe(0);
    const files = readdirSync(dir);
    run = JSON.parse(readFileSync(join(dir, files.find((f) => f.endsWith('.json'))!), 'utf8')) as BenchRun;
    md = readFileSync(join(dir, files.find((f) => f.endsWith('.md'))!), 'utf8');
  }, 260_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('every suite produced checked, correct rows for each engine it runs', () => {
    const rows = run.runs[0].rows;
    const engines = (suite: string) => [...new Set(rows.filter((r) => r.suite === suite).map((r) => r.engine))].sort();
    expect(engines('conv')).toEqual(['webgrad']);
    expect(engines('cnn')).toEqual(['webgrad', 'webgrad-captured']);
    expect(engines('attention')).toEqual(['webgrad', 'webgrad-composite']);
    expect(engines('layernorm')).toEqual(['webgrad']);
    expect(engines('gpt')).toEqual(['webgrad', 'webgrad-captured']);
    for (const r of rows) {
      expect(r.error, `${r.suite} ${r.case} ${r.engine}`).toBeUndefined();
      expect(r.check?.ok, `${r.suite} ${r.case} ${r.engine}: ${r.check?.detail}`).toBe(true);
      expect(r.metric!.value).toBeGreaterThan(0);
    }
    for (const r of rows.filter((x) => x.suite === 'attention')) expect(r.extra.peakBytes).toBeGreaterThan(0);
    expect(rows.find((r) => r.suite === 'gpt')!.metric!.unit).toBe('tokens/s');
  });

  it('the report has each suite\'s table, the step counters, attention memory and the target verdicts', () => {
    for (const title of ['### Convolution and max-pool', '### SimpleConvNet training step', '### Causal attention', '### Layer norm', '### GPT training step']) expect(md).toContain(title);
    expect(md).toContain('Peak GPU memory per case');
    const verdict = (what: RegExp) => md.split('\n').filter((l) => what.test(l) && /\| (met|missed[^|]*|not measured) \|/.test(l));
    expect(verdict(/^\| fwd\+dx quick .* >= 2\.5x TF\.js \|/).length).toBe(1); // no TF.js in this run: not measured
    expect(verdict(/^\| fwd\+dx quick .* >= 2\.5x TF\.js \|.*not measured/).length).toBe(1);
    expect(verdict(/^\| attention fwd\+bwd: fused peak memory linear in T \|/).length).toBe(1);
    expect(verdict(/^\| SimpleConvNet step .*: 1 submission and 0 creations per step \(webgrad captured\) \| 1 submits, 0 creations \| 1, 0 \| +\| met \|/).length).toBe(1);
    expect(verdict(/^\| GPT .*: 1 submission and 0 creations per step \(webgrad captured\) \| 1 submits, 0 creations \| 1, 0 \| +\| met \|/).length).toBe(1);
    expect(verdict(/^\| GPT .* >= 3x TF\.js \|/).length).toBe(1);
  });
});
