//! Tests of the KL-fixed mixture (spec cohen2024.md §3.5, check C7).

use candle_core::{Device, Tensor, Var};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::*;

fn logs(p: &[f64]) -> Vec<f64> {
    p.iter().map(|x| x.ln()).collect()
}

fn log_softmax64(z: &[f64]) -> Vec<f64> {
    let m = z.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let s: f64 = z.iter().map(|x| (x - m).exp()).sum();
    let lse = m + s.ln();
    z.iter().map(|x| x - lse).collect()
}

const C7_A: [f64; 3] = [0.7, 0.2, 0.1];
const C7_B: [f64; 3] = [0.1, 0.3, 0.6];
/// (k, α, x) from spec C7.
const C7_ROWS: [(f64, f64, [f64; 3]); 3] = [
    (0.05, 0.176174, [0.205705, 0.282383, 0.511913]),
    (0.2, 0.382165, [0.329299, 0.261783, 0.408917]),
    (0.5, 0.645017, [0.487010, 0.235498, 0.277491]),
];

fn assert_close(what: &str, got: f64, want: f64, tol: f64) {
    assert!(
        (got - want).abs() <= tol,
        "{what}: got {got}, want {want} (|diff| = {:e} > {tol:e})",
        (got - want).abs()
    );
}

fn check_c7_solve(name: &str, s: AlphaSolve, k: f64, alpha: f64, x: &[f64; 3], kl_tol: f64) {
    let (la, lb) = (logs(&C7_A), logs(&C7_B));
    assert_close(&format!("{name} α at k={k}"), s.alpha, alpha, 1e-6);
    assert!(s.reached, "{name}: k = {k} is reachable");
    assert_close(&format!("{name} KL at k={k}"), s.kl, k, kl_tol);
    let lx = mixture_log_probs(&la, &lb, s.alpha);
    for i in 0..3 {
        assert_close(&format!("{name} x_{i} at k={k}"), lx[i].exp(), x[i], 1e-6);
    }
    assert_close(&format!("{name} kl_max"), s.kl_max, 1.101868, 1e-6);
}

#[test]
fn c7_spec_values() {
    let (la, lb) = (logs(&C7_A), logs(&C7_B));
    let (kl_max, _) = mixture_kl(&la, &lb, 1.0);
    assert_close("KL(a‖b)", kl_max, 1.101868, 1e-6);
    assert_eq!(mixture_kl(&la, &lb, 0.0), (0.0, 0.0), "exact 0 at α = 0");
    for &(k, alpha, x) in &C7_ROWS {
        let exact = solve_alpha(&la, &lb, k).unwrap();
        check_c7_solve("exact", exact, k, alpha, &x, 1e-12 * k.max(1.0));
        assert!(exact.kl <= k, "exact: kl {} above target {k}", exact.kl);
        let authors = solve_alpha_authors(&la, &lb, k, 20).unwrap();
        check_c7_solve("authors(20)", authors, k, alpha, &x, 1e-6);
        let bis = solve_alpha_bisection(&la, &lb, k, 200).unwrap();
        check_c7_solve("bisection(200)", bis, k, alpha, &x, 1e-12);
        eprintln!(
            "C7 k={k}: exact α={:.9} (kl−k={:e}, {} evals), authors α={:.9} (kl−k={:e}), bisection α={:.9}",
            exact.alpha,
            exact.kl - k,
            exact.iterations,
            authors.alpha,
            authors.kl - k,
            bis.alpha
        );
    }
    // Unreachable: α = 1, x = a, for k at and above KL(a‖b).
    // (The spec's 'k >= 1.101868' is rounded: KL(a‖b) is slightly above 1.101868, so 1.101868 itself is reachable.)
    for k in [kl_max, 1.10187, 1.2, 10.0] {
        for s in [
            solve_alpha(&la, &lb, k).unwrap(),
            solve_alpha_authors(&la, &lb, k, 20).unwrap(),
            solve_alpha_bisection(&la, &lb, k, 200).unwrap(),
        ] {
            assert_eq!(s.alpha, 1.0, "k = {k}: α must be 1");
            assert!(!s.reached);
            assert_close("kl at α = 1", s.kl, kl_max, 1e-15);
            let lx = mixture_log_probs(&la, &lb, s.alpha);
            assert_eq!(lx, la, "x = a exactly at α = 1");
        }
    }
    // target 0: α = 0, x = b.
    let s = solve_alpha(&la, &lb, 0.0).unwrap();
    assert_eq!((s.alpha, s.kl, s.reached), (0.0, 0.0, true));
    assert_eq!(mixture_log_probs(&la, &lb, 0.0), lb);
}

