//! Figures of the LLM commands: what each is ([`SPECS`], listed by the figure registry under
//! feature `llm`, so `goodhart figure --list` shows them with the `llm` command that makes them),
//! and their writing with the one figure writer ([`crate::output::figure_files`]): `ID.svg`
//! (+ `ID.png` with the `png` feature), a tidy `ID.csv` and an `ID.json` provenance record with the
//! contract's keys (`paper: "llm"` for our own figures, `"kwa2024"`/`"cohen2024"` where the figure
//! is one of the paper's, regenerated on the models here).

use std::path::Path;
use std::time::Instant;

use crate::output::provenance::{FigureFacts, Provenance};
use crate::output::{write_figure_files, write_provenance, FigureFiles, Table};
use crate::plot::{chart, svg_page, titled, Axes, Guides, Series, Style};
use crate::report::Paper;
use crate::Result;

/// An LLM figure as the figure catalogue lists it: made by an `llm` command from models trained
/// here, so `reproduce` does not make it; `goodhart figure --list` shows it with `command`.
#[derive(Debug)]
pub struct LlmFigureSpec {
    /// Id (file stem of its outputs).
    pub id: &'static str,
    /// Paper key (`llm` for our own figures, `kwa2024`/`cohen2024` where the paper has the figure).
    pub paper: Paper,
    /// The paper's figure number, if it is one of the paper's.
    pub figure: Option<&'static str>,
    /// Title (also the figure's headline where the headline has no numbers in it).
    pub title: &'static str,
    /// The command that regenerates it.
    pub command: &'static str,
    /// Source file of the producer.
    pub source: &'static str,
}

/// `llm-train-small` ([`write_training_figure`]).
pub const TRAIN_SMALL: LlmFigureSpec = LlmFigureSpec {
    id: "llm-train-small",
    paper: Paper::Llm,
    figure: None,
    title: "Training curves of the small Mixtral-architecture LM and DistilBERT classifier",
    command: "goodhart llm train-small --out DIR",
    source: "src/llm/figures.rs",
};

/// Cohen et al. 2024's Figure 2 on the small models (`llm validate`).
pub const COHEN_TRANSCRIPTS: LlmFigureSpec = LlmFigureSpec {
    id: "cohen24-llm-transcripts",
    paper: Paper::Cohen2024,
    figure: Some("2"),
    title: "Evaluation transcripts: agent (Teacher) tokens coloured by per-token KL to the base LM; grey = prompt and Student",
    command: "goodhart llm validate --out DIR",
    source: "src/llm/validate/figures.rs",
};

/// Cohen et al. 2024's Figure 3 on the small models (`llm validate`).
pub const COHEN_EMPTY_KL: LlmFigureSpec = LlmFigureSpec {
    id: "cohen24-llm-empty-kl",
    paper: Paper::Cohen2024,
    figure: Some("3"),
    title: "KL cost of the n-th empty reply (median, quartile band; evaluation episodes) beside each base's price of forced silences",
    command: "goodhart llm validate --out DIR",
    source: "src/llm/validate/figures.rs",
};

/// Cohen et al. 2024's Figure 4 on the small models (`llm validate`).
pub const COHEN_EMPTY_FRACTION: LlmFigureSpec = LlmFigureSpec {
    id: "cohen24-llm-empty-fraction",
    paper: Paper::Cohen2024,
    figure: Some("4"),
    title: "Fraction of empty agent replies per evaluation episode: histograms by budget and percentiles (★: equal per-token KL, budget 10 at L vs budget 20 at 2L)",
    command: "goodhart llm validate --out DIR",
    source: "src/llm/validate/figures.rs",
};

/// The KL-budget PPO training curves (`llm validate`, also `llm train`).
pub const COHEN_TRAINING: LlmFigureSpec = LlmFigureSpec {
    id: "cohen24-llm-training",
    paper: Paper::Cohen2024,
    figure: None,
    title: "KL-budget PPO over the small base LMs: reward, KL used and empty replies over training (solid: first seed, dashed: others)",
    command: "goodhart llm validate --out DIR",
    source: "src/llm/validate/figures.rs",
};

