//! Load: read a year's files from disk into raw structs.
//!
//! A year's tree under a root folder:
//!
//! | path | holds |
//! |---|---|
//! | `criteria/<year>/index.toml` | metadata, legal basis, rounding, kinds, parts, ranking groups |
//! | `criteria/<year>/tree/*.toml` | the criteria (`[[node]]`), in file-name order |
//! | `criteria/<year>/exemptions.toml` | units not evaluated on criteria or parts |
//! | `rules/<year>/<name>.rhai` | the rule scripts the index names, sealed per year |
//! | `fixtures/<year>/units.toml` | the units |
//! | `fixtures/<year>/scores.toml` | points awarded by the appraisal council |
//! | `fixtures/<year>/facts.toml` | raw facts read by rules (optional) |
//! | `fixtures/<year>/indicators.toml` | indicator tables (CSV) read by rules (optional) |
//! | `fixtures/<year>/previous.toml` | last year's published index and rank (optional) |
//! | `fixtures/<year>/self-assessment.toml` | the units' self-scores and evidence (optional) |
//! | `fixtures/<year>/rounds.toml` | the council's appraisal rounds (optional) |
//! | `fixtures/<year>/survey.toml` and its answers CSV | the survey's questionnaires (optional) |
//!
//! Every file is read once; its text is kept ([`Source`]) for diagnostics
//! and for the fingerprint.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::de::DeserializeOwned;

use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::input::fingerprint::Kept;
use crate::input::name::Name;
use crate::input::raw::*;
use crate::input::raw_round::*;

/// The text of one file as read, with its path relative to the root and
/// its line index (built once, for every place located in it).
pub use crate::source::map::SourceFile as Source;

/// Everything read for one year, before validation.
#[derive(Debug, Default)]
pub struct RawYear {
    pub root: PathBuf,
    pub year: u16,
    /// The year of the data (`fixtures/<data_year>`): `year` but when scoring
    /// one year's units under another year's criteria.
    pub data_year: u16,
    /// A what-if: the data of one year under another year's criteria, where
    /// what does not fit is reported and left out instead of refused.
    pub what_if: bool,
    /// In a what-if, the unit kinds of the data year's own criteria, which
    /// may say which kind of this year they continue.
    pub data_kinds: Vec<RawKind>,
    pub index: Option<(Source, RawIndexFile)>,
    pub tree: Vec<(Source, RawTreeFile)>,
    pub exemptions: Option<(Source, RawExemptionsFile)>,
    pub scripts: Vec<Source>,
    /// Shared with the next load of the same year while the data files do not change.
    pub units: Option<Arc<(Source, RawUnitsFile)>>,
    pub scores: Option<(Source, RawScoresFile)>,
    pub facts: Option<(Source, RawFactsFile)>,
    pub previous: Option<(Source, RawPreviousFile)>,
    pub self_assessment: Option<(Source, RawSelfFile)>,
    pub rounds: Option<(Source, RawRoundsFile)>,
    pub survey: Option<(Source, RawSurveyFile)>,
    /// The survey's answers, as `survey.toml` names them.
    pub survey_answers: Option<Source>,
}

impl RawYear {
    pub fn source(&self, path: &Path) -> Option<&Source> {
        self.all_sources().find(|s| s.path == path)
    }

