//! What the fuzz targets share: a private copy of the shipped tree, and the
//! whole pipeline run over it through the library's public API.
//!
//! Each target writes its input over one shipped file of the copy, runs
//! load → validate → compile → evaluate → report → explain → archive, and
//! puts the shipped file back. Any panic, overflow or hang is a finding;
//! errors and warnings are the expected outcome of most inputs.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use parindex::audit::archive::{self, Archive};
use parindex::formula::rules::Rules;
use parindex::live::engine::Snapshot;

/// The year the targets score.
pub const YEAR: u16 = 2023;

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create the fuzz tree");
    for e in std::fs::read_dir(from).expect("read the shipped tree") {
        let e = e.expect("read the shipped tree");
        let target = to.join(e.file_name());
        if e.file_type().expect("file type").is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).expect("copy the shipped tree");
        }
    }
}

/// The repository root, holding the shipped `criteria/`, `rules/` and `fixtures/`.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// This process's copy of the shipped tree (one per process, so parallel
/// fuzzing jobs do not share files).
pub fn tree() -> &'static Path {
    static TREE: OnceLock<PathBuf> = OnceLock::new();
    TREE.get_or_init(|| {
        let root = std::env::temp_dir().join(format!("parindex-fuzz-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        for sub in ["criteria", "rules", "fixtures"] {
            copy_dir(&repo().join(sub), &root.join(sub));
        }
        root
    })
}

/// The one rule engine, as the command line shares it.
pub fn rules() -> &'static Rules {
    static RULES: OnceLock<Rules> = OnceLock::new();
    RULES.get_or_init(Rules::default)
}

/// Runs the whole pipeline on `root`: load, validate, compile, evaluate,
/// report, explain (the first and the last unit), archive and read back.
pub fn run_year(root: &Path) {
    let Ok(s) = Snapshot::build(root, YEAR, rules(), 1) else { return };
    let rs = &s.rule_set;
    let _ = s.report.to_table(rs);
    let _ = s.report.to_json();
    let n = rs.model.units.len();
    for u in [0, n.saturating_sub(1)].into_iter().filter(|&u| u < n) {
        let _ = parindex::audit::explain::explain(rs, &s.outcome, u).to_text();
    }
    let a = Archive::new(rs, &s.outcome, &s.report);
    let back = archive::parse(Path::new("fuzz.json"), a.to_text().as_bytes()).expect("an archive just written reads back");
    assert!(archive::replay(&back, &a).identical(), "an archive just written replays identical");
}

/// Writes `bytes` over the shipped file `rel` of the tree, runs the
/// pipeline, and puts the shipped file back.
pub fn with_file(rel: &str, bytes: &[u8]) {
    let root = tree();
    let path = root.join(rel);
    std::fs::write(&path, bytes).expect("write the fuzz input");
    run_year(root);
    std::fs::copy(repo().join(rel), &path).expect("restore the shipped file");
}
