//! One house style for every figure: an SVG page with a footer naming the command that
//! regenerates it, and a line/point chart primitive with optional uncertainty bands and
//! log axes. Log axes are drawn by plotting `log10` of the data on linear coordinates with
//! power-of-ten labels, which keeps one code path for all four axis combinations.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::error::{Error, Result};

/// Colour-blind-safe palette (Okabe & Ito 2008).
pub const PALETTE: [RGBColor; 8] = [
    RGBColor(0, 114, 178),   // blue
    RGBColor(213, 94, 0),    // vermillion
    RGBColor(0, 158, 115),   // bluish green
    RGBColor(204, 121, 167), // reddish purple
    RGBColor(230, 159, 0),   // orange
    RGBColor(86, 180, 233),  // sky blue
    RGBColor(120, 120, 120), // grey
    RGBColor(240, 228, 66),  // yellow
];

/// A drawing area on an SVG page.
pub type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

/// How a series is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// A line.
    Line,
    /// A dashed line.
    Dashed,
    /// Markers only.
    Points,
    /// Line with markers.
    LinePoints,
}

/// One series on a chart.
#[derive(Debug, Clone)]
pub struct Series {
    /// Legend label.
    pub name: String,
    /// `(x, y)` points (non-finite points are skipped).
    pub points: Vec<(f64, f64)>,
    /// Optional band `(x, lo, hi)` drawn translucent behind the line (e.g. ±1.96 SE).
    pub band: Option<Vec<(f64, f64, f64)>>,
    /// Style.
    pub style: Style,
    /// Palette index.
    pub color: usize,
    /// Draw the band as vertical error bars at each `x` instead of a filled region.
    pub whiskers: bool,
}

impl Series {
    /// A plain line series.
    pub fn line(name: impl Into<String>, points: Vec<(f64, f64)>, color: usize) -> Self {
        Self {
            name: name.into(),
            points,
            band: None,
            style: Style::Line,
            color,
            whiskers: false,
        }
    }
    /// With a style.
    pub fn styled(mut self, style: Style) -> Self {
        self.style = style;
        self
    }
    /// With a band.
    pub fn with_band(mut self, band: Vec<(f64, f64, f64)>) -> Self {
        self.band = Some(band);
        self
    }
    /// With error bars `(x, lo, hi)` drawn as vertical whiskers with caps.
    pub fn with_error_bars(mut self, bars: Vec<(f64, f64, f64)>) -> Self {
        self.band = Some(bars);
        self.whiskers = true;
        self
    }
}

/// Axis settings.
#[derive(Debug, Clone, Default)]
pub struct Axes {
    /// x label (with units).
    pub x_label: String,
    /// y label (with units).
    pub y_label: String,
    /// log10 x axis.
    pub x_log: bool,
    /// log10 y axis.
    pub y_log: bool,
    /// Fixed x range (data units), else from data.
    pub x_range: Option<(f64, f64)>,
    /// Fixed y range (data units), else from data.
    pub y_range: Option<(f64, f64)>,
}

/// Vertical reference lines `(x, label)` and horizontal ones `(y, label)`.
#[derive(Debug, Clone, Default)]
pub struct Guides {
    /// Vertical dashed lines.
    pub vlines: Vec<(f64, String)>,
    /// Horizontal dashed lines.
    pub hlines: Vec<(f64, String)>,
}

fn perr<E: std::fmt::Debug>(e: E) -> Error {
    Error::Other(format!("plot: {e:?}"))
}

