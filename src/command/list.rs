//! `pingpong list`: every channel × unit combination at a glance — a
//! compact matrix of marks, each refusal numbered and explained once below
//! it, the largest ball in a human unit, and what each channel and unit is.
//! It fits in 100 columns.

use crate::channel;
use crate::format::format_size;
use crate::kinds::UnitKind;
use std::fmt::Write;

/// The widest line `list` prints.
pub const WIDTH: usize = 100;

/// Short column heads for the units, in `UnitKind::ALL` order.
fn head(u: UnitKind) -> &'static str {
    match u {
        UnitKind::Thread => "thr",
        UnitKind::Spawn => "proc",
        UnitKind::Fork => "fork",
        UnitKind::Tasks => "task",
        UnitKind::TasksMt => "t-mt",
    }
}

/// Splits `text` into lines of at most `width` characters, at spaces.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for word in text.split_whitespace() {
        let line = lines.last_mut().expect("one line at least");
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(word.to_string());
        } else {
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
    }
    lines
}

pub fn render() -> String {
    let mut out = String::new();
    let reasons = channels(&mut out);
    let _ = writeln!(out, "\n✓ valid · not valid, because:");
    for (i, why) in reasons.iter().enumerate() {
        for (j, line) in wrap(why, WIDTH - 5).iter().enumerate() {
            if j == 0 {
                let _ = writeln!(out, "{:>3}  {line}", i + 1);
            } else {
                let _ = writeln!(out, "     {line}");
            }
        }
    }
    units(&mut out);
    out
}

/// The table of channels: each one's largest ball, a mark for each unit
/// (valid, or the number of the reason it is not), and what it is. The
/// reasons, in the order numbered.
fn channels(out: &mut String) -> Vec<String> {
    let mut reasons: Vec<String> = Vec::new();
    let marks_width = UnitKind::ALL.len() * 5;
    let lead = 13 + 1 + 8 + 2 + marks_width + 1;
    let _ = write!(out, "{:<13} {:>8}  ", "channel", "largest");
    for u in UnitKind::ALL {
        let _ = write!(out, "{:<5}", head(u));
    }
    let _ = writeln!(out, " what it is");
    for c in channel::ALL {
        let largest = if c.max_size() == usize::MAX {
            "any".to_string()
        } else {
            format_size(c.max_size())
        };
        let _ = write!(out, "{:<13} {:>8}  ", c.name(), largest);
        for &u in &UnitKind::ALL {
            let mark = match channel::check(*c, u) {
                Ok(()) => "✓".to_string(),
                Err(why) => {
                    let n = match reasons.iter().position(|r| *r == why) {
                        Some(i) => i + 1,
                        None => {
                            reasons.push(why);
                            reasons.len()
                        }
                    };
                    format!("·{n}")
                }
            };
            let _ = write!(out, "{mark:<5}");
        }
        for (i, line) in wrap(c.summary(), WIDTH - lead).iter().enumerate() {
            if i > 0 {
                out.push_str(&" ".repeat(lead - 1));
            }
            let _ = writeln!(out, " {line}");
        }
    }
    reasons
}

/// The units `--between` takes, each with what it is.
fn units(out: &mut String) {
    let _ = writeln!(out, "\nunits (--between):");
    let mut unit = |name: &str, head: &str, what: &str| {
        let label = if head.is_empty() {
            name.to_string()
        } else {
            format!("{name} ({head})")
        };
        for (j, line) in wrap(what, WIDTH - 24).iter().enumerate() {
            let first = if j == 0 { label.as_str() } else { "" };
            let _ = writeln!(out, "  {first:<21} {line}");
        }
    };
    for u in UnitKind::ALL {
        unit(u.name(), head(u), u.summary());
    }
    unit(
        "hosts",
        "",
        "ping here, pong on another host's `pingpong serve` (--peer), via tcp or udp",
    );
    let ranks = format!(
        "two MPI ranks (`pingpong mpi`, or your own mpirun), via mpi: {}",
        if crate::mpi::BUILT {
            "built in"
        } else {
            "not in this build (cargo build --release --features mpi)"
        }
    );
    unit("ranks", "", &ranks);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_fits_in_100_columns_and_names_every_channel_and_unit() {
        let text = render();
        for line in text.lines() {
            assert!(
                line.chars().count() <= WIDTH,
                "{} wide: {line}",
                line.chars().count()
            );
        }
        for c in channel::ALL {
            assert!(
                text.lines().any(|l| l.starts_with(c.name())),
                "{}",
                c.name()
            );
        }
        for u in UnitKind::ALL {
            assert!(text.contains(u.summary()), "{}", u.name());
        }
    }

    #[test]
    fn every_refusal_is_explained_once_below_the_matrix() {
        let text = render();
        let notes = text.split("not valid, because:").nth(1).unwrap();
        let explained = notes
            .lines()
            .filter(|l| {
                l.trim_start()
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_digit())
            })
            .count();
        let mut reasons: Vec<String> = Vec::new();
        for c in channel::ALL {
            for &u in &UnitKind::ALL {
                if let Err(why) = channel::check(*c, u) {
                    if !reasons.contains(&why) {
                        reasons.push(why);
                    }
                }
            }
        }
        assert_eq!(explained, reasons.len());
    }

    #[test]
    fn long_text_wraps_at_spaces() {
        assert_eq!(wrap("aa bb cc", 5), vec!["aa bb", "cc"]);
        assert_eq!(wrap("", 5), vec![""]);
    }
}
