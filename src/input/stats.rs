//! Province statistics (seed 004: the public service centre on 15/12/2023):
//! rows of counts and rates as printed, ratios computed from their counts
//! under the declared rounding, and the consistency checks a file declares.
//!
//! Every `fixtures/<year>/statistics/*.toml` is one [`Statistics`]: rows
//! (`[[row]]`, each with its printed `stt`, name, unit and value), ratios
//! declared on a row (`ratio = { numerator, denominator, rounding }`), and
//! checks (`[[check]]`):
//!
//! | kind | holds when |
//! |---|---|
//! | `sum` | the `total` row equals the sum of the `parts` rows |
//! | `range` | each of `rows` lies in `min`–`max` (default 0–100) |
//! | `not_greater` | for each of `rows` (rows with a ratio), numerator ≤ denominator |
//! | `ratio_matches` | for each of `rows`, the printed value equals the ratio computed from its counts under its rounding |
//!
//! A check that does not hold is a `CHECK_FAILED` **warning** by default: the
//! published figures are kept as printed and the report goes on, flagged
//! (seed 004 row 3.3 prints the count 532 as its rate). A check declares
//! `severity = "error"` to make its failure stop the results. Problems that
//! make a row unusable are errors whatever the checks say: a negative count
//! (`BAD_VALUE`), an unreadable number, an unknown row reference.

use std::path::{Path, PathBuf};

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::diag::{did_you_mean, Code, Diagnostic, Diagnostics};
use crate::input::load::{parse_toml_file, read_file};
use crate::input::numfmt::{parse_number, NumberFormat};
use crate::input::round::Rounding;

/// One statistics file.
#[derive(Debug, Clone, Serialize)]
pub struct Statistics {
    pub id: String,
    pub name: Option<String>,
    pub file: PathBuf,
    pub measured_on: String,
    pub number_format: Option<NumberFormat>,
    pub source: Option<String>,
    rows: Vec<StatRow>,
    ratios: Vec<Ratio>,
    checks: Vec<CheckOutcome>,
}

impl Statistics {
    /// All rows, in file order.
    pub fn rows(&self) -> &[StatRow] {
        &self.rows
    }

    pub fn row(&self, stt: &str) -> Option<&StatRow> {
        self.rows.iter().find(|r| r.stt == stt)
    }

    /// The value of row `stt` as printed (rates in points).
    pub fn value(&self, stt: &str) -> Option<Decimal> {
        self.row(stt)?.value
    }

    /// Ratios computed from counts, for the rows that declare one.
    pub fn ratios(&self) -> &[Ratio] {
        &self.ratios
    }

    pub fn ratio(&self, stt: &str) -> Option<&Ratio> {
        self.ratios.iter().find(|r| r.stt == stt)
    }

    /// The outcome of every declared check, passed or not.
    pub fn checks(&self) -> &[CheckOutcome] {
        &self.checks
    }
}

/// One printed row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatRow {
    /// The row's number: "2.1", "3.4"; sub-rows printed under "Trong đó" get
    /// letters: "3.4.a".
    pub stt: String,
    pub name: String,
    /// "Người", "Thủ tục", "Hồ sơ", "%", ...
    pub unit: Option<String>,
    /// The value as printed ("1.903", "65,85%").
    pub printed: Option<String>,
    pub value: Option<Decimal>,
    pub percent: bool,
    pub note: Option<String>,
    /// 1-based line of the value (or of `stt` when there is no value).
    pub line: usize,
    pub ratio: Option<RatioDecl>,
}

/// A ratio declared on a row: numerator / denominator × 100, rounded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RatioDecl {
    pub numerator: String,
    pub denominator: String,
    pub rounding: Rounding,
}

/// A ratio computed from its counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ratio {
    pub stt: String,
    pub numerator: Decimal,
    pub denominator: Decimal,
    /// Full precision, in %.
    pub exact: Decimal,
    /// Rounded as declared: what the province publishes.
    pub value: Decimal,
    pub rounding: Rounding,
    /// The value printed on the row, if any.
    pub stated: Option<Decimal>,
}

