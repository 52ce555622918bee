// The messages between the demo page and its GPT training worker (demo/gpt-worker.ts). They
// are plain data, structured-cloned by postMessage: tensors and GPU buffers never cross (the
// worker has its own GPUDevice); a checkpoint crosses as an ArrayBuffer in the transfer list,
// moved, not copied.

/** The model and the run (the defaults are `npm start -- --model gpt`'s model and batch). */
export interface GptRunConfig {
  nLayer: number;
  nHead: number;
  nEmbd: number;
  blockSize: number;
  batchSize: number;
  lr: number;
  /** Training steps in all. */
  steps: number;
  /** Read the loss back and report progress every N steps. */
  logEvery: number;
  /** Characters generated after every progress report, continuing one running sample. */
  charsPerReport: number;
  /** Validation loss (and the bigram baseline on the same windows) every N steps; 0: never. */
  evalEvery: number;
  /** Validation windows per evaluation. */
  evalWindows: number;
  temperature: number;
  seed: number;
}

export const GPT_DEFAULTS: GptRunConfig = {
  nLayer: 2, nHead: 4, nEmbd: 64, blockSize: 64, batchSize: 32, lr: 3e-3,
  steps: 3000, logEvery: 10, charsPerReport: 24, evalEvery: 250, evalWindows: 64, temperature: 0.8, seed: 1,
};

/** Page -> worker. */
export type ToWorker =
  | { type: 'start'; corpusUrl: string; config: GptRunConfig }
  | { type: 'stop' }
  /** Ask for the weights as a safetensors file (answered by a 'checkpoint' message). */
  | { type: 'checkpoint' };

/** Worker -> page. */
export type FromWorker =
  | {
      type: 'ready';
      /** True when the code runs in a worker scope (the fallback runs the same code in the page). */
      inWorker: boolean;
      adapter: string;
      /** The vocabulary's characters (ids 0 .. n - 1; id n is <unk>). */
      vocab: string[];
      trainChars: number;
      valChars: number;
      params: number;
    }
  | { type: 'progress'; step: number; steps: number; loss: number; lastLoss: number; tokensPerSec: number; elapsed: number }
  /** Newly generated characters (append them: one running sample). */
  | { type: 'text'; step: number; text: string }
  | { type: 'eval'; step: number; valLoss: number; bigramLoss: number }
  | { type: 'checkpoint'; bytes: ArrayBuffer }
  | { type: 'done'; steps: number; stopped: boolean }
  | { type: 'error'; name: string; message: string };
