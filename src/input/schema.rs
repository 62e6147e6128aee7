//! JSON Schemas of every kind of TOML file, generated from the raw serde types.
//!
//! The schemas are derived (`schemars`) from the very structs serde reads,
//! so they cannot drift from what the loader accepts: a key misspelt, a
//! value of the wrong type or a required key missing is flagged by an editor
//! with TOML schema support (taplo, Even Better TOML) as it is typed.
//! `parindex schema` writes them to `schema/`; each shipped TOML file names its
//! schema on its first line: `#:schema ../../schema/<kind>.json`.

use std::collections::BTreeMap;
use std::path::Path;

use schemars::generate::SchemaSettings;
use schemars::JsonSchema;
use serde_json::Value;

use crate::input::raw::{Dec, RawExemptionsFile, RawIndexFile, RawPreviousFile, RawTreeFile, RawUnitsFile};

/// Every kind of TOML file: its schema's name and where such files live.
pub const KINDS: [(&str, &str); 8] = [
    ("index", "criteria/<year>/index.toml"),
    ("tree", "criteria/<year>/tree/*.toml"),
    ("exemptions", "criteria/<year>/exemptions.toml"),
    ("targets", "criteria/<year>/targets.toml"),
    ("scores", "fixtures/<year>/scores.toml"),
    ("units", "fixtures/<year>/units.toml"),
    ("previous", "fixtures/<year>/previous.toml"),
    ("indicators", "fixtures/<year>/indicators.toml"),
];

/// The points awarded by the appraisal council: unit id → criterion or part id → points.
#[derive(JsonSchema)]
#[schemars(transparent)]
#[allow(dead_code)]
struct RawScores(BTreeMap<String, BTreeMap<String, Dec>>);

fn generate<T: JsonSchema>(title: &str, file: &str) -> Value {
    let generator = SchemaSettings::draft07().into_generator();
    let mut schema = serde_json::to_value(generator.into_root_schema_for::<T>()).unwrap_or(Value::Null);
    if let Some(o) = schema.as_object_mut() {
        o.insert("title".into(), Value::String(format!("parindex {title}: {file}")));
    }
    schema
}

/// The schema of one kind of file (see [`KINDS`]).
pub fn schema(kind: &str) -> Option<Value> {
    let file = KINDS.iter().find(|(k, _)| *k == kind)?.1;
    Some(match kind {
        "index" => generate::<RawIndexFile>(kind, file),
        "tree" => generate::<RawTreeFile>(kind, file),
        "exemptions" => generate::<RawExemptionsFile>(kind, file),
        "targets" => generate::<crate::input::targets::RawTargets>(kind, file),
        "scores" => generate::<RawScores>(kind, file),
        "units" => generate::<RawUnitsFile>(kind, file),
        "previous" => generate::<RawPreviousFile>(kind, file),
        "indicators" => generate::<crate::input::indicators::RawDecl>(kind, file),
        _ => return None,
    })
}

/// The schema text as written to `schema/<kind>.json`.
pub fn schema_text(kind: &str) -> Option<String> {
    schema(kind).map(|v| format!("{}\n", serde_json::to_string_pretty(&v).unwrap_or_default()))
}

/// The kind of a TOML file by where it lives under the root, if it has a schema.
pub fn kind_of(rel: &Path) -> Option<&'static str> {
    let parts: Vec<&str> = rel.iter().filter_map(|c| c.to_str()).collect();
    match parts.as_slice() {
        ["criteria", _, "tree", f] if f.ends_with(".toml") => Some("tree"),
        ["criteria", _, "index.toml"] => Some("index"),
        ["criteria", _, "exemptions.toml"] => Some("exemptions"),
        ["criteria", _, "targets.toml"] => Some("targets"),
        ["fixtures", _, "scores.toml"] => Some("scores"),
        ["fixtures", _, "units.toml"] => Some("units"),
        ["fixtures", _, "previous.toml"] => Some("previous"),
        ["fixtures", _, "indicators.toml"] => Some("indicators"),
        _ => None,
    }
}

/// The `#:schema` directive a file at `rel` starts with: the schema's path relative to the file.
pub fn directive(rel: &Path) -> Option<String> {
    let kind = kind_of(rel)?;
    let up = "../".repeat(rel.components().count().saturating_sub(1));
    Some(format!("#:schema {up}schema/{kind}.json"))
}
