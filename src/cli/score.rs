//! `parindex score`: the year's tables, and the archive.

use std::path::Path;
use std::process::ExitCode;

use parindex::audit::archive;
use parindex::live::engine::Snapshot;

use super::*;

/// What `score` writes, besides the year.
pub(crate) struct ScoreArgs {
    pub format: Format,
    pub archive: bool,
    pub force: bool,
    /// `None`: the plain locale, as not asked for.
    pub locale: Option<parindex::report::CsvLocale>,
    /// One line of JSON instead of indented JSON.
    pub compact: bool,
}

pub(crate) fn score(root: &Path, year: u16, args: ScoreArgs) -> ExitCode {
    if args.compact && !matches!(args.format, Format::Json) {
        eoutln!("error: --compact applies to --format json only");
        return ExitCode::from(2);
    }
    if args.locale.is_some() && !matches!(args.format, Format::Csv) {
        eoutln!("error: --csv-locale applies to --format csv only");
        return ExitCode::from(2);
    }
    let s = match load_or_fail(root, year) {
        Ok(s) => s,
        Err(code) => return code,
    };
    // Warnings do not stop the results; they are told on stderr.
    if !s.rule_set.warnings.is_empty() {
        check::show(&s.rule_set.warnings, Some(&s.rule_set.sources), DiagFormat::Text, true);
    }
    let code = write_scores(&s, &args);
    // The process ends here: its memory goes back whole, without freeing a
    // national year's results piece by piece.
    std::mem::forget(s);
    code
}

fn write_scores(s: &Snapshot, args: &ScoreArgs) -> ExitCode {
    match args.format {
        Format::Table => out!("{}", s.report.to_table(&s.rule_set)),
        Format::Json => emit_json(&s.report, args.compact),
        Format::Csv => out!("{}", s.report.to_csv_with(&s.rule_set, args.locale.unwrap_or(parindex::report::CsvLocale::Plain))),
    }
    if !args.archive {
        return ExitCode::SUCCESS;
    }
    let doc = archive::Archive::new(&s.rule_set, &s.outcome, &s.report);
    match archive::write(&s.rule_set, &doc, args.force) {
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
