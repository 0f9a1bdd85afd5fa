//! `goodhart bench --only cohen`: how the exact computations of Cohen et al. 2024 scale with
//! the horizon and the class size (issue 3, "Performance": CTW depth 16 over 1e5 symbols,
//! episode lengths up to 1e4 for the budget curves, enumerated classes of 1e5+ models).
//!
//! | family | workload | size | expected growth |
//! |---|---|---|---|
//! | `ctw_d16` | [`Ctw`] of depth 16: allocate the 2^17-node tree, absorb n symbols, `ln P_w` | n symbols | linear (O(D) per symbol) |
//! | `ctw_d16_predict` | the same as a base policy: `ln_predict` then `update` at every symbol | n symbols | linear |
//! | `switch_kl_horizon` | Theorem 1: `−ln ξ(1^n \| 0^k)` in the clock world ([`ClockWorld::switch_kl`]) | horizon n | linear (O(J) per step) |
//! | `switch_family_horizon` | the wait-then-switch family, every switch time ([`switch_family`]) | horizon n | linear |
//! | `budget_curve_horizon` | the exact KL-budgeted optimum at 16 budgets ([`CountTilt`]) | horizon n | linear per Newton step |
//! | `class_enumerated` | generic [`Mixture`] over an enumerated class (the first n clock-world models, n up to 3·10⁵): condition on 64 symbols, predict, rank the posterior | models | linear (sort: n log n) |
//!
//! Data and worlds are built outside the timed region; each row is the median of `repeats`
//! runs. Clock worlds use the C2 parameters (J = 8, Elias-gamma time code) with
//! `T_max = 2^17` so that every switch time up to `k + n` exists. The growth exponent of a family
//! is the least-squares slope of `ln(time)` against `ln(size)` (1 = linear).

use std::sync::Arc;

use anyhow::Context;
use rand::RngExt;

use crate::sim::seeds::stream_rng;
use crate::theory::imitation::class::clock::{ClockSpec, ClockWorld};
use crate::theory::imitation::class::ctw::Ctw;
use crate::theory::imitation::class::{
    BasePolicy, Layout, Mixture, Model, ModelClass, Role, Rule, SeqModel,
};
use crate::theory::imitation::switching::{switch_family, CountTilt};

use super::{time, SEED};

/// CTW depth of the benchmark (issue 3).
pub const CTW_DEPTH: usize = 16;
/// Sequence lengths for CTW.
pub const CTW_SIZES: [usize; 3] = [1_000, 10_000, 100_000];
/// Horizons for the closed-form switch KL and the switch family.
pub const SWITCH_SIZES: [usize; 3] = [1_000, 10_000, 100_000];
/// Horizons for the budget curves (issue 3 asks for up to 1e4).
pub const BUDGET_SIZES: [usize; 3] = [100, 1_000, 10_000];
/// Number of budgets per curve.
pub const BUDGET_POINTS: usize = 16;
/// Class sizes for the enumerated mixture.
pub const CLASS_SIZES: [usize; 4] = [1_000, 10_000, 100_000, 300_000];
/// Symbols the enumerated mixture is conditioned on.
pub const CLASS_DATA: usize = 64;
/// Demonstrator steps before the agent acts.
pub const K: usize = 100;

/// `1000 → "1e3"`, `30000 → "3e4"`.
pub fn sci(n: usize) -> String {
    let mut m = n;
    let mut e = 0;
    while m >= 10 && m % 10 == 0 {
        m /= 10;
        e += 1;
    }
    if e == 0 {
        n.to_string()
    } else {
        format!("{m}e{e}")
    }
}

/// Splits a row name into its family and size: the token that reads as a number (`1e4`,
/// `n1e5`, `100`) is the size, the other tokens joined by `_` the family
/// (`ctw_d16_n1e4 → (ctw_d16, 1e4)`, `class_enumerated_1e5_models → (class_enumerated_models, 1e5)`).
pub fn parse(name: &str) -> Option<(String, f64)> {
    let toks: Vec<&str> = name.split('_').collect();
    let pos = toks.iter().rposition(|t| {
        let t = t.strip_prefix('n').unwrap_or(t);
        t.starts_with(|c: char| c.is_ascii_digit()) && t.parse::<f64>().is_ok()
    })?;
    let t = toks[pos].strip_prefix('n').unwrap_or(toks[pos]);
    let size = t.parse::<f64>().ok()?;
    let family = toks
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != pos)
        .map(|(_, t)| *t)
        .collect::<Vec<_>>()
        .join("_");
    Some((family, size))
}

