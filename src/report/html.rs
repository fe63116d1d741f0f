//! `verdict --html FILE`: the verdict as a page people read in a minute:
//! the bottom line and the counts first, then the at-a-glance chart, the
//! machine, every claim with its rule and figures, the other plots and
//! what a fault does. Written with maud, whose templates escape every
//! value they insert; the charts' SVG (from [`super::chart`]) goes in as
//! is.

use super::plots::{self, Body, Plot};
use crate::document::Document;
use crate::evidence::show;
use crate::faults::FaultsDocument;
use crate::format::ns;
use crate::python::Build;
use crate::verdict::rules::{Judgement, Word};
use crate::verdict::summary::{self, Summary};
use crate::verdict::{Verdict, VerdictDocument};
use maud::{html, Markup, PreEscaped, DOCTYPE};

const STYLE: &str = r#"
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; line-height: 1.45; padding: 0 1em; }
h1 { margin-bottom: 0.2em; } h2 { margin-top: 2em; border-bottom: 1px solid #ccc; }
.machine-line { color: #555; margin-top: 0; }
section.summary { background: #f6f8fa; border: 1px solid #d0d7de; border-radius: 8px; padding: 0.6em 1.4em 1em; }
section.summary h2 { margin-top: 0.6em; border: none; }
section.summary ul.sentences { padding-left: 1.2em; } section.summary ul.sentences li { margin: 0.35em 0; }
section.summary li.unmeasured { color: #6e7781; }
table.counts { width: auto; margin: 0.4em 0 0.8em; } table.counts td, table.counts th { text-align: right; } table.counts td:first-child, table.counts th:first-child { text-align: left; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { border: 1px solid #ddd; padding: 6px 8px; vertical-align: top; text-align: left; }
th { background: #f4f4f4; }
.word { font-weight: bold; min-width: 6em; max-width: 14em; }
.holds { color: #1a7f37; } .fails { color: #cf222e; } .depends { color: #9a6700; }
.no_clear_difference { color: #6e7781; } .not_measurable { color: #6e7781; font-style: italic; }
.fig { font-family: ui-monospace, monospace; font-size: 12px; color: #444; overflow-wrap: anywhere; }
.short { font-weight: 600; } .on { font-weight: normal; font-size: 12px; color: #555; }
details.rule summary { font-weight: normal; font-size: 12px; color: #0969da; cursor: pointer; } .long { color: #555; font-size: 13px; }
figure { margin: 1.5em 0; } figure svg { max-width: 100%; height: auto; } figcaption { font-size: 13px; color: #555; }
p.missing { color: #6e7781; font-style: italic; border: 1px dashed #ccc; padding: 1em; }
dl.machine { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; font-size: 14px; }
dl.machine dt { font-weight: bold; }
"#;

fn word_class(w: &Word) -> &'static str {
    match w {
        Word::Holds => "holds",
        Word::Fails => "fails",
        Word::Depends { .. } => "depends",
        Word::NoClearDifference => "no_clear_difference",
        Word::NotMeasurable { .. } => "not_measurable",
    }
}

fn t(ru: bool, en: &'static str, ru_text: &'static str) -> &'static str {
    if ru {
        ru_text
    } else {
        en
    }
}

/// Renders the whole page.
pub fn render(doc: &VerdictDocument) -> String {
    let ru = doc.lang == "ru";
    let sum = summary::summarize(doc);
    let mut plots = plots::all(doc).into_iter();
    let glance = plots.next();
    let page = html! {
        (DOCTYPE)
        html lang=(if ru { "ru" } else { "en" }) {
            head {
                meta charset="utf-8";
                title { (t(ru, "pingpong verdict", "вердикт pingpong")) }
                style { (PreEscaped(STYLE)) }
            }
            body {
                h1 { (t(ru, "pingpong verdict", "вердикт pingpong")) }
                p.machine-line { (crate::verdict::render::machine_line(&doc.header.machine, ru)) }
                (bottom_line(&sum, ru))
                @if let Some(g) = &glance { (plot(g)) }
                h2 { (t(ru, "Machine", "Машина")) }
                (machine(doc, ru))
                h2 { (t(ru, "Verdicts", "Вердикты")) }
                p { (crate::verdict::claims::source_note(ru)) }
                (verdicts(doc, ru))
                @for line in crate::verdict::render::cpython_lines(doc, ru) { p { (line) } }
                h2 { (t(ru, "Plots", "Графики")) }
                @for p in plots { (plot(&p)) }
                @if let Some(Document::Faults(f)) = doc.document("faults") {
                    h2 { (t(ru, "What a fault does", "Что делает сбой")) }
                    p {
                        (t(ru, "Each fault ran inside a sacrificial child of pingpong. Reproduce: ",
                              "Каждый сбой шёл внутри жертвенного дочернего процесса pingpong. Повторить: "))
                        code { (f.header.command.join(" ")) }
                    }
                    (faults_table(f, ru))
                }
            }
        }
    };
    let mut s = page.into_string();
    s.push('\n');
    s
}

/// The counts of every column and the paragraph answering the question.
fn bottom_line(sum: &Summary, ru: bool) -> Markup {
    let columns = [
        ("Rust", &sum.counts),
        (summary::build_title(Build::Default, ru), &sum.cpython),
        (
            summary::build_title(Build::FreeThreaded, ru),
            &sum.cpython_ft,
        ),
    ];
    html! {
        section.summary #summary {
            h2 { (Summary::question(ru)) }
            ul.sentences {
                @for s in &sum.sentences {
                    li class=(if s.measured { "measured" } else { "unmeasured" })
                       title=(s.figures.join(", ")) { (s.text) }
                }
            }
            table.counts #counts {
                tr {
                    th { (t(ru, "column", "столбец")) }
                    th { (t(ru, "claims", "утверждений")) }
                    th.holds { (Word::Holds.label(ru)) }
                    th.fails { (Word::Fails.label(ru)) }
                    th.depends { (t(ru, "depends", "зависит")) }
                    th.no_clear_difference { (Word::NoClearDifference.label(ru)) }
                    th.not_measurable { (t(ru, "not measurable here", "здесь не измерить")) }
                }
                @for (name, c) in columns {
                    @if c.judged > 0 {
                        tr {
                            td { (name) } td { (c.judged) } td { (c.holds) } td { (c.fails) }
                            td { (c.depends) } td { (c.no_difference) } td { (c.not_measurable) }
                        }
                    }
                }
            }
        }
    }
}

fn plot(p: &Plot) -> Markup {
    html! {
        figure id=(p.id) {
            @match &p.body {
                Body::Svg(svg) => (PreEscaped(svg.as_str())),
                Body::Table { head, rows } => {
                    h3 { (p.title) }
                    table.small {
                        tr { @for h in head { th { (h) } } }
                        @for r in rows { tr { @for c in r { td { (c) } } } }
                    }
                },
                Body::Missing(why) => {
                    h3 { (p.title) }
                    p.missing { (why) }
                },
            }
            @if !p.caption.is_empty() { figcaption { (p.caption) } }
        }
    }
}

fn machine(doc: &VerdictDocument, ru: bool) -> Markup {
    let m = &doc.header.machine;
    let rows = [
        (t(ru, "CPU", "процессор"), m.cpu_model.clone()),
        (
            t(ru, "CPUs", "CPU"),
            if ru {
                format!(
                    "логических {}, ядер {}, SMT-соседи {}",
                    m.logical_cpus,
                    m.physical_cores,
                    m.smt_siblings.join(" | ")
                )
            } else {
                format!(
                    "{} logical, {} cores, SMT siblings {}",
                    m.logical_cpus,
                    m.physical_cores,
                    m.smt_siblings.join(" | ")
                )
            },
        ),
        (
            t(ru, "kernel", "ядро ОС"),
            format!("{} ({})", m.kernel, m.arch),
        ),
        (
            t(ru, "virtualisation", "виртуализация"),
            crate::verdict::render::virtualization(&m.virtualization, ru),
        ),
        (t(ru, "clock", "часы"), m.clock_source.clone()),
        (
            t(ru, "memory", "память"),
            format!(
                "{:.1} {}",
                m.memory_bytes as f64 / (1u64 << 30) as f64,
                t(ru, "GiB", "ГиБ")
            ),
        ),
        (
            t(ru, "load (1 min) at start", "загрузка (1 мин) при старте"),
            format!("{:.2}", m.loadavg_1m),
        ),
        (
            "pingpong",
            format!(
                "{} · {} {}",
                doc.header.pingpong_version,
                t(ru, "mode", "режим"),
                doc.mode
            ),
        ),
    ];
    html! {
        dl.machine { @for (k, v) in rows { dt { (k) } dd { (v) } } }
    }
}

/// The figures a judgement rests on, one per line.
fn figures(v: &Verdict, j: &Judgement) -> Markup {
    html! {
        @for k in &j.figures {
            @if let Some(f) = v.values.get(k) { div.fig { (k) " = " (show(f)) } }
        }
    }
}

fn verdicts(doc: &VerdictDocument, ru: bool) -> Markup {
    // The short word in bold; what it depends on, or why it cannot be
    // measured, in plain text under it.
    let word = |w: &Word| {
        let why = match w {
            Word::Depends { on } => Some(on.as_str()),
            Word::NotMeasurable { why } => Some(why.as_str()),
            _ => None,
        };
        html! {
            (summary::short_word(w, ru))
            @if let Some(why) = why { div.on { (why) } }
        }
    };
    // A CPython column's cell: its word, what it depends on, its figures,
    // and its rule folded (no script needed).
    let cell = |v: &Verdict, j: Option<&Judgement>| match j {
        None => html! { td { "–" } },
        Some(j) => html! {
            td class={ "word " (word_class(&j.word)) } {
                (word(&j.word))
                (figures(v, j))
                details.rule { summary { (t(ru, "rule", "правило")) } div.fig { (j.rule) } }
            }
        },
    };
    html! {
        table #verdicts {
            tr {
                th { "id" }
                th { (t(ru, "claim", "утверждение")) }
                th { (t(ru, "verdict (Rust)", "вердикт (Rust)")) }
                th { (summary::build_title(Build::Default, ru)) }
                th { (summary::build_title(Build::FreeThreaded, ru)) }
                th { (t(ru, "evidence: the rule and its figures", "на чём основан: правило и цифры")) }
            }
            @for v in &doc.verdicts {
                tr id=(v.id) {
                    td { (v.id) }
                    td {
                        div.short { (crate::verdict::claims::short(&v.id, ru)) }
                        div.long { @if ru { (v.claim_ru) br; small { (v.claim_en) } } @else { (v.claim_en) } }
                    }
                    td class={ "word " (word_class(&v.judgement.word)) } {
                        (word(&v.judgement.word))
                        @if let Some(s) = crate::verdict::render::stability(v) { br; small { (s) } }
                    }
                    (cell(v, v.cpython.as_ref()))
                    (cell(v, v.cpython_ft.as_ref()))
                    td {
                        @if let Some(line) = crate::verdict::claims::experiment_line(&v.id, ru) { div { (line) } }
                        (v.judgement.rule)
                        (figures(v, &v.judgement))
                        @for c in &v.judgement.commands { div.fig { "$ " (c) } }
                    }
                }
            }
        }
    }
}

/// The fault experiments' outcomes, as a table.
fn faults_table(doc: &FaultsDocument, ru: bool) -> Markup {
    html! {
        table #faults {
            tr {
                th { (t(ru, "experiment", "эксперимент")) }
                th { (t(ru, "case", "случай")) }
                th { (t(ru, "unit", "единица")) }
                th { (t(ru, "outcome", "исход")) }
                th { (t(ru, "status", "статус")) }
                th { (t(ru, "program survived", "программа выжила")) }
                th { (t(ru, "noticed after", "замечено через")) }
            }
            @for r in &doc.rows {
                tr {
                    td { (r.experiment) } td { (r.case) } td { (r.unit) } td { (r.outcome) } td { (r.status) }
                    td { (match r.survived { Some(true) => t(ru, "yes", "да"), Some(false) => t(ru, "no", "нет"), None => "–" }) }
                    td { (r.notice_ns.map(ns).unwrap_or_else(|| "–".into())) }
                }
            }
        }
    }
}
