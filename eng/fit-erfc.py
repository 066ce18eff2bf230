#!/usr/bin/python3
"""Fits the Q(t) of SpecialMath's erfc form, erfc z = t * exp(-z^2) * Q(t), t = 1 / (1 + T z), on z in [0, 10.5]:
relative minimax by Lawson-weighted least squares on Chebyshev nodes in t, for a scan of T; then evaluates the float32
Horner form (each fused step rounded once) against the double erfc. Prints the C# constants.
Run: /usr/bin/python3 eng/fit-erfc.py   (numpy; Debian's python3-numpy)."""
import math
import numpy as np

ZMAX, DEGREE, NODES = 10.5, 8, 6000


def fit(T, deg=DEGREE, iters=150):
    tlo = 1 / (1 + T * ZMAX)
    k = np.arange(NODES)
    t = tlo + (1 - tlo) * (np.cos(np.pi * (k + 0.5) / NODES) + 1) / 2
    z = (1 / t - 1) / T
    F = np.array([math.erfc(v) * math.exp(v * v) for v in z]) / t  # the Q that makes the form exact
    V = np.vander(t, deg + 1, increasing=True)
    w, best = np.ones(NODES), None
    for _ in range(iters):
        q, *_ = np.linalg.lstsq(V * (w / F)[:, None], w, rcond=None)
        err = V @ q / F - 1
        m = np.max(np.abs(err))
        if best is None or m < best[0]:
            best = (m, q)
        w = w * np.abs(err)
        w /= w.sum() / NODES
    return best


scan = sorted((fit(T, iters=80)[0], T) for T in np.arange(0.30, 0.45, 0.005))
T = float(np.float32(scan[0][1]))
m, q = fit(T)
q32 = q.astype(np.float32)
f32 = np.float32


def form(z):  # t * Q(t) in float32, as the kernels evaluate it
    z = f32(z)
    t = f32(f32(1) / f32(f32(1) + f32(T) * z))
    acc = q32[-1]
    for c in q32[-2::-1]:
        acc = f32(np.float64(acc) * np.float64(t) + np.float64(c))
    return float(t) * float(acc)


worst = max(abs(form(z) / (math.erfc(float(f32(z))) * math.exp(float(f32(z)) ** 2)) - 1) for z in np.linspace(0, ZMAX, 20001))
print(f"T = {T}f, fit error {m:.3g} relative, float32 evaluation worst {worst:.3g} relative")
print(", ".join(f"Q{i} = {c:.9e}f" for i, c in enumerate(q32)))
