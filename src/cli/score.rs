//! `parindex score`: the year's tables, and the archive.

use std::path::Path;
use std::process::ExitCode;

use parindex::audit::archive;
use parindex::live::engine::Snapshot;

use super::*;

/// The options of `parindex score` beside the year and format.
pub(crate) struct ScoreArgs {
    pub archive: bool,
    pub force: bool,
    pub locale: parindex::report::CsvLocale,
    /// Score the state after this appraisal round.
    pub round: Option<usize>,
}

pub(crate) fn score(root: &Path, year: u16, format: Format, args: ScoreArgs) -> ExitCode {
    let ScoreArgs { archive, force, locale, round } = args;
    let loaded = match round {
        None => load(root, year),
        Some(n) => load_round(root, year, n),
    };
    let s = match loaded {
        Ok(s) => s,
        Err(diags) => {
            print_diags(&diags, DiagFormat::Text);
            return ExitCode::FAILURE;
        }
    };
    if let (Some(n), Some(a)) = (round, s.rule_set.model.appraisal.as_ref()) {
        let what = match n.checked_sub(1).and_then(|r| a.rounds.get(r)) {
            Some(r) => format!("round {n} of {} ({} – {})", a.rounds.len(), r.from, r.to),
            None => "round 0: the units' self-assessment".to_string(),
        };
        eoutln!("scored at appraisal {what}, not the council's final points");
        if format == Format::Json {
            let mut v = serde_json::to_value(&s.report).unwrap_or_default();
            if let Some(o) = v.as_object_mut() {
                o.insert("round".into(), serde_json::Value::from(n));
            }
            out!("{}", json_text(&v));
            return ExitCode::SUCCESS;
        }
    }
    // Warnings do not stop the results; they are told on stderr.
    if !s.rule_set.warnings.is_empty() {
        check::show(&s.rule_set.warnings, Some(&s.rule_set.sources), DiagFormat::Text, true);
    }
    let code = write_scores(&s, format, archive, force, locale);
    // The process ends here: its memory goes back whole, without freeing a
    // national year's results piece by piece.
    std::mem::forget(s);
    code
}

/// The year scored at appraisal round `n`.
pub(crate) fn load_round(root: &Path, year: u16, n: usize) -> Result<Snapshot, Diagnostics> {
    use parindex::formula::rules::Rules;
    use parindex::score::ruleset::RuleSet;
    let rs = RuleSet::load(root, year, &Rules::default())?;
    if !rs.model.consistency.0.is_empty() {
        return Err(rs.model.consistency.clone());
    }
    let rs = parindex::score::round::at_round(rs, n).map_err(|d| Diagnostics(vec![d]))?;
    Snapshot::from_rule_set(rs, 1)
}

fn write_scores(s: &Snapshot, format: Format, archive: bool, force: bool, locale: parindex::report::CsvLocale) -> ExitCode {
    match format {
        Format::Table => out!("{}", s.report.to_table(&s.rule_set)),
        Format::Json => out!("{}\n", serde_json::to_string_pretty(&s.report).unwrap_or_default()),
        Format::Csv => out!("{}", s.report.to_csv_with(&s.rule_set, locale)),
    }
    if !archive {
        return ExitCode::SUCCESS;
    }
    let doc = archive::Archive::new(&s.rule_set, &s.outcome, &s.report);
    match archive::write(&s.rule_set, &doc, force) {
        Ok(archive::Archived::Written(p)) => eoutln!("archived to {} (fingerprint {})", p.display(), s.rule_set.fingerprint.sha256),
        Ok(archive::Archived::Unchanged(p)) => {
            eoutln!("{} already holds this result (fingerprint {})", p.display(), s.rule_set.fingerprint.sha256)
        }
        Err(e) => {
            eoutln!("error: {e}");
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}
