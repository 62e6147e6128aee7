//! The bad-input suite: each case edits a copy of the shipped 2023 tree the
//! way a careless or dishonest user would, runs the real binary, and asserts
//! the diagnostic's code and location, and that no result was printed.
//!
//! One file per kind of input: criteria, data, rules, files (CSV and
//! encodings), archive and reload.

#[path = "../common/mod.rs"]
mod common;

mod archive;
mod criteria;
mod data;
mod files;
mod rules;

use std::path::Path;

pub use common::*;

/// Runs `score` and `check` (text and JSON) on a broken tree: both fail,
/// `score` prints no result, and `check` reports `code` at `file` (a path
/// relative to the root, followed by `:line:col` when `line` is given).
/// Returns check's text output, with the root redacted.
pub fn rejected(root: &Path, code: &str, file: &str, line: Option<usize>) -> String {
    let err = refused(root, code);
    json_diagnostic(root, code, file, line, None);
    redact(&err, root)
}

/// The diagnostic `code` that `check --format json` reports at `file` (a
/// path relative to the root), on `line` and at `column` when they are given.
pub fn json_diagnostic(root: &Path, code: &str, file: &str, line: Option<usize>, column: Option<usize>) -> serde_json::Value {
    let (diags, text) = check_json(root);
    let hit = diags.iter().find(|d| {
        d["code"] == code
            && d["location"]["file"].as_str().is_some_and(|f| f.ends_with(file))
            && line.map_or(true, |l| d["location"]["line"] == l)
            && column.map_or(true, |c| d["location"]["column"] == c)
    });
    hit.cloned().unwrap_or_else(|| panic!("{code} at {file}:{line:?}:{column:?} in JSON:\n{text}"))
}

/// The 1-based line of the first line of `rel` (under `root`) that contains `needle`.
pub fn line_of(root: &Path, rel: &str, needle: &str) -> usize {
    let text = std::fs::read_to_string(root.join(rel)).unwrap();
    text.lines().position(|l| l.contains(needle)).unwrap_or_else(|| panic!("{rel} has no line with {needle:?}")) + 1
}

/// Runs `score` and `check` on a tree with something to warn about: both
/// succeed, `score` prints its result and the warning on stderr, and
/// `check` reports `code` as a warning at `file` (and `line` when given).
/// Returns check's text output, with the root redacted.
pub fn warned(root: &Path, code: &str, file: &str, line: Option<usize>) -> String {
    let score = run(root, &["score", "--year", "2023"]);
    assert_eq!(score.status.code(), Some(0), "score must succeed: {}", stderr(&score));
    assert!(!stdout(&score).is_empty(), "score must print its result");
    assert!(stderr(&score).contains(&format!("warning[{code}]")), "score must tell the warning on stderr:\n{}", stderr(&score));
    let check = run(root, &["check", "--year", "2023"]);
    assert_eq!(check.status.code(), Some(0), "check must pass: {}", stderr(&check));
    let err = stderr(&check);
    assert!(err.contains(&format!("warning[{code}]")), "expected {code} in:\n{err}");
    let d = json_diagnostic(root, code, file, line, None);
    assert_eq!(d["severity"], "warning", "{d}");
    redact(&err, root)
}
