/**
 * Options validation: the one mechanism every public function that takes an options object
 * uses, so that no argument is ever silently ignored.
 *
 * A function declares its options once (names, types, defaults, accepted aliases) as a spec
 * built from `option.*`, and calls `parseOptions(op, given, spec)` first thing. The result is
 * typed from the spec: options with a default are always set, the others may be undefined.
 *
 * ```ts
 * import { option, parseOptions, type OptionsOf } from '../options.ts';
 *
 * const SUM_OPTIONS = {
 *   axis: option.axes({ aliases: ['dim'] }),                        // PyTorch's name is accepted too
 *   keepDims: option.boolean({ default: false, aliases: ['keepdim'] }),
 * };
 * export type SumOptions = OptionsOf<typeof SUM_OPTIONS>;          // { axis?: number | number[]; keepDims?: boolean; ... }
 *
 * export function sum(x: Tensor, opts?: SumOptions): Tensor {
 *   const { axis, keepDims } = parseOptions('sum', opts, SUM_OPTIONS);
 *   ...
 * }
 * ```
 *
 * What `parseOptions` refuses, always with a `ValueError` naming the op:
 * - an unknown key: the message lists the valid keys and suggests the camelCase name for a
 *   snake_case one (`requires_grad` -> "did you mean 'requiresGrad'?"), or a near miss;
 * - a value of the wrong type or range: an `ArgumentTypeError` (a ValueError) naming the
 *   option, what was expected and what was given (an unknown dtype name is a DTypeError);
 * - the same option under two names (`{ axis: 0, dim: 1 }`);
 * - anything that is not a plain object (a number, an array, a Tensor) where an options object
 *   was expected. A function that also accepts a call form (`x.sum(1)`) must recognise that form
 *   itself before calling parseOptions.
 * An option given as `undefined` counts as not given (its default applies).
 *
 * `parseArg(op, name, value, spec)` checks one positional argument with the same specs.
 */
import { ArgumentTypeError, DTypeError, ValueError } from './errors.ts';
import type { DType } from './tensor.ts';

