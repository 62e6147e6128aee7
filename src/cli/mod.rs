//! The command line: presentation and exit codes over the library, one file per command.
//!
//! Every byte printed goes through [`emit`] (the `out!`, `outln!`,
//! `eout!` and `eoutln!` macros): when the reader of the output has gone
//! (`parindex explain ... | head`), the process ends quietly with status
//! 141, as a command killed by a closed pipe does, instead of panicking.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

/// Prints to stdout through [`emit`].
macro_rules! out {
    ($($arg:tt)*) => { $crate::cli::emit($crate::cli::Stream::Out, format_args!($($arg)*)) };
}

/// Prints a line to stdout through [`emit`].
macro_rules! outln {
    () => { $crate::cli::emit($crate::cli::Stream::Out, format_args!("\n")) };
    ($($arg:tt)*) => { $crate::cli::emit($crate::cli::Stream::Out, format_args!("{}\n", format_args!($($arg)*))) };
}

/// Prints to stderr through [`emit`].
macro_rules! eout {
    ($($arg:tt)*) => { $crate::cli::emit($crate::cli::Stream::Err, format_args!($($arg)*)) };
}

/// Prints a line to stderr through [`emit`].
macro_rules! eoutln {
    ($($arg:tt)*) => { $crate::cli::emit($crate::cli::Stream::Err, format_args!("{}\n", format_args!($($arg)*))) };
}

mod appraisal;
mod check;
mod diff;
mod explain;
mod export;
mod import;
mod new_year;
mod progress;
mod replay;
mod report;
mod schema;
mod score;
mod serve;
mod targets;
mod template;
mod test;
mod watch;
mod whatif;

use clap::{Parser, Subcommand, ValueEnum};

use parindex::diag::Diagnostics;
use parindex::formula::rules::Rules;
use parindex::lang::{Lang, Text};
use parindex::live::engine::Snapshot;
use parindex::score::ruleset::RuleSet;
use std::path::Path;

