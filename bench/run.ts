// npm run bench: webgrad vs TensorFlow.js vs jax-js on the same WebGPU adapter, with the same
// shapes and the same timing method, in Node (Dawn), headless Chromium and headless Firefox.
// The flags are in USAGE below (`npm run bench -- --help` prints it); an unknown flag is an error.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, relative } from 'node:path';
import { BROWSER_TITLE, browserGate, pageResults, parseBrowsers, withBrowserPage, REPO_ROOT, type BrowserName } from '../scripts/browser-harness.ts';
import { wrapGpu } from './core/instrument.ts';
import { installIteratorHelpers } from './core/iterator-helpers.ts';
import { stats } from './core/timing.ts';
import { ALL_ENGINES, ALL_SUITES, type SuiteName } from './suites/types.ts';
import type { EngineName } from './engines/types.ts';
import type { RunSettings, SuiteRun } from './suites/types.ts';
import { trainingChartSvg, matmulChartSvg } from './report/svg.ts';
import { resultsMarkdown, runFailures, type BenchRun } from './report/markdown.ts';

const USAGE = `usage: npm run bench [-- flags]

  npm run bench                       Node, then Chromium, then Firefox (one run, one JSON file)
  npm run bench -- --node             Node only (Dawn: lavapipe on this machine)
  npm run bench -- --browser          the browsers only (system /usr/bin/chromium or $CHROME_PATH,
                                      /usr/bin/firefox-esr or $FIREFOX_PATH)
  --browsers chromium,firefox         which browsers (default: each installed one; a named one,
                                      or any with CI=true, must be installed)
  --quick                             small sizes, few repetitions (checks the machinery)
  --suites matmul,training            a subset of: ${ALL_SUITES.join(' ')}
  --engines webgrad,tfjs              a subset of: ${ALL_ENGINES.join(' ')}
  --out <dir>                         where run files go (default bench/out/)
  --webgrad-init '<json>'             options for webgrad's init(), e.g. '{"politeWait":false}'
  --from <run.json>                   do not measure: re-render the reports of a saved run
  --note '<text>'                     add a note to the run's report (also with --from)
  --results                           also rewrite the committed bench/RESULTS.md, bench/results.json
                                      and bench/charts/*.svg from this run
  --help, -h                          print this and exit

Exit status: 1 when a kernel's result is wrong (a check failed) or an engine/case errored;
never because of a time. 2 for a bad command line.`;

/** The flags, and whether each takes a value. */
const FLAGS: Record<string, boolean> = {
  '--node': false, '--browser': false, '--quick': false, '--results': false, '--help': false, '-h': false,
  '--browsers': true, '--suites': true, '--engines': true, '--out': true, '--webgrad-init': true, '--from': true, '--note': true,
};

/** Check the command line before anything runs: `--help` prints USAGE, an unknown flag is an error. */
function checkArgs(argv: readonly string[]): { help: boolean; error?: string } {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!(a in FLAGS)) return { help: false, error: `unknown argument '${a}'` };
    if (a === '--help' || a === '-h') return { help: true };
    if (FLAGS[a]) {
      if (i + 1 >= argv.length || argv[i + 1].startsWith('--')) return { help: false, error: `${a} needs a value` };
      i++;
    }
  }
  return { help: false };
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const flag = (name: string) => process.argv.includes(name);

function list<T extends string>(value: string | undefined, all: readonly T[], what: string): T[] {
  if (!value) return [...all];
  const items = value.split(',').map((s) => s.trim()).filter(Boolean) as T[];
  const bad = items.filter((x) => !all.includes(x));
  if (bad.length) throw new Error(`unknown ${what}: ${bad.join(', ')} (known: ${all.join(', ')})`);
  return items;
}

/**
 * Set by the bench bundle's banner (scripts/bench-bundle.mjs): the bundle has no node_modules,
 * and its folder stands in for the repository (bench/out/ is written below it).
 */
const bundle = (globalThis as { __webgradBench?: { versions: Record<string, string>; root: string } }).__webgradBench;
const bundled = bundle?.versions;
const ROOT = bundle?.root ?? REPO_ROOT;

