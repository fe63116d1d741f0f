//! The report's charts, drawn with plotters' SVG backend into strings that
//! the page inlines (no script, no network at view time).
//!
//! plotters is built without its font features: it then estimates text
//! sizes instead of loading font files, and writes text as SVG `<text>`,
//! which the browser draws with its own fonts — so a report renders on a
//! machine with no fonts installed.
//!
//! Two kinds of chart cover every plot: dots with whiskers on a
//! logarithmic axis (one row per label, several series per row, a
//! reference value marked), and lines (each axis linear or logarithmic,
//! optionally with each point's value written beside it).

use plotters::coord::combinators::{BindKeyPoints, WithKeyPoints};
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Colours for series, picked to stay distinct in print and for common
/// colour blindness (Okabe–Ito).
pub const PALETTE: [RGBColor; 6] = [
    RGBColor(0x00, 0x72, 0xB2),
    RGBColor(0xD5, 0x5E, 0x00),
    RGBColor(0x00, 0x9E, 0x73),
    RGBColor(0xCC, 0x79, 0xA7),
    RGBColor(0xE6, 0x9F, 0x00),
    RGBColor(0x56, 0xB4, 0xE9),
];

const FONT: &str = "sans-serif";
const WIDTH: u32 = 900;

fn color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// One value with its interval, in a row of a [`DotChart`].
#[derive(Clone, Debug)]
pub struct Dot {
    pub row: usize,
    pub series: usize,
    pub value: f64,
    pub low: f64,
    pub high: f64,
}

/// Dots with whiskers on a logarithmic x axis, one row per label.
pub struct DotChart<'a> {
    pub title: &'a str,
    pub x_desc: &'a str,
    pub rows: Vec<String>,
    pub series: Vec<String>,
    pub dots: Vec<Dot>,
    /// A value marked by a vertical line, with its label ("1× = equal").
    pub reference: Option<(f64, String)>,
    pub fmt: &'a dyn Fn(f64) -> String,
}

fn err<E: std::fmt::Debug>(e: E) -> String {
    format!("drawing a chart: {e:?}")
}

/// A log axis covering `values` (all positive), padded a little.
fn log_range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.filter(|v| v.is_finite() && *v > 0.0) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return (1.0, 10.0);
    }
    if hi / lo < 4.0 {
        let mid = (hi * lo).sqrt();
        (mid / 2.2, mid * 2.2)
    } else {
        (lo / 1.3, hi * 1.3)
    }
}

/// Ticks for a log axis from `lo` to `hi`: powers of ten, with more steps
/// between them the narrower the range (quarter steps for a ratio near 1×).
fn ticks(lo: f64, hi: f64) -> Vec<f64> {
    let span = hi / lo;
    let steps: &[f64] = if span < 10.0 {
        &[1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0]
    } else if span < 100.0 {
        &[1.0, 2.0, 5.0]
    } else if span < 1000.0 {
        &[1.0, 3.0]
    } else {
        &[1.0]
    };
    let mut out = Vec::new();
    let mut decade = 10f64.powf(lo.log10().floor());
    while decade <= hi {
        out.extend(
            steps
                .iter()
                .map(|s| s * decade)
                .filter(|v| *v >= lo && *v <= hi),
        );
        decade *= 10.0;
    }
    out
}

/// Draws a [`DotChart`] as SVG.
pub fn dots(c: &DotChart) -> Result<String, String> {
    let n = c.rows.len().max(1);
    let height = 110 + 34 * n as u32 + 24 * c.series.len().min(3) as u32;
    let label_w = c
        .rows
        .iter()
        .map(|r| r.chars().count() as u32 * 8 + 16)
        .max()
        .unwrap_or(60)
        .clamp(60, 320);
    let (lo, hi) = log_range(
        c.dots
            .iter()
            .flat_map(|d| [d.low, d.high, d.value])
            .chain(c.reference.as_ref().map(|r| r.0)),
    );
    let legend_rows = if c.series.len() > 1 {
        c.series.len()
    } else {
        0
    };
    let bottom = -0.6 - 0.45 * legend_rows as f64;
    let height = height + 16 * legend_rows as u32;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(c.title, (FONT, 20))
            .margin(12)
            .margin_right(90)
            .x_label_area_size(44)
            .y_label_area_size(label_w)
            // Room below the last row for the legend.
            .build_cartesian_2d(
                (lo..hi).log_scale().with_key_points(ticks(lo, hi)),
                bottom..(n as f64 - 0.4),
            )
            .map_err(err)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(0)
            .y_label_formatter(&|_| String::new())
            .x_desc(c.x_desc)
            .x_label_formatter(&|v| (c.fmt)(*v))
            .axis_desc_style((FONT, 15))
            .label_style((FONT, 13))
            .light_line_style(RGBColor(0xee, 0xee, 0xee))
            .draw()
            .map_err(err)?;
        if let Some(reference) = &c.reference {
            draw_reference(&mut chart, reference, bottom, n)?;
        }
        for (s, name) in c.series.iter().enumerate() {
            draw_dots(&mut chart, c, s, name, n)?;
        }
        if c.series.len() > 1 {
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::LowerRight)
                .background_style(WHITE.mix(0.9))
                .border_style(RGBColor(0xaa, 0xaa, 0xaa))
                .label_font((FONT, 13))
                .draw()
                .map_err(err)?;
        }
        label_rows(&root, &chart, c, lo, n)?;
        root.present().map_err(err)?;
    }
    Ok(svg)
}

