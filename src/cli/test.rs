//! `parindex test`: the expectations of the fixtures.

use std::path::Path;
use std::process::ExitCode;

use parindex::audit::expect;

use super::*;

pub(crate) fn test(root: &Path, only: Option<u16>) -> ExitCode {
    let years = match only {
        Some(y) => vec![y],
        None => expect::years_with_expectations(root),
    };
    if years.is_empty() {
        eoutln!("error[NO_EXPECTATIONS]: no expectations to run: no `fixtures/<year>/expected*.toml` under `{}`", root.display());
        return ExitCode::FAILURE;
    }
    let (mut passed, mut failed) = (0, 0);
    for year in years {
        let s = match load(root, year) {
            Ok(s) => s,
            Err(diags) => {
                failed += 1;
                outln!("{year}: cannot be scored");
                out!("{}", check::rendered(&diags, None, false));
                continue;
            }
        };
        match expect::run_expectations(&s.rule_set, &s.outcome, &s.report) {
            Ok(run) => {
                passed += run.passed;
                failed += run.failures.len();
                outln!("{year}: {} passed, {} failed", run.passed, run.failures.len());
                if !run.failures.is_empty() {
                    out!("{}", check::rendered(&run.failures, Some(&s.rule_set.sources), false));
                }
            }
            Err(diags) => {
                failed += 1;
                outln!("{year}: the expectations cannot be run");
                out!("{}", check::rendered(&diags, Some(&s.rule_set.sources), false));
            }
        }
    }
    outln!("{passed} passed, {failed} failed");
    exit(failed == 0)
}
