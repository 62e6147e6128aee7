//! Diagnostics: every problem found in the user's files, with where it is.
//!
//! Loading and validation never stop at the first problem: they collect
//! [`Diagnostic`]s, each with a stable [`Code`], a [`Severity`], the file,
//! line and column it points at, and the unit and criterion it concerns.
//! The CLI prints them as text (with the offending line and a caret) or JSON.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;

mod lang;
pub use lang::{render, render_all, title, totals};

/// How bad a problem is: an error stops the results, a warning does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

/// Stable identifiers of every kind of problem. Tests and tools match these,
/// never the wording of the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum Code {
    /// A file could not be read.
    Io,
    /// A TOML file is not valid TOML, or a key or value is not what it should be.
    TomlSyntax,
    /// A CSV file is malformed (wrong column count, missing header).
    CsvSyntax,
    /// A criterion id is referenced that does not exist.
    UnknownCriterion,
    /// A unit id or name is referenced that does not exist.
    UnknownUnit,
    /// A unit kind, part, group, rule or dataset is referenced that does not exist.
    UnknownReference,
    /// An id is declared twice.
    Duplicate,
    /// A criterion id's parent does not exist.
    OrphanCriterion,
    /// Points above the maximum of their node.
    ScoreAboveMax,
    /// Points below zero.
    ScoreBelowZero,
    /// A scored leaf has no data for a unit.
    MissingData,
    /// A value is present but unusable (wrong type, out of range).
    BadValue,
    /// A number whose format is ambiguous or does not match the declared format.
    AmbiguousNumber,
    /// A rhai script failed to compile.
    ScriptCompile,
    /// A rhai script failed while running, or exceeded a limit.
    ScriptRuntime,
    /// A rhai script returned something that is not a number.
    ScriptNotNumber,
    /// A unit belongs to no ranking group, or to more than one.
    GroupMembership,
    /// A maximum is declared inconsistently.
    BadMaximum,
    /// A declared consistency check does not hold.
    CheckFailed,
    /// A name matched no unit, or a unit is missing from a table.
    UnmatchedName,
    /// A target is malformed (unknown comparison word, bad threshold).
    BadTarget,
    /// An expectation of `parindex test` does not hold.
    ExpectationFailed,
    /// Points awarded where the unit is not evaluated: at a criterion it is
    /// exempt from, or that has no maximum for its kind (they would be ignored).
    PointsNotEvaluated,
    /// Points awarded for a unit both at a criterion and at one of its
    /// sub-criteria (or at a part and one of its criteria): one would be dropped.
    OverlappingPoints,
    /// An exemption changes nothing for a unit: what it names has no maximum
    /// for the unit's kind, or another exemption already takes it out.
    RedundantExemption,
    /// A file holds the results of another year than the one it must.
    WrongYear,
    /// A unit has no entry in `previous.toml`: its change columns are blank.
    NoPrevious,
    /// `parindex test` found no expectation to run: no expectation file for
    /// the year, or a file that declares none.
    NoExpectations,
    /// A rule script imports a module or calls `eval`: a rule reads only its own file.
    ScriptImport,
    /// A criterion passes its rule a parameter the rule does not declare, or
    /// one that is missing, of the wrong type or out of its declared range.
    RuleParam,
    /// A rule's arithmetic, or the sum of a unit's points, went beyond the
    /// range of decimals (about 7.9 × 10^28).
    ScriptOverflow,
    /// A file an archived (sealed) year depends on changed, appeared or disappeared since it was archived.
    SealedYearChanged,
}

impl Code {
    /// The code as printed: `SCORE_ABOVE_MAX`.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::Io => "IO",
            Code::TomlSyntax => "TOML_SYNTAX",
            Code::CsvSyntax => "CSV_SYNTAX",
            Code::UnknownCriterion => "UNKNOWN_CRITERION",
            Code::UnknownUnit => "UNKNOWN_UNIT",
            Code::UnknownReference => "UNKNOWN_REFERENCE",
            Code::Duplicate => "DUPLICATE",
            Code::OrphanCriterion => "ORPHAN_CRITERION",
            Code::ScoreAboveMax => "SCORE_ABOVE_MAX",
            Code::ScoreBelowZero => "SCORE_BELOW_ZERO",
            Code::MissingData => "MISSING_DATA",
            Code::BadValue => "BAD_VALUE",
            Code::AmbiguousNumber => "AMBIGUOUS_NUMBER",
            Code::ScriptCompile => "SCRIPT_COMPILE",
            Code::ScriptRuntime => "SCRIPT_RUNTIME",
            Code::ScriptNotNumber => "SCRIPT_NOT_NUMBER",
            Code::GroupMembership => "GROUP_MEMBERSHIP",
            Code::BadMaximum => "BAD_MAXIMUM",
            Code::CheckFailed => "CHECK_FAILED",
            Code::UnmatchedName => "UNMATCHED_NAME",
            Code::BadTarget => "BAD_TARGET",
            Code::ExpectationFailed => "EXPECTATION_FAILED",
            Code::PointsNotEvaluated => "POINTS_NOT_EVALUATED",
            Code::OverlappingPoints => "OVERLAPPING_POINTS",
            Code::RedundantExemption => "REDUNDANT_EXEMPTION",
            Code::WrongYear => "WRONG_YEAR",
            Code::NoPrevious => "NO_PREVIOUS",
            Code::NoExpectations => "NO_EXPECTATIONS",
            Code::ScriptImport => "SCRIPT_IMPORT",
            Code::RuleParam => "RULE_PARAM",
            Code::ScriptOverflow => "SCRIPT_OVERFLOW",
            Code::SealedYearChanged => "SEALED_YEAR_CHANGED",
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A place in a file: 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Location {
    pub file: PathBuf,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
}

impl Location {
    pub fn file(file: impl Into<PathBuf>) -> Self {
        Location { file: file.into(), line: None, column: None }
    }

