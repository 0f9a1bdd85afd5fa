//! Our estimators against `tailestim` 0.7.0 and `powerlaw` 2.0.0 on four fixed samples
//! (`tests/vectors/tails_reference.json`, made by `tests/vectors/make_tails_vectors.py`; the
//! samples are stored as f64 bit patterns). Tests only.
//!
//! Conventions and tolerances (each number below was checked to fail when our formula is
//! perturbed, e.g. Hill with threshold `X_(k)` instead of `X_(k+1)`):
//! * Hill, Pickands: same convention (`k` upper order statistics, Hill threshold `X_(k+1)`,
//!   Pickands `X_(k)`, `X_(2k)`, `X_(4k)`): relative 1e-10. tailestim sums raw logs by
//!   `np.cumsum`, we sum shifted logs with compensation; the difference is rounding.
//! * moments (DEdH), the double-bootstrap criterion `(M2 − 2M1²)²`: tailestim forms `M2` from
//!   raw-log power sums (`S2/k − 2L·S1/k + L²`), which cancels at small `k`; relative 1e-7
//!   (measured max ~1e-10; the criterion at k = 1 is `(M2 − 2M1²)² = M1⁴`, also compared).
//!   tailestim's moments at `k = 1` is `−∞`/NaN (`M1² = M2`); ours starts at `k = 2`.
//! * biweight kernel-type (Groeneboom et al. 2003): relative 1e-9 at bandwidths with
//!   `⌊nh⌋ >= 3`. tailestim's smallest bandwidth `h = 1/n` indexes its cumsum at −1 (the
//!   whole sample) — a quirk, not compared.
//! * double bootstrap: tailestim's `n1 = ⌊√(n·⌊n/2⌋)⌋` (not `⌊n/2⌋`), Qi's `k*` (the bracket's
//!   exponent halved) rounded, a search from `k = 2`, and its own NumPy streams. Deterministic
//!   check: its recorded `k*` equals Qi's formula on its `k1*`, `k2*`, `n1`, which is our
//!   [`danielsson_k_star`] with the bracket square-rooted. Statistical check with our run at
//!   the same `n1`: `|γ̂_ours(k*) − γ̂_tailestim(k*)| <= 3·γ̂/√min(k*)` (the two `k*` differ by
//!   bootstrap noise; Hill's SE is `γ/√k`).
//! * `powerlaw` power-law MLE at a given `x_min` (`α = 1 + n_t/Σ ln(x/x_min)`) and its KS
//!   distance: relative 1e-10; the tail counts equal. Its default parameter range pins α at 3
//!   (asserted: the default-range α is `3 − 1e-15`-ish where ours is > 3). Its full KS
//!   `x_min` scan: the same `x_min` and α (relative 1e-10) on t3 and lognormal. NOT resolved:
//!   on the Pareto and exponential samples powerlaw's scan reports a `D` at its chosen `x_min`
//!   (0.01203, 0.03707) that is not the KS distance of the power-law fit there (ours at that
//!   `x_min`: 0.01277, 0.04905; at a user-given `x_min` the two agree to 1e-9), so its scan
//!   optimises something else there; those two are printed, not compared.
//! * likelihood ratios (numerical alternatives): ours must fit at least as well
//!   (`R_ours <= R_powerlaw + 1e-3`, asserted everywhere); where powerlaw's optimiser stopped
//!   short by more than 0.05 in R (3 of 23: the stretched exponential on the Pareto and t3
//!   samples, whose β → 0 power-law limit ours reaches) p is not compared; elsewhere
//!   (asserted >= 18 comparisons) measured max |ΔR|: lognormal 1.5e-3, stretched exp. 4e-8,
//!   truncated PL 1.5e-7.
//! * likelihood ratios: exponential — ours is the closed-form MLE `λ̂ = 1/mean(x − x_min)`,
//!   powerlaw 2.0 maximises numerically (measured |ΔR| = 2e-8 at the optimum, second order in
//!   its parameter error): R to absolute 1e-6 (+ relative 1e-7), its Vuong p to relative 1e-3
//!   (p = 5e-5 moves by 4e-4 relative with that ΔR). Lognormal, stretched exponential, truncated power law: both sides
//!   maximise numerically (see above). Vuong p to absolute 0.02. The nested truncated-PL
//!   p: ours is the boundary-corrected `½P(χ²₁ >= 2|R|)`, powerlaw's the plain `P(χ²₁ >= 2|R|)`:
//!   `2·p_ours = p_powerlaw` to absolute 0.02. Where powerlaw's truncated PL sits on its
//!   `α >= 0` bound (the exponential sample: its R equals its R vs the exponential) ours, with
//!   α unconstrained, has α̂ < 0 and a higher likelihood (asserted: R_ours < R_powerlaw).
//! * Clauset's `α̂` vs Hill: `1/(α̂ − 1) = H(k)·k/(k+1)` with `k = n_t − 1` (exact identity,
//!   relative 1e-10) — the O(1/k) shift between the two conventions.

