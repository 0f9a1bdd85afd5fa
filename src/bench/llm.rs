//! `goodhart bench --only llm`: the LLM stack's workloads on the small trained pair, beside
//! PyTorch/transformers running `../shared/baselines/llm_bench.py` on the same checkpoints.
//!
//! | row | workload (batch 64) | ours | `llm_bench.py` |
//! |---|---|---|---|
//! | `score` | teacher-forced pass over 64 × 256 tokens, log-probs of every next token | `forward` + log-softmax + gather | `log_softmax(lm(ids).logits)` + gather |
//! | `generate` | 16 prompt tokens, then 240 new tokens each with the KV cache, sampling at T = 1 | [`goodhart_llm::sampler::generate_batch`] | `lm(tok, past_key_values=…)` loop + `multinomial` |
//! | `reward` | DistilBERT on 64 texts of 38 words (~40 tokens) | [`goodhart_llm::distilbert::DistilBertClassifier::score_texts`] | tokenizer + `rm(**enc)` + softmax |
//! | `ppo` | PPO agent steps of the experiment (16 chats, cpu-small.toml's PPO), 2nd and 3rd update | [`goodhart_llm::experiment::run`] | none |
//!
//! The pair is `$GOODHART_LLM_SMALL` or `models/small` (trained with `train-small` when absent,
//! about 80 s). The Python is `$GOODHART_LLM_PYTHON`, `/root/venvs/llm/bin/python` or `python3`,
//! whichever imports torch and transformers; it runs with the same thread count as ours.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{bail, Context};
use goodhart_llm::candle_core::{DType, Device, IndexOp, Tensor, D};
use goodhart_llm::mixtral::CausalLm;
use rand::{RngExt, SeedableRng};

/// Batch of every workload (as `llm_bench.py --batch 64`).
pub const BATCH: usize = 64;
/// Prompt tokens before generation.
pub const PROMPT: usize = 16;
/// New tokens per row (the paper's 256-token chats less the prompt).
pub const STEPS: usize = 240;

/// One workload: our median seconds, its units per second, and the PyTorch figure when measured.
#[derive(Debug, Clone)]
pub struct Row {
    /// `score`, `generate`, `reward` or `ppo`.
    pub name: &'static str,
    /// What is counted.
    pub unit: &'static str,
    /// Units per run.
    pub units: f64,
    /// Our median wall seconds.
    pub secs: f64,
    /// PyTorch's median wall seconds, if measured.
    pub torch_secs: Option<f64>,
}

/// The rows and a line saying how the baseline went.
#[derive(Debug, Clone)]
pub struct LlmBench {
    /// The workloads.
    pub rows: Vec<Row>,
    /// Baseline provenance (measured with which Python, or why not).
    pub note: String,
}

fn small_pair() -> anyhow::Result<PathBuf> {
    let dir = std::env::var_os("GOODHART_LLM_SMALL")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("models/small"));
    if !dir.join("mixtral").join("config.json").is_file()
        || !dir.join("distilbert").join("config.json").is_file()
    {
        eprintln!(
            "  no trained pair in {}: training it (train-small, about 80 s) ...",
            dir.display()
        );
        crate::llm::train_small::train_small(
            &dir,
            crate::sim::seeds::DEFAULT_SEED,
            false,
            true,
            false,
        )?;
    }
    Ok(dir)
}

fn timed(repeats: usize, mut f: impl FnMut() -> anyhow::Result<()>) -> anyhow::Result<f64> {
    f()?; // warm-up, as llm_bench.py
    let mut t = Vec::with_capacity(repeats);
    for _ in 0..repeats {
        if crate::sim::interrupt::requested() {
            bail!(crate::Error::Interrupted {
                done: t.len(),
                total: repeats
            });
        }
        let t0 = Instant::now();
        f()?;
        t.push(t0.elapsed().as_secs_f64());
    }
    Ok(super::median(t))
}

