//! The KL-budget trainer's guarantees (spec check C8) and exact resume.

use candle_core::Device;

use super::*;
use crate::silence::{c8, BaseKind, SilenceConfig, SilenceWorld};

fn world(n_envs: usize) -> SilenceWorld {
    SilenceWorld::new(
        SilenceConfig {
            n_envs,
            ..SilenceConfig::default()
        },
        &Device::Cpu,
    )
    .unwrap()
}

#[test]
fn c8_accounting_is_exact_and_the_budget_is_never_exceeded() {
    let r = c8(11, 2048).unwrap();
    // Per-step KL equals min(target, KL(a‖b)) to the solver's precision.
    assert!(r.max_kl_rule_error < 1e-9, "{r:?}");
    // Expected rule: Σ per-step KL ≤ B on every episode (up to the f32 rounding of the budget input).
    assert!(
        r.max_episode_kl_expected_rule <= r.budget_nats * (1.0 + 1e-6),
        "{r:?}"
    );
    // A random actor spends a real part of the budget (the test is not vacuous).
    assert!(r.max_episode_kl_expected_rule > 0.5, "{r:?}");
    assert!(r.min_budget_left >= 0.0, "{r:?}");
    // Realised rule: Σ log-ratio ≤ B + what the floor forgave.
    assert!(r.max_realised_excess <= 1e-6, "{r:?}");
    // Martingale identity: E[Σ log-ratio − Σ KL] = 0, within 4 standard errors.
    assert!(
        r.mean_log_ratio_minus_kl.abs() <= 4.0 * r.mean_log_ratio_minus_kl_se,
        "{r:?}"
    );
    assert!(
        r.mean_log_ratio_minus_kl_se > 0.0 && r.episodes >= 256,
        "{r:?}"
    );
}

#[test]
fn bayesian_silence_world_costs_shrink_after_the_first_empty_turn() {
    let w = world(1);
    // Base predictive of an empty turn: ε, then (1+ε)/2, (2+ε)/3, …: −ln p falls from 3.9 nats.
    let c0 = -w.p_empty(0, 0).ln();
    let c1 = -w.p_empty(1, 1).ln();
    let c5 = -w.p_empty(5, 5).ln();
    assert!((c0 - (1.0f64 / 0.02).ln()).abs() < 1e-12);
    assert!(c1 < 0.7 && c5 < 0.2 && c0 > 3.9, "{c0} {c1} {c5}");
    let f = SilenceWorld::new(
        SilenceConfig {
            base: BaseKind::Fixed,
            ..SilenceConfig::default()
        },
        &Device::Cpu,
    )
    .unwrap();
    assert_eq!(f.p_empty(5, 5), 0.02);
}

