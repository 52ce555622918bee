// Runs CHECKS in order and publishes `window.__results` (the browser-harness page protocol).
// Open it by hand with `npx vite` and /test/browser/page/index.html, or through the harness CLI.
import { CHECKS } from './checks.ts';

export interface CheckResult {
  name: string;
  ok: boolean;
  ms: number;
  detail?: unknown;
  error?: string;
}

export interface PageResults {
  ok: boolean;
  userAgent: string;
  checks: CheckResult[];
}

declare global {
  interface Window {
    __results?: PageResults;
    __error?: string;
  }
}

async function runAll(): Promise<PageResults> {
  const list = document.getElementById('list')!;
  const checks: CheckResult[] = [];
  for (const c of CHECKS) {
    const t0 = performance.now();
    let r: CheckResult;
    try {
      const detail = await c.run();
      r = { name: c.name, ok: true, ms: performance.now() - t0, detail };
    } catch (e) {
      const err = e as Error;
      r = { name: c.name, ok: false, ms: performance.now() - t0, error: `${err.name}: ${err.message}` };
    }
    checks.push(r);
    const li = document.createElement('li');
    li.className = r.ok ? 'ok' : 'fail';
    li.textContent = `${r.ok ? 'ok' : 'FAIL'} ${r.name} (${r.ms.toFixed(0)} ms)`;
    if (r.error) {
      const pre = document.createElement('pre');
      pre.textContent = r.error;
      li.append(pre);
    }
    list.append(li);
  }
  return { ok: checks.every((c) => c.ok), userAgent: navigator.userAgent, checks };
}

runAll().then(
  (res) => {
    document.getElementById('status')!.textContent = res.ok ? 'all checks passed' : 'some checks FAILED';
    window.__results = res;
  },
  (e) => {
    window.__error = e instanceof Error ? (e.stack ?? e.message) : String(e);
  },
);
