//! The verdict through the exporters: one CSV row per claim; the Markdown
//! is `markdown.rs`'s.

use super::super::VerdictDocument;
use super::figures;
use super::markdown::markdown;

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
