// Assertions for pages (no test framework in the browser): throw an Error naming the element.
import type { NestedArray } from 'webgrad';

type Values = ArrayLike<number> | NestedArray;

function toFlat(x: Values): number[] {
  if (typeof x === 'number' || typeof x === 'boolean') return [Number(x)];
  if (Array.isArray(x)) return (x as NestedArray[]).flatMap((v) => toFlat(v));
  return Array.from(x as ArrayLike<number>);
}

/** Every element within atol + rtol * |expected| (defaults: float32 tolerances). */
export function assertClose(what: string, actual: Values, expected: Values, tol: { rtol?: number; atol?: number } = {}): void {
  const a = toFlat(actual);
  const e = toFlat(expected);
  if (a.length !== e.length) throw new Error(`${what}: ${a.length} elements, expected ${e.length}`);
  const rtol = tol.rtol ?? 1e-5;
  const atol = tol.atol ?? 1e-6;
  for (let i = 0; i < a.length; i++) {
    if (!(Math.abs(a[i] - e[i]) <= atol + rtol * Math.abs(e[i]))) {
      throw new Error(`${what}: element ${i} is ${a[i]}, expected ${e[i]} (rtol ${rtol}, atol ${atol}); got [${a.slice(0, 8).join(', ')}${a.length > 8 ? ', ...' : ''}]`);
    }
  }
}

/** Bit-exact equality (round trips). */
export function assertEqual(what: string, actual: Values, expected: Values): void {
  assertClose(what, actual, expected, { rtol: 0, atol: 0 });
}

export function assert(cond: unknown, message: string): asserts cond {
  if (!cond) throw new Error(message);
}
