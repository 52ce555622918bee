// Autotuning: time a few kernel variants once per adapter and shape class, keep the fastest.
// Winners live in memory and are persisted per adapter (localStorage in browsers, a JSON file
// under os.tmpdir() in Node), so a later process skips the timing. Timing uses timestamp
// queries around one compute pass when the device has them (GPU time of that pass only, even
// if other work is queued), else the wall time of a lone submission until
// onSubmittedWorkDone. Candidates are timed round-robin (warm-up round first) and ranked by
// their median, which keeps a noisy shared machine from crowning an outlier.
// Waiting politely: Dawn in Node polls its events with a setImmediate loop while any promise
// (mapAsync, onSubmittedWorkDone) is pending, which keeps one core busy; on a CPU adapter
// (lavapipe's 2 worker threads on 2 cores) that slowed the kernel being timed 2-3x. So after
// the warm-up a timed run sleeps for 80% of the candidate's previous time before it waits.
// Callers keep tuning off the critical path: they use a default while a job runs in the
// background (schedule) or await tune() explicitly (benchmarks). Background jobs start only
// after the runtime's first result is back (rt.firstResult; idle() and tune() open that gate
// too), and a job's candidate pipelines are compiled together with createComputePipelineAsync,
// so a cold first step never waits for tuning.
import { platform } from '#platform';
import type { Runtime } from './runtime.ts';
import { adapterIdentity } from './kind.ts';
import { settle } from './settle.ts';

export interface TuneCandidate {
  name: string;
  /** Record one run of the candidate into `pass` (on buffers the job owns). */
  encode(pass: GPUComputePassEncoder): void;
}

export interface TuneJob {
  candidates: TuneCandidate[];
  /** Timed runs per candidate after the warm-up round (default 3). */
  rounds?: number;
  /** Free the job's buffers (called once timing is over, also after a failure). */
  dispose?(): void;
}

export interface TuneResult {
  winner: string;
  /** Median milliseconds per candidate. */
  times: Record<string, number>;
}

type Store = Record<string, Record<string, string>>;

// v2: the block matmul variant joined the candidates, so v1 winners were chosen without it.
// v3: the GPU family's matmul candidates (t64*, t128*, splitk, gemv) joined.
const STORE_NAME = 'webgrad-autotune-v3';
const isNode = platform.kind === 'node'; // package.json "imports" #platform

/**
 * WEBGRAD_AUTOTUNE=0 (Node) or localStorage 'webgrad-autotune' = '0' turns background timing
 * and persistence off (defaults only); an explicit tune() still times and caches in memory.
 */
export function autotuneEnabled(): boolean {
  if (isNode) return process.env.WEBGRAD_AUTOTUNE !== '0';
  try {
    return globalThis.localStorage?.getItem('webgrad-autotune') !== '0';
  } catch {
    return true;
  }
}

export class Autotuner {
  private readonly winners = new Map<string, string>();
  private readonly queued = new Set<string>();
  private chain: Promise<void> = Promise.resolve();
  private loaded: Promise<void> | null = null;
  /** Opened by idle() and tune(): a caller waiting for tuning lets jobs start before a result. */
  private release: () => void = () => undefined;
  private readonly released = new Promise<void>((r) => (this.release = r));
  /** Results of the jobs run by this process (for benchmarks and reports). */
  readonly results = new Map<string, TuneResult>();
  /** The last background failure, if any (tuning never throws into user code). */
  lastError: Error | null = null;
  readonly adapterKey: string;

  constructor(private readonly rt: Runtime) {
    this.adapterKey = adapterIdentity(rt.adapter); // distinct even when adapter.info is empty (Firefox)
  }

  /** The cached winner for `key`, if one is known (memory, or the persisted store once loaded). */
  lookup(key: string): string | undefined {
    this.load();
    return this.winners.get(key);
  }

  /**
   * Tune `key` in the background unless it is known or queued; jobs run one at a time, the
   * first once the runtime's first result is back.
   */
  schedule(key: string, makeJob: () => TuneJob | Promise<TuneJob>): void {
    if (this.winners.has(key) || !autotuneEnabled()) return;
    this.background(key, async () => {
      await this.load();
      if (!this.winners.has(key)) await this.run(key, await makeJob());
    });
  }

  /**
   * Run `work` in the background under the same rules as a tuning job (one at a time, after
   * the first result, never throwing into user code; idle() waits for it), unless work under
   * `key` is already queued. Variant tables warm up pipelines this way (variants.ts).
   */
  background(key: string, work: () => Promise<void>): void {
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.chain = this.chain
      .then(() => Promise.race([this.rt.firstResult, this.released]))
      .then(() => new Promise((r) => setTimeout(r, 0))) // let the caller's step record first
      .then(work)
      .catch((e: unknown) => {
        this.lastError = e instanceof Error ? e : new Error(String(e));
      })
      .finally(() => this.queued.delete(key));
  }

  /** Time the job now (ignoring any cached winner) and cache its winner. */
  async tune(key: string, job: TuneJob | Promise<TuneJob>): Promise<TuneResult> {
    this.release();
    await this.chain;
    await this.load();
    return this.run(key, await job);
  }

