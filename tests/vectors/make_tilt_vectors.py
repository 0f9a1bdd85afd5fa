#!/usr/bin/env python3
"""Reference values for the exact tilt kernel, computed with mpmath at 50 digits.

Same reference computation as ../shared/baselines/accuracy.py::reference (E_pi[U], E_pi[V],
KL(pi_beta || pi0) for pi0 uniform over N atoms, on the exact float64 atom values), on atoms
generated here without NumPy so the Rust test can read them bit-exactly (stored as u64 bit
patterns). Regenerate: python3 tests/vectors/make_tilt_vectors.py > tests/vectors/tilt_mpmath.json
"""
import json, math, struct
import mpmath as mp

N = 2000
BETAS = [0.1, 0.316, 1.0, 3.16, 10.0, 31.6, 100.0, 316.0, 1e3, 3.16e3, 1e4, 1e5, 1e6]


def lcg(seed):
    # 64-bit LCG (Knuth MMIX constants): deterministic uniform(0,1) floats
    x = seed
    while True:
        x = (6364136223846793005 * x + 1442695040888963407) % 2**64
        yield ((x >> 11) + 0.5) / 2**53


def bits(x):
    return struct.unpack("<Q", struct.pack("<d", x))[0]


g = lcg(20241124)
U, V = [], []
for _ in range(N):
    u1, u2 = next(g), next(g)
    # heavy-ish: Cauchy-like quantile, clipped to keep exp(U/0.1) in range for mpmath; plus light part
    x = math.tan(math.pi * (u1 - 0.5)) * 0.05 + math.sqrt(-2 * math.log(u2)) * 0.5
    U.append(x)
    V.append(0.3 * x + math.cos(7 * u1))

mp.mp.dps = 50
Um = [mp.mpf(u) for u in U]
Vm = [mp.mpf(v) for v in V]
rows = []
for b in BETAS:
    bm = mp.mpf(b)
    w = [mp.exp(u / bm) for u in Um]
    Z = mp.fsum(w)
    eu = mp.fsum(wi * u for wi, u in zip(w, Um)) / Z
    ev = mp.fsum(wi * v for wi, v in zip(w, Vm)) / Z
    kl = eu / bm - mp.log(Z / N)
    rows.append({"beta": b, "mean_u": float(eu), "mean_v": float(ev), "kl": float(kl), "kl_str": mp.nstr(kl, 30)})

print(json.dumps({
    "source": "tests/vectors/make_tilt_vectors.py (mpmath %s, 50 digits); reference as in ../shared/baselines/accuracy.py" % mp.__version__,
    "n": N,
    "u_bits": [bits(u) for u in U],
    "v_bits": [bits(v) for v in V],
    "rows": rows,
}))