#[test]
fn c7_through_the_batched_op() {
    let dev = Device::Cpu;
    let la: Vec<f32> = logs(&C7_A).iter().map(|&x| x as f32).collect();
    let lb: Vec<f32> = logs(&C7_B).iter().map(|&x| x as f32).collect();
    let ks = [0.05f32, 0.2, 0.5, 2.0];
    let n = ks.len();
    let la_t = Tensor::from_vec(la.repeat(n), (n, 3), &dev).unwrap();
    let lb_t = Tensor::from_vec(lb.repeat(n), (n, 3), &dev).unwrap();
    let k_t = Tensor::from_vec(ks.to_vec(), n, &dev).unwrap();
    let m = kl_fixed_mixture(&la_t, &lb_t, &k_t).unwrap();
    let lx = m.log_x.to_vec2::<f32>().unwrap();
    let kl = m.kl.to_vec1::<f32>().unwrap();
    for (r, &(k, alpha, x)) in C7_ROWS.iter().enumerate() {
        assert_close("batched α", m.solves[r].alpha, alpha, 1e-6);
        assert_close("batched kl", kl[r] as f64, k, 1e-6);
        for i in 0..3 {
            assert_close("batched x", (lx[r][i] as f64).exp(), x[i], 1e-6);
        }
    }
    assert_eq!(m.solves[3].alpha, 1.0);
    assert_eq!(lx[3], la, "α = 1 row: log x = log a exactly");
    assert_close("α = 1 row kl", kl[3] as f64, 1.101868, 1e-6);
    // The f64 solves are those of solve_alpha on the f32 inputs.
    let la64: Vec<f64> = la.iter().map(|&x| x as f64).collect();
    let lb64: Vec<f64> = lb.iter().map(|&x| x as f64).collect();
    for (r, &k) in ks.iter().enumerate() {
        assert_eq!(
            m.solves[r],
            solve_alpha(&la64, &lb64, k as f64).unwrap(),
            "row {r}"
        );
    }
}

/// A random normalised row of log-probs: some tiny (~1e-30) entries, optionally exact zeros.
fn random_row(rng: &mut ChaCha8Rng, v: usize, zeros: bool) -> Vec<f64> {
    let scale = [0.3, 2.0, 8.0][rng.random_range(0..3usize)];
    let mut z: Vec<f64> = (0..v)
        .map(|_| {
            if rng.random::<f64>() < 0.15 {
                -69.0 + rng.random::<f64>()
            } else {
                scale * (2.0 * rng.random::<f64>() - 1.0)
            }
        })
        .collect();
    if zeros {
        for (i, zi) in z.iter_mut().enumerate() {
            if i > 0 && rng.random::<f64>() < 0.1 {
                *zi = f64::NEG_INFINITY;
            }
        }
    }
    log_softmax64(&z)
}

