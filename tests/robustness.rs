//! Robustness at the edges: random mutations of the shipped files never make
//! the library panic; output into a closed pipe ends quietly; two writers of
//! one archive at once cannot both succeed silently.

mod common;

use std::io::BufRead as _;
use std::path::Path;
use std::process::{Command, Stdio};

use common::*;
use parindex::audit::archive::{self, Archive};
use parindex::formula::rules::Rules;
use parindex::live::engine::Snapshot;
use proptest::prelude::*;

// ---------------------------------------------------------------------------
// Mutations

/// Every shipped file the 2023 results read.
const FILES: &[&str] = &[
    "criteria/2023/index.toml",
    "criteria/2023/exemptions.toml",
    "criteria/2023/targets.toml",
    "criteria/2023/tree/01-chi-dao-dieu-hanh.toml",
    "criteria/2023/tree/03-thu-tuc-hanh-chinh.toml",
    "criteria/2023/tree/07-chinh-quyen-so.toml",
    "criteria/2023/tree/08-tac-dong.toml",
    "fixtures/2023/units.toml",
    "fixtures/2023/scores.toml",
    "fixtures/2023/previous.toml",
    "fixtures/2023/expected.toml",
    "fixtures/2023/indicators.toml",
    "fixtures/2023/indicators/portal-2023-12-25.csv",
    "fixtures/2023/statistics/ttphvhcc-2023-12-15.toml",
    "rules/2023/tiers.rhai",
    "rules/2023/proportional.rhai",
];

/// What a careless or dishonest edit does to a file.
#[derive(Debug, Clone)]
enum Mutation {
    DeleteBytes {
        at: usize,
        len: usize,
    },
    DuplicateBytes {
        at: usize,
        len: usize,
    },
    ReplaceByte {
        at: usize,
        byte: u8,
    },
    DeleteLine(usize),
    DuplicateLine(usize),
    SwapLines(usize, usize),
    /// The `nth` number of the file (cyclically) replaced by `by`.
    ReplaceNumber {
        nth: usize,
        by: &'static str,
    },
}

const NUMBERS: &[&str] = &[
    "99999999999999999999999999999999",
    "79228162514264337593543950335",
    "-79228162514264337593543950335",
    "0.0000000000000000000000000001",
    "18446744073709551616",
    "-9223372036854775808",
    "-1",
    "-0.5",
    "0",
    "1e308",
    "NaN",
    "inf",
    "\"12\"",
    "abc",
    "",
    "1.2.3",
    "98,97%",
    "1.903",
];

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1usize..64).prop_map(|(at, len)| Mutation::DeleteBytes { at, len }),
        (any::<usize>(), 1usize..64).prop_map(|(at, len)| Mutation::DuplicateBytes { at, len }),
        (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| Mutation::ReplaceByte { at, byte }),
        any::<usize>().prop_map(Mutation::DeleteLine),
        any::<usize>().prop_map(Mutation::DuplicateLine),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
        (any::<usize>(), prop::sample::select(NUMBERS)).prop_map(|(nth, by)| Mutation::ReplaceNumber { nth, by }),
        (any::<usize>(), prop::sample::select(NUMBERS)).prop_map(|(nth, by)| Mutation::ReplaceNumber { nth, by }),
    ]
}

fn apply(bytes: &[u8], m: &Mutation) -> Vec<u8> {
    let n = bytes.len().max(1);
    let mut out = bytes.to_vec();
    let lines = |b: &[u8]| b.split_inclusive(|&c| c == b'\n').map(<[u8]>::to_vec).collect::<Vec<_>>();
    match *m {
        Mutation::DeleteBytes { at, len } => {
            let at = at % n;
            out.drain(at.min(out.len())..(at + len).min(out.len()));
        }
        Mutation::DuplicateBytes { at, len } => {
            let at = (at % n).min(out.len());
            let piece = out[at..(at + len).min(out.len())].to_vec();
            out.splice(at..at, piece);
        }
        Mutation::ReplaceByte { at, byte } => {
            if !out.is_empty() {
                out[at % n] = byte;
            }
        }
        Mutation::DeleteLine(i) | Mutation::DuplicateLine(i) => {
            let mut l = lines(bytes);
            if !l.is_empty() {
                let i = i % l.len();
                if matches!(m, Mutation::DeleteLine(_)) {
                    l.remove(i);
                } else {
                    let line = l[i].clone();
                    l.insert(i, line);
                }
            }
            out = l.concat();
        }
        Mutation::SwapLines(a, b) => {
            let mut l = lines(bytes);
            if !l.is_empty() {
                let len = l.len();
                l.swap(a % len, b % len);
            }
            out = l.concat();
        }
        Mutation::ReplaceNumber { nth, by } => {
            // Runs of digits, with the dots and commas inside them.
            let mut spans = Vec::new();
            let mut i = 0;
            while i < bytes.len() {
                if bytes[i].is_ascii_digit() {
                    let start = i;
                    while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'.' || bytes[i] == b',') {
                        i += 1;
                    }
                    spans.push(start..i);
                } else {
                    i += 1;
                }
            }
            if !spans.is_empty() {
                let span = spans[nth % spans.len()].clone();
                out.splice(span, by.bytes());
            }
        }
    }
    out
}

