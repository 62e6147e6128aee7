//! `parindex test`: the expectations of the fixtures.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use parindex::audit::expect;

use super::*;

pub(crate) fn test(root: &Path, only: Option<u16>) -> ExitCode {
    let years = match only {
        Some(y) => vec![y],
        None => expect::years_with_expectations(root),
    };
    let (mut passed, mut failed) = (0, 0);
    for year in years {
        let loaded = load(root, year);
        let sources = loaded.as_ref().ok().map(|s| Arc::clone(&s.rule_set.sources));
        let run = loaded.and_then(|s| expect::run_expectations(&s.rule_set, &s.outcome, &s.report));
        match run {
            Ok(run) => {
                passed += run.passed;
                failed += run.failures.len();
                println!("{year}: {} passed, {} failed", run.passed, run.failures.len());
                if !run.failures.is_empty() {
                    print!("{}", check::rendered(&run.failures, sources.as_deref(), false));
                }
            }
            Err(diags) => {
                failed += 1;
                println!("{year}: cannot be scored");
                print!("{}", check::rendered(&diags, None, false));
            }
        }
    }
    println!("{passed} passed, {failed} failed");
    exit(failed == 0)
}