/// Renders an SVG page of `w × h` pixels: `draw` fills the plotting area, and a footer line
/// shows `footer` (the regenerating command).
///
/// # Errors
/// Drawing errors from plotters, or from `draw`.
pub fn svg_page(
    w: u32,
    h: u32,
    footer: &str,
    draw: impl FnOnce(&Area<'_>) -> Result<()>,
) -> Result<String> {
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(perr)?;
        let (main, foot) = root.split_vertically(h.saturating_sub(22));
        draw(&main)?;
        foot.draw(&Text::new(
            footer.to_string(),
            (8, 4),
            ("monospace", 12)
                .into_font()
                .color(&RGBColor(100, 100, 100)),
        ))
        .map_err(perr)?;
        root.present().map_err(perr)?;
    }
    Ok(buf)
}

fn tx(v: f64, log: bool) -> f64 {
    if log {
        v.log10()
    } else {
        v
    }
}

fn range_of(vals: impl Iterator<Item = f64>, log: bool) -> Option<(f64, f64)> {
    let mut lo = f64::INFINITY;
    let mut hi = f64::NEG_INFINITY;
    for v in vals {
        let t = tx(v, log);
        if t.is_finite() {
            lo = lo.min(t);
            hi = hi.max(t);
        }
    }
    if lo > hi {
        return None;
    }
    if lo == hi {
        return Some((lo - 0.5, hi + 0.5));
    }
    let pad = 0.04 * (hi - lo);
    Some((lo - pad, hi + pad))
}

/// Formats a tick: powers of ten on log axes, compact numbers otherwise.
pub fn tick(v: f64, log: bool) -> String {
    if log {
        let r = v.round();
        if (v - r).abs() < 1e-9 {
            return match r as i64 {
                0 => "1".into(),
                1 => "10".into(),
                e => format!("1e{e}"),
            };
        }
        let t = sig3(10f64.powf(v));
        return if t.contains('.') && !t.contains('e') {
            t.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            t
        };
    }
    crate::report::fmt_num(v)
}

/// A linear `f64` coordinate whose ticks are ours (see [`key_points`]). A newtype because
/// plotters' `WithKeyPoints<RangedCoordf64>` lacks the formatter `configure_mesh` requires.
struct Keyed(plotters::coord::combinators::WithKeyPoints<plotters::coord::types::RangedCoordf64>);

impl plotters::coord::ranged1d::Ranged for Keyed {
    type ValueType = f64;
    type FormatOption = plotters::coord::ranged1d::DefaultFormatting;
    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        self.0.map(v, limit)
    }
    fn key_points<H: plotters::coord::ranged1d::KeyPointHint>(&self, hint: H) -> Vec<f64> {
        self.0.key_points(hint)
    }
    fn range(&self) -> std::ops::Range<f64> {
        self.0.range()
    }
}

fn keyed(lo: f64, hi: f64, log: bool) -> Keyed {
    use plotters::coord::combinators::BindKeyPoints;
    let (bold, light) = key_points(lo, hi, log);
    Keyed((lo..hi).with_key_points(bold).with_light_points(light))
}

/// Tick positions (in plotted coordinates) for a range: on log axes the powers of ten, plus 2×
/// and 5× when the range spans fewer than three decades; on linear axes steps of 1, 2 or 5 × 10^k.
/// Returns `(bold, light)` positions.
pub fn key_points(lo: f64, hi: f64, log: bool) -> (Vec<f64>, Vec<f64>) {
    if !(hi > lo) || !lo.is_finite() || !hi.is_finite() {
        return (vec![], vec![]);
    }
    if log {
        let (d0, d1) = (lo.floor() as i64, hi.ceil() as i64);
        let mut bold: Vec<f64> = (d0..=d1)
            .map(|d| d as f64)
            .filter(|v| *v >= lo && *v <= hi)
            .collect();
        let mut light = Vec::new();
        if d1 - d0 <= 40 {
            for d in d0..=d1 {
                for k in 2..10 {
                    let v = d as f64 + (k as f64).log10();
                    if v >= lo && v <= hi {
                        light.push(v);
                    }
                }
            }
        }
        if bold.len() < 3 {
            let extra: Vec<f64> = (d0..=d1)
                .flat_map(|d| [d as f64 + 2f64.log10(), d as f64 + 5f64.log10()])
                .filter(|v| *v >= lo && *v <= hi)
                .collect();
            bold.extend(extra);
            bold.sort_by(f64::total_cmp);
        }
        if bold.len() < 2 {
            // less than a factor of ~2.5: linear ticks in data space
            let (b, _) = key_points(10f64.powf(lo), 10f64.powf(hi), false);
            bold = b.into_iter().filter(|v| *v > 0.0).map(f64::log10).collect();
        }
        if bold.len() > 12 {
            let step = bold.len().div_ceil(10);
            bold = bold
                .into_iter()
                .filter(|v| (*v as i64).rem_euclid(step as i64) == 0)
                .collect();
        }
        return (bold, light);
    }
    let raw = (hi - lo) / 8.0;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    let bold: Vec<f64> = (first..=last).map(|i| i as f64 * step).collect();
    let lstep = step / 5.0;
    let light: Vec<f64> = ((lo / lstep).ceil() as i64..=(hi / lstep).floor() as i64)
        .map(|i| i as f64 * lstep)
        .collect();
    (bold, light)
}