    /// What is held of the file `path`: its text; `None` for a file not read.
    pub fn kept(&self, path: &Path) -> Option<Kept<'_>> {
        self.source(path).map(|s| Kept::Text(&s.text))
    }

    /// Every file read, in the order of [`RawYear::all_sources`], moved out
    /// (the units' copied: they are shared with the next load); the values
    /// read from them stay.
    pub fn take_sources(&mut self) -> Vec<Source> {
        let units = self.units.as_ref().map(|u| u.0.clone());
        let take = std::mem::take::<Source>;
        let mut out = Vec::with_capacity(self.tree.len() + self.scripts.len() + 10);
        out.extend(self.index.as_mut().map(|(s, _)| take(s)));
        out.extend(self.tree.iter_mut().map(|(s, _)| take(s)));
        out.extend(self.exemptions.as_mut().map(|(s, _)| take(s)));
        out.extend(self.scripts.iter_mut().map(take));
        out.extend(units);
        out.extend(self.scores.as_mut().map(|(s, _)| take(s)));
        out.extend(self.facts.as_mut().map(|(s, _)| take(s)));
        out.extend(self.previous.as_mut().map(|(s, _)| take(s)));
        out.extend(self.self_assessment.as_mut().map(|(s, _)| take(s)));
        out.extend(self.rounds.as_mut().map(|(s, _)| take(s)));
        out.extend(self.survey.as_mut().map(|(s, _)| take(s)));
        out.extend(self.survey_answers.as_mut().map(take));
        out
    }

    /// Every file read, in a stable order.
    pub fn all_sources(&self) -> impl Iterator<Item = &Source> {
        self.index
            .iter()
            .map(|(s, _)| s)
            .chain(self.tree.iter().map(|(s, _)| s))
            .chain(self.exemptions.iter().map(|(s, _)| s))
            .chain(self.scripts.iter())
            .chain(self.units.iter().map(|u| &u.0))
            .chain(self.scores.iter().map(|(s, _)| s))
            .chain(self.facts.iter().map(|(s, _)| s))
            .chain(self.previous.iter().map(|(s, _)| s))
            .chain(self.self_assessment.iter().map(|(s, _)| s))
            .chain(self.rounds.iter().map(|(s, _)| s))
            .chain(self.survey.iter().map(|(s, _)| s))
            .chain(self.survey_answers.iter())
    }
}

/// The files at the root of a year's data folder that a load reads by
/// name (the survey's answers and the indicator tables it reads where
/// `survey.toml` and `indicators.toml` name them); a file of the folder
/// named otherwise, such as the published components or the
/// expectations, is only hashed for the fingerprint.
pub const READ_BY_NAME: [&str; 9] = [
    "units.toml",
    "units.csv",
    "scores.toml",
    "facts.toml",
    "indicators.toml",
    "previous.toml",
    "self-assessment.toml",
    "rounds.toml",
    "survey.toml",
];

/// The folder of a year's criteria.
pub fn criteria_dir(root: &Path, year: u16) -> PathBuf {
    root.join("criteria").join(year.to_string())
}

/// The folder of a year's rule scripts: each year has its own, so editing
/// a later year's formula never changes an earlier year's results.
pub fn rules_dir(root: &Path, year: u16) -> PathBuf {
    root.join("rules").join(year.to_string())
}

/// The path, relative to the root, of the rule script `name` of `year`.
pub fn script_path(year: u16, name: &str) -> PathBuf {
    PathBuf::from("rules").join(year.to_string()).join(format!("{name}.rhai"))
}

/// The folder of a year's data.
pub fn fixtures_dir(root: &Path, year: u16) -> PathBuf {
    root.join("fixtures").join(year.to_string())
}

/// Reads a text file relative to `root`; `Ok(None)` if it does not exist.
pub fn read_source(root: &Path, rel: &Path) -> Result<Option<Source>, Diagnostic> {
    match std::fs::read_to_string(root.join(rel)) {
        Ok(text) => Ok(Some(Source::new(rel, text))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
            let bytes = std::fs::read(root.join(rel)).unwrap_or_default();
            let fix = "save it as UTF-8 (Excel: \"CSV UTF-8 (Comma delimited)\")";
            match crate::input::csvread::decode(rel, bytes, crate::input::csvread::Encoding::Utf8, fix) {
                Err(d) => Err(d),
                Ok(text) => Ok(Some(Source::new(rel, text))),
            }
        }
        Err(e) => Err(Diagnostic::error(Code::Io, format!("cannot read file: {e}")).in_file(rel)),
    }
}

