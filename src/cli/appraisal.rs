//! `parindex appraisal` and `parindex survey`: the scoring round's reports.

use std::path::Path;
use std::process::ExitCode;

use parindex::audit::appraisal;

use super::*;

fn loaded(root: &Path, year: u16) -> Option<Snapshot> {
    match load(root, year) {
        Ok(s) => consistent(s),
        Err(diags) => {
            print_diags(&diags, DiagFormat::Text);
            None
        }
    }
}

/// `s`, unless its rounds or questionnaires disagree with the council's points: then those errors are printed.
pub(crate) fn consistent(s: Snapshot) -> Option<Snapshot> {
    let c = &s.rule_set.model.consistency;
    if c.0.is_empty() {
        return Some(s);
    }
    check::show(c, Some(&s.rule_set.sources), DiagFormat::Text, true);
    None
}

pub(crate) fn appraisal(root: &Path, year: u16, unit: Option<&str>, format: Format) -> ExitCode {
    let Some(s) = loaded(root, year) else { return ExitCode::FAILURE };
    let m = &s.rule_set.model;
    if m.appraisal.is_none() {
        eoutln!(
            "error[UNKNOWN_ROUND]: {year} has no self-assessment or appraisal rounds (fixtures/{year}/self-assessment.toml, rounds.toml)"
        );
        return ExitCode::FAILURE;
    }
    let lang = text_lang();
    match unit {
        Some(key) => {
            let Some(u) = m.find_unit(key) else {
                let ids = m.units.iter().flat_map(|u| [u.id.as_str(), u.name.as_str()]);
                let hint = parindex::diag::did_you_mean(key, ids).map(|c| format!("; did you mean `{c}`?")).unwrap_or_default();
                eoutln!("error[UNKNOWN_UNIT]: no unit `{key}` in {year}{hint}");
                return ExitCode::FAILURE;
            };
            let Some(r) = appraisal::record(m, u) else { return ExitCode::FAILURE };
            match format {
                Format::Table => out!("{}", r.to_text(lang)),
                Format::Json => out!("{}", json_text(&serde_json::to_value(&r).unwrap_or_default())),
                Format::Csv => out!("{}", r.to_csv()),
            }
        }
        None => {
            let Some(c) = appraisal::council(m) else { return ExitCode::FAILURE };
            match format {
                Format::Table => out!("{}", c.to_text(lang)),
                Format::Json => out!("{}", json_text(&serde_json::to_value(&c).unwrap_or_default())),
                Format::Csv => out!("{}", c.to_csv()),
            }
        }
    }
    ExitCode::SUCCESS
}

pub(crate) fn survey(root: &Path, year: u16, format: Format) -> ExitCode {
    let Some(s) = loaded(root, year) else { return ExitCode::FAILURE };
    let Some(r) = appraisal::survey(&s.rule_set.model) else {
        eoutln!("error[UNKNOWN_REFERENCE]: {year} has no survey questionnaires (fixtures/{year}/survey.toml)");
        return ExitCode::FAILURE;
    };
    // A unit below the minimum is a warning of the load: told on stderr.
    if !s.rule_set.warnings.is_empty() {
        let few = parindex::diag::Diagnostics(
            s.rule_set.warnings.0.iter().filter(|d| d.code == parindex::diag::Code::SurveyFewResponses).cloned().collect(),
        );
        if !few.0.is_empty() {
            check::show(&few, Some(&s.rule_set.sources), DiagFormat::Text, true);
        }
    }
    match format {
        Format::Table => out!("{}", r.to_text(text_lang())),
        Format::Json => out!("{}", json_text(&serde_json::to_value(&r).unwrap_or_default())),
        Format::Csv => out!("{}", r.to_csv()),
    }
    ExitCode::SUCCESS
}
