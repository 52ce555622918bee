// The GPT panel of the demo page: a character-level GPT trains on the fortune databases in a
// dedicated Web Worker (demo/gpt-worker.ts) while the panel streams the text it generates and
// charts its loss. The main thread only draws, so the page stays responsive (the digit pad
// works while the GPT trains). Where the browser's workers have no WebGPU, the same run
// (demo/gpt-train.ts) runs on the main thread instead and the panel says so.
//
// `?selftest=gpt[&steps=20&...]` starts a small run without clicks, presses "Save weights" once
// the first progress report is in (a click handled by the main thread mid-run, answered by the
// worker with a transferred checkpoint) and sets window.__results (test/train-demo.test.ts).
import { drawChart, type LineSeries } from './charts.ts';
import { GPT_DEFAULTS, type FromWorker, type GptRunConfig, type ToWorker } from './gpt-protocol.ts';

type Ready = Extract<FromWorker, { type: 'ready' }>;
type ProgressMsg = Extract<FromWorker, { type: 'progress' }>;
type EvalMsg = Extract<FromWorker, { type: 'eval' }>;

/** What the self-test reports: every message, and how often the main thread's timer had run when each progress report arrived. */
export interface GptSelfTest {
  mode: 'worker' | 'main thread';
  /** Why the run is on the main thread (the worker's error), or null. */
  fallbackReason: string | null;
  ready: Ready;
  progress: (ProgressMsg & { ticks: number })[];
  /** The streamed text, and how many progress reports had arrived when each piece came. */
  text: string;
  textAfterReports: number[];
  evals: EvalMsg[];
  checkpoint: { bytes: number; keys: string[]; afterReports: number } | null;
  done: { steps: number; stopped: boolean };
}

const FIELDS: [keyof GptRunConfig, string][] = [
  ['nLayer', 'gptLayers'], ['nHead', 'gptHeads'], ['nEmbd', 'gptEmbd'], ['blockSize', 'gptBlock'],
  ['batchSize', 'gptBatch'], ['steps', 'gptSteps'], ['lr', 'gptLr'],
];
const MAX_TEXT = 6000; // characters kept on screen

/** The config from the panel's inputs, then any `gpt.<key>` query parameter (self-test). */
function readConfig(q: URLSearchParams): GptRunConfig {
  const cfg: GptRunConfig = { ...GPT_DEFAULTS };
  for (const [key, id] of FIELDS) {
    const v = Number((document.getElementById(id) as HTMLInputElement).value);
    if (Number.isFinite(v) && v > 0) cfg[key] = v;
  }
  for (const key of Object.keys(GPT_DEFAULTS) as (keyof GptRunConfig)[]) {
    const v = q.get(`gpt.${key}`);
    if (v !== null) cfg[key] = Number(v);
  }
  for (const [key, id] of FIELDS) (document.getElementById(id) as HTMLInputElement).value = String(cfg[key]); // show what runs
  return cfg;
}

/** Names of the tensors in a safetensors file (its JSON header). */
function safetensorsKeys(buf: ArrayBuffer): string[] {
  const n = Number(new DataView(buf).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(new Uint8Array(buf, 8, n))) as Record<string, unknown>;
  return Object.keys(header).filter((k) => k !== '__metadata__');
}

