//! `parindex new-year`: next year's criteria, rules and data made from this year's.

use std::path::Path;
use std::process::ExitCode;

use parindex::audit::new_year::{new_year as make, NewYearError};

use super::*;

pub(crate) fn new_year(root: &Path, year: u16, from: u16, format: DiagFormat) -> ExitCode {
    match make(root, year, from) {
        Ok(made) => {
            match format {
                DiagFormat::Text => {
                    outln!("made {year} from {from}: {}", made.created.join(", "));
                    outln!(
                        "previous results: fixtures/{year}/previous.toml from results/{from}.json (fingerprint {})",
                        made.previous_fingerprint
                    );
                    outln!("\nto do before {year} can be scored:");
                    for (i, step) in made.checklist.iter().enumerate() {
                        outln!("  {}. {step}", i + 1);
                    }
                }
                DiagFormat::Json => out!("{}", json_text(&serde_json::to_value(&made).unwrap_or_default())),
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eoutln!("error: {e}");
            if let NewYearError::Invalid { diagnostics, .. } = &e {
                print_diags(diagnostics, DiagFormat::Text);
            }
            ExitCode::FAILURE
        }
    }
}
