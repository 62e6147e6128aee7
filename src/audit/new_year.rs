//! A new year made from the last: criteria, rules and data to start from.
//!
//! Every December the province issues next year's criteria by decision,
//! starting from this year's. [`new_year`] makes `criteria/<year>/`,
//! `rules/<year>/` and `fixtures/<year>/` from those of `from`:
//!
//! - the criteria and the rule scripts are copied, with the index's `year`
//!   and title updated and the legal basis of the whole index marked for the
//!   official to replace (`CẦN SỬA / to edit`);
//! - the units and the indicator tables' declarations are carried over, marked;
//! - `previous.toml` is written from the archived result of `from`
//!   (`results/<from>.json`), which must replay identically: the change
//!   columns of the new year compare with what was published, nothing else;
//! - the council's points are left to fill: `scores.toml` lists every unit and
//!   every criterion the council scores for it, commented out;
//! - no expectation and no statistics are copied: they are the new year's.
//!
//! The folders are built in a hidden folder beside the tree and renamed into
//! place only once complete; on any failure nothing of them is left.

use std::fmt::Write as _;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::audit::archive::{self, archive_path, replay, Archive, ArchiveError};
use crate::diag::Diagnostics;
use crate::formula::rules::Rules;
use crate::input::model::Model;
use crate::report::Report;
use crate::score::eval::evaluate;
use crate::score::ruleset::RuleSet;

/// The marker of what the official must edit, in the files made.
pub const TO_EDIT: &str = "CẦN SỬA / to edit:";

/// What [`new_year`] made.
#[derive(Debug, Clone, Serialize)]
pub struct NewYear {
    pub year: u16,
    pub from: u16,
    /// The folders created, relative to the root.
    pub created: Vec<String>,
    /// The fingerprint of the archived result `previous.toml` was written from.
    pub previous_fingerprint: String,
    /// What remains for the official to do, in order.
    pub checklist: Vec<String>,
}

/// Why no new year was made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NewYearError {
    #[error("the new year {year} must come after {from}")]
    NotLater { year: u16, from: u16 },
    #[error("year {year} already exists: `{path}`; nothing was changed")]
    Exists { year: u16, path: String },
    #[error("{from} has no archived result `{path}`: archive the published result first with `parindex score --year {from} --archive`")]
    NoArchive { from: u16, path: String },
    #[error("`{path}` is not a readable archive: {message}")]
    BadArchive { path: String, message: String },
    #[error("the files of {from} have errors; `parindex check --year {from}` lists them")]
    Invalid { from: u16, diagnostics: Diagnostics },
    #[error(
        "the files of {from} no longer give its archived result `{path}` ({differences} numbers differ; {inputs}): \
         `parindex replay --year {from}` lists them; the new year's previous results must be the published ones"
    )]
    NotIdentical { from: u16, path: String, differences: usize, inputs: String },
    #[error("cannot write `{path}`: {source}")]
    Io { path: String, source: io::Error },
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> NewYearError + '_ {
    move |source| NewYearError::Io { path: path.display().to_string(), source }
}

const SUBS: [&str; 3] = ["criteria", "rules", "fixtures"];

/// Makes the year `year` from `from` under `root`; see the module docs.
pub fn new_year(root: &Path, year: u16, from: u16) -> Result<NewYear, NewYearError> {
    if year <= from {
        return Err(NewYearError::NotLater { year, from });
    }
    for sub in SUBS {
        let p = Path::new(sub).join(year.to_string());
        if root.join(&p).exists() {
            return Err(NewYearError::Exists { year, path: p.display().to_string() });
        }
    }
    let rel_archive = format!("results/{from}.json");
    let archived = match archive::read(&archive_path(root, from)) {
        Ok(a) if a.year == from => a,
        Ok(a) => return Err(NewYearError::BadArchive { path: rel_archive, message: format!("it holds the results of {}", a.year) }),
        Err(ArchiveError::Missing { .. }) => return Err(NewYearError::NoArchive { from, path: rel_archive }),
        Err(e) => return Err(NewYearError::BadArchive { path: rel_archive, message: e.to_string() }),
    };
    let rs = RuleSet::load(root, from, &Rules::default()).map_err(|diagnostics| NewYearError::Invalid { from, diagnostics })?;
    let outcome = evaluate(&rs).map_err(|diagnostics| NewYearError::Invalid { from, diagnostics })?;
    let report = Report::new(&rs, &outcome);
    let r = replay(&archived, &Archive::new(&rs, &outcome, &report));
    if !r.identical() {
        let inputs = r.changed_inputs();
        let inputs = if inputs.is_empty() { "the inputs are the same".to_string() } else { format!("{} changed", inputs.join(", ")) };
        return Err(NewYearError::NotIdentical { from, path: rel_archive, differences: r.differences.len(), inputs });
    }

    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    let tmp = root.join(format!(".new-year-{year}.{}.{nanos}.tmp", std::process::id()));
    let result = build(root, &tmp, year, from, &rs.model, &archived).and_then(|()| move_into_place(root, &tmp, year));
    let _ = fs::remove_dir_all(&tmp);
    result?;

    let fp = archived.fingerprint.sha256.clone();
    Ok(NewYear {
        year,
        from,
        created: SUBS.iter().map(|s| format!("{s}/{year}")).collect(),
        previous_fingerprint: fp,
        checklist: checklist(year, from),
    })
}