#[test]
fn a_resumed_run_continues_exactly_as_if_uninterrupted() {
    let dev = Device::Cpu;
    let mut cfg = PpoConfig::cpu(5.0, 1600);
    cfg.update_steps = 300;
    cfg.minibatch = 64;
    cfg.epochs = 2;
    let mut env = world(4);
    let mut whole = Trainer::new(cfg.clone(), env.state_dim(), env.vocab_size(), &dev).unwrap();
    let full = whole.train(&mut env, None, &mut |_, _, _| false).unwrap();
    assert!(full.metrics.len() >= 4, "{}", full.metrics.len());

    let dir = tempfile::tempdir().unwrap();
    let mut first = Trainer::new(cfg.clone(), env.state_dim(), env.vocab_size(), &dev).unwrap();
    let mut n = 0;
    let stopped = first.train(&mut env, Some(dir.path()), &mut |_, _, _| {
        n += 1;
        n == 2
    });
    assert!(matches!(stopped, Err(LlmError::Interrupted)));
    let mut second = Trainer::new(cfg.clone(), env.state_dim(), env.vocab_size(), &dev).unwrap();
    second.resume(dir.path()).unwrap();
    let resumed = second
        .train(&mut env, Some(dir.path()), &mut |_, _, _| false)
        .unwrap();
    assert_eq!(resumed.metrics.len(), full.metrics.len());
    for (a, b) in full.metrics.iter().zip(&resumed.metrics) {
        let (mut a, mut b) = (a.clone(), b.clone());
        a.wall_s = 0.0;
        b.wall_s = 0.0;
        assert_eq!(a, b);
    }
    assert_eq!(full.episodes, resumed.episodes);
    for ((na, ta), (nb, tb)) in whole
        .agent
        .tensors()
        .iter()
        .zip(second.agent.tensors().iter())
    {
        assert_eq!(na, nb);
        let d = (ta - tb)
            .unwrap()
            .abs()
            .unwrap()
            .max_all()
            .unwrap()
            .to_scalar::<f32>()
            .unwrap();
        assert_eq!(d, 0.0, "{na} differs by {d}");
    }
    // A checkpoint from another configuration is refused, naming both hashes.
    let mut other = cfg.clone();
    other.budget_nats = 6.0;
    let mut t = Trainer::new(other, env.state_dim(), env.vocab_size(), &dev).unwrap();
    assert!(matches!(
        t.resume(dir.path()),
        Err(LlmError::CheckpointMismatch { .. })
    ));
    // A truncated checkpoint is a typed error, not a panic.
    std::fs::write(dir.path().join("trainer.json"), "{").unwrap();
    let mut t = Trainer::new(cfg, env.state_dim(), env.vocab_size(), &dev).unwrap();
    assert!(matches!(t.resume(dir.path()), Err(LlmError::Config { .. })));
}

#[test]
fn bad_settings_are_typed_errors() {
    let mut c = PpoConfig::cpu(10.0, 100);
    c.budget_nats = -1.0;
    assert!(matches!(
        c.validate(),
        Err(LlmError::InvalidArgument {
            name: "budget_nats",
            ..
        })
    ));
    c.budget_nats = f64::NAN;
    assert!(c.validate().is_err());
    let mut c = PpoConfig::cpu(10.0, 100);
    c.epochs = 0;
    assert!(matches!(
        c.validate(),
        Err(LlmError::InvalidArgument { name: "epochs", .. })
    ));
    assert!((PpoConfig::paper(10.0).round_budget(0) - 10.0 / 3e6).abs() < 1e-15);
    assert_eq!(PpoConfig::paper(10.0).round_budget(5_000_000), 10.0);
    // An environment of another shape is refused.
    let dev = Device::Cpu;
    let mut env = world(2);
    let mut t = Trainer::new(
        PpoConfig::cpu(1.0, 10),
        env.state_dim() + 1,
        env.vocab_size(),
        &dev,
    )
    .unwrap();
    assert!(matches!(
        t.train(&mut env, None, &mut |_, _, _| false),
        Err(LlmError::ShapeMismatch { .. })
    ));
}

#[test]
fn config_files_parse_and_match_the_presets() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../configs");
    let gpu = crate::experiment::ExperimentConfig::from_toml_file(std::path::Path::new(&format!(
        "{root}/gpu-mixtral.toml"
    )))
    .unwrap();
    assert_eq!(gpu.ppo, PpoConfig::paper(20.0));
    assert_eq!(gpu.chat, crate::chat::ChatConfig::paper(256));
    let cpu = crate::experiment::ExperimentConfig::from_toml_file(std::path::Path::new(&format!(
        "{root}/cpu-small.toml"
    )))
    .unwrap();
    assert_eq!(cpu.ppo, PpoConfig::cpu(10.0, 6144));
    let bad = "base = 'a'\nreward = 'b'\nno_such_key = 1\n";
    let e = crate::experiment::ExperimentConfig::from_toml(bad, "bad.toml")
        .unwrap_err()
        .to_string();
    assert!(e.contains("bad.toml") && e.contains("no_such_key"), "{e}");
}
