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
    let t = |x: Text| x.get(text_lang());
    let s = match load(root, year) {
        Ok(s) => s,
        Err(diags) => {
            print_diags(&diags, DiagFormat::Text);
            eoutln!("{}", t(Text::ReplayCannotRecompute));
            return ExitCode::FAILURE;
        }
    };
    let fresh = archive::Archive::new(&s.rule_set, &s.outcome, &s.report);
    let r = archive::replay(&archived, &fresh);
    if r.identical() && edited.is_none() {
        outln!("{} ({} {})", t(Text::ReplayIdentical), t(Text::FingerprintWord), r.recomputed.sha256);
        return ExitCode::SUCCESS;
    }
    outln!("{} {}", t(Text::ReplayDifferentFrom), path.display());
    if let Some(e) = &edited {
        outln!("{e}");
    }
    let changed = r.changed_inputs();
    if changed.is_empty() {
        outln!("{}: {} ({} {})", t(Text::ReplayInputs), t(Text::ReplayIdentical), t(Text::FingerprintWord), r.recomputed.sha256);
    } else {
        let short = |s: &str| s.chars().take(12).collect::<String>();
        outln!(
            "{}: {} {} ({} {} → {} {})",
            t(Text::ReplayInputs),
            changed.join(", "),
            t(Text::ReplayInputsChanged),
            t(Text::ReplayArchived),
            short(&r.archived.sha256),
            t(Text::ReplayRecomputed),
            short(&r.recomputed.sha256)
        );
    }
    for d in &r.differences {
        outln!("  {d}");
    }
    outln!("{} {}", r.differences.len(), t(Text::ReplayDifferences));
    ExitCode::FAILURE
}
