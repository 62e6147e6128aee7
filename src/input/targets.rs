//! Targets (chỉ tiêu) for a year and how far each unit is from them.
//!
//! `criteria/<year>/targets.toml` lists targets as the province prints them
//! (seed 001: 12 targets for 2025 and 2030; seed 000: the government's 30%
//! online-payment target for 2023). Each (target, year) pair is one
//! [`Target`]. Its threshold is kept as printed and parsed:
//!
//! | printed | read as |
//! |---|---|
//! | `80`, `60%` | at least 80 (a plain rate is a floor; `comparison` can say otherwise) |
//! | `Tối thiểu 50`, `Ít nhất 50`, `Không thấp hơn 50`, `≥30`, `>= 30` | at least |
//! | `Tối đa 5`, `Không quá 5`, `Không vượt quá 5`, `≤5`, `<= 5` | at most |
//! | `= 100`, `Bằng 100` | equal |
//! | text without digits (`Thực hiện theo hướng dẫn của TW`), blank | no numeric target |
//!
//! A number after any other word is a `BAD_TARGET` error: it is never guessed,
//! and a target without a number is never 0. [`evaluate`] compares the
//! indicator a target names (`measure = "portal.thanh_toan_truc_tuyen"`) for
//! every unit of the kinds it applies to: met, not met, no numeric target or
//! no data, with the gap `value − threshold` in points, exact.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use toml::Spanned;

use crate::diag::{did_you_mean, Code, Diagnostic, Diagnostics, Location};
use crate::input::indicators::{normalize_name, IndicatorData, UnitRef};
use crate::input::load::{parse_toml_file, read_file};
use crate::input::numfmt::parse_number;

/// How a value must compare with a threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Comparison {
    AtLeast,
    AtMost,
    Equal,
}

impl Comparison {
    pub fn as_str(self) -> &'static str {
        match self {
            Comparison::AtLeast => "at_least",
            Comparison::AtMost => "at_most",
            Comparison::Equal => "equal",
        }
    }

    pub fn symbol(self) -> &'static str {
        match self {
            Comparison::AtLeast => "≥",
            Comparison::AtMost => "≤",
            Comparison::Equal => "=",
        }
    }

    pub fn holds(self, value: Decimal, threshold: Decimal) -> bool {
        match self {
            Comparison::AtLeast => value >= threshold,
            Comparison::AtMost => value <= threshold,
            Comparison::Equal => value == threshold,
        }
    }
}

/// A target's threshold, parsed from its printed text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Threshold {
    Numeric {
        comparison: Comparison,
        value: Decimal,
    },
    /// Blank, or text such as "Thực hiện theo hướng dẫn của TW".
    NoNumericTarget,
}

/// Comparison words, lowercase, longest first so "không vượt quá" wins over "không quá".
const WORDS: [(&str, Comparison); 12] = [
    ("không thấp hơn", Comparison::AtLeast),
    ("không vượt quá", Comparison::AtMost),
    ("tối thiểu", Comparison::AtLeast),
    ("không quá", Comparison::AtMost),
    ("ít nhất", Comparison::AtLeast),
    ("tối đa", Comparison::AtMost),
    ("bằng", Comparison::Equal),
    (">=", Comparison::AtLeast),
    ("<=", Comparison::AtMost),
    ("≥", Comparison::AtLeast),
    ("≤", Comparison::AtMost),
    ("=", Comparison::Equal),
];