#[test]
fn property_random_rows() {
    let mut rng = ChaCha8Rng::seed_from_u64(20240617);
    let (mut worst_gap, mut worst_bis, mut max_evals, mut total_evals, mut solves) =
        (0.0f64, 0.0f64, 0usize, 0usize, 0usize);
    let (mut authors_worst, mut authors_bad) = (0.0f64, 0usize);
    for case in 0..300 {
        let v = rng.random_range(2..=50usize);
        let lb = random_row(&mut rng, v, false);
        let la = random_row(&mut rng, v, case % 3 == 0);
        let (kl_max, _) = mixture_kl(&la, &lb, 1.0);
        if kl_max < 1e-9 {
            continue;
        }
        let mut us = vec![1e-8, 1e-3, 1.0 - 1e-9];
        for _ in 0..4 {
            us.push(rng.random::<f64>().clamp(1e-6, 1.0 - 1e-6));
        }
        us.sort_by(|a, b| a.partial_cmp(b).unwrap());
        let mut prev_alpha = 0.0;
        let mut prev_k = 0.0;
        for u in us {
            let k = u * kl_max;
            let s = solve_alpha(&la, &lb, k).unwrap();
            solves += 1;
            total_evals += s.iterations;
            max_evals = max_evals.max(s.iterations);
            assert!(s.reached, "case {case}: k = {k} < kl_max = {kl_max}");
            assert!(s.kl <= k, "case {case}: kl {} above target {k}", s.kl);
            let gap = (k - s.kl) / k.max(1.0);
            worst_gap = worst_gap.max(gap);
            assert!(
                gap <= 1e-12,
                "case {case}: k − kl = {:e} (k = {k})",
                k - s.kl
            );
            assert_eq!(mixture_kl(&la, &lb, s.alpha).0, s.kl, "case {case}");
            assert!(s.alpha > 0.0 && s.alpha < 1.0);
            if k > prev_k * (1.0 + 1e-6) {
                assert!(
                    s.alpha >= prev_alpha,
                    "case {case}: α not monotone in target ({prev_alpha} at {prev_k}, {} at {k})",
                    s.alpha
                );
            }
            prev_alpha = s.alpha;
            prev_k = k;
            let b = solve_alpha_bisection(&la, &lb, k, 200).unwrap();
            worst_bis = worst_bis.max((b.alpha - s.alpha).abs());
            assert!(
                (b.alpha - s.alpha).abs() <= 1e-10,
                "case {case}: exact α = {} vs bisection α = {}",
                s.alpha,
                b.alpha
            );
            let a = solve_alpha_authors(&la, &lb, k, 20).unwrap();
            let e = (a.kl - k).abs();
            authors_worst = authors_worst.max(e);
            if e > 1e-6 {
                authors_bad += 1;
            }
        }
        // Unreachable targets.
        let s = solve_alpha(&la, &lb, 1.5 * kl_max).unwrap();
        assert_eq!((s.alpha, s.reached), (1.0, false), "case {case}");
    }
    eprintln!(
        "property: {solves} solves, worst (k − kl)/max(1,k) = {worst_gap:e}, worst |α − α_bisection(200)| = {worst_bis:e}, \
         evals mean {:.1} max {max_evals}; authors(20): worst |kl − k| = {authors_worst:e}, {authors_bad} solves above 1e-6",
        total_evals as f64 / solves as f64
    );
    assert!(solves > 1500, "too few solves ran: {solves}");
}

#[test]
fn infinite_kl_row_and_identical_rows() {
    // a has mass where b has none: KL(α) = ∞ for all α > 0, so α = 0.
    let la = logs(&[0.5, 0.5, 0.0]);
    let lb = logs(&[0.0, 0.5, 0.5]);
    let s = solve_alpha(&la, &lb, 0.3).unwrap();
    assert_eq!((s.alpha, s.kl, s.kl_max), (0.0, 0.0, f64::INFINITY));
    // a = b: nothing to spend, α = 1 for every target.
    let l = logs(&[0.2, 0.8]);
    let s = solve_alpha(&l, &l, 0.0).unwrap();
    assert_eq!((s.alpha, s.kl, s.reached), (1.0, 0.0, false));
}

/// The f64 path: L(z, k) = Σ w log x + Σ u kl, with log a = log_softmax(z + log b) per row.
fn loss64(z: &[f64], k: &[f64], lb: &[Vec<f64>], w: &[f64], u: &[f64], v: usize) -> f64 {
    let mut total = 0.0;
    for r in 0..lb.len() {
        let zr: Vec<f64> = (0..v).map(|i| z[r * v + i] + lb[r][i]).collect();
        let la = log_softmax64(&zr);
        let s = solve_alpha(&la, &lb[r], k[r]).unwrap();
        let lx = mixture_log_probs(&la, &lb[r], s.alpha);
        total += (0..v).map(|i| w[r * v + i] * lx[i]).sum::<f64>() + u[r] * s.kl;
    }
    total
}

