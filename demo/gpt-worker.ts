// The demo's GPT training worker: a dedicated module worker (new Worker(url, { type: 'module' }))
// with its own WebGPU device. It receives 'start' / 'stop' / 'checkpoint' and posts 'ready',
// 'progress', 'text', 'eval', 'checkpoint', 'done' or 'error' (demo/gpt-protocol.ts); the page's
// main thread only draws. See README "Training in a Web Worker".
import type { FromWorker, ToWorker } from './gpt-protocol.ts';
import { runGpt, type GptControl } from './gpt-train.ts';

// Typed against the DOM lib the project compiles with: postMessage(message, { transfer }) is
// the form a worker scope and a window share.
const scope = self as unknown as { postMessage(m: FromWorker, opts: { transfer: Transferable[] }): void; onmessage: ((e: MessageEvent<ToWorker>) => void) | null };
const post = (m: FromWorker, transfer: Transferable[] = []) => scope.postMessage(m, { transfer });
let ctl: GptControl | null = null;
let running: Promise<void> = Promise.resolve();

scope.onmessage = (e) => {
  const msg = e.data;
  if (msg.type === 'start') {
    if (ctl) ctl.stop = true; // one run at a time: a new start ends the old one at its next chunk, then begins
    const mine: GptControl = { stop: false, checkpoint: false };
    ctl = mine;
    running = running.then(() => runGpt(msg.corpusUrl, msg.config, post, mine)).catch((err: unknown) => {
      const x = err instanceof Error ? err : new Error(String(err));
      post({ type: 'error', name: x.name, message: x.message });
    });
  } else if (msg.type === 'stop') {
    if (ctl) ctl.stop = true;
  } else if (msg.type === 'checkpoint') {
    if (ctl) ctl.checkpoint = true;
  }
};