/// Three significant digits, exponent outside [1e-3, 1e4).
pub fn sig3(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let e = x.abs().log10().floor() as i32;
    if !(-3..4).contains(&e) {
        return format!("{:.2}e{}", x / 10f64.powi(e), e);
    }
    let decimals = (2 - e).max(0) as usize;
    format!("{x:.decimals$}")
}

/// Where the legend goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Legend {
    /// Upper right (default).
    #[default]
    UpperRight,
    /// Upper left.
    UpperLeft,
    /// Lower right.
    LowerRight,
    /// Lower left.
    LowerLeft,
}

/// Draws a chart with `series` into `area`, legend upper right.
///
/// # Errors
/// Drawing errors.
pub fn chart(
    area: &Area<'_>,
    title: &str,
    axes: &Axes,
    series: &[Series],
    guides: &Guides,
) -> Result<()> {
    chart_with_legend(area, title, axes, series, guides, Legend::UpperRight)
}

/// Draws a chart with the legend at `legend`.
///
/// # Errors
/// Drawing errors.
pub fn chart_with_legend(
    area: &Area<'_>,
    title: &str,
    axes: &Axes,
    series: &[Series],
    guides: &Guides,
    legend: Legend,
) -> Result<()> {
    let xs = series.iter().flat_map(|s| s.points.iter().map(|p| p.0));
    let ys = series.iter().flat_map(|s| {
        s.points.iter().map(|p| p.1).chain(
            s.band
                .iter()
                .flat_map(|b| b.iter().flat_map(|q| [q.1, q.2])),
        )
    });
    let (x0, x1) = axes
        .x_range
        .map(|(a, b)| (tx(a, axes.x_log), tx(b, axes.x_log)))
        .or_else(|| range_of(xs, axes.x_log))
        .unwrap_or((0.0, 1.0));
    let (y0, y1) = axes
        .y_range
        .map(|(a, b)| (tx(a, axes.y_log), tx(b, axes.y_log)))
        .or_else(|| range_of(ys, axes.y_log))
        .unwrap_or((0.0, 1.0));
    let mut ch = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 17))
        .margin(12)
        .x_label_area_size(42)
        .y_label_area_size(64)
        .build_cartesian_2d(keyed(x0, x1, axes.x_log), keyed(y0, y1, axes.y_log))
        .map_err(perr)?;
    let (xl, yl) = (axes.x_log, axes.y_log);
    ch.configure_mesh()
        .x_desc(axes.x_label.as_str())
        .y_desc(axes.y_label.as_str())
        // key points accumulate rounding (−1.1e-16 for 0): snap those to 0
        .x_label_formatter(&|v| tick(if v.abs() < 1e-9 * (x1 - x0) { 0.0 } else { *v }, xl))
        .y_label_formatter(&|v| tick(if v.abs() < 1e-9 * (y1 - y0) { 0.0 } else { *v }, yl))
        .label_style(("sans-serif", 12))
        .axis_desc_style(("sans-serif", 14))
        .light_line_style(RGBColor(235, 235, 235))
        .bold_line_style(RGBColor(215, 215, 215))
        .draw()
        .map_err(perr)?;
    let inside = |x: f64, y: f64| x.is_finite() && y.is_finite() && x >= x0 && x <= x1;
    for s in series {
        let c = PALETTE[s.color % PALETTE.len()];
        if let (Some(band), true) = (&s.band, s.whiskers) {
            let st = ShapeStyle::from(&c.mix(0.7)).stroke_width(1);
            let cap = 0.004 * (x1 - x0);
            for q in band {
                let (x, lo, hi) = (tx(q.0, xl), tx(q.1, yl).max(y0), tx(q.2, yl).min(y1));
                if !(inside(x, lo) && hi.is_finite() && hi >= lo) {
                    continue;
                }
                ch.draw_series([
                    PathElement::new(vec![(x, lo), (x, hi)], st),
                    PathElement::new(vec![(x - cap, lo), (x + cap, lo)], st),
                    PathElement::new(vec![(x - cap, hi), (x + cap, hi)], st),
                ])
                .map_err(perr)?;
            }
        } else if let Some(band) = &s.band {
            let mut poly: Vec<(f64, f64)> = band
                .iter()
                .map(|q| (tx(q.0, xl), tx(q.2, yl)))
                .filter(|p| inside(p.0, p.1))
                .collect();
            let lower: Vec<(f64, f64)> = band
                .iter()
                .rev()
                .map(|q| (tx(q.0, xl), tx(q.1, yl).max(y0)))
                .filter(|p| inside(p.0, p.1))
                .collect();
            poly.extend(lower);
            if poly.len() >= 3 {
                ch.draw_series(std::iter::once(Polygon::new(poly, c.mix(0.18).filled())))
                    .map_err(perr)?;
            }
        }
        let pts: Vec<(f64, f64)> = s
            .points
            .iter()
            .map(|p| (tx(p.0, xl), tx(p.1, yl)))
            .filter(|p| inside(p.0, p.1))
            .collect();
        let legend_style = ShapeStyle::from(&c).stroke_width(2);
        let dashed = s.style == Style::Dashed;
        let anno = match s.style {
            Style::Line | Style::LinePoints => ch
                .draw_series(LineSeries::new(pts.clone(), legend_style))
                .map_err(perr)?,
            Style::Dashed => ch
                .draw_series(DashedLineSeries::new(pts.clone(), 6, 4, legend_style))
                .map_err(perr)?,
            Style::Points => ch
                .draw_series(pts.iter().map(|p| Circle::new(*p, 3, c.filled())))
                .map_err(perr)?,
        };
        if !s.name.is_empty() {
            anno.label(s.name.clone()).legend(move |(x, y)| {
                // a dashed series gets a broken legend glyph
                let (first, second) = if dashed {
                    ((0, 7), (11, 18))
                } else {
                    ((0, 9), (9, 18))
                };
                let st = ShapeStyle::from(&c).stroke_width(2);
                EmptyElement::at((x, y))
                    + PathElement::new(vec![(first.0, 0), (first.1, 0)], st)
                    + PathElement::new(vec![(second.0, 0), (second.1, 0)], st)
            });
        }
        if s.style == Style::LinePoints {
            ch.draw_series(pts.iter().map(|p| Circle::new(*p, 3, c.filled())))
                .map_err(perr)?;
        }
    }
    let grey = RGBColor(90, 90, 90);
    for (x, label) in &guides.vlines {
        let xv = tx(*x, xl);
        ch.draw_series(DashedLineSeries::new(
            vec![(xv, y0), (xv, y1)],
            5,
            4,
            ShapeStyle::from(&grey).stroke_width(1),
        ))
        .map_err(perr)?;
        ch.draw_series(std::iter::once(Text::new(
            label.clone(),
            (xv, y1),
            ("sans-serif", 12).into_font().color(&grey),
        )))
        .map_err(perr)?;
    }
    for (y, label) in &guides.hlines {
        let yv = tx(*y, yl);
        ch.draw_series(DashedLineSeries::new(
            vec![(x0, yv), (x1, yv)],
            5,
            4,
            ShapeStyle::from(&grey).stroke_width(1),
        ))
        .map_err(perr)?;
        ch.draw_series(std::iter::once(Text::new(
            label.clone(),
            (x0, yv),
            ("sans-serif", 12).into_font().color(&grey),
        )))
        .map_err(perr)?;
    }
    if series.iter().any(|s| !s.name.is_empty()) {
        ch.configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(200, 200, 200))
            .label_font(("sans-serif", 12))
            .position(match legend {
                Legend::UpperRight => SeriesLabelPosition::UpperRight,
                Legend::UpperLeft => SeriesLabelPosition::UpperLeft,
                Legend::LowerRight => SeriesLabelPosition::LowerRight,
                Legend::LowerLeft => SeriesLabelPosition::LowerLeft,
            })
            .draw()
            .map_err(perr)?;
    }
    Ok(())
}

