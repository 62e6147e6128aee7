//! `parindex replay`: an archived year recomputed and compared.

use std::path::Path;
use std::process::ExitCode;

use parindex::audit::archive;

use super::*;

pub(crate) fn replay(root: &Path, year: u16) -> ExitCode {
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