/// A dot chart's plotting area: a logarithmic x axis with key points, a
/// row per label on y.
type DotArea<'a, 'b> =
    ChartContext<'a, SVGBackend<'b>, Cartesian2d<WithKeyPoints<LogCoord<f64>>, RangedCoordf64>>;

/// Where a dot of `series` sits in `row` (of `n`): rows top down, the
/// series of a row spread around its line.
fn dot_y(c: &DotChart, n: usize, row: usize, series: usize) -> f64 {
    let s = c.series.len().max(1) as f64;
    let offset = if s > 1.0 {
        (series as f64 - (s - 1.0) / 2.0) * (0.5 / s)
    } else {
        0.0
    };
    (n - 1 - row) as f64 - offset
}

/// The reference value: a dashed vertical line with its label on top.
fn draw_reference(
    chart: &mut DotArea,
    (x, label): &(f64, String),
    bottom: f64,
    n: usize,
) -> Result<(), String> {
    chart
        .draw_series(DashedLineSeries::new(
            vec![(*x, bottom), (*x, n as f64 - 0.4)],
            6,
            4,
            BLACK.stroke_width(1),
        ))
        .map_err(err)?;
    chart
        .draw_series(std::iter::once(
            EmptyElement::at((*x, n as f64 - 0.4))
                + Text::new(label.clone(), (4, 2), (FONT, 13).into_font().color(&BLACK)),
        ))
        .map_err(err)?;
    Ok(())
}

/// Series `s`'s dots with their whiskers, each value written beside its
/// whisker, and its entry in the legend.
fn draw_dots(
    chart: &mut DotArea,
    c: &DotChart,
    s: usize,
    name: &str,
    n: usize,
) -> Result<(), String> {
    let style = color(s).filled().stroke_width(2);
    chart
        .draw_series(c.dots.iter().filter(|d| d.series == s).map(|d| {
            ErrorBar::new_horizontal(dot_y(c, n, d.row, s), d.low, d.value, d.high, style, 10)
        }))
        .map_err(err)?
        .label(name)
        .legend(move |(x, y)| Circle::new((x, y), 5, style));
    // Each value written beside its whisker.
    chart
        .draw_series(c.dots.iter().filter(|d| d.series == s).map(|d| {
            EmptyElement::at((d.high, dot_y(c, n, d.row, s)))
                + Text::new(
                    (c.fmt)(d.value),
                    (8, -7),
                    (FONT, 12).into_font().color(&color(s)),
                )
        }))
        .map_err(err)?;
    Ok(())
}

/// The rows' labels, right-aligned against the plot.
fn label_rows(
    root: &DrawingArea<SVGBackend, Shift>,
    chart: &DotArea,
    c: &DotChart,
    lo: f64,
    n: usize,
) -> Result<(), String> {
    // The rows' labels, right-aligned against the plot.
    let style = (FONT, 14)
        .into_font()
        .color(&BLACK)
        .pos(Pos::new(HPos::Right, VPos::Center));
    for (i, label) in c.rows.iter().enumerate() {
        let (px, py) = chart.backend_coord(&(lo, (n - 1 - i) as f64));
        root.draw(&Text::new(label.clone(), (px - 10, py), style.clone()))
            .map_err(err)?;
    }
    Ok(())
}

/// A line of a [`LineChart`].
#[derive(Clone, Debug)]
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
    pub dashed: bool,
    /// Its colour's index in the palette.
    pub color: usize,
    /// Write each point's value beside it.
    pub values: bool,
}

/// Lines over two axes, each linear or logarithmic.
pub struct LineChart<'a> {
    pub title: &'a str,
    pub x_desc: &'a str,
    pub y_desc: &'a str,
    pub series: Vec<Series>,
    pub x_log: bool,
    pub y_log: bool,
    pub x_fmt: &'a dyn Fn(f64) -> String,
    pub y_fmt: &'a dyn Fn(f64) -> String,
}

/// Draws a [`LineChart`] as SVG.
pub fn lines(c: &LineChart) -> Result<String, String> {
    let xs = || c.series.iter().flat_map(|s| s.points.iter().map(|p| p.0));
    let ys = || c.series.iter().flat_map(|s| s.points.iter().map(|p| p.1));
    let linear = |v: Vec<f64>| {
        let lo = v.iter().copied().fold(f64::INFINITY, f64::min).min(0.0);
        let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let hi = if hi.is_finite() && hi > lo {
            hi
        } else {
            lo + 1.0
        };
        (lo, hi + (hi - lo) * 0.1)
    };
    let (x0, x1) = if c.x_log {
        log_range(xs())
    } else {
        linear(xs().collect())
    };
    let (y0, y1) = if c.y_log {
        log_range(ys())
    } else {
        linear(ys().collect())
    };
    match (c.x_log, c.y_log) {
        (false, false) => draw_lines(c, x0..x1, y0..y1),
        (true, false) => draw_lines(c, (x0..x1).log_scale(), y0..y1),
        (false, true) => draw_lines(c, x0..x1, (y0..y1).log_scale()),
        (true, true) => draw_lines(c, (x0..x1).log_scale(), (y0..y1).log_scale()),
    }
}