/// Everything the library does with a year, through its public API: load,
/// validate, compile, evaluate, report in every format, explain every unit,
/// run the expectations, archive and replay; and the statistics and targets.
fn run_year(root: &Path, rules: &Rules) {
    let _ = parindex::input::stats::load_statistics(root, 2023);
    let _ = parindex::input::targets::load_targets(root, 2023);
    let Ok(s) = Snapshot::build(root, 2023, rules, 1) else { return };
    let rs = &s.rule_set;
    let _ = s.report.to_table(rs);
    let _ = s.report.to_csv(rs);
    let _ = s.report.to_json();
    for u in 0..rs.model.units.len() {
        let e = parindex::audit::explain::explain(rs, &s.outcome, u);
        let _ = e.to_text();
        let _ = e.to_json();
    }
    let _ = parindex::audit::expect::run_expectations(rs, &s.outcome, &s.report);
    let a = Archive::new(rs, &s.outcome, &s.report);
    let back = archive::parse(Path::new("2023.json"), a.to_text().as_bytes()).expect("an archive just written reads back");
    assert!(archive::replay(&back, &a).identical(), "an archive just written replays identical");
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(24)
}

proptest! {
    // 24 cases by default, so that `cargo test` stays quick; `PROPTEST_CASES=1000` for a longer search.
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    /// A random edit of one shipped file gives results or diagnostics, never a panic.
    #[test]
    fn a_mutated_file_never_makes_the_library_panic(file in prop::sample::select(FILES), edits in prop::collection::vec(mutation(), 1..4)) {
        // One copy of the tree for every case; each case puts its file back.
        static TREE: std::sync::OnceLock<(tempfile::TempDir, Rules)> = std::sync::OnceLock::new();
        let (t, rules) = TREE.get_or_init(|| (temp_tree(), Rules::default()));
        let original = std::fs::read(repo().join(file)).unwrap();
        let mutated = edits.iter().fold(original.clone(), |b, m| apply(&b, m));
        std::fs::write(t.path().join(file), mutated).unwrap();
        run_year(t.path(), rules);
        std::fs::write(t.path().join(file), original).unwrap();
    }

    /// A random edit of the shipped archive is read as an archive, an edited
    /// one or not one, and replayed, never a panic.
    #[test]
    fn a_mutated_archive_never_makes_the_library_panic(edits in prop::collection::vec(mutation(), 1..4)) {
        let shipped = std::fs::read(repo().join("results/2023.json")).unwrap();
        let fresh = archive::parse(Path::new("2023.json"), &shipped).expect("the shipped archive reads");
        let mutated = edits.iter().fold(shipped, |b, m| apply(&b, m));
        let read = match archive::parse(Path::new("2023.json"), &mutated) {
            Ok(a) => Some(a),
            Err(archive::ArchiveError::Edited { archive, .. }) => archive.map(|a| *a),
            Err(e) => { let _ = e.to_string(); None }
        };
        if let Some(a) = read {
            for d in archive::replay(&a, &fresh).differences {
                let _ = d.to_string();
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Closed pipes

fn command(root: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_parindex"));
    c.arg("--root").arg(root).args(args);
    c
}

/// Runs `args` with stdout read for `lines` lines, then closed. The command
/// ends quietly: no panic, nothing said of the pipe, status 0 or 141.
fn stdout_closed_after(args: &[&str], lines: usize) {
    let mut child = command(&repo(), args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let mut reader = std::io::BufReader::new(child.stdout.take().unwrap());
    for _ in 0..lines {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        assert!(!line.is_empty(), "{args:?} prints at least {lines} lines");
    }
    drop(reader);
    let o = child.wait_with_output().unwrap();
    let err = stderr(&o).to_lowercase();
    assert!(!err.contains("panicked"), "{args:?}: {err}");
    assert!(!err.contains("broken pipe") && !err.contains("cannot write"), "{args:?} says nothing of the closed pipe: {err}");
    assert!(matches!(o.status.code(), Some(0 | 141)), "{args:?}: {:?}", o.status);
}

#[test]
fn output_into_a_closed_pipe_ends_quietly() {
    for args in [
        &["explain", "--year", "2023", "--unit", "so-tttt"][..],
        &["explain", "--year", "2023", "--unit", "so-tttt", "--format", "json"],
        &["score", "--year", "2023"],
        &["score", "--year", "2023", "--format", "json"],
        &["score", "--year", "2023", "--format", "csv"],
        &["diff", "2023", "2025"],
        &["targets", "--year", "2025"],
        &["test"],
        &["replay", "--year", "2023"],
    ] {
        // Closed after one line, as `| head -1` does, and before the first.
        stdout_closed_after(args, 1);
        stdout_closed_after(args, 0);
    }
}

#[test]
fn a_closed_stderr_ends_quietly() {
    // `check` prints its diagnostics (the shipped warnings) on stderr.
    let o = command(&repo(), &["check", "--year", "2023"]).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
    let mut o = o;
    drop(o.stderr.take());
    let status = o.wait().unwrap();
    assert!(matches!(status.code(), Some(0 | 141)), "{status:?}");
}

// ---------------------------------------------------------------------------
// Concurrent archives

fn spawn_archive(root: &Path) -> std::process::Child {
    command(root, &["score", "--year", "2023", "--archive", "--format", "csv"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Two trees with different results share one `results/` folder: of two
/// writers started at once, exactly one archives its result; the other
/// fails and says why, and the archive is the winner's.
#[cfg(unix)]
#[test]
fn of_two_concurrent_writers_exactly_one_wins() {
    let (a, b) = (temp_tree(), temp_tree());
    edit(b.path(), "fixtures/2023/scores.toml", "[so-tttt]\n\"1.1\" = 2.08", "[so-tttt]\n\"1.1\" = 2.07");
    std::fs::create_dir_all(a.path().join("results")).unwrap();
    std::os::unix::fs::symlink(a.path().join("results"), b.path().join("results")).unwrap();
    let path = a.path().join("results/2023.json");
    for _ in 0..4 {
        let _ = std::fs::remove_file(&path);
        let (ca, cb) = (spawn_archive(a.path()), spawn_archive(b.path()));
        let (oa, ob) = (ca.wait_with_output().unwrap(), cb.wait_with_output().unwrap());
        let outcomes = [(&oa, a.path()), (&ob, b.path())];
        let winners: Vec<_> = outcomes.iter().filter(|(o, _)| o.status.success()).collect();
        assert_eq!(winners.len(), 1, "exactly one writer succeeds: {} / {}", stderr(&oa), stderr(&ob));
        let (winner, root) = winners[0];
        assert!(stderr(winner).contains("archived to"), "{}", stderr(winner));
        let loser = outcomes.iter().find(|(o, _)| !o.status.success()).unwrap().0;
        let why = stderr(loser);
        assert!(why.contains("holds a different result") || why.contains("another process is writing"), "{why}");
        let archived = archive::read(&path).expect("a complete, unedited archive");
        let expected = fingerprint(root);
        assert_eq!(archived.fingerprint.sha256, expected, "the archive is the winner's result");
    }
}

/// Two writers of the same result at once: both succeed, one writes and the
/// other finds the result already there.
#[test]
fn two_concurrent_writers_of_one_result_write_it_once() {
    let t = temp_tree();
    for _ in 0..3 {
        let _ = std::fs::remove_file(t.path().join("results/2023.json"));
        let (c1, c2) = (spawn_archive(t.path()), spawn_archive(t.path()));
        let (o1, o2) = (c1.wait_with_output().unwrap(), c2.wait_with_output().unwrap());
        assert!(o1.status.success() && o2.status.success(), "{} / {}", stderr(&o1), stderr(&o2));
        let written = [&o1, &o2].iter().filter(|o| stderr(o).contains("archived to")).count();
        assert_eq!(written, 1, "{} / {}", stderr(&o1), stderr(&o2));
        assert!(archive::read(&t.path().join("results/2023.json")).is_ok());
    }
}

fn fingerprint(root: &Path) -> String {
    parindex::score::ruleset::RuleSet::load(root, 2023, &Rules::default()).expect("loads").fingerprint.sha256
}
