//! Unit and property tests of Theorem 1 (Kwa et al. 2024): the `P_t` construction's closed forms
//! against quadrature and statrs.

use super::checks::*;
use super::*;
use crate::numerics::tolerance::assert_close;
use crate::numerics::Tolerance;
use crate::report::CheckOptions;

#[test]
fn t3_tail_matches_statrs_and_series_is_continuous() {
    // statrs' regularised incomplete beta is an independent implementation.
    let q = t3().unwrap();
    let s = Law::student_t(3.0, 0.0, 1.0).unwrap();
    for x in [
        -20.0, -3.0, -0.5, 0.0, 0.7, 1.5, 3.4, 3.5, 3.6, 10.0, 100.0, 1e3,
    ] {
        assert_close(q.sf(x), Law::sf(&s, x), Tolerance::rel(1e-11));
        assert_close(q.cdf(x), Law::cdf(&s, x), Tolerance::rel(1e-11));
        assert_close(q.pdf(x), Law::pdf(&s, x), Tolerance::rel(1e-12));
    }
    // both branches at s = 2 (t = 2√3)
    let t = 2.0 * 3f64.sqrt();
    let u = 0.5f64;
    let direct = (u.atan() - u / (1.0 + u * u)) / PI;
    assert_close(t3_upper(t), direct, Tolerance::rel(1e-14));
    // far tail: F̄(t) ~ 2√3/(π t³)(1 − 9/(5t²)), spec §2.1
    let t = 1e8;
    assert_close(
        t3_upper(t),
        2.0 * 3f64.sqrt() / (PI * t.powi(3)),
        Tolerance::rel(1e-15),
    );
}

#[test]
fn partial_mean_closed_forms_match_quadrature() {
    let q = t3().unwrap();
    let s = Law::student_t(3.0, 0.0, 1.0).unwrap();
    for t in [-2.0, 0.0, 1.5, 10.0] {
        let quad = integrate(
            |x| x * Law::pdf(&s, x),
            t,
            f64::INFINITY,
            QuadOptions {
                rel: 1e-12,
                ..Default::default()
            },
        )
        .unwrap()
        .value;
        assert_close(q.upper_partial_mean(t).unwrap(), quad, Tolerance::rel(1e-9));
    }
    // general ν formula (ν = 5) and the Law impls with location/scale
    let q5 = StudentT::new(5.0).unwrap();
    let s5 = Law::student_t(5.0, 0.0, 1.0).unwrap();
    let quad = integrate(
        |x| x * Law::pdf(&s5, x),
        2.0,
        f64::INFINITY,
        QuadOptions::default(),
    )
    .unwrap()
    .value;
    assert_close(
        q5.upper_partial_mean(2.0).unwrap(),
        quad,
        Tolerance::rel(1e-9),
    );
    let l = Law::student_t(3.0, 0.5, 2.0).unwrap();
    let quad = integrate(
        |x| x * Law::pdf(&l, x),
        3.0,
        f64::INFINITY,
        QuadOptions::default(),
    )
    .unwrap()
    .value;
    assert_close(
        BaseLaw::upper_partial_mean(&l, 3.0).unwrap(),
        quad,
        Tolerance::rel(1e-9),
    );
    let n = Law::normal(1.0, 2.0).unwrap();
    let quad = integrate(
        |x| x * Law::pdf(&n, x),
        2.5,
        f64::INFINITY,
        QuadOptions::default(),
    )
    .unwrap()
    .value;
    assert_close(
        BaseLaw::upper_partial_mean(&n, 2.5).unwrap(),
        quad,
        Tolerance::rel(1e-9),
    );
}

#[test]
fn nonzero_mean_base_law() {
    // Q = 2 + N(0,1): shifting Q and t by 2 shifts E_{P_t} by 2 and leaves KL unchanged.
    let q0 = Law::normal(0.0, 1.0).unwrap();
    let q2 = Law::normal(2.0, 1.0).unwrap();
    let a = p_t_construction(&q0, 1.0, 0.3).unwrap();
    let b = p_t_construction(&q2, 3.0, 0.3).unwrap();
    assert_close(b.mean, a.mean + 2.0, Tolerance::rel(1e-13));
    assert_close(b.kl, a.kl, Tolerance::rel(1e-13));
    // lognormal through quadrature vs the quadrature of the full construction
    let ln = Law::lognormal(0.0, 1.0).unwrap();
    let p = p_t_construction(&ln, 5.0, 0.2).unwrap();
    let (mean, kl, mass) = p_t_by_quadrature(&ln, 5.0, 0.2).unwrap();
    assert_close(mass, 1.0, Tolerance::abs(1e-9));
    assert_close(p.mean, mean, Tolerance::rel(1e-8));
    assert_close(p.kl, kl, Tolerance::rel(1e-8));
}

#[test]
fn spec_table_values() {
    // spec §6.1 (mpmath, 40 digits): t = 1e8 row.
    let p = p_t_construction(&t3().unwrap(), 1e8, 1e8f64.powf(-0.8)).unwrap();
    assert_close(p.mean, 59.716076, Tolerance::abs(5e-7));
    assert_close(p.kl, 1.56965e-5, Tolerance::abs(5e-11));
    let p = p_t_construction(&t3().unwrap(), 1e8, 1e-8).unwrap();
    assert_close(p.kl, 3.57436e-7, Tolerance::abs(5e-13));
}

#[test]
fn all_checks_hold() {
    let cs = checks(&CheckOptions::default());
    assert!(cs.len() > 40);
    for c in &cs {
        assert!(
            c.holds,
            "{} failed: value {} {} {} (tol {}) — {}",
            c.id,
            c.value,
            c.relation.symbol(),
            c.bound,
            c.tolerance,
            c.detail
        );
        assert!(c.id.starts_with("kwa2024-"));
    }
    let mut ids: Vec<&str> = cs.iter().map(|c| c.id.as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), cs.len(), "ids are unique");
}

#[test]
fn bad_input() {
    let q = t3().unwrap();
    assert!(matches!(
        p_t_construction(&q, 1.0, 1.0),
        Err(Error::OutOfRange {
            name: "tail mass",
            ..
        })
    ));
    assert!(matches!(
        p_t_construction(&q, 1.0, f64::NAN),
        Err(Error::OutOfRange {
            name: "tail mass",
            ..
        })
    ));
    assert!(matches!(
        p_t_construction(&q, f64::INFINITY, 0.5),
        Err(Error::NotFinite { .. })
    ));
    assert!(matches!(
        StudentT::new(1.0),
        Err(Error::OutOfRange { name: "df", .. })
    ));
    assert!(matches!(
        p_t_construction(&Law::levy(0.0, 1.0).unwrap(), 1.0, 0.5),
        Err(Error::Infinite { .. })
    ));
    // F̄ underflows for the normal at t = 40: no mass above t to rescale
    assert!(matches!(
        p_t_construction(&Law::normal(0.0, 1.0).unwrap(), 40.0, 0.5),
        Err(Error::OutOfRange {
            name: "threshold t",
            ..
        })
    ));
    assert!(fig_a1_thresholds(2.0, 1.0, 5).is_err());
    assert!(fig_a1_thresholds(1.0, 2.0, 1).is_err());
}
