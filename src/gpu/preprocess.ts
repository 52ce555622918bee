// Shader variants: `#if NAME` / `#elif NAME` / `#else` / `#endif` in a .wgsl file are resolved
// with wgsl-preprocessor. Its API is a template tag, so the file is cut at each `#if NAME` into
// template strings, with the define's boolean value as the substitution.
import { wgsl } from 'wgsl-preprocessor/wgsl-preprocessor.js';

/** Variant switches; a name the launcher does not give is false (entry points use subsets). */
export type Defines = Readonly<Record<string, boolean>>;

const DIRECTIVE = /(#(?:if|elif)[ \t]+)(!?)([A-Za-z_][A-Za-z0-9_]*)/g;

export function preprocess(source: string, defines: Defines = {}): string {
  const strings: string[] = [];
  const values: boolean[] = [];
  let last = 0;
  for (const m of source.matchAll(DIRECTIVE)) {
    const name = m[3];
    strings.push(source.slice(last, m.index! + m[1].length));
    const v = Boolean(defines[name]);
    values.push(m[2] === '!' ? !v : v);
    last = m.index! + m[0].length;
  }
  strings.push(source.slice(last));
  const raw = Object.assign([...strings], { raw: strings }) as unknown as TemplateStringsArray;
  return wgsl(raw, ...values);
}
