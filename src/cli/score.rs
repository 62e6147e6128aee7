//! `parindex score`: the year's tables, and the archive.

use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;

use parindex::audit::archive;
use parindex::live::engine::Snapshot;

use super::*;

pub(crate) fn score(root: &Path, year: u16, format: Format, archive: bool, force: bool) -> ExitCode {
    let s = match load(root, year) {
        Ok(s) => s,
        Err(diags) => {
            print_diags(&diags, DiagFormat::Text);
            return ExitCode::FAILURE;
        }
    };
    if !s.rule_set.warnings.is_empty() {
        check::show(&s.rule_set.warnings, Some(&s.rule_set.sources), DiagFormat::Text, true);
    }
    let code = write_scores(&s, format, archive, force);
    // The process ends here: its memory goes back whole, without freeing a
    // national year's results piece by piece.
    std::mem::forget(s);
    code
}

fn write_scores(s: &Snapshot, format: Format, archive: bool, force: bool) -> ExitCode {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let written = match format {
        Format::Table => out.write_all(s.report.to_table(&s.rule_set).as_bytes()),
        Format::Json => serde_json::to_writer_pretty(&mut out, &s.report).map_err(std::io::Error::from).and_then(|()| out.write_all(b"\n")),
        Format::Csv => out.write_all(s.report.to_csv(&s.rule_set).as_bytes()),
    };
    if let Err(e) = written.and_then(|()| out.flush()) {
        eprintln!("error: cannot write the result: {e}");
        return ExitCode::FAILURE;
    }
    drop(out);
    if !archive {
        return ExitCode::SUCCESS;
    }
    let doc = archive::archive_document(&s.rule_set, &s.outcome, &s.report);
    match archive::archive(&s.rule_set, &doc, force) {
        Ok(archive::Archived::Written(p)) => eprintln!("archived to {} (fingerprint {})", p.display(), s.rule_set.fingerprint.sha256),
        Ok(archive::Archived::Unchanged(p)) => {
            eprintln!("{} already holds this result (fingerprint {})", p.display(), s.rule_set.fingerprint.sha256)
        }
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}