/// Reads a file of the data modules (indicator declarations, statistics,
/// targets) at `path`, reporting `IO` when it cannot.
pub(crate) fn read_file(path: &Path, diags: &mut Diagnostics) -> Option<String> {
    match std::fs::read_to_string(path) {
        Ok(s) => Some(s),
        Err(e) => {
            diags.push(Diagnostic::error(Code::Io, format!("cannot read `{}`: {e}", path.display())).in_file(path));
            None
        }
    }
}

/// Parses the TOML text `src` of `path`, reporting `TOML_SYNTAX` at the offending span.
pub(crate) fn parse_toml_file<T: DeserializeOwned>(path: &Path, src: &str, diags: &mut Diagnostics) -> Option<T> {
    match crate::input::tomlread::from_str::<T>(src) {
        Ok(v) => Some(v),
        Err(e) => {
            let d = Diagnostic::error(Code::TomlSyntax, e.message().trim().to_owned());
            diags.push(match e.span() {
                Some(span) => d.at_offset(path, src, span.start),
                None => d.in_file(path),
            });
            None
        }
    }
}

/// Parses a TOML source into `T`, turning a syntax or schema error into a
/// diagnostic with line, column and the offending line.
pub fn parse_toml<T: DeserializeOwned>(src: &Source) -> Result<T, Diagnostic> {
    crate::input::tomlread::from_str(&src.text).map_err(|e| toml_error(src, &e))
}

fn toml_error(src: &Source, e: &toml::de::Error) -> Diagnostic {
    let message = e.message().trim().to_string();
    let message = lowercase_first(&message);
    let d = Diagnostic::error(Code::TomlSyntax, message);
    match e.span() {
        Some(span) => d.at_offset(&src.path, &src.text, span.start),
        None => d.in_file(&src.path),
    }
}

fn lowercase_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) if !s.starts_with("TOML") => f.to_lowercase().chain(c).collect(),
        Some(f) => std::iter::once(f).chain(c).collect(),
        None => String::new(),
    }
}

fn load_file<T: DeserializeOwned>(root: &Path, rel: PathBuf, required: bool, diags: &mut Diagnostics) -> Option<(Source, T)> {
    match read_source(root, &rel) {
        Ok(Some(src)) => match parse_toml(&src) {
            Ok(v) => Some((src, v)),
            Err(d) => {
                diags.push(d);
                None
            }
        },
        Ok(None) => {
            if required {
                diags.push(Diagnostic::error(Code::Io, "file not found").in_file(&rel));
            }
            None
        }
        Err(d) => {
            diags.push(d);
            None
        }
    }
}