/// The kinds of consistency checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckKind {
    Sum,
    Range,
    NotGreater,
    RatioMatches,
}

impl CheckKind {
    const ALL: [(&'static str, CheckKind); 4] = [
        ("sum", CheckKind::Sum),
        ("range", CheckKind::Range),
        ("not_greater", CheckKind::NotGreater),
        ("ratio_matches", CheckKind::RatioMatches),
    ];
}

/// One check applied to one row (or one total).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckOutcome {
    pub kind: CheckKind,
    /// The row the check is about: the total of a sum, the row of a range or ratio.
    pub stt: String,
    pub passed: bool,
    /// What was compared, e.g. "1903 = 1503 + 278 + 122".
    pub detail: String,
}

// ---------------------------------------------------------------------------
// Raw

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStats {
    id: String,
    #[serde(default)]
    name: Option<String>,
    measured_on: String,
    #[serde(default)]
    number_format: Option<NumberFormat>,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    row: Vec<RawRow>,
    #[serde(default)]
    check: Vec<RawCheck>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRow {
    stt: Spanned<String>,
    name: String,
    #[serde(default)]
    unit: Option<String>,
    #[serde(default)]
    value: Option<Spanned<String>>,
    #[serde(default)]
    note: Option<String>,
    #[serde(default)]
    ratio: Option<RatioDecl>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCheck {
    kind: Spanned<String>,
    #[serde(default)]
    total: Option<Spanned<String>>,
    #[serde(default)]
    parts: Vec<Spanned<String>>,
    #[serde(default)]
    rows: Vec<Spanned<String>>,
    #[serde(default)]
    min: Option<Spanned<String>>,
    #[serde(default)]
    max: Option<Spanned<String>>,
    #[serde(default)]
    severity: Option<RawSeverity>,
    /// For the reader of the file only.
    #[serde(default)]
    #[allow(dead_code)]
    note: Option<String>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
enum RawSeverity {
    Warning,
    Error,
}

// ---------------------------------------------------------------------------
// Loading

/// Loads every `fixtures/<year>/statistics/*.toml` under `root` (in name
/// order), computes the declared ratios and runs the declared checks.
/// A missing folder gives no statistics and no diagnostic.
pub fn load_statistics(root: &Path, year: u16) -> (Vec<Statistics>, Diagnostics) {
    let mut diags = Diagnostics::default();
    let dir = root.join("fixtures").join(year.to_string()).join("statistics");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return (Vec::new(), diags);
    };
    let mut files: Vec<PathBuf> =
        entries.filter_map(Result::ok).map(|e| e.path()).filter(|p| p.extension().is_some_and(|e| e == "toml")).collect();
    files.sort();
    let mut out = Vec::new();
    for path in files {
        if let Some(s) = load_file(&path, &mut diags) {
            out.push(s);
        }
    }
    diags.strip_root(root);
    (out, diags)
}

/// The context of one file, for diagnostics.
struct Ctx<'c> {
    path: &'c Path,
    src: &'c str,
    lines: crate::diag::LineIndex,
}

impl Ctx<'_> {
    fn at(&self, d: Diagnostic, offset: usize) -> Diagnostic {
        d.at_indexed(self.path, self.src, &self.lines, offset)
    }
}

