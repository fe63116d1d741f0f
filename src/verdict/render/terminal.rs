//! The terminal verdict, fitted to the width: the machine, the bottom
//! line, the one-line table of the claims (the key figure loses its
//! interval first, then the least important columns go, and a note says
//! which), and with `--explain` the rule and every figure per claim.

use super::super::rules::Judgement;
use super::super::summary::{self, Summary};
use super::super::{claims, Verdict, VerdictDocument};
use super::{cpython_lines, figures, machine_line, runs_line, stability};
use crate::python::Build;

/// The width to fit the terminal verdict to: `COLUMNS` when set, else
/// the terminal's, else (a pipe, a file) 100.
pub fn terminal_width() -> usize {
    if let Some(n) = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|n| *n > 0)
    {
        return n;
    }
    terminal_size::terminal_size_of(std::io::stdout())
        .map(|(w, _)| usize::from(w.0))
        .filter(|w| *w > 0)
        .unwrap_or(100)
}

/// Display width of a cell (what a terminal shows, not bytes).
fn width_of(s: &str) -> usize {
    textwrap::core::display_width(s)
}

/// `text` wrapped at spaces to `width`, each line after the first
/// indented by `indent` spaces. A word longer than a whole line (a path,
/// a figure's key) is the only thing ever broken.
fn wrap(text: &str, width: usize, indent: usize) -> Vec<String> {
    let pad = " ".repeat(indent);
    let opts = textwrap::Options::new(width.max(indent + 8))
        .subsequent_indent(&pad)
        .word_splitter(textwrap::WordSplitter::NoHyphenation)
        .break_words(true);
    text.lines()
        .flat_map(|l| textwrap::wrap(l, &opts).into_iter().map(|c| c.into_owned()))
        .collect()
}

/// The bottom line: the counts, the question and its paragraph, each
/// wrapped to `width`.
pub fn bottom_line(doc: &VerdictDocument, width: usize) -> Vec<String> {
    let ru = doc.lang == "ru";
    let s = summary::summarize(doc);
    let mut out = Vec::new();
    for line in s.count_lines(ru) {
        out.extend(wrap(&line, width, 2));
    }
    out.push(String::new());
    out.push(Summary::question(ru).to_string());
    for sentence in &s.sentences {
        out.extend(wrap(&format!("• {}", sentence.text), width, 2));
    }
    out
}

/// A column of the one-line table.
struct Column {
    title: String,
    cells: Vec<String>,
    /// Dropped first when the table does not fit (higher drops first).
    drop_rank: u8,
}

/// The one-line table of the claims: id, short claim, each column's word
/// and the key figure, fitted to `width` (never breaking a word or a
/// number): the figure loses its interval first, then the least
/// important columns go, and the lines say which.
fn claims_table(doc: &VerdictDocument, width: usize) -> Vec<String> {
    let ru = doc.lang == "ru";
    let vs = &doc.verdicts;
    let mut cols = columns(doc);
    let notes = fit_columns(&mut cols, vs, width, ru);
    let widths = column_widths(&cols, width);
    let mut out = Vec::new();
    out.extend(table_row(
        cols.iter().map(|c| c.title.as_str()).collect(),
        &widths,
    ));
    for i in 0..vs.len() {
        out.extend(table_row(
            cols.iter().map(|c| c.cells[i].as_str()).collect(),
            &widths,
        ));
    }
    out.extend(legend(vs, notes, width, ru));
    out
}

/// Spaces between two columns.
const GAP: usize = 2;

/// A word in a column of the table ("–" where that column has none).
fn table_word(j: Option<&Judgement>, ru: bool) -> String {
    j.map(|j| summary::short_word(&j.word, ru).to_string())
        .unwrap_or_else(|| "–".into())
}

/// The key figure: the first ratio the Rust word rests on, else its first
/// figure that is not a count; with its interval when `full`.
fn key_figure(v: &Verdict, full: bool) -> String {
    let figs: Vec<&crate::evidence::Figure> = v
        .judgement
        .figures
        .iter()
        .filter_map(|k| v.values.get(k))
        .collect();
    use crate::evidence::Unit;
    figs.iter()
        .find(|f| f.unit == Unit::Ratio)
        .or_else(|| figs.iter().find(|f| f.unit != Unit::Count))
        .map(|f| {
            if full {
                summary::brief(f)
            } else {
                summary::brief(&crate::evidence::Figure {
                    spread: crate::evidence::Spread::Exact,
                    ..(*f).clone()
                })
            }
        })
        .unwrap_or_default()
}

/// Whether the runs of this claim gave different words.
fn unstable(v: &Verdict) -> bool {
    v.stability.as_ref().is_some_and(|s| !s.stable())
}

