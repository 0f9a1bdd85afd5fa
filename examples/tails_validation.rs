//! Re-measures the validation table in the module docs of `goodhart::estimate::verdict`.
//!
//! `cargo run --release -p goodhart --features png --example tails_validation [-- refit]`
//!
//! Samples: `seeded_sample(law, n, seed, "tails/validation/{key}", positive_part)` for seeds
//! 100–119, `n` = 5 000 and 20 000; fixed-x_min GOF bootstrap with `B = 100`. With `refit`:
//! `B = 50` with x_min re-selected per replicate, n = 5 000, seeds 100–109.
use goodhart::dist::Law;
use goodhart::estimate::verdict::{seeded_sample, verdict, TailVerdict, VerdictOptions};

fn main() -> anyhow::Result<()> {
    let refit = std::env::args().any(|a| a == "refit");
    let laws: Vec<(&str, Law, bool)> = vec![
        ("pareto2.5", Law::pareto(1.0, 2.5)?, false),
        ("t3+", Law::student_t(3.0, 0.0, 1.0)?, true),
        ("lognormal", Law::lognormal(0.0, 1.0)?, false),
        ("normal", Law::normal(0.0, 1.0)?, false),
        ("exp", Law::exponential(1.0)?, false),
        ("weibull2", Law::weibull(2.0, 1.0)?, false),
    ];
    let mut o = VerdictOptions::default();
    o.gof.refit_xmin = refit;
    o.gof.replicates = if refit { 50 } else { 100 };
    let (ns, seeds): (&[usize], std::ops::Range<u64>) = if refit {
        (&[5_000], 100..110)
    } else {
        (&[5_000, 20_000], 100..120)
    };
    for (key, law, pp) in &laws {
        for &n in ns {
            let t0 = std::time::Instant::now();
            let (mut h, mut l, mut u) = (0, 0, 0);
            let mut rules = std::collections::BTreeMap::<String, usize>::new();
            for seed in seeds.clone() {
                let x = seeded_sample(law, n, seed, &format!("tails/validation/{key}"), *pp);
                let r = verdict(&x, &o, seed)?;
                match r.verdict {
                    TailVerdict::Heavy => h += 1,
                    TailVerdict::Light => l += 1,
                    TailVerdict::Undetermined => u += 1,
                }
                *rules.entry(r.evidence.rule.clone()).or_default() += 1;
            }
            println!(
                "{key:<10} n = {n:>6}: heavy {h:>2}  light {l:>2}  undetermined {u:>2}   ({:.1} s)",
                t0.elapsed().as_secs_f64()
            );
            for (r, c) in rules {
                println!("      {c:>2} × {r}");
            }
        }
    }
    Ok(())
}