/// A binary source with structure for CTW: `x_t = x_{t−3} ⊕ x_{t−7} ⊕ noise`, `P(noise) = 0.1`.
fn ctw_data(n: usize) -> Vec<usize> {
    let mut rng = stream_rng(SEED, "bench/cohen/ctw");
    let mut x: Vec<usize> = Vec::with_capacity(n);
    for t in 0..n {
        let a = if t >= 3 { x[t - 3] } else { 0 };
        let b = if t >= 7 { x[t - 7] } else { 1 };
        let noise = usize::from(rng.random::<f64>() < 0.1);
        x.push(a ^ b ^ noise);
    }
    x
}

/// The first `n` models of the clock world (`B_0..B_J`, then `S_{j,T}` by increasing `T`) as an
/// enumerated [`ModelClass`] with their code lengths.
///
/// # Errors
/// As [`ModelClass::from_code_lengths`].
pub fn clock_class(n: usize) -> crate::error::Result<ModelClass> {
    let bases = ClockSpec::default().max_j + 1;
    let world = ClockWorld::new(ClockSpec {
        max_switch_time: n.div_ceil(bases).max(1),
        ..ClockSpec::default()
    })?;
    let l = Layout::BINARY;
    let mut models: Vec<(String, Arc<dyn Model>)> = Vec::with_capacity(n);
    let mut bits = Vec::with_capacity(n);
    for j in 0..world.bases().min(n) {
        models.push((
            format!("B{j}"),
            Arc::new(SeqModel::actions(l, Rule::bernoulli(world.q(j)))?),
        ));
        bits.push(world.base_bits(j));
    }
    'outer: for t in 1..=world.max_switch_time() {
        for j in 0..world.bases() {
            if models.len() == n {
                break 'outer;
            }
            let rule = Rule::Switch {
                before: Box::new(Rule::bernoulli(world.q(j))),
                at: t as u64,
                after: Box::new(Rule::Constant { symbol: 1 }),
            };
            models.push((format!("S{j},{t}"), Arc::new(SeqModel::actions(l, rule)?)));
            bits.push(world.base_bits(j) + world.delta_bits(t));
        }
    }
    Ok(ModelClass::from_code_lengths(l, models, bits)?)
}

/// Runs every workload; `(name, median wall seconds)` per row, in a fixed order.
///
/// # Errors
/// A workload's error (none is expected for these sizes).
pub fn run(repeats: usize) -> anyhow::Result<Vec<(String, f64)>> {
    let mut rows = Vec::new();
    let mut push = |name: String, secs: f64, note: String| {
        eprintln!("  {name:<34} {secs:>10.6} s  {note}");
        rows.push((name, secs));
    };

    let data = ctw_data(*CTW_SIZES.iter().max().unwrap_or(&0));
    for &n in &CTW_SIZES {
        let x = &data[..n];
        let (t, lp) = time(repeats, || {
            let mut c = Ctw::new(CTW_DEPTH)?;
            Ok(c.ln_prob_extend(x)?)
        })?;
        push(
            format!("ctw_d{CTW_DEPTH}_n{}", sci(n)),
            t.wall,
            format!(
                "ln P_w = {lp:.3} ({:.4} bits/symbol)",
                -lp / n as f64 / std::f64::consts::LN_2
            ),
        );
    }
    for &n in &CTW_SIZES {
        let x = &data[..n];
        let (t, lp) = time(repeats, || {
            let mut c = Ctw::new(CTW_DEPTH)?;
            let mut s = 0.0;
            for &b in x {
                s += c.ln_predict()[b];
                c.update(b)?;
            }
            Ok(s)
        })?;
        push(
            format!("ctw_d{CTW_DEPTH}_predict_n{}", sci(n)),
            t.wall,
            format!("Σ ln ρ(x_t|x_<t) = {lp:.3}"),
        );
    }

    let world = ClockWorld::new(ClockSpec {
        max_switch_time: 1 << 17,
        ..ClockSpec::default()
    })?;
    for &n in &SWITCH_SIZES {
        let (t, kl) = time(repeats, || Ok(world.switch_kl(K + 1, n)?))?;
        push(
            format!("switch_kl_horizon_{}", sci(n)),
            t.wall,
            format!("−ln ξ(1^n | 0^{K}) = {kl:.6} nats"),
        );
    }
    for &n in &SWITCH_SIZES {
        let (t, fam) = time(repeats, || Ok(switch_family(&world, K, n)?))?;
        let cheapest = fam.iter().map(|o| o.kl).fold(f64::INFINITY, f64::min);
        push(
            format!("switch_family_horizon_{}", sci(n)),
            t.wall,
            format!("{} switch times, cheapest {cheapest:.4} nats", fam.len()),
        );
    }
    for &n in &BUDGET_SIZES {
        let (t, (lo, hi)) = time(repeats, || {
            let tilt = CountTilt::new(&world, K, n)?;
            let top = tilt.max_kl();
            let mut vals = Vec::with_capacity(BUDGET_POINTS);
            for i in 0..BUDGET_POINTS {
                let b = top * (i as f64 + 0.5) / BUDGET_POINTS as f64;
                vals.push(tilt.solve(b)?.value);
            }
            Ok((vals[0], vals[BUDGET_POINTS - 1]))
        })?;
        push(
            format!("budget_curve_horizon_{}", sci(n)),
            t.wall,
            format!("{BUDGET_POINTS} budgets, value {lo:.4} … {hi:.4}"),
        );
    }

    let mut cdata = vec![0usize; CLASS_DATA - 8];
    cdata.extend([1usize; 8]);
    for &n in &CLASS_SIZES {
        let class = Arc::new(clock_class(n).context("building the enumerated class")?);
        let (t, (top, p1)) = time(repeats, || {
            let mut m = Mixture::new(class.clone());
            m.ln_prob_extend(&cdata)?;
            let p1 = m.ln_predict()[1].exp();
            let rank = m.posterior().ranking(Role::Action);
            Ok((rank[0], p1))
        })?;
        push(
            format!("class_enumerated_{}_models", sci(n)),
            t.wall,
            format!(
                "{} models × {CLASS_DATA} symbols; MAP {}, ξ(1|h) = {p1:.6}",
                class.len(),
                class.name(top)
            ),
        );
    }
    Ok(rows)
}

