// The cold-start row in Node (time from a fresh model to the first 784-50-10 step's
// loss on the host) measured the only fair way on a loaded machine: every sample is a fresh Node
// process (no pipeline, shader or driver cache carried over; MESA_SHADER_CACHE_DISABLE), the
// engines take turns (webgrad, jax-js, webgrad, ...), and the report is the median per engine
// with the load average beside it. webgrad's samples also list the GPU objects created and the
// milliseconds the JS thread spent inside each kind of call (':settled': until the latest
// promise of that kind resolved), over the step and the background warm-up the bench waits
// for after it (the device is wrapped before the step; nothing in src/ is instrumented).
//
//   npx tsx --conditions=webgrad-source bench/cold-start.ts [--reps 5] [--engines webgrad,jax-js]
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { EngineName } from './engines/types.ts';

interface Sample {
  engine: string;
  firstStepMs: number;
  initMs: number;
  ok: boolean;
  /** webgrad only: JS-thread ms and counts per device call (the step and its warm-up). */
  calls?: Record<string, { n: number; ms: number }>;
}

const argv = process.argv.slice(2);
const arg = (name: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};

/** Time every call of `names` on `obj` (own properties shadow the prototype's methods). */
function wrapCalls(obj: object, names: string[], calls: NonNullable<Sample['calls']>): void {
  const o = obj as Record<string, (...a: unknown[]) => unknown>;
  for (const name of names) {
    const orig = o[name];
    if (typeof orig !== 'function') continue;
    o[name] = function (this: unknown, ...a: unknown[]) {
      const t0 = performance.now();
      const r = orig.apply(obj, a);
      const c = (calls[name] ??= { n: 0, ms: 0 });
      c.n++;
      c.ms += performance.now() - t0;
      if (r instanceof Promise) {
        const start = t0;
        return r.then((v) => {
          const ca = (calls[`${name}:settled`] ??= { n: 0, ms: 0 });
          ca.n++;
          ca.ms = Math.max(ca.ms, performance.now() - start); // latest completion since the call
          return v;
        });
      }
      return r;
    };
  }
}

async function child(engine: EngineName): Promise<Sample> {
  process.env.MESA_SHADER_CACHE_DISABLE = 'true';
  process.env.WEBGRAD_QUIET = '1';
  const { init, runtime } = await import('../src/index.ts');
  const t0 = performance.now();
  await init();
  const initMs = performance.now() - t0;
  const dawn = (await import('webgpu')) as unknown as { create: (flags: string[]) => GPU; globals: Record<string, unknown> };
  Object.assign(globalThis, dawn.globals);
  const gpu = dawn.create([]);
  (globalThis as Record<string, unknown>).__benchDawn = gpu;
  const { wrapGpu } = await import('./core/instrument.ts');
  Object.defineProperty(globalThis, 'navigator', { configurable: true, value: { gpu: wrapGpu(gpu), userAgent: 'node', hardwareConcurrency: 2, language: 'en-US' } });
  const { loadEngines } = await import('./suites/index.ts');
  const { warmupSuite } = await import('./suites/training.ts');
  const loaded = await loadEngines([engine], () => undefined);
  const calls: NonNullable<Sample['calls']> = {};
  if (engine === 'webgrad') {
    const d = runtime().device;
    wrapCalls(d, ['createShaderModule', 'createComputePipeline', 'createComputePipelineAsync', 'createBindGroup', 'createBuffer', 'createBindGroupLayout', 'createPipelineLayout'], calls);
    wrapCalls(d.queue, ['submit', 'writeBuffer', 'onSubmittedWorkDone'], calls);
  }
  const rows = await warmupSuite(loaded.engines, { profile: 'quick', slow: false, suites: ['warmup'], engines: [engine] }, () => undefined);
  const row = rows[0];
  for (const e of loaded.engines) e.dispose();
  return {
    engine,
    firstStepMs: row?.metric?.value ?? NaN,
    initMs,
    ok: !!row?.check?.ok,
    ...(engine === 'webgrad' ? { calls } : {}),
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : NaN;
}

async function main(): Promise<void> {
  const only = arg('--child') as EngineName | undefined;
  if (only) {
    const s = await child(only);
    console.log(`@@sample ${JSON.stringify(s)}`);
    process.exit(0);
  }
  const reps = Number(arg('--reps') ?? 5);
  const engines = (arg('--engines') ?? 'webgrad,jax-js').split(',') as EngineName[];
  const samples: Sample[] = [];
  const loads: number[] = [];
  const self = fileURLToPath(import.meta.url);
  for (let r = 0; r < reps; r++) {
    for (const e of engines) {
      loads.push(loadavg()[0]);
      const p = spawnSync(process.execPath, [...process.execArgv, self, '--child', e], { encoding: 'utf8' });
      const line = p.stdout.split('\n').find((l) => l.startsWith('@@sample '));
      if (!line) {
        console.error(`${e}: no sample (exit ${p.status})\n${p.stderr.slice(-2000)}`);
        continue;
      }
      const s = JSON.parse(line.slice(9)) as Sample;
      samples.push(s);
      const calls = s.calls ? Object.entries(s.calls).map(([k, v]) => `${k} ${v.n}x ${v.ms.toFixed(0)}ms`).join(', ') : '';
      console.log(`rep ${r} ${e}: first step ${s.firstStepMs.toFixed(0)} ms (init ${s.initMs.toFixed(0)} ms)${s.ok ? '' : ' CHECK FAILED'}${calls ? `\n    ${calls}` : ''}`);
    }
  }
  console.log(`\nload average during: ${Math.min(...loads).toFixed(1)}-${Math.max(...loads).toFixed(1)} (median ${median(loads).toFixed(1)})`);
  for (const e of engines) {
    const xs = samples.filter((s) => s.engine === e).map((s) => s.firstStepMs);
    console.log(`${e}: median ${median(xs).toFixed(0)} ms over ${xs.length} (${xs.map((x) => x.toFixed(0)).join(', ')})`);
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