/// Kwa et al. 2024's Figure B.1 on a local reward model (`llm probe`).
pub const KWA_B1_PROBE: LlmFigureSpec = LlmFigureSpec {
    id: "kwa24-fig-b1-probe",
    paper: Paper::Kwa2024,
    figure: Some("B.1"),
    title: "Figure B.1 on this reward model: histogram and normal probability plot of rewards of random token sequences",
    command: "goodhart llm probe --reward DIR --out DIR",
    source: "src/llm/tail_probe.rs",
};

/// Kwa et al. 2024's Figure B.2 on local models (`llm probe --base`).
pub const KWA_B2_PROBE: LlmFigureSpec = LlmFigureSpec {
    id: "kwa24-fig-b2-probe",
    paper: Paper::Kwa2024,
    figure: Some("B.2"),
    title: "Figure B.2 on these models: reward vs log-probability of ACG-optimised sequences",
    command: "goodhart llm probe --reward DIR --base DIR --out DIR",
    source: "src/llm/tail_probe.rs",
};

/// Every LLM figure, in the order `figure --list` shows them.
pub const SPECS: &[&LlmFigureSpec] = &[
    &TRAIN_SMALL,
    &COHEN_TRANSCRIPTS,
    &COHEN_EMPTY_KL,
    &COHEN_EMPTY_FRACTION,
    &COHEN_TRAINING,
    &KWA_B1_PROBE,
    &KWA_B2_PROBE,
];

/// One LLM figure as made: its spec and what this run used and found.
pub struct LlmFigure<'a> {
    /// What the figure is.
    pub spec: &'a LlmFigureSpec,
    /// Resolved configuration.
    pub config: serde_json::Value,
    /// Master seed.
    pub seed: u64,
    /// Summary numbers.
    pub summary: serde_json::Value,
}

