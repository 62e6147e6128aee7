//! `parindex replay`: an archived year recomputed and compared.

use std::path::Path;
use std::process::ExitCode;

use parindex::audit::archive::{self, ArchiveError};

use super::*;

pub(crate) fn replay(root: &Path, year: u16) -> ExitCode {
    let path = archive::archive_path(root, year);
    // An edited archive is said to be one, and still compared, to show what was edited.
    let (archived, edited) = match archive::read(&path) {
        Ok(a) if a.year != year => {
            eoutln!("error: {}", ArchiveError::OtherYear { path, found: a.year, expected: year });
            return ExitCode::FAILURE;
        }
        Ok(a) => (a, None),
        Err(ArchiveError::Missing { path }) => {
            eoutln!(
                "error: there is no archive `{}`; archive the year first with `parindex score --year {year} --archive`",
                path.display()
            );
            return ExitCode::FAILURE;
        }
        Err(ArchiveError::Edited { path, recorded, computed, archive: Some(a) }) => {
            let e = ArchiveError::Edited { path, recorded, computed, archive: None };
            (*a, Some(e))
        }
        Err(e) => {
            eoutln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let s = match load(root, year) {
        Ok(s) => s,
        Err(diags) => {
            print_diags(&diags, DiagFormat::Text);
            eoutln!("the year cannot be recomputed: its files have errors");
            return ExitCode::FAILURE;
        }
    };
    let fresh = archive::Archive::new(&s.rule_set, &s.outcome, &s.report);
    let r = archive::replay(&archived, &fresh);
    if r.identical() && edited.is_none() {
        outln!("identical (fingerprint {})", r.recomputed.sha256);
        return ExitCode::SUCCESS;
    }
    outln!("different from {}", path.display());
    if let Some(e) = &edited {
        outln!("{e}");
    }
    let changed = r.changed_inputs();
    if changed.is_empty() {
        outln!("inputs: identical (fingerprint {})", r.recomputed.sha256);
    } else {
        let short = |s: &str| s.chars().take(12).collect::<String>();
        outln!(
            "inputs: {} changed (archived {} → recomputed {})",
            changed.join(", "),
            short(&r.archived.sha256),
            short(&r.recomputed.sha256)
        );
    }
    for d in &r.differences {
        outln!("  {d}");
    }
    outln!("{} differences", r.differences.len());
    ExitCode::FAILURE
}
