// Every test file runs against a real WebGPU adapter (Dawn in Node), never a mock.
import { beforeAll } from 'vitest';
import { init } from '../src/index.ts';

process.env.WEBGRAD_QUIET ??= '1';

beforeAll(async () => {
  await init();
});
