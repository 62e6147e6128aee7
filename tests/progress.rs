//! Progress is drawn only on a terminal: with stderr in a pipe (as here), a
//! long sweep, a load, a check and an import write no progress at all, and
//! what they print is the same byte for byte with `PARINDEX_NO_PROGRESS` set
//! and without it.

mod common;

use std::path::Path;
use std::process::{Command, Output};

/// The binary with `args` under `root`, in English; with
/// `PARINDEX_NO_PROGRESS=1` when `no_progress`, else without the variable
/// whatever the environment of the tests has.
fn run(root: &Path, args: &[&str], no_progress: bool) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_parindex"));
    c.arg("--root").arg(root).args(args).env("PARINDEX_LANG", "en").env_remove("PARINDEX_NO_PROGRESS");
    if no_progress {
        c.env("PARINDEX_NO_PROGRESS", "1");
    }
    c.output().unwrap()
}

/// What a progress bar or spinner would leave in a stream: an escape
/// sequence, a carriage return (a line drawn over), a spinner's braille
/// frame, a bar's frame or its counter.
fn progress_marks(bytes: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(bytes);
    let mut marks = Vec::new();
    if bytes.contains(&0x1b) {
        marks.push("an escape sequence".to_string());
    }
    if bytes.contains(&b'\r') {
        marks.push("a carriage return".to_string());
    }
    if let Some(c) = text.chars().find(|c| ('\u{2800}'..='\u{28ff}').contains(c)) {
        marks.push(format!("a spinner frame {c:?}"));
    }
    for drawn in ["variants [", "rounding robustness [", "reading data…", "scoring…", "writing…", "left)"] {
        if text.contains(drawn) {
            marks.push(format!("{drawn:?}"));
        }
    }
    marks
}

/// Runs `args` with and without `PARINDEX_NO_PROGRESS`: the same exit code,
/// stdout and stderr byte for byte, and no trace of progress in either
/// stream. Returns the run without the variable.
fn same_either_way(root: &Path, args: &[&str]) -> Output {
    let shown = run(root, args, false);
    let quiet = run(root, args, true);
    assert_eq!(shown.status.code(), quiet.status.code(), "{args:?}: the exit code differs");
    assert!(shown.stdout == quiet.stdout, "{args:?}: stdout differs with PARINDEX_NO_PROGRESS");
    assert!(
        shown.stderr == quiet.stderr,
        "{args:?}: stderr differs with PARINDEX_NO_PROGRESS:\n{}\n---\n{}",
        common::stderr(&shown),
        common::stderr(&quiet)
    );
    for (name, bytes) in [("stderr", &shown.stderr), ("stdout", &shown.stdout)] {
        let marks = progress_marks(bytes);
        assert!(marks.is_empty(), "{args:?}: {name} is not a terminal, yet holds {marks:?}:\n{}", String::from_utf8_lossy(bytes));
    }
    shown
}

#[test]
fn the_marks_of_a_progress_are_recognised() {
    // What indicatif draws, as it would reach a file: the test above can fail.
    let drawn = "\r\x1b[2K⠉ variants [=====>     ] 120/501 (2s, about 4s left)";
    assert_eq!(progress_marks(drawn.as_bytes()).len(), 5, "{:?}", progress_marks(drawn.as_bytes()));
    assert!(progress_marks("8.2.max=10: no rank moves\n".as_bytes()).is_empty());
}

/// 501 variants of the shipped 2023 data: a sweep long enough (seconds in a
/// debug build) for a bar to be shown on a terminal.
#[test]
fn a_long_sweep_off_a_terminal_writes_no_progress() {
    let args = ["whatif", "--year", "2023", "--vary", "8.2.max=10..15:0.01"];
    let o = same_either_way(&common::repo(), &args);
    assert!(o.status.success(), "{}", common::stderr(&o));
    let out = common::stdout(&o);
    assert_eq!(out.lines().filter(|l| l.starts_with("8.2.max=")).count(), 501, "{out}");
    assert!(o.stderr.is_empty(), "a sweep without errors prints nothing on stderr: {}", common::stderr(&o));
    // The same in CSV (progress may be drawn for it on a terminal; not here).
    let mut csv = args.to_vec();
    csv.extend(["--format", "csv"]);
    let o = same_either_way(&common::repo(), &csv);
    assert!(o.status.success() && o.stderr.is_empty(), "{}", common::stderr(&o));
}

#[test]
fn rounding_robustness_off_a_terminal_writes_no_progress() {
    let o = same_either_way(&common::repo(), &["whatif", "--year", "2023", "--rounding-robustness"]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    assert!(common::stdout(&o).contains("ranks can change within the rounding"), "{}", common::stdout(&o));
    assert!(o.stderr.is_empty(), "{}", common::stderr(&o));
}

#[test]
fn score_and_check_off_a_terminal_write_no_progress() {
    let root = common::repo();
    let o = same_either_way(&root, &["score", "--year", "2023"]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    // The year's warnings are all that stderr holds, and it ends with their totals.
    assert!(common::stderr(&o).ends_with("0 errors, 2 warnings\n"), "{}", common::stderr(&o));
    same_either_way(&root, &["score", "--year", "2023", "--format", "csv"]);
    same_either_way(&root, &["score", "--year", "2023", "--round", "1"]);
    let o = same_either_way(&root, &["check", "--year", "2023"]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    same_either_way(&root, &["check", "--year", "2023", "--format", "json"]);
}

#[test]
fn a_refused_year_off_a_terminal_writes_its_diagnostics_only() {
    let t = common::temp_tree();
    common::append(t.path(), "fixtures/2023/scores.toml", "\n[so-tttt]\n\"1\" = 14.31\n");
    let o = same_either_way(t.path(), &["score", "--year", "2023"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(common::stderr(&o).contains("error["), "{}", common::stderr(&o));
    same_either_way(t.path(), &["check", "--year", "2023"]);
}

#[test]
fn an_import_off_a_terminal_writes_no_progress() {
    let dir = tempfile::tempdir().unwrap();
    let template = dir.path().join("bieu-cham-diem.xlsx");
    let o = run(&common::repo(), &["template", "--year", "2023", "--out", template.to_str().unwrap()], true);
    assert!(o.status.success(), "{}", common::stderr(&o));
    let t = common::temp_tree();
    let before = std::fs::read(t.path().join("fixtures/2023/scores.toml")).unwrap();
    // Whatever the import finds in the template, a dry run writes nothing.
    same_either_way(t.path(), &["import", "--year", "2023", template.to_str().unwrap(), "--dry-run"]);
    assert_eq!(std::fs::read(t.path().join("fixtures/2023/scores.toml")).unwrap(), before);
}
