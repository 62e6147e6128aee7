//! `parindex explain`: where each point of a unit came from.

use std::path::Path;
use std::process::ExitCode;

use super::*;

pub(crate) fn explain(root: &Path, year: u16, unit: &str, format: DiagFormat) -> ExitCode {
    let s = match load_or_fail(root, year) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let Some(u) = s.rule_set.model.find_unit(unit) else {
        let ids = s.rule_set.model.units.iter().flat_map(|u| std::iter::once(u.id.as_str()).chain(std::iter::once(u.name.as_str())));
        let hint = parindex::diag::did_you_mean(unit, ids).map(|c| format!("; did you mean `{c}`?")).unwrap_or_default();
        eoutln!("error[UNKNOWN_UNIT]: no unit `{unit}` in {year}{hint}");
        return ExitCode::FAILURE;
    };
    let mut e = parindex::audit::explain::explain(&s.rule_set, &s.outcome, u);
    // Beside the previous year's archived result, when there is one.
    if let (Some(py), Some(row)) = (s.rule_set.model.previous_year, s.report.units.iter().find(|r| r.unit == u)) {
        if let Ok(previous) = parindex::audit::archive::read(&parindex::audit::archive::archive_path(root, py)) {
            e.year_on_year = parindex::audit::explain::year_on_year(row, &previous, &format!("results/{py}.json"));
        }
    }
    match format {
        DiagFormat::Text => out!("{}", e.to_text_in(text_lang())),
        DiagFormat::Json => out!("{}", json_text(&e.to_json())),
    }
    ExitCode::SUCCESS
}
