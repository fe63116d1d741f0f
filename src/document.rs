//! Every document pingpong writes, as one typed value: what the verdict
//! keeps of each experiment it ran, what `verdict --from` reads back, and
//! what the report draws.
//!
//! Reading a document checks its schema and version first (one line naming
//! both versions when they differ), then dispatches on `experiment` to the
//! experiment's own type; a missing or renamed field fails there, naming
//! the field, instead of quietly dropping a figure.

use crate::evidence::{Evidence, Witness};
use crate::experiment::{
    contention::ContentionDocument, memory::MemoryDocument, overlap::OverlapDocument,
    reach::ReachDocument, responsive::ResponsiveDocument, scale::ScaleDocument,
    spawn_cost::SpawnDocument, switch::SwitchDocument,
};
use crate::faults::FaultsDocument;
use crate::python::PythonDocument;
use crate::results::{Header, RunDocument, SCHEMA, SCHEMA_VERSION};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One experiment's document, whichever it is.
#[derive(Clone, Debug)]
pub enum Document {
    Run(Box<RunDocument>),
    Spawn(SpawnDocument),
    Memory(MemoryDocument),
    Scale(ScaleDocument),
    Switch(SwitchDocument),
    Reach(ReachDocument),
    Contention(ContentionDocument),
    Overlap(OverlapDocument),
    Responsive(ResponsiveDocument),
    Faults(FaultsDocument),
    Python(PythonDocument),
}

/// Checks that a JSON value is a pingpong document this build reads:
/// `Err` is one line saying what it is instead.
pub fn check_schema(v: &serde_json::Value) -> Result<(), String> {
    let schema = v.get("schema").and_then(|s| s.as_str());
    if schema != Some(SCHEMA) {
        return Err(match schema {
            Some(s) => format!("its schema is '{s}', not '{SCHEMA}'"),
            None => format!("it has no \"schema\": \"{SCHEMA}\""),
        });
    }
    match v.get("schema_version").and_then(|s| s.as_u64()) {
        Some(n) if n == u64::from(SCHEMA_VERSION) => Ok(()),
        Some(n) => Err(format!(
            "it is schema_version {n}, and this pingpong reads schema_version {SCHEMA_VERSION} \
             ({}): measure again with this pingpong, or read it with the pingpong that wrote it",
            if n > u64::from(SCHEMA_VERSION) {
                "newer"
            } else {
                "older"
            }
        )),
        None => Err("it has no schema_version".into()),
    }
}

impl Document {
    /// Reads a document from its JSON value.
    pub fn from_value(v: serde_json::Value) -> Result<Document, String> {
        check_schema(&v)?;
        let experiment = v
            .get("experiment")
            .and_then(|e| e.as_str())
            .unwrap_or("")
            .to_string();
        fn typed<T: serde::de::DeserializeOwned>(
            v: serde_json::Value,
            experiment: &str,
        ) -> Result<T, String> {
            serde_json::from_value(v).map_err(|e| format!("a `{experiment}` document: {e}"))
        }
        Ok(match experiment.as_str() {
            "run" => Document::Run(Box::new(typed(v, &experiment)?)),
            "spawn" => Document::Spawn(typed(v, &experiment)?),
            "memory" => Document::Memory(typed(v, &experiment)?),
            "scale" => Document::Scale(typed(v, &experiment)?),
            "switch" => Document::Switch(typed(v, &experiment)?),
            "reach" => Document::Reach(typed(v, &experiment)?),
            "contention" => Document::Contention(typed(v, &experiment)?),
            "overlap" => Document::Overlap(typed(v, &experiment)?),
            "responsive" => Document::Responsive(typed(v, &experiment)?),
            "faults" => Document::Faults(typed(v, &experiment)?),
            "python" => Document::Python(typed(v, &experiment)?),
            other => return Err(format!("unknown experiment '{other}'")),
        })
    }

    pub fn header(&self) -> &Header {
        match self {
            Document::Run(d) => &d.header,
            Document::Spawn(d) => &d.header,
            Document::Memory(d) => &d.header,
            Document::Scale(d) => &d.header,
            Document::Switch(d) => &d.header,
            Document::Reach(d) => &d.header,
            Document::Contention(d) => &d.header,
            Document::Overlap(d) => &d.header,
            Document::Responsive(d) => &d.header,
            Document::Faults(d) => &d.header,
            Document::Python(d) => &d.header,
        }
    }

    pub fn header_mut(&mut self) -> &mut Header {
        match self {
            Document::Run(d) => &mut d.header,
            Document::Spawn(d) => &mut d.header,
            Document::Memory(d) => &mut d.header,
            Document::Scale(d) => &mut d.header,
            Document::Switch(d) => &mut d.header,
            Document::Reach(d) => &mut d.header,
            Document::Contention(d) => &mut d.header,
            Document::Overlap(d) => &mut d.header,
            Document::Responsive(d) => &mut d.header,
            Document::Faults(d) => &mut d.header,
            Document::Python(d) => &mut d.header,
        }
    }
}

impl Serialize for Document {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Document::Run(d) => d.serialize(s),
            Document::Spawn(d) => d.serialize(s),
            Document::Memory(d) => d.serialize(s),
            Document::Scale(d) => d.serialize(s),
            Document::Switch(d) => d.serialize(s),
            Document::Reach(d) => d.serialize(s),
            Document::Contention(d) => d.serialize(s),
            Document::Overlap(d) => d.serialize(s),
            Document::Responsive(d) => d.serialize(s),
            Document::Faults(d) => d.serialize(s),
            Document::Python(d) => d.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for Document {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = serde_json::Value::deserialize(d)?;
        Document::from_value(v).map_err(serde::de::Error::custom)
    }
}

impl Witness for Document {
    fn testify(&self, ev: &mut Evidence, command: &str) {
        match self {
            Document::Run(d) => d.testify(ev, command),
            Document::Spawn(d) => d.testify(ev, command),
            Document::Memory(d) => d.testify(ev, command),
            Document::Scale(d) => d.testify(ev, command),
            // The verdict reads switching from the rally on one CPU (A4).
            Document::Switch(_) => {}
            Document::Reach(d) => d.testify(ev, command),
            Document::Contention(d) => d.testify(ev, command),
            Document::Overlap(d) => d.testify(ev, command),
            Document::Responsive(d) => d.testify(ev, command),
            Document::Faults(d) => d.testify(ev, command),
            Document::Python(d) => d.testify(ev, command),
        }
    }
}