/// Units from `units.csv`: a header `id,name,kind,aliases` (aliases
/// separated by `|`), one unit a row; the form for thousands of units.
/// Read as every CSV is ([`csvread`](crate::input::csvread)): UTF-8 with or
/// without a byte order mark, quoted fields, CRLF; a row with more or fewer
/// fields than the header is an error at its line.
fn units_from_csv(src: &Source, diags: &mut Diagnostics) -> RawUnitsFile {
    use crate::input::csvread::{at_field, at_line, field_offset, for_each_record, record_end, Fields};
    let mut out = RawUnitsFile::default();
    let path = &src.path;
    let text = src.text.strip_prefix('\u{feff}').unwrap_or(&src.text);
    // Offsets in `text` are offsets in the source after the mark.
    let base = src.text.len() - text.len();
    // The columns of id, name, kind and aliases, and the header's width; `None` when the header lacks one.
    type Columns = Option<(usize, usize, usize, Option<usize>, usize)>;
    let mut header: Option<Columns> = None;
    let mut fields = Fields::new();
    let read = for_each_record(text, b',', path, |record| {
        let Some(columns) = &header else {
            let names: Vec<String> = (0..record.len()).map(|i| record.get(i).trim().to_lowercase()).collect();
            let col = |name: &str| names.iter().position(|h| h == name);
            let cols = match (col("id"), col("name"), col("kind")) {
                (Some(ci), Some(cn), Some(ck)) => Some((ci, cn, ck, col("aliases"), names.len())),
                _ => {
                    let missing: Vec<&str> = ["id", "name", "kind"].into_iter().filter(|n| col(n).is_none()).collect();
                    let d = Diagnostic::error(
                        Code::CsvSyntax,
                        format!("units.csv needs the columns `id`, `name` and `kind`; `{}` is missing", missing.join("`, `")),
                    )
                    .help("the header is `id,name,kind,aliases`");
                    diags.push(at_line(d, path, text, record.line, record.start, record.start));
                    None
                }
            };
            header = Some(cols);
            return;
        };
        let Some((ci, cn, ck, ca, width)) = *columns else { return };
        let id = record.get(ci).trim();
        if record.len() != width {
            let at = if record.len() > width { field_offset(text, record, b',', width) } else { record_end(text, record, b',') };
            let d = Diagnostic::error(
                Code::CsvSyntax,
                format!("the row of unit `{id}` has {} fields where the header has {width}", record.len()),
            )
            .help("quote a name that holds a comma (`\"Sở Lao động, Thương binh và Xã hội\"`)")
            .unit(id);
            diags.push(at_line(d, path, text, record.line, record.start, at));
            return;
        }
        // Spans in the source, for the diagnostics of validation.
        fields.locate(text, record, b',');
        let span = |i: usize, t: &str| {
            let at = fields.span(text, i, t);
            base + at.start..base + at.end
        };
        if id.is_empty() {
            diags.push(at_field(Diagnostic::error(Code::CsvSyntax, "a unit without an id"), path, text, record, b',', ci));
            return;
        }
        let name = record.get(cn).trim();
        let kind = record.get(ck).trim();
        let aliases =
            ca.map(|i| record.get(i).split('|').map(str::trim).filter(|x| !x.is_empty()).map(String::from).collect()).unwrap_or_default();
        out.unit.push(RawUnit {
            id: toml::Spanned::new(span(ci, id), Name::from(id)),
            name: Name::from(name),
            aliases,
            kind: toml::Spanned::new(span(ck, kind), kind.to_string()),
        });
    });
    if let Err(d) = read {
        diags.push(d);
    }
    out
}

/// The units of the data folder `fix`: `units.csv`, else `units.toml`.
fn read_units(root: &Path, fix: &Path, diags: &mut Diagnostics) -> Option<(Source, RawUnitsFile)> {
    let units_csv = fix.join("units.csv");
    match read_source(root, &units_csv) {
        Ok(Some(src)) => {
            if root.join(fix.join("units.toml")).exists() {
                diags.push(Diagnostic::error(Code::Duplicate, "units are declared both in units.toml and units.csv").in_file(&units_csv));
            }
            let units = units_from_csv(&src, diags);
            Some((src, units))
        }
        Ok(None) => load_file(root, fix.join("units.toml"), true, diags),
        Err(d) => {
            diags.push(d);
            None
        }
    }
}

/// The `.toml` files of a folder relative to `root`, sorted by name.
fn toml_files(root: &Path, rel_dir: &Path) -> Vec<PathBuf> {
    let files = crate::source::files::files(&root.join(rel_dir), false).into_iter().map(|(p, _)| p);
    files.filter(|p| p.extension().is_some_and(|x| x == "toml")).map(|p| rel_dir.join(p)).collect()
}

/// Reads every file of `year` under `root`. Problems are collected, never fatal here.
pub fn load_year(root: &Path, year: u16) -> (RawYear, Diagnostics) {
    load_year_with(root, year, year, None)
}

