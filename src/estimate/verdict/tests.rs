//! Unit tests of the tail verdict: rates on seeded samples of known laws, the decision rule's
//! guards, integer data, the moment estimator on Pareto, Clauset et al. 2009 Table 6.1, the checks.

use super::*;
use crate::dist::Law;
use crate::report::{CheckOptions, Paper};

fn fast_opts() -> VerdictOptions {
    let mut o = VerdictOptions::default();
    o.gof.refit_xmin = false;
    o.gof.replicates = 50;
    o
}

/// Validation rates over 8 seeds at n = 10 000.
///
/// False-positive rates of these assertions: for the exact Pareto the heavy rule fails mainly
/// when the GOF p < 0.1 (probability ≈ 0.1 under the null, less with the fixed-x_min
/// bootstrap, which biases p upward), so P(≥ 4 of 8 not heavy) ≈ Σ_{j>=4} C(8,j)0.1^j0.9^{8−j}
/// ≈ 0.005. For the light laws the exponential beats the power law on the top 10 % with power
/// ≈ 1 at this n; "≥ 6 of 8" leaves room for two misses. Seeds are fixed, so the test is
/// deterministic; the rates say how unlucky a seed set would have to be to fail.
#[test]
fn verdict_rates_on_known_laws() {
    let o = fast_opts();
    let laws = [
        (
            "pareto2.5",
            Law::pareto(1.0, 2.5).unwrap(),
            false,
            TailVerdict::Heavy,
            5,
        ),
        (
            "t3+",
            Law::student_t(3.0, 0.0, 1.0).unwrap(),
            true,
            TailVerdict::Heavy,
            5,
        ),
        (
            "normal",
            Law::normal(0.0, 1.0).unwrap(),
            false,
            TailVerdict::Light,
            6,
        ),
        (
            "exp",
            Law::exponential(1.0).unwrap(),
            false,
            TailVerdict::Light,
            6,
        ),
        (
            "weibull2",
            Law::weibull(2.0, 1.0).unwrap(),
            false,
            TailVerdict::Light,
            6,
        ),
    ];
    for (name, law, pp, want, min_hits) in &laws {
        let mut hits = 0;
        let mut opposite = 0;
        for seed in 0..8u64 {
            let x = seeded_sample(law, 10_000, seed, &format!("tails/test/{name}"), *pp);
            let v = verdict(&x, &o, seed).unwrap().verdict;
            hits += usize::from(v == *want);
            opposite += usize::from(v != *want && v != TailVerdict::Undetermined);
        }
        assert!(hits >= *min_hits, "{name}: {hits}/8 {want:?}");
        // the opposite verdict is the costly error: at most one in 8
        assert!(opposite <= 1, "{name}: {opposite}/8 opposite verdicts");
    }
    // lognormal(0, 1): heavy in Kwa et al.'s sense, not a power law. Expected: heavy or
    // undetermined, never light (measured: 1 heavy, 3 undetermined in 4 seeds at n = 1e4).
    let ln = Law::lognormal(0.0, 1.0).unwrap();
    for seed in 0..8u64 {
        let x = seeded_sample(&ln, 10_000, seed, "tails/test/lognormal", false);
        let r = verdict(&x, &o, seed).unwrap();
        assert_ne!(
            r.verdict,
            TailVerdict::Light,
            "seed {seed}: {}",
            r.evidence.rule
        );
    }
}

