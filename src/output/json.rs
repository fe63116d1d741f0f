//! `--json FILE`: the whole [`RunDocument`], pretty-printed.

use crate::results::RunDocument;
use std::path::Path;

pub fn write(path: &Path, doc: &RunDocument) -> anyhow::Result<()> {
    let mut bytes = serde_json::to_vec_pretty(doc)?;
    bytes.push(b'\n');
    super::write_atomically(path, &bytes)
}
