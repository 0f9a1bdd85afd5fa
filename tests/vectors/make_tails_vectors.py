#!/usr/bin/env python3
"""Reference values for the tail estimators, from the Python tools researchers use.

tailestim 0.7.0 (Hill, Pickands, moments, biweight kernel-type estimator, the Hill double
bootstrap with a fixed base_seed) and powerlaw 2.0.0 (continuous power-law MLE at a given x_min,
its KS x_min scan, and loglikelihood_ratio against the exponential, lognormal, stretched
exponential and truncated power law) on four fixed samples that are stored in the JSON as u64
bit patterns, so the Rust tests read them bit-exactly. Versions: see ../shared/baselines/
requirements.txt (numpy 2.4.6, scipy 1.17.1).

powerlaw 2.0 clamps alpha to [0, 3] by default (power law and truncated power law); every fit
here passes parameter_ranges={'alpha': [0, 100]} and records the default-range alpha as well.

Regenerate (about 30 s):
    python3 -m venv /tmp/tvenv && /tmp/tvenv/bin/pip install powerlaw==2.0.0 tailestim==0.7.0 numpy scipy
    /tmp/tvenv/bin/python tests/vectors/make_tails_vectors.py > tests/vectors/tails_reference.json
"""
import json
import struct
import sys
import warnings

import numpy as np
import powerlaw
import scipy
import tailestim
import tailestim.__about__
from tailestim.estimators import tail_methods as tm

warnings.filterwarnings("ignore")
N = 2000
SEED = 20241124
K_GRID = [1, 2, 5, 10, 20, 50, 100, 200, 499, 1000, 1999]
WIDE = {"alpha": [0, 100]}


def bits(x):
    return struct.unpack("<Q", struct.pack("<d", float(x)))[0]


def f(x):
    """JSON number, or null for NaN/inf."""
    x = float(x)
    return x if np.isfinite(x) else None


def samples():
    rng = np.random.default_rng(SEED)
    t3 = rng.standard_t(3, 4 * N)
    return {
        "pareto2.5": rng.pareto(2.5, N) + 1.0,  # Pareto(x_m = 1, alpha = 2.5): gamma = 0.4
        "t3_positive": t3[t3 > 0][:N],  # Student-t(3) right tail: gamma = 1/3
        "lognormal": rng.lognormal(0.0, 1.0, N),  # heavy in Kwa's sense, gamma = 0
        "exponential": rng.exponential(1.0, N) + 1.0,  # light, gamma = 0 (shift keeps it > 0)
    }


def tailestim_block(x):
    o = np.sort(x)[::-1].copy()
    n = len(o)
    ks = [k for k in K_GRID if k < n]
    hill = tm.hill_estimator(o, bootstrap=False)[1]  # entry k-1: k = 1..n-1
    mom = tm.moments_estimator(o, bootstrap=False)[1]
    pk_k, pk = tm.pickands_estimator(o)  # k = 1..floor(n/4)
    kh, kxi = tm.get_biweight_kernel_estimates(o, 50, 0.6)[:2]
    # the criterion the double bootstrap minimises, on the full sample: (M2 - 2 M1^2)^2
    m1, m2 = tm.get_moments_estimates_2(o)
    amse = (m2 - 2.0 * m1**2) ** 2
    dbs = tm.hill_estimator(o, bootstrap=True, t_bootstrap=0.5, r_bootstrap=500,
                            eps_stop=0.99, base_seed=7)
    k_star, xi_star, k1_frac, k2_frac = dbs[2], dbs[3], dbs[6], dbs[10]
    eps = 0.5 * (1 + np.log(int(0.5 * n)) / np.log(n))
    n1 = int(n**eps)
    n2 = int(n1 * n1 / float(n))
    return {
        "k": ks,
        "hill": [f(hill[k - 1]) for k in ks],
        "moments": [f(mom[k - 1]) for k in ks],
        "dbs_criterion": [f(amse[k - 1]) for k in ks],
        "pickands_k": [k for k in ks if k <= n // 4],
        "pickands": [f(pk[k - 1]) for k in ks if k <= n // 4],
        "kernel_biweight_alpha": 0.6,
        "kernel_biweight_h": [f(h) for h in kh],
        "kernel_biweight_xi": [f(v) for v in kxi],
        "double_bootstrap": {
            "r_bootstrap": 500, "t_bootstrap": 0.5, "eps_stop": 0.99, "base_seed": 7,
            "n1": n1, "n2": n2,
            "k1": int(round(k1_frac * n1)), "k2": int(round(k2_frac * n2)),
            "k_star": int(k_star), "gamma_star": f(xi_star),
        },
    }


def powerlaw_block(x):
    o = np.sort(x)
    n = len(o)
    out = {"at_xmin": []}
    for ntail in (100, 400):
        xmin = float(o[n - ntail])
        fit = powerlaw.Fit(x, xmin=xmin, parameter_ranges=WIDE, verbose=0)
        fit_default = powerlaw.Fit(x, xmin=xmin, verbose=0)
        row = {"xmin": xmin, "n_tail": int(fit.power_law.n),
               "alpha": f(fit.power_law.alpha),
               "alpha_default_range": f(fit_default.power_law.alpha),
               "ks": f(fit.power_law.D)}
        for alt in ("exponential", "lognormal", "stretched_exponential", "truncated_power_law"):
            R, p = fit.distribution_compare("power_law", alt, normalized_ratio=False)
            row[alt] = {"R": f(R), "p": f(p),
                        "nested": alt == "truncated_power_law",
                        "loglik_alt": f(np.sum(getattr(fit, alt).loglikelihoods(fit.data)))}
        out["at_xmin"].append(row)
    scan = powerlaw.Fit(x, parameter_ranges=WIDE, verbose=0)
    out["scan"] = {"xmin": f(scan.xmin), "alpha": f(scan.power_law.alpha),
                   "n_tail": int(scan.power_law.n), "ks": f(scan.power_law.D)}
    return out


def main():
    doc = {
        "source": "tests/vectors/make_tails_vectors.py",
        "versions": {"powerlaw": powerlaw.__version__, "tailestim": tailestim.__about__.__version__,
                     "numpy": np.__version__, "scipy": scipy.__version__},
        "note": "samples as u64 bit patterns of f64; tailestim arrays use its descending order "
                "and k = number of upper order statistics (threshold X_(k+1)); powerlaw fits "
                "use parameter_ranges={'alpha': [0, 100]} unless the key says default_range",
        "samples": {},
    }
    for name, x in samples().items():
        print(f"{name} ...", file=sys.stderr)
        doc["samples"][name] = {
            "bits": [bits(v) for v in x],
            "tailestim": tailestim_block(x),
            "powerlaw": powerlaw_block(x),
        }
    json.dump(doc, sys.stdout, separators=(",", ":"))
    print()


if __name__ == "__main__":
    main()