/// Least-squares slope of `ln y` against `ln x`.
pub fn growth_exponent(points: &[(f64, f64)]) -> Option<f64> {
    let pts: Vec<(f64, f64)> = points
        .iter()
        .filter(|(x, y)| *x > 0.0 && *y > 0.0)
        .map(|(x, y)| (x.ln(), y.ln()))
        .collect();
    if pts.len() < 2 {
        return None;
    }
    let n = pts.len() as f64;
    let mx = pts.iter().map(|p| p.0).sum::<f64>() / n;
    let my = pts.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = pts.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let sxy: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    (sxx > 0.0).then(|| sxy / sxx)
}

/// Prints the rows (median seconds and seconds per unit of size) and the growth exponent of each
/// family.
pub fn print(rows: &[(String, f64)]) {
    println!(
        "{:<34} {:>12} {:>14}",
        "cohen workload", "median (s)", "per unit (ns)"
    );
    let mut families: Vec<(String, Vec<(f64, f64)>)> = Vec::new();
    for (name, secs) in rows {
        match parse(name) {
            Some((fam, size)) => {
                println!("{name:<34} {secs:>12.6} {:>14.1}", secs / size * 1e9);
                match families.iter_mut().find(|(f, _)| *f == fam) {
                    Some((_, v)) => v.push((size, *secs)),
                    None => families.push((fam, vec![(size, *secs)])),
                }
            }
            None => println!("{name:<34} {secs:>12.6} {:>14}", "-"),
        }
    }
    println!();
    println!("{:<34} {:>22} {:>9}", "family", "sizes", "exponent");
    for (fam, pts) in &families {
        let sizes = pts
            .iter()
            .map(|p| sci(p.0 as usize))
            .collect::<Vec<_>>()
            .join(", ");
        match growth_exponent(pts) {
            Some(e) => println!("{fam:<34} {sizes:>22} {e:>9.3}"),
            None => println!("{fam:<34} {sizes:>22} {:>9}", "-"),
        }
    }
    println!(
        "exponent = least-squares slope of ln(time) vs ln(size); 1 = linear. Fixed costs (CTW \
         allocates its 2^17-node tree every run) pull it below 1; a working set that outgrows the \
         caches, or more root-finding iterations, push it above 1."
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_and_exponents_fit() {
        assert_eq!(sci(1000), "1e3");
        assert_eq!(sci(30_000), "3e4");
        assert_eq!(sci(7), "7");
        assert_eq!(parse("ctw_d16_n1e4"), Some(("ctw_d16".into(), 1e4)));
        assert_eq!(
            parse("class_enumerated_1e5_models"),
            Some(("class_enumerated_models".into(), 1e5))
        );
        assert_eq!(
            parse("budget_curve_horizon_100"),
            Some(("budget_curve_horizon".into(), 100.0))
        );
        assert_eq!(parse("tilt"), None);
        // y = 3 x^1.5 exactly
        let pts: Vec<(f64, f64)> = [10.0f64, 100.0, 1000.0]
            .iter()
            .map(|&x| (x, 3.0 * x.powf(1.5)))
            .collect();
        assert!((growth_exponent(&pts).unwrap() - 1.5).abs() < 1e-12);
        assert_eq!(growth_exponent(&pts[..1]), None);
    }

    #[test]
    fn clock_class_has_the_requested_size_and_valid_prior() {
        for n in [5usize, 9, 10, 100] {
            let c = clock_class(n).unwrap();
            assert_eq!(c.len(), n);
            assert!(c.kraft_sum() <= 1.0);
        }
        let x = ctw_data(50);
        assert_eq!(x, ctw_data(50));
        assert!(x.iter().all(|&b| b < 2));
    }
}