fn draw_lines<X, Y>(c: &LineChart, x: X, y: Y) -> Result<String, String>
where
    X: AsRangedCoord<Value = f64>,
    Y: AsRangedCoord<Value = f64>,
    X::CoordDescType: ValueFormatter<f64>,
    Y::CoordDescType: ValueFormatter<f64>,
{
    let height = 440 + 22 * c.series.len().saturating_sub(4) as u32;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(c.title, (FONT, 20))
            .margin(12)
            .margin_right(40)
            .x_label_area_size(48)
            .y_label_area_size(78)
            .build_cartesian_2d(x, y)
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc(c.x_desc)
            .y_desc(c.y_desc)
            .x_label_formatter(&|v| (c.x_fmt)(*v))
            .y_label_formatter(&|v| (c.y_fmt)(*v))
            .axis_desc_style((FONT, 15))
            .label_style((FONT, 13))
            .light_line_style(RGBColor(0xee, 0xee, 0xee))
            .draw()
            .map_err(err)?;
        for s in &c.series {
            let col = color(s.color);
            let style = col.stroke_width(2);
            let drawn = if s.dashed {
                chart
                    .draw_series(DashedLineSeries::new(s.points.clone(), 8, 5, style))
                    .map_err(err)?
            } else {
                chart
                    .draw_series(LineSeries::new(s.points.clone(), style))
                    .map_err(err)?
            };
            drawn.label(s.name.clone()).legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 18, y)], col.stroke_width(3))
            });
            if s.values {
                chart
                    .draw_series(s.points.iter().map(|&(px, py)| {
                        EmptyElement::at((px, py))
                            + Circle::new((0, 0), 4, col.filled())
                            + Text::new((c.y_fmt)(py), (7, -16), (FONT, 12).into_font().color(&col))
                    }))
                    .map_err(err)?;
            }
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .background_style(WHITE.mix(0.9))
            .border_style(RGBColor(0xaa, 0xaa, 0xaa))
            .label_font((FONT, 13))
            .draw()
            .map_err(err)?;
        root.present().map_err(err)?;
    }
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dot_chart_is_well_formed_svg_with_a_dot_per_value_and_its_labels() {
        let svg = dots(&DotChart {
            title: "ratio <&>",
            x_desc: "processes ÷ threads",
            rows: vec!["pipe".into(), "spin".into()],
            series: vec!["one CPU".into(), "two CPUs".into()],
            dots: vec![
                Dot {
                    row: 0,
                    series: 0,
                    value: 1.1,
                    low: 1.05,
                    high: 1.2,
                },
                Dot {
                    row: 1,
                    series: 1,
                    value: 0.9,
                    low: 0.8,
                    high: 0.95,
                },
            ],
            reference: Some((1.0, "1×".into())),
            fmt: &|v| format!("{v:.2}×"),
        })
        .unwrap();
        let doc = roxmltree::Document::parse(&svg).expect("well-formed");
        let circles = doc
            .descendants()
            .filter(|n| n.has_tag_name("circle"))
            .count();
        assert!(circles >= 2, "{svg}");
        let texts: Vec<String> = doc
            .descendants()
            .filter(|n| n.has_tag_name("text"))
            .filter_map(|n| n.text().map(|t| t.trim().to_string()))
            .collect();
        for label in ["pipe", "spin", "1×", "ratio <&>", "1.10×"] {
            assert!(
                texts.iter().any(|t| t == label),
                "no {label:?} in {texts:?}"
            );
        }
    }

    #[test]
    fn a_line_chart_draws_every_series_on_log_or_linear_axes() {
        for (x_log, y_log) in [(false, false), (true, false), (true, true)] {
            let svg = lines(&LineChart {
                title: "t",
                x_desc: "x",
                y_desc: "y",
                series: vec![
                    Series {
                        name: "a".into(),
                        points: vec![(1.0, 1.0), (10.0, 2.0)],
                        dashed: false,
                        color: 0,
                        values: true,
                    },
                    Series {
                        name: "b".into(),
                        points: vec![(1.0, 2.0), (10.0, 3.0)],
                        dashed: true,
                        color: 1,
                        values: false,
                    },
                ],
                x_log,
                y_log,
                x_fmt: &|v| format!("{v}"),
                y_fmt: &|v| format!("{v:.1}"),
            })
            .unwrap();
            roxmltree::Document::parse(&svg).expect("well-formed");
            assert!(
                svg.contains("polyline") || svg.contains("<path") || svg.contains("<line"),
                "{svg}"
            );
        }
    }
}
