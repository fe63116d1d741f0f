//! Hand-written SVG charts for the HTML report.
//!
//! Written by hand rather than with `plotters` because plotters lays out
//! text with a font engine and fails without font files (`FontUnavailable`
//! with its SVG backend and no system fonts), while a report must render on
//! any machine: here text stays SVG `<text>`, which the browser draws with
//! its own fonts. Two chart kinds cover every plot: grouped bars with
//! whiskers, and lines; both with linear or logarithmic axes.

use std::fmt::Write;

const W: f64 = 760.0;
const H: f64 = 380.0;
const LEFT: f64 = 78.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 64.0;

/// Colours for series, picked to stay distinct in print and for common colour blindness.
pub const PALETTE: [&str; 6] = [
    "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9",
];

/// Escapes text for SVG/HTML.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// An axis mapping data to pixels.
#[derive(Clone, Copy, Debug)]
pub struct Axis {
    pub min: f64,
    pub max: f64,
    pub log: bool,
}

impl Axis {
    /// An axis covering `values`, padded; logarithmic axes snap to decades.
    pub fn fit(values: impl Iterator<Item = f64>, log: bool, from_zero: bool) -> Axis {
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for v in values.filter(|v| v.is_finite() && (!log || *v > 0.0)) {
            lo = lo.min(v);
            hi = hi.max(v);
        }
        if !lo.is_finite() {
            (lo, hi) = if log { (1.0, 10.0) } else { (0.0, 1.0) };
        }
        if log {
            Axis {
                min: 10f64.powf(lo.log10().floor()),
                max: 10f64.powf(hi.log10().ceil().max(lo.log10().floor() + 1.0)),
                log,
            }
        } else {
            let lo = if from_zero { lo.min(0.0) } else { lo };
            let span = (hi - lo).max(f64::EPSILON);
            Axis {
                min: lo,
                max: hi + span * 0.08,
                log,
            }
        }
    }

    /// Position of `v` between 0 and 1.
    pub fn frac(&self, v: f64) -> f64 {
        if self.log {
            let v = v.max(self.min);
            (v.log10() - self.min.log10()) / (self.max.log10() - self.min.log10())
        } else {
            (v - self.min) / (self.max - self.min)
        }
    }

    /// Tick values: decades (log) or about six round steps (linear).
    pub fn ticks(&self) -> Vec<f64> {
        if self.log {
            // Decades; with few of them, 2× and 5× steps too, so the axis can be read.
            let decades = (self.max / self.min).log10().round() as i32;
            let steps: &[f64] = if decades <= 2 {
                &[1.0, 2.0, 5.0]
            } else {
                &[1.0]
            };
            let mut t = Vec::new();
            let mut v = self.min;
            while v <= self.max * 1.0001 {
                for m in steps {
                    if v * m <= self.max * 1.0001 {
                        t.push(v * m);
                    }
                }
                v *= 10.0;
            }
            t
        } else {
            let raw = (self.max - self.min) / 6.0;
            let mag = 10f64.powf(raw.log10().floor());
            let step = [1.0, 2.0, 5.0, 10.0]
                .iter()
                .map(|m| m * mag)
                .find(|s| *s >= raw)
                .unwrap_or(raw);
            let mut t = Vec::new();
            let mut v = (self.min / step).ceil() * step;
            while v <= self.max + step * 1e-9 {
                t.push(v);
                v += step;
            }
            t
        }
    }
}

/// The frame of a chart: title, axes, grid, labels; `body` draws inside.
fn frame(
    title: &str,
    x_label: &str,
    y_label: &str,
    y: &Axis,
    y_fmt: &dyn Fn(f64) -> String,
    body: &str,
    x_ticks: &str,
) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="plot" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="{W}" height="{H}" role="img" aria-label="{t}">"#,
        t = esc(title)
    );
    let _ = write!(
        s,
        r#"<rect x="0" y="0" width="{W}" height="{H}" fill="white"/>"#
    );
    let _ = write!(
        s,
        r#"<text x="{}" y="22" font-size="15" font-weight="bold" text-anchor="middle" font-family="sans-serif">{}</text>"#,
        W / 2.0,
        esc(title)
    );
    let ph = H - TOP - BOTTOM;
    for t in y.ticks() {
        let py = TOP + ph * (1.0 - y.frac(t));
        let _ = write!(
            s,
            r##"<line x1="{LEFT}" x2="{}" y1="{py:.1}" y2="{py:.1}" stroke="#ddd"/>"##,
            W - RIGHT
        );
        let _ = write!(
            s,
            r#"<text x="{}" y="{:.1}" font-size="11" text-anchor="end" font-family="sans-serif">{}</text>"#,
            LEFT - 6.0,
            py + 4.0,
            esc(&y_fmt(t))
        );
    }
    s.push_str(x_ticks);
    s.push_str(body);
    let _ = write!(
        s,
        r##"<line x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{}" stroke="#333"/>"##,
        H - BOTTOM
    );
    let _ = write!(
        s,
        r##"<line x1="{LEFT}" x2="{}" y1="{}" y2="{}" stroke="#333"/>"##,
        W - RIGHT,
        H - BOTTOM,
        H - BOTTOM
    );
    let _ = write!(
        s,
        r#"<text x="{}" y="{}" font-size="12" text-anchor="middle" font-family="sans-serif">{}</text>"#,
        LEFT + (W - LEFT - RIGHT) / 2.0,
        H - 12.0,
        esc(x_label)
    );
    let _ = write!(
        s,
        r#"<text x="16" y="{}" font-size="12" text-anchor="middle" font-family="sans-serif" transform="rotate(-90 16 {})">{}</text>"#,
        TOP + ph / 2.0,
        TOP + ph / 2.0,
        esc(y_label)
    );
    s.push_str("</svg>");
    s
}

