// The whole gradient-check suite in Node on the Dawn adapter: every op of the table is covered
// and every case passes. (The browser run is in test/browser/gradcheck.test.ts.)
import { expect, it } from 'vitest';
import { formatTable, runSuite } from '../src/check/suite.ts';

it('passes every gradcheck case and covers every op', async () => {
  const res = await runSuite({ environment: 'node' });
  const table = formatTable(res);
  expect(res.uncovered, table).toEqual([]);
  expect(res.rows.filter((r) => !r.passed).map((r) => `${r.group} / ${r.case}: ${r.worst}`), table).toEqual([]);
  expect(res.rows.length).toBeGreaterThan(60);
}, 600_000);
