// Issue 11: `npm run bench -- --help` prints the usage and exits 0 without measuring; an
// unknown flag is an error (exit 2) instead of a 10-minute run with the flag ignored.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const bench = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', '--conditions=webgrad-source', 'bench/run.ts', ...args], {
    cwd: new URL('..', import.meta.url),
    encoding: 'utf8',
    timeout: 90_000,
  });

describe('bench command line', () => {
  it('--help prints the usage and exits 0 at once', () => {
    const r = bench('--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^usage: npm run bench/);
    expect(r.stdout).toMatch(/--suites matmul,training {12}a subset of: warmup matmul/);
    expect(r.stdout).not.toMatch(/== Node/);
  }, 100_000);

  it('an unknown flag or a missing value is an error with the usage', () => {
    const r = bench('--quik');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/bench: unknown argument '--quik'/);
    const v = bench('--suites');
    expect(v.status).toBe(2);
    expect(v.stderr).toMatch(/--suites needs a value/);
  }, 200_000);
});
