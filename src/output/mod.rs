//! Rendering results for people: tables, progress, number formats, and the
//! run document's CSV and Markdown forms. Renderers take a finished
//! document and know nothing of how it was measured.

pub mod csv;
pub mod markdown;
pub mod progress;
pub mod table;

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
