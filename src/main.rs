//! The `parindex` command line: presentation and exit codes over the library.

#![forbid(unsafe_code)]

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use parindex::diag::Diagnostics;
use parindex::eval::evaluate;
use parindex::report::Report;
use parindex::rules::Rules;
use parindex::ruleset::RuleSet;

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
    },
    /// Validate a year's criteria, rules and data; print every problem found.
    Check {
        #[arg(long)]
        year: u16,
        #[arg(long, value_enum, default_value = "text")]
        format: DiagFormat,
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

fn load(root: &std::path::Path, year: u16) -> Result<(RuleSet, Report), Diagnostics> {
    let rs = RuleSet::load(root, year, &Rules::default())?;
    let outcome = evaluate(&rs)?;
    let report = Report::new(&rs, &outcome);
    Ok((rs, report))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Score { year, format } => match load(&cli.root, year) {
            Ok((rs, report)) => {
                let text = match format {
                    Format::Table => report.to_table(&rs),
                    Format::Json => format!("{}\n", serde_json::to_string_pretty(&report.to_json()).unwrap_or_default()),
                    Format::Csv => report.to_csv(&rs),
                };
                print!("{text}");
                ExitCode::SUCCESS
            }
            Err(diags) => {
                print_diags(&diags, DiagFormat::Text);
                ExitCode::FAILURE
            }
        },
        Command::Check { year, format } => {
            let diags = match load(&cli.root, year) {
                Ok((rs, _)) => rs.warnings,
                Err(d) => d,
            };
            print_diags(&diags, format);
            let errors = diags.errors().count();
            let warnings = diags.len() - errors;
            eprintln!("{errors} errors, {warnings} warnings");
            if errors > 0 {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            }
        }
    }
}