/** One declared option: what it accepts, its default, and the other names it may be given under. */
export interface OptionSpec<T = unknown, HasDefault extends boolean = boolean, Input = T, Alias extends string = string> {
  /** Human-readable description of the accepted values, used in error messages ("a number >= 0"). */
  readonly expected: string;
  readonly accepts: (v: unknown) => boolean;
  /** Maps an accepted value to its canonical form (e.g. dtype 'float32' -> 'f32'). */
  readonly normalize?: (v: unknown) => T;
  readonly default: T | undefined;
  readonly hasDefault: HasDefault;
  /** The error a refused value raises (default ArgumentTypeError; a bad dtype is a DTypeError). */
  readonly error?: new (op: string, detail: string) => Error;
  /** Other accepted names (PyTorch's or TF.js's spelling, e.g. 'dim' for 'axis'). */
  readonly aliases: readonly Alias[];
  /** Type-only markers: the validated value type and what callers may write (e.g. 'float32'). */
  readonly __type?: T;
  readonly __input?: Input;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any Input type
export type OptionsSpec = Record<string, OptionSpec<unknown, boolean, any, string>>;

type ValueOf<O> = O extends OptionSpec<infer T, boolean, unknown> ? T : never;
type InputOf<O> = O extends { __input?: infer I } ? I : never;

/** The validated result: options with a default are always present. */
export type ParsedOptions<S extends OptionsSpec> = {
  [K in keyof S]: S[K] extends OptionSpec<infer T, true, unknown> ? T : ValueOf<S[K]> | undefined;
};

/** The user-facing options type of a spec (every option optional, aliases included as keys). */
export type OptionsOf<S extends OptionsSpec> = { [K in keyof S]?: InputOf<S[K]> } & {
  [K in keyof S as S[K] extends OptionSpec<unknown, boolean, unknown, infer A> ? A : never]?: InputOf<S[K]>;
};

/** Common settings of every option builder. */
export interface OptionConfig<T> {
  default?: T;
  aliases?: readonly string[];
}

type Made<T, C, I = T> = OptionSpec<
  T,
  C extends { default: unknown } ? true : false,
  I,
  C extends { aliases: readonly (infer A extends string)[] } ? A : never
>;

function make<T, C extends OptionConfig<T>, I = T>(
  expected: string,
  accepts: (v: unknown) => boolean,
  cfg: C | undefined,
  normalize?: (v: unknown) => T,
  error?: new (op: string, detail: string) => Error,
): Made<T, C, I> {
  const hasDefault = cfg !== undefined && 'default' in cfg && cfg.default !== undefined;
  return {
    expected,
    accepts,
    normalize,
    error,
    default: cfg?.default,
    hasDefault,
    aliases: cfg?.aliases ?? [],
  } as Made<T, C, I>;
}

const isInt = (v: unknown): v is number => Number.isInteger(v);

export interface NumberConfig extends OptionConfig<number> {
  min?: number;
  max?: number;
  /** Strict lower bound (e.g. lr > 0 would be `greaterThan: 0`). */
  greaterThan?: number;
  integer?: boolean;
  /** Accept +-Infinity (default: only finite numbers). */
  infinite?: boolean;
}

function numberSpec<const C extends NumberConfig>(cfg?: C): Made<number, C> {
  const parts = [cfg?.integer ? 'an integer' : cfg?.infinite ? 'a number' : 'a finite number'];
  if (cfg?.greaterThan !== undefined) parts.push(`> ${cfg.greaterThan}`);
  if (cfg?.min !== undefined) parts.push(`>= ${cfg.min}`);
  if (cfg?.max !== undefined) parts.push(`<= ${cfg.max}`);
  const accepts = (v: unknown): boolean =>
    typeof v === 'number' &&
    !Number.isNaN(v) &&
    (cfg?.infinite || Number.isFinite(v)) &&
    (!cfg?.integer || isInt(v)) &&
    (cfg?.min === undefined || v >= cfg.min) &&
    (cfg?.max === undefined || v <= cfg.max) &&
    (cfg?.greaterThan === undefined || v > cfg.greaterThan);
  return make<number, C>(parts.join(' '), accepts, cfg);
}

/** dtype names accepted everywhere a dtype is taken, with their canonical webgrad name. */
export const DTYPE_ALIASES: Readonly<Record<string, DType>> = { f32: 'f32', i32: 'i32', float32: 'f32', int32: 'i32' };

/** Builders for option specs. Each takes `{ default?, aliases? }` plus its own settings. */
export const option = {
  boolean: <const C extends OptionConfig<boolean> = Record<never, never>>(cfg?: C) =>
    make<boolean, C>('a boolean', (v) => typeof v === 'boolean', cfg),
  number: numberSpec,
  integer: <const C extends NumberConfig = Record<never, never>>(cfg?: C) => numberSpec({ ...cfg, integer: true } as C),
  string: <const C extends OptionConfig<string> = Record<never, never>>(cfg?: C) =>
    make<string, C>('a string', (v) => typeof v === 'string', cfg),
  /** One of a fixed set of strings (e.g. reduction: 'mean' | 'sum' | 'none'). */
  oneOf: <const V extends readonly string[], const C extends OptionConfig<V[number]> = Record<never, never>>(values: V, cfg?: C) =>
    make<V[number], C>(`one of ${values.map((v) => `'${v}'`).join(', ')}`, (v) => values.includes(v as string), cfg),
  /** A tensor dtype: 'f32' | 'i32', also spelled 'float32' | 'int32' (normalised to 'f32' | 'i32'). */
  dtype: <const C extends OptionConfig<DType> = Record<never, never>>(cfg?: C) =>
    make<DType, C, DType | 'float32' | 'int32'>(
      "a dtype: 'f32' (or 'float32') or 'i32' (or 'int32')",
      (v) => typeof v === 'string' && Object.hasOwn(DTYPE_ALIASES, v),
      cfg,
      (v) => DTYPE_ALIASES[v as string],
      DTypeError,
    ),
  /** One axis (an integer; negative counts from the end). */
  axis: <const C extends OptionConfig<number> = Record<never, never>>(cfg?: C) => make<number, C>('an integer axis', isInt, cfg),
  /** An axis or a list of axes. */
  axes: <const C extends OptionConfig<number | number[]> = Record<never, never>>(cfg?: C) =>
    make<number | number[], C, number | readonly number[]>(
      'an integer axis or an array of integer axes',
      (v) => isInt(v) || (Array.isArray(v) && v.every(isInt)),
      cfg,
      (v) => (Array.isArray(v) ? [...v] : (v as number)),
    ),
  /** A shape: an array of non-negative integers. */
  shape: <const C extends OptionConfig<readonly number[]> = Record<never, never>>(cfg?: C) =>
    make<readonly number[], C>(
      'a shape (an array of non-negative integers)',
      (v) => Array.isArray(v) && v.every((d) => isInt(d) && d >= 0),
      cfg,
    ),
  function: <F extends (...args: never[]) => unknown, const C extends OptionConfig<F> = Record<never, never>>(cfg?: C) =>
    make<F, C>('a function', (v) => typeof v === 'function', cfg),
  /** Anything else: `expected` describes it, `accepts` decides. */
  custom: <T, const C extends OptionConfig<T> = Record<never, never>>(expected: string, accepts: (v: unknown) => boolean, cfg?: C) =>
    make<T, C>(expected, accepts, cfg),
};

/** A short description of a value for error messages: "number 1", "string 'x'", "Tensor [2, 3] f32". */
export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return `${typeof v} ${String(v)}`;
  if (typeof v === 'string') return `string '${v.length > 40 ? `${v.slice(0, 40)}...` : v}'`;
  if (typeof v === 'function') return 'a function';
  if (typeof v === 'symbol') return 'a symbol';
  if (Array.isArray(v)) {
    const shown = v.slice(0, 6).map((x) => (typeof x === 'object' && x !== null ? '...' : String(x)));
    return `array [${shown.join(', ')}${v.length > 6 ? ', ...' : ''}]`;
  }
  if (ArrayBuffer.isView(v)) return `${v.constructor.name}(${(v as unknown as ArrayLike<number>).length ?? v.byteLength})`;
  const o = v as { __isTensor?: boolean; shape?: readonly number[]; dtype?: string };
  if (o.__isTensor) return `Tensor [${(o.shape ?? []).join(', ')}] ${o.dtype ?? ''}`.trim();
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null && proto?.constructor?.name) return `a ${proto.constructor.name}`;
  return `object { ${Object.keys(v).join(', ')} }`;
}