function packageVersion(name: string): string {
  if (bundled) return bundled[name] ?? 'not installed';
  try {
    return (JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'not installed';
  }
}

const log = (line: string) => console.log(line);

/** --webgrad-init: options for webgrad's init() (JSON), e.g. to compare runtime settings. */
function webgradInit(): Record<string, unknown> {
  const text = arg('--webgrad-init');
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

async function runNode(settings: RunSettings, versions: Record<string, string>): Promise<SuiteRun> {
  // Measure cold pipeline compiles: lavapipe would otherwise reuse shaders compiled by earlier runs.
  process.env.MESA_SHADER_CACHE_DISABLE ??= 'true';
  process.env.WEBGRAD_QUIET = '1';
  const { init } = await import('../src/index.ts');
  const t0 = performance.now();
  await init(webgradInit()); // picks the Vulkan driver (and sets VK_ICD_FILENAMES when it had to choose)
  const initMs = performance.now() - t0;
  const dawn = (await import('webgpu')) as unknown as { create: (flags: string[]) => GPU; globals: Record<string, unknown> };
  Object.assign(globalThis, dawn.globals);
  const gpu = dawn.create([]); // a second Dawn instance on the same driver, for the peers
  (globalThis as Record<string, unknown>).__benchDawn = gpu; // keep the instance alive
  Object.defineProperty(globalThis, 'navigator', {
    configurable: true,
    value: { gpu: wrapGpu(gpu), userAgent: `Node.js/${process.versions.node}`, hardwareConcurrency: cpus().length, language: 'en-US' },
  });
  const { runEnvironment } = await import('./suites/index.ts');
  const shimmed = installIteratorHelpers();
  const run = await runEnvironment('node', `Node ${process.version} (Dawn, webgpu ${versions.webgpu})`, `node ${process.version}`, versions, settings, log, initMs);
  if (shimmed) run.notes.push(`${process.version} has no iterator helpers, which jax-js's einsum (nn.dotProductAttention) calls: the runner installed Iterator.prototype.map / filter (bench/core/iterator-helpers.ts)`);
  return run;
}

async function runBrowser(engine: BrowserName, settings: RunSettings, versions: Record<string, string>): Promise<SuiteRun | string> {
  const gate = browserGate(engine);
  if (gate.skip && !arg('--browsers')) return `${BROWSER_TITLE[engine]} skipped: ${gate.reason}`;
  const query = new URLSearchParams({ profile: settings.profile, suites: settings.suites.join(','), engines: settings.engines.join(','), webgrad: JSON.stringify(webgradInit()) }).toString();
  const timeoutMs = 40 * 60_000;
  return withBrowserPage(
    'bench/page/index.html',
    async (page, ctx) => {
      const version = await ctx.browser.version();
      const run = await pageResults<SuiteRun>(page, { timeoutMs, logs: ctx.logs });
      run.environment.label = `${version} (headless)`;
      const { webgpu: _dawn, ...browserVersions } = versions;
      run.environment.engines = browserVersions;
      return run;
    },
    {
      browser: engine,
      timeoutMs,
      query,
      // Chromium: full-resolution timestamps (it quantizes them by default) and no shader disk
      // cache. Firefox: no flags (a fresh profile each launch has no shader cache).
      ...(engine === 'chromium' ? { args: ['--disable-dawn-features=timestamp_quantization', '--disable-gpu-shader-disk-cache'] } : {}),
      onLog: (line) => {
        const m = /^\[console\.\w+\] (.*)$/s.exec(line);
        if (m) log(m[1]);
        else if (!line.startsWith('[console')) log(line);
      },
    },
  );
}

async function measureAll(settings: RunSettings, versions: Record<string, string>): Promise<BenchRun> {
  const shellArg = (a: string) => (/^[\w,./=:@-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
  const args = process.argv.slice(2).map(shellArg).join(' ');
  const command = `npm run bench${args ? ` -- ${args}` : ''}`;
  const opts = webgradInit();
  const notes = Object.keys(opts).length ? [`webgrad init options: ${JSON.stringify(opts)}`] : [];
  const run: BenchRun = { command, date: new Date().toISOString(), machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? '', loadBefore: loadavg(), loadAfter: [] }, settings, runs: [], notes };
  const t0 = performance.now();
  const load: number[] = [];
  const sampler = setInterval(() => load.push(loadavg()[0]), 10_000);
  if (!flag('--browser')) {
    log('== Node (Dawn) ==');
    run.runs.push(await runNode(settings, versions));
  }
  if (!flag('--node')) {
    for (const engine of parseBrowsers(arg('--browsers'))) {
      log(`== ${BROWSER_TITLE[engine]} (headless) ==`);
      const r = await runBrowser(engine, { ...settings, slow: true }, versions);
      if (typeof r === 'string') run.notes.push(r);
      else run.runs.push(r);
    }
  }
  clearInterval(sampler);
  run.machine.loadAfter = loadavg();
  if (load.length) {
    const s = stats(load);
    run.machine.loadDuring = { min: s.min, median: s.median, max: s.max, samples: s.n };
  }
  run.seconds = (performance.now() - t0) / 1000;
  return run;
}

async function main(): Promise<number> {
  const cli = checkArgs(process.argv.slice(2));
  if (cli.help) {
    console.log(USAGE);
    return 0;
  }
  if (cli.error) {
    console.error(`bench: ${cli.error}\n\n${USAGE}`);
    return 2;
  }
  const settings: RunSettings = {
    profile: flag('--quick') ? 'quick' : 'full',
    slow: false,
    suites: list<SuiteName>(arg('--suites'), ALL_SUITES, 'suite'),
    engines: list<EngineName>(arg('--engines'), ALL_ENGINES, 'engine'),
  };
  const versions: Record<string, string> = {
    webgrad: bundled?.webgrad ?? (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version,
    tfjs: packageVersion('@tensorflow/tfjs'),
    'tfjs-backend-webgpu': packageVersion('@tensorflow/tfjs-backend-webgpu'),
    'jax-js': packageVersion('@jax-js/jax'),
    webgpu: packageVersion('webgpu'),
  };
  const from = arg('--from');
  const run = from ? (JSON.parse(readFileSync(from, 'utf8')) as BenchRun) : await measureAll(settings, versions);
  const note = arg('--note');
  if (note && !run.notes.includes(note)) run.notes.push(note);

  const outDir = arg('--out') ?? join(ROOT, 'bench', 'out');
  mkdirSync(outDir, { recursive: true });
  const stamp = run.date.replace(/[:.]/g, '-').slice(0, 19);
  const files: Record<string, string> = {
    [`run-${stamp}.json`]: JSON.stringify(run, null, 2),
    [`run-${stamp}.md`]: resultsMarkdown(run, { matmul: `run-${stamp}-matmul.svg`, training: `run-${stamp}-training.svg` }),
    [`run-${stamp}-matmul.svg`]: matmulChartSvg(run),
    [`run-${stamp}-training.svg`]: trainingChartSvg(run),
  };
  for (const [name, text] of Object.entries(files)) writeFileSync(join(outDir, name), text);
  log(`\nwrote ${Object.keys(files).map((f) => relative(process.cwd(), join(outDir, f))).join(', ')}`);
  if (flag('--results')) {
    const benchDir = join(ROOT, 'bench');
    mkdirSync(join(benchDir, 'charts'), { recursive: true });
    writeFileSync(join(benchDir, 'results.json'), JSON.stringify(run, null, 2));
    writeFileSync(join(benchDir, 'charts', 'matmul.svg'), matmulChartSvg(run));
    writeFileSync(join(benchDir, 'charts', 'training.svg'), trainingChartSvg(run));
    writeFileSync(join(benchDir, 'RESULTS.md'), resultsMarkdown(run, { matmul: 'charts/matmul.svg', training: 'charts/training.svg' }));
    log('updated bench/RESULTS.md, bench/results.json, bench/charts/');
  }
  console.log(`\n${resultsMarkdown(run, null, { compact: true })}`);
  const failures = runFailures(run);
  if (failures.length) {
    console.error(`\n${failures.length} failure(s):\n${failures.join('\n')}`);
    return 1;
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e instanceof Error ? (e.stack ?? e.message) : e);
    process.exit(1);
  },
);