#[test]
fn gradient_matches_finite_differences() {
    let dev = Device::Cpu;
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let (n, v) = (3usize, 6usize);
    // Base rows (rounded to f32, as the op sees them); row 1 has two ~1e-30 probabilities.
    let mut lb: Vec<Vec<f64>> = Vec::new();
    for r in 0..n {
        let mut z: Vec<f64> = (0..v).map(|_| 2.0 * rng.random::<f64>() - 1.0).collect();
        if r == 1 {
            z[2] = -69.0;
            z[4] = -68.5;
        }
        lb.push(log_softmax64(&z).iter().map(|&x| x as f32 as f64).collect());
    }
    let z0: Vec<f64> = (0..n * v)
        .map(|_| (3.0 * (2.0 * rng.random::<f64>() - 1.0)) as f32 as f64)
        .collect();
    let w: Vec<f64> = (0..n * v)
        .map(|_| (2.0 * rng.random::<f64>() - 1.0) as f32 as f64)
        .collect();
    let u: Vec<f64> = vec![0.7, -1.3, 0.9];
    // Targets: two reachable, one unreachable (α = 1).
    let kl_max: Vec<f64> = (0..n)
        .map(|r| {
            let zr: Vec<f64> = (0..v).map(|i| z0[r * v + i] + lb[r][i]).collect();
            mixture_kl(&log_softmax64(&zr), &lb[r], 1.0).0
        })
        .collect();
    let k0: Vec<f64> = vec![
        (0.3 * kl_max[0]) as f32 as f64,
        (0.05 * kl_max[1]) as f32 as f64,
        (2.0 * kl_max[2]) as f32 as f64,
    ];

    // candle path
    let to32 = |x: &[f64]| x.iter().map(|&y| y as f32).collect::<Vec<f32>>();
    let z_var = Var::from_tensor(&Tensor::from_vec(to32(&z0), (n, v), &dev).unwrap()).unwrap();
    let k_var = Var::from_tensor(&Tensor::from_vec(to32(&k0), n, &dev).unwrap()).unwrap();
    let lb_t = Tensor::from_vec(to32(&lb.concat()), (n, v), &dev).unwrap();
    let log_a = candle_nn::ops::log_softmax(&z_var.as_tensor().add(&lb_t).unwrap(), 1).unwrap();
    let m = kl_fixed_mixture(&log_a, &lb_t, k_var.as_tensor()).unwrap();
    assert!(m.solves[0].reached && m.solves[1].reached && !m.solves[2].reached);
    assert_eq!(m.solves[2].alpha, 1.0);
    let w_t = Tensor::from_vec(to32(&w), (n, v), &dev).unwrap();
    let u_t = Tensor::from_vec(to32(&u), n, &dev).unwrap();

    for (label, wl, ul) in [
        ("Σ w log x", 1.0, 0.0),
        ("Σ u kl", 0.0, 1.0),
        ("both", 1.0, 1.0),
    ] {
        let loss = m
            .log_x
            .mul(&w_t)
            .unwrap()
            .sum_all()
            .unwrap()
            .affine(wl, 0.0)
            .unwrap()
            .add(
                &m.kl
                    .mul(&u_t)
                    .unwrap()
                    .sum_all()
                    .unwrap()
                    .affine(ul, 0.0)
                    .unwrap(),
            )
            .unwrap();
        let grads = loss.backward().unwrap();
        let gz = grads
            .get(z_var.as_tensor())
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        let gk = grads
            .get(k_var.as_tensor())
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        assert_eq!(gk[2], 0.0, "{label}: k-gradient at α = 1 must be exactly 0");

        let (wf, uf): (Vec<f64>, Vec<f64>) = (
            w.iter().map(|x| x * wl).collect(),
            u.iter().map(|x| x * ul).collect(),
        );
        let h = 1e-4;
        let mut fd_z = vec![0.0; n * v];
        for (j, fd) in fd_z.iter_mut().enumerate() {
            let (mut zp, mut zm) = (z0.clone(), z0.clone());
            zp[j] += h;
            zm[j] -= h;
            *fd = (loss64(&zp, &k0, &lb, &wf, &uf, v) - loss64(&zm, &k0, &lb, &wf, &uf, v))
                / (2.0 * h);
        }
        let mut fd_k = vec![0.0; n];
        for (r, fd) in fd_k.iter_mut().enumerate() {
            let hk = h * k0[r];
            let (mut kp, mut km) = (k0.clone(), k0.clone());
            kp[r] += hk;
            km[r] -= hk;
            *fd = (loss64(&z0, &kp, &lb, &wf, &uf, v) - loss64(&z0, &km, &lb, &wf, &uf, v))
                / (2.0 * hk);
        }
        assert_eq!(fd_k[2], 0.0, "{label}: finite difference at α = 1");
        let scale = fd_z.iter().fold(0.0f64, |a, x| a.max(x.abs()));
        let err = gz
            .iter()
            .zip(&fd_z)
            .fold(0.0f64, |a, (g, f)| a.max((*g as f64 - f).abs()));
        let rel_z = err / scale;
        assert!(
            scale > 1e-3,
            "{label}: degenerate test (gradient scale {scale})"
        );
        assert!(
            rel_z < 1e-3,
            "{label}: log-a gradient relative error {rel_z:e}\n candle {gz:?}\n fd {fd_z:?}"
        );
        let mut rel_k = [0.0f64; 2];
        for r in 0..2 {
            rel_k[r] = (gk[r] as f64 - fd_k[r]).abs() / fd_k[r].abs().max(1e-12);
            assert!(
                rel_k[r] < 1e-3,
                "{label}: k-gradient row {r}: candle {} vs fd {} (rel {:e})",
                gk[r],
                fd_k[r],
                rel_k[r]
            );
        }
        if ul == 1.0 && wl == 0.0 {
            // The achieved KL is identically k on reachable rows.
            for r in 0..2 {
                assert_close("dkl/dk", gk[r] as f64, u[r], 1e-5 * u[r].abs());
            }
        }
        eprintln!(
            "gradient [{label}]: log-a max-abs-rel error {rel_z:e} (scale {scale:.3}), k rel errors {:e}, {:e}; \
             α = {:.6}, {:.6}, {}; dL/dk = {:?} (fd {:?})",
            rel_k[0], rel_k[1], m.solves[0].alpha, m.solves[1].alpha, m.solves[2].alpha, gk, fd_k
        );
    }
}

