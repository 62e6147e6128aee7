//! The JSON Schemas of the TOML files: generated from the raw types, committed, and obeyed by every shipped file.

mod common;

use std::path::{Path, PathBuf};

use common::repo;
use parindex::input::schema::{directive, kind_of, schema, schema_text, KINDS};

/// Every shipped TOML file that has a schema, relative to the root.
fn shipped() -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![PathBuf::from("criteria"), PathBuf::from("fixtures")];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(repo().join(&dir)).unwrap() {
            let rel = dir.join(e.unwrap().file_name());
            if repo().join(&rel).is_dir() {
                stack.push(rel);
            } else if kind_of(&rel).is_some() {
                out.push(rel);
            }
        }
    }
    out.sort();
    out
}

fn as_json(text: &str) -> serde_json::Value {
    serde_json::to_value(toml::from_str::<toml::Value>(text).unwrap()).unwrap()
}

fn errors(kind: &str, text: &str) -> Vec<String> {
    let validator = jsonschema::validator_for(&schema(kind).unwrap()).unwrap();
    validator.iter_errors(&as_json(text)).map(|e| format!("{} at {}", e, e.instance_path)).collect()
}

#[test]
fn the_committed_schemas_are_the_generated_ones() {
    for (kind, _) in KINDS {
        let committed = std::fs::read_to_string(repo().join("schema").join(format!("{kind}.json")))
            .unwrap_or_else(|_| panic!("schema/{kind}.json is missing: run `parindex schema`"));
        assert_eq!(committed, schema_text(kind).unwrap(), "schema/{kind}.json is stale: run `parindex schema`");
    }
}

#[test]
fn every_shipped_file_names_its_schema_and_obeys_it() {
    let files = shipped();
    assert!(files.len() >= 29, "{files:?}");
    for kind in ["index", "tree", "exemptions", "targets", "scores", "units", "previous", "indicators"] {
        assert!(files.iter().any(|f| kind_of(f) == Some(kind)), "no shipped file of kind {kind}");
    }
    for rel in files {
        let text = std::fs::read_to_string(repo().join(&rel)).unwrap();
        let first = text.lines().next().unwrap_or_default();
        assert_eq!(Some(first.to_string()), directive(&rel), "{}", rel.display());
        // The directive's relative path leads to the schema from the file's folder.
        let target = first.trim_start_matches("#:schema ");
        assert!(repo().join(rel.parent().unwrap()).join(target).is_file(), "{}: {target}", rel.display());
        let errs = errors(kind_of(&rel).unwrap(), &text);
        assert!(errs.is_empty(), "{}: {errs:?}", rel.display());
    }
}

#[test]
fn a_misspelt_key_or_a_wrong_type_fails_the_schema() {
    let index = std::fs::read_to_string(repo().join("criteria/2023/index.toml")).unwrap();
    assert!(errors("index", &index).is_empty());
    let misspelt = index.replacen("leaf = {", "leafs = {", 1);
    assert!(!errors("index", &misspelt).is_empty(), "`leafs` in [rounding]");
    let unknown_mode = index.replacen("mode = \"down\"", "mode = \"truncate\"", 1);
    assert!(!errors("index", &unknown_mode).is_empty(), "an unknown rounding mode");

    let tree = std::fs::read_to_string(repo().join("criteria/2023/tree/01-chi-dao-dieu-hanh.toml")).unwrap();
    assert!(!errors("tree", &tree.replacen("max = 3", "maxx = 3", 1)).is_empty(), "`maxx` in a node");
    assert!(!errors("tree", &tree.replacen("max = 3", "max = \"three\"", 1)).is_empty(), "a maximum that is not a number");

    let scores = "[so-tttt]\n\"1\" = 11.31\n\"2\" = \"5.00\"\n";
    assert!(errors("scores", scores).is_empty());
    assert!(!errors("scores", "[so-tttt]\n\"1\" = true\n").is_empty(), "points that are not a number");

    let previous = "year = 2022\n[[unit]]\nid = \"so-tttt\"\nindex = 81.29\nrank = 6\n";
    assert!(errors("previous", previous).is_empty());
    assert!(!errors("previous", &previous.replace("rank", "rang")).is_empty(), "`rang` for `rank`");
    assert!(!errors("previous", "[[unit]]\nid = \"so-tttt\"\nindex = 81.29\nrank = 6\n").is_empty(), "no `year`");
}

#[test]
fn the_schema_command_writes_every_schema() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s");
    let o = common::run(Path::new(&repo()), &["schema", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    for (kind, _) in KINDS {
        assert_eq!(std::fs::read_to_string(out.join(format!("{kind}.json"))).unwrap(), schema_text(kind).unwrap());
    }
}
