//! `goodhart llm train-small`: trains the small real models on CPU (crate `goodhart-llm`'s
//! [`goodhart_llm::train::train_small_pair`]) with a progress bar per model, writes the
//! `llm-train-small` figure ([`crate::llm::figures::write_training_figure`]) and says what was
//! learnt. `llm validate` and `goodhart bench llm` call it to train models they lack.

use std::path::Path;
use std::process::ExitCode;

use crate::output::progress::bar;
use crate::sim::interrupt;

/// Trains the small pair into `out` (seed `seed`, smoke preset if `quick`) and writes its figure.
///
/// # Errors
/// Training and file-system errors naming `out`; [`crate::Error::Interrupted`] on Ctrl-C.
pub fn train_small(
    out: &Path,
    seed: u64,
    quick: bool,
    quiet: bool,
    // false when a caller (validate --json) owns stdout: the summary then goes to stderr
    on_stdout: bool,
) -> anyhow::Result<ExitCode> {
    use goodhart_llm::train::{train_small_pair, TrainOptions};
    let opts = TrainOptions {
        seed,
        ..if quick {
            TrainOptions::smoke()
        } else {
            TrainOptions::default()
        }
    };
    let mut current: Option<(String, indicatif::ProgressBar)> = None;
    let mut progress = |model: &str, step: usize, steps: usize, loss: f64| {
        if current.as_ref().map(|c| c.0 != model).unwrap_or(true) {
            if let Some((_, pb)) = current.take() {
                pb.finish_and_clear();
            }
            current = Some((model.to_string(), bar(quiet, steps as u64, model)));
        }
        if let Some((_, pb)) = &current {
            pb.set_position(step as u64);
            pb.set_prefix(format!("loss {loss:.3}"));
        }
        interrupt::requested()
    };
    let report = train_small_pair(out, &opts, &mut progress).map_err(|e| match e {
        goodhart_llm::LlmError::Interrupted => {
            anyhow::Error::from(crate::Error::Interrupted { done: 0, total: 3 })
        }
        e => anyhow::Error::from(e).context(format!("train-small into {}", out.display())),
    })?;
    if let Some((_, pb)) = current.take() {
        pb.finish_and_clear();
    }
    crate::llm::figures::write_training_figure(
        out,
        &report,
        &std::env::args().collect::<Vec<_>>(),
    )?;
    let say = |line: String| {
        if on_stdout {
            println!("{line}");
        } else if !quiet {
            eprintln!("{line}");
        }
    };
    say(format!(
        "LM: held-out cross-entropy {:.3} nats/token (uniform ln V = {:.3}, at init {:.3}), {:.0} s; classifier: held-out accuracy {:.3} (at init {:.3}), {:.0} s",
        report.lm_held_out_loss,
        report.lm_uniform_loss,
        report.lm_initial_held_out_loss,
        report.lm_wall_s,
        report.classifier_held_out_accuracy,
        report.classifier_initial_accuracy,
        report.classifier_wall_s
    ));
    if let Some(ic) = &report.in_context {
        say(format!(
            "in-context LM ({} layers x {} wide, {} parameters, habit corpus): held-out cross-entropy {:.3} nats/token (at init {:.3}), {:.0} s",
            ic.options.layers, ic.options.hidden, ic.parameters, ic.held_out_loss, ic.initial_held_out_loss, ic.wall_s
        ));
    }
    say(format!(
        "wrote {}/{{mixtral,mixtral-incontext,distilbert}}/, train-report.json, llm-train-small.{{svg,csv}}",
        out.display()
    ));
    Ok(ExitCode::SUCCESS)
}
