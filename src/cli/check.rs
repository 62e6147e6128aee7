//! `parindex check`: every problem of a year's files.

use std::path::Path;
use std::process::ExitCode;

use super::*;

pub(crate) fn check(root: &Path, year: u16, format: DiagFormat) -> ExitCode {
    // A sealed year's changed files first: they explain any other difference.
    let mut diags = parindex::audit::seal::check_sealed(root, year);
    diags.extend(match load(root, year) {
        Ok(s) => s.rule_set.warnings,
        Err(d) => d,
    });
    diags.extend(parindex::input::stats::load_statistics(root, year).1);
    diags.extend(parindex::input::targets::load_targets(root, year).1);
    print_diags(&diags, format);
    let errors = diags.errors().count();
    eoutln!("{}", parindex::diag::totals(errors, diags.len() - errors, text_lang()));
    exit(errors == 0)
}