/// What remains to do once the year is made.
pub fn checklist(year: u16, from: u16) -> Vec<String> {
    vec![
        format!("criteria/{year}/index.toml: the title, and the decision of {year} as the legal basis (the lines marked `{TO_EDIT}`)"),
        format!("criteria/{year}/tree/*.toml and exemptions.toml: apply the decision's changes (criteria, maxima, rules, exemptions)"),
        format!("criteria/{year}/targets.toml: the targets of {year}"),
        format!("rules/{year}/*.rhai: edit a formula only if the decision changes it ({from}'s stay as they are)"),
        format!("fixtures/{year}/units.toml: units added, merged or renamed in {year}"),
        format!(
            "fixtures/{year}/scores.toml: the appraisal council's points of {year} (every unit and criterion is listed, commented out)"
        ),
        format!("fixtures/{year}/indicators.toml and indicators/: replace {from}'s portal figures with those of {year}"),
        format!("fixtures/{year}/statistics/: the statistics of {year}, if any"),
        format!("`parindex diff {from} {year}`: review every change against {from}"),
        format!("`parindex check --year {year}` until it reports 0 errors, then `parindex score --year {year} --archive` once published"),
        format!("fixtures/{year}/expected.toml: the published numbers, once the report of {year} is out"),
    ]
}

/// The first lines of a made file: its schema directive (if the original had
/// one), then what it was made from and what to edit.
fn header(original: &str, note: &str) -> (String, String) {
    let (directive, rest) = match original.split_once('\n') {
        Some((first, rest)) if first.starts_with("#:schema") => (format!("{first}\n"), rest.to_string()),
        _ => (String::new(), original.to_string()),
    };
    let mut head = directive;
    for line in note.lines() {
        let _ = writeln!(head, "# {line}");
    }
    head.push_str("#\n");
    (head, rest)
}

fn with_header(original: &str, note: &str) -> String {
    let (head, rest) = header(original, note);
    head + rest.as_str()
}

fn write(path: &Path, text: &str) -> Result<(), NewYearError> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(io_err(dir))?;
    }
    fs::write(path, text).map_err(io_err(path))
}

fn copy_file(from: &Path, to: &Path) -> Result<(), NewYearError> {
    if let Some(dir) = to.parent() {
        fs::create_dir_all(dir).map_err(io_err(dir))?;
    }
    fs::copy(from, to).map(|_| ()).map_err(io_err(from))
}

fn read(path: &Path) -> Result<String, NewYearError> {
    fs::read_to_string(path).map_err(io_err(path))
}

