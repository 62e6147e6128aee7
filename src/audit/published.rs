//! Published statements: what a year's report says in words about its
//! component and criterion indices ("Sở X đạt 70,59%", who is highest and
//! lowest, how many reach 100%, the range of the others, the means), read
//! from `fixtures/<year>/published-components.toml` and checked against the
//! scored year.
//!
//! Every statement gets a verdict: it holds, it fails (the shown value
//! against the printed one), it is open (declared in the data as failing
//! today, with its reason), it is a known contradiction of the report
//! (declared, with its reason), or it is not checkable (it needs last year's
//! component indices). Indices are the engine's full-precision points over
//! maxima, rounded as the rules declare for components (half-up to 2
//! decimals), and compared with the printed number, whose trailing zeros the
//! report drops: a shown 96.30 holds a printed "96,3", a shown 75.54 does not
//! hold "76%".

use std::collections::BTreeMap;
use std::path::Path;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::Deserialize;
use toml::Spanned;

use crate::audit::expect::TestRun;
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::input::load::{parse_toml, read_source, Source};
use crate::score::eval::Outcome;
use crate::score::ruleset::RuleSet;

/// The file of a year's published statements, relative to the root.
pub fn statements_file(year: u16) -> std::path::PathBuf {
    Path::new("fixtures").join(year.to_string()).join("published-components.toml")
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    statement: Vec<Spanned<RawStatement>>,
    /// Last year's component and criterion indices, by unit then node.
    #[serde(default)]
    previous: BTreeMap<String, BTreeMap<String, String>>,
    /// Where each unit's points come from, by unit then node.
    #[serde(default)]
    provenance: BTreeMap<String, BTreeMap<String, String>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Kind {
    UnitIndex,
    Score,
    Scale,
    NotEvaluated,
    Highest,
    Lowest,
    Next,
    #[serde(rename = "count_at_100")]
    CountAt100,
    RangeOfOthers,
    GroupMean,
    Difference,
    CountOfCriteria,
    Change,
    ChangeCount,
    ChangeRangeOfOthers,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Group {
    Department,
    District,
    All,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum From {
    Top,
    Bottom,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Direction {
    Up,
    Down,
    Same,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Of {
    Units,
    Criteria,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Declared {
    Open,
    Contradiction,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStatement {
    line: u32,
    text: String,
    kind: Kind,
    #[serde(default)]
    component: Option<String>,
    #[serde(default)]
    criterion: Option<String>,
    group: Group,
    #[serde(default)]
    units: Vec<String>,
    #[serde(default)]
    except: Vec<String>,
    #[serde(default)]
    besides_100: bool,
    #[serde(default)]
    value: Option<String>,
    #[serde(default)]
    from: Option<From>,
    #[serde(default)]
    position: Option<usize>,
    #[serde(default)]
    direction: Option<Direction>,
    #[serde(default)]
    of: Option<Of>,
    #[serde(default)]
    status: Option<Declared>,
    #[serde(default)]
    reason: Option<String>,
}

/// What became of one statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The scored year shows what the report prints.
    Holds,
    /// It does not: what the year shows instead.
    Fails { shown: String },
    /// Declared open in the data: failing today, for `reason`.
    Open { shown: String, reason: String },
    /// Declared a contradiction of the report, for `reason`.
    Contradiction { reason: String },
    /// Cannot be checked with what the year has.
    NotCheckable { why: String },
}

/// One statement and its verdict.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The line of the report (the seed) the statement is on.
    pub seed_line: u32,
    /// The report's wording.
    pub text: String,
    /// Where the statement is declared.
    pub line: usize,
    /// About the change against last year (checked against the `[previous]`
    /// indices, which the unit's own change statements imply).
    pub change: bool,
    pub verdict: Verdict,
}

/// Every statement of a year and its verdict.
#[derive(Debug, Default)]
pub struct Fidelity {
    pub checked: Vec<Checked>,
}

impl Fidelity {
    fn count(&self, f: impl Fn(&Verdict) -> bool) -> usize {
        self.checked.iter().filter(|c| f(&c.verdict)).count()
    }
    pub fn holds(&self) -> usize {
        self.count(|v| matches!(v, Verdict::Holds))
    }
    pub fn fails(&self) -> usize {
        self.count(|v| matches!(v, Verdict::Fails { .. }))
    }
    pub fn open(&self) -> usize {
        self.count(|v| matches!(v, Verdict::Open { .. }))
    }
    pub fn contradictions(&self) -> usize {
        self.count(|v| matches!(v, Verdict::Contradiction { .. }))
    }
    pub fn not_checkable(&self) -> usize {
        self.count(|v| matches!(v, Verdict::NotCheckable { .. }))
    }
    /// Statements that can be checked and are not known contradictions.
    pub fn checkable(&self) -> usize {
        self.holds() + self.fails() + self.open()
    }
    /// Statements on the year's own values that hold, and that are checkable.
    pub fn fidelity(&self) -> (usize, usize) {
        let of = |f: fn(&Verdict) -> bool| self.checked.iter().filter(|c| !c.change && f(&c.verdict)).count();
        (of(|v| matches!(v, Verdict::Holds)), of(|v| matches!(v, Verdict::Holds | Verdict::Fails { .. } | Verdict::Open { .. })))
    }
    /// One line: the counts and the fidelity figure.
    pub fn summary(&self) -> String {
        let (h, n) = self.fidelity();
        let pct = if n == 0 {
            Decimal::ZERO
        } else {
            (Decimal::from(h * 100) / Decimal::from(n)).round_dp_with_strategy(1, RoundingStrategy::ToZero)
        };
        let ch = |f: fn(&Verdict) -> bool| self.checked.iter().filter(|c| c.change && f(&c.verdict)).count();
        format!(
            "published statements: {} hold, {} open, {} known contradictions, {} not checkable, {} do not hold; \
             fidelity {h}/{n} ({pct}%) on the year's values; {}/{} on the change against last year",
            self.holds(),
            self.open(),
            self.contradictions(),
            self.not_checkable(),
            self.fails(),
            ch(|v| matches!(v, Verdict::Holds)),
            ch(|v| matches!(v, Verdict::Holds | Verdict::Fails { .. } | Verdict::Open { .. })),
        )
    }
}

/// A unit's standing on one node.
#[derive(Debug, Clone, Copy)]
enum Val {
    /// Not evaluated on the node (exempt, or not for its kind).
    Out,
    /// Evaluated, but the node has no points of its own (awarded as a whole above it).
    Unknown,
    /// Points, maximum and full-precision index %.
    In { points: Decimal, max: Decimal, index: Decimal },
}

struct Year<'a> {
    rs: &'a RuleSet,
    outcome: &'a Outcome,
    previous: &'a BTreeMap<String, BTreeMap<String, String>>,
}

type Check = Result<(), String>;

fn parse_dec(s: &str) -> Result<Decimal, String> {
    Decimal::from_str_exact(s.trim()).map_err(|_| format!("`{s}` is not a number, or has more digits than an exact decimal holds"))
}

/// "low-high", either side may be negative ("-20--10").
fn parse_range(s: &str) -> Result<(Decimal, Decimal), String> {
    let b = s.as_bytes();
    let cut = (1..b.len()).find(|&i| b[i] == b'-' && b[i - 1].is_ascii_digit()).ok_or_else(|| format!("`{s}` is not a range"))?;
    Ok((parse_dec(&s[..cut])?, parse_dec(&s[cut + 1..])?))
}

/// "n/m".
fn parse_ratio(s: &str) -> Result<(usize, usize), String> {
    let (n, m) = s.split_once('/').ok_or_else(|| format!("`{s}` is not n/m"))?;
    let p = |x: &str| x.trim().parse::<usize>().map_err(|_| format!("`{s}` is not n/m"));
    Ok((p(n)?, p(m)?))
}

/// Whether `shown` (rounded as the rules declare, 2 decimals) is what the
/// report prints. The report drops trailing zeros ("96,3%" is 96.30, "76%" is
/// 76.00: 13 / 13.5 = 96.296% is printed "96,3"), so the two must be equal.
fn prints_as(shown: Decimal, printed: Decimal) -> bool {
    shown == printed
}

impl Year<'_> {
    fn val(&self, unit: usize, node: usize) -> Val {
        let r = self.outcome.units[unit].node(node);
        if !r.status.in_scale() || r.max.is_zero() {
            return Val::Out;
        }
        if !r.status.has_points() {
            return Val::Unknown;
        }
        Val::In { points: r.points, max: r.max, index: r.points / r.max * Decimal::ONE_HUNDRED }
    }

    fn shown(&self, x: Decimal) -> Decimal {
        self.rs.model.rounding.component.apply(x)
    }

    fn unit(&self, id: &str) -> usize {
        // Checked when the file is read.
        self.outcome.units.iter().position(|u| self.rs.model.units[u.unit].id == id).unwrap_or(usize::MAX)
    }

    fn id(&self, u: usize) -> &str {
        &self.rs.model.units[self.outcome.units[u].unit].id
    }

    fn members(&self, g: Group) -> Vec<usize> {
        let m = &self.rs.model;
        (0..self.outcome.units.len())
            .filter(|&u| {
                let kind = &m.kinds[m.units[self.outcome.units[u].unit].kind].id;
                match g {
                    Group::All => true,
                    Group::Department => kind == "department",
                    Group::District => kind == "district",
                }
            })
            .collect()
    }

    /// The shown indices of the group's evaluated units; an error when some have no points at the node.
    fn indices(&self, g: Group, node: usize) -> Result<Vec<(usize, Decimal, Decimal)>, String> {
        let mut out = Vec::new();
        let mut unknown = 0;
        for u in self.members(g) {
            match self.val(u, node) {
                Val::In { index, .. } => out.push((u, self.shown(index), index)),
                Val::Unknown => unknown += 1,
                Val::Out => {}
            }
        }
        if unknown > 0 {
            return Err(format!("no points of its own for {unknown} units (awarded with the criterion above it)"));
        }
        Ok(out)
    }

    fn mean(&self, g: Group, node: usize) -> Result<Decimal, String> {
        let xs = self.indices(g, node)?;
        if xs.is_empty() {
            return Err("no unit evaluated".into());
        }
        Ok(xs.iter().map(|x| x.2).sum::<Decimal>() / Decimal::from(xs.len()))
    }

    fn unit_index(&self, u: usize, node: usize) -> Result<Decimal, String> {
        match self.val(u, node) {
            Val::In { index, .. } => Ok(self.shown(index)),
            Val::Unknown => Err(format!("`{}` has no points of its own here (awarded with the criterion above it)", self.id(u))),
            Val::Out => Err(format!("`{}` is not evaluated here", self.id(u))),
        }
    }

    fn check(&self, s: &RawStatement, node: usize) -> Check {
        let value = || s.value.as_deref().ok_or_else(|| "no `value`".to_string());
        let units: Vec<usize> = s.units.iter().map(|u| self.unit(u)).collect();
        match s.kind {
            Kind::UnitIndex => {
                let v = parse_dec(value()?)?;
                for &u in &units {
                    let x = self.unit_index(u, node)?;
                    if !prints_as(x, v) {
                        return Err(format!("`{}` {x}%", self.id(u)));
                    }
                }
                Ok(())
            }
            Kind::Score | Kind::Scale => {
                let v = parse_dec(value()?)?;
                for &u in &units {
                    let x = match (self.val(u, node), s.kind) {
                        (Val::In { points, .. }, Kind::Score) => self.rs.model.rounding.points.apply(points),
                        (Val::In { max, .. }, _) => max,
                        (Val::Unknown, Kind::Scale) => self.outcome.units[u].node(node).max,
                        _ => return Err(format!("`{}` has no points here", self.id(u))),
                    };
                    if !prints_as(x, v) {
                        return Err(format!("`{}` {x}", self.id(u)));
                    }
                }
                Ok(())
            }
            Kind::NotEvaluated => {
                for &u in &units {
                    if !matches!(self.val(u, node), Val::Out) {
                        return Err(format!("`{}` is evaluated", self.id(u)));
                    }
                }
                Ok(())
            }
            Kind::Highest | Kind::Lowest | Kind::Next => {
                let v = parse_dec(value()?)?;
                let from = match s.kind {
                    Kind::Highest => From::Top,
                    Kind::Lowest => From::Bottom,
                    _ => s.from.ok_or("no `from`")?,
                };
                let position = if s.kind == Kind::Next { s.position.ok_or("no `position`")? } else { 1 };
                let xs = self.indices(s.group, node)?;
                for &u in &units {
                    let x = self.unit_index(u, node)?;
                    if !prints_as(x, v) {
                        return Err(format!("`{}` {x}%", self.id(u)));
                    }
                    let better: Vec<String> = xs
                        .iter()
                        .filter(|(_, y, _)| if from == From::Top { *y > x } else { *y < x })
                        .map(|(w, y, _)| format!("`{}` {y}%", self.id(*w)))
                        .collect();
                    if better.len() != position - 1 {
                        return Err(format!("`{}` {x}% comes after {}: {}", self.id(u), better.len(), better.join(", ")));
                    }
                }
                Ok(())
            }
            Kind::CountAt100 => {
                let xs = self.indices(s.group, node)?;
                let full: Vec<usize> = xs.iter().filter(|x| x.1 == Decimal::ONE_HUNDRED).map(|x| x.0).collect();
                let names = || full.iter().map(|&u| format!("`{}`", self.id(u))).collect::<Vec<_>>().join(", ");
                let count = match &s.value {
                    Some(v) => parse_dec(v)?,
                    None => Decimal::from(units.len()),
                };
                if Decimal::from(full.len()) != count {
                    return Err(format!("{} at 100%: {}", full.len(), names()));
                }
                if !units.is_empty() && (units.len() != full.len() || units.iter().any(|u| !full.contains(u))) {
                    return Err(format!("at 100%: {}", names()));
                }
                Ok(())
            }
            Kind::RangeOfOthers => {
                let (lo, hi) = parse_range(value()?)?;
                let except: Vec<usize> = s.except.iter().map(|u| self.unit(u)).collect();
                let xs: Vec<_> = self
                    .indices(s.group, node)?
                    .into_iter()
                    .filter(|x| !(except.contains(&x.0) || s.besides_100 && x.1 == Decimal::ONE_HUNDRED))
                    .collect();
                let (Some(min), Some(max)) = (xs.iter().map(|x| x.1).min(), xs.iter().map(|x| x.1).max()) else {
                    return Err("no other unit".into());
                };
                if prints_as(min, lo) && prints_as(max, hi) {
                    Ok(())
                } else {
                    Err(format!("{min}-{max} over {} units", xs.len()))
                }
            }
            Kind::GroupMean => {
                let v = parse_dec(value()?)?;
                let x = self.shown(self.mean(s.group, node)?);
                if prints_as(x, v) {
                    Ok(())
                } else {
                    Err(format!("mean {x}%"))
                }
            }
            Kind::Difference => {
                let v = parse_dec(value()?)?;
                let x = self.shown(self.mean(Group::Department, node)? - self.mean(Group::District, node)?);
                if prints_as(x, v) {
                    Ok(())
                } else {
                    Err(format!("difference {x}"))
                }
            }
            Kind::CountOfCriteria => {
                let (n, m) = parse_ratio(value()?)?;
                let children = &self.rs.model.nodes[node].children;
                let mut below = 0;
                for &c in children {
                    let d = self.shown(self.mean(Group::Department, c)?);
                    let k = self.shown(self.mean(Group::District, c)?);
                    below += usize::from(d < k);
                }
                if below == n && children.len() == m {
                    Ok(())
                } else {
                    Err(format!("{below}/{}", children.len()))
                }
            }
            Kind::Change | Kind::ChangeCount | Kind::ChangeRangeOfOthers => self.check_change(s, node, &units),
        }
    }

    /// Last year's shown index of a unit on a node, when declared.
    fn before(&self, u: usize, node: &str) -> Option<Decimal> {
        self.previous.get(self.id(u)).and_then(|m| m.get(node)).and_then(|v| v.parse().ok())
    }

    /// A unit's change of shown index on a node; `None` when last year's is not declared.
    fn change_of(&self, u: usize, node: usize) -> Result<Option<Decimal>, String> {
        let nid = &self.rs.model.nodes[node].id;
        let now = self.unit_index(u, node)?;
        Ok(self.before(u, nid).map(|then| now - then))
    }

    /// The change of the group's mean on a node.
    fn mean_change(&self, g: Group, node: usize) -> Result<Option<Decimal>, String> {
        let nid = &self.rs.model.nodes[node].id;
        let xs = self.indices(g, node)?;
        let mut before = Decimal::ZERO;
        for (u, _, _) in &xs {
            match self.before(*u, nid) {
                Some(b) => before += b,
                None => return Ok(None),
            }
        }
        let n = Decimal::from(xs.len().max(1));
        Ok(Some(self.shown(self.mean(g, node)?) - self.shown(before / n)))
    }

    fn check_change(&self, s: &RawStatement, node: usize, units: &[usize]) -> Check {
        let nid = &self.rs.model.nodes[node].id;
        let declared = |n: &str| self.previous.values().any(|m| m.contains_key(n));
        let children = &self.rs.model.nodes[node].children;
        if !(declared(nid) || s.of == Some(Of::Criteria) && children.iter().any(|&c| declared(&self.rs.model.nodes[c].id))) {
            return Err(NOT_CHECKABLE.into());
        }
        let value = || s.value.as_deref().ok_or_else(|| "no `value`".to_string());
        let goes = |d: Decimal| match s.direction {
            Some(Direction::Up) => d > Decimal::ZERO,
            Some(Direction::Down) => d < Decimal::ZERO,
            Some(Direction::Same) => d.is_zero(),
            None => true,
        };
        match s.kind {
            Kind::Change if !units.is_empty() => {
                let v = parse_dec(value()?)?;
                for &u in units {
                    let d = self.change_of(u, node)?.ok_or(NOT_CHECKABLE)?;
                    if !prints_as(d, v) {
                        return Err(format!("`{}` {d}", self.id(u)));
                    }
                }
                Ok(())
            }
            Kind::Change => {
                let v = parse_dec(value()?)?;
                let d = self.mean_change(s.group, node)?.ok_or(NOT_CHECKABLE)?;
                // Last year's mean is taken from indices shown to 2 decimals
                // (the report's own were exact): within 0.01.
                if (d - v).abs() <= Decimal::new(1, 2) {
                    Ok(())
                } else {
                    Err(format!("mean changed {d}"))
                }
            }
            Kind::ChangeCount => {
                let (n, m) = parse_ratio(value()?)?;
                let changes: Vec<Decimal> = if s.of == Some(Of::Criteria) {
                    let children = self.rs.model.nodes[node].children.clone();
                    let mut out = Vec::new();
                    for c in children {
                        match self.mean_change(s.group, c) {
                            Ok(Some(d)) => out.push(d),
                            Ok(None) => return Err(NOT_CHECKABLE.into()),
                            Err(_) => {}
                        }
                    }
                    out
                } else {
                    let mut out = Vec::new();
                    for (u, _, _) in self.indices(s.group, node)? {
                        out.push(self.change_of(u, node)?.ok_or(NOT_CHECKABLE)?);
                    }
                    out
                };
                let k = changes.iter().filter(|d| goes(**d)).count();
                if k == n && changes.len() == m {
                    Ok(())
                } else {
                    Err(format!("{k}/{}", changes.len()))
                }
            }
            _ => {
                let (lo, hi) = parse_range(value()?)?;
                let except: Vec<usize> = s.except.iter().map(|u| self.unit(u)).collect();
                let mut ds = Vec::new();
                for (u, _, _) in self.indices(s.group, node)? {
                    if except.contains(&u) {
                        continue;
                    }
                    let d = self.change_of(u, node)?.ok_or(NOT_CHECKABLE)?;
                    if goes(d) {
                        ds.push(d);
                    }
                }
                let (Some(min), Some(max)) = (ds.iter().min().copied(), ds.iter().max().copied()) else {
                    return Err("no other unit".into());
                };
                if prints_as(min, lo) && prints_as(max, hi) {
                    Ok(())
                } else {
                    Err(format!("changes {min}..{max} over {} units", ds.len()))
                }
            }
        }
    }
}

const NOT_CHECKABLE: &str = "needs last year's component and criterion indices";

/// Where the points of one unit come from, by node (published, derived from
/// the report's statements, or reconstructed), as the year's statements file
/// declares; empty when it declares nothing or cannot be read (`parindex
/// test` reports why).
pub fn provenance(rs: &RuleSet, unit: &str) -> BTreeMap<String, String> {
    let Ok(Some(src)) = read_source(&rs.root, &statements_file(rs.model.year)) else {
        return BTreeMap::new();
    };
    parse_toml::<RawFile>(&src).ok().and_then(|mut f| f.provenance.remove(unit)).unwrap_or_default()
}

/// Last year's component indices of one unit that the report's change
/// statements imply, by component (see `tools/previous_2023.py`); empty when
/// the year declares none.
pub fn previous(rs: &RuleSet, unit: &str) -> BTreeMap<String, Decimal> {
    let Ok(Some(src)) = read_source(&rs.root, &statements_file(rs.model.year)) else {
        return BTreeMap::new();
    };
    let declared = parse_toml::<RawFile>(&src).ok().and_then(|mut f| f.previous.remove(unit)).unwrap_or_default();
    declared.into_iter().filter_map(|(k, v)| v.parse::<Decimal>().ok().map(|d| (k, d))).collect()
}

/// Reads and checks the published statements of the year, if it has any.
pub fn check(rs: &RuleSet, outcome: &Outcome) -> Result<Option<Fidelity>, Diagnostics> {
    let rel = statements_file(rs.model.year);
    let src: Source = match read_source(&rs.root, &rel) {
        Ok(Some(s)) => s,
        Ok(None) => return Ok(None),
        Err(d) => return Err(Diagnostics(vec![d])),
    };
    let file: RawFile = parse_toml(&src).map_err(|d| Diagnostics(vec![d]))?;
    let mut problems = Diagnostics::default();
    let year = Year { rs, outcome, previous: &file.previous };
    let mut fidelity = Fidelity::default();
    for st in &file.statement {
        let at = st.span().start;
        let s = st.get_ref();
        let bad = |code: Code, msg: String| Diagnostic::error(code, msg).at_offset(&src.path, &src.text, at);
        for u in s.units.iter().chain(&s.except) {
            if year.unit(u) == usize::MAX {
                problems.push(bad(Code::UnknownUnit, format!("statement names unknown unit `{u}`")));
            }
        }
        let node_id = s.criterion.as_deref().or(s.component.as_deref()).unwrap_or("");
        let Some(node) = rs.model.node_index(node_id) else {
            problems.push(bad(Code::UnknownCriterion, format!("statement about unknown criterion `{node_id}`")));
            continue;
        };
        if problems.has_errors() {
            continue;
        }
        let result = year.check(s, node);
        let reason = || s.reason.clone().unwrap_or_default();
        let verdict = match (result, s.status) {
            (_, Some(Declared::Contradiction)) => Verdict::Contradiction { reason: reason() },
            (Err(why), _) if why == NOT_CHECKABLE => Verdict::NotCheckable { why },
            (Ok(()), _) => Verdict::Holds,
            (Err(shown), Some(Declared::Open)) => Verdict::Open { shown, reason: reason() },
            (Err(shown), None) => Verdict::Fails { shown },
        };
        let (line, _) = crate::diag::line_col(&src.text, at);
        let change = matches!(s.kind, Kind::Change | Kind::ChangeCount | Kind::ChangeRangeOfOthers);
        fidelity.checked.push(Checked { seed_line: s.line, text: s.text.clone(), line, change, verdict });
    }
    if problems.has_errors() {
        return Err(problems);
    }
    Ok(Some(fidelity))
}

/// Adds the year's published statements to a test run: each statement that
/// does not hold is a failure; the counts and the fidelity figure are a note.
pub fn add_to(run: &mut TestRun, rs: &RuleSet, outcome: &Outcome) -> Result<(), Diagnostics> {
    let Some(f) = check(rs, outcome)? else {
        return Ok(());
    };
    let rel = statements_file(rs.model.year);
    for c in &f.checked {
        if let Verdict::Fails { shown } = &c.verdict {
            let d = Diagnostic::error(
                Code::PublishedStatementFails,
                format!("report line {}: \"{}\" does not hold: shown {shown}", c.seed_line, c.text),
            )
            .at(crate::diag::Location::at(&rel, c.line, 1));
            run.failures.push(d);
        }
    }
    run.notes.push(f.summary());
    Ok(())
}
