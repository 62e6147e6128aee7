//! `parindex export`: the year's results as the officials' workbook.

use std::path::Path;
use std::process::ExitCode;

use parindex::audit::archive::write_atomic;
use parindex::report::xlsx;

use super::*;

pub(crate) fn export(root: &Path, year: u16, format: ExportFormat, out: &Path) -> ExitCode {
    let s = match load(root, year) {
        Ok(s) => s,
        Err(diags) => {
            print_diags(&diags, DiagFormat::Text);
            return ExitCode::FAILURE;
        }
    };
    if !s.rule_set.warnings.is_empty() {
        print_diags(&s.rule_set.warnings, DiagFormat::Text);
    }
    let bytes = match format {
        ExportFormat::Xlsx => xlsx::workbook(&s.rule_set, &s.outcome, &s.report),
    };
    let bytes = match bytes {
        Ok(b) => b,
        Err(e) => {
            eoutln!("error: cannot make the workbook: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(e) = write_atomic(out, |w| w.write_all(&bytes)) {
        eoutln!("error: cannot write `{}`: {e}", out.display());
        return ExitCode::FAILURE;
    }
    eoutln!("wrote {} (fingerprint {})", out.display(), s.rule_set.fingerprint.sha256);
    ExitCode::SUCCESS
}
