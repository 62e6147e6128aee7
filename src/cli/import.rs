//! `parindex import`: a filled scoring workbook into `fixtures/<year>/scores.toml`.
//!
//! Every cell is checked first (`Sheet!Cell`, unit and criterion); then the
//! new points are validated with the year's rules on a copy of the year's
//! files; only then is `scores.toml` replaced, atomically, its comments and
//! the points not on the sheets kept. With any error nothing is written.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use parindex::audit::archive::write_atomic;
use parindex::diag::Diagnostics;
use parindex::input::model::Model;
use parindex::input::workbook::{read_awards, read_sheets, Awards};
use rust_decimal::Decimal;
use std::str::FromStr;

use super::*;

pub(crate) fn import(root: &Path, year: u16, file: &Path, dry_run: bool) -> ExitCode {
    // Every progress is cleared before anything is printed.
    let reading = progress::Progress::spinner("reading the year's rules", progress::wanted(false));
    let rs = match RuleSet::load_own(root, year, year) {
        Ok(rs) => rs,
        Err(diags) => {
            reading.finish();
            print_diags(&diags, DiagFormat::Text);
            return ExitCode::FAILURE;
        }
    };
    reading.set_message(format!("reading `{}`", file.display()));
    let sheets = read_sheets(file);
    reading.finish();
    let sheets = match sheets {
        Ok(s) => s,
        Err(d) => {
            let mut diags = Diagnostics::default();
            diags.push(d);
            print_diags(&diags, DiagFormat::Text);
            return ExitCode::FAILURE;
        }
    };
    let mut diags = Diagnostics::default();
    let checking = progress::Progress::spinner(format!("checking the cells of {} sheet(s)", sheets.len()), progress::wanted(false));
    let awards = read_awards(&rs.model, file, &sheets, &mut diags);
    checking.finish();
    if diags.has_errors() {
        print_diags(&diags, DiagFormat::Text);
        eoutln!("nothing written: {} problem(s) in `{}`", diags.errors().count(), file.display());
        return ExitCode::FAILURE;
    }
    if !diags.is_empty() {
        print_diags(&diags, DiagFormat::Text);
    }
    let rel = PathBuf::from("fixtures").join(year.to_string()).join("scores.toml");
    let path = root.join(&rel);
    let old = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => {
            eoutln!("error: cannot read `{}`: {e}; nothing written", rel.display());
            return ExitCode::FAILURE;
        }
    };
    let (text, changes) = match updated(&old, &rs.model, &awards) {
        Ok(x) => x,
        Err(e) => {
            eoutln!("error: `{}` is not TOML: {e}", rel.display());
            return ExitCode::FAILURE;
        }
    };
    for c in &changes {
        outln!("{c}");
    }
    if changes.is_empty() {
        outln!("no change to {}", rel.display());
        return ExitCode::SUCCESS;
    }
    let validating = progress::Progress::spinner("checking the new points against the year's rules", progress::wanted(false));
    let validated = validate(root, year, &text);
    validating.finish();
    if let Err(diags) = validated {
        print_diags(&diags, DiagFormat::Text);
        eoutln!("nothing written: the new points do not pass the rules of {year}");
        return ExitCode::FAILURE;
    }
    if dry_run {
        eoutln!("{} change(s); nothing written (--dry-run)", changes.len());
        return ExitCode::SUCCESS;
    }
    let writing = progress::Progress::spinner(format!("writing {}", rel.display()), progress::wanted(false));
    let written = write_atomic(&path, |w| w.write_all(text.as_bytes()));
    writing.finish();
    if let Err(e) = written {
        eoutln!("error: cannot write `{}`: {e}", rel.display());
        return ExitCode::FAILURE;
    }
    eoutln!("wrote {} ({} change(s))", rel.display(), changes.len());
    ExitCode::SUCCESS
}

