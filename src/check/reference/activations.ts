// Float64 reference of the activations family (src/ops/activations.ts): GELU (erf and tanh
// forms) and SiLU. JavaScript has no Math.erf, so erf / erfc are computed here in float64 from
// their textbook expansions, independent of the shader's f32 polynomial fits.
import { map } from '../array.ts';
import type { RefFamily } from './types.ts';

/** erf(x) by its Maclaurin series (|x| < 3: terms stay below 200, so ~1e-14 absolute error). */
function erfSeries(x: number): number {
  let term = x;
  let sum = x;
  for (let n = 1; n < 200 && Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
    term *= (-x * x) / n;
    sum += term / (2 * n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

/** erfc(x) for x >= 3 by its continued fraction (modified Lentz), relative error ~1e-15. */
function erfcFraction(x: number): number {
  // erfc(x) = exp(-x^2) / sqrt(pi) * 1 / (x + (1/2) / (x + 1 / (x + (3/2) / (x + 2 / (x + ...)))))
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let k = 1; k < 500; k++) {
    const a = k / 2;
    d = x + a * d;
    d = d === 0 ? tiny : d;
    c = x + a / c;
    c = c === 0 ? tiny : c;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
}

export function erfRef(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (Math.abs(x) < 3) return erfSeries(x);
  return Math.sign(x) * (1 - erfcFraction(Math.abs(x)));
}

export function erfcRef(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x >= 3) return erfcFraction(x);
  if (x <= -3) return 2 - erfcFraction(-x);
  return 1 - erfSeries(x);
}

/** The standard normal CDF, with the tail for x < 0 taken from erfc (no cancellation). */
const phiCdf = (x: number) => 0.5 * erfcRef(-x / Math.SQRT2);
const phiPdf = (x: number) => Math.exp((-x * x) / 2) / Math.sqrt(2 * Math.PI);
const K = Math.sqrt(2 / Math.PI);
const C = 0.044715;

const geluTanh = (x: number) => 0.5 * x * (1 + Math.tanh(K * (x + C * x ** 3)));
function geluTanhGrad(x: number): number {
  const t = Math.tanh(K * (x + C * x ** 3));
  return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * K * (1 + 3 * C * x * x);
}
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

export const ACTIVATIONS_REF: RefFamily<'gelu' | 'silu'> = {
  gelu: {
    forward: ([x], { approximate }) => map(x, approximate === 'tanh' ? geluTanh : (v) => v * phiCdf(v)),
    backward: ([x], { approximate }, g) => [
      map(x, (v, i) => g.data[i] * (approximate === 'tanh' ? geluTanhGrad(v) : phiCdf(v) + v * phiPdf(v))),
    ],
  },
  silu: {
    forward: ([x]) => map(x, (v) => v * sigmoid(v)),
    backward: ([x], _a, g) => [map(x, (v, i) => g.data[i] * sigmoid(v) * (1 + v * (1 - sigmoid(v))))],
  },
};
