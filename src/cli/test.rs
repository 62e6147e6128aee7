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
    if years.is_empty() {
        eoutln!("error[NO_EXPECTATIONS]: no expectations to run: no `fixtures/<year>/expected*.toml` under `{}`", root.display());
        return ExitCode::FAILURE;
    }
    let t = |x: Text| x.get(text_lang());
    let (mut passed, mut failed) = (0, 0);
    for year in years {
        let s = match load(root, year) {
            Ok(s) => s,
            Err(diags) => {
                failed += 1;
                outln!("{year}: {}", t(Text::TestCannotBeScored));
                out!("{}", check::rendered(&diags, None, false));
                continue;
            }
        };
        let run = expect::run_expectations(&s.rule_set, &s.outcome, &s.report).and_then(|mut run| {
            published::add_to(&mut run, &s.rule_set, &s.outcome)?;
            Ok(run)
        });
        match run {
            Ok(run) => {
                passed += run.passed;
                failed += run.failures.len();
                outln!("{year}: {} {}, {} {}", run.passed, t(Text::TestPassed), run.failures.len(), t(Text::TestFailed));
                for note in &run.notes {
                    outln!("{year}: {note}");
                }
                if !run.failures.is_empty() {
                    out!("{}", check::rendered(&run.failures, Some(&s.rule_set.sources), false));
                }
            }
            Err(diags) => {
                failed += 1;
                outln!("{year}: {}", t(Text::TestCannotRun));
                out!("{}", check::rendered(&diags, Some(&s.rule_set.sources), false));
            }
        }
    }
    outln!("{passed} {}, {failed} {}", t(Text::TestPassed), t(Text::TestFailed));
    exit(failed == 0)
}