/// Parses a printed threshold. `plain` is the comparison of a bare number.
/// The error is the message of a `BAD_TARGET`.
pub fn parse_threshold(text: &str, plain: Comparison) -> Result<Threshold, String> {
    let t = text.trim();
    let Some(first_digit) = t.find(|c: char| c.is_ascii_digit()) else {
        return Ok(Threshold::NoNumericTarget);
    };
    let mut num_start = first_digit;
    if t[..first_digit].ends_with('-') {
        num_start -= 1;
    }
    let word = normalize_name(&t[..num_start]);
    let comparison = if word.is_empty() {
        plain
    } else {
        match WORDS.iter().find(|(w, _)| *w == word) {
            Some((_, c)) => *c,
            None => return Err(format!("unknown comparison word `{word}` in threshold `{t}`; use `tối thiểu`, `tối đa`, `≥`, `≤` or `=`")),
        }
    };
    let value = parse_number(&t[num_start..], None).map_err(|e| format!("threshold `{t}`: {e}"))?.value;
    Ok(Threshold::Numeric { comparison, value })
}

/// One target for one year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Target {
    /// Shared by the years of one printed target.
    pub id: String,
    /// "STT" as printed.
    pub stt: Option<String>,
    pub name: String,
    pub year: u16,
    /// As printed: "Tối thiểu 50", "", "Thực hiện theo hướng dẫn của TW".
    pub threshold_text: String,
    pub threshold: Threshold,
    pub unit: Option<String>,
    /// Unit kinds: `department`, `district`, `commune`.
    pub applies_to: Vec<String>,
    /// "Cơ quan thực hiện", "Cơ quan theo dõi, đánh giá" as printed.
    pub implementer: Option<String>,
    pub monitor: Option<String>,
    /// "Thời gian thực hiện" of this year, as printed.
    pub period: Option<String>,
    /// "Kết quả thực hiện": the evidence of progress, as printed.
    pub evidence: Option<String>,
    /// The resolutions (nghị quyết) the target comes from.
    pub legal_basis: Option<String>,
    /// Indicator key that measures it (`portal.hai_long`), if any.
    pub measure: Option<String>,
    /// Where `measure` is written (line, column), for diagnostics.
    #[serde(skip)]
    measure_at: Option<(usize, usize)>,
}

/// The targets of one criteria year.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TargetSet {
    /// The criteria year (`criteria/<year>/targets.toml`).
    pub year: u16,
    /// The year of the indicator data that measures these targets.
    pub indicators_year: u16,
    pub file: Option<PathBuf>,
    pub source: Option<String>,
    pub targets: Vec<Target>,
}

