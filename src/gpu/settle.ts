// Waiting for the GPU without an engine's poll latency.
//
// Firefox's WebGPU (wgpu) settles mapAsync and onSubmittedWorkDone only when it polls the
// device, which it does on a ~100 ms timer: measured in headless Firefox 153, every readback took
// 100 ms however little work it waited for (bench/firefox: a 784-50-10 step with 3.6 ms of GPU
// time read as 100 ms). A queue submission makes it poll at once, so while such a promise is
// pending we submit an empty command buffer about once a millisecond. Chromium (Dawn over IPC)
// and Dawn in Node settle promptly on their own; there the extra submissions would only cost a
// core the software adapters need, so the nudging is limited to engines that poll on a timer.

/** Whether this engine settles GPU promises on a timer poll (Firefox's WebGPU). */
export const settlesOnPoll: boolean =
  typeof navigator !== 'undefined' && typeof navigator.userAgent === 'string' && /\bFirefox\//.test(navigator.userAgent);

const NUDGE_EVERY_MS = 1;
/** Yield through a message port this long (timers are clamped to >= 4 ms once nested), then sleep. */
const SPIN_MS = 20;
const SLEEP_MS = 4;
/** Past this, stop nudging and wait for the engine's own poll (long GPU work gains nothing). */
const GIVE_UP_MS = 1000;

let port: MessagePort | null = null;
const woken: (() => void)[] = [];

function nextTask(): Promise<void> {
  if (!port) {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => woken.shift()?.();
    port = channel.port2;
  }
  const p = new Promise<void>((resolve) => woken.push(resolve));
  port.postMessage(0);
  return p;
}

/** `promise` (a map or a work-done wait on `device`), settled without waiting for a timer poll. */
export async function settle<T>(device: GPUDevice, promise: Promise<T>, nudge = settlesOnPoll): Promise<T> {
  if (!nudge) return promise;
  let done = false;
  const tracked = promise.finally(() => {
    done = true;
  });
  tracked.catch(() => {}); // the caller awaits `tracked` below and sees the rejection there
  const start = performance.now();
  let last = -Infinity;
  while (!done) {
    const now = performance.now();
    if (now - start >= GIVE_UP_MS) break;
    if (now - last >= NUDGE_EVERY_MS) {
      last = now;
      device.queue.submit([device.createCommandEncoder({ label: 'webgrad:poll-nudge' }).finish()]);
    }
    if (now - start < SPIN_MS) await nextTask();
    else await new Promise((r) => setTimeout(r, SLEEP_MS));
  }
  return tracked;
}
