//! Expectations: published or agreed numbers a year's results must keep.
//!
//! `fixtures/<year>/expected*.toml` declare, per unit, any of its scale,
//! total, index, rank, parts, component indices, change and node points, and
//! per unit kind the average. Each is compared with the shown value (rounded
//! as the rules declare), exactly unless a tolerance is given. This is what
//! `parindex test` runs, in the users' own CI.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rust_decimal::Decimal;
use serde::Deserialize;
use toml::Spanned;

use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::input::load::{parse_toml, read_source, Source};
use crate::input::raw::Dec;
use crate::report::Report;
use crate::score::eval::Outcome;
use crate::score::ruleset::RuleSet;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExpectedFile {
    #[serde(default)]
    expect: Vec<RawExpect>,
    #[serde(default)]
    average: Vec<RawAverage>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExpect {
    unit: Spanned<String>,
    #[serde(default)]
    scale: Option<Dec>,
    #[serde(default)]
    total: Option<Dec>,
    #[serde(default)]
    index: Option<Dec>,
    #[serde(default)]
    rank: Option<u32>,
    #[serde(default)]
    parts: BTreeMap<String, Dec>,
    #[serde(default)]
    components: BTreeMap<String, Dec>,
    #[serde(default)]
    nodes: BTreeMap<String, Dec>,
    #[serde(default)]
    change: Option<RawChange>,
    #[serde(default)]
    tolerance: Option<Dec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChange {
    #[serde(default)]
    index: Option<Dec>,
    #[serde(default)]
    rank: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAverage {
    kind: Spanned<String>,
    index: Dec,
    #[serde(default)]
    tolerance: Option<Dec>,
}

/// The outcome of one year's expectations.
#[derive(Debug, Default)]
pub struct TestRun {
    pub passed: usize,
    /// One diagnostic per failed expectation, with file, line, unit and what.
    pub failures: Diagnostics,
    /// Lines to show after the counts (the published statements' figures).
    pub notes: Vec<String>,
}

/// The expectation files of a year, sorted.
pub fn expectation_files(root: &Path, year: u16) -> Vec<PathBuf> {
    let rel = Path::new("fixtures").join(year.to_string());
    let mut files: Vec<PathBuf> = std::fs::read_dir(root.join(&rel))
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with("expected") && n.ends_with(".toml"))
                .map(|n| rel.join(n))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// The years that declare expectations.
pub fn years_with_expectations(root: &Path) -> Vec<u16> {
    let mut years: Vec<u16> = std::fs::read_dir(root.join("fixtures"))
        .map(|rd| rd.filter_map(Result::ok).filter_map(|e| e.file_name().to_string_lossy().parse::<u16>().ok()).collect())
        .unwrap_or_default();
    years.retain(|y| !expectation_files(root, *y).is_empty());
    years.sort_unstable();
    years
}

struct Checker<'a> {
    src: &'a Source,
    run: &'a mut TestRun,
}

impl Checker<'_> {
    fn check(&mut self, at: usize, unit: &str, what: &str, actual: Option<&str>, expected: Decimal, tol: Option<Decimal>) {
        let got = actual.and_then(|a| a.parse::<Decimal>().ok());
        let ok = match (got, tol) {
            (Some(g), Some(t)) => (g - expected).abs() <= t,
            (Some(g), None) => g == expected,
            (None, _) => false,
        };
        if ok {
            self.run.passed += 1;
            return;
        }
        let tol_text = tol.map(|t| format!(" (tolerance {t})")).unwrap_or_default();
        let d = Diagnostic::error(
            Code::ExpectationFailed,
            format!("unit `{unit}` {what}: expected {expected}{tol_text}, got {}", actual.unwrap_or("nothing")),
        )
        .at_indexed(&self.src.path, &self.src.text, self.src.lines(), at)
        .unit(unit);
        self.run.failures.push(d);
    }
}

/// Checks every expectation of `year` against its results. A year with no
/// expectation file, or a file that declares no expectation (an emptied
/// `expected.toml`), is an error ([`Code::NoExpectations`]): a test that
/// checks nothing must not pass.
pub fn run_expectations(rs: &RuleSet, outcome: &Outcome, report: &Report) -> Result<TestRun, Diagnostics> {
    let mut run = TestRun::default();
    let mut problems = Diagnostics::default();
    let files = expectation_files(&rs.root, rs.model.year);
    if files.is_empty() {
        let rel = Path::new("fixtures").join(rs.model.year.to_string()).join("expected.toml");
        problems.push(
            Diagnostic::error(Code::NoExpectations, format!("no expectations for {}: there is no expectation file", rs.model.year))
                .in_file(&rel)
                .help("expectations are declared in `fixtures/<year>/expected*.toml` as `[[expect]]` and `[[average]]` tables"),
        );
    }
    for rel in files {
        let (checked, reported) = (run.passed + run.failures.len(), problems.len());
        let src = match read_source(&rs.root, &rel) {
            Ok(Some(s)) => s,
            Ok(None) => continue,
            Err(d) => {
                problems.push(d);
                continue;
            }
        };
        let file: RawExpectedFile = match parse_toml(&src) {
            Ok(f) => f,
            Err(d) => {
                problems.push(d);
                continue;
            }
        };
        let mut c = Checker { src: &src, run: &mut run };
        for e in &file.expect {
            let at = e.unit.span().start;
            let id = e.unit.get_ref();
            let Some(u) = report.unit(id).or_else(|| rs.model.find_unit(id).and_then(|i| report.unit(&rs.model.units[i].id))) else {
                problems.push(Diagnostic::error(Code::UnknownUnit, format!("expectation for unknown unit `{id}`")).at_indexed(
                    &src.path,
                    &src.text,
                    src.lines(),
                    at,
                ));
                continue;
            };
            let tol = e.tolerance.map(|t| t.0);
            let uid = u.id.as_str();
            for (what, actual, expected) in [("scale", &u.scale, e.scale), ("total", &u.total, e.total), ("index", &u.index, e.index)] {
                if let Some(x) = expected {
                    c.check(at, uid, what, Some(actual), x.0, tol);
                }
            }
            if let Some(r) = e.rank {
                c.check(at, uid, "rank", Some(&u.rank.to_string()), Decimal::from(r), None);
            }
            for (p, x) in &e.parts {
                c.check(at, uid, &format!("part `{p}`"), u.parts.get(p).map(|v| v.as_str()), x.0, tol);
            }
            for (comp, x) in &e.components {
                let actual = u.components.iter().find(|k| &k.id == comp).and_then(|k| k.index.as_deref());
                c.check(at, uid, &format!("component `{comp}` index"), actual, x.0, tol);
            }
            if let Some(ch) = &e.change {
                let change = u.change.as_ref();
                if let Some(x) = ch.index {
                    c.check(at, uid, "change of index", change.map(|k| k.index.as_str()), x.0, tol);
                }
                if let Some(r) = ch.rank {
                    c.check(at, uid, "change of rank", change.map(|k| k.rank.to_string()).as_deref(), Decimal::from(r), None);
                }
            }
            for (node, x) in &e.nodes {
                let shown = rs.model.node_index(node).and_then(|ni| {
                    let ui = rs.model.units.iter().position(|x| x.id == uid)?;
                    let r = outcome.units[ui].node(ni);
                    r.status.has_points().then(|| rs.model.rounding.points.apply(r.points).to_string())
                });
                c.check(at, uid, &format!("criterion `{node}` points"), shown.as_deref(), x.0, tol);
            }
        }
        for a in &file.average {
            let at = a.kind.span().start;
            let actual = report.averages.iter().find(|x| &x.kind == a.kind.get_ref()).map(|x| x.index.as_str());
            let mut c = Checker { src: &src, run: &mut run };
            c.check(at, &format!("kind {}", a.kind.get_ref()), "average index", actual, a.index.0, a.tolerance.map(|t| t.0));
        }
        if run.passed + run.failures.len() == checked && problems.len() == reported {
            problems.push(
                Diagnostic::error(Code::NoExpectations, format!("`{}` declares no expectation to check", rel.display()))
                    .in_file(&rel)
                    .help("give each `[[expect]]` a unit and at least one number (`total`, `index`, `rank`, ...), or add an `[[average]]`"),
            );
        }
    }
    if problems.has_errors() {
        return Err(problems);
    }
    Ok(run)
}
