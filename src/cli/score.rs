//! `parindex score`: the year's tables, and the archive.

use std::path::Path;
use std::process::ExitCode;

use parindex::audit::archive;
use parindex::live::engine::Snapshot;

use super::*;

pub(crate) fn score(root: &Path, year: u16, format: Format, archive: bool, force: bool, locale: parindex::report::CsvLocale) -> ExitCode {
    let s = match load(root, year) {
        Ok(s) => s,
        Err(diags) => {
            print_diags(&diags, DiagFormat::Text);
            return ExitCode::FAILURE;
        }
    };
    // Warnings do not stop the results; they are told on stderr.
    if !s.rule_set.warnings.is_empty() {
        check::show(&s.rule_set.warnings, Some(&s.rule_set.sources), DiagFormat::Text, true);
    }
    let code = write_scores(&s, format, archive, force, locale);
    // The process ends here: its memory goes back whole, without freeing a
    // national year's results piece by piece.
    std::mem::forget(s);
    code
}

fn write_scores(s: &Snapshot, format: Format, archive: bool, force: bool, locale: parindex::report::CsvLocale) -> ExitCode {
    match format {
        Format::Table => out!("{}", s.report.to_table(&s.rule_set)),
        Format::Json => out!("{}\n", serde_json::to_string_pretty(&s.report).unwrap_or_default()),
        Format::Csv => out!("{}", s.report.to_csv_with(&s.rule_set, locale)),
    }
    if !archive {
        return ExitCode::SUCCESS;
    }
    let doc = archive::Archive::new(&s.rule_set, &s.outcome, &s.report);
    match archive::write(&s.rule_set, &doc, force) {
        Ok(archive::Archived::Written(p)) => eoutln!("archived to {} (fingerprint {})", p.display(), s.rule_set.fingerprint.sha256),
        Ok(archive::Archived::Unchanged(p)) => {
            eoutln!("{} already holds this result (fingerprint {})", p.display(), s.rule_set.fingerprint.sha256)
        }
        Err(e) => {
            eoutln!("error: {e}");
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}
