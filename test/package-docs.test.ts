// Documentation as part of the package: `npm run docs` (TypeDoc, typedoc.json) builds the API
// reference and fails on an undocumented public export; the TypeScript examples of
// docs/TRAINING.md compile against the public API (an example calling a constructor that does
// not exist, like the old `SGD({ lr })`, fails here).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');
const TYPEDOC = join(ROOT, 'node_modules/typedoc/bin/typedoc');
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');
const work = mkdtempSync(join(tmpdir(), 'webgrad-docs-'));

afterAll(() => rmSync(work, { recursive: true, force: true, maxRetries: 3 }));

function run(args: string[], cwd: string): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, args, { cwd, encoding: 'utf8', timeout: 240_000 });
  return { status: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

describe('npm run docs (TypeDoc)', () => {
  it('builds the API reference from the doc comments with no warnings', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.docs).toBe('typedoc');
    const out = join(work, 'api');
    const r = run([TYPEDOC, '--out', out], ROOT);
    expect(r.out.trim(), r.out).toBe('');
    expect(r.status).toBe(0);
    expect(readFileSync(join(out, 'index.html'), 'utf8')).toContain('webgrad');
  }, 240_000);

  it('fails on an undocumented export (functions, classes, interfaces, types, variables)', () => {
    const dir = join(work, 'undocumented');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'index.ts'),
      '/** Documented. */\nexport function documented(): number { return 1; }\n' +
        'export function bareFunction(): number { return 2; }\n' +
        'export interface BareInterface { x: number }\n',
    );
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, target: 'es2022', module: 'esnext', moduleResolution: 'bundler' }, files: ['index.ts'] }));
    // webgrad's typedoc.json with this entry point: the same validation and plugin.
    const config = JSON.parse(readFileSync(join(ROOT, 'typedoc.json'), 'utf8')) as Record<string, unknown>;
    const plugins = (config.plugin as string[]).map((p) => join(ROOT, p));
    writeFileSync(join(dir, 'typedoc.json'), JSON.stringify({ ...config, entryPoints: ['index.ts'], tsconfig: 'tsconfig.json', out: 'api', plugin: plugins }));
    const r = run([TYPEDOC], dir);
    expect(r.status).not.toBe(0);
    expect(r.out).toMatch(/bareFunction/);
    expect(r.out).toMatch(/BareInterface/);
    expect(r.out).not.toMatch(/\bdocumented\b.*no doc comment/);
  }, 240_000);
});

describe('docs/TRAINING.md', () => {
  it('every ```ts example compiles against the public API', () => {
    const md = readFileSync(join(ROOT, 'docs/TRAINING.md'), 'utf8');
    const blocks = [...md.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
    expect(blocks.length).toBeGreaterThanOrEqual(2);
    // Inside the repository (reports/ is git-ignored) so that 'webgrad' resolves to this package.
    const dir = join(ROOT, 'reports', 'doc-snippets');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const files = blocks.map((code, i) => {
      const file = `training-${i}.ts`;
      writeFileSync(join(dir, file), `${code}\nexport {};\n`);
      return file;
    });
    // A canary with a known type error proves the compiler ran and its messages are read.
    writeFileSync(join(dir, 'canary.ts'), "import { optim } from 'webgrad';\nnew optim.SGD({ lr: 0.1 });\nexport {};\n");
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ extends: '../../tsconfig.json', include: [...files, 'canary.ts'] }));
    const r = run([TSC, '-p', join(dir, 'tsconfig.json'), '--noEmit', '--pretty', 'false'], ROOT);
    // Only the examples are judged here (src/ is typechecked by npm test's tsc step).
    const errors = r.out.split('\n').filter((l) => l.includes('doc-snippets/training-'));
    expect(errors).toEqual([]);
    expect(r.out).toMatch(/doc-snippets\/canary\.ts\(2,/);
  }, 240_000);

  it('names no optimizer constructor without its parameters (the old `SGD({ lr })`)', () => {
    const md = readFileSync(join(ROOT, 'docs/TRAINING.md'), 'utf8');
    expect(md).not.toMatch(/\b(SGD|Adam|AdamW)\(\{/);
  });
});