fn load_file(path: &Path, diags: &mut Diagnostics) -> Option<Statistics> {
    let src = read_file(path, diags)?;
    let raw: RawStats = parse_toml_file(path, &src, diags)?;
    let ctx = Ctx { path, src: &src, lines: crate::diag::LineIndex::new(&src) };
    let format = raw.number_format;
    // Byte offsets of each row's value, for check diagnostics.
    let mut offsets: Vec<usize> = Vec::new();
    let mut rows: Vec<StatRow> = Vec::new();
    for r in raw.row {
        let stt = r.stt.get_ref().trim().to_owned();
        if rows.iter().any(|x| x.stt == stt) {
            diags.push(
                ctx.at(Diagnostic::error(Code::Duplicate, format!("row `{stt}` is declared twice")), r.stt.span().start).criterion(&stt),
            );
            continue;
        }
        let offset = r.value.as_ref().map_or(r.stt.span().start, |v| v.span().start);
        let printed = r.value.as_ref().map(|v| v.get_ref().clone());
        let is_rate = r.unit.as_deref() == Some("%");
        let (mut value, mut percent) = (None, false);
        if let Some(text) = printed.as_deref().filter(|t| !t.trim().is_empty()) {
            match parse_number(text, format) {
                Ok(p) => {
                    if let Some(w) = &p.warning {
                        diags.push(
                            ctx.at(Diagnostic::warning(Code::AmbiguousNumber, format!("row `{stt}`: `{text}`: {w}")), offset)
                                .criterion(&stt),
                        );
                    }
                    if p.value.is_sign_negative() && !p.value.is_zero() && !is_rate {
                        diags.push(
                            ctx.at(Diagnostic::error(Code::BadValue, format!("row `{stt}`: a count cannot be negative: `{text}`")), offset)
                                .criterion(&stt),
                        );
                    } else {
                        value = Some(p.value);
                        percent = p.percent;
                    }
                }
                Err(e) => diags.push(ctx.at(Diagnostic::error(e.code(), format!("row `{stt}`: {e}")), offset).criterion(&stt)),
            }
        }
        let ratio = r.ratio;
        offsets.push(offset);
        rows.push(StatRow {
            stt,
            name: r.name,
            unit: r.unit,
            printed,
            value,
            percent,
            note: r.note,
            line: ctx.lines.line_col(&src, offset).0,
            ratio,
        });
    }
    let ratios = compute_ratios(&ctx, &rows, &offsets, diags);
    let mut checks = Vec::new();
    for c in &raw.check {
        run_check(&ctx, c, &rows, &offsets, &ratios, &mut checks, diags);
    }
    Some(Statistics {
        id: raw.id,
        name: raw.name,
        file: path.to_path_buf(),
        measured_on: raw.measured_on,
        number_format: format,
        source: raw.source,
        rows,
        ratios,
        checks,
    })
}

fn find<'r>(rows: &'r [StatRow], stt: &str) -> Option<(usize, &'r StatRow)> {
    rows.iter().enumerate().find(|(_, r)| r.stt == stt)
}

fn unknown_row(ctx: &Ctx, stt: &str, rows: &[StatRow], offset: usize) -> Diagnostic {
    let mut d = ctx.at(Diagnostic::error(Code::UnknownReference, format!("no row `{stt}`")), offset);
    if let Some(m) = did_you_mean(stt, rows.iter().map(|r| r.stt.as_str())) {
        d = d.help(format!("did you mean `{m}`?"));
    }
    d
}

fn compute_ratios(ctx: &Ctx, rows: &[StatRow], offsets: &[usize], diags: &mut Diagnostics) -> Vec<Ratio> {
    let mut out = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let Some(decl) = &row.ratio else { continue };
        let mut count = |stt: &str| -> Option<Decimal> {
            match find(rows, stt) {
                None => {
                    diags.push(unknown_row(ctx, stt, rows, offsets[i]).criterion(&row.stt));
                    None
                }
                Some((_, r)) => r.value,
            }
        };
        let (Some(num), Some(den)) = (count(&decl.numerator), count(&decl.denominator)) else {
            continue;
        };
        if den.is_zero() {
            diags.push(
                ctx.at(
                    Diagnostic::warning(Code::BadValue, format!("row `{}`: denominator `{}` is 0; no ratio", row.stt, decl.denominator)),
                    offsets[i],
                )
                .criterion(&row.stt),
            );
            continue;
        }
        let exact = num * Decimal::ONE_HUNDRED / den;
        out.push(Ratio {
            stt: row.stt.clone(),
            numerator: num,
            denominator: den,
            exact,
            value: decl.rounding.apply(exact),
            rounding: decl.rounding,
            stated: row.value,
        });
    }
    out
}