use serde_json::Value;

use super::alternatives::{
    fit_exponential, fit_lognormal, fit_power_law, fit_stretched_exp, fit_truncated_power_law,
};
use super::gof::{fit_at, scan_xmin, GofOptions};
use super::hill::hill_all_k;
use super::lrt::{nested_boundary, vuong};
use super::tail_index::{kernel_type_biweight, moments_all_k, pickands_all_k};
use super::threshold::{danielsson_k_star, dbs_criterion, double_bootstrap, DoubleBootstrapConfig};

const JSON: &str = include_str!("../../tests/vectors/tails_reference.json");

fn doc() -> Value {
    serde_json::from_str(JSON).expect("tails_reference.json parses")
}

fn sample(s: &Value) -> Vec<f64> {
    s["bits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| f64::from_bits(b.as_u64().unwrap()))
        .collect()
}

fn nums(v: &Value) -> Vec<Option<f64>> {
    v.as_array().unwrap().iter().map(Value::as_f64).collect()
}

fn usizes(v: &Value) -> Vec<usize> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as usize)
        .collect()
}

#[track_caller]
fn close(what: &str, ours: f64, theirs: f64, rel: f64, abs: f64) {
    let d = (ours - theirs).abs();
    assert!(
        d <= abs + rel * theirs.abs(),
        "{what}: ours {ours} vs reference {theirs} (|diff| {d:e}, rel {rel:e}, abs {abs:e})"
    );
}

fn each_sample(mut f: impl FnMut(&str, &[f64], &Value)) {
    let d = doc();
    let samples = d["samples"].as_object().unwrap();
    assert_eq!(samples.len(), 4);
    for (name, s) in samples {
        let x = sample(s);
        assert_eq!(x.len(), 2000, "{name}");
        f(name, &x, s);
    }
}

#[test]
fn hill_pickands_moments_kernel_match_tailestim() {
    each_sample(|name, x, s| {
        let t = &s["tailestim"];
        let ks = usizes(&t["k"]);
        let n = x.len();
        let hill = hill_all_k(x, n - 1).unwrap();
        for (k, r) in ks.iter().zip(nums(&t["hill"])) {
            close(
                &format!("{name} Hill k={k}"),
                hill[k - 1],
                r.unwrap(),
                1e-10,
                0.0,
            );
        }
        let mom = moments_all_k(x, n - 1).unwrap();
        for (k, r) in ks.iter().zip(nums(&t["moments"])) {
            if *k >= 2 {
                close(
                    &format!("{name} moments k={k}"),
                    mom[k - 2].gamma,
                    r.unwrap(),
                    1e-7,
                    0.0,
                );
            }
        }
        let pk = pickands_all_k(x, n / 4).unwrap();
        for (k, r) in usizes(&t["pickands_k"]).iter().zip(nums(&t["pickands"])) {
            close(
                &format!("{name} Pickands k={k}"),
                pk[k - 1].gamma,
                r.unwrap(),
                1e-10,
                0.0,
            );
        }
        let alpha = t["kernel_biweight_alpha"].as_f64().unwrap();
        let (hs, xis): (Vec<f64>, Vec<f64>) = nums(&t["kernel_biweight_h"])
            .into_iter()
            .zip(nums(&t["kernel_biweight_xi"]))
            .filter_map(|(h, v)| Some((h?, v?)))
            .filter(|(h, _)| (n as f64 * h).floor() >= 3.0)
            .unzip();
        assert!(hs.len() >= 40, "{name}: {} bandwidths", hs.len());
        let ours = kernel_type_biweight(x, &hs, alpha).unwrap();
        for ((h, o), r) in hs.iter().zip(&ours).zip(&xis) {
            close(&format!("{name} kernel-type h={h}"), *o, *r, 1e-9, 1e-12);
        }
        // the double-bootstrap criterion on the full sample
        let mut desc = x.to_vec();
        desc.sort_by(|a, b| b.total_cmp(a));
        let logs: Vec<f64> = desc.iter().map(|v| v.ln()).collect();
        let mut crit = vec![0.0; n - 1];
        dbs_criterion(&logs, n - 1, &mut crit);
        for (k, r) in ks.iter().zip(nums(&t["dbs_criterion"])) {
            close(
                &format!("{name} DBS criterion k={k}"),
                crit[k - 1],
                r.unwrap(),
                1e-7,
                1e-300,
            );
        }
    });
}