fn legend(names: &[String], colours: &[&str]) -> String {
    let mut s = String::new();
    let mut x = LEFT + 10.0;
    let mut y = TOP + 4.0;
    for (i, n) in names.iter().enumerate() {
        let c = colours
            .get(i)
            .copied()
            .unwrap_or(PALETTE[i % PALETTE.len()]);
        // About 6.5 px per character at 11 px: wrap onto a new row rather than
        // run off the chart.
        let width = 28.0 + 6.5 * n.chars().count() as f64;
        if x + width > W - RIGHT && x > LEFT + 10.0 {
            x = LEFT + 10.0;
            y += 16.0;
        }
        let _ = write!(
            s,
            r#"<rect x="{x:.1}" y="{y:.1}" width="12" height="12" fill="{c}"/>"#
        );
        let _ = write!(
            s,
            r#"<text x="{:.1}" y="{:.1}" font-size="11" font-family="sans-serif">{}</text>"#,
            x + 16.0,
            y + 10.0,
            esc(n)
        );
        x += width;
    }
    s
}

/// One bar: a value with a whisker from `low` to `high`.
pub struct Bar {
    pub value: f64,
    pub low: f64,
    pub high: f64,
}

/// Grouped bars: `groups[g] = (label, bars by series)`; `None` leaves a gap.
pub fn bars(
    title: &str,
    y_label: &str,
    series: &[String],
    groups: &[(String, Vec<Option<Bar>>)],
    log: bool,
    y_fmt: &dyn Fn(f64) -> String,
) -> String {
    let y = Axis::fit(
        groups
            .iter()
            .flat_map(|(_, b)| b.iter().flatten().flat_map(|b| [b.value, b.low, b.high])),
        log,
        !log,
    );
    let pw = W - LEFT - RIGHT;
    let ph = H - TOP - BOTTOM;
    let gw = pw / groups.len().max(1) as f64;
    let bw = (gw * 0.8) / series.len().max(1) as f64;
    let base = if log {
        H - BOTTOM
    } else {
        TOP + ph * (1.0 - y.frac(0.0))
    };
    let mut body = String::new();
    let mut ticks = String::new();
    for (g, (label, bs)) in groups.iter().enumerate() {
        let gx = LEFT + gw * g as f64;
        let _ = write!(
            ticks,
            r#"<text x="{:.1}" y="{}" font-size="11" text-anchor="middle" font-family="sans-serif">{}</text>"#,
            gx + gw / 2.0,
            H - BOTTOM + 16.0,
            esc(label)
        );
        for (i, b) in bs.iter().enumerate() {
            let Some(b) = b else { continue };
            let c = PALETTE[i % PALETTE.len()];
            let x = gx + gw * 0.1 + bw * i as f64;
            let py = TOP + ph * (1.0 - y.frac(b.value));
            let _ = write!(
                body,
                r#"<rect class="bar" x="{x:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{c}"><title>{}: {}</title></rect>"#,
                py.min(base),
                bw * 0.9,
                (base - py).abs().max(1.0),
                esc(&series[i]),
                esc(&y_fmt(b.value))
            );
            let (lo, hi) = (
                TOP + ph * (1.0 - y.frac(b.low)),
                TOP + ph * (1.0 - y.frac(b.high)),
            );
            let cx = x + bw * 0.45;
            let _ = write!(
                body,
                r##"<line x1="{cx:.1}" x2="{cx:.1}" y1="{lo:.1}" y2="{hi:.1}" stroke="#222"/><line x1="{:.1}" x2="{:.1}" y1="{hi:.1}" y2="{hi:.1}" stroke="#222"/>"##,
                cx - 4.0,
                cx + 4.0
            );
        }
    }
    body.push_str(&legend(series, &[]));
    frame(title, "", y_label, &y, y_fmt, &body, &ticks)
}

