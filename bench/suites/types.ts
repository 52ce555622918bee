// Result records and run settings shared by the suites, the runner, the page and the writers.
import type { Check } from '../core/reference.ts';
import type { GpuCounters } from '../core/instrument.ts';
import type { Peaks } from '../core/peaks.ts';
import type { Timed } from '../core/timing.ts';
import type { EngineName } from '../engines/types.ts';

export type SuiteName = 'matmul' | 'bandwidth' | 'softmax-ce' | 'dispatch' | 'warmup' | 'training' | 'conv' | 'cnn' | 'attention' | 'layernorm' | 'gpt';

export interface Metric {
  /** From the median time; min/max from the fastest and slowest samples. */
  value: number;
  min: number;
  max: number;
  unit: 'GFLOP/s' | 'GB/s' | 'ms' | 'us/op' | 'ms/step' | 'tokens/s';
  higherIsBetter: boolean;
}

export interface Row {
  suite: SuiteName;
  /** Case label, the same for every engine (rows of the comparison table). */
  case: string;
  engine: EngineName;
  metric: Metric | null;
  timing: Timed | null;
  check: Check | null;
  /** Suite-specific numbers (e.g. FLOPs, bytes, loss values, counters of the engine itself). */
  extra: Record<string, number | string | boolean | null>;
  /** Set when the engine failed on this case (the run then exits non-zero). */
  error?: string;
  /** Set when the case was not run (e.g. predicted too slow for the time budget); not a failure. */
  skipped?: string;
}

export interface AdapterRecord {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  driver: string;
  isFallbackAdapter: boolean;
  features: string[];
  limits: Record<string, number>;
}

export interface EnvironmentRecord {
  /** 'node' (Dawn), or a headless browser with its own WebGPU stack: 'chromium' (Dawn, Tint), 'firefox' (wgpu, naga). */
  kind: 'node' | 'chromium' | 'firefox';
  label: string;
  /** Node version, or the browser's user agent. */
  runtime: string;
  adapter: AdapterRecord;
  /** How the headline figures were timed on this adapter. */
  timing: 'gpu-timestamp' | 'wall';
  engines: Partial<Record<EngineName, string>>;
  /** The adapter's measured FMA peak and copy bandwidth (bench/core/peaks.ts); absent in older runs. */
  peaks?: Peaks | null;
}

export interface SuiteRun {
  environment: EnvironmentRecord;
  rows: Row[];
  startedAt: string;
  seconds: number;
  /** Messages about engines that could not run at all. */
  notes: string[];
}

/** How much work to do: 'full' for the committed numbers, 'quick' to check the machinery. */
export type Profile = 'full' | 'quick';

export interface RunSettings {
  profile: Profile;
  /** Software adapters differ ~5x; SwiftShader gets fewer repetitions of the largest cases. */
  slow: boolean;
  /** Only suites whose name matches. */
  suites: SuiteName[];
  engines: EngineName[];
}

export const ALL_SUITES: SuiteName[] = ['warmup', 'matmul', 'bandwidth', 'softmax-ce', 'dispatch', 'training', 'conv', 'cnn', 'attention', 'layernorm', 'gpt'];
/** 'webgrad-composite': webgrad's attention built from its own ops (the fused kernel's reference), attention suite only. */
export const ALL_ENGINES: EngineName[] = ['webgrad', 'webgrad-captured', 'webgrad-composite', 'tfjs', 'jax-js', 'jax-js-jit'];
