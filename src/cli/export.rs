//! `parindex export`: the year's results as the officials' workbook.

use std::path::Path;
use std::process::ExitCode;

use parindex::report::xlsx;

use super::*;

pub(crate) fn export(root: &Path, year: u16, format: ExportFormat, out: &Path) -> ExitCode {
    if let Err(code) = out_is(out, &["xlsx"], "an Excel workbook") {
        return code;
    }
    let s = match load_or_fail(root, year) {
        Ok(s) => s,
        Err(code) => return code,
    };
    if !s.rule_set.warnings.is_empty() {
        print_diags(&s.rule_set.warnings, DiagFormat::Text);
    }
    let made = match format {
        ExportFormat::Xlsx => xlsx::workbook(&s.rule_set, &s.outcome, &s.report),
    };
    if let Err(code) = write_made(out, made) {
        return code;
    }
    eoutln!("wrote {} (fingerprint {})", out.display(), s.rule_set.fingerprint.sha256);
    ExitCode::SUCCESS
}
