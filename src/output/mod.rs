//! Rendering results for people: tables, progress, number formats, and the
//! run document's CSV and Markdown forms. Renderers take a finished
//! document and know nothing of how it was measured.

pub mod csv;
pub mod markdown;
pub mod progress;
pub mod table;
pub mod time;

impl crate::export::Export for crate::results::RunDocument {
    fn csv(&self) -> anyhow::Result<Vec<u8>> {
        csv::render(self)
    }
    fn markdown(&self) -> String {
        markdown::render(self)
    }
}

/// A terminal table in pingpong's style, fitted to the terminal. A terminal
/// that reports no width (the pseudo-terminal mpirun gives its ranks says 0
/// columns) gets 160 columns rather than one character per column.
pub fn new_table() -> comfy_table::Table {
    let mut t = comfy_table::Table::new();
    t.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(comfy_table::ContentArrangement::Dynamic);
    if t.width().is_some_and(|w| w < 40) {
        t.set_width(160);
    }
    t
}

/// The width of what a table is written into when it is not a terminal
/// (a pipe, a file) and `COLUMNS` does not say.
pub const DEFAULT_WIDTH: usize = 120;

/// The narrowest width taken from `COLUMNS` or the terminal; below it the
/// value is taken for a mistake (mpirun's pseudo-terminal says 0).
const NARROWEST: usize = 40;

/// The columns the run's output may take: `COLUMNS` when it is set, else
/// the terminal's width when standard output is one, else
/// [`DEFAULT_WIDTH`].
pub fn terminal_width() -> usize {
    let columns = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|&c| c >= NARROWEST);
    columns
        .or_else(|| {
            comfy_table::Table::new()
                .width()
                .map(usize::from)
                .filter(|&w| w >= NARROWEST)
        })
        .unwrap_or(DEFAULT_WIDTH)
}

/// `text` wrapped at word boundaries to `width` columns, every line after
/// the first indented by `indent` spaces; a word longer than a line is
/// left whole (a path, a command), never split.
pub fn wrap(text: &str, width: usize, indent: usize) -> String {
    let pad = " ".repeat(indent);
    let options = textwrap::Options::new(width.max(indent + 20))
        .subsequent_indent(&pad)
        .break_words(false)
        .word_splitter(textwrap::WordSplitter::NoHyphenation);
    textwrap::wrap(text, options).join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_never_splits_a_word_or_a_number() {
        let text = "processes ÷ threads over ipc-channel 1.09× (1.08–1.11 over 3 repetitions) \
                    same-cpu two-cpus /a/very/long/path/that/does/not/fit/on/one/line/of/forty/columns/at/all";
        let wrapped = wrap(text, 40, 2);
        for word in text.split_whitespace() {
            assert!(
                wrapped
                    .lines()
                    .any(|l| l.split_whitespace().any(|w| w == word)),
                "{word} was split: {wrapped}"
            );
        }
        assert!(wrapped.lines().skip(1).all(|l| l.starts_with("  ")));
    }
}
