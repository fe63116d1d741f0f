//! The claims pingpong puts to the test, in English and Russian, compiled
//! into the binary from `data/claims.json` (a user's clone has nothing else
//! to read them from).

use serde::Deserialize;
use std::sync::OnceLock;

#[derive(Clone, Debug, Deserialize)]
pub struct Claim {
    pub id: String,
    /// "table" or "article".
    pub source: String,
    /// "definitional" or "measured".
    pub kind: String,
    /// A name of at most 40 characters, for one-line tables.
    pub short_en: String,
    pub short_ru: String,
    pub en: String,
    pub ru: String,
    pub experiment_en: String,
    pub experiment_ru: String,
}

#[derive(Debug, Deserialize)]
struct ClaimsFile {
    schema: u32,
    source_note_en: String,
    source_note_ru: String,
    claims: Vec<Claim>,
}

const DATA: &str = include_str!("../../data/claims.json");

fn file() -> &'static ClaimsFile {
    static FILE: OnceLock<ClaimsFile> = OnceLock::new();
    FILE.get_or_init(|| {
        let f: ClaimsFile =
            serde_json::from_str(DATA).expect("data/claims.json is checked by tests");
        assert_eq!(f.schema, 1, "data/claims.json schema");
        f
    })
}

/// Every claim, in the order of the study notes.
pub fn all() -> &'static [Claim] {
    &file().claims
}

/// The claim with this id.
pub fn by_id(id: &str) -> Option<&'static Claim> {
    all().iter().find(|c| c.id == id)
}

/// In Russian, how the claim is decided, to stand before the (English) rule.
pub fn experiment_line(id: &str, ru: bool) -> Option<String> {
    if !ru {
        return None;
    }
    by_id(id).map(|c| format!("Как проверяется: {}. Правило (англ.):", c.experiment_ru))
}

/// The claim's short name in the language asked (its id if unknown).
pub fn short(id: &str, ru: bool) -> &str {
    match by_id(id) {
        Some(c) if ru => &c.short_ru,
        Some(c) => &c.short_en,
        None => id,
    }
}

pub fn source_note(ru: bool) -> &'static str {
    if ru {
        &file().source_note_ru
    } else {
        &file().source_note_en
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_34_claims_are_all_there_once_each_with_both_languages() {
        let c = all();
        assert_eq!(c.len(), 34);
        let mut ids: Vec<&str> = c.iter().map(|c| c.id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), 34);
        for claim in c {
            assert!(!claim.en.is_empty() && !claim.ru.is_empty(), "{}", claim.id);
            assert!(claim.kind == "definitional" || claim.kind == "measured");
            for short in [&claim.short_en, &claim.short_ru] {
                let n = short.chars().count();
                assert!(
                    (1..=40).contains(&n),
                    "{}: {short:?} is {n} chars",
                    claim.id
                );
            }
        }
        assert_eq!(c[0].id, "T1");
        assert_eq!(c[33].id, "A9");
    }
}