#[test]
fn double_bootstrap_conventions_and_agreement_with_tailestim() {
    each_sample(|name, x, s| {
        let d = &s["tailestim"]["double_bootstrap"];
        let g = |k: &str| d[k].as_u64().unwrap() as usize;
        let (n1, n2, k1, k2, kstar) = (g("n1"), g("n2"), g("k1"), g("k2"), g("k_star"));
        let n = x.len();
        // tailestim's n1 = ⌊√(n·⌊n/2⌋)⌋, n2 = ⌊n1²/n⌋
        assert_eq!(n1, ((n * (n / 2)) as f64).sqrt().floor() as usize, "{name}");
        assert_eq!(n2, n1 * n1 / n, "{name}");
        // its k* is Qi's: our Danielsson k* with the bracket square-rooted, rounded
        let ours_formula = danielsson_k_star(k1, k2, n1);
        let kk = (k1 * k1) as f64 / k2 as f64;
        let qi = kk * (ours_formula / kk).sqrt();
        assert_eq!(qi.round() as usize, kstar, "{name}: Qi k* {qi}");
        // our double bootstrap at the same n1 and B
        let cfg = DoubleBootstrapConfig {
            replicates: 500,
            n1_fraction: (n1 as f64 + 0.5) / n as f64,
            seed: 7,
        };
        let r = double_bootstrap(x, &cfg).unwrap();
        assert_eq!((r.n1, r.n2), (n1, n2), "{name}");
        let gt = d["gamma_star"].as_f64().unwrap();
        eprintln!(
            "{name}: ours k*={} (k1 {}, k2 {}) γ̂={:.4}; tailestim k*={kstar} (k1 {k1}, k2 {k2}) γ̂={gt:.4}",
            r.k, r.k1, r.k2, r.gamma
        );
        let se = gt / (r.k.min(kstar) as f64).sqrt();
        // both k* from the same AMSE criterion: within a factor 2 of each other
        assert!(
            r.k >= 2 && 2 * r.k >= kstar && r.k <= 2 * kstar,
            "{name}: ours k* = {}, tailestim k* = {kstar}",
            r.k
        );
        assert!(
            (r.gamma - gt).abs() <= 3.0 * se,
            "{name}: ours k* = {} γ̂ = {}, tailestim k* = {kstar} γ̂ = {gt}",
            r.k,
            r.gamma
        );
    });
}

