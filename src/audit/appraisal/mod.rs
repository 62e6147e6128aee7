//! The scoring round as reports: per unit the appraisal record (biên bản
//! thẩm định: every criterion with the self-score, each round's points and
//! the final ones, the reason and the explanation, totals per component);
//! for the council, the criteria most often cut, the units whose
//! self-assessment exceeds the final by more than the declared margin, the
//! self-scores without evidence and the explanations pending; and the
//! survey's questionnaires, counts and response rates.
//!
//! A criterion's points after round `r` are the round's points where it cut,
//! else the self-score, else (the survey, SIPAS, rules) the council's: what
//! `parindex score --round r` scores.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use rust_decimal::Decimal;
use serde::Serialize;

use crate::input::model::Model;
use crate::lang::Lang;
use crate::report::plain;

pub(crate) fn add(a: Decimal, b: Decimal) -> Decimal {
    a.checked_add(b).unwrap_or(Decimal::MAX)
}

pub(crate) fn sub(a: Decimal, b: Decimal) -> Decimal {
    a.checked_sub(b).unwrap_or(Decimal::MIN)
}

/// One criterion's points through the rounds, for `explain`.
#[derive(Debug, Clone, Serialize)]
pub struct Trail {
    #[serde(rename = "self")]
    pub self_points: Option<String>,
    /// Round id → the points after that round.
    pub rounds: BTreeMap<u32, String>,
    #[serde(rename = "final")]
    pub final_points: String,
}

impl Trail {
    pub fn to_text(&self, lang: Lang) -> String {
        let vi = lang == Lang::Vi;
        let mut parts = vec![format!("{} {}", if vi { "tự chấm" } else { "self" }, self.self_points.as_deref().unwrap_or("-"))];
        for (r, p) in &self.rounds {
            parts.push(format!("{} {r} {p}", if vi { "vòng" } else { "round" }));
        }
        parts.push(format!("{} {}", if vi { "cuối cùng" } else { "final" }, self.final_points));
        parts.join(" → ")
    }
}

/// The points of `key` after round `round` (0: self-assessment): the round's or self-score, else the council's.
pub(crate) fn state(m: &Model, round: usize, key: (usize, usize)) -> Option<Decimal> {
    m.appraisal.as_ref().and_then(|a| a.points_at(round, key)).or_else(|| m.awarded.get(&key).map(|a| a.points))
}

/// The trail of `key`, when the unit self-assessed it or a round cut it.
pub fn trail(m: &Model, key: (usize, usize)) -> Option<Trail> {
    let a = m.appraisal.as_ref()?;
    let own = a.self_scores.get(&key).map(|s| s.points);
    if own.is_none() && !a.rounds.iter().any(|r| r.cuts.contains_key(&key)) {
        return None;
    }
    let rounds = a.rounds.iter().enumerate().filter_map(|(i, r)| state(m, i + 1, key).map(|p| (r.id, plain(p)))).collect();
    let fin = m.awarded.get(&key).map(|x| x.points).or_else(|| state(m, a.rounds.len(), key))?;
    Some(Trail { self_points: own.map(plain), rounds, final_points: plain(fin) })
}

/// One line of the appraisal record.
#[derive(Debug, Clone, Serialize)]
pub struct RecordRow {
    pub criterion: String,
    pub name: String,
    pub component: String,
    #[serde(rename = "self")]
    pub self_points: Option<String>,
    pub evidence: usize,
    /// The points after each round, in order.
    pub rounds: Vec<String>,
    #[serde(rename = "final")]
    pub final_points: String,
    /// The reason code of the last round that cut it, and its title and text.
    pub reason: Option<String>,
    pub reason_title: Option<String>,
    pub reason_text: Option<String>,
    /// The unit's last explanation, and the decision on it (`pending` without one).
    pub explanation: Option<String>,
    pub decision: Option<String>,
}

/// Points of a component (or of the whole) at each stage.
#[derive(Debug, Clone, Serialize)]
pub struct Totals {
    pub id: String,
    pub name: String,
    #[serde(rename = "self")]
    pub self_points: String,
    pub rounds: Vec<String>,
    #[serde(rename = "final")]
    pub final_points: String,
}

