// The Platform for Node (package.json "imports" #platform, "node" condition; see types.ts).
// The only module besides data/ that touches node: built-ins, and browser bundles never load it.
import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync, writeSync, unlinkSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { WebGPUUnavailableError } from '../errors.ts';
import type { DawnModule, Platform } from './types.ts';

let captures = 0;

export const platform: Platform = {
  kind: 'node',
  async loadDawn(): Promise<DawnModule> {
    try {
      return (await import('webgpu')) as DawnModule;
    } catch (e) {
      throw new WebGPUUnavailableError(
        `webgrad: could not load the 'webgpu' package (Dawn for Node): ${(e as Error).message}. Install it with 'npm install webgpu'.`,
      );
    }
  },
  firstExisting: (paths) => paths.find((p) => existsSync(p)),
  tmpdir,
  join,
  readText: (file) => readFile(file, 'utf8'),
  readTextSync: (file) => readFileSync(file, 'utf8'),
  readBytesSync: (file) => new Uint8Array(readFileSync(file)),
  async writeTextAtomic(file, text) {
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, text);
    await rename(tmp, file);
  },
  packageDir: (name) => dirname(createRequire(import.meta.url).resolve(`${name}/package.json`)),
  filterNativeStderr,
};

// Dawn prints a few warnings with fprintf(stderr) from C++, where neither console nor
// process.stderr can intercept them. Node has no dup2, but POSIX open() returns the lowest
// free descriptor: so close fd 2, open a capture file (it becomes fd 2), run `fn`, close it
// and reopen the original stderr through /proc/self/fd (it becomes fd 2 again). `fn` is
// synchronous, so no JavaScript writes to stderr in between, and Node writes stderr
// synchronously on Linux (files, pipes and terminals), so nothing is queued on the old fd.
// Linux only; anywhere else, or when a step fails, `fn` runs unfiltered.
function filterNativeStderr<T>(fn: () => T, keep: (line: string) => boolean): T {
  if (process.platform !== 'linux') return fn();
  let saved = -1;
  let capture = -1;
  const file = join(tmpdir(), `webgrad-stderr-${process.pid}-${captures++}.log`);
  try {
    fstatSync(0); // 0 and 1 must be open, or the reopened stderr would not land on fd 2
    fstatSync(1);
    const kind = fstatSync(2);
    // A pipe, a terminal or /dev/null can be reopened as is. A regular file only when it was
    // opened for appending: the reopened descriptor has its own offset and appends, so writes
    // through the original one (still held by a parent shell, `{ ...; } 2>log`) would
    // overwrite ours. A socket cannot be reopened through /proc at all.
    const appending = kind.isFile() && (Number.parseInt(/flags:\s*([0-7]+)/.exec(readFileSync('/proc/self/fdinfo/2', 'utf8'))?.[1] ?? '0', 8) & 0o2000) !== 0;
    if (!kind.isFIFO() && !kind.isCharacterDevice() && !appending) return fn();
    saved = openSync('/proc/self/fd/2', 'a');
    capture = openSync(file, 'w+');
  } catch {
    if (saved >= 0) closeSync(saved);
    if (capture >= 0) closeSync(capture);
    return fn();
  }
  let swapped = false;
  try {
    closeSync(2);
    const fd = openSync(file, 'a');
    swapped = fd === 2;
    if (!swapped) closeSync(fd); // fd 0 or 1 was closed too; stderr stays as it is (closed)
  } catch {
    // fall through: restore below
  }
  try {
    return fn();
  } finally {
    if (swapped) closeSync(2);
    const fd = openSync(`/proc/self/fd/${saved}`, 'a'); // lowest free: 2 again
    if (fd !== 2) closeSync(fd);
    closeSync(saved);
    const text = readAll(capture);
    closeSync(capture);
    try {
      unlinkSync(file);
    } catch {
      // the temp file is harmless if it stays
    }
    const kept = text.split('\n').filter((l, i, all) => (l !== '' || i < all.length - 1) && keep(l));
    if (kept.length) writeSync(2, kept.join('\n') + '\n');
  }
}

function readAll(fd: number): string {
  const chunks: Buffer[] = [];
  const buf = Buffer.alloc(1 << 16);
  let pos = 0;
  for (;;) {
    const n = readSync(fd, buf, 0, buf.length, pos);
    if (n <= 0) break;
    chunks.push(Buffer.from(buf.subarray(0, n)));
    pos += n;
  }
  return Buffer.concat(chunks).toString('utf8');
}