fn run_check(
    ctx: &Ctx,
    c: &RawCheck,
    rows: &[StatRow],
    offsets: &[usize],
    ratios: &[Ratio],
    outcomes: &mut Vec<CheckOutcome>,
    diags: &mut Diagnostics,
) {
    let kind_text = c.kind.get_ref().as_str();
    let Some(kind) = CheckKind::ALL.iter().find(|(n, _)| *n == kind_text).map(|(_, k)| *k) else {
        let mut d = ctx.at(Diagnostic::error(Code::UnknownReference, format!("unknown check kind `{kind_text}`")), c.kind.span().start);
        if let Some(m) = did_you_mean(kind_text, CheckKind::ALL.iter().map(|(n, _)| *n)) {
            d = d.help(format!("did you mean `{m}`?"));
        } else {
            d = d.help("one of `sum`, `range`, `not_greater`, `ratio_matches`");
        }
        diags.push(d);
        return;
    };
    let severe = matches!(c.severity, Some(RawSeverity::Error));
    let mut report = |stt: &str, i: usize, passed: bool, detail: String, diags: &mut Diagnostics| {
        if !passed {
            let msg = format!("check `{kind_text}` fails on row `{stt}`: {detail}");
            let d = if severe { Diagnostic::error(Code::CheckFailed, msg) } else { Diagnostic::warning(Code::CheckFailed, msg) };
            diags.push(
                ctx.at(d, offsets[i])
                    .criterion(stt)
                    .help(format!("check declared on line {}", ctx.lines.line_col(ctx.src, c.kind.span().start).0)),
            );
        }
        outcomes.push(CheckOutcome { kind, stt: stt.to_owned(), passed, detail });
    };
    let resolve = |s: &Spanned<String>, diags: &mut Diagnostics| -> Option<(usize, &StatRow)> {
        let r = find(rows, s.get_ref().trim());
        if r.is_none() {
            diags.push(unknown_row(ctx, s.get_ref().trim(), rows, s.span().start));
        }
        r
    };
    let no_value = |r: &StatRow| format!("row `{}` has no value", r.stt);
    match kind {
        CheckKind::Sum => {
            let Some(total) = &c.total else {
                diags.push(ctx.at(Diagnostic::error(Code::BadValue, "a `sum` check needs `total` and `parts`"), c.kind.span().start));
                return;
            };
            let Some((ti, trow)) = resolve(total, diags) else {
                return;
            };
            let parts: Option<Vec<&StatRow>> = c.parts.iter().map(|p| resolve(p, diags).map(|x| x.1)).collect();
            let Some(parts) = parts else { return };
            if parts.is_empty() {
                diags.push(ctx.at(Diagnostic::error(Code::BadValue, "a `sum` check needs `parts`"), c.kind.span().start));
                return;
            }
            let Some(t) = trow.value else {
                return report(&trow.stt, ti, false, no_value(trow), diags);
            };
            let mut sum = Decimal::ZERO;
            let mut shown = Vec::new();
            for p in &parts {
                let Some(v) = p.value else {
                    return report(&trow.stt, ti, false, no_value(p), diags);
                };
                sum += v;
                shown.push(v.to_string());
            }
            let rel = if sum == t { "=" } else { "≠" };
            report(&trow.stt, ti, sum == t, format!("{t} {rel} {} = {sum}", shown.join(" + ")), diags);
        }
        CheckKind::Range => {
            let bound = |b: &Option<Spanned<String>>, default: Decimal, diags: &mut Diagnostics| match b {
                None => Some(default),
                Some(s) => match parse_number(s.get_ref(), Some(NumberFormat::Plain)) {
                    Ok(p) => Some(p.value),
                    Err(e) => {
                        diags.push(ctx.at(Diagnostic::error(e.code(), e.to_string()), s.span().start));
                        None
                    }
                },
            };
            let (Some(min), Some(max)) = (bound(&c.min, Decimal::ZERO, diags), bound(&c.max, Decimal::ONE_HUNDRED, diags)) else {
                return;
            };
            for s in &c.rows {
                let Some((i, r)) = resolve(s, diags) else {
                    continue;
                };
                match r.value {
                    None => report(&r.stt, i, false, no_value(r), diags),
                    Some(v) => {
                        let ok = v >= min && v <= max;
                        let printed = r.printed.as_deref().unwrap_or_default().trim();
                        let detail = if ok { format!("{min} ≤ {v} ≤ {max}") } else { format!("`{printed}` is outside {min}–{max}") };
                        report(&r.stt, i, ok, detail, diags);
                    }
                }
            }
        }
        CheckKind::NotGreater | CheckKind::RatioMatches => {
            for s in &c.rows {
                let Some((i, r)) = resolve(s, diags) else {
                    continue;
                };
                if r.ratio.is_none() {
                    diags.push(ctx.at(
                        Diagnostic::error(Code::BadValue, format!("row `{}` declares no `ratio`; check `{kind_text}` needs one", r.stt)),
                        s.span().start,
                    ));
                    continue;
                }
                // A ratio that could not be computed was reported already.
                let Some(q) = ratios.iter().find(|q| q.stt == r.stt) else {
                    continue;
                };
                if kind == CheckKind::NotGreater {
                    let ok = q.numerator <= q.denominator;
                    let rel = if ok { "≤" } else { ">" };
                    report(&r.stt, i, ok, format!("numerator {} {rel} denominator {}", q.numerator, q.denominator), diags);
                } else {
                    match q.stated {
                        None => report(&r.stt, i, false, no_value(r), diags),
                        Some(st) => {
                            let ok = st == q.value;
                            let printed = r.printed.as_deref().unwrap_or_default().trim();
                            let rel = if ok { "matches" } else { "does not match" };
                            let detail = format!(
                                "printed `{printed}` {rel} {} / {} × 100 = {} ({})",
                                q.numerator, q.denominator, q.value, q.rounding
                            );
                            report(&r.stt, i, ok, detail, diags);
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn load(text: &str) -> (Option<Statistics>, Diagnostics) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.toml");
        std::fs::write(&p, text).unwrap();
        let mut d = Diagnostics::default();
        (load_file(&p, &mut d), d)
    }

    const HEAD: &str = "id = \"t\"\nmeasured_on = \"2023-12-15\"\nnumber_format = \"vi\"\n";

    #[test]
    fn ratio_truncated_and_checked() {
        let (s, d) = load(&format!(
            "{HEAD}
[[row]]
stt = \"3.4\"
name = \"tỷ lệ\"
unit = \"%\"
value = \"65,85%\"
ratio = {{ numerator = \"3.4.b\", denominator = \"3.4.a\", rounding = {{ decimals = 2, mode = \"down\" }} }}
[[row]]
stt = \"3.4.a\"
name = \"tổng\"
value = \"118.430\"
[[row]]
stt = \"3.4.b\"
name = \"trực tuyến\"
value = \"77.995\"
[[check]]
kind = \"ratio_matches\"
rows = [\"3.4\"]
[[check]]
kind = \"not_greater\"
rows = [\"3.4\"]
"
        ));
        assert!(d.is_empty(), "{d}");
        let s = s.unwrap();
        assert_eq!(s.ratio("3.4").unwrap().value, dec!(65.85));
        assert!(s.checks().iter().all(|c| c.passed));
    }

    #[test]
    fn unknown_kind_and_row_are_reported() {
        let (_, d) = load(&format!("{HEAD}\n[[row]]\nstt = \"1\"\nname = \"x\"\nvalue = \"1\"\n[[check]]\nkind = \"summ\"\n[[check]]\nkind = \"range\"\nrows = [\"2\"]\n"));
        assert_eq!(d.codes(), [Code::UnknownReference, Code::UnknownReference]);
        assert!(d.0[0].help.as_deref().unwrap_or_default().contains("sum"));
    }

    #[test]
    fn failing_sum_is_a_warning_unless_declared_an_error() {
        let body = "\n[[row]]\nstt = \"1\"\nname = \"t\"\nvalue = \"10\"\n[[row]]\nstt = \"1.a\"\nname = \"p\"\nvalue = \"4\"\n[[check]]\nkind = \"sum\"\ntotal = \"1\"\nparts = [\"1.a\"]\n";
        let (_, d) = load(&format!("{HEAD}{body}"));
        assert_eq!(d.codes(), [Code::CheckFailed]);
        assert!(!d.has_errors());
        let (_, d) = load(&format!("{HEAD}{body}severity = \"error\"\n"));
        assert!(d.has_errors());
    }
}
