// settle(): GPU promises waited for with empty submissions as nudges (Firefox polls its device on
// a ~100 ms timer). Here on Dawn the nudging is forced on, to check that it neither changes what
// a map returns nor swallows a rejection, and that it submits only while the promise is pending.
import { expect, it } from 'vitest';
import { runtime, tensor } from '../src/index.ts';
import { settle, settlesOnPoll } from '../src/gpu/settle.ts';

it('is off in Node (Dawn settles maps promptly)', () => {
  expect(settlesOnPoll).toBe(false);
});

it('a nudged map reads the same bytes, and a nudged rejection still rejects', async () => {
  const device = runtime().device;
  const x = tensor([1.5, -2, 3]);
  await x.data();
  const staging = device.createBuffer({ label: 'test:settle', size: 12, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const enc = device.createCommandEncoder();
  enc.copyBufferToBuffer(x.buffer(), 0, staging, 0, 12);
  device.queue.submit([enc.finish()]);
  await settle(device, staging.mapAsync(GPUMapMode.READ), true);
  expect(Array.from(new Float32Array(staging.getMappedRange().slice(0)))).toEqual([1.5, -2, 3]);
  staging.unmap();
  staging.destroy();
  await expect(settle(device, Promise.reject(new Error('boom')), true)).rejects.toThrow('boom');
  await expect(settle(device, device.queue.onSubmittedWorkDone().then(() => 7), true)).resolves.toBe(7);
  x.dispose();
});
