//! Figures of the LLM commands, written like every other figure: `ID.svg` (+ `ID.png` with the
//! `png` feature), a tidy `ID.csv` and an `ID.json` provenance record with the contract's keys
//! (`paper: "llm"` for our own figures, `"kwa2024"`/`"cohen2024"` where the figure is one of the
//! paper's, regenerated on the models here).

use std::path::Path;
use std::time::Instant;

use crate::output::provenance::{git_state, hash_json, now_unix, Provenance, Versions};
use crate::output::{write_atomic, Table};
use crate::plot::{chart, svg_page, titled, Axes, Guides, Series, Style};
use crate::Result;

/// What one LLM figure is.
pub struct LlmFigure<'a> {
    /// Id (file stem).
    pub id: &'a str,
    /// Paper key.
    pub paper: &'a str,
    /// The paper's figure number, if it is one of the paper's.
    pub figure: Option<&'a str>,
    /// Title.
    pub title: &'a str,
    /// Resolved configuration.
    pub config: serde_json::Value,
    /// Master seed.
    pub seed: u64,
    /// Summary numbers.
    pub summary: serde_json::Value,
    /// Source file of the producer.
    pub source: &'a str,
}

/// Writes `dir/ID.{svg,png,csv,json}`.
///
/// # Errors
/// File-system and rendering errors.
pub fn write_llm_figure(
    dir: &Path,
    fig: &LlmFigure<'_>,
    svg: &str,
    table: &Table,
    command: &[String],
    started: Instant,
) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| crate::Error::io(dir, e))?;
    write_atomic(&dir.join(format!("{}.svg", fig.id)), svg.as_bytes())?;
    #[cfg(feature = "png")]
    write_atomic(
        &dir.join(format!("{}.png", fig.id)),
        &crate::output::png::svg_to_png(svg, 1.0)?,
    )?;
    write_atomic(
        &dir.join(format!("{}.csv", fig.id)),
        table.to_csv()?.as_bytes(),
    )?;
    let (git_commit, git_dirty) = git_state();
    let prov = Provenance {
        id: fig.id.to_string(),
        paper: fig.paper.to_string(),
        figure: fig.figure.map(str::to_string),
        title: fig.title.to_string(),
        command: command.to_vec(),
        config_hash: hash_json(&fig.config),
        config: fig.config.clone(),
        seed: fig.seed,
        quick: false,
        git_commit,
        git_dirty,
        versions: Versions::current(),
        source: fig.source.to_string(),
        summary: fig.summary.clone(),
        wall_s: started.elapsed().as_secs_f64(),
        timestamp_unix: now_unix(),
    };
    let json =
        serde_json::to_string_pretty(&prov).map_err(|e| crate::Error::Other(e.to_string()))?;
    write_atomic(&dir.join(format!("{}.json", fig.id)), json.as_bytes())
}

/// `llm-train-small`: the training curves of the small pair (LM cross-entropy, classifier loss and
/// held-out accuracy).
///
/// # Errors
/// File-system and rendering errors.
pub fn write_training_figure(
    dir: &Path,
    r: &goodhart_llm::train::TrainReport,
    command: &[String],
) -> Result<()> {
    let started = Instant::now();
    let mut table = Table::new(&[
        "model",
        "step",
        "train_loss_nats",
        "held_out_loss_nats",
        "held_out_accuracy",
    ]);
    let opt = |v: Option<f64>| v.map(Into::into).unwrap_or_else(|| f64::NAN.into());
    for p in &r.curve {
        table.push(vec![
            p.model.clone().into(),
            (p.step as f64).into(),
            p.train_loss.into(),
            opt(p.held_out_loss),
            opt(p.held_out_accuracy),
        ])?;
    }
    let pts = |model: &str, f: &dyn Fn(&goodhart_llm::train::CurvePoint) -> Option<f64>| {
        r.curve
            .iter()
            .filter(|p| p.model == model)
            .filter_map(|p| f(p).map(|v| (p.step as f64, v)))
            .collect::<Vec<_>>()
    };
    let headline = format!(
        "Small pair trained on CPU: LM held-out {:.3} nats/token (ln V = {:.3}); classifier held-out accuracy {:.3}",
        r.lm_held_out_loss, r.lm_uniform_loss, r.classifier_held_out_accuracy
    );
    let svg = svg_page(1400, 600, "goodhart llm train-small --out DIR", |a| {
        let body = titled(a, &headline, 17)?;
        let p = body.split_evenly((1, 2));
        chart(
            &p[0],
            "Mixtral-architecture LM on synthetic dialogues",
            &Axes {
                x_label: "optimiser step".into(),
                y_label: "cross-entropy (nats/token)".into(),
                ..Default::default()
            },
            &[
                Series::line("train batch", pts("lm", &|p| Some(p.train_loss)), 0),
                Series::line("held out", pts("lm", &|p| p.held_out_loss), 1)
                    .styled(Style::LinePoints),
            ],
            &Guides {
                hlines: vec![(r.lm_uniform_loss, "uniform: ln V".into())],
                ..Default::default()
            },
        )?;
        chart(
            &p[1],
            "DistilBERT sentiment classifier",
            &Axes {
                x_label: "optimiser step".into(),
                y_label: "loss (nats) / accuracy".into(),
                ..Default::default()
            },
            &[
                Series::line(
                    "train batch loss",
                    pts("classifier", &|p| Some(p.train_loss)),
                    0,
                ),
                Series::line(
                    "held-out accuracy",
                    pts("classifier", &|p| p.held_out_accuracy),
                    2,
                )
                .styled(Style::LinePoints),
            ],
            &Guides {
                hlines: vec![(0.5, "chance".into())],
                ..Default::default()
            },
        )
    })?;
    let fig = LlmFigure {
        id: "llm-train-small",
        paper: "llm",
        figure: None,
        title: "Training curves of the small Mixtral-architecture LM and DistilBERT classifier",
        config: serde_json::to_value(&r.options).map_err(|e| crate::Error::Other(e.to_string()))?,
        seed: r.options.seed,
        summary: serde_json::json!({
            "lm_held_out_loss": r.lm_held_out_loss,
            "lm_uniform_loss": r.lm_uniform_loss,
            "lm_initial_held_out_loss": r.lm_initial_held_out_loss,
            "classifier_held_out_accuracy": r.classifier_held_out_accuracy,
            "lm_wall_s": r.lm_wall_s,
            "classifier_wall_s": r.classifier_wall_s,
        }),
        source: file!(),
    };
    write_llm_figure(dir, &fig, &svg, &table, command, started)
}
