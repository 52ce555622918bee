// npm run bench:bundle: the Node benchmark as one ESM file plus dawn.node. Built here, copied
// into a temporary folder with no node_modules anywhere above it, and run there on a tiny
// case (--quick, one suite, one engine): it must write the run's JSON and Markdown, record
// the adapter, and fit in 40 MiB.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');

function folderBytes(dir: string): number {
  return readdirSync(dir, { withFileTypes: true }).reduce((s, e) => s + (e.isDirectory() ? folderBytes(join(dir, e.name)) : statSync(join(dir, e.name)).size), 0);
}

describe('bench bundle', () => {
  it('builds, and runs from a bare copy (no node_modules) with only node and the Vulkan driver', { timeout: 240_000 }, () => {
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'bench-bundle.mjs')], { cwd: ROOT, stdio: 'pipe' });
    const bundle = join(ROOT, 'bench-bundle');
    expect(folderBytes(bundle)).toBeLessThan(40 * 2 ** 20);
    const dir = mkdtempSync(join(tmpdir(), 'webgrad-bench-bundle-'));
    try {
      cpSync(bundle, join(dir, 'bundle'), { recursive: true });
      // Nothing above the copy may hold packages: resolution walks up from it.
      for (let d = dir; d !== dirname(d); d = dirname(d)) expect(existsSync(join(d, 'node_modules')), d).toBe(false);
      const out = join(dir, 'out');
      const env = { ...process.env, NODE_PATH: '', WEBGRAD_AUTOTUNE: '0' };
      const log = execFileSync(process.execPath, [join(dir, 'bundle', 'run.mjs'), '--node', '--quick', '--suites', 'dispatch', '--engines', 'webgrad', '--out', out], { cwd: dir, env, stdio: 'pipe', encoding: 'utf8', timeout: 180_000 });
      expect(log).toMatch(/dispatch/);
      const files = readdirSync(out);
      const json = files.find((f) => f.endsWith('.json'));
      expect(json, files.join(', ')).toBeDefined();
      expect(files.some((f) => f.endsWith('.md'))).toBe(true);
      const run = JSON.parse(readFileSync(join(out, json!), 'utf8')) as { runs: { environment: { adapter?: { description: string }; engines: Record<string, string> }; rows: { engine: string; error?: string }[] }[] };
      expect(run.runs).toHaveLength(1);
      const env0 = run.runs[0].environment;
      expect(env0.adapter?.description).toBeTruthy();
      expect(env0.engines.webgrad).toMatch(/^\d+\.\d+\.\d+/);
      const rows = run.runs[0].rows.filter((r) => r.engine === 'webgrad');
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.filter((r) => r.error)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