/// One bar of a [`bar_chart`].
#[derive(Debug, Clone)]
pub struct Bar {
    /// Category label under the bar.
    pub label: String,
    /// Height (data units; drawn from 0).
    pub value: f64,
    /// Palette index.
    pub color: usize,
}

/// Draws a bar chart: one bar per entry on a categorical x axis, each bar's value printed above
/// it (three significant digits). Bars taller than a fixed `y_range` are cut at its top; the
/// printed value still says how tall they are.
///
/// # Errors
/// Drawing errors.
pub fn bar_chart(
    area: &Area<'_>,
    title: &str,
    y_label: &str,
    bars: &[Bar],
    y_range: Option<(f64, f64)>,
) -> Result<()> {
    let n = bars.len().max(1) as i32;
    let (y0, y1) = y_range
        .or_else(|| {
            range_of(
                bars.iter().map(|b| b.value).chain(std::iter::once(0.0)),
                false,
            )
            .map(|(a, b)| (a.min(0.0), b))
        })
        .unwrap_or((0.0, 1.0));
    let mut ch = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 17))
        .margin(12)
        .x_label_area_size(42)
        .y_label_area_size(64)
        .build_cartesian_2d((0..n - 1).into_segmented(), y0..y1) // plotters integer ranges are inclusive
        .map_err(perr)?;
    let labels: Vec<String> = bars.iter().map(|b| b.label.clone()).collect();
    ch.configure_mesh()
        .disable_x_mesh()
        .y_desc(y_label)
        .x_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) | SegmentValue::Exact(i) => {
                labels.get(*i as usize).cloned().unwrap_or_default()
            }
            SegmentValue::Last => String::new(),
        })
        .y_label_formatter(&|v| tick(*v, false))
        .label_style(("sans-serif", 12))
        .axis_desc_style(("sans-serif", 14))
        .light_line_style(RGBColor(235, 235, 235))
        .bold_line_style(RGBColor(215, 215, 215))
        .draw()
        .map_err(perr)?;
    for (i, b) in bars.iter().enumerate() {
        if !b.value.is_finite() {
            continue;
        }
        let c = PALETTE[b.color % PALETTE.len()];
        let top = b.value.clamp(y0, y1);
        let mut rect = Rectangle::new(
            [
                (SegmentValue::Exact(i as i32), y0.max(0.0).min(y1)),
                (SegmentValue::Exact(i as i32 + 1), top),
            ],
            c.filled(),
        );
        rect.set_margin(0, 0, 14, 14);
        ch.draw_series(std::iter::once(rect)).map_err(perr)?;
        let style = ("sans-serif", 13)
            .into_font()
            .color(&RGBColor(40, 40, 40))
            .pos(Pos::new(HPos::Center, VPos::Bottom));
        ch.draw_series(std::iter::once(Text::new(
            sig3(b.value),
            (SegmentValue::CenterOf(i as i32), top),
            style,
        )))
        .map_err(perr)?;
    }
    Ok(())
}