export function setupGptPanel(q: URLSearchParams): void {
  const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
  const w = window as unknown as Record<string, unknown>;
  const selftest = q.get('selftest') === 'gpt';
  const status = (s: string) => ($('gptStatus').textContent = s);
  const textEl = $('gptText');

  let send: ((m: ToWorker) => void) | null = null;
  let worker: Worker | null = null;
  let cfg = readConfig(q);
  let ready: Ready | null = null;
  let fallbackReason: string | null = null;
  let mode: GptSelfTest['mode'] = 'worker';
  let ticks = 0;
  const lossPts: [number, number][] = [];
  const valPts: [number, number][] = [];
  const bigramPts: [number, number][] = [];
  const log: Omit<GptSelfTest, 'mode' | 'fallbackReason' | 'ready' | 'done'> = { progress: [], text: '', textAfterReports: [], evals: [], checkpoint: null };

  const redraw = () => {
    const series: LineSeries[] = [
      { label: 'train loss', color: '#1f5fa8', points: lossPts },
      { label: 'val loss', color: '#d2691e', points: valPts, dots: true },
      { label: 'bigram val', color: '#888', points: bigramPts },
    ];
    drawChart($('gptChart'), 'loss (nats / char)', series, undefined, cfg.steps, 'step');
  };
  redraw();

  const running = (on: boolean) => {
    $<HTMLButtonElement>('gptTrain').disabled = on;
    $<HTMLButtonElement>('gptStop').disabled = !on;
    $<HTMLButtonElement>('gptSave').disabled = !on;
  };

  const onMessage = (m: FromWorker) => {
    switch (m.type) {
      case 'ready':
        ready = m;
        status(`${mode === 'worker' ? 'training in a Web Worker' : 'training on the main thread'} on ${m.adapter}: ${m.params} parameters, ` +
          `${m.vocab.length + 1} tokens, ${m.trainChars} train / ${m.valChars} val chars`);
        break;
      case 'progress':
        lossPts.push([m.step, m.lastLoss]);
        log.progress.push({ ...m, ticks });
        status(`${mode === 'worker' ? 'worker' : 'main thread'}: step ${m.step}/${m.steps}  loss ${m.lastLoss.toFixed(3)}  ${m.tokensPerSec.toFixed(0)} tokens/s`);
        redraw();
        if (selftest && log.progress.length === 1) $('gptSave').click();
        break;
      case 'text':
        log.text += m.text;
        log.textAfterReports.push(log.progress.length);
        textEl.textContent = (textEl.textContent + m.text).slice(-MAX_TEXT);
        textEl.scrollTop = textEl.scrollHeight;
        break;
      case 'eval':
        log.evals.push(m);
        valPts.push([m.step, m.valLoss]);
        bigramPts.push([0, m.bigramLoss], [cfg.steps, m.bigramLoss]);
        bigramPts.splice(0, bigramPts.length - 2);
        redraw();
        break;
      case 'checkpoint': {
        log.checkpoint = { bytes: m.bytes.byteLength, keys: safetensorsKeys(m.bytes), afterReports: log.progress.length };
        if (!selftest) {
          const a = document.createElement('a');
          a.href = URL.createObjectURL(new Blob([m.bytes], { type: 'application/octet-stream' }));
          a.download = `gpt-step-${lossPts.at(-1)?.[0] ?? 0}.safetensors`;
          a.click();
          setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
        }
        break;
      }
      case 'done':
        running(false);
        status(`${m.stopped ? 'stopped' : 'done'} after ${m.steps} steps`);
        if (selftest && ready) w.__results = { mode, fallbackReason, ready, done: { steps: m.steps, stopped: m.stopped }, ...log } satisfies GptSelfTest;
        break;
      case 'error':
        // No WebGPU in this browser's workers: run the same code on the main thread.
        if (mode === 'worker' && !ready && m.name === 'WebGPUUnavailableError') {
          fallbackReason = m.message;
          worker?.terminate();
          void startInPage().then(() => start());
          return;
        }
        running(false);
        status(`error: ${m.name}: ${m.message}`);
        if (selftest) w.__error = `${m.name}: ${m.message}`;
        break;
    }
  };

  const startWorker = () => {
    const wk = new Worker(new URL('./gpt-worker.ts', import.meta.url), { type: 'module' });
    wk.onmessage = (e: MessageEvent<FromWorker>) => onMessage(e.data);
    wk.onerror = (e) => onMessage({ type: 'error', name: 'WorkerError', message: e.message || 'the worker script failed to load' });
    send = (m) => wk.postMessage(m);
    worker = wk;
  };
  const startInPage = async () => {
    mode = 'main thread';
    const { runGpt } = await import('./gpt-train.ts');
    const ctl = { stop: false, checkpoint: false };
    send = (m) => {
      if (m.type === 'start') {
        [ctl.stop, ctl.checkpoint] = [false, false];
        runGpt(m.corpusUrl, m.config, onMessage, ctl).catch((e: Error) => onMessage({ type: 'error', name: e.name, message: e.message }));
      } else if (m.type === 'stop') ctl.stop = true;
      else ctl.checkpoint = true;
    };
  };

  const start = () => {
    cfg = readConfig(q);
    lossPts.length = valPts.length = bigramPts.length = 0;
    textEl.textContent = '';
    if (!send) startWorker();
    running(true);
    status(mode === 'worker' ? 'starting the worker...' : `no WebGPU in workers here (${fallbackReason}): training on the main thread`);
    send!({ type: 'start', corpusUrl: new URL('data/fortunes.txt', location.href).href, config: cfg });
  };
  $('gptTrain').onclick = start;
  $('gptStop').onclick = () => send?.({ type: 'stop' });
  $('gptSave').onclick = () => send?.({ type: 'checkpoint' });
  running(false);

  if (selftest) {
    // The main thread's heartbeat: a timer task rescheduled as soon as it runs (every few ms while the thread is free).
    const beat = () => {
      ticks++;
      setTimeout(beat, 0);
    };
    beat();
    start();
  }
}