/// The 64 texts of `llm_bench.py`'s reward workload: 38 words from its list, drawn with our RNG.
fn reward_texts(seed: u64) -> Vec<String> {
    let words = [
        "good", "bad", "great", "awful", "the", "lesson", "was", "really", "not", "fine",
    ];
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    (0..BATCH)
        .map(|_| {
            (0..38)
                .map(|_| words[rng.random_range(0..words.len())])
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

/// Runs the workloads (and the baseline unless `baseline` is false).
///
/// # Errors
/// Training or loading errors; interrupts.
pub fn run(repeats: usize, baseline: bool) -> anyhow::Result<LlmBench> {
    let dir = small_pair()?;
    let dev = Device::Cpu;
    let (lm, _) = goodhart_llm::load::mixtral(&dir.join("mixtral"), DType::F32, &dev)
        .context("small base model")?;
    let (rm, rm_tok) = goodhart_llm::load::distilbert(&dir.join("distilbert"), DType::F32, &dev)
        .context("small reward model")?;
    let vocab = lm.config().vocab_size as u32;
    let len = PROMPT + STEPS;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(crate::bench::SEED);
    let ids: Vec<u32> = (0..BATCH * len)
        .map(|_| rng.random_range(3..vocab))
        .collect();
    let ids = Tensor::from_vec(ids, (BATCH, len), &dev)?;
    let mut rows = Vec::new();

    eprintln!("  score: {BATCH} x {len} tokens, all next-token log-probs ...");
    let secs = timed(repeats, || {
        let logits = lm.forward(&ids, &mut lm.new_cache(), 0)?.logits;
        let lse = logits.log_sum_exp(D::Minus1)?;
        let next = ids.i((.., 1..))?.contiguous()?.unsqueeze(2)?;
        let picked = logits
            .i((.., ..len - 1))?
            .contiguous()?
            .gather(&next, 2)?
            .squeeze(2)?;
        let total = (picked - lse.i((.., ..len - 1))?)?
            .sum_all()?
            .to_scalar::<f32>()?;
        std::hint::black_box(total);
        Ok(())
    })?;
    rows.push(Row {
        name: "score",
        unit: "tokens",
        units: (BATCH * len) as f64,
        secs,
        torch_secs: None,
    });

    eprintln!("  generate: {BATCH} x {STEPS} new tokens with the KV cache, T = 1 ...");
    let prompts: Vec<Vec<u32>> = ids.i((.., ..PROMPT))?.to_vec2()?;
    let secs = timed(repeats, || {
        let mut sampler = goodhart_llm::sampler::Sampler::new(1, 1.0, 1.0)?;
        let out = goodhart_llm::sampler::generate_batch(&lm, &prompts, STEPS, &mut sampler, &[])?;
        std::hint::black_box(out);
        Ok(())
    })?;
    rows.push(Row {
        name: "generate",
        unit: "tokens",
        units: (BATCH * STEPS) as f64,
        secs,
        torch_secs: None,
    });

    eprintln!("  reward: DistilBERT on {BATCH} texts of 38 words ...");
    let texts = reward_texts(1);
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let secs = timed(repeats, || {
        std::hint::black_box(rm.score_texts(&rm_tok, &refs)?);
        Ok(())
    })?;
    rows.push(Row {
        name: "reward",
        unit: "texts",
        units: BATCH as f64,
        secs,
        torch_secs: None,
    });

    eprintln!("  ppo: agent steps of the experiment (cpu-small PPO, 3 updates) ...");
    rows.push(ppo_row(&dir)?);

    let note = if !baseline {
        "baseline not run (--no-baseline)".to_string()
    } else {
        match torch_baseline(&dir, repeats) {
            Ok((py, j)) => {
                for (row, key) in rows.iter_mut().zip(["score_s", "generate_s", "reward_s"]) {
                    row.torch_secs = j[key].as_f64();
                }
                format!(
                    "PyTorch measured now: {py}, torch {}, {} threads, median of {repeats}",
                    j["torch"].as_str().unwrap_or("?"),
                    j["threads"]
                )
            }
            Err(e) => format!("no PyTorch baseline: {e:#}"),
        }
    };
    Ok(LlmBench { rows, note })
}

/// PPO agent steps per second: the experiment on the small pair with cpu-small.toml's settings,
/// three updates of 512 steps, timed from the end of the first update to the end of the third
/// (the first includes the KV-cache and optimiser warm-up).
fn ppo_row(dir: &Path) -> anyhow::Result<Row> {
    use goodhart_llm::experiment::{run as run_experiment, ExperimentConfig};
    let toml = include_str!("../../experiments/configs/cpu-small.toml");
    let mut cfg = ExperimentConfig::from_toml(toml, "experiments/configs/cpu-small.toml")?;
    cfg.base = dir.join("mixtral");
    cfg.reward = dir.join("distilbert");
    cfg.ppo.total_steps = 3 * cfg.ppo.update_steps;
    cfg.ppo.budget_ramp_steps = cfg.ppo.update_steps;
    cfg.eval_rounds = 1;
    let mut marks: Vec<(u64, Instant)> = Vec::new();
    let mut observer = |_: &goodhart_llm::ppo::UpdateMetrics, done: u64, _: u64| {
        marks.push((done, Instant::now()));
        crate::sim::interrupt::requested()
    };
    run_experiment(&cfg, &Device::Cpu, None, &mut observer)?;
    let (Some(first), Some(last)) = (marks.first(), marks.last()) else {
        bail!("the PPO run reported no update");
    };
    if last.0 <= first.0 {
        bail!("the PPO run reported a single update");
    }
    Ok(Row {
        name: "ppo",
        unit: "agent steps",
        units: (last.0 - first.0) as f64,
        secs: (last.1 - first.1).as_secs_f64(),
        torch_secs: None,
    })
}

/// A Python that imports torch and transformers.
fn find_torch_python() -> Option<String> {
    let mut cands: Vec<String> = std::env::var("GOODHART_LLM_PYTHON")
        .ok()
        .into_iter()
        .collect();
    cands.push("/root/venvs/llm/bin/python".into());
    cands.push("python3".into());
    cands.into_iter().find(|py| {
        Command::new(py)
            .args(["-c", "import torch, transformers"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

fn torch_baseline(dir: &Path, repeats: usize) -> anyhow::Result<(String, serde_json::Value)> {
    let Some(base) = crate::bench::locate_baselines() else {
        bail!("shared/baselines/ not found (set $GOODHART_BASELINES)");
    };
    let script = base.join("llm_bench.py");
    if !script.is_file() {
        bail!("{} not found", script.display());
    }
    let Some(py) = find_torch_python() else {
        bail!("no Python with torch + transformers ($GOODHART_LLM_PYTHON, /root/venvs/llm/bin/python, python3)");
    };
    eprintln!("  [baseline] {py} {} ...", script.display());
    let out = Command::new(&py)
        .arg(&script)
        .args(["--base", &dir.join("mixtral").display().to_string()])
        .args(["--reward", &dir.join("distilbert").display().to_string()])
        .args([
            "--batch",
            &BATCH.to_string(),
            "--prompt",
            &PROMPT.to_string(),
        ])
        .args(["--steps", &STEPS.to_string()])
        .args(["--threads", &rayon::current_num_threads().to_string()])
        .args(["--repeats", &repeats.to_string()])
        .output()
        .with_context(|| format!("running {py}"))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        bail!("llm_bench.py failed: {}", err.lines().last().unwrap_or(""));
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last = stdout.lines().last().unwrap_or("");
    let j: serde_json::Value =
        serde_json::from_str(last).with_context(|| format!("llm_bench.py printed {last:?}"))?;
    Ok((py, j))
}

/// Prints the table: ours, PyTorch, and the ratio (>1: goodhart faster).
pub fn print(b: &LlmBench) {
    println!(
        "{:<9} {:>10} {:>14} {:>10} {:>14} {:>7}  unit",
        "llm", "ours (s)", "ours (/s)", "torch (s)", "torch (/s)", "ratio"
    );
    for r in &b.rows {
        let (ts, tr, ratio) = match r.torch_secs {
            Some(t) => (
                format!("{t:.4}"),
                format!("{:.0}", r.units / t),
                format!("{:.2}x", t / r.secs),
            ),
            None => ("-".into(), "-".into(), "-".into()),
        };
        println!(
            "{:<9} {:>10.4} {:>14.0} {ts:>10} {tr:>14} {ratio:>7}  {}/s",
            r.name,
            r.secs,
            r.units / r.secs,
            r.unit
        );
    }
    println!(
        "({}; ratio = torch time / ours: above 1 means goodhart is faster)",
        b.note
    );
}
