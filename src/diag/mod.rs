//! Diagnostics: every problem found in the user's files, with where it is.
//!
//! Loading and validation never stop at the first problem: they collect
//! [`Diagnostic`]s, each with a stable [`Code`], a [`Severity`], the file,
//! line and column it points at, and the unit and criterion it concerns.
//! Each points at a file by path and a byte [`Span`], with secondary
//! [`Label`]s; [`render`] shows them with the text of the files from the
//! [`SourceMap`]: `file:line:col`, the line with the span underlined, the
//! labels, then notes for the unit, the criterion and the help. The CLI
//! prints them so, or as JSON.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Serialize;

mod lang;
pub use crate::source::map::{LineIndex, SourceFile, SourceMap};
pub use lang::{title, totals};

mod location;
pub mod render;

pub use location::{cell_end, line_col, token_end, Label, Location, Span};
pub use render::{render, RenderOptions};

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
    /// A statement the report publishes about a component or criterion does not hold.
    PublishedStatementFails,
    /// A file an archived (sealed) year depends on changed, appeared or disappeared since it was archived.
    SealedYearChanged,
    /// A text file is not in the encoding declared for it (UTF-8 by default).
    Encoding,
    /// A workbook to import is not the shape of the template (a sheet, unit or criterion missing or unknown).
    WorkbookShape,
    /// An appraisal round gives a criterion fewer points than the unit's self-score without a reason code.
    CutWithoutReason,
    /// An explanation for a criterion the round did not cut.
    ExplanationNotCut,
    /// A self-score above 0 names no evidence where the year requires it.
    EvidenceMissing,
    /// The last appraisal round's points are not the council's points of `scores.toml`.
    RoundFinalMismatch,
    /// A unit returned fewer questionnaires than the survey's declared minimum.
    SurveyFewResponses,
    /// A unit's survey points from the questionnaires are not its points in `scores.toml`.
    SurveyMismatch,
    /// A round is asked for that the year does not have.
    UnknownRound,
    /// The next round's points do not follow its decision on an explanation
    /// (accepted but still cut, rejected but changed, partly but not in between).
    DecisionNotApplied,
    /// A file in a year's folders that nothing reads (a misnamed or misplaced file, a script no criterion names).
    UnreadFile,
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
            Code::PublishedStatementFails => "PUBLISHED_STATEMENT_FAILS",
            Code::SealedYearChanged => "SEALED_YEAR_CHANGED",
            Code::Encoding => "ENCODING",
            Code::WorkbookShape => "WORKBOOK_SHAPE",
            Code::CutWithoutReason => "CUT_WITHOUT_REASON",
            Code::ExplanationNotCut => "EXPLANATION_NOT_CUT",
            Code::EvidenceMissing => "EVIDENCE_MISSING",
            Code::RoundFinalMismatch => "ROUND_FINAL_MISMATCH",
            Code::SurveyFewResponses => "SURVEY_FEW_RESPONSES",
            Code::SurveyMismatch => "SURVEY_MISMATCH",
            Code::UnknownRound => "UNKNOWN_ROUND",
            Code::DecisionNotApplied => "DECISION_NOT_APPLIED",
            Code::UnreadFile => "UNREAD_FILE",
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
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
    /// The bytes of the location's file the problem is about (underlined).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub span: Option<Span>,
    /// Other places the problem concerns, each with a message.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<Label>,
    /// The offending source line, shown when the file is not in the
    /// source map the diagnostic is rendered with.
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
            span: None,
            labels: Vec::new(),
            source_line: None,
        }
    }

    pub fn warning(code: Code, message: impl Into<String>) -> Self {
        Diagnostic { severity: Severity::Warning, ..Diagnostic::error(code, message) }
    }

    /// Points at `location` (and the bytes it covers, when it knows them).
    pub fn at(mut self, location: Location) -> Self {
        self.span = location.span;
        self.location = Some(location);
        self
    }

    pub fn in_file(self, file: impl Into<PathBuf>) -> Self {
        self.at(Location::file(file))
    }

    /// Points at byte `offset` of `source` (the text of `file`) and the
    /// token there, keeping the line for display.
    pub fn at_offset(mut self, file: &Path, source: &str, offset: usize) -> Self {
        let loc = Location::from_offset(file, source, offset);
        if let Some(line) = loc.line {
            self.source_line = source.lines().nth(line - 1).map(str::to_owned);
        }
        self.at(loc)
    }

    /// Points at byte `offset` of `source` (the text of `file`) as
    /// [`Diagnostic::at_offset`] does, found in the line index `lines` of
    /// `source` instead of by a scan: for code that reports many places of
    /// one file.
    pub fn at_indexed(mut self, file: &Path, source: &str, lines: &LineIndex, offset: usize) -> Self {
        let (line, column) = lines.line_col(source, offset);
        self.source_line = Some(source[lines.line_range(source, line - 1)].to_owned());
        self.at(Location { span: Some(Span::new(offset..token_end(source, offset))), ..Location::at(file, line, column) })
    }

    /// Points at bytes `range` of a registered file, located by its line index.
    pub fn in_source(mut self, file: &SourceFile, range: Range<usize>) -> Self {
        let loc = Location::in_source(file, range);
        self.source_line = loc.line.and_then(|l| file.line_text(l)).map(str::to_owned);
        self.at(loc)
    }

    /// Points at bytes `range` of `file`; the line and column are found in
    /// the source map when the diagnostic is rendered or resolved.
    pub fn span(self, file: impl Into<PathBuf>, range: Range<usize>) -> Self {
        let file = file.into();
        match &self.location {
            // The same place, now with its extent.
            Some(l) if *l.file == *file && l.span.is_none() && l.line.is_some() => {
                let mut l = l.clone();
                l.span = Some(Span::new(range));
                self.at(l)
            }
            _ => self.at(Location::span(file, range)),
        }
    }

    /// A second place, bytes `range` of `file`, with what it is.
    pub fn label(self, file: impl Into<PathBuf>, range: Range<usize>, message: impl Into<String>) -> Self {
        self.label_at(Location::span(file, range), message)
    }

    /// A second place given as a location ("first declared here").
    pub fn label_at(mut self, location: Location, message: impl Into<String>) -> Self {
        self.labels.push(Label { span: location.span, location, message: message.into() });
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

    /// Completes line, column and span of the location and labels from `map`.
    pub fn resolve(&mut self, map: &SourceMap) {
        if let Some(l) = &mut self.location {
            if l.span.is_none() {
                l.span = self.span;
            }
            l.resolve(map);
            self.span = l.span;
        }
        for label in &mut self.labels {
            if label.location.span.is_none() {
                label.location.span = label.span;
            }
            label.location.resolve(map);
            label.span = label.location.span;
        }
    }
}