/// The appraisal record of one unit.
#[derive(Debug, Clone, Serialize)]
pub struct Record {
    pub year: u16,
    pub unit: String,
    pub name: String,
    /// `[id, from, to]` of each round.
    pub rounds: Vec<[String; 3]>,
    pub rows: Vec<RecordRow>,
    pub components: Vec<Totals>,
    pub total: Totals,
}

pub(crate) fn component_of(m: &Model, node: usize) -> usize {
    let mut i = node;
    while let Some(p) = m.nodes[i].parent {
        i = p;
    }
    i
}

/// Every criterion the unit was awarded, self-assessed or cut at, in tree order.
pub(crate) fn unit_keys(m: &Model, unit: usize) -> Vec<usize> {
    let mut nodes: Vec<usize> = m.awarded.keys().filter(|k| k.0 == unit).map(|k| k.1).collect();
    if let Some(a) = &m.appraisal {
        nodes.extend(a.keys().into_iter().filter(|k| k.0 == unit).map(|k| k.1));
    }
    nodes.sort_unstable();
    nodes.dedup();
    nodes
}

/// The appraisal record of unit `unit`; `None` when the year has no appraisal files.
pub fn record(m: &Model, unit: usize) -> Option<Record> {
    let a = m.appraisal.as_ref()?;
    let n_rounds = a.rounds.len();
    let mut rows = Vec::new();
    // Per component: self, each round, final.
    let mut sums: BTreeMap<usize, Vec<Decimal>> = BTreeMap::new();
    for node in unit_keys(m, unit) {
        let key = (unit, node);
        let comp = component_of(m, node);
        let stages: Vec<Decimal> = (0..=n_rounds).map(|r| state(m, r, key).unwrap_or_default()).collect();
        let fin = m.awarded.get(&key).map(|x| x.points).unwrap_or_else(|| stages[n_rounds]);
        let s = sums.entry(comp).or_insert_with(|| vec![Decimal::ZERO; n_rounds + 2]);
        for (acc, v) in s.iter_mut().zip(stages.iter().chain(std::iter::once(&fin))) {
            *acc = add(*acc, *v);
        }
        let cut = a.rounds.iter().rev().find_map(|r| r.cuts.get(&key));
        let reason = cut.and_then(|c| c.reason).and_then(|i| a.reasons.get(i));
        let expl = a.rounds.iter().rev().find_map(|r| r.explanations.get(&key));
        let own = a.self_scores.get(&key);
        rows.push(RecordRow {
            criterion: m.nodes[node].id.clone(),
            name: m.nodes[node].name.clone(),
            component: m.nodes[comp].id.clone(),
            self_points: own.map(|s| plain(s.points)),
            evidence: own.map_or(0, |s| s.evidence.len()),
            rounds: stages[1..].iter().map(|p| plain(*p)).collect(),
            final_points: plain(fin),
            reason: reason.map(|r| r.code.clone()),
            reason_title: reason.map(|r| r.title.clone()),
            reason_text: cut.and_then(|c| c.text.clone()),
            explanation: expl.map(|e| e.text.clone()),
            decision: expl.map(|e| e.decision.map_or("pending", |d| d.as_str()).to_string()),
        });
    }
    let totals = |id: String, name: String, v: &[Decimal]| Totals {
        id,
        name,
        self_points: plain(v[0]),
        rounds: v[1..=n_rounds].iter().map(|p| plain(*p)).collect(),
        final_points: plain(v[n_rounds + 1]),
    };
    let mut all = vec![Decimal::ZERO; n_rounds + 2];
    let components = sums
        .iter()
        .map(|(&c, v)| {
            for (acc, x) in all.iter_mut().zip(v) {
                *acc = add(*acc, *x);
            }
            totals(m.nodes[c].id.clone(), m.nodes[c].name.clone(), v)
        })
        .collect();
    let u = &m.units[unit];
    Some(Record {
        year: m.year,
        unit: u.id.to_string(),
        name: u.name.to_string(),
        rounds: a.rounds.iter().map(|r| [r.id.to_string(), r.from.clone(), r.to.clone()]).collect(),
        rows,
        components,
        total: totals("total".into(), "Tổng các tiêu chí trên (criteria above)".into(), &all),
    })
}