/// Issue 14: "heavy" only when the power law is significantly favoured over the exponential.
/// Student-t(3) at n = 5000 often has R > 0 without significance (Vuong's σ̂ is dominated by
/// the largest values); before, the sign alone gave "heavy" there. None of those samples may
/// be heavy now, and the rule says why.
#[test]
fn heavy_needs_a_significant_lr_test() {
    let o = fast_opts();
    let t3 = Law::student_t(3.0, 0.0, 1.0).unwrap();
    let mut not_significant = 0;
    for rep in 0..6 {
        let x = seeded_sample(&t3, 5_000, 0, &format!("tails/check/t3/{rep}"), true);
        let r = verdict(&x, &o, 0).unwrap();
        let t = &r.evidence.tests[0];
        if t.p_value >= o.significance {
            not_significant += 1;
            assert_ne!(
                r.verdict,
                TailVerdict::Heavy,
                "p = {}: {}",
                t.p_value,
                r.evidence.rule
            );
            if t.statistic > 0.0 {
                assert!(
                    r.evidence.rule.contains("not significantly"),
                    "{}",
                    r.evidence.rule
                );
            }
        }
    }
    assert!(not_significant > 0, "no sample exercised the rule");
}

/// Issue 14: integer data get x̂_min from the discrete power law (the synthetic counts of
/// `discrete::tests`: body uniform on 1..=6, discrete power law α = 2 from 7): the verdict's
/// threshold is 7 (the continuous scan used before picks another) and a note says so.
#[test]
fn integer_data_use_the_discrete_threshold() {
    use rand::RngExt;
    let mut rng = crate::sim::seeds::stream_rng(5, "tails/test/discrete");
    let z7 = crate::estimate::discrete::hurwitz_zeta(2.0, 7.0).unwrap();
    let mut x: Vec<f64> = (0..6_000)
        .map(|_| (1.0 + (rng.random::<f64>() * 6.0).floor()).min(6.0))
        .collect();
    for _ in 0..3_000 {
        let u: f64 = 1.0 - rng.random::<f64>();
        let sf = |v: f64| crate::estimate::discrete::hurwitz_zeta(2.0, v + 1.0).unwrap() / z7;
        let mut v = (6.5 / u + 0.5).floor().max(7.0);
        while sf(v) > u {
            v += 1.0;
        }
        while v > 7.0 && sf(v - 1.0) <= u {
            v -= 1.0;
        }
        x.push(v);
    }
    let r = verdict(&x, &fast_opts(), 1).unwrap();
    assert!(r.integer_data);
    assert_eq!(r.x_min, 7.0, "{:?}", r.evidence.discrete);
    assert!(r
        .evidence
        .notes
        .iter()
        .any(|n| n.contains("discrete power law")));
}

#[test]
fn refit_bootstrap_and_thread_independence() {
    let x = seeded_sample(
        &Law::pareto(1.0, 2.5).unwrap(),
        5_000,
        7,
        "tails/test/refit",
        false,
    );
    let mut o = VerdictOptions::default();
    o.gof.replicates = 30;
    o.gof.refit_xmin = true;
    let run = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| verdict(&x, &o, 3).unwrap())
    };
    let (a, b) = (run(1), run(2));
    assert_eq!(a.evidence.tests, b.evidence.tests);
    assert_eq!(a.verdict, TailVerdict::Heavy, "{}", a.evidence.rule);
    // Hill at k = n_tail − 1 relates to the PL MLE on the same tail: 1/γ̂ = (α̂ − 1)k/(k+1)
    let TailModel::PowerLaw { alpha } = a.evidence.fits[0].model else {
        panic!()
    };
    let k = a.k as f64;
    crate::numerics::tolerance::assert_close(
        1.0 / a.hill_gamma,
        (alpha - 1.0) * k / (k + 1.0),
        crate::numerics::Tolerance::rel(1e-10),
    );
    // γ = 1/2.5 = 0.4 inside the CI
    assert!(a.gamma_ci.0 < 0.4 && 0.4 < a.gamma_ci.1, "{:?}", a.gamma_ci);
}

