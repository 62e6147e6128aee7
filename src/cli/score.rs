//! `parindex score`: the year's tables, and the archive.

use std::path::Path;
use std::process::ExitCode;

use parindex::audit::archive;
use parindex::live::engine::Snapshot;

use super::*;

/// What `score` writes, besides the year.
pub(crate) struct ScoreArgs {
    pub format: Format,
    pub archive: bool,
    pub force: bool,
    /// `None`: the plain locale, as not asked for.
    pub locale: Option<parindex::report::CsvLocale>,
    /// One line of JSON instead of indented JSON.
    pub compact: bool,
    /// Score the state after this appraisal round.
    pub round: Option<usize>,
}

pub(crate) fn score(root: &Path, year: u16, args: ScoreArgs) -> ExitCode {
    if args.compact && !matches!(args.format, Format::Json) {
        eoutln!("error: --compact applies to --format json only");
        return ExitCode::from(2);
    }
    if args.locale.is_some() && !matches!(args.format, Format::Csv) {
        eoutln!("error: --csv-locale applies to --format csv only");
        return ExitCode::from(2);
    }
    let loading = progress::Progress::spinner("reading data", progress::wanted(matches!(args.format, Format::Json)));
    if args.round.is_none() && !args.archive && matches!(args.format, Format::Json) {
        return score_streamed(root, year, args.compact, loading);
    }
    let loaded = match args.round {
        None => load_shown(root, year, &loading),
        Some(n) => load_round(root, year, n, &loading),
    };
    loading.finish();
    let s = match loaded {
        Ok(s) => s,
        Err(diags) => {
            print_diags(&diags, DiagFormat::Text);
            return ExitCode::FAILURE;
        }
    };
    if let (Some(n), Some(a)) = (args.round, s.rule_set.model.appraisal.as_ref()) {
        let what = match n.checked_sub(1).and_then(|r| a.rounds.get(r)) {
            Some(r) => format!("round {n} of {} ({} – {})", a.rounds.len(), r.from, r.to),
            None => "round 0: the units' self-assessment".to_string(),
        };
        eoutln!("scored at appraisal {what}, not the council's final points");
        if matches!(args.format, Format::Json) {
            let mut v = serde_json::to_value(&s.report).unwrap_or_default();
            if let Some(o) = v.as_object_mut() {
                o.insert("round".into(), serde_json::Value::from(n));
            }
            emit_json(&v, args.compact);
            return ExitCode::SUCCESS;
        }
    }
    // Warnings do not stop the results; they are told on stderr.
    if !s.rule_set.warnings.is_empty() {
        check::show(&s.rule_set.warnings, Some(&s.rule_set.sources), DiagFormat::Text, true);
    }
    let code = write_scores(&s, &args);
    // The process ends here: its memory goes back whole, without freeing a
    // national year's results piece by piece.
    std::mem::forget(s);
    code
}

/// `score --format json` without the archive: the report's rows are made
/// a block at a time as they are written, never all held (a national year
/// has a million), the bytes those of the whole report.
fn score_streamed(root: &Path, year: u16, compact: bool, loading: progress::Progress) -> ExitCode {
    use parindex::score::ruleset::RuleSet;
    let scored = RuleSet::load_own(root, year, year).and_then(|rs| {
        loading.set_message("scoring");
        let outcome = parindex::score::eval::evaluate(&rs)?;
        Ok((rs, outcome))
    });
    loading.finish();
    let (rs, outcome) = match scored {
        Ok(s) => s,
        Err(diags) => {
            print_diags(&diags, DiagFormat::Text);
            return ExitCode::FAILURE;
        }
    };
    if !rs.warnings.is_empty() {
        check::show(&rs.warnings, Some(&rs.sources), DiagFormat::Text, true);
    }
    let stream = parindex::report::ReportStream::new(&rs, &outcome);
    emit_json_with(|out| stream.write_json(out, !compact));
    // The process ends here: its memory goes back whole.
    std::mem::forget((rs, outcome));
    ExitCode::SUCCESS
}

/// The year scored at appraisal round `n`: refused when the rounds disagree with the council's points.
pub(crate) fn load_round(root: &Path, year: u16, n: usize, progress: &progress::Progress) -> Result<Snapshot, Diagnostics> {
    use parindex::score::ruleset::RuleSet;
    progress.set_message("reading data");
    let rs = RuleSet::load_own(root, year, year)?;
    if !rs.model.consistency.0.is_empty() {
        return Err(rs.model.consistency.clone());
    }
    let rs = parindex::score::round::at_round(rs, n).map_err(|d| Diagnostics(vec![d]))?;
    progress.set_message("scoring");
    Snapshot::from_rule_set(rs, 1)
}

fn write_scores(s: &Snapshot, args: &ScoreArgs) -> ExitCode {
    let writing = progress::writing(matches!(args.format, Format::Json));
    match args.format {
        Format::Table => out!("{}", s.report.to_table(&s.rule_set)),
        Format::Json => emit_json(&s.report, args.compact),
        Format::Csv => out!("{}", s.report.to_csv_with(&s.rule_set, args.locale.unwrap_or(parindex::report::CsvLocale::Plain))),
    }
    writing.finish();
    if !args.archive {
        return ExitCode::SUCCESS;
    }
    let doc = archive::Archive::new(&s.rule_set, &s.outcome, &s.report);
    match archive::write(&s.rule_set, &doc, args.force) {
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