// ---------------------------------------------------------------------------
// Raw

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTargets {
    indicators_year: u16,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    target: Vec<RawTarget>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct RawTarget {
    #[schemars(with = "String")]
    id: Spanned<String>,
    #[serde(default)]
    stt: Option<String>,
    name: String,
    #[serde(default)]
    unit: Option<String>,
    applies_to: Vec<String>,
    #[serde(default)]
    implementer: Option<String>,
    #[serde(default)]
    monitor: Option<String>,
    #[serde(default)]
    evidence: Option<String>,
    #[serde(default)]
    legal_basis: Option<String>,
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    measure: Option<Spanned<String>>,
    #[serde(default)]
    goal: Vec<RawGoal>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct RawGoal {
    #[schemars(with = "u16")]
    year: Spanned<u16>,
    #[schemars(with = "String")]
    threshold: Spanned<String>,
    #[serde(default)]
    period: Option<String>,
    /// The comparison of a bare number (default `at_least`).
    #[serde(default)]
    comparison: Option<Comparison>,
}

/// Loads `criteria/<year>/targets.toml` under `root`. A missing file gives an
/// empty set and no diagnostic.
pub fn load_targets(root: &Path, year: u16) -> (TargetSet, Diagnostics) {
    let mut diags = Diagnostics::default();
    let mut set = TargetSet { year, indicators_year: year, ..TargetSet::default() };
    let path = root.join("criteria").join(year.to_string()).join("targets.toml");
    if !path.exists() {
        return (set, diags);
    }
    let Some(src) = read_file(&path, &mut diags) else {
        return (set, diags);
    };
    let Some(raw) = parse_toml_file::<RawTargets>(&path, &src, &mut diags) else {
        diags.strip_root(root);
        return (set, diags);
    };
    set.indicators_year = raw.indicators_year;
    set.source = raw.source;
    let lines = crate::diag::LineIndex::new(&src);
    for t in raw.target {
        let id = t.id.get_ref().trim().to_owned();
        if t.goal.is_empty() {
            diags.push(
                Diagnostic::error(Code::BadTarget, format!("target `{id}` has no `[[target.goal]]`"))
                    .at_offset(&path, &src, t.id.span().start)
                    .criterion(&id),
            );
        }
        let measure_at = t.measure.as_ref().map(|m| lines.line_col(&src, m.span().start));
        for g in &t.goal {
            let gy = *g.year.get_ref();
            if set.targets.iter().any(|x| x.id == id && x.year == gy) {
                diags.push(
                    Diagnostic::error(Code::Duplicate, format!("target `{id}` has two goals for {gy}"))
                        .at_offset(&path, &src, g.year.span().start)
                        .criterion(&id),
                );
                continue;
            }
            let text = g.threshold.get_ref();
            let threshold = match parse_threshold(text, g.comparison.unwrap_or(Comparison::AtLeast)) {
                Ok(th) => th,
                Err(msg) => {
                    diags.push(Diagnostic::error(Code::BadTarget, msg).at_offset(&path, &src, g.threshold.span().start).criterion(&id));
                    continue;
                }
            };
            if let (Threshold::Numeric { value, .. }, Some("%")) = (threshold, t.unit.as_deref()) {
                if value < Decimal::ZERO || value > Decimal::ONE_HUNDRED {
                    diags.push(
                        Diagnostic::error(Code::BadTarget, format!("threshold `{text}` of a rate is outside 0–100"))
                            .at_offset(&path, &src, g.threshold.span().start)
                            .criterion(&id),
                    );
                    continue;
                }
            }
            set.targets.push(Target {
                id: id.clone(),
                stt: t.stt.clone(),
                name: t.name.clone(),
                year: gy,
                threshold_text: text.trim().to_owned(),
                threshold,
                unit: t.unit.clone(),
                applies_to: t.applies_to.clone(),
                implementer: t.implementer.clone(),
                monitor: t.monitor.clone(),
                period: g.period.clone(),
                evidence: t.evidence.clone(),
                legal_basis: t.legal_basis.clone(),
                measure: t.measure.as_ref().map(|m| m.get_ref().trim().to_owned()),
                measure_at,
            });
        }
    }
    set.file = Some(path);
    diags.strip_root(root);
    (set, diags)
}

// ---------------------------------------------------------------------------
// Evaluation

/// Where a unit stands against a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Met,
    NotMet,
    NoNumericTarget,
    NoData,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Met => "met",
            Status::NotMet => "not_met",
            Status::NoNumericTarget => "no_numeric_target",
            Status::NoData => "no_data",
        }
    }

    /// As shown in the text table.
    pub fn label_vi(self) -> &'static str {
        match self {
            Status::Met => "đạt",
            Status::NotMet => "không đạt",
            Status::NoNumericTarget => "không có chỉ tiêu số",
            Status::NoData => "không có số liệu",
        }
    }
}

/// One unit against one target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnitResult {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub value: Option<Decimal>,
    pub measured_on: Option<String>,
    pub status: Status,
    /// `value − threshold`, in points.
    pub gap: Option<Decimal>,
}

/// How many units are in each status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub met: usize,
    pub not_met: usize,
    pub no_numeric_target: usize,
    pub no_data: usize,
}

/// One target, evaluated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TargetResult {
    pub id: String,
    pub stt: Option<String>,
    pub name: String,
    pub year: u16,
    pub comparison: Option<Comparison>,
    pub threshold: Option<Decimal>,
    pub threshold_text: String,
    pub unit: Option<String>,
    pub measure: Option<String>,
    pub summary: Summary,
    pub units: Vec<UnitResult>,
}