#[test]
fn extreme_rows_stay_finite() {
    let dev = Device::Cpu;
    let ninf = f32::NEG_INFINITY;
    // Row 0: proposal with exact zeros, base with ~1e-30 probabilities; reachable target.
    // Row 1: same but unreachable (α = 1, x has exact zeros). Row 2: a = b = 0 on one entry.
    let b0 = logs(&[1e-30, 0.5 - 1e-30, 0.25, 0.25 - 2e-30, 2e-30]);
    let a0 = [ninf, -0.1f32, ninf, ninf, 0.0];
    let a0_lse = {
        let m = a0.iter().cloned().fold(ninf, f32::max) as f64;
        m + a0.iter().map(|&x| (x as f64 - m).exp()).sum::<f64>().ln()
    };
    let a0: Vec<f32> = a0.iter().map(|&x| (x as f64 - a0_lse) as f32).collect();
    let b2 = [0.0f64, 0.6, 0.4];
    let b2: Vec<f64> = logs(&b2);
    let a2 = logs(&[0.0, 0.1, 0.9]);
    let mut la = Vec::new();
    let mut lb = Vec::new();
    for _ in 0..2 {
        la.extend_from_slice(&a0);
        lb.extend(b0.iter().map(|&x| x as f32));
    }
    la.extend(a2.iter().map(|&x| x as f32));
    la.extend([ninf, ninf]);
    lb.extend(b2.iter().map(|&x| x as f32));
    lb.extend([ninf, ninf]);
    let v = 5;
    let la_var = Var::from_tensor(&Tensor::from_vec(la.clone(), (3, v), &dev).unwrap()).unwrap();
    let lb_t = Tensor::from_vec(lb, (3, v), &dev).unwrap();
    let k_var = Var::from_tensor(&Tensor::new(&[0.05f32, 1e3, 0.1], &dev).unwrap()).unwrap();
    let m = kl_fixed_mixture(la_var.as_tensor(), &lb_t, k_var.as_tensor()).unwrap();
    assert!(m.solves[0].reached && !m.solves[1].reached && m.solves[2].reached);
    let lx = m.log_x.to_vec2::<f32>().unwrap();
    for (r, row) in lx.iter().enumerate() {
        for (i, &x) in row.iter().enumerate() {
            assert!(!x.is_nan(), "log x[{r}][{i}] is NaN");
        }
    }
    assert!(
        lx[0].iter().all(|x| x.is_finite()),
        "row 0: x > 0 everywhere"
    );
    assert_eq!(lx[1][0], ninf, "row 1 (α = 1): x = a has an exact zero");
    assert_eq!(lx[2][0], ninf, "row 2: a = b = 0 there");
    assert_eq!(lx[2][3], ninf);
    let w = Tensor::ones((3, v), candle_core::DType::F32, &dev).unwrap();
    let loss = m
        .log_x
        .mul(&w)
        .unwrap()
        .sum_all()
        .unwrap()
        .add(&m.kl.sum_all().unwrap())
        .unwrap();
    let grads = loss.backward().unwrap();
    let ga = grads
        .get(la_var.as_tensor())
        .unwrap()
        .to_vec2::<f32>()
        .unwrap();
    let gk = grads
        .get(k_var.as_tensor())
        .unwrap()
        .to_vec1::<f32>()
        .unwrap();
    for row in &ga {
        assert!(row.iter().all(|g| g.is_finite()), "log-a gradient {ga:?}");
    }
    assert!(gk.iter().all(|g| g.is_finite()), "k gradient {gk:?}");
    assert_eq!(gk[1], 0.0);
    // α = 1 row: the log-a gradient passes through (w = 1) plus ∂KL(a‖b)/∂log a from the kl term; 0 at a_i = 0.
    let row1 = &la[v..2 * v];
    for i in 0..v {
        let want = if row1[i] == ninf {
            0.0
        } else {
            1.0 + grad_of_kl_max(row1, &b0, i)
        };
        assert_close(
            &format!("α = 1 row gradient {i}"),
            ga[1][i] as f64,
            want as f64,
            1e-6,
        );
    }
}

