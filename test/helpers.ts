// Shared test helpers: closeness checks against float64 references.
import { expect } from 'vitest';
import { flatten, type NestedArray } from '../src/shape.ts';

/** Assert every element of `actual` is within atol + rtol * |expected| of `expected`. */
export function expectClose(actual: ArrayLike<number> | NestedArray, expected: ArrayLike<number> | NestedArray, tol: { rtol?: number; atol?: number } = {}): void {
  const a = toFlat(actual);
  const e = toFlat(expected);
  expect(a.length, 'element count').toBe(e.length);
  const rtol = tol.rtol ?? 1e-5;
  const atol = tol.atol ?? 1e-6;
  let worst = -1;
  let worstErr = 0;
  for (let i = 0; i < a.length; i++) {
    const err = Math.abs(a[i] - e[i]) - (atol + rtol * Math.abs(e[i]));
    if (!(err <= 0) && (worst < 0 || err > worstErr || Number.isNaN(err))) {
      worst = i;
      worstErr = err;
    }
  }
  if (worst >= 0) {
    expect.fail(`element ${worst}: got ${a[worst]}, expected ${e[worst]} (rtol ${rtol}, atol ${atol}); ${a.length} elements`);
  }
}

function toFlat(x: ArrayLike<number> | NestedArray): number[] {
  if (typeof x === 'number' || Array.isArray(x)) return flatten(x as NestedArray);
  return Array.from(x as ArrayLike<number>);
}
