//! The figures of `goodhart llm validate` and `goodhart llm train`: Cohen et al. 2024's Figure 2
//! (transcripts coloured by per-token KL), Figure 3 (KL of the n-th empty reply), Figure 4
//! (empty-reply fractions) and the training curves, written by [`crate::llm::figures`].

use std::path::Path;
use std::time::Instant;

use goodhart_llm::experiment::{ExperimentConfig, ExperimentOutcome};
use goodhart_llm::ppo::EpisodeStats;
use goodhart_llm::silence_price::SilencePrice;

use super::runs::{empty_kl_by_n, BaseLm, RunSummary};
use crate::llm::figures::{
    draw_kl_transcript, write_llm_figure, LlmFigure, LlmFigureSpec, COHEN_EMPTY_FRACTION,
    COHEN_EMPTY_KL, COHEN_TRAINING, COHEN_TRANSCRIPTS,
};
use crate::output::Table;
use crate::plot::{chart, svg_page, titled, Axes, Guides, Series, Style};

/// One transcript of the paper's Figure 2: tokens with the agent's per-token KL.
pub struct TranscriptPanel {
    /// Base LM name.
    pub base: String,
    /// Budget, nats.
    pub budget_nats: f64,
    /// Chat length, tokens.
    pub chat_tokens: usize,
    /// `(text, Some(KL))` for agent tokens, `(text, None)` for the prompt and the other speaker.
    pub tokens: Vec<(String, Option<f64>)>,
}

/// The Figure 2 panel of a run: its first evaluation transcript of the last round with the agent's
/// per-step KLs. `None` (with nothing drawn) when the outcome predates per-token logging or the
/// replayed turn structure does not give one position per agent step.
#[allow(clippy::too_many_arguments)]
pub(super) fn transcript_panel(
    base: &str,
    c: &ExperimentConfig,
    o: &ExperimentOutcome,
    prompt_len: usize,
    agent_pat: &[u32],
    other_pat: &[u32],
    decode: &dyn Fn(&[u32]) -> anyhow::Result<String>,
) -> anyhow::Result<Option<TranscriptPanel>> {
    let n = o.eval_ids.len();
    if n == 0 || o.eval.len() < n {
        return Ok(None);
    }
    let ids = &o.eval_ids[0];
    let stats = &o.eval[o.eval.len() - n];
    let pos = goodhart_llm::chat::agent_token_positions(ids, prompt_len, agent_pat, other_pat);
    if pos.len() != stats.agent_step_kl.len() || pos.len() != stats.agent_steps {
        return Ok(None);
    }
    let mut kl = vec![None; ids.len()];
    for (&p, &k) in pos.iter().zip(&stats.agent_step_kl) {
        kl[p] = Some(k);
    }
    let mut tokens = Vec::with_capacity(ids.len());
    // The prompt as one grey piece (BOS dropped), then token by token.
    tokens.push((decode(&ids[..prompt_len.min(ids.len())])?, None));
    for (i, &t) in ids.iter().enumerate().skip(prompt_len) {
        tokens.push((decode(&[t])?, kl[i]));
    }
    Ok(Some(TranscriptPanel {
        base: base.to_string(),
        budget_nats: c.ppo.budget_nats,
        chat_tokens: c.chat.chat_tokens,
        tokens,
    }))
}

pub(super) fn cond_label(base: &str, b: f64, l: usize) -> String {
    format!("{base}: budget {b:.0}, {l} tokens")
}

/// Step outline of a histogram with `bins` equal bins on [0, 1] (counts per bin).
pub(super) fn step_histogram(values: &[f64], bins: usize) -> (Vec<u64>, Vec<(f64, f64)>) {
    let mut counts = vec![0u64; bins];
    for &v in values.iter().filter(|v| v.is_finite()) {
        let i = ((v * bins as f64) as usize).min(bins - 1);
        counts[i] += 1;
    }
    let mut pts = vec![(0.0, 0.0)];
    for (i, &c) in counts.iter().enumerate() {
        let (lo, hi) = (i as f64 / bins as f64, (i + 1) as f64 / bins as f64);
        pts.push((lo, c as f64));
        pts.push((hi, c as f64));
    }
    pts.push((1.0, 0.0));
    (counts, pts)
}