/// Writes `dir/ID.{svg,png,csv,json}` with the one figure writer ([`write_figure_files`],
/// [`write_provenance`]); the record's `quick` is false (the LLM commands' presets are in `config`).
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
    let spec = fig.spec;
    let files = write_figure_files(dir, &FigureFiles::of(spec.id, svg, table))?;
    let prov = Provenance::new(FigureFacts {
        id: spec.id,
        paper: spec.paper.as_str(),
        figure: spec.figure,
        title: spec.title,
        command: command.to_vec(),
        config: fig.config.clone(),
        seed: fig.seed,
        quick: false,
        source: spec.source,
        summary: fig.summary.clone(),
        wall_s: started.elapsed().as_secs_f64(),
    });
    write_provenance(dir, &prov, &files, None)?;
    Ok(())
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
    let ic = r
        .in_context
        .as_ref()
        .map(|ic| format!("; in-context LM {:.3}", ic.held_out_loss))
        .unwrap_or_default();
    let headline = format!(
        "Small models trained on CPU: LM held-out {:.3} nats/token (ln V = {:.3}){ic}; classifier held-out accuracy {:.3}",
        r.lm_held_out_loss, r.lm_uniform_loss, r.classifier_held_out_accuracy
    );
    let svg = svg_page(1400, 600, "goodhart llm train-small --out DIR", |a| {
        let body = titled(a, &headline, 17)?;
        let p = body.split_evenly((1, 2));
        chart(
            &p[0],
            "Mixtral-architecture LMs: plain dialogues (small) and habit dialogues (small-incontext)",
            &Axes {
                x_label: "optimiser step".into(),
                y_label: "cross-entropy (nats/token)".into(),
                ..Default::default()
            },
            &[
                Series::line("train batch", pts("lm", &|p| Some(p.train_loss)), 0),
                Series::line("held out", pts("lm", &|p| p.held_out_loss), 1)
                    .styled(Style::LinePoints),
                Series::line(
                    "small-incontext: train batch",
                    pts("lm-incontext", &|p| Some(p.train_loss)),
                    2,
                ),
                Series::line(
                    "small-incontext: held out",
                    pts("lm-incontext", &|p| p.held_out_loss),
                    3,
                )
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
        spec: &TRAIN_SMALL,
        config: serde_json::to_value(&r.options).map_err(|e| crate::Error::Other(e.to_string()))?,
        seed: r.options.seed,
        summary: serde_json::json!({
            "lm_held_out_loss": r.lm_held_out_loss,
            "lm_uniform_loss": r.lm_uniform_loss,
            "lm_initial_held_out_loss": r.lm_initial_held_out_loss,
            "classifier_held_out_accuracy": r.classifier_held_out_accuracy,
            "lm_wall_s": r.lm_wall_s,
            "classifier_wall_s": r.classifier_wall_s,
            "in_context_lm_held_out_loss": r.in_context.as_ref().map(|ic| ic.held_out_loss),
            "in_context_lm_parameters": r.in_context.as_ref().map(|ic| ic.parameters),
            "in_context_lm_wall_s": r.in_context.as_ref().map(|ic| ic.wall_s),
        }),
    };
    write_llm_figure(dir, &fig, &svg, &table, command, started)
}

/// Colour of a per-token KL on Cohen et al.'s Figure 2 scale (0–7 nats): brown at 0, red at 1,
/// dark purple at 7 and above.
pub fn kl_colour(kl: f64) -> plotters::style::RGBColor {
    let mix = |a: (f64, f64, f64), b: (f64, f64, f64), t: f64| {
        let t = t.clamp(0.0, 1.0);
        plotters::style::RGBColor(
            (a.0 + (b.0 - a.0) * t) as u8,
            (a.1 + (b.1 - a.1) * t) as u8,
            (a.2 + (b.2 - a.2) * t) as u8,
        )
    };
    let (brown, red, purple) = ((140.0, 95.0, 40.0), (225.0, 20.0, 20.0), (80.0, 0.0, 110.0));
    if kl <= 1.0 {
        mix(brown, red, kl.max(0.0))
    } else {
        mix(red, purple, (kl - 1.0) / 6.0)
    }
}

/// Draws a transcript as in Cohen et al.'s Figure 2: `tokens` in order, each `(text, Some(kl))`
/// for an agent token (coloured by [`kl_colour`]) or `(text, None)` for prompt and environment
/// tokens (grey); newlines are shown as `[\n]` and break the line; a footnote names the three
/// largest per-token KLs, and a colour key shows the scale. Text that does not fit is cut with "…".
///
/// # Errors
/// Drawing errors.
pub fn draw_kl_transcript(
    area: &crate::plot::Area<'_>,
    title: &str,
    tokens: &[(String, Option<f64>)],
) -> Result<()> {
    use plotters::prelude::*;
    let perr = |e: DrawingAreaErrorKind<_>| crate::Error::Other(format!("plot: {e:?}"));
    let (w, h) = area.dim_in_pixel();
    let (w, h) = (w as i32, h as i32);
    let size = 13;
    // Advance of one monospace character as plotters' SVG text renders at `size` (measured on the
    // rasterised PNG: 6.25 px at size 13).
    let cw = 6.25f64;
    let line_h = 17;
    let (left, top, right) = (10, 30, w - 10);
    let foot_h = 3 * line_h + 30;
    area.draw(&Text::new(
        title.to_string(),
        (left, 6),
        ("sans-serif", 15).into_font().color(&BLACK),
    ))
    .map_err(perr)?;
    let (mut x, mut y) = (left as f64, top);
    let mut cut = false;
    for (text, kl) in tokens {
        let colour = kl.map(kl_colour).unwrap_or(RGBColor(150, 150, 150));
        // Control characters other than newlines are shown escaped (SVG text cannot hold them).
        let text: String = text
            .chars()
            .map(|c| match c {
                '\n' => "\n".to_string(),
                '\t' => "[\\t]".to_string(),
                c if c.is_control() => format!("[\\u{{{:x}}}]", c as u32),
                // SVG collapses plain spaces at the ends of a text element: keep them visible.
                ' ' => "\u{a0}".to_string(),
                c => c.to_string(),
            })
            .collect();
        let pieces: Vec<&str> = text.split('\n').collect();
        for (j, piece) in pieces.iter().enumerate() {
            let shown = if j + 1 < pieces.len() {
                format!("{piece}[\\n]")
            } else {
                piece.to_string()
            };
            if !shown.is_empty() {
                let width = cw * shown.chars().count() as f64;
                if x + width > right as f64 && x > left as f64 {
                    x = left as f64;
                    y += line_h;
                }
                if y + line_h > h - foot_h {
                    cut = true;
                    break;
                }
                area.draw(&Text::new(
                    shown.clone(),
                    (x as i32, y),
                    ("monospace", size).into_font().color(&colour),
                ))
                .map_err(perr)?;
                x += width;
            }
            if j + 1 < pieces.len() {
                x = left as f64;
                y += line_h;
            }
        }
        if cut {
            break;
        }
    }
    if cut {
        area.draw(&Text::new(
            "…".to_string(),
            (x as i32, y - line_h),
            ("monospace", size).into_font().color(&BLACK),
        ))
        .map_err(perr)?;
    }
    // Footnote: the three largest per-token KLs.
    let mut agent: Vec<(usize, &String, f64)> = tokens
        .iter()
        .enumerate()
        .filter_map(|(i, (t, k))| k.map(|k| (i, t, k)))
        .collect();
    agent.sort_by(|a, b| b.2.total_cmp(&a.2));
    let top3: Vec<String> = agent
        .iter()
        .take(3)
        .map(|(i, t, k)| format!("token {i} {:?}: {k:.2} nats", t))
        .collect();
    let fy = h - foot_h + 8;
    area.draw(&Text::new(
        format!("largest per-token KL: {}", top3.join("; ")),
        (left, fy),
        ("sans-serif", 12).into_font().color(&BLACK),
    ))
    .map_err(perr)?;
    // Colour key 0..7 nats; grey = prompt and the other speaker.
    let ky = fy + 22;
    area.draw(&Text::new(
        "per-token KL(agent ‖ base), nats:".to_string(),
        (left, ky),
        ("sans-serif", 12).into_font().color(&BLACK),
    ))
    .map_err(perr)?;
    let kx = left + 215;
    let kw = 210;
    for i in 0..kw {
        let v = 7.0 * i as f64 / kw as f64;
        area.draw(&Rectangle::new(
            [(kx + i, ky), (kx + i + 1, ky + 12)],
            kl_colour(v).filled(),
        ))
        .map_err(perr)?;
    }
    for v in [0, 1, 3, 5, 7] {
        area.draw(&Text::new(
            v.to_string(),
            (kx + (kw as f64 * v as f64 / 7.0) as i32 - 3, ky + 14),
            ("sans-serif", 11).into_font().color(&BLACK),
        ))
        .map_err(perr)?;
    }
    area.draw(&Text::new(
        "grey: prompt and the other speaker (not the agent)".to_string(),
        (kx + kw + 20, ky),
        ("sans-serif", 12)
            .into_font()
            .color(&RGBColor(120, 120, 120)),
    ))
    .map_err(perr)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each LLM figure's source file exists and makes that figure (names its spec), its command
    /// parses, and ids are unique.
    #[test]
    fn specs_name_their_producers() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let consts = [
            ("TRAIN_SMALL", &TRAIN_SMALL),
            ("COHEN_TRANSCRIPTS", &COHEN_TRANSCRIPTS),
            ("COHEN_EMPTY_KL", &COHEN_EMPTY_KL),
            ("COHEN_EMPTY_FRACTION", &COHEN_EMPTY_FRACTION),
            ("COHEN_TRAINING", &COHEN_TRAINING),
            ("KWA_B1_PROBE", &KWA_B1_PROBE),
            ("KWA_B2_PROBE", &KWA_B2_PROBE),
        ];
        assert_eq!(consts.len(), SPECS.len());
        for (name, spec) in consts {
            let text = std::fs::read_to_string(root.join(spec.source))
                .unwrap_or_else(|e| panic!("{}: {}: {e}", spec.id, spec.source));
            assert!(
                text.contains(&format!("spec: &{name}")) || text.contains(&format!("fig(&{name})")),
                "{} is not made in {}",
                spec.id,
                spec.source
            );
            // the regenerate command is one `goodhart llm` accepts
            let argv = spec
                .command
                .split(' ')
                .skip(1)
                .map(|w| w.replace("DIR", "d"));
            let parsed = <crate::llm::cli::LlmCli as clap::Parser>::try_parse_from(
                std::iter::once("goodhart llm".to_string()).chain(argv.skip(1)),
            );
            assert!(parsed.is_ok(), "{}: {:?}", spec.command, parsed.err());
        }
        let mut ids: Vec<_> = SPECS.iter().map(|s| s.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), SPECS.len());
    }
}