#[test]
fn bad_input_is_typed() {
    let o = fast_opts();
    assert!(matches!(verdict(&[], &o, 0), Err(Error::Empty { .. })));
    assert!(matches!(
        verdict(&[1.0; 50], &o, 0),
        Err(Error::TooShort {
            min: MIN_SAMPLE,
            len: 50,
            ..
        })
    ));
    let mut x: Vec<f64> = (1..=200).map(f64::from).collect();
    x[7] = f64::NAN;
    assert!(matches!(verdict(&x, &o, 0), Err(Error::NotFinite { .. })));
    x[7] = f64::INFINITY;
    assert!(matches!(verdict(&x, &o, 0), Err(Error::NotFinite { .. })));
    let e = verdict(&[2.5; 200], &o, 0).unwrap_err().to_string();
    assert!(e.contains("all 200 values equal"), "{e}");
    let neg: Vec<f64> = (1..=200).map(|i| -f64::from(i)).collect();
    let e = verdict(&neg, &o, 0).unwrap_err().to_string();
    assert!(e.contains("shift") && e.contains("0 of 200"), "{e}");
    assert!(matches!(
        moment_estimator(&[3.0, 2.0]),
        Err(Error::TooShort { .. })
    ));
}

#[test]
fn moment_estimator_recovers_pareto_shape() {
    // exact Pareto(α = 2): γ = 0.5, asymptotic SE √(1 + γ²)/√k
    let x = seeded_sample(
        &Law::pareto(1.0, 2.0).unwrap(),
        50_000,
        1,
        "tails/test/moment",
        false,
    );
    let top = crate::estimate::top_descending(&x, 5_001);
    let (g, v) = moment_estimator(&top).unwrap();
    let se = (v / 5_000.0).sqrt();
    assert!(
        (g - 0.5).abs() <= crate::numerics::tol::MC_Z * se,
        "γ̂_M = {g}, SE {se}"
    );
    // an evenly spaced grid on [1, 2] (uniform quantiles): bounded tail, γ = −1
    let w: Vec<f64> = (0..20_001).map(|i| 2.0 - f64::from(i) / 20_000.0).collect();
    let (g, _) = moment_estimator(&w[..2_001]).unwrap();
    assert!(g < -0.8, "uniform top: γ̂_M = {g}");
}

/// Clauset, Shalizi & Newman 2009, Table 6.1 (continuous fits), quoted: blackouts
/// x_min = 230 (×10³) ± 90, α = 2.3 ± 0.3, n_tail = 59 ± 35; solar flares x_min = 323 ± 89,
/// α = 1.79 ± 0.02, n_tail = 1711 ± 384; surnames x_min = 111.92 (×10³) ± 40.67, α = 2.5 ± 0.2,
/// n_tail = 239 ± 215. x_min and n_tail are reproduced exactly (surnames x_min to the printed
/// 0.01 × 10³), α to half a unit of the printed last digit.
#[test]
fn clauset2009_table_6_1() {
    let go = GofOptions {
        min_tail: 2,
        max_candidates: usize::MAX,
        replicates: 1,
        refit_xmin: false,
    };
    for (name, text, xmin, alpha, ntail, dec) in CLAUSET_TABLE_6_1 {
        let mut v = parse_column(text).unwrap();
        v.sort_unstable_by(f64::total_cmp);
        let f = scan_xmin(&v, &go).unwrap();
        assert!((f.x_min - xmin).abs() <= 5.0, "{name}: x_min {}", f.x_min);
        assert_eq!(f.n_tail, ntail, "{name}");
        assert!(
            (f.alpha - alpha).abs() <= 0.5 * 10f64.powi(-dec),
            "{name}: α {}",
            f.alpha
        );
    }
}

#[test]
fn checks_hold() {
    let t = std::time::Instant::now();
    let cs = checks(&CheckOptions {
        seed: crate::sim::seeds::DEFAULT_SEED,
        quick: true,
    });
    assert!(cs.len() >= 9);
    for c in &cs {
        assert!(
            c.holds,
            "{} failed: value {} {:?} {}; {}",
            c.id, c.value, c.relation, c.bound, c.detail
        );
        assert_eq!(c.paper, Paper::Tails);
    }
    eprintln!("checks took {:.3} s", t.elapsed().as_secs_f64());
    assert!(t.elapsed().as_secs_f64() < 10.0);
}
