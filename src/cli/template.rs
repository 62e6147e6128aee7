//! `parindex template`: the council's scoring workbook of a year.

use std::path::Path;
use std::process::ExitCode;

use parindex::audit::archive::write_atomic;
use parindex::report::template;

use super::*;

pub(crate) fn template(root: &Path, year: u16, out: &Path) -> ExitCode {
    let s = match load(root, year) {
        Ok(s) => s,
        Err(diags) => {
            print_diags(&diags, DiagFormat::Text);
            return ExitCode::FAILURE;
        }
    };
    let bytes = match template::template(&s.rule_set) {
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
    eoutln!("wrote {}", out.display());
    ExitCode::SUCCESS
}
