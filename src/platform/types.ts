// The host boundary. Everything webgrad needs from Node (Dawn, the file system, the temp
// directory) goes through a Platform object, and the module that provides it is chosen by
// package.json "imports" (#platform): the "node" condition gets node.ts, every other
// environment (browsers, bundlers targeting the web, workers) gets browser.ts, which imports
// nothing. So a browser bundle never sees a `node:` import, not even a dynamic one, and
// bundlers have nothing to externalise or warn about.

/** The `webgpu` package's module (Dawn's Node bindings). */
export interface DawnModule {
  create: (flags: string[]) => GPU;
  globals: Record<string, unknown>;
}

/** A file written or read by the autotune cache, the MNIST loader or the driver search. */
export interface Platform {
  /** 'node' when node.ts was selected; 'browser' otherwise. */
  readonly kind: 'node' | 'browser';
  /** Dawn for Node (the optional `webgpu` package); throws WebGPUUnavailableError when missing. */
  loadDawn(): Promise<DawnModule>;
  /** The first of `paths` that exists, or undefined. */
  firstExisting(paths: readonly string[]): string | undefined;
  /** The OS temp directory. */
  tmpdir(): string;
  /** Join path segments with the OS separator. */
  join(...parts: string[]): string;
  readText(file: string): Promise<string>;
  readTextSync(file: string): string;
  /** The file's bytes (a copy that owns its whole ArrayBuffer). */
  readBytesSync(file: string): Uint8Array;
  /** Write via a temp file and rename, so concurrent readers never see half a file. */
  writeTextAtomic(file: string, text: string): Promise<void>;
  /** The directory of an installed package, resolved from webgrad's own location. */
  packageDir(name: string): string;
  /**
   * Run `fn` (synchronous) with native writes to stderr captured, then re-emit every captured
   * line for which `keep` is true. For Dawn's warnings, which its C++ prints straight to fd 2.
   */
  filterNativeStderr<T>(fn: () => T, keep: (line: string) => boolean): T;
}
