// npm run gradcheck: the gradient-check suite for every op and the composite networks, in Node
// on the Dawn adapter, then in headless Chromium and headless Firefox (their WebGPU adapters)
// through the browser harness. Prints a table per environment, writes reports/gradcheck.json
// and reports/gradcheck.md (a comparison table with a column per environment, then each
// environment's full table), and exits non-zero on any failure.
//   --node-only / --browser-only   run one side
//   --browser chromium|firefox|all the browser engines (default: every installed one; with
//                                  CI=true a missing engine is a failure)
//   --filter <regex>               only cases whose "op case" matches
//   --out <dir>                    report directory (default reports/)
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { init } from '../src/index.ts';
import { describe } from '../src/gpu/device.ts';
import { formatTable, runSuite, toMarkdown, type SuiteResult } from '../src/check/suite.ts';
import { BROWSER_TITLE, browserGate, pageResults, parseBrowsers, withBrowserPage, REPO_ROOT } from './browser-harness.ts';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** One row per (op, case, mode), one column per environment: max relative error and verdict. */
export function comparisonMarkdown(results: SuiteResult[]): string {
  if (results.length < 2) return '';
  const key = (r: SuiteResult['rows'][number]) => `${r.group} | ${r.case} | ${r.mode}`;
  const keys = [...new Set(results.flatMap((res) => res.rows.map(key)))];
  const maps = results.map((res) => new Map(res.rows.map((r) => [key(r), r])));
  const short = (env: string) => env.split(' on ')[0];
  const lines = [
    '## Per environment', '',
    ...results.map((r) => `- ${short(r.environment)}: ${r.environment}`), '',
    `| op | case | mode | ${results.map((r) => short(r.environment)).join(' | ')} |`,
    `|---|---|---|${results.map(() => '---').join('|')}|`,
  ];
  for (const k of keys) {
    const cells = maps.map((m) => {
      const r = m.get(k);
      return r ? `${r.maxRelError.toExponential(2)} ${r.passed ? 'pass' : '**FAIL**'}` : 'not run';
    });
    lines.push(`| ${k} | ${cells.join(' | ')} |`);
  }
  return `${lines.join('\n')}\n\n`;
}

async function main(): Promise<number> {
  const filter = arg('--filter');
  const outDir = arg('--out') ?? join(REPO_ROOT, 'reports');
  const named = arg('--browser');
  const engines = parseBrowsers(named);
  const results: SuiteResult[] = [];
  const skipped: string[] = [];
  if (!process.argv.includes('--browser-only')) {
    const adapter = await init();
    const res = await runSuite({ environment: `node ${process.version} on ${describe(adapter)}`, filter: filter ? new RegExp(filter) : undefined });
    console.log(`\n== Node (Dawn) ==\n${formatTable(res)}`);
    results.push(res);
  }
  if (!process.argv.includes('--node-only')) {
    for (const engine of engines) {
      const gate = browserGate(engine);
      // A browser named on the command line must run; by default a missing one is skipped (not in CI).
      if (gate.skip && !named) {
        console.log(`\n== ${BROWSER_TITLE[engine]}: skipped: ${gate.reason} ==`);
        skipped.push(`${BROWSER_TITLE[engine]} skipped: ${gate.reason}`);
        continue;
      }
      const res = await withBrowserPage(
        'scripts/pages/gradcheck/index.html',
        (page, ctx) => pageResults<SuiteResult>(page, { timeoutMs: 900_000, logs: ctx.logs }),
        { browser: engine, timeoutMs: 900_000, query: filter ? `filter=${encodeURIComponent(filter)}` : undefined },
      );
      console.log(`\n== ${BROWSER_TITLE[engine]} (WebGPU) ==\n${formatTable(res)}`);
      results.push(res);
    }
  }
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'gradcheck.json'), JSON.stringify(results, null, 2));
  const md = toMarkdown(results);
  const head = md.indexOf('\n## ');
  const notes = skipped.map((s) => `Note: ${s}\n\n`).join('');
  writeFileSync(join(outDir, 'gradcheck.md'), head < 0 ? md : `${md.slice(0, head + 1)}${notes}${comparisonMarkdown(results)}${md.slice(head + 1)}`);
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