#[test]
fn power_law_fits_and_likelihood_ratios_match_powerlaw() {
    let mut worst = [0.0f64; 3];
    let mut scans = Vec::new();
    let (mut better, mut compared) = (0, 0);
    each_sample(|name, x, s| {
        let p = &s["powerlaw"];
        let mut sorted = x.to_vec();
        sorted.sort_by(f64::total_cmp);
        for row in p["at_xmin"].as_array().unwrap() {
            let xmin = row["xmin"].as_f64().unwrap();
            let nt = row["n_tail"].as_u64().unwrap() as usize;
            let f = fit_at(&sorted, xmin).unwrap();
            let tag = format!("{name} x_min={xmin}");
            assert_eq!(f.n_tail, nt, "{tag}");
            let a = row["alpha"].as_f64().unwrap();
            close(&format!("{tag} α"), f.alpha, a, 1e-10, 0.0);
            close(
                &format!("{tag} KS"),
                f.ks,
                row["ks"].as_f64().unwrap(),
                1e-9,
                1e-12,
            );
            // powerlaw's default range [0, 3] pins α; ours is not clamped
            let ad = row["alpha_default_range"].as_f64().unwrap();
            if a > 3.0 {
                assert!((ad - 3.0).abs() < 1e-9 && f.alpha > 3.0, "{tag}: {ad}");
            }
            // Clauset vs Hill at k = n_t − 1: 1/(α̂ − 1) = H(k)·k/(k+1)
            let k = nt - 1;
            let h = hill_all_k(x, k).unwrap()[k - 1];
            close(
                &format!("{tag} Hill"),
                1.0 / (f.alpha - 1.0),
                h * k as f64 / (k + 1) as f64,
                1e-10,
                0.0,
            );

            let tail = &sorted[sorted.len() - nt..];
            let pl = fit_power_law(tail, xmin).unwrap();
            let ex = fit_exponential(tail, xmin).unwrap();
            let t = vuong(&pl.ln_pdf, &ex.ln_pdf).unwrap();
            let re = &row["exponential"];
            close(
                &format!("{tag} R(exp)"),
                t.r,
                re["R"].as_f64().unwrap(),
                1e-7,
                1e-6,
            );
            close(
                &format!("{tag} p(exp)"),
                t.p_value,
                re["p"].as_f64().unwrap(),
                1e-3,
                1e-9,
            );
            for (i, (key, alt)) in [
                ("lognormal", fit_lognormal(tail, xmin).unwrap()),
                (
                    "stretched_exponential",
                    fit_stretched_exp(tail, xmin).unwrap(),
                ),
                (
                    "truncated_power_law",
                    fit_truncated_power_law(tail, xmin).unwrap(),
                ),
            ]
            .into_iter()
            .enumerate()
            {
                let rr = &row[key];
                let (r_ref, p_ref) = (rr["R"].as_f64().unwrap(), rr["p"].as_f64().unwrap());
                let (r, p) = if key == "truncated_power_law" {
                    let t = nested_boundary(&pl.ln_pdf, &alt.ln_pdf).unwrap();
                    (t.r, 2.0 * t.p_value)
                } else {
                    let t = vuong(&pl.ln_pdf, &alt.ln_pdf).unwrap();
                    (t.r, t.p_value)
                };
                // powerlaw's truncated PL keeps α >= 0 (its range [0, 100]); on the
                // exponential sample it sits on α = 0, i.e. its fit IS the exponential (its
                // R equals R(exp)). Ours is unconstrained (α < 0 allowed) and fits better.
                let on_bound = key == "truncated_power_law"
                    && (r_ref - re["R"].as_f64().unwrap()).abs() < 1e-3;
                if on_bound {
                    let super::alternatives::TailModel::TruncatedPowerLaw { alpha, .. } = alt.model
                    else {
                        panic!("{tag}: not a truncated PL")
                    };
                    assert!(
                        r < r_ref && alpha < 0.0,
                        "{tag}: R {r} vs {r_ref}, α {alpha}"
                    );
                    eprintln!("{tag}: powerlaw's truncated PL on its α = 0 bound (R {r_ref:.4}); ours α = {alpha:.4}, R {r:.4}");
                    continue;
                }
                // our alternative fit is at least as good as powerlaw's (R_ours <= R_ref)
                assert!(
                    r <= r_ref + 1e-3,
                    "{tag} {key}: our alternative fit is worse: R {r} vs {r_ref}"
                );
                if r_ref - r > 0.05 {
                    // powerlaw's optimiser stopped short (e.g. the stretched exponential's
                    // β → 0 power-law limit, where ours reaches R = 0)
                    better += 1;
                    eprintln!("{tag} {key}: ours fits better, R {r:.4} vs powerlaw {r_ref:.4}");
                    continue;
                }
                worst[i] = worst[i].max((r - r_ref).abs());
                compared += 1;
                close(&format!("{tag} p({key})"), p.min(1.0), p_ref, 0.0, 0.02);
            }
        }
        // the full KS x_min scan (every distinct value a candidate)
        let sc = &p["scan"];
        let go = GofOptions {
            min_tail: 2,
            max_candidates: usize::MAX,
            replicates: 1,
            refit_xmin: false,
        };
        let f = scan_xmin(&sorted, &go).unwrap();
        let at_ref = fit_at(&sorted, sc["xmin"].as_f64().unwrap()).unwrap();
        eprintln!("{name} scan: ours x_min {} n_t {} KS {} α {}; at powerlaw's x_min: n_t {} KS {} (powerlaw KS {})", f.x_min, f.n_tail, f.ks, f.alpha, at_ref.n_tail, at_ref.ks, sc["ks"]);
        scans.push((
            name.to_string(),
            f.x_min,
            sc["xmin"].as_f64().unwrap(),
            f.alpha,
            sc["alpha"].as_f64().unwrap(),
            at_ref.ks,
            sc["ks"].as_f64().unwrap(),
        ));
    });
    eprintln!("max |R_ours − R_powerlaw| where both optimisers agree ({compared} of {}): lognormal {:.2e}, stretched exp {:.2e}, truncated PL {:.2e}", compared + better, worst[0], worst[1], worst[2]);
    // most comparisons agree; ours is better in the others (asserted above)
    assert!(
        compared >= 18,
        "{compared} agreeing, {better} where ours is better"
    );
    // powerlaw's full x_min scan: where its reported D is the KS distance of its fit (ours,
    // recomputed at its x_min), the scans pick the same x_min and α
    let mut same = 0;
    for (name, ours_x, ref_x, ours_a, ref_a, ks_here, ks_ref) in &scans {
        if (ks_here - ks_ref).abs() <= 1e-9 {
            close(&format!("{name} scan x_min"), *ours_x, *ref_x, 0.0, 0.0);
            close(&format!("{name} scan α"), *ours_a, *ref_a, 1e-10, 0.0);
            same += 1;
        } else {
            eprintln!("{name}: powerlaw's scan reports D = {ks_ref} at x_min = {ref_x}, but the KS distance of that fit is {ks_here}; not compared");
        }
    }
    assert!(same >= 2, "{same} of 4 scans comparable");
}
