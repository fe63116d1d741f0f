//! A finding read from typed rows: the word it gives and what was shown.
//!
//! The verdict's input today is a yes/no [`Demo`](super::Demo) per key; a
//! finding that can also say "depends" or "not shown" keeps its word here,
//! typed, so its logic can be tested on every word it can give, and is
//! projected onto a `Demo` only at the edge ([`Finding::demo`]).

use serde::{Deserialize, Serialize};

/// What a finding says about its claim.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Word {
    /// Everything the claim says was shown.
    Holds,
    /// What was shown contradicts the claim.
    Fails,
    /// Part of the claim was shown, part contradicted.
    Depends,
    /// The rows needed were not there or their effect was not observed.
    NotShown,
}

impl Word {
    pub fn as_str(self) -> &'static str {
        match self {
            Word::Holds => "holds",
            Word::Fails => "fails",
            Word::Depends => "depends",
            Word::NotShown => "not shown",
        }
    }
}

/// A word and the facts it rests on, in words.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub word: Word,
    pub shown: String,
}

impl Finding {
    pub fn new(word: Word, shown: impl Into<String>) -> Self {
        Finding {
            word,
            shown: shown.into(),
        }
    }

    /// The verdict's yes/no view: "yes" only when the finding holds; the word
    /// leads the text, so a "no" that means "depends" reads as such. A finding
    /// with nothing shown gives no demo at all (the verdict then says the
    /// experiment is missing, rather than that the claim fails).
    pub fn demo(&self) -> Option<super::Demo> {
        (self.word != Word::NotShown).then(|| super::Demo {
            shows_claim: self.word == Word::Holds,
            shown: format!("{}: {}", self.word.as_str(), self.shown),
        })
    }
}