/// Every target of a set, evaluated on one year's indicator data.
#[derive(Debug, Clone, Serialize)]
pub struct TargetReport {
    pub year: u16,
    pub indicators_year: u16,
    pub targets: Vec<TargetResult>,
    /// Unknown measures, unknown unit kinds, data of another year.
    pub diagnostics: Diagnostics,
}

/// Compares each target's measure with its threshold for every unit of the
/// kinds it applies to, in the order of `units`.
pub fn evaluate(targets: &TargetSet, data: &IndicatorData, units: &[UnitRef]) -> TargetReport {
    let mut diags = Diagnostics::default();
    let file = targets.file.clone().unwrap_or_default();
    if !data.is_empty() && data.year() != targets.indicators_year {
        diags.push(
            Diagnostic::warning(
                Code::BadValue,
                format!("targets are measured on {} data, but the indicator data is of {}", targets.indicators_year, data.year()),
            )
            .in_file(&file),
        );
    }
    if data.is_empty() && targets.targets.iter().any(|t| t.measure.is_some()) {
        diags.push(
            Diagnostic::warning(
                Code::MissingData,
                format!("no indicator data of {}: every measured target has no data", targets.indicators_year),
            )
            .in_file(&file),
        );
    }
    let mut unknown_kinds = BTreeSet::new();
    let mut reported_measures = BTreeSet::new();
    let mut results = Vec::new();
    for t in &targets.targets {
        for k in &t.applies_to {
            if !units.iter().any(|u| u.kind == k) && unknown_kinds.insert(k.clone()) {
                diags.push(
                    Diagnostic::warning(Code::UnknownReference, format!("no unit is of kind `{k}`; targets list none for it"))
                        .in_file(&file),
                );
            }
        }
        let measure = t.measure.as_deref().filter(|m| data.contains_key(m));
        if let (Some(m), false) = (&t.measure, data.is_empty()) {
            if measure.is_none() && reported_measures.insert(m.clone()) {
                let mut d =
                    Diagnostic::warning(Code::UnknownReference, format!("target `{}` is measured by unknown indicator `{m}`", t.id))
                        .criterion(&t.id);
                d = match t.measure_at {
                    Some((l, c)) => d.at(Location::at(&file, l, c)),
                    None => d.in_file(&file),
                };
                if let Some(s) = did_you_mean(m, data.keys()) {
                    d = d.help(format!("did you mean `{s}`?"));
                }
                diags.push(d);
            }
        }
        let mut summary = Summary::default();
        let mut rows = Vec::new();
        for u in units.iter().filter(|u| t.applies_to.iter().any(|k| k == u.kind)) {
            let m = measure.and_then(|key| data.get(key, u.id));
            let value = m.as_ref().map(|m| m.value);
            let (status, gap) = match (t.threshold, value) {
                (Threshold::NoNumericTarget, _) => (Status::NoNumericTarget, None),
                (Threshold::Numeric { .. }, None) => (Status::NoData, None),
                (Threshold::Numeric { comparison, value: th }, Some(v)) => {
                    // Shown with the decimals of its operands: 0,00% − 60 is -60.00.
                    let mut gap = v - th;
                    gap.rescale(v.scale().max(th.scale()));
                    (if comparison.holds(v, th) { Status::Met } else { Status::NotMet }, Some(gap))
                }
            };
            match status {
                Status::Met => summary.met += 1,
                Status::NotMet => summary.not_met += 1,
                Status::NoNumericTarget => summary.no_numeric_target += 1,
                Status::NoData => summary.no_data += 1,
            }
            rows.push(UnitResult {
                id: u.id.to_owned(),
                name: u.name.to_owned(),
                kind: u.kind.to_owned(),
                value,
                measured_on: m.map(|m| m.measured_on.to_string()),
                status,
                gap,
            });
        }
        let (comparison, threshold) = match t.threshold {
            Threshold::Numeric { comparison, value } => (Some(comparison), Some(value)),
            Threshold::NoNumericTarget => (None, None),
        };
        results.push(TargetResult {
            id: t.id.clone(),
            stt: t.stt.clone(),
            name: t.name.clone(),
            year: t.year,
            comparison,
            threshold,
            threshold_text: t.threshold_text.clone(),
            unit: t.unit.clone(),
            measure: t.measure.clone(),
            summary,
            units: rows,
        });
    }
    TargetReport { year: targets.year, indicators_year: targets.indicators_year, targets: results, diagnostics: diags }
}

