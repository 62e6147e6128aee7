//! Shared test helpers: a temporary copy of the shipped tree, and the binary.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root, holding the shipped `criteria/`, `rules/`, `fixtures/`.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

/// A temporary copy of the shipped tree, to edit freely.
pub fn temp_tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for sub in ["criteria", "rules", "fixtures"] {
        copy_dir(&repo().join(sub), &dir.path().join(sub));
    }
    dir
}

/// Replaces `from` by `to` in a file of the tree; the text must be there.
pub fn edit(root: &Path, rel: &str, from: &str, to: &str) {
    let p = root.join(rel);
    let text = std::fs::read_to_string(&p).unwrap();
    assert!(text.contains(from), "{rel} does not contain {from:?}");
    std::fs::write(&p, text.replacen(from, to, 1)).unwrap();
}

pub fn append(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    let mut t = std::fs::read_to_string(&p).unwrap_or_default();
    t.push_str(text);
    std::fs::write(&p, t).unwrap();
}

/// Runs the real binary with `args` under `root`, in English whatever the
/// environment's language (`--lang` in `args` still chooses).
pub fn run(root: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_parindex")).arg("--root").arg(root).args(args).env("PARINDEX_LANG", "en").output().unwrap()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs `score` and `check` on a broken 2023 tree: both exit 1, `score`
/// prints no result, and `check` names `code`. Returns what `check` printed.
pub fn refused(root: &Path, code: &str) -> String {
    let score = run(root, &["score", "--year", "2023"]);
    assert_eq!(score.status.code(), Some(1), "score must fail: {}", stderr(&score));
    assert!(stdout(&score).is_empty(), "no result may be printed: {}", stdout(&score));
    let check = run(root, &["check", "--year", "2023"]);
    assert_eq!(check.status.code(), Some(1), "check must fail: {}", stderr(&check));
    let err = stderr(&check);
    assert!(err.contains(&format!("error[{code}]")), "expected {code} in:\n{err}");
    err
}

/// The diagnostics of `check --year 2023 --format json`, and the text they were read from.
pub fn check_json(root: &Path) -> (Vec<serde_json::Value>, String) {
    let text = stderr(&run(root, &["check", "--year", "2023", "--format", "json"]));
    let end = text.rfind(']').expect("a JSON list of diagnostics");
    let diags: serde_json::Value = serde_json::from_str(&text[..=end]).expect("JSON diagnostics");
    (diags.as_array().expect("a list").clone(), text)
}

/// Replaces the volatile parts of an output (fingerprints, temp paths).
pub fn redact(text: &str, root: &Path) -> String {
    let mut out = text.replace(&root.display().to_string(), "[root]");
    let mut result = String::with_capacity(out.len());
    let bytes: Vec<char> = out.chars().collect();
    let mut i = 0;
    while i < bytes.len() {
        let run = bytes[i..].iter().take_while(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()).count();
        if run == 64 {
            result.push_str("[sha256]");
            i += 64;
        } else if run > 0 {
            result.extend(&bytes[i..i + run]);
            i += run;
        } else {
            result.push(bytes[i]);
            i += 1;
        }
    }
    out = result;
    out
}