fn build(root: &Path, tmp: &Path, year: u16, from: u16, model: &Model, archived: &Archive) -> Result<(), NewYearError> {
    let (y, f) = (year.to_string(), from.to_string());
    let made = format!("made by `parindex new-year {year} --from {from}` from the files of {from}.");

    // Criteria: every file, the index and targets updated, all marked.
    let crit_from = root.join("criteria").join(&f);
    let crit_to = tmp.join("criteria").join(&y);
    for (rel, _) in crate::source::files::files(&crit_from, true) {
        let (src, dst) = (crit_from.join(&rel), crit_to.join(&rel));
        if rel.extension().map_or(true, |e| e != "toml") {
            copy_file(&src, &dst)?;
            continue;
        }
        let text = read(&src)?;
        let out = match rel.to_str() {
            Some("index.toml") => index_toml(&text, year, from, &made, model)?,
            Some("targets.toml") => with_header(
                &set_top_int(&text, "indicators_year", year, &dst)?,
                &format!("{made}\n{TO_EDIT} the targets of {year}; `indicators_year` is {year}."),
            ),
            _ => with_header(
                &text,
                &format!("{made}\n{TO_EDIT} apply the decision of {year} to this file; its comments describe {from} until edited."),
            ),
        };
        write(&dst, &out)?;
    }

    // Rule scripts: copied as they are; from now on each year edits its own.
    let rules_from = root.join("rules").join(&f);
    let rules_to = tmp.join("rules").join(&y);
    fs::create_dir_all(&rules_to).map_err(io_err(&rules_to))?;
    for (rel, _) in crate::source::files::files(&rules_from, true) {
        copy_file(&rules_from.join(&rel), &rules_to.join(&rel))?;
    }

    // Data: the units and the indicator tables carried over; previous
    // results from the archive; the council's points to fill.
    let fix_from = root.join("fixtures").join(&f);
    let fix_to = tmp.join("fixtures").join(&y);
    fs::create_dir_all(&fix_to).map_err(io_err(&fix_to))?;
    for name in ["units.toml", "units.csv", "indicators.toml"] {
        let src = fix_from.join(name);
        if !src.is_file() {
            continue;
        }
        if name == "units.csv" {
            copy_file(&src, &fix_to.join(name))?;
            continue;
        }
        let note = match name {
            "units.toml" => format!("{made}\n{TO_EDIT} the units evaluated in {year} (added, merged, renamed)."),
            _ => format!("{made}\n{TO_EDIT} these tables and the files they name are {from}'s figures: replace them with those of {year}."),
        };
        write(&fix_to.join(name), &with_header(&read(&src)?, &note))?;
    }
    let ind_from = fix_from.join("indicators");
    for (rel, _) in crate::source::files::files(&ind_from, true) {
        copy_file(&ind_from.join(&rel), &fix_to.join("indicators").join(&rel))?;
    }
    write(&fix_to.join("previous.toml"), &previous_toml(archived, year, from))?;
    write(&fix_to.join("scores.toml"), &scores_template(model, year))?;
    Ok(())
}

/// Renames the three folders into place; on a failure, those already moved go back.
fn move_into_place(root: &Path, tmp: &Path, year: u16) -> Result<(), NewYearError> {
    let mut moved: Vec<(PathBuf, PathBuf)> = Vec::new();
    for sub in SUBS {
        let (src, dst) = (tmp.join(sub).join(year.to_string()), root.join(sub).join(year.to_string()));
        let step = fs::create_dir_all(root.join(sub)).and_then(|()| {
            if dst.exists() {
                Err(io::Error::new(io::ErrorKind::AlreadyExists, "created meanwhile"))
            } else {
                fs::rename(&src, &dst)
            }
        });
        if let Err(e) = step {
            for (s, d) in moved.into_iter().rev() {
                let _ = fs::rename(&d, &s);
            }
            return Err(NewYearError::Io { path: dst.display().to_string(), source: e });
        }
        moved.push((src, dst));
    }
    Ok(())
}

fn parse_doc(text: &str, path: &Path) -> Result<toml_edit::DocumentMut, NewYearError> {
    text.parse::<toml_edit::DocumentMut>()
        .map_err(|e| NewYearError::Io { path: path.display().to_string(), source: io::Error::new(io::ErrorKind::InvalidData, e) })
}

fn set_top_int(text: &str, key: &str, v: u16, path: &Path) -> Result<String, NewYearError> {
    let mut doc = parse_doc(text, path)?;
    if doc.contains_key(key) {
        doc[key] = toml_edit::value(i64::from(v));
    }
    Ok(doc.to_string())
}