/// One line of a line chart.
pub struct Line {
    pub name: String,
    pub points: Vec<(f64, f64)>,
    pub dashed: bool,
}

/// Lines over a shared x axis.
#[allow(clippy::too_many_arguments)]
pub fn lines(
    title: &str,
    x_label: &str,
    y_label: &str,
    lines: &[Line],
    x_log: bool,
    y_log: bool,
    x_fmt: &dyn Fn(f64) -> String,
    y_fmt: &dyn Fn(f64) -> String,
) -> String {
    let x = Axis::fit(
        lines.iter().flat_map(|l| l.points.iter().map(|p| p.0)),
        x_log,
        false,
    );
    let y = Axis::fit(
        lines.iter().flat_map(|l| l.points.iter().map(|p| p.1)),
        y_log,
        !y_log,
    );
    let pw = W - LEFT - RIGHT;
    let ph = H - TOP - BOTTOM;
    let mut ticks = String::new();
    for t in x.ticks() {
        let px = LEFT + pw * x.frac(t);
        let _ = write!(
            ticks,
            r##"<line x1="{px:.1}" x2="{px:.1}" y1="{TOP}" y2="{}" stroke="#eee"/><text x="{px:.1}" y="{}" font-size="11" text-anchor="middle" font-family="sans-serif">{}</text>"##,
            H - BOTTOM,
            H - BOTTOM + 16.0,
            esc(&x_fmt(t))
        );
    }
    let mut body = String::new();
    for (i, l) in lines.iter().enumerate() {
        let c = if l.dashed {
            "#888"
        } else {
            PALETTE[i % PALETTE.len()]
        };
        let pts: Vec<String> = l
            .points
            .iter()
            .filter(|p| p.0.is_finite() && p.1.is_finite())
            .map(|p| {
                format!(
                    "{:.1},{:.1}",
                    LEFT + pw * x.frac(p.0),
                    TOP + ph * (1.0 - y.frac(p.1))
                )
            })
            .collect();
        let dash = if l.dashed {
            r#" stroke-dasharray="6 4""#
        } else {
            ""
        };
        let _ = write!(
            body,
            r#"<polyline class="series" fill="none" stroke="{c}" stroke-width="2"{dash} points="{}"><title>{}</title></polyline>"#,
            pts.join(" "),
            esc(&l.name)
        );
    }
    let names: Vec<String> = lines.iter().map(|l| l.name.clone()).collect();
    let colours: Vec<&str> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            if l.dashed {
                "#888"
            } else {
                PALETTE[i % PALETTE.len()]
            }
        })
        .collect();
    body.push_str(&legend(&names, &colours));
    frame(title, x_label, y_label, &y, y_fmt, &body, &ticks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_axes_snap_to_decades() {
        let a = Axis::fit([150.0, 42_000.0].into_iter(), true, false);
        assert_eq!((a.min, a.max), (100.0, 100_000.0));
        assert_eq!(a.ticks(), vec![100.0, 1000.0, 10_000.0, 100_000.0]);
        let narrow = Axis::fit([1500.0, 4000.0].into_iter(), true, false);
        assert_eq!(narrow.ticks(), vec![1000.0, 2000.0, 5000.0, 10_000.0]);
        assert!((a.frac(1000.0) - 1.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn linear_ticks_are_round() {
        let a = Axis {
            min: 0.0,
            max: 10.0,
            log: false,
        };
        assert_eq!(a.ticks(), vec![0.0, 2.0, 4.0, 6.0, 8.0, 10.0]);
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(esc("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
    }

    #[test]
    fn charts_are_single_svg_elements_with_content() {
        let s = lines(
            "t",
            "x",
            "y",
            &[Line {
                name: "a<b".into(),
                points: vec![(1.0, 1.0), (2.0, 3.0)],
                dashed: false,
            }],
            false,
            false,
            &|v| format!("{v}"),
            &|v| format!("{v}"),
        );
        assert!(s.starts_with("<svg") && s.ends_with("</svg>"));
        assert!(s.contains("polyline") && s.contains("a&lt;b"));
        let b = bars(
            "t",
            "y",
            &["s".into()],
            &[(
                "g".into(),
                vec![Some(Bar {
                    value: 2.0,
                    low: 1.0,
                    high: 3.0,
                })],
            )],
            true,
            &|v| format!("{v}"),
        );
        assert!(b.contains("class=\"bar\""));
    }
}