impl fmt::Display for Diagnostic {
    /// `error[SCORE_ABOVE_MAX]: message` then `  --> file:line:col`, the
    /// line with the span underlined, the unit and criterion, and the help
    /// (see [`render`] for the rendering with a source map).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(render::render_one(self, &SourceMap::new(), false, crate::lang::Lang::En).trim_end())
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
            for loc in d.location.iter_mut().chain(d.labels.iter_mut().map(|l| &mut l.location)) {
                if let Ok(rel) = loc.file.strip_prefix(root) {
                    loc.file = std::sync::Arc::from(rel);
                }
            }
        }
    }

    /// Completes every line, column and span from the files of `map`.
    pub fn resolve(&mut self, map: &SourceMap) {
        for d in &mut self.0 {
            d.resolve(map);
        }
    }

    /// Every file a diagnostic or label points at, each once.
    pub fn files(&self) -> Vec<&Path> {
        let mut out: Vec<&Path> = Vec::new();
        for d in &self.0 {
            for l in d.location.iter().chain(d.labels.iter().map(|l| &l.location)) {
                if !out.contains(&&*l.file) {
                    out.push(&l.file);
                }
            }
        }
        out
    }

    /// The codes of all diagnostics, for tests.
    pub fn codes(&self) -> Vec<Code> {
        self.0.iter().map(|d| d.code).collect()
    }
}

impl fmt::Display for Diagnostics {
    /// Every diagnostic, errors first, as [`render`] shows them without
    /// source map or totals.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&render(self, &SourceMap::new(), RenderOptions { totals: false, ..RenderOptions::default() }))
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
