//! The fast TOML reader (`parindex::input::tomlread`) against the `toml`
//! crate: wherever the fast reader gives a value, the `toml` crate gives
//! the same value with the same spans; where it gives none, `from_str` is
//! the `toml` crate's answer, error and all. Checked on every TOML file of
//! the project, as generic values with a span at every key and value and as
//! the raw types the files are loaded into, and on random edits of them
//! (drawn by proptest from a fixed seed, so a failure repeats).

use std::cell::Cell;
use std::path::{Path, PathBuf};

use parindex::input::raw::*;
use parindex::input::raw_round::*;
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{RngAlgorithm, TestCaseError, TestRng, TestRunner};

mod toml_agree;
use toml_agree::{agree, agree_as, agree_as_every_raw_type};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every TOML file of the project, relative to its root.
fn toml_files() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for dir in ["criteria", "fixtures", "tests", "examples", "benches", "fuzz", "."] {
        let deep = dir != ".";
        for (p, _) in parindex::source::files::files(&root().join(dir), deep) {
            if p.extension().is_some_and(|e| e == "toml") && !p.starts_with("target") {
                out.push(Path::new(dir).join(p));
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

#[test]
fn every_toml_file_of_the_project_reads_the_same() {
    let files = toml_files();
    assert!(files.len() > 30, "{files:?}");
    for rel in &files {
        let text = std::fs::read_to_string(root().join(rel)).unwrap();
        let fast_read = agree(&text, &rel.display().to_string());
        // Read as each raw type, whether it is that file's or not.
        agree_as_every_raw_type(&text).unwrap_or_else(|e| panic!("{}: {e}", rel.display()));
        // The year's own files are what the fast reader is for.
        let year_file = rel.starts_with("criteria") || rel.starts_with("fixtures");
        assert!(fast_read || !year_file, "{}: not read by the fast reader", rel.display());
    }
}

/// The raw types of a year's files, both ways, compared in full (spans included).
fn same_raw<T: serde::de::DeserializeOwned + std::fmt::Debug>(rel: &str) {
    let text = std::fs::read_to_string(root().join(rel)).unwrap();
    // `Ok(false)`: not read by the fast reader; an error: read otherwise than by toml.
    assert_eq!(agree_as::<T>(&text), Ok(true), "{rel}");
}

#[test]
fn the_raw_types_of_both_years_read_the_same() {
    for year in ["2023", "2025"] {
        let c = |f: &str| format!("criteria/{year}/{f}");
        let x = |f: &str| format!("fixtures/{year}/{f}");
        same_raw::<RawIndexFile>(&c("index.toml"));
        for (p, _) in parindex::source::files::files(&root().join(c("tree")), false) {
            same_raw::<RawTreeFile>(&c(&format!("tree/{}", p.display())));
        }
        same_raw::<RawExemptionsFile>(&c("exemptions.toml"));
        let exists = |f: &str| root().join(f).exists();
        for (f, read) in [
            ("units.toml", same_raw::<RawUnitsFile> as fn(&str)),
            ("scores.toml", same_raw::<RawScoresFile>),
            ("facts.toml", same_raw::<RawFactsFile>),
            ("previous.toml", same_raw::<RawPreviousFile>),
            ("self-assessment.toml", same_raw::<RawSelfFile>),
            ("rounds.toml", same_raw::<RawRoundsFile>),
            ("survey.toml", same_raw::<RawSurveyFile>),
        ] {
            if exists(&x(f)) {
                read(&x(f));
            }
        }
    }
}

/// One random edit, as proptest draws it: what (a piece inserted, a few
/// characters deleted, or a line repeated), where, and which piece or line.
#[derive(Debug, Clone)]
struct Edit {
    kind: u8,
    at: Index,
    which: Index,
    len: usize,
}

fn edit_strategy() -> impl Strategy<Value = Edit> {
    (0..4u8, any::<Index>(), any::<Index>(), 1..4usize).prop_map(|(kind, at, which, len)| Edit { kind, at, which, len })
}

/// A config of `cases` cases (`PARINDEX_TOML_EDITS` sets how many) that
/// starts from a fixed seed, so a failure repeats.
fn runner(cases: usize) -> TestRunner {
    let config = ProptestConfig { cases: u32::try_from(cases).unwrap_or(u32::MAX), failure_persistence: None, ..ProptestConfig::default() };
    TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha))
}

fn edits_wanted(default: usize) -> usize {
    std::env::var("PARINDEX_TOML_EDITS").ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// What an edit inserts: the pieces TOML is made of, and a few it forbids.
const PIECES: &[&str] = &[
    "\"",
    "'",
    "\\",
    "[",
    "]",
    "{",
    "}",
    ",",
    "=",
    ".",
    "#",
    "\n",
    "\r\n",
    "\r",
    " ",
    "\t",
    "0",
    "1",
    "9",
    "-",
    "+",
    "e",
    "E",
    "_",
    "a",
    "é",
    "\u{7f}",
    "\u{1}",
    "\"\"\"",
    "'''",
    "[[",
    "]]",
    "true",
    "false",
    "1.5",
    "-0.0",
    "1e3",
    "\\u00e9",
    "\\U0001F600",
    "\\ud800",
    "\\x41",
    "\\e",
    "\\n",
    "\"k\" = 1\n",
    "[t]\n",
    "[[t]]\n",
    "[t.u]\n",
    "a.b = 1\n",
    "x = { y = 2 }\n",
    "1979-05-27",
    "0x1f",
    "inf",
    "nan",
    "01",
    "9223372036854775808",
    "1e400",
];

/// `text` with one edit: a piece inserted, a few characters deleted, or a
/// line repeated.
fn edit(e: &Edit, text: &str) -> String {
    let bounds: Vec<usize> = text.char_indices().map(|(i, _)| i).chain([text.len()]).collect();
    let i = e.at.index(bounds.len());
    let at = bounds[i];
    match e.kind {
        0 | 1 => {
            let piece = PIECES[e.which.index(PIECES.len())];
            format!("{}{piece}{}", &text[..at], &text[at..])
        }
        2 => {
            let to = bounds[(i + e.len).min(bounds.len() - 1)];
            format!("{}{}", &text[..at], &text[to..])
        }
        _ => {
            let lines: Vec<&str> = text.split_inclusive('\n').collect();
            let mut out: Vec<&str> = lines.clone();
            let line = lines.get(e.which.index(lines.len().max(1))).copied().unwrap_or("");
            out.insert(e.at.index(lines.len() + 1), line);
            out.concat()
        }
    }
}

#[test]
fn random_edits_of_the_files_read_the_same_or_go_to_toml() {
    let iterations = edits_wanted(4000);
    // Pieces of every file, a dozen lines each, so each case is small.
    let mut seeds: Vec<String> =
        vec!["a = 1\nb = [1, 2.5, 'x', { c = true }]\n[t]\nd = \"e\\tf\"\n[[u]]\ng = -1\n[[u]]\n[u.v]\nh = 1e2\n".to_string()];
    for rel in toml_files() {
        let text = std::fs::read_to_string(root().join(&rel)).unwrap();
        let lines: Vec<&str> = text.split_inclusive('\n').collect();
        for chunk in lines.chunks(12) {
            seeds.push(chunk.concat());
        }
    }
    let (fast_read, left) = (Cell::new(0usize), Cell::new(0usize));
    let cases = (any::<Index>(), prop::collection::vec(edit_strategy(), 1..=3));
    let result = runner(iterations).run(&cases, |(seed, edits)| {
        let mut text = seeds[seed.index(seeds.len())].clone();
        for e in &edits {
            text = edit(e, &text);
        }
        let counter = if agree(&text, "an edit") { &fast_read } else { &left };
        counter.set(counter.get() + 1);
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    // Both kinds of case were met: what the fast reader reads, and what it leaves.
    let (fast_read, left) = (fast_read.get(), left.get());
    assert!(fast_read > iterations / 10 && left > iterations / 10, "{fast_read} read, {left} left to toml");
}

/// Random edits of a year's file read as its raw type: wherever the fast
/// reader gives a value, the `toml` crate gives the same (by `Debug`, spans
/// included); how many edits each way.
fn edits_as<T: serde::de::DeserializeOwned + std::fmt::Debug>(seed: &str, n: usize) -> (usize, usize) {
    let (read, left) = (Cell::new(0usize), Cell::new(0usize));
    let result = runner(n).run(&prop::collection::vec(edit_strategy(), 1..=2), |edits| {
        let mut text = seed.to_string();
        for e in &edits {
            text = edit(e, &text);
        }
        match agree_as::<T>(&text).map_err(TestCaseError::fail)? {
            true => read.set(read.get() + 1),
            false => left.set(left.get() + 1),
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    (read.get(), left.get())
}

/// The first `lines` lines of a year's file, cut before a table header.
fn head_of(rel: &str, lines: usize) -> String {
    let text = std::fs::read_to_string(root().join(rel)).unwrap();
    let mut out = String::new();
    for (i, line) in text.split_inclusive('\n').enumerate() {
        if i >= lines && line.starts_with('[') {
            break;
        }
        out.push_str(line);
    }
    out
}

#[test]
fn random_edits_read_as_the_raw_types_read_the_same_or_go_to_toml() {
    let n = edits_wanted(4000) / 8;
    let mut totals = (0, 0);
    let mut add = |(r, l): (usize, usize)| {
        totals.0 += r;
        totals.1 += l;
    };
    add(edits_as::<RawIndexFile>(&head_of("criteria/2023/index.toml", 1000), n));
    add(edits_as::<RawTreeFile>(&head_of("criteria/2023/tree/07-chinh-quyen-so.toml", 1000), n));
    add(edits_as::<RawExemptionsFile>(&head_of("criteria/2023/exemptions.toml", 1000), n));
    add(edits_as::<RawScoresFile>(&head_of("fixtures/2023/scores.toml", 60), n));
    add(edits_as::<RawPreviousFile>(&head_of("fixtures/2023/previous.toml", 1000), n));
    add(edits_as::<RawSelfFile>(&head_of("fixtures/2023/self-assessment.toml", 30), n));
    add(edits_as::<RawRoundsFile>(&head_of("fixtures/2023/rounds.toml", 80), n));
    add(edits_as::<RawSurveyFile>(&head_of("fixtures/2023/survey.toml", 1000), n));
    assert!(totals.0 > n && totals.1 > n, "{totals:?}");
}
