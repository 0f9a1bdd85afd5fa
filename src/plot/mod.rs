//! One house style for every figure: an SVG page with a footer naming the command that
//! regenerates it, and a line/point chart primitive with optional uncertainty bands and
//! log axes. Log axes are drawn by plotting `log10` of the data on linear coordinates with
//! power-of-ten labels, which keeps one code path for all four axis combinations.

use plotters::coord::Shift;
use plotters::prelude::*;

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
}

impl Series {
    /// A plain line series.
    pub fn line(name: impl Into<String>, points: Vec<(f64, f64)>, color: usize) -> Self {
        Self { name: name.into(), points, band: None, style: Style::Line, color }
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
pub fn svg_page(w: u32, h: u32, footer: &str, draw: impl FnOnce(&Area<'_>) -> Result<()>) -> Result<String> {
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(perr)?;
        let (main, foot) = root.split_vertically(h.saturating_sub(22));
        draw(&main)?;
        foot.draw(&Text::new(footer.to_string(), (8, 4), ("monospace", 12).into_font().color(&RGBColor(100, 100, 100))))
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
        return sig3(10f64.powf(v));
    }
    crate::report::fmt_num(v)
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
pub fn chart(area: &Area<'_>, title: &str, axes: &Axes, series: &[Series], guides: &Guides) -> Result<()> {
    chart_with_legend(area, title, axes, series, guides, Legend::UpperRight)
}

/// Draws a chart with the legend at `legend`.
///
/// # Errors
/// Drawing errors.
pub fn chart_with_legend(area: &Area<'_>, title: &str, axes: &Axes, series: &[Series], guides: &Guides, legend: Legend) -> Result<()> {
    let xs = series.iter().flat_map(|s| s.points.iter().map(|p| p.0));
    let ys = series.iter().flat_map(|s| {
        s.points.iter().map(|p| p.1).chain(s.band.iter().flat_map(|b| b.iter().flat_map(|q| [q.1, q.2])))
    });
    let (x0, x1) = axes.x_range.map(|(a, b)| (tx(a, axes.x_log), tx(b, axes.x_log))).or_else(|| range_of(xs, axes.x_log)).unwrap_or((0.0, 1.0));
    let (y0, y1) = axes.y_range.map(|(a, b)| (tx(a, axes.y_log), tx(b, axes.y_log))).or_else(|| range_of(ys, axes.y_log)).unwrap_or((0.0, 1.0));
    let mut ch = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 17))
        .margin(12)
        .x_label_area_size(42)
        .y_label_area_size(64)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(perr)?;
    let (xl, yl) = (axes.x_log, axes.y_log);
    ch.configure_mesh()
        .x_desc(axes.x_label.as_str())
        .y_desc(axes.y_label.as_str())
        .x_label_formatter(&|v| tick(*v, xl))
        .y_label_formatter(&|v| tick(*v, yl))
        .label_style(("sans-serif", 12))
        .axis_desc_style(("sans-serif", 14))
        .light_line_style(RGBColor(235, 235, 235))
        .bold_line_style(RGBColor(215, 215, 215))
        .draw()
        .map_err(perr)?;
    let inside = |x: f64, y: f64| x.is_finite() && y.is_finite() && x >= x0 && x <= x1;
    for s in series {
        let c = PALETTE[s.color % PALETTE.len()];
        if let Some(band) = &s.band {
            let mut poly: Vec<(f64, f64)> = band.iter().map(|q| (tx(q.0, xl), tx(q.2, yl))).filter(|p| inside(p.0, p.1)).collect();
            let lower: Vec<(f64, f64)> = band.iter().rev().map(|q| (tx(q.0, xl), tx(q.1, yl).max(y0))).filter(|p| inside(p.0, p.1)).collect();
            poly.extend(lower);
            if poly.len() >= 3 {
                ch.draw_series(std::iter::once(Polygon::new(poly, c.mix(0.18).filled()))).map_err(perr)?;
            }
        }
        let pts: Vec<(f64, f64)> = s.points.iter().map(|p| (tx(p.0, xl), tx(p.1, yl))).filter(|p| inside(p.0, p.1)).collect();
        let legend_style = ShapeStyle::from(&c).stroke_width(2);
        let dashed = s.style == Style::Dashed;
        let anno = match s.style {
            Style::Line | Style::LinePoints => ch.draw_series(LineSeries::new(pts.clone(), legend_style)).map_err(perr)?,
            Style::Dashed => ch
                .draw_series(DashedLineSeries::new(pts.clone(), 6, 4, legend_style))
                .map_err(perr)?,
            Style::Points => ch.draw_series(pts.iter().map(|p| Circle::new(*p, 3, c.filled()))).map_err(perr)?,
        };
        if !s.name.is_empty() {
            anno.label(s.name.clone()).legend(move |(x, y)| {
                // a dashed series gets a broken legend glyph
                let (first, second) = if dashed { ((0, 7), (11, 18)) } else { ((0, 18), (0, 0)) };
                let st = ShapeStyle::from(&c).stroke_width(2);
                EmptyElement::at((x, y)) + PathElement::new(vec![(first.0, 0), (first.1, 0)], st) + PathElement::new(vec![(second.0, 0), (second.1, 0)], st)
            });
        }
        if s.style == Style::LinePoints {
            ch.draw_series(pts.iter().map(|p| Circle::new(*p, 3, c.filled()))).map_err(perr)?;
        }
    }
    let grey = RGBColor(90, 90, 90);
    for (x, label) in &guides.vlines {
        let xv = tx(*x, xl);
        ch.draw_series(DashedLineSeries::new(vec![(xv, y0), (xv, y1)], 5, 4, ShapeStyle::from(&grey).stroke_width(1))).map_err(perr)?;
        ch.draw_series(std::iter::once(Text::new(label.clone(), (xv, y1), ("sans-serif", 12).into_font().color(&grey)))).map_err(perr)?;
    }
    for (y, label) in &guides.hlines {
        let yv = tx(*y, yl);
        ch.draw_series(DashedLineSeries::new(vec![(x0, yv), (x1, yv)], 5, 4, ShapeStyle::from(&grey).stroke_width(1))).map_err(perr)?;
        ch.draw_series(std::iter::once(Text::new(label.clone(), (x0, yv), ("sans-serif", 12).into_font().color(&grey)))).map_err(perr)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_svg_with_footer_and_log_axes() {
        let s = Series::line("a", (1..50).map(|i| (i as f64, (i * i) as f64)).collect(), 0)
            .with_band((1..50).map(|i| (i as f64, (i * i) as f64 * 0.8, (i * i) as f64 * 1.2)).collect());
        let axes = Axes { x_label: "n".into(), y_label: "y".into(), x_log: true, y_log: true, ..Default::default() };
        let svg = svg_page(640, 480, "goodhart figure demo", |a| chart(a, "demo", &axes, &[s], &Guides::default())).unwrap();
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains("goodhart figure demo"));
        assert!(svg.contains("1e3"), "log ticks");
        assert_eq!(sig3(3.16227766), "3.16");
        assert_eq!(sig3(316.227766), "316");
        assert_eq!(sig3(31622.7766), "3.16e4");
    }
}