    pub fn at(file: impl Into<PathBuf>, line: usize, column: usize) -> Self {
        Location { file: file.into(), line: Some(line), column: Some(column) }
    }

    /// The location of byte `offset` in `source`, the text of `file`.
    pub fn from_offset(file: impl Into<PathBuf>, source: &str, offset: usize) -> Self {
        let (line, column) = line_col(source, offset);
        Location::at(file, line, column)
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(source: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(source.len());
    let before = &source[..floor_char_boundary(source, offset)];
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let line_start = before.bytes().rposition(|b| b == b'\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// One problem found in the user's files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub criterion: Option<String>,
    /// What was expected instead, or a suggestion ("did you mean `x`?").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// The offending source line, for the caret display.
    #[serde(skip)]
    pub source_line: Option<String>,
}

impl Diagnostic {
    pub fn error(code: Code, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            severity: Severity::Error,
            message: message.into(),
            location: None,
            unit: None,
            criterion: None,
            help: None,
            source_line: None,
        }
    }

    pub fn warning(code: Code, message: impl Into<String>) -> Self {
        Diagnostic { severity: Severity::Warning, ..Diagnostic::error(code, message) }
    }

    pub fn at(mut self, location: Location) -> Self {
        self.location = Some(location);
        self
    }

    pub fn in_file(self, file: impl Into<PathBuf>) -> Self {
        self.at(Location::file(file))
    }

    /// Points at byte `offset` of `source` (the text of `file`), keeping the line for display.
    pub fn at_offset(mut self, file: &Path, source: &str, offset: usize) -> Self {
        let loc = Location::from_offset(file, source, offset);
        if let Some(line) = loc.line {
            self.source_line = source.lines().nth(line - 1).map(str::to_owned);
        }
        self.location = Some(loc);
        self
    }

    pub fn unit(mut self, unit: impl Into<String>) -> Self {
        self.unit = Some(unit.into());
        self
    }

    pub fn criterion(mut self, criterion: impl Into<String>) -> Self {
        self.criterion = Some(criterion.into());
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// What makes two diagnostics the same problem, but for the unit.
    pub fn message_key(&self) -> (&str, Option<&Location>) {
        (&self.message, self.location.as_ref())
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    /// `error[SCORE_ABOVE_MAX]: message` then `  --> file:line:col`, the line, a caret,
    /// the unit and criterion, and the help.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{sev}[{}]: {}", self.code, self.message)?;
        if let Some(loc) = &self.location {
            write!(f, "\n  --> {}", loc.file.display())?;
            if let (Some(l), Some(c)) = (loc.line, loc.column) {
                write!(f, ":{l}:{c}")?;
                if let Some(src) = &self.source_line {
                    let gutter = l.to_string().len();
                    write!(f, "\n{:gutter$} |\n{l} | {src}\n{:gutter$} | {:>c$}", "", "", "^")?;
                }
            }
        }
        match (&self.unit, &self.criterion) {
            (Some(u), Some(c)) => write!(f, "\n  = unit `{u}`, criterion `{c}`")?,
            (Some(u), None) => write!(f, "\n  = unit `{u}`")?,
            (None, Some(c)) => write!(f, "\n  = criterion `{c}`")?,
            (None, None) => {}
        }
        if let Some(h) = &self.help {
            write!(f, "\n  = help: {h}")?;
        }
        Ok(())
    }
}

/// A collection of diagnostics; errors make results unusable.
#[derive(Debug, Default, Clone, Serialize)]
#[serde(transparent)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }

    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }

    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }

    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter().filter(|d| d.is_error())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter()
    }

    /// Makes every location relative to `root`, so messages read the same on any machine.
    pub fn strip_root(&mut self, root: &Path) {
        for d in &mut self.0 {
            if let Some(loc) = &mut d.location {
                if let Ok(rel) = loc.file.strip_prefix(root) {
                    loc.file = rel.to_path_buf();
                }
            }
        }
    }

    /// The codes of all diagnostics, for tests.
    pub fn codes(&self) -> Vec<Code> {
        self.0.iter().map(|d| d.code).collect()
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            writeln!(f, "{d}")?;
        }
        Ok(())
    }
}

/// The closest of `candidates` to `word`, if close enough to suggest.
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let word_l = word.to_lowercase();
    candidates
        .into_iter()
        .map(|c| (levenshtein(&word_l, &c.to_lowercase()), c))
        .filter(|(d, c)| *d <= (c.chars().count().max(word.chars().count()) / 3).max(2))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// The closest of `candidates` to `word`, however far.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let word_l = word.to_lowercase();
    candidates.into_iter().map(|c| (levenshtein(&word_l, &c.to_lowercase()), c)).min_by_key(|(d, _)| *d).map(|(_, c)| c)
}

/// Edit distance in characters.
pub fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters() {
        let src = "a = 1\nbé = x\n";
        assert_eq!(line_col(src, 0), (1, 1));
        assert_eq!(line_col(src, src.find('x').unwrap()), (2, 6));
    }

    #[test]
    fn suggests_close_names() {
        assert_eq!(did_you_mean("so-tttt", ["so-ttt", "so-tc"]), Some("so-ttt"));
        assert_eq!(did_you_mean("zzzzzz", ["so-ttt", "so-tc"]), None);
    }
}