pub(crate) fn table(rows: &[Vec<String>]) -> String {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let width =
        |c: usize| rows.iter().map(|r| r.get(c).map_or(0, |x| unicode_width::UnicodeWidthStr::width(x.as_str()))).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols).map(width).collect();
    let mut out = String::new();
    for r in rows {
        let mut line = String::new();
        for (c, cell) in r.iter().enumerate() {
            let pad = widths[c].saturating_sub(unicode_width::UnicodeWidthStr::width(cell.as_str()));
            let _ = write!(line, "{cell}{}  ", " ".repeat(pad));
        }
        let _ = writeln!(out, "{}", line.trim_end());
    }
    out
}

pub(crate) fn csv_line(cells: &[String]) -> String {
    let quoted: Vec<String> =
        cells.iter().map(|c| if c.contains([',', '"', '\n']) { format!("\"{}\"", c.replace('"', "\"\"")) } else { c.clone() }).collect();
    format!("{}\n", quoted.join(","))
}

impl Record {
    fn header(&self, lang: Lang) -> Vec<String> {
        let vi = lang == Lang::Vi;
        let mut h: Vec<String> = if vi {
            vec!["Tiêu chí".into(), "Tự chấm".into(), "TLKC".into()]
        } else {
            vec!["criterion".into(), "self".into(), "evidence".into()]
        };
        for r in &self.rounds {
            h.push(format!("{} {}", if vi { "Vòng" } else { "round" }, r[0]));
        }
        h.extend(if vi {
            ["Cuối cùng", "Lý do", "Giải trình", "Quyết định"].map(String::from)
        } else {
            ["final", "reason", "explanation", "decision"].map(String::from)
        });
        h
    }

    fn cells(&self, r: &RecordRow) -> Vec<String> {
        let mut c = vec![r.criterion.clone(), r.self_points.clone().unwrap_or_else(|| "-".into()), r.evidence.to_string()];
        c.extend(r.rounds.iter().cloned());
        let reason = match (&r.reason, &r.reason_text) {
            (Some(code), Some(t)) => format!("{code}: {t}"),
            (Some(code), None) => code.clone(),
            (None, Some(t)) => t.clone(),
            (None, None) => String::new(),
        };
        c.extend([r.final_points.clone(), reason, r.explanation.clone().unwrap_or_default(), r.decision.clone().unwrap_or_default()]);
        c
    }

    pub fn to_text(&self, lang: Lang) -> String {
        let vi = lang == Lang::Vi;
        let mut out = String::new();
        let _ =
            writeln!(out, "{} {}: {} {}", if vi { "Biên bản thẩm định năm" } else { "Appraisal record" }, self.year, self.unit, self.name);
        for r in &self.rounds {
            let _ = writeln!(out, "  {} {}: {} – {}", if vi { "vòng" } else { "round" }, r[0], r[1], r[2]);
        }
        let _ = writeln!(out);
        let mut rows = vec![self.header(lang)];
        rows.extend(self.rows.iter().map(|r| self.cells(r)));
        out.push_str(&table(&rows));
        let _ = writeln!(out);
        let mut trows: Vec<Vec<String>> = Vec::new();
        let mut h = vec![if vi { "Chỉ số thành phần" } else { "component" }.to_string(), if vi { "Tự chấm" } else { "self" }.to_string()];
        h.extend(self.rounds.iter().map(|r| format!("{} {}", if vi { "Vòng" } else { "round" }, r[0])));
        h.push(if vi { "Cuối cùng" } else { "final" }.to_string());
        trows.push(h);
        for t in self.components.iter().chain(std::iter::once(&self.total)) {
            let mut row = vec![format!("{} {}", t.id, t.name), t.self_points.clone()];
            row.extend(t.rounds.iter().cloned());
            row.push(t.final_points.clone());
            trows.push(row);
        }
        out.push_str(&table(&trows));
        out
    }

    pub fn to_csv(&self) -> String {
        let mut out = String::from("\u{feff}");
        let mut h = vec!["unit".to_string()];
        h.extend(self.header(Lang::En));
        out.push_str(&csv_line(&h));
        for r in &self.rows {
            let mut c = vec![self.unit.clone()];
            c.extend(self.cells(r));
            out.push_str(&csv_line(&c));
        }
        out
    }
}

mod council;
mod survey;
pub use council::{council, Council};
pub use survey::{survey, SurveyReport};