// ---------------------------------------------------------------------------
// Rendering

impl TargetReport {
    pub fn target(&self, id: &str, year: u16) -> Option<&TargetResult> {
        self.targets.iter().find(|t| t.id == id && t.year == year)
    }

    /// JSON; numbers are decimal strings, absent numbers `null`; the
    /// diagnostics are reported apart.
    pub fn to_json(&self) -> Value {
        #[derive(Serialize)]
        struct Json<'a> {
            year: u16,
            indicators_year: u16,
            targets: &'a [TargetResult],
        }
        serde_json::to_value(Json { year: self.year, indicators_year: self.indicators_year, targets: &self.targets }).unwrap_or(Value::Null)
    }

    /// An aligned text table per target, Vietnamese headers. Units are listed
    /// when at least one of them has a value.
    pub fn to_table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "Chỉ tiêu năm {} (số liệu năm {})", self.year, self.indicators_year);
        for t in &self.targets {
            let unit = t.unit.as_deref().unwrap_or("");
            let stt = t.stt.as_deref().map(|s| format!("{s}. ")).unwrap_or_default();
            let _ = writeln!(out, "\n{stt}{} [{}] năm {}", t.name, t.id, t.year);
            let goal = match (t.comparison, t.threshold) {
                (Some(c), Some(v)) => format!("{} {v}{unit}", c.symbol()),
                _ => "không có chỉ tiêu số".to_owned(),
            };
            let printed = if t.threshold_text.is_empty() { "(trống)".to_owned() } else { format!("\"{}\"", t.threshold_text) };
            let measure = t.measure.as_deref().unwrap_or("không có");
            let _ = writeln!(out, "  chỉ tiêu: {printed} → {goal}; đo bằng: {measure}");
            let s = t.summary;
            let _ = writeln!(
                out,
                "  đạt {} · không đạt {} · không có chỉ tiêu số {} · không có số liệu {}",
                s.met, s.not_met, s.no_numeric_target, s.no_data
            );
            if t.units.iter().all(|u| u.value.is_none()) {
                continue;
            }
            let header = ["Đơn vị", "Mã", "Giá trị", "Ngày đo", "Trạng thái", "Chênh lệch"];
            let rows: Vec<[String; 6]> = t
                .units
                .iter()
                .map(|u| {
                    [
                        u.name.clone(),
                        u.id.clone(),
                        u.value.map(|v| v.to_string()).unwrap_or_else(|| "–".into()),
                        u.measured_on.clone().unwrap_or_else(|| "–".into()),
                        u.status.label_vi().to_owned(),
                        u.gap
                            .map(|g| if g.is_sign_positive() && !g.is_zero() { format!("+{g}") } else { g.to_string() })
                            .unwrap_or_else(|| "–".into()),
                    ]
                })
                .collect();
            let mut widths = header.map(|h| h.chars().count());
            for r in &rows {
                for (w, c) in widths.iter_mut().zip(r) {
                    *w = (*w).max(c.chars().count());
                }
            }
            let right = [false, false, true, false, false, true];
            let line = |cells: [&str; 6]| {
                let mut l = String::from("  ");
                for (i, c) in cells.iter().enumerate() {
                    let pad = widths[i] - c.chars().count();
                    if i > 0 {
                        l.push_str("  ");
                    }
                    if right[i] {
                        l.extend(std::iter::repeat(' ').take(pad));
                        l.push_str(c);
                    } else {
                        l.push_str(c);
                        if i + 1 < cells.len() {
                            l.extend(std::iter::repeat(' ').take(pad));
                        }
                    }
                }
                l
            };
            let _ = writeln!(out, "{}", line(header));
            for r in &rows {
                let cells = [r[0].as_str(), &r[1], &r[2], &r[3], &r[4], &r[5]];
                let _ = writeln!(out, "{}", line(cells));
            }
        }
        out
    }

    /// One CSV row per (target, year, unit); comma-separated, numbers with a
    /// dot decimal, fields quoted when they hold a comma, quote or line break.
    pub fn to_csv(&self) -> String {
        let mut out =
            String::from("target_id,target_year,comparison,threshold,threshold_text,unit_id,unit_name,kind,value,measured_on,status,gap\n");
        for t in &self.targets {
            for u in &t.units {
                let year = t.year.to_string();
                let cells = [
                    t.id.as_str(),
                    &year,
                    t.comparison.map_or("", Comparison::as_str),
                    &t.threshold.map(|v| v.to_string()).unwrap_or_default(),
                    &t.threshold_text,
                    &u.id,
                    &u.name,
                    &u.kind,
                    &u.value.map(|v| v.to_string()).unwrap_or_default(),
                    u.measured_on.as_deref().unwrap_or(""),
                    u.status.as_str(),
                    &u.gap.map(|v| v.to_string()).unwrap_or_default(),
                ];
                for (i, c) in cells.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    if c.contains([',', '"', '\n', '\r']) {
                        out.push('"');
                        out.push_str(&c.replace('"', "\"\""));
                        out.push('"');
                    } else {
                        out.push_str(c);
                    }
                }
                out.push('\n');
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn num(c: Comparison, v: Decimal) -> Threshold {
        Threshold::Numeric { comparison: c, value: v }
    }

    #[test]
    fn thresholds_as_printed() {
        let p = |s| parse_threshold(s, Comparison::AtLeast);
        assert_eq!(p("80"), Ok(num(Comparison::AtLeast, dec!(80))));
        assert_eq!(p("Tối thiểu 50"), Ok(num(Comparison::AtLeast, dec!(50))));
        assert_eq!(p("≥30"), Ok(num(Comparison::AtLeast, dec!(30))));
        assert_eq!(p(">= 30%"), Ok(num(Comparison::AtLeast, dec!(30))));
        assert_eq!(p("tối đa  5"), Ok(num(Comparison::AtMost, dec!(5))));
        assert_eq!(p("Không vượt quá 5"), Ok(num(Comparison::AtMost, dec!(5))));
        assert_eq!(p("= 100"), Ok(num(Comparison::Equal, dec!(100))));
        assert_eq!(p("99,5"), Ok(num(Comparison::AtLeast, dec!(99.5))));
        assert_eq!(p("Thực hiện theo hướng dẫn của TW"), Ok(Threshold::NoNumericTarget));
        assert_eq!(p(""), Ok(Threshold::NoNumericTarget));
        assert_eq!(parse_threshold("5", Comparison::AtMost), Ok(num(Comparison::AtMost, dec!(5))));
    }

    #[test]
    fn unknown_words_and_trailing_text_are_errors() {
        assert!(parse_threshold("Khoảng 50", Comparison::AtLeast).is_err());
        assert!(parse_threshold("50 ngày", Comparison::AtLeast).is_err());
        assert!(parse_threshold("1.903", Comparison::AtLeast).is_err());
    }

    #[test]
    fn comparisons_hold_at_the_threshold() {
        assert!(Comparison::AtLeast.holds(dec!(60.00), dec!(60)));
        assert!(!Comparison::AtLeast.holds(dec!(59.99), dec!(60)));
        assert!(Comparison::AtMost.holds(dec!(5), dec!(5.0)));
        assert!(Comparison::Equal.holds(dec!(100.00), dec!(100)));
    }
}
