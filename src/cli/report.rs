//! `parindex report`: the year's views as one self-contained, printable HTML file.

use std::path::Path;
use std::process::ExitCode;

use maud::html;
use parindex::audit::archive::write_atomic;
use parindex::lang::{Lang, Text};
use parindex::report::page::{document, indicators_view, tables_view, targets_view, time, unit_view, HistoryRow, Mode};
use parindex::score::ruleset::unit_refs;

use super::*;

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum ReportFormat {
    Html,
}

pub(crate) fn report(root: &Path, year: u16, _format: ReportFormat, out: &Path, lang: Lang) -> ExitCode {
    if let Err(code) = out_is(out, &["html", "htm"], "an HTML file") {
        return code;
    }
    let s = match load(root, year) {
        Ok(s) => s,
        Err(diags) => {
            print_diags_in(&diags, DiagFormat::Text, lang);
            return ExitCode::FAILURE;
        }
    };
    let (set, _) = parindex::input::targets::load_targets(root, year);
    let targets = (!set.targets.is_empty() && set.indicators_year == year)
        .then(|| parindex::input::targets::evaluate(&set, &s.rule_set.indicators, &unit_refs(&s.rule_set.model)));
    let t = |x: Text| x.get(lang);
    let fingerprint = s.report.fingerprint.sha256.as_str();
    let header = html! {
        p.muted { (t(Text::ReportGenerated)) " " (env!("CARGO_PKG_VERSION")) ", " (time(s.loaded_at())) " · " (t(Text::Fingerprint)) " " code { (fingerprint) } }
    };
    let body = html! {
        (tables_view(&s.report, &s.rule_set, lang, Mode::Print))
        @for row in &s.report.units {
            @let e = parindex::audit::explain::explain(&s.rule_set, &s.outcome, row.unit).to_json();
            @let history: Vec<HistoryRow> = row.previous.iter().map(|p| HistoryRow { year: p.year, index: p.index.to_string(), rank: p.rank, source: "previous.toml".into() })
                .chain(std::iter::once(HistoryRow { year, index: row.index.to_string(), rank: row.rank, source: String::new() })).collect();
            (unit_view(&e, row, &history, lang, Mode::Print))
        }
        @if targets.is_some() {
            section.break { (targets_view(targets.as_ref(), lang)) }
        }
        section.break { (indicators_view(&s.rule_set.indicators, &s.rule_set.model, lang)) }
    };
    let html = document(lang, Mode::Print, &s.report.name, fingerprint, header, body).into_string();
    match write_atomic(out, |w| w.write_all(html.as_bytes())) {
        Ok(()) => {
            eoutln!("{} {}", t(Text::Wrote), out.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eoutln!("error: {} {}: {e}", t(Text::CannotWrite), out.display());
            ExitCode::FAILURE
        }
    }
}
