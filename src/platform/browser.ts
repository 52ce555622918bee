// The Platform for browsers, workers and any bundle built without the "node" condition
// (see types.ts). It imports nothing; the Node-only members say so when called.
import { WebGPUUnavailableError, WebgradError } from '../errors.ts';
import type { DawnModule, Platform } from './types.ts';

const nodeOnly = (what: string): never => {
  throw new WebgradError(`webgrad: ${what} needs Node, but this is webgrad's browser build (the package.json "node" condition was not used)`);
};

export const platform: Platform = {
  kind: 'browser',
  loadDawn: (): Promise<DawnModule> =>
    Promise.reject(new WebGPUUnavailableError("webgrad: Dawn (the 'webgpu' package) is for Node; this is webgrad's browser build, which uses navigator.gpu")),
  firstExisting: () => undefined,
  tmpdir: () => nodeOnly('a temp directory'),
  join: (...parts) => parts.join('/'),
  readText: () => Promise.reject(nodeOnly('reading files')),
  readTextSync: () => nodeOnly('reading files'),
  readBytesSync: () => nodeOnly('reading files'),
  writeTextAtomic: () => Promise.reject(nodeOnly('writing files')),
  packageDir: () => nodeOnly('resolving an installed package'),
  filterNativeStderr: (fn) => fn(),
};
