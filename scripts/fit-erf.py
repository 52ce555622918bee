# Fits the erf / erfc polynomials of shaders/activations.wgsl (GELU's exact form) and prints
# their f32 coefficients and the max relative error of a float32 Horner evaluation of each
# piece. Needs numpy and scipy (Debian: python3-numpy python3-scipy). Not run by the build: the
# coefficients are pasted into the shader; rerun to check or refit them.
import numpy as np
from numpy.polynomial import polynomial as poly
from scipy.special import erf, erfcx


def fit(f, lo, hi, deg, nodes=400):
    """Least squares in relative error on Chebyshev nodes, reweighted towards the worst points."""
    k = np.arange(nodes)
    xs = (lo + hi) / 2 + (hi - lo) / 2 * np.cos(np.pi * (k + 0.5) / nodes)
    y = f(xs)
    w = 1 / np.abs(y)
    for _ in range(30):
        c = poly.polyfit(xs, y, deg, w=w)
        r = np.abs(poly.polyval(xs, c) / y - 1)
        w = w * (1 + 10 * r / r.max())
    return c


def horner32(c, x):
    x = np.float32(x)
    acc = np.float32(c[-1]) * np.ones_like(x)
    for cc in c[-2::-1]:
        acc = (acc * x + np.float32(cc)).astype(np.float32)
    return acc


def show(name, c, err):
    print(f"{name}: max f32 relative error {err:.3g}")
    print("  " + ", ".join(repr(float(np.float32(v))) for v in c))


# erf(z) = z * A(z^2), z in [0, 1)
a = fit(lambda u: erf(np.sqrt(u)) / np.sqrt(u), 1e-12, 1, 7)
z = np.linspace(1e-6, 1, 100001).astype(np.float32)
show("A", a, np.abs(z * horner32(a, z * z) / erf(z.astype(np.float64)) - 1).max())
# erfc(z) = exp(-z^2) * B1(z - 1.75), z in [1, 2.5)
b1 = fit(lambda s: erfcx(s + 1.75), -0.75, 0.75, 10)
z = np.linspace(1, 2.5, 100001).astype(np.float32)
show("B1", b1, np.abs(horner32(b1, (z - np.float32(1.75)).astype(np.float32)) / erfcx(z.astype(np.float64)) - 1).max())
# erfc(z) = exp(-z^2) * B2(1 / z^2) / z, z in [2.5, 10)
b2 = fit(lambda v: erfcx(1 / np.sqrt(v)) / np.sqrt(v), 1 / 100, 1 / 6.25, 8)
z = np.linspace(2.5, 10, 100001).astype(np.float32)
v = (np.float32(1) / (z * z)).astype(np.float32)
show("B2", b2, np.abs(horner32(b2, v) * (np.float32(1) / z) / erfcx(z.astype(np.float64)) - 1).max())
# erfc(z) = exp(-z^2) * B0(z - 0.75), z in [0.5, 1): GELU's Phi for x in (-1.42, -0.7], where
# 1 + erf(z) would cancel
b0 = fit(lambda s: erfcx(s + 0.75), -0.25, 0.25, 8)
z = np.linspace(0.5, 1, 100001).astype(np.float32)
show("B0", b0, np.abs(horner32(b0, (z - np.float32(0.75)).astype(np.float32)) / erfcx(z.astype(np.float64)) - 1).max())
