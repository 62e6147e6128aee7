//! `parindex targets`: targets against indicator data.

use std::path::Path;
use std::process::ExitCode;

use parindex::score::ruleset::unit_refs;
use parindex::score::ruleset::RuleSet;

use super::*;

pub(crate) fn targets(root: &Path, year: u16, format: Format) -> ExitCode {
    let (set, mut diags) = parindex::input::targets::load_targets(root, year);
    if diags.has_errors() {
        print_diags(&diags, DiagFormat::Text);
        return ExitCode::FAILURE;
    }
    if set.targets.is_empty() {
        eoutln!("error: no targets for {year}: expected `criteria/{year}/targets.toml`");
        return ExitCode::FAILURE;
    }
    // Targets are measured on the indicator data of `indicators_year`, with that year's units.
    let data_year = set.indicators_year;
    let rs = match RuleSet::load_own(root, data_year, data_year) {
        Ok(rs) => rs,
        Err(d) => {
            eoutln!("the data of {data_year} cannot be loaded:");
            print_diags(&d, DiagFormat::Text);
            return ExitCode::FAILURE;
        }
    };
    let report = parindex::input::targets::evaluate(&set, &rs.indicators, &unit_refs(&rs.model));
    diags.extend(report.diagnostics.clone());
    match format {
        Format::Table => out!("{}", report.to_table()),
        Format::Json => out!("{}", json_text(&report.to_json())),
        Format::Csv => out!("{}", report.to_csv()),
    }
    if !diags.is_empty() {
        print_diags(&diags, DiagFormat::Text);
    }
    ExitCode::SUCCESS
}