/** Whether `v` is a plain object literal (what an options argument must be). */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

const snakeToCamel = (k: string) => k.replace(/_+([a-z0-9])/gi, (_, c: string) => c.toUpperCase());

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0];
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = d[j];
      d[j] = Math.min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return d[b.length];
}

/** The accepted name closest to an unknown key, if one is close enough to be a likely typo. */
function suggest(key: string, names: string[]): string | undefined {
  const camel = snakeToCamel(key);
  const lower = key.toLowerCase().replace(/_/g, '');
  return (
    names.find((n) => n === camel) ??
    names.find((n) => n.toLowerCase() === lower) ??
    names.find((n) => key.length >= 3 && editDistance(key.toLowerCase(), n.toLowerCase()) <= (key.length < 5 ? 1 : 2)) ??
    names.find((n) => key.length >= 5 && commonPrefix(lower, n.toLowerCase()) >= key.length - 1) // 'reduce' -> 'reduction'
  );
}

function commonPrefix(a: string, b: string): number {
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return i;
}

/** "axis (or dim), keepDims (or keepdim)" */
export function describeKeys(spec: OptionsSpec): string {
  const keys = Object.entries(spec).map(([k, s]) => (s.aliases.length ? `${k} (or ${s.aliases.join(', ')})` : k));
  return keys.length ? keys.join(', ') : '(none)';
}

function checkValue<T>(op: string, name: string, v: unknown, s: OptionSpec<T, boolean, unknown, string>, what: string): T {
  if (!s.accepts(v)) throw new (s.error ?? ArgumentTypeError)(op, `${what} '${name}' must be ${s.expected}, got ${describeValue(v)}`);
  return s.normalize ? s.normalize(v) : (v as T);
}

/**
 * Validate an options argument against its spec and return every option (defaults filled in).
 * `given` may be undefined (all defaults). See the file comment for what is refused.
 */
export function parseOptions<S extends OptionsSpec>(op: string, given: unknown, spec: S): ParsedOptions<S> {
  if (given !== undefined && !isPlainObject(given)) {
    throw new ArgumentTypeError(op, `expected an options object { ${describeKeys(spec)} }, got ${describeValue(given)}`);
  }
  const byName = new Map<string, string>();
  for (const [k, s] of Object.entries(spec)) {
    byName.set(k, k);
    for (const a of s.aliases) byName.set(a, k);
  }
  const out: Record<string, unknown> = {};
  const from: Record<string, string> = {};
  for (const [key, v] of Object.entries(given ?? {})) {
    const canonical = byName.get(key);
    if (canonical === undefined) {
      const hint = suggest(key, [...byName.keys()]);
      const valid = Object.keys(spec).length ? `valid options: ${describeKeys(spec)}` : 'it takes no options';
      throw new ValueError(op, `unknown option '${key}'${hint ? ` (did you mean '${hint}'?)` : ''}; ${valid}`);
    }
    if (v === undefined) continue;
    if (canonical in from) {
      throw new ValueError(op, `option '${canonical}' was given twice, as '${from[canonical]}' and as '${key}'; give one`);
    }
    from[canonical] = key;
    out[canonical] = checkValue(op, key, v, spec[canonical], 'option');
  }
  for (const [k, s] of Object.entries(spec)) if (!(k in out)) out[k] = s.default;
  return out as ParsedOptions<S>;
}

/** Validate one positional argument with an option spec (its default applies when undefined). */
export function parseArg<T, D extends boolean>(op: string, name: string, value: unknown, spec: OptionSpec<T, D, unknown, string>): D extends true ? T : T | undefined {
  if (value === undefined) return spec.default as D extends true ? T : T | undefined;
  return checkValue<T>(op, name, value, spec as OptionSpec<T>, 'argument') as D extends true ? T : T | undefined;
}
