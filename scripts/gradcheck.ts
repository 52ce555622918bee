// npm run gradcheck: the gradient-check suite for every op and the composite networks, in Node
// on the Dawn adapter, then in headless Chromium (its WebGPU adapter) through the browser
// harness. Prints a table, writes reports/gradcheck.json and reports/gradcheck.md, and exits
// non-zero on any failure.
//   --node-only / --browser-only   run one side
//   --filter <regex>               only cases whose "op case" matches
//   --out <dir>                    report directory (default reports/)
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { init } from '../src/index.ts';
import { describe } from '../src/gpu/device.ts';
import { formatTable, runSuite, toMarkdown, type SuiteResult } from '../src/check/suite.ts';
import { browserGate, pageResults, withBrowserPage, REPO_ROOT } from './browser-harness.ts';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<number> {
  const filter = arg('--filter');
  const outDir = arg('--out') ?? join(REPO_ROOT, 'reports');
  const results: SuiteResult[] = [];
  if (!process.argv.includes('--browser-only')) {
    const adapter = await init();
    const res = await runSuite({ environment: `node ${process.version} on ${describe(adapter)}`, filter: filter ? new RegExp(filter) : undefined });
    console.log(`\n== Node (Dawn) ==\n${formatTable(res)}`);
    results.push(res);
  }
  if (!process.argv.includes('--node-only')) {
    const gate = browserGate();
    if (gate.skip) {
      console.log(`\n== Chromium: skipped: ${gate.reason} ==`);
    } else {
      const res = await withBrowserPage(
        'scripts/pages/gradcheck/index.html',
        (page, ctx) => pageResults<SuiteResult>(page, { timeoutMs: 900_000, logs: ctx.logs }),
        { timeoutMs: 900_000, query: filter ? `filter=${encodeURIComponent(filter)}` : undefined },
      );
      console.log(`\n== Chromium (WebGPU) ==\n${formatTable(res)}`);
      results.push(res);
    }
  }
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'gradcheck.json'), JSON.stringify(results, null, 2));
  writeFileSync(join(outDir, 'gradcheck.md'), toMarkdown(results));
  console.log(`\nreports: ${join(outDir, 'gradcheck.json')}, ${join(outDir, 'gradcheck.md')}`);
  return results.every((r) => r.passed) && results.length > 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e instanceof Error ? (e.stack ?? e.message) : e);
    process.exit(1);
  },
);