/// Reads the criteria of `year` and the data of `data_year` (to score one
/// year's units under another year's rules). `units`, when given, are the
/// units read from these data files by an earlier load that found no
/// problem in them, and the files have not changed since: they are taken as
/// they are instead of read again.
pub fn load_year_with(root: &Path, year: u16, data_year: u16, units: Option<Arc<(Source, RawUnitsFile)>>) -> (RawYear, Diagnostics) {
    let (raw, diags, _) = load_year_meanwhile(root, year, data_year, units, || read_self_assessment(root, data_year), |_| ());
    (raw, diags)
}

/// The self-assessment of a year's data as read: the file and what it
/// holds, and its problems.
pub type SelfRead = (Option<(Source, RawSelfFile)>, Diagnostics);

/// The path of a year's self-assessment, relative to the root.
pub fn self_assessment_path(data_year: u16) -> PathBuf {
    PathBuf::from("fixtures").join(data_year.to_string()).join("self-assessment.toml")
}

/// Reads the self-assessment of `data_year` (none: not an error). The
/// self-assessment is most of a province's data: the loads that can read
/// it on a thread of its own from the start do (the rule set's, which
/// makes its digest there too, once it is handed over).
pub fn read_self_assessment(root: &Path, data_year: u16) -> SelfRead {
    let mut diags = Diagnostics::default();
    let read = load_file(root, self_assessment_path(data_year), false, &mut diags);
    (read, diags)
}

/// [`load_year_with`], calling `meanwhile` on what is read so far (every
/// file but the self-assessment) when it has no error, before `self_read`
/// hands over the self-assessment ([`read_self_assessment`]): read on a
/// thread from the start, the 2023 province validates its criteria, units,
/// points and survey meanwhile instead of waiting for it (up to 2 ms).
/// `None` when `meanwhile` was not called. The self-assessment's problems
/// are told in their place, after those of `previous.toml`.
pub fn load_year_meanwhile<R>(
    root: &Path,
    year: u16,
    data_year: u16,
    units: Option<Arc<(Source, RawUnitsFile)>>,
    self_read: impl FnOnce() -> SelfRead,
    meanwhile: impl FnOnce(&RawYear) -> R,
) -> (RawYear, Diagnostics, Option<R>) {
    let mut diags = Diagnostics::default();
    let crit = PathBuf::from("criteria").join(year.to_string());
    let fix = PathBuf::from("fixtures").join(data_year.to_string());
    let mut raw = RawYear { root: root.to_path_buf(), year, data_year, what_if: year != data_year, ..RawYear::default() };

    if !root.join(&crit).is_dir() {
        diags.push(
            Diagnostic::error(Code::Io, format!("no criteria for year {year}"))
                .in_file(&crit)
                .help("each year's criteria live in `criteria/<year>/`"),
        );
        return (raw, diags, None);
    }

    read_criteria(root, &crit, (year, data_year), &mut raw, &mut diags);
    raw.units = units.or_else(|| read_units(root, &fix, &mut diags).map(Arc::new));
    raw.scores = load_file(root, fix.join("scores.toml"), false, &mut diags);
    raw.facts = load_file(root, fix.join("facts.toml"), false, &mut diags);
    raw.previous = load_file(root, fix.join("previous.toml"), false, &mut diags);
    let mut after = Diagnostics::default();
    raw.rounds = load_file(root, fix.join("rounds.toml"), false, &mut after);
    raw.survey = load_file::<RawSurveyFile>(root, fix.join("survey.toml"), false, &mut after);
    // The survey's answers are read before `meanwhile`, which validates
    // them; a problem reading them is told after the self-assessment's.
    let mut answers = Diagnostics::default();
    if let Some((src, s)) = &raw.survey {
        let name = s.survey.answers.get_ref();
        let rel = fix.join(name);
        let inside = std::path::Path::new(name).components().all(|c| matches!(c, std::path::Component::Normal(_)));
        match read_source(root, &rel) {
            Ok(Some(a)) if inside => raw.survey_answers = Some(a),
            Ok(_) => answers.push(
                Diagnostic::error(Code::Io, format!("the survey's answers `{name}` are not found"))
                    .at_offset(&src.path, &src.text, s.survey.answers.span().start)
                    .help("`answers` names a CSV file inside the year's data folder, e.g. `survey/answers.csv`"),
            ),
            Err(d) => answers.push(d),
        }
    }
    let early = (!diags.has_errors() && !after.has_errors()).then(|| meanwhile(&raw));
    let (self_assessment, own_diags) = self_read();
    diags.extend(own_diags);
    raw.self_assessment = self_assessment;
    diags.extend(after);
    diags.extend(answers);
    (raw, diags, early)
}