/// Equal-width histogram of the finite values: `(edges, counts)` with `bins + 1` edges from the
/// minimum to the maximum (the last bin closed on the right, as NumPy/matplotlib count).
///
/// # Errors
/// [`Error::Empty`] without finite values; [`Error::OutOfRange`] for `bins == 0`.
pub fn histogram_counts(values: &[f64], bins: usize) -> Result<(Vec<f64>, Vec<u64>)> {
    if bins == 0 {
        return Err(Error::OutOfRange {
            name: "bins",
            value: 0.0,
            range: "[1, ∞)",
        });
    }
    let fin = values.iter().copied().filter(|v| v.is_finite());
    let (lo, hi) = fin.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
        (a.min(v), b.max(v))
    });
    if lo > hi {
        return Err(Error::Empty {
            name: "histogram values",
        });
    }
    let (lo, hi) = if lo == hi {
        (lo - 0.5, hi + 0.5)
    } else {
        (lo, hi)
    };
    let w = (hi - lo) / bins as f64;
    let edges: Vec<f64> = (0..=bins).map(|i| lo + w * i as f64).collect();
    let mut counts = vec![0u64; bins];
    for v in values.iter().copied().filter(|v| v.is_finite()) {
        let i = (((v - lo) / w) as usize).min(bins - 1);
        counts[i] += 1;
    }
    Ok((edges, counts))
}

