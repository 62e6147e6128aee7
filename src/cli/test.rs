//! `parindex test`: the expectations of the fixtures.

use std::path::Path;
use std::process::ExitCode;

use parindex::audit::{expect, published};

use super::*;

pub(crate) fn test(root: &Path, only: Option<u16>) -> ExitCode {
    let years = match only {
        Some(y) => vec![y],
        None => expect::years_with_expectations(root),
    };
    let (mut passed, mut failed) = (0, 0);
    for year in years {
        let run = load(root, year).and_then(|s| {
            let mut run = expect::run_expectations(&s.rule_set, &s.outcome, &s.report)?;
            published::add_to(&mut run, &s.rule_set, &s.outcome)?;
            Ok(run)
        });
        match run {
            Ok(run) => {
                passed += run.passed;
                failed += run.failures.len();
                println!("{year}: {} passed, {} failed", run.passed, run.failures.len());
                for note in &run.notes {
                    println!("{year}: {note}");
                }
                if !run.failures.is_empty() {
                    print!("{}", run.failures);
                }
            }
            Err(diags) => {
                failed += 1;
                println!("{year}: cannot be scored");
                print!("{diags}");
            }
        }
    }
    println!("{passed} passed, {failed} failed");
    exit(failed == 0)
}
