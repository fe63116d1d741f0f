//! The verdict as a terminal table and as Markdown, with the CPython
//! columns (the default build and a free-threaded one) and the one sentence
//! saying where they differ.

use super::rules::{Judgement, Word};
use super::summary::{self, Summary};
use super::{claims, VerdictDocument};
use crate::document::Document;
use crate::evidence::show;
use crate::python::evidence::key as py;
use crate::python::Build;
use std::fmt::Write;

/// The figures a verdict rests on, one per line.
fn figures(v: &super::Verdict, keys: &[String]) -> String {
    keys.iter()
        .filter_map(|k| v.values.get(k).map(|f| (k, f)))
        .map(|(k, f)| format!("{k} = {}", show(f)))
        .collect::<Vec<_>>()
        .join("\n")
}

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

/// The machine's virtualisation in the verdict's language.
pub fn virtualization(v: &str, ru: bool) -> String {
    match (v, ru) {
        (v, false) => v.to_string(),
        ("none detected", true) => "без виртуализации".to_string(),
        (v, true) => v.replacen("virtual machine", "виртуальная машина", 1),
    }
}

/// The machine in one line, in the verdict's language.
pub fn machine_line(m: &crate::measure::machine::Machine, ru: bool) -> String {
    if !ru {
        return format!("machine: {}", m.one_line());
    }
    let virt = virtualization(&m.virtualization, true);
    format!(
        "машина: {} · {} CPU, ядер: {} · {} · {virt} · часы {}",
        m.cpu_model, m.logical_cpus, m.physical_cores, m.kernel, m.clock_source
    )
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
fn key_figure(v: &super::Verdict, full: bool) -> String {
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
fn unstable(v: &super::Verdict) -> bool {
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
fn fit_columns(
    cols: &mut Vec<Column>,
    vs: &[super::Verdict],
    width: usize,
    ru: bool,
) -> Vec<String> {
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
fn legend(vs: &[super::Verdict], notes: Vec<String>, width: usize, ru: bool) -> Vec<String> {
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

/// A CPython column's cell: the word and the figures it rests on ("–"
/// where CPython does not measure the claim).
fn cpython(v: &super::Verdict, j: Option<&Judgement>, ru: bool) -> String {
    match j {
        None => "–".into(),
        Some(j) => {
            let figs = figures(v, &j.figures);
            if figs.is_empty() {
                j.word.label(ru)
            } else {
                format!("{}\n{figs}", j.word.label(ru))
            }
        }
    }
}

/// With `--repeat`: "9/10 runs", or "UNSTABLE: holds 6, depends 4".
pub fn stability(v: &super::Verdict) -> Option<String> {
    let s = v.stability.as_ref()?;
    let (_, n) = s.seen.first()?;
    Some(if s.stable() {
        format!("{n}/{} runs", s.runs)
    } else {
        format!(
            "UNSTABLE over {} runs: {}",
            s.runs,
            s.seen
                .iter()
                .map(|(w, n)| format!("{w} {n}"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    })
}

/// With `--repeat`: how many runs, and which claims were unstable.
fn runs_line(doc: &VerdictDocument, ru: bool) -> String {
    let unstable: Vec<&str> = doc
        .verdicts
        .iter()
        .filter(|v| v.stability.as_ref().is_some_and(|s| !s.stable()))
        .map(|v| v.id.as_str())
        .collect();
    match (unstable.is_empty(), ru) {
        (true, false) => format!(
            "{} runs of the plan, interleaved: every claim gave the same word in every run",
            doc.runs
        ),
        (false, false) => format!(
            "{} runs of the plan, interleaved: unstable: {}",
            doc.runs,
            unstable.join(", ")
        ),
        (true, true) => format!(
            "{} прогонов плана вперемешку: каждое утверждение получило один и тот же ответ",
            doc.runs
        ),
        (false, true) => format!(
            "{} прогонов плана вперемешку: неустойчивы {}",
            doc.runs,
            unstable.join(", ")
        ),
    }
}

pub fn markdown(doc: &VerdictDocument) -> String {
    let ru = doc.lang == "ru";
    let mut s = String::new();
    let sum = summary::summarize(doc);
    let _ = writeln!(s, "# pingpong verdict\n");
    let _ = writeln!(s, "{}\n", machine_line(&doc.header.machine, ru));
    for line in sum.count_lines(ru) {
        let _ = writeln!(s, "- {line}");
    }
    let _ = writeln!(s, "\n## {}\n", Summary::question(ru));
    let _ = writeln!(s, "{}\n", sum.paragraph());
    let _ = writeln!(
        s,
        "## {}\n\n{}\n",
        if ru {
            "Утверждения"
        } else {
            "The claims"
        },
        claims::source_note(ru)
    );
    let (claim, verdict, evidence) = if ru {
        ("утверждение", "вердикт (Rust)", "на чём основан")
    } else {
        ("claim", "verdict (Rust)", "evidence")
    };
    let _ = writeln!(
        s,
        "| id | {claim} | {verdict} | {} | {} | {evidence} |",
        summary::build_title(Build::Default, ru),
        summary::build_title(Build::FreeThreaded, ru)
    );
    let _ = writeln!(s, "|---|---|---|---|---|---|");
    let esc = |x: &str| x.replace('|', "\\|").replace('\n', "<br>");
    for v in &doc.verdicts {
        let claim = if ru {
            format!("{} ({})", v.claim_ru, v.claim_en)
        } else {
            v.claim_en.clone()
        };
        let mut ev = match claims::experiment_line(&v.id, ru) {
            Some(line) => format!("{line}\n{}", v.judgement.rule),
            None => v.judgement.rule.clone(),
        };
        let figs = figures(v, &v.judgement.figures);
        if !figs.is_empty() {
            ev.push('\n');
            ev.push_str(&figs);
        }
        if !v.judgement.commands.is_empty() {
            ev.push_str(&format!(
                "\n{}: `{}`",
                if ru {
                    "повторить"
                } else {
                    "reproduce"
                },
                v.judgement.commands.join("`, `")
            ));
        }
        let _ = writeln!(
            s,
            "| {} | {} | **{}** | {} | {} | {} |",
            v.id,
            esc(&claim),
            v.judgement.word.label(ru),
            esc(&cpython(v, v.cpython.as_ref(), ru)),
            esc(&cpython(v, v.cpython_ft.as_ref(), ru)),
            esc(&ev)
        );
    }
    if doc.runs > 1 {
        let _ = writeln!(s, "\n{}", runs_line(doc, ru));
    }
    for line in cpython_lines(doc, ru) {
        let _ = writeln!(s, "\n{line}");
    }
    s
}

/// The word without what it depends on: "depends", for a sentence.
fn short(w: &Word, ru: bool) -> String {
    match (w, ru) {
        (Word::Depends { .. }, false) => "depends".into(),
        (Word::Depends { .. }, true) => "зависит".into(),
        _ => w.label(ru),
    }
}

fn measured(j: Option<&Judgement>) -> Option<&Judgement> {
    j.filter(|j| !matches!(j.word, Word::NotMeasurable { .. }))
}

/// One sentence: where the free-threaded CPython's answer differs from the
/// default CPython's, computed from the two columns' words.
pub fn free_threaded_differences(doc: &VerdictDocument, ru: bool) -> String {
    let ft: Vec<&Judgement> = doc
        .verdicts
        .iter()
        .filter_map(|v| v.cpython_ft.as_ref())
        .collect();
    if ft
        .iter()
        .all(|j| matches!(j.word, Word::NotMeasurable { .. }))
    {
        let why = ft
            .iter()
            .find_map(|j| match &j.word {
                Word::NotMeasurable { why } => Some(why.clone()),
                _ => None,
            })
            .unwrap_or_else(|| "CPython was not measured".into());
        return if ru {
            format!("Столбец free-threaded CPython (без GIL) пуст: {why}.")
        } else {
            format!("The free-threaded CPython column is empty: {why}.")
        };
    }
    let both: Vec<(&str, &Judgement, &Judgement)> = doc
        .verdicts
        .iter()
        .filter_map(|v| {
            Some((
                v.id.as_str(),
                measured(v.cpython.as_ref())?,
                measured(v.cpython_ft.as_ref())?,
            ))
        })
        .collect();
    if both.is_empty() {
        return if ru {
            "Обычный CPython (с GIL) не измерен, поэтому сравнить его со столбцом free-threaded нельзя.".into()
        } else {
            "The default CPython (with the GIL) was not measured, so the free-threaded column has nothing to differ from.".into()
        };
    }
    let differ: Vec<String> = both
        .iter()
        .filter(|(_, a, b)| std::mem::discriminant(&a.word) != std::mem::discriminant(&b.word))
        .map(|(id, a, b)| format!("{id} ({} → {})", short(&a.word, ru), short(&b.word, ru)))
        .collect();
    match (differ.is_empty(), ru) {
        (true, false) => format!(
            "Without the GIL, the free-threaded CPython gives each of the {} claims judged in both CPython columns the same word as the default CPython.",
            both.len()
        ),
        (true, true) => format!(
            "Без GIL (free-threaded) CPython даёт каждому из {} утверждений, оценённых в обоих столбцах CPython, тот же ответ, что и обычный CPython.",
            both.len()
        ),
        (false, false) => format!(
            "Without the GIL, the free-threaded CPython answers {} of the {} claims judged in both CPython columns differently from the default CPython: {}.",
            differ.len(),
            both.len(),
            differ.join(", ")
        ),
        (false, true) => format!(
            "Без GIL (free-threaded) CPython отвечает иначе, чем обычный CPython, на {} из {} утверждений: {}.",
            differ.len(),
            both.len(),
            differ.join(", ")
        ),
    }
}

/// Which CPython each column ran, the free-threaded build's single-thread
/// cost beside its thread speedup, and where the two columns differ.
pub fn cpython_lines(doc: &VerdictDocument, ru: bool) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(Document::Python(p)) = doc.document(py::STEP) {
        let cols: Vec<String> = p
            .settings
            .interpreters
            .iter()
            .map(|i| {
                let gil = p
                    .results
                    .iter()
                    .any(|r| r.interpreter == i.label && r.gil_enabled);
                format!(
                    "{}: {} ({})",
                    i.label.title(),
                    crate::python::evidence::describe(i, gil || i.gil_enabled),
                    i.path.display()
                )
            })
            .collect();
        lines.push(cols.join(" · "));
    }
    let slowdown = doc.evidence.figure(py::SINGLE_THREAD_SLOWDOWN);
    let speedup_key = py::of(
        Build::FreeThreaded,
        &py::scale_speedup(
            crate::python::Kernel::PythonLoop,
            crate::python::PyUnit::Threads,
            crate::python::ScalePlacement::Free,
        ),
    );
    if let (Some(s), Some(t)) = (slowdown, doc.evidence.figure(&speedup_key)) {
        lines.push(if ru {
            format!(
                "Цена одного потока в CPython без GIL: {} = {} (время итерации чистого Python на одном потоке ÷ то же у обычной сборки); ускорение его потоков: {speedup_key} = {}.",
                py::SINGLE_THREAD_SLOWDOWN,
                show(s),
                show(t)
            )
        } else {
            format!(
                "Free-threaded single-thread cost: {} = {} (its 1-thread pure-Python loop's time per iteration ÷ the default build's); its threads' speedup: {speedup_key} = {}.",
                py::SINGLE_THREAD_SLOWDOWN,
                show(s),
                show(t)
            )
        });
    }
    lines.push(free_threaded_differences(doc, ru));
    lines
}

impl crate::export::Export for VerdictDocument {
    /// One row per claim: its word, each CPython column's, the rule and
    /// the figures.
    fn csv(&self) -> anyhow::Result<Vec<u8>> {
        let rows = self.verdicts.iter().map(|v| {
            vec![
                v.id.clone(),
                v.claim_en.clone(),
                v.judgement.word.label(false),
                v.cpython
                    .as_ref()
                    .map(|j| j.word.label(false))
                    .unwrap_or_default(),
                v.cpython_ft
                    .as_ref()
                    .map(|j| j.word.label(false))
                    .unwrap_or_default(),
                v.judgement.rule.clone(),
                figures(v, &v.judgement.figures).replace('\n', "; "),
                v.judgement.commands.join("; "),
            ]
        });
        crate::export::csv_bytes(
            &[
                "id",
                "claim",
                "verdict",
                "cpython",
                "cpython_ft",
                "rule",
                "figures",
                "commands",
            ],
            rows,
        )
    }
    fn markdown(&self) -> String {
        markdown(self)
    }
}