/// Draws a histogram of `values` (`bins` equal-width bins between the extremes, y = count) in the
/// house style.
///
/// # Errors
/// As [`histogram_counts`]; drawing errors.
pub fn histogram(
    area: &Area<'_>,
    title: &str,
    x_label: &str,
    values: &[f64],
    bins: usize,
    color: usize,
) -> Result<()> {
    let (edges, counts) = histogram_counts(values, bins)?;
    let (x0, x1) = (edges[0], edges[bins]);
    let top = counts.iter().copied().max().unwrap_or(1).max(1) as f64 * 1.05;
    let mut ch = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 17))
        .margin(12)
        .x_label_area_size(42)
        .y_label_area_size(64)
        .build_cartesian_2d(keyed(x0, x1, false), keyed(0.0, top, false))
        .map_err(perr)?;
    ch.configure_mesh()
        .x_desc(x_label)
        .y_desc("frequency (count per bin)")
        .x_label_formatter(&|v| tick(if v.abs() < 1e-9 * (x1 - x0) { 0.0 } else { *v }, false))
        .y_label_formatter(&|v| tick(*v, false))
        .label_style(("sans-serif", 12))
        .axis_desc_style(("sans-serif", 14))
        .light_line_style(RGBColor(235, 235, 235))
        .bold_line_style(RGBColor(215, 215, 215))
        .draw()
        .map_err(perr)?;
    let c = PALETTE[color % PALETTE.len()];
    ch.draw_series(counts.iter().enumerate().map(|(i, &n)| {
        Rectangle::new(
            [(edges[i], 0.0), (edges[i + 1], n as f64)],
            c.mix(0.85).filled(),
        )
    }))
    .map_err(perr)?;
    Ok(())
}