/// ∂KL(a‖b)/∂log a_i = a_i log(a_i/b_i) (0 where a_i = 0).
fn grad_of_kl_max(la: &[f32], lb: &[f64], i: usize) -> f32 {
    let a = la[i] as f64;
    if a == f64::NEG_INFINITY {
        0.0
    } else {
        (a.exp() * (a - (lb[i] as f32) as f64)) as f32
    }
}

#[test]
fn bad_inputs_are_typed_errors() {
    let (la, lb) = (logs(&C7_A), logs(&C7_B));
    let name_of = |r: Result<AlphaSolve>| match r {
        Err(LlmError::InvalidArgument {
            name,
            value,
            expected,
        }) => (name, format!("{value}: {expected}")),
        other => panic!("expected InvalidArgument, got {other:?}"),
    };
    let mut nan_a = la.clone();
    nan_a[1] = f64::NAN;
    let mut inf_a = la.clone();
    inf_a[0] = f64::INFINITY;
    let unnorm_b = logs(&[0.1, 0.3, 0.5]);
    type Solver = fn(&[f64], &[f64], f64) -> Result<AlphaSolve>;
    let solvers: [(&str, Solver); 3] = [
        ("exact", solve_alpha),
        ("authors", |a, b, k| solve_alpha_authors(a, b, k, 20)),
        ("bisection", |a, b, k| solve_alpha_bisection(a, b, k, 200)),
    ];
    for (label, solve) in solvers {
        type Case<'a> = (&'a str, &'a [f64], &'a [f64], f64, &'a str);
        let cases: Vec<Case> = vec![
            ("NaN in log_a", &nan_a, &lb, 0.1, "log_a"),
            ("+inf in log_a", &inf_a, &lb, 0.1, "log_a"),
            ("target -1", &la, &lb, -1.0, "target"),
            ("target NaN", &la, &lb, f64::NAN, "target"),
            ("target +inf", &la, &lb, f64::INFINITY, "target"),
            ("unnormalised b", &la, &unnorm_b, 0.1, "log_b"),
            ("mismatched V", &la, &lb[..2], 0.1, "log_b"),
            ("empty", &[], &[], 0.1, "log_a"),
        ];
        for (what, a, b, k, want) in cases {
            let (name, msg) = name_of(solve(a, b, k));
            assert_eq!(name, want, "{label}/{what}: {msg}");
            if what == "unnormalised b" {
                assert!(msg.contains("not normalised"), "{msg}");
            }
        }
    }
    // Unnormalised a is reported as such too.
    let (name, msg) = name_of(solve_alpha(&unnorm_b, &lb, 0.1));
    assert_eq!(name, "log_a");
    assert!(
        msg.contains("logsumexp") && msg.contains("not normalised"),
        "{msg}"
    );

    // The batched op.
    let dev = Device::Cpu;
    let t = |v: Vec<f32>, s: (usize, usize)| Tensor::from_vec(v, s, &dev).unwrap();
    let la32: Vec<f32> = la.iter().map(|&x| x as f32).collect();
    let lb32: Vec<f32> = lb.iter().map(|&x| x as f32).collect();
    let a2 = t(la32.repeat(2), (2, 3));
    let b2 = t(lb32.repeat(2), (2, 3));
    let k2 = Tensor::new(&[0.1f32, 0.2], &dev).unwrap();
    let name_of_t = |r: Result<FixedMixture>| match r {
        Err(LlmError::InvalidArgument {
            name,
            value,
            expected,
        }) => (name, format!("{value}: {expected}")),
        Err(e) => panic!("expected InvalidArgument, got {e}"),
        Ok(_) => panic!("expected an error"),
    };
    let mut nan_rows = la32.repeat(2);
    nan_rows[4] = f32::NAN;
    let (name, msg) = name_of_t(kl_fixed_mixture(&t(nan_rows, (2, 3)), &b2, &k2));
    assert_eq!(name, "log_a");
    assert!(msg.contains("row 1"), "{msg}");
    let (name, _) = name_of_t(kl_fixed_mixture(
        &a2,
        &b2,
        &Tensor::new(&[0.1f32, -1.0], &dev).unwrap(),
    ));
    assert_eq!(name, "target");
    let (name, _) = name_of_t(kl_fixed_mixture(
        &a2,
        &b2,
        &Tensor::new(&[f32::NAN, 0.1], &dev).unwrap(),
    ));
    assert_eq!(name, "target");
    let bad_b: Vec<f32> = logs(&[0.1, 0.3, 0.5]).iter().map(|&x| x as f32).collect();
    let (name, msg) = name_of_t(kl_fixed_mixture(
        &a2,
        &t([lb32.clone(), bad_b].concat(), (2, 3)),
        &k2,
    ));
    assert_eq!(name, "log_b");
    assert!(
        msg.contains("row 1") && msg.contains("not normalised"),
        "{msg}"
    );
    // mismatched V
    let (name, _) = name_of_t(kl_fixed_mixture(
        &a2,
        &t(vec![-1.386_294_4; 8], (2, 4)),
        &k2,
    ));
    assert_eq!(name, "log_b");
    // mismatched n (log_b rows, target length)
    let (name, _) = name_of_t(kl_fixed_mixture(&a2, &t(lb32.repeat(3), (3, 3)), &k2));
    assert_eq!(name, "log_b");
    let (name, _) = name_of_t(kl_fixed_mixture(
        &a2,
        &b2,
        &Tensor::new(&[0.1f32, 0.2, 0.3], &dev).unwrap(),
    ));
    assert_eq!(name, "target");
    // wrong rank
    let (name, _) = name_of_t(kl_fixed_mixture(
        &t(la32.clone(), (1, 3)).flatten_all().unwrap(),
        &b2,
        &k2,
    ));
    assert_eq!(name, "log_a");
}

