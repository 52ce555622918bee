// Load the engines and run the suites in order. Shared by the Node runner (bench/run.ts) and
// the page (bench/page/main.ts); the caller has already set navigator.gpu to an instrumented
// GPU (wrapGpu) and initialised webgrad, so every engine runs on the same adapter.
import { adapterInfo } from '../../src/index.ts';
import { probeFor } from '../core/instrument.ts';
import { measurePeaks, type Peaks } from '../core/peaks.ts';
import { jaxEngine } from '../engines/jax.ts';
import { tfjsEngine } from '../engines/tfjs.ts';
import type { Engine, EngineName } from '../engines/types.ts';
import { webgradEngine } from '../engines/webgrad.ts';
import { errorText, fmt, type Log } from './common.ts';
import { attentionSuite } from './attention.ts';
import { cnnSuite } from './cnn.ts';
import { convSuite } from './conv.ts';
import { gptSuite } from './gpt.ts';
import { layerNormSuite } from './layernorm.ts';
import { bandwidthSuite, dispatchSuite, softmaxSuite } from './elementwise.ts';
import { matmulSuite } from './matmul.ts';
import { trainingSuite, warmupSuite } from './training.ts';
import type { AdapterRecord, EnvironmentRecord, Row, RunSettings, SuiteName, SuiteRun } from './types.ts';

export interface LoadedEngines {
  engines: Engine[];
  notes: string[];
  /** ms to import and initialise each engine (device included). */
  loadMs: Partial<Record<EngineName, number>>;
}

export async function loadEngines(names: EngineName[], log: Log): Promise<LoadedEngines> {
  const engines: Engine[] = [];
  const notes: string[] = [];
  const loadMs: LoadedEngines['loadMs'] = {};
  for (const name of names) {
    const t0 = performance.now();
    try {
      let e: Engine;
      if (name === 'webgrad') e = webgradEngine('eager');
      else if (name === 'webgrad-captured') e = webgradEngine('captured');
      else if (name === 'webgrad-composite') e = webgradEngine('composite');
      else if (name === 'tfjs') e = await tfjsEngine(probeFor);
      else e = await jaxEngine(name === 'jax-js-jit', probeFor);
      engines.push(e);
      loadMs[name] = performance.now() - t0;
    } catch (err) {
      notes.push(`${name} could not be loaded: ${errorText(err)}`);
      log(`engine ${name}: ${errorText(err)}`);
    }
  }
  return { engines, notes, loadMs };
}

const SUITES: Record<SuiteName, (e: Engine[], s: RunSettings, log: Log) => Promise<Row[]>> = {
  warmup: warmupSuite,
  matmul: matmulSuite,
  bandwidth: bandwidthSuite,
  'softmax-ce': softmaxSuite,
  dispatch: dispatchSuite,
  training: trainingSuite,
  conv: convSuite,
  cnn: cnnSuite,
  attention: attentionSuite,
  layernorm: layerNormSuite,
  gpt: gptSuite,
};

/** Run the selected suites; warm-up always first (it needs cold pipelines). */
export async function runSuites(engines: Engine[], s: RunSettings, log: Log): Promise<Row[]> {
  const rows: Row[] = [];
  const order: SuiteName[] = ['warmup', 'matmul', 'bandwidth', 'softmax-ce', 'dispatch', 'training', 'conv', 'cnn', 'attention', 'layernorm', 'gpt'];
  for (const name of order) {
    if (!s.suites.includes(name)) continue;
    log(`-- ${name}`);
    rows.push(...(await SUITES[name](engines, s, log)));
  }
  return rows;
}

/** Adapter details: webgrad's summary plus the adapter's limits, from navigator.gpu. */
export async function adapterRecord(): Promise<AdapterRecord> {
  const a = adapterInfo();
  const gpu = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  const adapter = await gpu?.requestAdapter({ powerPreference: 'high-performance' });
  const limits: Record<string, number> = {};
  if (adapter) {
    for (const k in adapter.limits) {
      const v = (adapter.limits as unknown as Record<string, unknown>)[k];
      if (typeof v === 'number') limits[k] = v;
    }
  }
  const features = adapter ? [...adapter.features].map(String).sort() : a.features;
  return {
    vendor: a.vendor, architecture: a.architecture, device: a.device, description: a.description,
    driver: a.driver, isFallbackAdapter: a.isFallbackAdapter, features, limits,
  };
}

/** The roofline's ceilings, when a suite reports against them (matmul, bandwidth). */
async function adapterPeaks(s: RunSettings, log: Log, notes: string[]): Promise<Peaks | null> {
  if (!s.suites.includes('matmul') && !s.suites.includes('bandwidth')) return null;
  try {
    const gpu = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
    const adapter = await gpu?.requestAdapter({ powerPreference: 'high-performance' });
    if (!adapter) throw new Error('no adapter');
    const p = await measurePeaks(adapter);
    log(`adapter peaks: FMA ${fmt(p.fmaGflops)} GFLOP/s, copy ${fmt(p.copyGBs)} GB/s (${p.timing})`);
    return p;
  } catch (err) {
    notes.push(`adapter peaks not measured: ${errorText(err)}`);
    return null;
  }
}

export async function runEnvironment(
  kind: EnvironmentRecord['kind'],
  label: string,
  runtimeText: string,
  versions: EnvironmentRecord['engines'],
  s: RunSettings,
  log: Log,
  /** ms webgrad's init() took (the caller ran it before wrapping or instrumenting). */
  webgradInitMs: number,
): Promise<SuiteRun> {
  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  const adapter = await adapterRecord();
  const loaded = await loadEngines(s.engines, log);
  const timing = loaded.engines[0]?.probe.hasTimestamps ? 'gpu-timestamp' : 'wall';
  log(`${label}: ${adapter.vendor} ${adapter.architecture} ${adapter.description} (driver ${adapter.driver}); timing: ${timing}`);
  const adapters = new Set(loaded.engines.map((e) => e.adapter));
  if (adapters.size > 1) {
    loaded.notes.push(`ADAPTER MISMATCH: the engines run on different adapters: ${loaded.engines.map((e) => `${e.name}: ${e.adapter}`).join('; ')}`);
  }
  const peaks = await adapterPeaks(s, log, loaded.notes);
  const rows = await runSuites(loaded.engines, s, log);
  for (const e of loaded.engines) for (const line of e.notes?.() ?? []) if (!loaded.notes.includes(line)) loaded.notes.push(line);
  for (const e of loaded.engines) e.dispose();
  const engines = { ...versions };
  loaded.loadMs.webgrad = webgradInitMs;
  delete loaded.loadMs['webgrad-captured'];
  delete loaded.loadMs['webgrad-composite'];
  delete loaded.loadMs['jax-js-jit']; // the same module and device as jax-js
  const loads = Object.entries(loaded.loadMs).map(([k, ms]) => `${k} ${ms.toFixed(0)} ms`);
  loaded.notes.push(`engine start-up (import + device): ${loads.join(', ')}`);
  return {
    environment: { kind, label, runtime: runtimeText, adapter, timing, engines, peaks },
    rows,
    startedAt,
    seconds: (performance.now() - t0) / 1000,
    notes: loaded.notes,
  };
}