#[derive(Parser)]
#[command(name = "parindex", version, about = "Scores government units on the Public Administration Reform (PAR) index")]
pub(crate) struct Cli {
    /// Folder holding `criteria/`, `rules/` and `fixtures/`.
    #[arg(long, global = true, default_value = ".")]
    root: PathBuf,
    /// Language of the page, the HTML report and the text output (default: `PARINDEX_LANG`, then `LANG`;
    /// the page and the report are in Vietnamese and the text output in English when neither names one).
    #[arg(long, global = true, value_enum)]
    lang: Option<LangArg>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    Table,
    Json,
    Csv,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum ExportFormat {
    Xlsx,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum CsvLocale {
    Plain,
    Vi,
}

impl From<CsvLocale> for parindex::report::CsvLocale {
    fn from(l: CsvLocale) -> Self {
        match l {
            CsvLocale::Plain => parindex::report::CsvLocale::Plain,
            CsvLocale::Vi => parindex::report::CsvLocale::Vi,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum LangArg {
    Vi,
    En,
}

impl From<LangArg> for Lang {
    fn from(l: LangArg) -> Lang {
        match l {
            LangArg::Vi => Lang::Vi,
            LangArg::En => Lang::En,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum DiagFormat {
    Text,
    Json,
}

/// Each subcommand's arguments are declared only when it is the one run
/// (`defer`): building every subcommand's took a quarter of a millisecond
/// of each process, a province's `score` being about twenty times that.
#[derive(Subcommand)]
#[command(defer = true)]
pub(crate) enum Command {
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
        /// With --format csv: `plain` (the default: `,` between fields, `88.65`) or `vi` (`;` between fields, `88,65`, as Excel on a Vietnamese Windows reads).
        #[arg(long, value_enum)]
        csv_locale: Option<CsvLocale>,
        /// With --format json: the whole result on one line, without indentation (for programs: smaller and quicker to write).
        #[arg(long)]
        compact: bool,
        /// Score the state after this appraisal round (0: the units' self-assessment) instead of the council's final points.
        #[arg(long, conflicts_with = "archive")]
        round: Option<usize>,
    },
    /// Write the year's results as the officials' workbook: Biểu 1 and 2 as the report prints them, component indices, each unit's criteria.
    Export {
        #[arg(long)]
        year: u16,
        #[arg(long, value_enum, default_value = "xlsx")]
        format: ExportFormat,
        /// The file to write (replaced atomically).
        #[arg(long)]
        out: PathBuf,
    },
    /// Write the council's scoring workbook of a year: a sheet per unit kind, a row per scored criterion, a column per unit.
    Template {
        #[arg(long)]
        year: u16,
        /// The file to write (replaced atomically).
        #[arg(long)]
        out: PathBuf,
    },
    /// Read a filled scoring workbook (.xlsx, .xls, .ods or .csv) into `fixtures/<year>/scores.toml`, after checking every cell.
    Import {
        #[arg(long)]
        year: u16,
        /// The filled workbook.
        file: PathBuf,
        /// Show what would change (unit, criterion, old → new) and write nothing.
        #[arg(long)]
        dry_run: bool,
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
    /// The scoring round: a unit's appraisal record (self-score, each round, final, reasons, explanations), or without --unit the council's lists.
    Appraisal {
        #[arg(long)]
        year: u16,
        /// Unit id, name or alias: its appraisal record (biên bản).
        #[arg(long)]
        unit: Option<String>,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// The survey from its questionnaires: sent, returned, response rates and each unit's points.
    Survey {
        #[arg(long)]
        year: u16,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
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
    /// Make next year's criteria, rules and data from this year's, ready for the new decision and the council's points.
    NewYear {
        /// The year to make.
        year: u16,
        /// The archived year it starts from.
        #[arg(long)]
        from: u16,
        #[arg(long, value_enum, default_value = "text")]
        format: DiagFormat,
    },
    /// Write the JSON Schema of every kind of TOML file (for editors that check TOML as it is typed).
    Schema {
        /// The folder to write into (default: `schema/` under the root).
        #[arg(long)]
        out: Option<PathBuf>,
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
        /// Quiet time after the last change before rescoring (at most a minute).
        #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u64).range(0..=60_000))]
        debounce_ms: u64,
    },
    /// Serve the year as a local web page that updates itself on every save (read-only).
    Serve {
        #[arg(long)]
        year: u16,
        /// Port to listen on (0: any free port).
        #[arg(long, default_value_t = 8080)]
        port: u16,
        /// Address to listen on; `0.0.0.0` shares the page on the local network.
        #[arg(long, default_value = "127.0.0.1")]
        bind: std::net::IpAddr,
        /// Poll the files instead of waiting for file events.
        #[arg(long)]
        poll: bool,
        /// Quiet time after the last change before rescoring (at most a minute).
        #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u64).range(0..=60_000))]
        debounce_ms: u64,
    },
    /// Write the year's tables, every unit's explanation and the targets as one printable HTML file.
    Report {
        #[arg(long)]
        year: u16,
        #[arg(long, value_enum)]
        format: report::ReportFormat,
        /// The file to write (atomically).
        #[arg(long)]
        out: PathBuf,
    },
    /// What if a maximum, an exemption or a unit's points were different: which totals, indexes and ranks move.
    Whatif(whatif::WhatifArgs),
}

/// Where [`emit`] writes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stream {
    Out,
    Err,
}

/// Writes `args` to `stream` and flushes it. A closed pipe (on either
/// stream) or a stderr that cannot be written ends the process quietly with
/// status 141; any other failure to write stdout (a full disk) is said on
/// stderr, with status 1. Nothing printed ever panics.
pub(crate) fn emit(stream: Stream, args: std::fmt::Arguments<'_>) {
    let written = match stream {
        Stream::Out => {
            let mut out = std::io::stdout().lock();
            out.write_fmt(args).and_then(|()| out.flush())
        }
        // Above any progress shown: the line stays, the progress is drawn again below it.
        Stream::Err => progress::above(|| {
            let mut err = std::io::stderr().lock();
            err.write_fmt(args).and_then(|()| err.flush())
        }),
    };
    if let Err(e) = written {
        progress::clear_shown();
        if stream == Stream::Out && e.kind() != std::io::ErrorKind::BrokenPipe {
            let _ = writeln!(std::io::stderr(), "error: cannot write the output: {e}");
            std::process::exit(1);
        }
        std::process::exit(141);
    }
}

/// Writes `value` as JSON (indented, or on one line when `compact`) and a
/// newline to stdout, serialised straight into a buffered stdout rather than
/// built as one string first (a national result is tens of megabytes).
/// Fails as [`emit`] does.
pub(crate) fn emit_json(value: &impl serde::Serialize, compact: bool) {
    emit_json_with(|out| {
        let written = if compact { serde_json::to_writer(out, value) } else { serde_json::to_writer_pretty(out, value) };
        written.map_err(std::io::Error::from)
    });
}

/// Writes JSON to stdout with `write`, then a line break; a closed pipe
/// ends the process quietly, any other failure with an error.
pub(crate) fn emit_json_with(write: impl FnOnce(&mut std::io::BufWriter<std::io::StdoutLock<'static>>) -> std::io::Result<()>) {
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let written = write(&mut out).and_then(|()| out.write_all(b"\n")).and_then(|()| out.flush());
    if let Err(e) = written {
        progress::clear_shown();
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            let _ = writeln!(std::io::stderr(), "error: cannot write the output: {e}");
            std::process::exit(1);
        }
        std::process::exit(141);
    }
}

pub(crate) fn print_diags(diags: &Diagnostics, format: DiagFormat) {
    print_diags_in(diags, format, text_lang())
}

/// Prints diagnostics in `lang` (text) or as JSON (keys and codes never translated).
pub(crate) fn print_diags_in(diags: &Diagnostics, format: DiagFormat, lang: Lang) {
    check::show_in(diags, None, format, true, lang);
}

pub(crate) fn json_text(v: &serde_json::Value) -> String {
    format!("{}\n", serde_json::to_string_pretty(v).unwrap_or_default())
}

pub(crate) fn exit(ok: bool) -> ExitCode {
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

pub(crate) fn load(root: &Path, year: u16) -> Result<Snapshot, Diagnostics> {
    load_with(root, year, year)
}

/// The year loaded and evaluated; or its errors printed, and the exit code
/// the command ends with.
pub(crate) fn load_or_fail(root: &Path, year: u16) -> Result<Snapshot, ExitCode> {
    load(root, year).map_err(|diags| {
        print_diags(&diags, DiagFormat::Text);
        ExitCode::FAILURE
    })
}

/// Refuses (exit 2, before anything is loaded) an `--out` whose extension
/// is not `ext`: the file written is always of that kind, so a `.csv` or a
/// `.toml` name would mislabel it, or replace one of the year's files.
pub(crate) fn out_is(out: &Path, ext: &[&str], kind: &str) -> Result<(), ExitCode> {
    let given = out.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    if given.as_deref().is_some_and(|g| ext.contains(&g)) {
        return Ok(());
    }
    let named = match given {
        Some(g) => format!("a `.{g}` file"),
        None => "a file without an extension".to_string(),
    };
    eoutln!("error: `--out {}` names {named}, but what is written is {kind}: name it `.{}`", out.display(), ext[0]);
    Err(ExitCode::from(2))
}

/// Writes a made file (`made`: its bytes, or why they could not be made)
/// to `out` atomically; says what went wrong.
pub(crate) fn write_made(out: &Path, made: Result<Vec<u8>, impl std::fmt::Display>) -> Result<(), ExitCode> {
    let bytes = made.map_err(|e| {
        eoutln!("error: cannot make the workbook: {e}");
        ExitCode::FAILURE
    })?;
    parindex::audit::archive::write_atomic(out, |w| w.write_all(&bytes)).map_err(|e| {
        eoutln!("error: cannot write `{}`: {e}", out.display());
        ExitCode::FAILURE
    })
}

/// [`load`], naming its phases on `progress`: "reading data", then "scoring".
pub(crate) fn load_shown(root: &Path, year: u16, progress: &progress::Progress) -> Result<Snapshot, Diagnostics> {
    progress.set_message("reading data");
    let rule_set = RuleSet::load_own(root, year, year)?;
    progress.set_message("scoring");
    Snapshot::from_rule_set(rule_set, 1)
}

/// The criteria of `year` with the data of `data_year`, loaded and evaluated.
pub(crate) fn load_with(root: &Path, year: u16, data_year: u16) -> Result<Snapshot, Diagnostics> {
    Snapshot::from_rule_set(RuleSet::load_own(root, year, data_year)?, 1)
}

static LANG: std::sync::OnceLock<Option<Lang>> = std::sync::OnceLock::new();

/// The language asked for: `--lang`, then `PARINDEX_LANG`, then `LANG`.
fn chosen_lang() -> Option<Lang> {
    *LANG.get_or_init(|| {
        // `PARINDEX_LANG` is parindex's own: a value it cannot use is told
        // (`LANG` names the system's language, which may be any).
        if let Ok(v) = std::env::var("PARINDEX_LANG") {
            if !v.trim().is_empty() && Lang::parse(&v).is_none() {
                eoutln!("warning: PARINDEX_LANG={v} is not a language parindex speaks (vi or en); it is not used");
            }
        }
        Lang::from_env()
    })
}

/// The language of the text output: English unless one is asked for.
pub(crate) fn text_lang() -> Lang {
    chosen_lang().unwrap_or(Lang::En)
}

/// The language of the page and the HTML report: Vietnamese unless one is asked for.
pub(crate) fn page_lang() -> Lang {
    chosen_lang().unwrap_or(Lang::Vi)
}

pub(crate) fn main() -> ExitCode {
    parindex::input::par::reserve_process_heap();
    let cli = Cli::parse();
    if let Some(l) = cli.lang {
        let _ = LANG.set(Some(l.into()));
    }
    let root = cli.root.as_path();
    check::set_root(root);
    match cli.command {
        Command::Score { year, format, archive, force, csv_locale, compact, round } => {
            score::score(root, year, score::ScoreArgs { format, archive, force, locale: csv_locale.map(Into::into), compact, round })
        }
        Command::Export { year, format, out } => export::export(root, year, format, &out),
        Command::Template { year, out } => template::template(root, year, &out),
        Command::Import { year, file, dry_run } => import::import(root, year, &file, dry_run),
        Command::Check { year, format } => check::check(root, year, format),
        Command::Explain { year, unit, format } => explain::explain(root, year, &unit, format),
        Command::Appraisal { year, unit, format } => appraisal::appraisal(root, year, unit.as_deref(), format),
        Command::Survey { year, format } => appraisal::survey(root, year, format),
        Command::Replay { year } => replay::replay(root, year),
        Command::Diff { from, to, data, format } => diff::diff(root, from, to, data, format),
        Command::NewYear { year, from, format } => new_year::new_year(root, year, from, format),
        Command::Schema { out } => schema::schema(root, out.as_deref()),
        Command::Test { year } => test::test(root, year),
        Command::Targets { year, format } => targets::targets(root, year, format),
        Command::Watch { year, format, poll, debounce_ms } => watch::watch(root, year, format, poll, debounce_ms),
        Command::Serve { year, port, bind, poll, debounce_ms } => {
            serve::serve(root, serve::ServeArgs { year, port, bind, poll, debounce_ms }, page_lang())
        }
        Command::Report { year, format, out } => report::report(root, year, format, &out, page_lang()),
        Command::Whatif(args) => whatif::whatif(root, &args),
    }
}
