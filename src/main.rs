//! The `parindex` command line: presentation and exit codes over the library.

#![forbid(unsafe_code)]

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use parindex::audit::{archive, expect};
use parindex::diag::Diagnostics;
use parindex::formula::rules::Rules;
use parindex::live::engine::Snapshot;
use parindex::score::ruleset::unit_refs;
use parindex::score::ruleset::RuleSet;
use std::path::Path;

#[derive(Parser)]
#[command(name = "parindex", version, about = "Scores government units on the Public Administration Reform (PAR) index")]
struct Cli {
    /// Folder holding `criteria/`, `rules/` and `fixtures/`.
    #[arg(long, global = true, default_value = ".")]
    root: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Table,
    Json,
    Csv,
}

#[derive(Clone, Copy, ValueEnum)]
enum DiagFormat {
    Text,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Score every unit of a year and print the tables.
    Score {
        #[arg(long)]
        year: u16,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
        /// Also write the result to `results/<year>.json` (atomically).
        #[arg(long)]
        archive: bool,
        /// With --archive: replace a different archived result.
        #[arg(long, requires = "archive")]
        force: bool,
    },
    /// Validate a year's criteria, rules and data, and the consistency checks of its statistics; print every problem found.
    Check {
        #[arg(long)]
        year: u16,
        #[arg(long, value_enum, default_value = "text")]
        format: DiagFormat,
    },
    /// Explain a unit's result: every criterion, its data, rule, points or exemption, and how the index was computed.
    Explain {
        #[arg(long)]
        year: u16,
        /// Unit id, name or alias.
        #[arg(long)]
        unit: String,
        #[arg(long, value_enum, default_value = "text")]
        format: DiagFormat,
    },
    /// Recompute an archived year and compare it with `results/<year>.json`.
    Replay {
        #[arg(long)]
        year: u16,
    },
    /// What changed between two years' rule sets.
    Diff {
        from: u16,
        to: u16,
        /// Also score this year's data under both rule sets, side by side.
        #[arg(long)]
        data: Option<u16>,
        #[arg(long, value_enum, default_value = "text")]
        format: DiagFormat,
    },
    /// Run every expectation of `fixtures/*/expected*.toml`.
    Test {
        /// Only this year.
        #[arg(long)]
        year: Option<u16>,
    },
    /// Targets of a year: per unit and target, met or not and by how far.
    Targets {
        #[arg(long)]
        year: u16,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Score a year, then rescore it whenever its files change; invalid edits are reported and never served.
    Watch {
        #[arg(long)]
        year: u16,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
        /// Poll the files instead of waiting for file events (for file systems that send none).
        #[arg(long)]
        poll: bool,
        /// Quiet time after the last change before rescoring.
        #[arg(long, default_value_t = 200)]
        debounce_ms: u64,
    },
}

fn print_diags(diags: &Diagnostics, format: DiagFormat) {
    let mut err = std::io::stderr().lock();
    match format {
        DiagFormat::Text => {
            let _ = write!(err, "{diags}");
        }
        DiagFormat::Json => {
            let _ = writeln!(err, "{}", serde_json::to_string_pretty(diags).unwrap_or_default());
        }
    }
}

fn json_text(v: &serde_json::Value) -> String {
    format!("{}\n", serde_json::to_string_pretty(v).unwrap_or_default())
}

fn exit(ok: bool) -> ExitCode {
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn load(root: &Path, year: u16) -> Result<Snapshot, Diagnostics> {
    load_with(root, year, year)
}

/// The criteria of `year` with the data of `data_year`, loaded and evaluated.
fn load_with(root: &Path, year: u16, data_year: u16) -> Result<Snapshot, Diagnostics> {
    Snapshot::from_rule_set(RuleSet::load_with(root, year, data_year, &Rules::default())?, 1)
}

fn score(root: &Path, year: u16, format: Format, archive: bool, force: bool) -> ExitCode {
    let s = match load(root, year) {
        Ok(s) => s,
        Err(diags) => {
            print_diags(&diags, DiagFormat::Text);
            return ExitCode::FAILURE;
        }
    };
    let code = write_scores(&s, format, archive, force);
    // The process ends here: its memory goes back whole, without freeing a
    // national year's results piece by piece.
    std::mem::forget(s);
    code
}

fn write_scores(s: &Snapshot, format: Format, archive: bool, force: bool) -> ExitCode {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let written = match format {
        Format::Table => out.write_all(s.report.to_table(&s.rule_set).as_bytes()),
        Format::Json => serde_json::to_writer_pretty(&mut out, &s.report).map_err(std::io::Error::from).and_then(|()| out.write_all(b"\n")),
        Format::Csv => out.write_all(s.report.to_csv(&s.rule_set).as_bytes()),
    };
    if let Err(e) = written.and_then(|()| out.flush()) {
        eprintln!("error: cannot write the result: {e}");
        return ExitCode::FAILURE;
    }
    drop(out);
    if !archive {
        return ExitCode::SUCCESS;
    }
    let doc = archive::archive_document(&s.rule_set, &s.outcome, &s.report);
    match archive::archive(&s.rule_set, &doc, force) {
        Ok(archive::Archived::Written(p)) => eprintln!("archived to {} (fingerprint {})", p.display(), s.rule_set.fingerprint.sha256),
        Ok(archive::Archived::Unchanged(p)) => {
            eprintln!("{} already holds this result (fingerprint {})", p.display(), s.rule_set.fingerprint.sha256)
        }
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}

fn check(root: &Path, year: u16, format: DiagFormat) -> ExitCode {
    let mut diags = match load(root, year) {
        Ok(s) => s.rule_set.warnings,
        Err(d) => d,
    };
    diags.extend(parindex::input::stats::load_statistics(root, year).1);
    diags.extend(parindex::input::targets::load_targets(root, year).1);
    print_diags(&diags, format);
    let errors = diags.errors().count();
    eprintln!("{errors} errors, {} warnings", diags.len() - errors);
    exit(errors == 0)
}

fn explain(root: &Path, year: u16, unit: &str, format: DiagFormat) -> ExitCode {
    let s = match load(root, year) {
        Ok(s) => s,
        Err(diags) => {
            print_diags(&diags, DiagFormat::Text);
            return ExitCode::FAILURE;
        }
    };
    let Some(u) = s.rule_set.model.find_unit(unit) else {
        let ids = s.rule_set.model.units.iter().flat_map(|u| std::iter::once(u.id.as_str()).chain(std::iter::once(u.name.as_str())));
        let hint = parindex::diag::did_you_mean(unit, ids).map(|c| format!("; did you mean `{c}`?")).unwrap_or_default();
        eprintln!("error[UNKNOWN_UNIT]: no unit `{unit}` in {year}{hint}");
        return ExitCode::FAILURE;
    };
    let e = parindex::audit::explain::explain(&s.rule_set, &s.outcome, u);
    match format {
        DiagFormat::Text => print!("{}", e.to_text()),
        DiagFormat::Json => print!("{}", json_text(&e.to_json())),
    }
    ExitCode::SUCCESS
}

fn replay(root: &Path, year: u16) -> ExitCode {
    let path = archive::archive_path(root, year);
    let archived: serde_json::Value = match std::fs::read_to_string(&path).map(|t| serde_json::from_str(&t)) {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => {
            eprintln!("error: `{}` is not a valid archive: {e}", path.display());
            return ExitCode::FAILURE;
        }
        Err(e) => {
            eprintln!("error: cannot read `{}`: {e}; archive it first with `parindex score --year {year} --archive`", path.display());
            return ExitCode::FAILURE;
        }
    };
    let s = match load(root, year) {
        Ok(s) => s,
        Err(diags) => {
            print_diags(&diags, DiagFormat::Text);
            eprintln!("the year cannot be recomputed: its files have errors");
            return ExitCode::FAILURE;
        }
    };
    let fresh = archive::archive_document(&s.rule_set, &s.outcome, &s.report);
    let r = archive::replay(&archived, &fresh);
    if r.identical() {
        println!("identical (fingerprint {})", r.recomputed.sha256);
        return ExitCode::SUCCESS;
    }
    println!("different from {}", path.display());
    let changed = r.changed_inputs();
    if changed.is_empty() {
        println!("inputs: identical (fingerprint {})", r.recomputed.sha256);
    } else {
        println!("inputs: {} changed (archived {} → recomputed {})", changed.join(", "), r.archived.short(), r.recomputed.short());
    }
    for d in &r.differences {
        println!("  {} {}: archived {} → recomputed {}", d.unit, d.what, d.archived, d.recomputed);
    }
    println!("{} differences", r.differences.len());
    ExitCode::FAILURE
}

fn diff(root: &Path, from: u16, to: u16, data: Option<u16>, format: DiagFormat) -> ExitCode {
    let rules = Rules::default();
    let (a, b) = match (RuleSet::load(root, from, &rules), RuleSet::load(root, to, &rules)) {
        (Ok(a), Ok(b)) => (a, b),
        (a, b) => {
            for (y, r) in [(from, a.err()), (to, b.err())] {
                if let Some(d) = r {
                    eprintln!("the rule set of {y} has errors:");
                    print_diags(&d, DiagFormat::Text);
                }
            }
            return ExitCode::FAILURE;
        }
    };
    let (ta, _) = parindex::input::targets::load_targets(root, from);
    let (tb, _) = parindex::input::targets::load_targets(root, to);
    let d = parindex::audit::diff::diff(&a, &b, &ta, &tb);
    let side = data.map(|y| side_by_side(root, from, to, y));
    match format {
        DiagFormat::Text => {
            print!("{}", d.to_text());
            if let Some(text) = &side {
                print!("\n{}", text.0);
            }
        }
        DiagFormat::Json => {
            let mut v = serde_json::to_value(&d).unwrap_or_default();
            if let Some(text) = side {
                v["data"] = text.1;
            }
            print!("{}", json_text(&v));
        }
    }
    ExitCode::SUCCESS
}

/// One year's units scored under two rule sets: text and JSON.
fn side_by_side(root: &Path, from: u16, to: u16, data: u16) -> (String, serde_json::Value) {
    let mut text = format!("units of {data} scored under the rule sets of {from} and {to}:\n");
    let (a, b) = (load_with(root, from, data), load_with(root, to, data));
    let fail = |y: u16, d: &Diagnostics| {
        let units: std::collections::BTreeSet<&str> = d.errors().filter_map(|e| e.unit.as_deref()).collect();
        format!(
            "  the data of {data} cannot be scored under the rule set of {y}: {} errors{}; first: {}\n",
            d.errors().count(),
            if units.is_empty() { String::new() } else { format!(" for {} units", units.len()) },
            d.errors().next().map(|e| e.message.clone()).unwrap_or_default()
        )
    };
    let (a, b) = match (a, b) {
        (Ok(a), Ok(b)) => (a, b),
        (a, b) => {
            if let Err(d) = &a {
                text.push_str(&fail(from, d));
            }
            if let Err(d) = &b {
                text.push_str(&fail(to, d));
            }
            return (text.clone(), serde_json::json!({ "year": data, "error": text }));
        }
    };
    let b_rows: std::collections::HashMap<&str, &parindex::report::UnitRow> = b.report.units.iter().map(|u| (u.id.as_str(), u)).collect();
    let mut rows = Vec::new();
    let mut json_rows = Vec::new();
    for ua in &a.report.units {
        let Some(ub) = b_rows.get(ua.id.as_str()) else { continue };
        let moved = i64::from(ua.rank) - i64::from(ub.rank);
        let (adj_a, adj_b) = (a.outcome.units[ua.unit].adjusted, b.outcome.units[ub.unit].adjusted);
        rows.push(vec![
            ua.id.to_string(),
            ua.index.to_string(),
            ua.rank.to_string(),
            adj_a.to_string(),
            ub.index.to_string(),
            ub.rank.to_string(),
            adj_b.to_string(),
            format!("{moved:+}"),
        ]);
        json_rows.push(serde_json::json!({
            "id": ua.id,
            "from": { "group": ua.group, "total": ua.total, "scale": ua.scale, "index": ua.index, "rank": ua.rank, "adjusted": adj_a },
            "to": { "group": ub.group, "total": ub.total, "scale": ub.scale, "index": ub.index, "rank": ub.rank, "adjusted": adj_b },
            "rank_move": moved,
        }));
    }
    let header: Vec<String> = vec![
        "unit".into(),
        format!("index {from}"),
        format!("rank {from}"),
        "adj.".into(),
        format!("index {to}"),
        format!("rank {to}"),
        "adj.".into(),
        "rank move".into(),
    ];
    text.push_str(&parindex::report::align(&header, &rows));
    text.push_str(
        "ranks are within each year's ranking groups; adj.: what-if adjustments, i.e. criteria the data have nothing for \
         (left out of the unit's scale) and awarded points capped at a lower maximum\n",
    );
    (text, serde_json::json!({ "year": data, "units": json_rows }))
}

fn test(root: &Path, only: Option<u16>) -> ExitCode {
    let years = match only {
        Some(y) => vec![y],
        None => expect::years_with_expectations(root),
    };
    let (mut passed, mut failed) = (0, 0);
    for year in years {
        let run = load(root, year).and_then(|s| expect::run_expectations(&s.rule_set, &s.outcome, &s.report));
        match run {
            Ok(run) => {
                passed += run.passed;
                failed += run.failures.len();
                println!("{year}: {} passed, {} failed", run.passed, run.failures.len());
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

fn targets(root: &Path, year: u16, format: Format) -> ExitCode {
    let (set, mut diags) = parindex::input::targets::load_targets(root, year);
    if diags.has_errors() {
        print_diags(&diags, DiagFormat::Text);
        return ExitCode::FAILURE;
    }
    if set.targets.is_empty() {
        eprintln!("error: no targets for {year}: expected `criteria/{year}/targets.toml`");
        return ExitCode::FAILURE;
    }
    // Targets are measured on the indicator data of `indicators_year`, with that year's units.
    let data_year = set.indicators_year;
    let rs = match RuleSet::load(root, data_year, &Rules::default()) {
        Ok(rs) => rs,
        Err(d) => {
            eprintln!("the data of {data_year} cannot be loaded:");
            print_diags(&d, DiagFormat::Text);
            return ExitCode::FAILURE;
        }
    };
    let report = parindex::input::targets::evaluate(&set, &rs.indicators, &unit_refs(&rs.model));
    diags.extend(report.diagnostics.clone());
    match format {
        Format::Table => print!("{}", report.to_table()),
        Format::Json => print!("{}", json_text(&report.to_json())),
        Format::Csv => print!("{}", report.to_csv()),
    }
    if !diags.is_empty() {
        print_diags(&diags, DiagFormat::Text);
    }
    ExitCode::SUCCESS
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let root = cli.root.as_path();
    match cli.command {
        Command::Score { year, format, archive, force } => score(root, year, format, archive, force),
        Command::Check { year, format } => check(root, year, format),
        Command::Explain { year, unit, format } => explain(root, year, &unit, format),
        Command::Replay { year } => replay(root, year),
        Command::Diff { from, to, data, format } => diff(root, from, to, data, format),
        Command::Test { year } => test(root, year),
        Command::Targets { year, format } => targets(root, year, format),
        Command::Watch { year, format, poll, debounce_ms } => watch(root, year, format, poll, debounce_ms),
    }
}

/// `parindex watch`: the results, then each reload's new results and changes, or the rejected edit's errors.
fn watch(root: &std::path::Path, year: u16, format: Format, poll: bool, debounce_ms: u64) -> ExitCode {
    use parindex::live::engine::Engine;
    use parindex::live::watch::{clock_utc, Backend, WatchEvent, WatchOptions, Watcher};
    use std::time::Duration;

    fn results(s: &Snapshot, format: Format) -> String {
        match format {
            Format::Table => s.report.to_table(&s.rule_set),
            Format::Json => format!("{}\n", serde_json::to_string_pretty(&s.report.to_json()).unwrap_or_default()),
            Format::Csv => s.report.to_csv(&s.rule_set),
        }
    }
    let engine = match Engine::open(root, year) {
        Ok(e) => std::sync::Arc::new(e),
        Err(diags) => {
            print_diags(&diags, DiagFormat::Text);
            return ExitCode::FAILURE;
        }
    };
    let on_event = move |event: WatchEvent| {
        let mut out = std::io::stdout().lock();
        let _ = match event {
            WatchEvent::Reloaded { snapshot, changes } => match format {
                Format::Json => {
                    let event =
                        serde_json::json!({ "generation": snapshot.generation, "changes": changes, "report": snapshot.report.to_json() });
                    writeln!(out, "{event}")
                }
                _ => writeln!(out, "\n{}\nchanged (rule set {}):\n{changes}", results(&snapshot, format), snapshot.generation),
            },
            WatchEvent::Rejected { diagnostics, serving } => {
                writeln!(out, "\nrejected edit:\n{diagnostics}still serving the rule set loaded at {}", clock_utc(serving.loaded_at()))
            }
            WatchEvent::Unchanged { .. } => writeln!(out, "files changed; the results did not"),
            WatchEvent::Error { message } => writeln!(out, "watch error: {message}"),
            _ => Ok(()),
        };
        let _ = out.flush();
    };
    let options = WatchOptions { debounce: Duration::from_millis(debounce_ms), poll: poll.then_some(Duration::from_millis(500)) };
    // Watching starts before the results are shown, so no save made after they appear is missed.
    let watcher = match Watcher::spawn(std::sync::Arc::clone(&engine), options, on_event) {
        Ok(w) => w,
        Err(e) => {
            eprintln!("error: cannot watch the files: {e}");
            return ExitCode::FAILURE;
        }
    };
    {
        let mut out = std::io::stdout().lock();
        let _ = write!(out, "{}", results(&engine.current(), format));
        let _ = out.flush();
    }
    let how = match watcher.backend() {
        Backend::Native => "file events".to_string(),
        Backend::Poll(every) => format!("polling every {} ms", every.as_millis()),
    };
    let dirs: Vec<String> = engine.sources().iter().map(|d| d.display().to_string()).collect();
    eprintln!("watching {} ({how}); Ctrl-C to stop", dirs.join(", "));
    loop {
        std::thread::park();
    }
}
