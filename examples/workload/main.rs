//! Writes the shared synthetic workload as a tree that `parindex score`
//! scores: `cargo run --release --example workload -- --units 10000
//! --criteria 100 --year 2023 --out DIR`, then
//! `parindex score --root DIR --year 2023 --format json`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

mod gen;

#[derive(Parser)]
#[command(about = "Writes the synthetic workload tree (criteria, rules, fixtures)")]
struct Args {
    /// Number of units (`u0`, `u1`, ...).
    #[arg(long, default_value_t = 10_000)]
    units: usize,
    /// Number of criteria, each with a maximum of 1.
    #[arg(long, default_value_t = 100)]
    criteria: usize,
    #[arg(long, default_value_t = 2023)]
    year: u16,
    /// The folder to write `criteria/`, `rules/` and `fixtures/` into.
    #[arg(long)]
    out: PathBuf,
}

fn main() -> ExitCode {
    let a = Args::parse();
    match gen::write_tree(&a.out, a.units, a.criteria, a.year) {
        Ok(()) => {
            println!("wrote {} units x {} criteria for {} under {}", a.units, a.criteria, a.year, a.out.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("cannot write the workload under {}: {e}", a.out.display());
            ExitCode::FAILURE
        }
    }
}
