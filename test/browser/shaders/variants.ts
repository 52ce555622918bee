// Every pipeline variant webgrad can build, enumerated from the shader sources themselves
// (src/gpu/shaderSources.ts, generated from shaders/*.wgsl), so a new shader, define or entry
// point is covered without touching this file:
//   - the defines of a shader are the names its `#if` / `#elif` directives test (the same
//     pattern src/gpu/preprocess.ts resolves), and every combination of them is a module, except
//     that defines tested in one `#if` / `#elif` chain are alternatives: a group of more than
//     MAX_FREE_GROUP such defines (an op chosen by a define, as in elementwise.wgsl's U_* / B_*)
//     contributes "none on" and each one on alone, not its 2^n subsets (2^28 would never finish,
//     and with several on the first in the chain wins anyway);
//   - the entry points of a module are the `@compute` functions left after preprocessing;
//   - a module needs the features its `enable` directives name (skipped, and reported, on an
//     adapter without them).
// Override constants keep their WGSL defaults. Two variants whose code reachable from the
// entry point is the same (their defines only change functions the entry never calls) share
// one pipeline compile: the module itself is still created and checked for every combination.
import { preprocess, type Defines } from '../../../src/gpu/preprocess.ts';
import { SHADER_SOURCES, type ShaderName } from '../../../src/gpu/shaderSources.ts';

export interface ModuleVariant {
  shader: ShaderName;
  defines: Defines;
  /** Defines that are on, for labels and reports. */
  on: string[];
  code: string;
  entries: string[];
  /** Features the module's `enable` directives need. */
  features: string[];
}

const DIRECTIVE = /#(?:if|elif)[ \t]+!?([A-Za-z_][A-Za-z0-9_]*)/g;
const ENABLE_FEATURE: Record<string, string> = { subgroups: 'subgroups', f16: 'shader-f16' };

/** The define names a shader's directives test, sorted. */
export function defineNames(source: string): string[] {
  return [...new Set([...source.matchAll(DIRECTIVE)].map((m) => m[1]))].sort();
}

/** WGSL without comments (block comments may nest). */
export function stripComments(code: string): string {
  let out = '';
  let depth = 0;
  for (let i = 0; i < code.length; i++) {
    if (code.startsWith('/*', i)) { depth++; i++; continue; }
    if (depth && code.startsWith('*/', i)) { depth--; i++; continue; }
    if (depth) continue;
    if (code.startsWith('//', i)) { while (i < code.length && code[i] !== '\n') i++; out += '\n'; continue; }
    out += code[i];
  }
  return out;
}

/** The `@compute` entry points of preprocessed WGSL. */
export function entryPoints(code: string): string[] {
  return [...stripComments(code).matchAll(/@compute\b[^{;]*?\bfn\s+([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]);
}

/** Features needed by the module's `enable` directives (unknown extensions are kept by name). */
export function enabledFeatures(code: string): string[] {
  const names = [...stripComments(code).matchAll(/^\s*enable\s+([^;]+);/gm)].flatMap((m) => m[1].split(',').map((s) => s.trim()));
  return names.map((n) => ENABLE_FEATURE[n] ?? n);
}

/** Groups of more than this many chained defines are enumerated one at a time (see the header). */
export const MAX_FREE_GROUP = 3;

/**
 * The define names of a shader, grouped: names tested in the same `#if` / `#elif` chain (directly or
 * through another chain) are one group. Sorted within and across groups.
 */
export function defineGroups(source: string): string[][] {
  const parent = new Map<string, string>();
  const find = (n: string): string => { while (parent.get(n) !== n) n = parent.get(n)!; return n; };
  const union = (a: string, b: string) => { parent.set(find(a), find(b)); };
  const chains: string[][] = [];
  for (const line of source.split('\n')) {
    const m = /^\s*#(if|elif|endif)\b[ \t]*!?([A-Za-z_][A-Za-z0-9_]*)?/.exec(line);
    if (!m) continue;
    if (m[1] === 'endif') { chains.pop(); continue; }
    const name = m[2];
    if (!parent.has(name)) parent.set(name, name);
    if (m[1] === 'if') chains.push([name]);
    else { const chain = chains[chains.length - 1]; if (chain) { union(name, chain[0]); chain.push(name); } }
  }
  const groups = new Map<string, string[]>();
  for (const n of [...parent.keys()].sort()) groups.set(find(n), [...(groups.get(find(n)) ?? []), n]);
  return [...groups.values()].sort((a, b) => a[0].localeCompare(b[0]));
}

/** The on/off states a group contributes: all subsets when small, else none and each one alone. */
function groupStates(group: string[]): string[][] {
  if (group.length <= MAX_FREE_GROUP) {
    return Array.from({ length: 2 ** group.length }, (_, mask) => group.filter((_, i) => ((mask >> i) & 1) === 1));
  }
  return [[], ...group.map((n) => [n])];
}

/** Every define combination of every shader (see the header), deduplicated by code. */
export function moduleVariants(sources: Readonly<Record<string, string>> = SHADER_SOURCES): ModuleVariant[] {
  const out: ModuleVariant[] = [];
  for (const shader of Object.keys(sources).sort() as ShaderName[]) {
    const names = defineNames(sources[shader]);
    const groups = defineGroups(sources[shader]);
    const seen = new Set<string>();
    let combos: string[][] = [[]];
    for (const g of groups) combos = combos.flatMap((c) => groupStates(g).map((st) => [...c, ...st]));
    for (const onList of combos) {
      const on = new Set(onList);
      const defines = Object.fromEntries(names.map((n) => [n, on.has(n)]));
      const code = preprocess(sources[shader], defines);
      if (seen.has(code)) continue;
      seen.add(code);
      out.push({ shader, defines, on: names.filter((n) => defines[n]), code, entries: entryPoints(code), features: enabledFeatures(code) });
    }
  }
  return out;
}

/**
 * The part of `code` a pipeline for `entry` compiles: every declaration that is not a function,
 * plus the functions reachable from `entry` through calls. Used as a dedupe key only.
 */
export function reachableCode(code: string, entry: string): string {
  const src = stripComments(code);
  const fns = new Map<string, string>();
  let rest = '';
  let i = 0;
  const fnStart = /\bfn\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(/g;
  while (i < src.length) {
    fnStart.lastIndex = i;
    const m = fnStart.exec(src);
    if (!m) { rest += src.slice(i); break; }
    rest += src.slice(i, m.index);
    const open = src.indexOf('{', m.index);
    let depth = 0;
    let j = open;
    for (; j < src.length; j++) {
      if (src[j] === '{') depth++;
      else if (src[j] === '}' && --depth === 0) break;
    }
    fns.set(m[1], src.slice(m.index, j + 1));
    i = j + 1;
  }
  const reached = new Set<string>();
  const todo = [entry];
  while (todo.length) {
    const name = todo.pop()!;
    if (reached.has(name) || !fns.has(name)) continue;
    reached.add(name);
    for (const c of fns.get(name)!.matchAll(/\b([A-Za-z_][A-Za-z0-9_]*)\s*\(/g)) if (fns.has(c[1])) todo.push(c[1]);
  }
  const norm = (s: string) => s.replace(/\s+/g, ' ').trim();
  return [norm(rest), ...[...fns].filter(([n]) => reached.has(n)).map(([, t]) => norm(t))].join('\n');
}
