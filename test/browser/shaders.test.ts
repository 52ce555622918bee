// Every shader variant compiles in each browser engine (issue 15): Chromium (Tint) and Firefox
// (naga) accept different WGSL in places, so test/browser/shaders compiles every module (every
// shader in src/gpu/shaderSources.ts x every combination of its #if defines) and its entry
// points' pipelines on each engine, and any error fails here with the compiler's message.
// Firefox compiles every distinct pipeline; Chromium (SwiftShader's JIT takes ~1 s a pipeline)
// compiles every module and a cover of the pipelines in which each define is on and off.
import { describe, expect, it } from 'vitest';
import { BROWSER_TITLE, browserGate, pageResults, suiteBrowsers, withBrowserPage } from '../../scripts/browser-harness.ts';
import { SHADER_SOURCES } from '../../src/gpu/shaderSources.ts';
import type { VariantReport } from './shaders/compile.ts';
import { defineGroups, defineNames, entryPoints, moduleVariants, reachableCode, stripComments } from './shaders/variants.ts';

describe('shader variant enumeration (from the sources, no GPU)', () => {
  const variants = moduleVariants();

  it('covers every shader, every define on and off, and every @compute entry point', () => {
    expect([...new Set(variants.map((v) => v.shader))].sort()).toEqual(Object.keys(SHADER_SOURCES).sort());
    for (const [shader, source] of Object.entries(SHADER_SOURCES)) {
      const mine = variants.filter((v) => v.shader === shader);
      for (const d of defineNames(source)) {
        expect(mine.some((v) => v.defines[d]), `${shader}: ${d} on`).toBe(true);
        expect(mine.some((v) => !v.defines[d]), `${shader}: ${d} off`).toBe(true);
      }
      const entries = new Set(mine.flatMap((v) => v.entries));
      const computeCount = (stripComments(source).match(/@compute\b/g) ?? []).length;
      expect(entries.size, `${shader}: entry points`).toBeGreaterThan(0);
      expect(entries.size, `${shader}: entry points`).toBeLessThanOrEqual(computeCount);
    }
  });

  it('parses entry points, features and reachable code', () => {
    const code = 'enable subgroups;\nfn helper() -> f32 { return 1.0; } // fn fake() {}\nfn unused() {}\n/* @compute fn hidden() {} */\n@compute @workgroup_size(1)\nfn main() { let x = helper(); }';
    expect(entryPoints(code)).toEqual(['main']);
    expect(moduleVariants({ t: code })[0].features).toEqual(['subgroups']);
    const r = reachableCode(code, 'main');
    expect(r).toContain('fn helper()');
    expect(r).not.toContain('fn unused');
  });

  it('groups defines chained by #elif and enumerates a large group one define at a time', () => {
    const chain = (names: string[]) => names.map((n, i) => `#${i ? 'elif' : 'if'} ${n}\nlet v${i} = ${i};`).join('\n') + '\n#endif\n';
    const big = ['A1', 'A2', 'A3', 'A4', 'A5'];
    const code = `${chain(big)}#if X\nlet x = 1;\n#elif Y\nlet y = 1;\n#endif\n#if Z\nlet z = 1;\n#endif\n@compute @workgroup_size(1)\nfn main() {}`;
    expect(defineGroups(code)).toEqual([big, ['X', 'Y'], ['Z']]);
    // (none + 5 alone) x (4 subsets of X, Y, two of which give the same code) x (Z off, on)
    expect(moduleVariants({ t: code }).length).toBe(6 * 3 * 2);
  });
});

for (const engine of suiteBrowsers()) {
  const gate = browserGate(engine);
  const mode = engine === 'firefox' ? 'all' : 'cover';
  it.skipIf(gate.skip)(`every shader variant compiles in ${BROWSER_TITLE[engine]} (pipelines: ${mode})${gate.skip ? ` — skipped: ${gate.reason}` : ''}`, async () => {
    const r = await withBrowserPage('test/browser/shaders/index.html', (page, ctx) =>
      pageResults<VariantReport & { userAgent: string }>(page, { timeoutMs: 500_000, logs: ctx.logs }), { browser: engine, query: `pipelines=${mode}`, timeoutMs: 500_000 });
    console.log(`[shader variants] ${engine}: ${Object.values(r.shaders).reduce((a, s) => a + s.modules, 0)} modules, ${Object.values(r.shaders).reduce((a, s) => a + s.pipelines, 0)} pipelines in ${(r.ms / 1000).toFixed(1)} s; skipped for missing features: ${r.skippedFeatures.join(', ') || 'none'}`);
    expect(r.userAgent).toMatch(engine === 'firefox' ? /Firefox\// : /Chrom(e|ium)\//);
    expect(r.canaries, 'a broken module and a broken pipeline must be reported as errors').toEqual({ module: true, pipeline: true });
    const failures = r.failures.map((f) => `${f.shader}[${f.defines.join(',')}]${f.entry ? `.${f.entry}` : ''} (${f.stage}): ${f.messages.join(' | ')}`);
    expect(failures).toEqual([]);
    for (const shader of Object.keys(SHADER_SOURCES)) {
      const s = r.shaders[shader];
      expect(s, `${shader} was not compiled`).toBeDefined();
      expect(s.modules + s.skipped, shader).toBe(moduleVariants({ [shader]: SHADER_SOURCES[shader as keyof typeof SHADER_SOURCES] }).length);
      expect(s.pipelines, `${shader}: no pipeline compiled`).toBeGreaterThan(0);
    }
  }, 560_000);
}