/// Draws `title` centred at the top of `area` and returns the area below it.
///
/// # Errors
/// Drawing errors.
pub fn titled<'a>(area: &Area<'a>, title: &str, size: u32) -> Result<Area<'a>> {
    let (w, _) = area.dim_in_pixel();
    let h = size + 14;
    let (top, rest) = area.split_vertically(h);
    top.draw(&Text::new(
        title.to_string(),
        (w as i32 / 2, (h / 2) as i32),
        ("sans-serif", size)
            .into_font()
            .color(&BLACK)
            .pos(Pos::new(HPos::Center, VPos::Center)),
    ))
    .map_err(perr)?;
    Ok(rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_svg_with_footer_and_log_axes() {
        let s = Series::line(
            "a",
            (1..50).map(|i| (i as f64, (i * i) as f64)).collect(),
            0,
        )
        .with_band(
            (1..50)
                .map(|i| (i as f64, (i * i) as f64 * 0.8, (i * i) as f64 * 1.2))
                .collect(),
        );
        let axes = Axes {
            x_label: "n".into(),
            y_label: "y".into(),
            x_log: true,
            y_log: true,
            ..Default::default()
        };
        let svg = svg_page(640, 480, "goodhart figure demo", |a| {
            chart(a, "demo", &axes, &[s], &Guides::default())
        })
        .unwrap();
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains("goodhart figure demo"));
        assert!(svg.contains("1e3"), "log ticks");
        assert_eq!(sig3(3.16227766), "3.16");
        assert_eq!(sig3(316.227766), "316");
        assert_eq!(sig3(31622.7766), "3.16e4");
        assert_eq!(tick(2f64.log10(), true), "2");
        assert_eq!(tick(2.0, true), "1e2");
        let (b, _) = key_points(0.0, 1.7, true); // 1 .. 50
        assert_eq!(
            b.iter().map(|v| tick(*v, true)).collect::<Vec<_>>(),
            ["1", "2", "5", "10", "20", "50"]
        );
        let (b, _) = key_points(-0.3, 4.2, false);
        assert_eq!(b, vec![0.0, 1.0, 2.0, 3.0, 4.0]);
    }

    #[test]
    fn histogram_counts_match_numpy_convention() {
        // numpy.histogram([0, 1, 2, 3, 4], bins=4) → edges 0,1,2,3,4; counts 1,1,1,2
        let (e, c) = histogram_counts(&[0.0, 1.0, 2.0, 3.0, 4.0, f64::NAN], 4).unwrap();
        assert_eq!(e, vec![0.0, 1.0, 2.0, 3.0, 4.0]);
        assert_eq!(c, vec![1, 1, 1, 2]);
        assert!(histogram_counts(&[f64::NAN], 3).is_err());
        assert!(histogram_counts(&[1.0], 0).is_err());
        let svg = svg_page(400, 300, "goodhart figure h", |a| {
            let a = titled(a, "page title", 18)?;
            histogram(&a, "hist", "x", &[0.0, 1.0, 1.5, 4.0], 4, 0)?;
            let s = Series::line("h", vec![(1.0, 1.0), (2.0, 2.0)], 1)
                .with_error_bars(vec![(1.0, 0.5, 1.5), (2.0, 1.5, 2.5)]);
            chart(&a, "eb", &Axes::default(), &[s], &Guides::default())
        })
        .unwrap();
        assert!(svg.contains("page title") && svg.contains("<rect"));
    }

    #[test]
    fn bar_chart_labels_and_values() {
        let bars = vec![
            Bar {
                label: "E[X]".into(),
                value: 1.877,
                color: 0,
            },
            Bar {
                label: "KL".into(),
                value: 7.5,
                color: 1,
            },
        ];
        let svg = svg_page(300, 400, "goodhart figure bars", |a| {
            bar_chart(a, "bars", "value", &bars, Some((0.0, 5.0)))
        })
        .unwrap();
        assert!(
            svg.contains("\nE[X]\n") && svg.contains("\nKL\n"),
            "category labels"
        );
        assert!(
            svg.contains("1.88") && svg.contains("7.50"),
            "values printed, also for a bar cut at the top"
        );
    }
}