#[test]
fn init_fraction_is_one_seventeenth() {
    assert_close(
        "sigmoid(−ln 16)",
        sigmoid(-INIT_FRACTION_OFFSET),
        1.0 / 17.0,
        1e-15,
    );
    assert_close("INIT_FRACTION", INIT_FRACTION, 0.0588235294, 1e-10);
    assert_close("offset", INIT_FRACTION_OFFSET, 16f64.ln(), 1e-15);
    assert!(
        (sigmoid(-INIT_FRACTION_OFFSET) - 1.0 / 16.0).abs() > 1e-3,
        "not the paper's 1/16"
    );
}

#[test]
fn normalisation_of_f32_rows_over_a_32000_vocabulary() {
    // The op's real inputs: f32 log-softmax rows over Mixtral's vocabulary, a few dominant logits.
    let dev = Device::Cpu;
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let (n, v) = (2usize, 32000usize);
    let z: Vec<f32> = (0..n * v)
        .map(|i| (if i % v < 5 { 12.0 } else { 0.0 }) + (6.0 * rng.random::<f64>() - 3.0) as f32)
        .collect();
    let z = Tensor::from_vec(z, (n, v), &dev).unwrap();
    let za = z.affine(1.3, 0.0).unwrap();
    let k = Tensor::new(&[0.01f32, 0.5], &dev).unwrap();
    let lse_of = |t: &Tensor| -> f64 {
        let rows = t
            .to_dtype(candle_core::DType::F64)
            .unwrap()
            .to_vec2::<f64>()
            .unwrap();
        rows.iter()
            .map(|r| {
                let m = r.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                (m + r.iter().map(|x| (x - m).exp()).sum::<f64>().ln()).abs()
            })
            .fold(0.0, f64::max)
    };
    // candle's f32 log_softmax (naive f32 sum on the CPU) is normalised only to ~1e-4: a typed error.
    let (lb_c, la_c) = (
        candle_nn::ops::log_softmax(&z, 1).unwrap(),
        candle_nn::ops::log_softmax(&za, 1).unwrap(),
    );
    let candle_err = lse_of(&la_c).max(lse_of(&lb_c));
    match kl_fixed_mixture(&la_c, &lb_c, &k) {
        Err(LlmError::InvalidArgument { name, expected, .. }) if candle_err > NORMALISATION_TOL => {
            assert!(name == "log_a" || name == "log_b");
            assert!(expected.contains("not normalised"));
        }
        Ok(_) if candle_err <= NORMALISATION_TOL => {}
        other => panic!("candle rows at |lse| = {candle_err:e}: {other:?}"),
    }
    // exact_log_softmax rows pass, and its gradient is candle's log-softmax gradient.
    let z_var = Var::from_tensor(&za).unwrap();
    let la = exact_log_softmax(z_var.as_tensor()).unwrap();
    let lb = exact_log_softmax(&z).unwrap();
    let exact_err = lse_of(&la).max(lse_of(&lb));
    assert!(
        exact_err <= 6.2e-7,
        "exact_log_softmax |lse| = {exact_err:e}"
    );
    let m = kl_fixed_mixture(&la, &lb, &k).unwrap();
    for (s, k) in m.solves.iter().zip([0.01, 0.5]) {
        assert!(s.kl <= k && s.kl <= s.kl_max, "{s:?}");
        assert_eq!(s.reached, s.kl_max > k);
    }
    assert!(m.solves[0].reached);
    let w: Vec<f32> = (0..n * v)
        .map(|i| ((i * 7919) % 13) as f32 / 13.0 - 0.5)
        .collect();
    let w = Tensor::from_vec(w, (n, v), &dev).unwrap();
    let grad_z = |t: &Tensor| -> Vec<f32> {
        let g = t.mul(&w).unwrap().sum_all().unwrap().backward().unwrap();
        g.get(z_var.as_tensor())
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap()
    };
    // Reference in f64: ∂/∂z_i Σ_j w_j log p_j = w_i − p_i Σ_j w_j.
    let z64 = za
        .to_dtype(candle_core::DType::F64)
        .unwrap()
        .to_vec2::<f64>()
        .unwrap();
    let w64 = w
        .to_dtype(candle_core::DType::F64)
        .unwrap()
        .to_vec2::<f64>()
        .unwrap();
    let mut g64 = Vec::new();
    for r in 0..n {
        let lp = log_softmax64(&z64[r]);
        let sw: f64 = w64[r].iter().sum();
        g64.extend((0..v).map(|i| w64[r][i] - lp[i].exp() * sw));
    }
    let scale = g64.iter().fold(0.0f64, |a, x| a.max(x.abs()));
    let err_of = |g: &[f32]| {
        g.iter()
            .zip(&g64)
            .fold(0.0f64, |a, (x, y)| a.max((*x as f64 - y).abs()))
            / scale
    };
    let g_exact = grad_z(&la);
    let g_candle = grad_z(&candle_nn::ops::log_softmax(z_var.as_tensor(), 1).unwrap());
    let (diff, diff_candle) = (err_of(&g_exact), err_of(&g_candle));
    assert!(
        diff < 1e-5,
        "exact_log_softmax gradient relative error {diff:e}"
    );
    eprintln!(
        "V = 32000: candle f32 log_softmax |lse| = {candle_err:e}, exact_log_softmax |lse| = {exact_err:e}, \
         gradient max-abs-rel error {diff:e} (candle's log_softmax: {diff_candle:e}); solves {:?}",
        m.solves
    );
}
