// Completes package-lock.json with the platform packages of rollup (Vite's bundler) that the
// package mirror here does not serve. Without them `npm ci` refuses the lock ("Missing:
// @rollup/rollup-darwin-arm64@ from lock file") even though npm install wrote it. The entries get
// the shape npm itself writes (optional, with os/cpu/libc), so npm skips them on other platforms
// and fetches the right one by version on that platform.
//
//   node scripts/complete-lock.mjs            add what is missing (prints how many)
//   node scripts/complete-lock.mjs --check    exit 1 when entries are missing
//
// Run it after `npm install <pkg>` if `npm ci` complains; .ci/run runs it before `npm ci`.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const file = join(dirname(fileURLToPath(import.meta.url)), '..', 'package-lock.json');
const lock = JSON.parse(readFileSync(file, 'utf8'));
const packages = lock.packages ?? {};
const CPUS = new Set(['arm', 'arm64', 'x64', 'ia32', 'loong64', 'ppc64', 'riscv64', 's390x']);

const missing = [];
for (const meta of Object.values(packages)) {
  for (const [name, version] of Object.entries(meta.optionalDependencies ?? {})) {
    const key = `node_modules/${name}`;
    if (packages[key] || !name.startsWith('@rollup/rollup-')) continue;
    // @rollup/rollup-<os>-<cpu>[-<abi>], e.g. linux-arm64-musl, win32-x64-msvc, darwin-arm64
    const [os, cpu, abi] = name.slice('@rollup/rollup-'.length).split('-');
    if (!CPUS.has(cpu)) throw new Error(`complete-lock: cannot tell the cpu of ${name}`);
    const entry = { version, cpu: [cpu] };
    if (meta.dev) entry.dev = true;
    if (os === 'linux' && abi) entry.libc = [abi.startsWith('musl') ? 'musl' : 'glibc'];
    Object.assign(entry, { license: 'MIT', optional: true, os: [os] });
    missing.push([key, entry]);
  }
}

if (process.argv.includes('--check')) {
  if (missing.length) console.error(`package-lock.json lacks ${missing.length} rollup platform entries: run node scripts/complete-lock.mjs`);
  process.exit(missing.length ? 1 : 0);
}
if (missing.length) {
  for (const [key, entry] of missing) packages[key] = entry;
  // npm's order: the root package first, then paths in localeCompare order.
  lock.packages = Object.fromEntries(
    Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b, 'en'))),
  );
  writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
}
console.log(`complete-lock: ${missing.length ? `added ${missing.length} rollup platform entries to package-lock.json` : 'package-lock.json is complete'}`);