  /** Every known (shape class, winner) pair. */
  known(): [string, string][] {
    return [...this.winners.entries()];
  }

  /** Wait for background jobs (tests and benchmarks); they may start now, results or not. */
  async idle(): Promise<void> {
    this.release();
    await this.chain;
  }

  private async run(key: string, job: TuneJob): Promise<TuneResult> {
    try {
      const times = await this.time(job);
      let winner = job.candidates[0].name;
      for (const c of job.candidates) if (times[c.name] < times[winner]) winner = c.name;
      const result = { winner, times };
      this.results.set(key, result);
      this.winners.set(key, winner);
      await this.save();
      return result;
    } finally {
      job.dispose?.();
    }
  }

  private async time(job: TuneJob): Promise<Record<string, number>> {
    const rounds = job.rounds ?? 3;
    const samples = new Map<string, number[]>(job.candidates.map((c) => [c.name, []]));
    const last = new Map<string, number>();
    for (let round = -1; round < rounds; round++) {
      for (const c of job.candidates) {
        const ms = await this.timeOnce(c, 0.8 * (last.get(c.name) ?? 0));
        last.set(c.name, ms);
        if (round >= 0) samples.get(c.name)!.push(ms);
      }
    }
    const times: Record<string, number> = {};
    for (const [name, s] of samples) times[name] = median(s);
    return times;
  }

  /**
   * Milliseconds of one run of `c`: GPU time of its pass (timestamps), else wall time.
   * Sleeps `politeMs` after submitting, before anything makes Dawn poll.
   */
  private async timeOnce(c: TuneCandidate, politeMs: number): Promise<number> {
    const device = this.rt.device;
    this.rt.assertAlive('autotune');
    if (!device.features.has('timestamp-query')) {
      const enc = device.createCommandEncoder({ label: 'webgrad:autotune' });
      const pass = enc.beginComputePass({ label: `webgrad:autotune:${c.name}` });
      c.encode(pass);
      pass.end();
      const t0 = performance.now();
      device.queue.submit([enc.finish()]);
      await sleep(politeMs);
      await device.queue.onSubmittedWorkDone();
      return performance.now() - t0;
    }
    const querySet = device.createQuerySet({ label: 'webgrad:autotune', type: 'timestamp', count: 2 });
    const resolve = device.createBuffer({ label: 'webgrad:autotune-resolve', size: 16, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
    const read = device.createBuffer({ label: 'webgrad:autotune-read', size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    try {
      const enc = device.createCommandEncoder({ label: 'webgrad:autotune' });
      const pass = enc.beginComputePass({
        label: `webgrad:autotune:${c.name}`,
        timestampWrites: { querySet, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 },
      });
      c.encode(pass);
      pass.end();
      enc.resolveQuerySet(querySet, 0, 2, resolve, 0);
      enc.copyBufferToBuffer(resolve, 0, read, 0, 16);
      device.queue.submit([enc.finish()]);
      await sleep(politeMs);
      await settle(device, read.mapAsync(GPUMapMode.READ)); // every readback site, not only Runtime.read
      const [t0, t1] = new BigInt64Array(read.getMappedRange());
      read.unmap();
      return Number(t1 - t0) / 1e6;
    } finally {
      querySet.destroy();
      resolve.destroy();
      read.destroy();
    }
  }

  private load(): Promise<void> {
    return (this.loaded ??= readStore()
      .then((store) => {
        for (const [key, winner] of Object.entries(store[this.adapterKey] ?? {})) {
          if (!this.winners.has(key)) this.winners.set(key, winner);
        }
      })
      .catch(() => undefined));
  }

  private async save(): Promise<void> {
    if (!autotuneEnabled()) return;
    try {
      const store = await readStore();
      store[this.adapterKey] = { ...store[this.adapterKey], ...Object.fromEntries(this.winners) };
      await writeStore(store);
    } catch {
      // Persistence is an optimisation: a read-only tmpdir or a full localStorage is fine.
    }
  }
}

const tuners = new WeakMap<Runtime, Autotuner>();

/** The runtime's autotuner (one per device). */
export function autotuner(rt: Runtime): Autotuner {
  let t = tuners.get(rt);
  if (!t) tuners.set(rt, (t = new Autotuner(rt)));
  return t;
}

/** A timer wait (no busy polling); 0 returns at once. */
export function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve();
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : Infinity;
}

function storePath(): string {
  return platform.join(platform.tmpdir(), `${STORE_NAME}.json`);
}

async function readStore(): Promise<Store> {
  if (!autotuneEnabled()) return {};
  if (isNode) {
    try {
      return JSON.parse(await platform.readText(storePath())) as Store;
    } catch {
      return {};
    }
  }
  const text = globalThis.localStorage?.getItem(STORE_NAME);
  return text ? (JSON.parse(text) as Store) : {};
}

async function writeStore(store: Store): Promise<void> {
  const text = JSON.stringify(store, null, 1);
  if (isNode) {
    await platform.writeTextAtomic(storePath(), text); // concurrent processes never see half a file
    return;
  }
  globalThis.localStorage?.setItem(STORE_NAME, text);
}