/// Every column at its fullest: id, claim, the words, the key figure.
fn columns(doc: &VerdictDocument) -> Vec<Column> {
    let ru = doc.lang == "ru";
    let word = |j: Option<&Judgement>| table_word(j, ru);
    let vs = &doc.verdicts;
    vec![
        Column {
            title: "id".into(),
            cells: vs.iter().map(|v| v.id.clone()).collect(),
            drop_rank: 0,
        },
        Column {
            title: if ru {
                "утверждение"
            } else {
                "claim"
            }
            .into(),
            cells: vs
                .iter()
                .map(|v| claims::short(&v.id, ru).to_string())
                .collect(),
            drop_rank: 0,
        },
        Column {
            title: "Rust".into(),
            cells: vs
                .iter()
                .map(|v| {
                    let w = word(Some(&v.judgement));
                    if unstable(v) {
                        format!("{w}*")
                    } else {
                        w
                    }
                })
                .collect(),
            drop_rank: 0,
        },
        Column {
            title: "CPython".into(),
            cells: vs.iter().map(|v| word(v.cpython.as_ref())).collect(),
            drop_rank: 2,
        },
        Column {
            title: if ru { "без GIL" } else { "no-GIL" }.into(),
            cells: vs.iter().map(|v| word(v.cpython_ft.as_ref())).collect(),
            drop_rank: 3,
        },
        Column {
            title: if ru {
                "ключевая цифра"
            } else {
                "key figure"
            }
            .into(),
            cells: vs.iter().map(|v| key_figure(v, true)).collect(),
            drop_rank: 4,
        },
    ]
}

/// A column's width with nothing wrapped: its widest cell or its title.
fn natural(c: &Column) -> usize {
    c.cells
        .iter()
        .map(|s| width_of(s))
        .chain(std::iter::once(width_of(&c.title)))
        .max()
        .unwrap_or(0)
}

/// The table's width with nothing wrapped.
fn total(cols: &[Column]) -> usize {
    cols.iter().map(natural).sum::<usize>() + GAP * cols.len().saturating_sub(1)
}

/// Fits the columns to `width`: the key figure loses its interval first,
/// then the least important columns go. The notes say which.
fn fit_columns(cols: &mut Vec<Column>, vs: &[Verdict], width: usize, ru: bool) -> Vec<String> {
    let mut notes = Vec::new();
    if total(cols) > width {
        // The figure without its interval (the interval is in --explain).
        if let Some(c) = cols.iter_mut().find(|c| c.drop_rank == 4) {
            c.cells = vs.iter().map(|v| key_figure(v, false)).collect();
        }
        notes.push(if ru {
            "ключевые цифры без интервалов: они в --explain".to_string()
        } else {
            "key figures shown without their intervals: see --explain".to_string()
        });
    }
    let mut dropped = Vec::new();
    while total(cols) > width {
        let Some(i) = cols
            .iter()
            .enumerate()
            .filter(|(_, c)| c.drop_rank > 0)
            .max_by_key(|(_, c)| c.drop_rank)
            .map(|(i, _)| i)
        else {
            break;
        };
        dropped.push(cols.remove(i).title);
    }
    if !dropped.is_empty() {
        notes.retain(|n| !n.contains("--explain"));
        notes.push(if ru {
            format!(
                "при ширине {width} не поместились столбцы: {} (шире терминал или --explain)",
                dropped.join(", ")
            )
        } else {
            format!(
                "columns left out at {width} columns: {} (widen the terminal, or --explain)",
                dropped.join(", ")
            )
        });
    }
    notes
}

/// Each column's width; when the table is still too wide (a very narrow
/// terminal), the claim's column narrows and wraps at spaces.
fn column_widths(cols: &[Column], width: usize) -> Vec<usize> {
    let mut w: Vec<usize> = cols.iter().map(natural).collect();
    let over = total(cols).saturating_sub(width);
    if over > 0 {
        let longest_word = cols[1]
            .cells
            .iter()
            .flat_map(|c| c.split(' '))
            .map(width_of)
            .max()
            .unwrap_or(1);
        w[1] = w[1].saturating_sub(over).max(longest_word);
    }
    w
}

/// One row: each cell wrapped to its width; the row takes as many lines as
/// its tallest cell.
fn table_row(cells: Vec<&str>, widths: &[usize]) -> Vec<String> {
    let wrapped: Vec<Vec<String>> = cells
        .iter()
        .zip(widths)
        .map(|(c, w)| {
            if width_of(c) <= *w {
                vec![c.to_string()]
            } else {
                wrap(c, *w, 0)
            }
        })
        .collect();
    let height = wrapped.iter().map(Vec::len).max().unwrap_or(1);
    (0..height)
        .map(|k| {
            let mut line = String::new();
            for (i, (cell, w)) in wrapped.iter().zip(widths).enumerate() {
                let text = cell.get(k).map(String::as_str).unwrap_or("");
                line.push_str(text);
                if i + 1 < wrapped.len() {
                    line.push_str(&" ".repeat(w - width_of(text) + GAP));
                }
            }
            line.trim_end().to_string()
        })
        .collect()
}