/// The text of `scores.toml` with `awards` applied (comments and other
/// entries kept), and each change as "unit criterion: old → new".
fn updated(old: &str, m: &Model, awards: &Awards) -> Result<(String, Vec<String>), toml_edit::TomlError> {
    let mut doc: toml_edit::DocumentMut = if old.trim().is_empty() {
        let mut d = toml_edit::DocumentMut::new();
        d.decor_mut().set_prefix(format!("# Điểm do Hội đồng thẩm định chấm năm {}: imported from the scoring workbook.\n\n", m.year));
        d
    } else {
        old.parse()?
    };
    let mut changes = Vec::new();
    for (&(u, n), (points, cell)) in awards {
        let unit = m.units[u].id.as_str();
        let crit = m.nodes[n].id.as_str();
        let before = doc.get(unit).and_then(|t| t.get(crit)).and_then(|v| v.as_value()).and_then(decimal);
        if before == *points {
            continue;
        }
        let show = |d: Option<Decimal>| d.map_or_else(|| "-".to_owned(), |d| d.normalize().to_string());
        changes.push(format!("{unit} {crit}: {} → {} ({cell})", show(before), show(*points)));
        match points {
            Some(p) => {
                let table = doc.entry(unit).or_insert_with(toml_edit::table).as_table_like_mut();
                let Some(table) = table else { continue };
                let mut value = points_literal(*p);
                if let Some(old) = table.get(crit).and_then(|v| v.as_value()) {
                    *value.decor_mut() = old.decor().clone();
                }
                table.insert(crit, toml_edit::Item::Value(value));
            }
            None => {
                if let Some(t) = doc.get_mut(unit).and_then(|t| t.as_table_like_mut()) {
                    t.remove(crit);
                }
            }
        }
    }
    Ok((doc.to_string(), changes))
}

fn decimal(v: &toml_edit::Value) -> Option<Decimal> {
    match v {
        toml_edit::Value::Float(f) => Decimal::from_str(&f.value().to_string()).ok(),
        toml_edit::Value::Integer(i) => Some(Decimal::from(*i.value())),
        toml_edit::Value::String(s) => Decimal::from_str(s.value()).ok(),
        _ => None,
    }
}

/// Loads the year with `scores` in place of its `scores.toml`, on a copy of its files.
fn validate(root: &Path, year: u16, scores: &str) -> Result<(), Diagnostics> {
    let io = |e: std::io::Error| {
        let mut d = Diagnostics::default();
        d.push(parindex::diag::Diagnostic::error(parindex::diag::Code::Io, format!("cannot copy the year to check it: {e}")));
        d
    };
    let tmp = tempdir().map_err(io)?;
    for sub in [PathBuf::from("criteria").join(year.to_string()), PathBuf::from("rules"), PathBuf::from("fixtures").join(year.to_string())]
    {
        copy_dir(&root.join(&sub), &tmp.0.join(&sub)).map_err(io)?;
    }
    std::fs::write(tmp.0.join("fixtures").join(year.to_string()).join("scores.toml"), scores).map_err(io)?;
    RuleSet::load(&tmp.0, year, &Rules::default()).map(|_| ())
}

/// A folder removed when dropped.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn tempdir() -> std::io::Result<TempDir> {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    let dir = std::env::temp_dir().join(format!("parindex-import-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(TempDir(dir))
}

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    if !from.exists() {
        return Ok(());
    }
    std::fs::create_dir_all(to)?;
    for e in std::fs::read_dir(from)? {
        let e = e?;
        let target = to.join(e.file_name());
        if e.file_type()?.is_dir() {
            copy_dir(&e.path(), &target)?;
        } else {
            std::fs::copy(e.path(), &target)?;
        }
    }
    Ok(())
}

/// Points as a TOML literal of their own digits: a float literal (`2.5`,
/// `3.0`) up to the 15 significant digits the loader reads exactly from a
/// float, a string (`"12.3456789012345678"`) beyond, never a binary float.
fn points_literal(p: Decimal) -> toml_edit::Value {
    let text = p.normalize().to_string();
    let float = if text.contains('.') { text.clone() } else { format!("{text}.0") };
    if float.chars().filter(char::is_ascii_digit).count() <= 15 {
        if let Ok(v) = float.parse::<toml_edit::Value>() {
            return v;
        }
    }
    toml_edit::Value::from(text)
}

#[cfg(test)]
mod tests {
    use super::points_literal;
    use rust_decimal::Decimal;
    use std::str::FromStr;

    #[test]
    fn points_are_written_with_their_own_digits() {
        let lit = |s: &str| points_literal(Decimal::from_str(s).unwrap()).to_string();
        assert_eq!(lit("2.50"), "2.5");
        assert_eq!(lit("3"), "3.0");
        assert_eq!(lit("16.375"), "16.375");
        // 18 significant digits do not fit a float literal exactly: a string.
        assert_eq!(lit("12.3456789012345678"), "\"12.3456789012345678\"");
        for s in ["2.5", "3", "16.375", "0.1", "12.3456789012345678"] {
            let doc: toml::Table = format!("x = {}", points_literal(Decimal::from_str(s).unwrap())).parse().unwrap();
            let back = match &doc["x"] {
                toml::Value::Float(f) => parindex::input::raw::literal_decimal(*f).unwrap(),
                toml::Value::String(t) => Decimal::from_str(t).unwrap(),
                v => panic!("{v:?}"),
            };
            assert_eq!(back, Decimal::from_str(s).unwrap().normalize(), "{s}");
        }
    }
}
