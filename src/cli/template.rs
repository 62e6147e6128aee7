//! `parindex template`: the council's scoring workbook of a year.

use std::path::Path;
use std::process::ExitCode;

use parindex::report::template;

use super::*;

pub(crate) fn template(root: &Path, year: u16, out: &Path) -> ExitCode {
    if let Err(code) = out_is(out, &["xlsx"], "an Excel workbook") {
        return code;
    }
    let s = match load_or_fail(root, year) {
        Ok(s) => s,
        Err(code) => return code,
    };
    if let Err(code) = write_made(out, template::template(&s.rule_set)) {
        return code;
    }
    eoutln!("wrote {}", out.display());
    ExitCode::SUCCESS
}