/// The index of the new year: `year` and the title's year updated, the
/// legal basis of the whole index marked for the official.
fn index_toml(text: &str, year: u16, from: u16, made: &str, model: &Model) -> Result<String, NewYearError> {
    let mut doc = parse_doc(text, Path::new("index.toml"))?;
    let (y, f) = (year.to_string(), from.to_string());
    if let Some(index) = doc.get_mut("index").and_then(|i| i.as_table_mut()) {
        index["year"] = toml_edit::value(i64::from(year));
        // The change columns compare with `from`: said in so many words when it is not the year before.
        if year == from + 1 {
            index.remove("previous_year");
        } else {
            index["previous_year"] = toml_edit::value(i64::from(from));
        }
        for key in ["name", "description"] {
            if let Some(s) = index.get(key).and_then(|v| v.as_str()).map(|s| s.replace(&f, &y)) {
                index[key] = toml_edit::value(s);
            }
        }
        if let Some(mut k) = index.key_mut("legal") {
            k.leaf_decor_mut().set_prefix(format!("# {TO_EDIT} the legal basis of {year} (the decision issuing the criteria of {year})\n"));
        }
    }
    let basis: Vec<&str> = model.index_legal.iter().map(|&i| model.legal[i].id.as_str()).collect();
    if let Some(legal) = doc.get_mut("legal").and_then(|l| l.as_array_of_tables_mut()) {
        for t in legal.iter_mut() {
            if t.get("id").and_then(|v| v.as_str()).is_some_and(|id| basis.contains(&id)) {
                let old = t.decor().prefix().and_then(|p| p.as_str()).unwrap_or_default().to_string();
                t.decor_mut()
                    .set_prefix(format!("{old}# {TO_EDIT} this is the document of {from}: its number, date and title for {year}\n"));
            }
        }
    }
    Ok(with_header(
        &doc.to_string(),
        &format!("{made}\n{TO_EDIT} the lines marked below; the comments of this file describe {from} until edited."),
    ))
}

/// `previous.toml` of the new year from the archived report of `from`.
fn previous_toml(archived: &Archive, year: u16, from: u16) -> String {
    let fp = &archived.fingerprint.sha256;
    let mut out = format!(
        "#:schema ../../schema/previous.json\n\
         # Kết quả năm {from}: each unit's published index and rank in {from}, which the\n\
         # change columns of {year} compare with. Written by `parindex new-year {year} --from {from}`\n\
         # from the archived result results/{from}.json; do not edit by hand.\n\
         #\n\
         # Keys: year (the year these results are of), source, and per [[unit]] its id,\n\
         # index (%, as published) and rank (within its ranking group).\n\n\
         year = {from}\n\
         source = \"results/{from}.json (fingerprint {fp})\"\n"
    );
    for u in &archived.report.units {
        let _ = write!(out, "\n# {}\n[[unit]]\nid = \"{}\"\nindex = \"{}\"\nrank = {}\n", u.name, u.id, u.index, u.rank);
    }
    out
}

/// Whether unit `u` is exempt from node `n` or from one of its ancestors.
fn exempt(m: &Model, u: usize, n: usize) -> bool {
    let mut at = Some(n);
    while let Some(i) = at {
        if m.exempt.contains_key(&(u, i)) {
            return true;
        }
        at = m.nodes[i].parent;
    }
    false
}

/// The council's points to fill: every unit, and every criterion it is
/// scored on that no rule scores, commented out with its maximum and name.
fn scores_template(m: &Model, year: u16) -> String {
    let mut out = format!(
        "#:schema ../../schema/scores.json\n\
         # Điểm do Hội đồng thẩm định chấm năm {year}: points awarded by the appraisal council.\n\
         # {TO_EDIT} every unit's points of {year}. Each unit lists, commented out, every criterion\n\
         # it is scored on that no rule scores from data, with its maximum and name: remove the `#`\n\
         # and write the points. Points given at a criterion stand for all of its sub-criteria\n\
         # (`\"1\" = 11.31` scores the whole component 1): then leave its sub-criteria out.\n"
    );
    for (u, unit) in m.units.iter().enumerate() {
        let _ = write!(out, "\n# {}\n[{}]\n", unit.name, toml_key(&unit.id));
        for (n, node) in m.nodes.iter().enumerate() {
            let Some(max) = node.max[unit.kind] else { continue };
            if !node.is_leaf() || node.rule.is_some() || exempt(m, u, n) {
                continue;
            }
            let _ = writeln!(out, "# \"{}\" =  # max {}: {}", node.id, crate::report::plain(max), node.name);
        }
    }
    out
}

/// A unit id as a TOML key: bare when it can be, else quoted.
fn toml_key(id: &str) -> String {
    if !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        id.to_string()
    } else {
        format!("\"{}\"", id.replace('\\', "\\\\").replace('"', "\\\""))
    }
}
