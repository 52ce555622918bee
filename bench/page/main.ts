// The benchmark suites in the browser (Chromium or Firefox): same suites, same engines, this
// page's WebGPU adapter.
// navigator.gpu is wrapped first so every engine's device is instrumented (counters, GPU
// clock). Settings come from the query string (bench/run.ts); progress goes to the console,
// which the runner prints; the SuiteRun is left in window.__results.
import { init, type InitOptions } from '../../src/index.ts';
import { wrapGpu } from '../core/instrument.ts';
import { runEnvironment } from '../suites/index.ts';
import { ALL_ENGINES, ALL_SUITES, type Profile, type RunSettings, type SuiteName } from '../suites/types.ts';
import type { EngineName } from '../engines/types.ts';

const out = document.getElementById('out')!;
const w = window as unknown as Record<string, unknown>;
const log = (line: string) => {
  console.log(line);
  out.textContent += `\n${line}`;
};

try {
  if (!navigator.gpu) throw new Error('navigator.gpu is missing (WebGPU disabled?)');
  Object.defineProperty(navigator, 'gpu', { configurable: true, value: wrapGpu(navigator.gpu) });
  const t0 = performance.now();
  await init(JSON.parse(new URLSearchParams(location.search).get('webgrad') ?? '{}') as InitOptions);
  const initMs = performance.now() - t0;
  const q = new URLSearchParams(location.search);
  const pick = <T extends string>(key: string, all: readonly T[]): T[] =>
    q.get(key) ? (q.get(key)!.split(',').filter((x) => all.includes(x as T)) as T[]) : [...all];
  const settings: RunSettings = {
    profile: (q.get('profile') as Profile | null) ?? 'full',
    slow: true,
    suites: pick<SuiteName>('suites', ALL_SUITES),
    engines: pick<EngineName>('engines', ALL_ENGINES),
  };
  const firefox = navigator.userAgent.match(/Firefox\/[\d.]+/)?.[0];
  const chrome = navigator.userAgent.match(/Chrom(e|ium)\/[\d.]+/)?.[0] ?? 'browser';
  w.__results = await runEnvironment(firefox ? 'firefox' : 'chromium', firefox ?? chrome, navigator.userAgent, {}, settings, log, initMs);
} catch (e) {
  w.__error = e instanceof Error ? `${e.name}: ${e.message}\n${e.stack ?? ''}` : String(e);
  out.textContent += `\n${String(w.__error)}`;
}