/// The outcomes of the runs against `base` at budget `b` and length `l`.
pub(super) fn select<'a: 'b, 'b>(
    runs: &'a [(String, ExperimentConfig, ExperimentOutcome)],
    base: &'b str,
    b: f64,
    l: usize,
) -> impl Iterator<Item = &'a ExperimentOutcome> + 'b {
    runs.iter()
        .filter(move |(n, c, _)| n == base && c.ppo.budget_nats == b && c.chat.chat_tokens == l)
        .map(|(_, _, o)| o)
}

#[allow(clippy::too_many_lines)]
pub(super) fn write_figures(
    out: &Path,
    runs: &[(String, ExperimentConfig, ExperimentOutcome)],
    summaries: &[RunSummary],
    prices: &[(BaseLm, SilencePrice, Option<Vec<f64>>)],
    transcripts: &[TranscriptPanel],
    command: &[String],
    seed: u64,
) -> crate::Result<()> {
    let started = Instant::now();
    let mut conds: Vec<(String, f64, usize)> = runs
        .iter()
        .map(|(n, c, _)| (n.clone(), c.ppo.budget_nats, c.chat.chat_tokens))
        .collect();
    conds.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    conds.dedup();
    let mut base_names: Vec<String> = conds.iter().map(|c| c.0.clone()).collect();
    base_names.dedup();
    let mut budgets: Vec<f64> = conds.iter().map(|c| c.1).collect();
    budgets.sort_by(|a, b| a.total_cmp(b));
    budgets.dedup();
    let mut lens: Vec<usize> = conds.iter().map(|c| c.2).collect();
    lens.sort_unstable();
    lens.dedup();
    let sel = |base: &str, b: f64, l: usize| select(runs, base, b, l).collect::<Vec<_>>();
    let config = serde_json::to_value(runs.iter().map(|(_, c, _)| c).collect::<Vec<_>>())
        .map_err(|e| crate::Error::Other(e.to_string()))?;
    let summary =
        serde_json::to_value(summaries).map_err(|e| crate::Error::Other(e.to_string()))?;
    let fig = |spec: &'static LlmFigureSpec| LlmFigure {
        spec,
        config: config.clone(),
        seed,
        summary: summary.clone(),
    };

    // Training curves.
    let mut table = Table::new(&[
        "run",
        "base",
        "budget_nats",
        "chat_tokens",
        "seed",
        "update",
        "timesteps",
        "mean_reward",
        "kl_nats",
        "budget_of_round_nats",
        "empty_reply_fraction",
    ]);
    for (n, c, o) in runs {
        for m in &o.train.metrics {
            table.push(vec![
                format!(
                    "{n}-b{:.0}-len{}-seed{}",
                    c.ppo.budget_nats, c.chat.chat_tokens, c.ppo.seed
                )
                .into(),
                n.clone().into(),
                c.ppo.budget_nats.into(),
                c.chat.chat_tokens.into(),
                c.ppo.seed.into(),
                m.update.into(),
                m.timesteps.into(),
                m.mean_reward.into(),
                m.kl_nats.into(),
                m.budget_nats.into(),
                m.empty_reply_fraction.into(),
            ])?;
        }
    }
    let series = |f: &dyn Fn(&goodhart_llm::ppo::UpdateMetrics) -> f64| -> Vec<Series> {
        let mut out = Vec::new();
        for (ci, (base, b, l)) in conds.iter().enumerate() {
            for (k, o) in sel(base, *b, *l).into_iter().enumerate() {
                let pts = o
                    .train
                    .metrics
                    .iter()
                    .map(|m| (m.timesteps as f64, f(m)))
                    .collect();
                // first seed solid with points and named, further seeds dashed, same colour
                let (name, style) = if k == 0 {
                    (cond_label(base, *b, *l), Style::LinePoints)
                } else {
                    (String::new(), Style::Dashed)
                };
                out.push(Series::line(name, pts, ci).styled(style));
            }
        }
        out
    };
    let max_budget = budgets.iter().copied().fold(1.0f64, f64::max);
    let budget_lines: Vec<(f64, String)> = budgets
        .iter()
        .map(|&b| (b, format!("budget {b:.0}")))
        .collect();
    let headline = COHEN_TRAINING.title;
    let legend_h = 40 + 18 * conds.len() as u32;
    let svg = svg_page(1500, 560 + legend_h, "goodhart llm validate", |a| {
        let body = titled(a, headline, 16)?;
        let p = body.split_evenly((1, 3));
        // Head-room for the legends: the y ranges extend above the data.
        let ret_max = runs
            .iter()
            .flat_map(|(_, _, o)| o.train.metrics.iter().map(|m| m.mean_reward))
            .fold(1.0f64, f64::max);
        chart(
            &p[0],
            "mean episode return",
            &Axes {
                x_label: "agent timesteps".into(),
                y_label: "return (Σ (r+1)/2)".into(),
                y_range: Some((0.0, ret_max * (1.25 + 0.07 * conds.len() as f64))),
                ..Default::default()
            },
            &series(&|m| m.mean_reward),
            &Guides::default(),
        )?;
        chart(
            &p[1],
            "KL used per episode (Σ per-step KL)",
            &Axes {
                x_label: "agent timesteps".into(),
                y_label: "nats".into(),
                y_range: Some((0.0, max_budget * (1.25 + 0.07 * conds.len() as f64))),
                ..Default::default()
            },
            &series(&|m| m.kl_nats),
            &Guides {
                hlines: budget_lines.clone(),
                ..Default::default()
            },
        )?;
        chart(
            &p[2],
            "fraction of empty agent replies",
            &Axes {
                x_label: "agent timesteps".into(),
                y_label: "fraction".into(),
                y_range: Some((0.0, 1.25 + 0.07 * conds.len() as f64)),
                ..Default::default()
            },
            &series(&|m| m.empty_reply_fraction),
            &Guides::default(),
        )
    })?;
    write_llm_figure(out, &fig(&COHEN_TRAINING), &svg, &table, command, started)?;

    // Figure 3: KL of the n-th empty reply (quartiles over evaluation episodes), one panel per
    // budget, square-root y axis; the bases' forced-silence prices and the exact role-agnostic
    // price beside them.
    let mut t3 = Table::new(&[
        "source",
        "base",
        "budget_nats",
        "chat_tokens",
        "nth_empty_reply",
        "episodes",
        "kl_q25_nats",
        "kl_median_nats",
        "kl_q75_nats",
    ]);
    let mut panels3: Vec<(f64, Vec<Series>, f64)> = Vec::new();
    for &b in &budgets {
        let mut s3 = Vec::new();
        let mut top = 1.0f64;
        // Colours within the panel: the agents' conditions first, then each base's forced price
        // and the exact role-agnostic price (at most 4 + 3 of the 8 palette colours).
        let mut colour = 0usize;
        for (base, cb, l) in conds.iter() {
            if *cb != b {
                continue;
            }
            let ci = colour;
            colour += 1;
            let eps: Vec<&EpisodeStats> = sel(base, b, *l)
                .into_iter()
                .flat_map(|o| o.eval.iter())
                .collect();
            let q = empty_kl_by_n(&eps);
            for r in &q {
                t3.push(vec![
                    "agent".into(),
                    base.clone().into(),
                    b.into(),
                    (*l).into(),
                    r.n.into(),
                    r.episodes.into(),
                    r.q25_nats.into(),
                    r.median_nats.into(),
                    r.q75_nats.into(),
                ])?;
                top = top.max(r.q75_nats);
            }
            s3.push(
                Series::line(
                    format!("agent, {}", cond_label(base, b, *l)),
                    q.iter()
                        .map(|r| (r.n as f64, r.median_nats.sqrt()))
                        .collect(),
                    ci,
                )
                .styled(Style::LinePoints)
                .with_band(
                    q.iter()
                        .map(|r| (r.n as f64, r.q25_nats.sqrt(), r.q75_nats.sqrt()))
                        .collect(),
                ),
            );
        }
        for (base, price, exact) in prices.iter() {
            let forced = price.mean_by_n();
            for &(n, p) in &forced {
                top = top.max(p);
                if b == budgets[0] {
                    t3.push(vec![
                        "forced silence, mean".into(),
                        base.name.clone().into(),
                        f64::NAN.into(),
                        price.chat_tokens.into(),
                        n.into(),
                        price
                            .per_transcript
                            .iter()
                            .filter(|t| t.len() >= n)
                            .count()
                            .into(),
                        f64::NAN.into(),
                        p.into(),
                        f64::NAN.into(),
                    ])?;
                }
            }
            s3.push(
                Series::line(
                    format!(
                        "{}: price of the n-th forced empty reply (no agent)",
                        base.name
                    ),
                    forced.iter().map(|&(n, p)| (n as f64, p.sqrt())).collect(),
                    colour,
                )
                .styled(Style::Dashed),
            );
            colour += 1;
            if let Some(e) = exact {
                if b == budgets[0] {
                    for (i, &p) in e.iter().enumerate() {
                        t3.push(vec![
                            "role-agnostic prior, exact".into(),
                            base.name.clone().into(),
                            f64::NAN.into(),
                            f64::NAN.into(),
                            (i + 1).into(),
                            f64::NAN.into(),
                            f64::NAN.into(),
                            p.into(),
                            f64::NAN.into(),
                        ])?;
                    }
                }
                top = top.max(e[0]);
                s3.push(
                    Series::line(
                        "habit generator's role-agnostic prior: exact price".to_string(),
                        e.iter()
                            .enumerate()
                            .map(|(i, &p)| ((i + 1) as f64, p.sqrt()))
                            .collect(),
                        colour,
                    )
                    .styled(Style::Points),
                );
                colour += 1;
            }
        }
        panels3.push((b, s3, top));
    }
    let h3 = COHEN_EMPTY_KL.title;
    let n_leg = panels3.iter().map(|p| p.1.len()).max().unwrap_or(1);
    let svg = svg_page(
        1500,
        640 + 18 * n_leg as u32,
        "goodhart llm validate",
        |a| {
            let body = titled(a, h3, 16)?;
            let p = body.split_evenly((1, panels3.len().max(1)));
            for (area, (b, s3, top)) in p.iter().zip(&panels3) {
                chart(
                    area,
                    &format!("budget {b:.0} nats"),
                    &Axes {
                        x_label: "n-th empty agent reply".into(),
                        y_label: "√(KL of that reply / nats): 1 = 1 nat, 2 = 4, 3 = 9".into(),
                        y_range: Some((0.0, top.sqrt() * (1.3 + 0.09 * s3.len() as f64))),
                        ..Default::default()
                    },
                    s3,
                    &Guides::default(),
                )?;
            }
            Ok(())
        },
    )?;
    write_llm_figure(out, &fig(&COHEN_EMPTY_KL), &svg, &t3, command, started)?;

    // Figure 4: per-episode empty fraction: histograms by budget (colour = length) and percentile
    // curves, one row per base; the equal-per-token-KL pair (budget 10 at L, budget 20 at 2L) marked.
    let mut t4 = Table::new(&[
        "kind",
        "base",
        "policy",
        "budget_nats",
        "chat_tokens",
        "x",
        "empty_reply_fraction_or_count",
    ]);
    let equal_pair = |b: f64, l: usize| {
        lens.len() == 2
            && budgets.len() == 2
            && ((b == budgets[0] && l == lens[0]) || (b == budgets[1] && l == lens[1]))
            && (budgets[0] / lens[0] as f64 - budgets[1] / lens[1] as f64).abs() < 1e-12
    };
    let mark = |b: f64, l: usize| {
        if equal_pair(b, l) {
            format!(" ★ {:.3} nats/token", b / l as f64)
        } else {
            String::new()
        }
    };
    struct Row {
        base: String,
        hists: Vec<(f64, Vec<Series>, f64)>,
        pct: Vec<Series>,
    }
    let mut rows = Vec::new();
    for base in &base_names {
        let mut hists = Vec::new();
        for &b in &budgets {
            let mut s = Vec::new();
            let mut top = 1.0f64;
            for (li, &l) in lens.iter().enumerate() {
                let v: Vec<f64> = sel(base, b, l)
                    .into_iter()
                    .flat_map(|o| o.eval.iter().map(EpisodeStats::empty_fraction))
                    .collect();
                if v.is_empty() {
                    continue;
                }
                let (counts, pts) = step_histogram(&v, 10);
                for (i, &c) in counts.iter().enumerate() {
                    t4.push(vec![
                        "histogram".into(),
                        base.clone().into(),
                        "agent".into(),
                        b.into(),
                        l.into(),
                        ((i as f64 + 0.5) / 10.0).into(),
                        (c as f64).into(),
                    ])?;
                    top = top.max(c as f64);
                }
                s.push(Series::line(format!("{l} tokens{}", mark(b, l)), pts, li));
            }
            hists.push((b, s, top));
        }
        let mut pct = Vec::new();
        for (ci, (cbase, b, l)) in conds.iter().enumerate() {
            if cbase != base {
                continue;
            }
            for (policy, style) in [("agent", Style::Line), ("base policy", Style::Dashed)] {
                let mut v: Vec<f64> = sel(base, *b, *l)
                    .into_iter()
                    .flat_map(|o| {
                        let eps = if policy == "agent" {
                            &o.eval
                        } else {
                            &o.base_eval
                        };
                        eps.iter().map(EpisodeStats::empty_fraction)
                    })
                    .collect();
                if policy != "agent" && *b != budgets[0] {
                    continue; // the base policy does not depend on the budget: drawn once per length
                }
                v.sort_by(|a, b| a.total_cmp(b));
                let n = v.len().max(1) as f64;
                let pts: Vec<(f64, f64)> = v
                    .iter()
                    .enumerate()
                    .map(|(i, &x)| (100.0 * (i as f64 + 0.5) / n, x))
                    .collect();
                for &(p, x) in &pts {
                    t4.push(vec![
                        "percentile".into(),
                        base.clone().into(),
                        policy.into(),
                        if policy == "agent" { *b } else { 0.0 }.into(),
                        (*l).into(),
                        p.into(),
                        x.into(),
                    ])?;
                }
                let name = if policy == "agent" {
                    format!("budget {b:.0}, {l} tokens{}", mark(*b, *l))
                } else {
                    format!("base policy, {l} tokens")
                };
                pct.push(Series::line(name, pts, ci).styled(style));
            }
        }
        rows.push(Row {
            base: base.clone(),
            hists,
            pct,
        });
    }
    let h4 = COHEN_EMPTY_FRACTION.title;
    let svg = svg_page(
        1650,
        40 + 560 * rows.len().max(1) as u32,
        "goodhart llm validate",
        |a| {
            let body = titled(a, h4, 16)?;
            let r = body.split_evenly((rows.len().max(1), 1));
            for (area, row) in r.iter().zip(&rows) {
                let cols = area.split_evenly((1, row.hists.len() + 1));
                for (c, (b, s, top)) in cols.iter().zip(&row.hists) {
                    chart(
                        c,
                        &format!("{}: budget {b:.0}", row.base),
                        &Axes {
                            x_label: "fraction of empty replies in the episode".into(),
                            y_label: "episodes".into(),
                            x_range: Some((0.0, 1.0)),
                            y_range: Some((0.0, top * 1.45)),
                            ..Default::default()
                        },
                        s,
                        &Guides::default(),
                    )?;
                }
                if let Some(c) = cols.last() {
                    chart(
                        c,
                        &format!("{}: percentiles (dashed: base policy)", row.base),
                        &Axes {
                            x_label: "percentile of episodes".into(),
                            y_label: "fraction of empty replies".into(),
                            y_range: Some((0.0, 1.0 + 0.1 * row.pct.len() as f64)),
                            x_range: Some((0.0, 100.0)),
                            ..Default::default()
                        },
                        &row.pct,
                        &Guides::default(),
                    )?;
                }
            }
            Ok(())
        },
    )?;
    write_llm_figure(
        out,
        &fig(&COHEN_EMPTY_FRACTION),
        &svg,
        &t4,
        command,
        started,
    )?;

    // Figure 2: transcripts with each agent token coloured by its per-token KL.
    if !transcripts.is_empty() {
        let mut t2 = Table::new(&[
            "base",
            "budget_nats",
            "chat_tokens",
            "position",
            "token",
            "agent",
            "kl_nats",
        ]);
        for p in transcripts {
            for (i, (text, kl)) in p.tokens.iter().enumerate() {
                t2.push(vec![
                    p.base.clone().into(),
                    p.budget_nats.into(),
                    p.chat_tokens.into(),
                    i.into(),
                    text.clone().into(),
                    (kl.is_some() as u8 as f64).into(),
                    kl.unwrap_or(f64::NAN).into(),
                ])?;
            }
        }
        let h2 = COHEN_TRANSCRIPTS.title;
        let rows2 = transcripts.len().div_ceil(2);
        let svg = svg_page(
            1700,
            40 + 640 * rows2 as u32,
            "goodhart llm validate",
            |a| {
                let body = titled(a, h2, 16)?;
                let cells = body.split_evenly((rows2, 2));
                for (area, p) in cells.iter().zip(transcripts) {
                    let used: f64 = p.tokens.iter().filter_map(|t| t.1).sum();
                    draw_kl_transcript(
                        area,
                        &format!(
                            "{}: budget {:.0}, {} tokens (KL used {used:.2} nats)",
                            p.base, p.budget_nats, p.chat_tokens
                        ),
                        &p.tokens,
                    )?;
                }
                Ok(())
            },
        )?;
        write_llm_figure(out, &fig(&COHEN_TRANSCRIPTS), &svg, &t2, command, started)?;
    }
    Ok(())
}