/// What the short words mean, the mark of unstable words, and the notes.
fn legend(vs: &[Verdict], notes: Vec<String>, width: usize, ru: bool) -> Vec<String> {
    let mut out = Vec::new();
    let legend = if ru {
        "н/и: здесь не измерить · нет разн.: нет явной разницы · без GIL: free-threaded CPython · –: не измеряется"
    } else {
        "n/m: not measurable here · no diff: no clear difference · no-GIL: free-threaded CPython · –: not measured there"
    };
    out.extend(wrap(legend, width, 0));
    if vs.iter().any(unstable) {
        out.extend(wrap(
            if ru {
                "*: прогоны дали разные ответы (см. --explain)"
            } else {
                "*: the runs gave different words (see --explain)"
            },
            width,
            0,
        ));
    }
    for n in notes {
        out.extend(wrap(&format!("({n})"), width, 0));
    }
    out
}

/// Per claim: the long claim, each column's full word, the rule and every
/// figure, and the commands that reproduce it.
fn explained(doc: &VerdictDocument, width: usize) -> Vec<String> {
    let ru = doc.lang == "ru";
    let mut out = Vec::new();
    for v in &doc.verdicts {
        out.push(String::new());
        let claim = if ru {
            format!("{} {} ({})", v.id, v.claim_ru, v.claim_en)
        } else {
            format!("{} {}", v.id, v.claim_en)
        };
        out.extend(wrap(&claim, width, 4));
        let mut word = format!("Rust: {}", v.judgement.word.label(ru));
        if let Some(s) = stability(v) {
            word.push_str(&format!(" ({s})"));
        }
        out.extend(wrap(&format!("    {word}"), width, 6));
        if let Some(line) = claims::experiment_line(&v.id, ru) {
            out.extend(wrap(&format!("    {line}"), width, 6));
        }
        out.extend(wrap(
            &format!(
                "    {}: {}",
                if ru { "правило" } else { "rule" },
                v.judgement.rule
            ),
            width,
            6,
        ));
        for line in figures(v, &v.judgement.figures).lines() {
            out.extend(wrap(&format!("      {line}"), width, 8));
        }
        for (build, j) in [
            (Build::Default, v.cpython.as_ref()),
            (Build::FreeThreaded, v.cpython_ft.as_ref()),
        ] {
            let Some(j) = j else { continue };
            out.extend(wrap(
                &format!(
                    "    {}: {} — {}",
                    summary::build_title(build, ru),
                    j.word.label(ru),
                    j.rule
                ),
                width,
                6,
            ));
            for line in figures(v, &j.figures).lines() {
                out.extend(wrap(&format!("      {line}"), width, 8));
            }
        }
        if !v.judgement.commands.is_empty() {
            out.extend(wrap(
                &format!(
                    "    {}: {}",
                    if ru {
                        "повторить"
                    } else {
                        "reproduce"
                    },
                    v.judgement.commands.join(" ; ")
                ),
                width,
                6,
            ));
        }
    }
    out
}

/// The terminal verdict, fitted to `width` columns: the machine, the
/// bottom line, one line per claim; with `explain`, the rule and every
/// figure per claim after it.
pub fn table(doc: &VerdictDocument, width: usize, explain: bool) -> String {
    let ru = doc.lang == "ru";
    let mut lines = wrap(&machine_line(&doc.header.machine, ru), width, 2);
    lines.extend(bottom_line(doc, width));
    lines.push(String::new());
    lines.extend(claims_table(doc, width));
    if doc.runs > 1 {
        lines.extend(wrap(&runs_line(doc, ru), width, 0));
    }
    lines.push(String::new());
    for line in cpython_lines(doc, ru) {
        lines.extend(wrap(&line, width, 0));
    }
    if explain {
        lines.extend(explained(doc, width));
    } else {
        lines.extend(wrap(
            if ru {
                "Правило и все цифры по каждому утверждению: pingpong verdict --explain (или --from сохранённого --json)."
            } else {
                "The rule and every figure behind each word: pingpong verdict --explain (or --from a saved --json)."
            },
            width,
            0,
        ));
    }
    lines.extend(wrap(claims::source_note(ru), width, 0));
    let mut out = lines.join("\n");
    out.push('\n');
    out
}