/// The criteria of `year`: `index.toml`, the tree's files, `exemptions.toml`
/// and the rule scripts, with the unit kinds of `data_year` when they differ.
fn read_criteria(root: &Path, crit: &Path, (year, data_year): (u16, u16), raw: &mut RawYear, diags: &mut Diagnostics) {
    raw.index = load_file(root, crit.join("index.toml"), true, diags);
    let tree_dir = crit.join("tree");
    let tree_files = toml_files(root, &tree_dir);
    if tree_files.is_empty() {
        diags.push(Diagnostic::error(Code::Io, "no criteria files").in_file(&tree_dir));
    }
    for rel in tree_files {
        if let Some(f) = load_file(root, rel, true, diags) {
            raw.tree.push(f);
        }
    }
    raw.exemptions = load_file(root, crit.join("exemptions.toml"), false, diags);

    if let Some((_, index)) = &raw.index {
        for name in &index.index.scripts {
            let rel = script_path(year, name.get_ref());
            match read_source(root, &rel) {
                Ok(Some(src)) => raw.scripts.push(src),
                Ok(None) => {
                    let (src, _) = raw.index.as_ref().map(|(s, i)| (s, i)).unzip();
                    let d = Diagnostic::error(Code::UnknownReference, format!("rule script `{}` not found", name.get_ref()))
                        .help(format!("expected the file `{}`", rel.display()));
                    diags.push(match src {
                        Some(s) => d.at_offset(&s.path, &s.text, name.span().start),
                        None => d,
                    });
                }
                Err(d) => diags.push(d),
            }
        }
    }

    if raw.what_if {
        let own = PathBuf::from("criteria").join(data_year.to_string()).join("index.toml");
        if let Some((_, f)) = load_file::<RawIndexFile>(root, own, false, diags) {
            raw.data_kinds = f.kind;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_taken_are_every_source_in_order() {
        let (mut raw, diags) = load_year(Path::new(env!("CARGO_MANIFEST_DIR")), 2023);
        assert!(!diags.has_errors(), "{diags:?}");
        let before: Vec<(PathBuf, String)> = raw.all_sources().map(|s| (s.path.clone(), s.text.clone())).collect();
        assert!(before.len() > 10, "the 2023 year reads most kinds of file: {}", before.len());
        let taken: Vec<(PathBuf, String)> = raw.take_sources().into_iter().map(|s| (s.path, s.text)).collect();
        assert_eq!(taken, before);
    }

    #[test]
    fn every_data_file_read_at_the_root_is_read_by_name() {
        // A file read but left out of the list would be hashed a second time, from disk, for nothing:
        // the digest of the text read is the one used.
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        for year in [2023, 2025] {
            let (raw, diags) = load_year(root, year);
            assert!(!diags.has_errors(), "{diags:?}");
            let dir = PathBuf::from("fixtures").join(year.to_string());
            let at_root: Vec<&str> =
                raw.all_sources().filter(|s| s.path.parent() == Some(dir.as_path())).filter_map(|s| s.path.file_name()?.to_str()).collect();
            assert!(at_root.len() >= 2, "{year}: {at_root:?}");
            for name in at_root {
                assert!(READ_BY_NAME.contains(&name), "{year}: `{name}` is read but not in READ_BY_NAME");
            }
        }
    }
}
