//! Unit tests of the tail-class evidence of Kwa et al. 2024 §2.2 / Theorems 5–6 against closed
//! forms (spec §6.8: the Exp(1) ratio is `1 + x`, the normal's `Φ̄(x/√2)/Φ̄(x)`) and of its checks.

use super::checks::instances;
use super::*;
use crate::numerics::tolerance::assert_close;
use crate::numerics::Tolerance;
use crate::report::CheckOptions;

#[test]
fn exponential_ratio_is_one_plus_x() {
    // spec §6.8: Exp(1): P(X1+X2 > x)/P(X > x) = 1 + x exactly
    let l = Law::exponential(1.0).unwrap();
    for x in [0.5, 10.0, 100.0, 1000.0] {
        assert_close(
            subexponential_ratio(&l, x).unwrap(),
            1.0 + x,
            Tolerance::rel(1e-8),
        );
    }
}

#[test]
fn normal_ratio_matches_closed_form_and_diverges() {
    let l = Law::normal(0.0, 1.0).unwrap();
    let n2 = Law::normal(0.0, std::f64::consts::SQRT_2).unwrap();
    let mut prev = 0.0;
    for x in [1.0, 5.0, 10.0, 30.0] {
        let r = subexponential_ratio(&l, x).unwrap();
        assert_close(r, (n2.ln_sf(x) - l.ln_sf(x)).exp(), Tolerance::rel(1e-8));
        assert!(r > prev);
        prev = r;
    }
    assert!(
        prev > 1e90,
        "normal ratio at x = 30 should be astronomically large, got {prev}"
    );
}

#[test]
fn ratios_against_mpmath_convolution() {
    // mpmath 1.3.0 quad at 30 digits of ∫ f(y) F̄(x − y) dy / F̄(x) (t3 with the spec §2.1
    // closed form; lognormal(0,1) with ncdf)
    let t3 = Law::student_t(3.0, 0.0, 1.0).unwrap();
    assert_close(
        subexponential_ratio(&t3, 10.0).unwrap(),
        2.275_914_178_508_561,
        Tolerance::rel(1e-9),
    );
    let ln = Law::lognormal(0.0, 1.0).unwrap();
    assert_close(
        subexponential_ratio(&ln, 100.0).unwrap(),
        2.185_426_447_398_495,
        Tolerance::rel(1e-9),
    );
    // Lévy is stable: X1 + X2 ~ Lévy(0, 4c), so the ratio is a ratio of closed forms
    let l1 = Law::levy(0.0, 1.0).unwrap();
    let l4 = Law::levy(0.0, 4.0).unwrap();
    for x in [3.0, 100.0] {
        assert_close(
            subexponential_ratio(&l1, x).unwrap(),
            l4.sf(x) / l1.sf(x),
            Tolerance::rel(1e-8),
        );
    }
}

#[test]
fn heavy_ratios_tend_to_two() {
    // spec §6.8 (t3 at x = 1e3 within 0.01 of 2)
    let t3 = Law::student_t(3.0, 0.0, 1.0).unwrap();
    let r = subexponential_ratio(&t3, 1e3).unwrap();
    assert!((r - 2.0).abs() < 0.01, "t3 ratio {r}");
    let r6 = subexponential_ratio(&t3, 1e6).unwrap();
    assert!(
        (r6 - 2.0).abs() < (r - 2.0).abs() && (r6 - 2.0).abs() < 1e-4,
        "t3 ratio at 1e6: {r6}"
    );
    let pareto = Law::pareto(1.0, 2.0).unwrap();
    let r = subexponential_ratio(&pareto, 1e4).unwrap();
    assert!((r - 2.0).abs() < 0.01, "pareto {r}");
    let ln = Law::lognormal(0.0, 1.0).unwrap();
    let (a, b) = (
        subexponential_ratio(&ln, 1e3).unwrap(),
        subexponential_ratio(&ln, 1e6).unwrap(),
    );
    assert!(
        (b - 2.0).abs() < (a - 2.0).abs() && (b - 2.0).abs() < 0.05,
        "lognormal {a} {b}"
    );
    let levy = Law::levy(0.0, 1.0).unwrap();
    let r = subexponential_ratio(&levy, 1e8).unwrap();
    assert!((r - 2.0).abs() < 0.01, "levy {r}");
}

#[test]
fn theorem6_ratios() {
    // spec §6.8: normal → 0; exponential → e^{−rate}; t3 → 1
    let n = Law::normal(0.0, 1.0).unwrap();
    assert!(theorem6_ratio(&n, 10.0) < 1e-4);
    // exact: Φ̄(11)/Φ̄(10) = exp(lnΦ̄(11) − lnΦ̄(10)); mpmath: lnΦ̄(10) = −53.231285150512470578
    assert!(theorem6_ratio(&n, 40.0) < 1e-17);
    let e = Law::exponential(2.5).unwrap();
    for t in [0.0, 3.0, 1e3, 1e6] {
        assert_close(theorem6_ratio(&e, t), (-2.5f64).exp(), Tolerance::rel(1e-9));
    }
    let t3 = Law::student_t(3.0, 0.0, 1.0).unwrap();
    assert!((theorem6_ratio(&t3, 1e3) - 1.0).abs() < 0.01);
    // (t/(t+1))³ asymptotically
    assert_close(
        theorem6_ratio(&t3, 1e6),
        (1e6f64 / (1e6 + 1.0)).powi(3),
        Tolerance::rel(1e-9),
    );
    let tab = Law::tabulated(vec![0.0, 1.0], vec![1.0, 1.0]).unwrap();
    assert_eq!(theorem6_ratio(&tab, 5.0), 0.0);
}

#[test]
fn tail_growth_separates_classes() {
    for inst in instances().unwrap() {
        let g3 = tail_growth(&inst.law, 0.1, 1e3);
        let g4 = tail_growth(&inst.law, 0.1, 1e4);
        assert!(g4.is_finite() && g3.is_finite(), "{}", inst.key);
        assert_eq!(
            g4 > g3,
            inst.law.tail_class().is_heavy(),
            "{}: {g3} → {g4}",
            inst.key
        );
    }
}

#[test]
fn empirical_ratio_counts_pairs() {
    // samples {0, 1, 2}: P(X > 1.5) = 1/3; P(X1+X2 > 1.5): pairs with sum ≥ 2: (0,2),(2,0),(1,1),(1,2),(2,1),(2,2) = 6/9
    let e = Law::empirical(vec![2.0, 0.0, 1.0]).unwrap();
    assert_close(
        subexponential_ratio(&e, 1.5).unwrap(),
        (6.0 / 9.0) / (1.0 / 3.0),
        Tolerance::rel(1e-15),
    );
    assert!(subexponential_ratio(&e, 2.0).is_err());
}

#[test]
fn report_checks_hold() {
    let cs = checks(&CheckOptions::default());
    assert!(cs.len() >= 9 + 5 + 5);
    for c in &cs {
        assert!(
            c.holds,
            "{} failed: value {} {} bound {} ({})",
            c.id,
            c.value,
            c.relation.symbol(),
            c.bound,
            c.detail
        );
        assert!(c.id.starts_with("kwa2024-"));
    }
    let mut ids: Vec<_> = cs.iter().map(|c| c.id.clone()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), cs.len(), "ids must be unique");
}
