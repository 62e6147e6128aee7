//! The council's lists over every unit: the criteria most often cut and by
//! how much, the units whose self-assessment exceeds the final points by more
//! than the declared margin, the self-scores without evidence, and the
//! explanations still pending.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use rust_decimal::Decimal;
use serde::Serialize;

use super::{add, csv_line, sub, table};
use crate::input::model::Model;
use crate::lang::Lang;
use crate::report::plain;

/// A criterion the council cut.
#[derive(Debug, Clone, Serialize)]
pub struct MostCut {
    pub criterion: String,
    pub name: String,
    /// Units whose final points are below their self-score.
    pub units: usize,
    /// Σ (self-score − final points) over those units.
    pub points: String,
    /// Per round, the cuts it made here.
    pub cuts_per_round: Vec<usize>,
}

/// A unit whose self-assessment exceeds the final points by more than the margin.
#[derive(Debug, Clone, Serialize)]
pub struct OverMargin {
    pub unit: String,
    pub name: String,
    /// Σ of the self-scores, and of the final points of the same criteria.
    #[serde(rename = "self")]
    pub self_points: String,
    #[serde(rename = "final")]
    pub final_points: String,
    pub difference: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct WithoutEvidence {
    pub unit: String,
    pub criterion: String,
    pub points: String,
    pub at: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Pending {
    pub unit: String,
    pub criterion: String,
    pub round: u32,
    pub explanation: String,
    pub at: String,
}

/// The council's report of a year.
#[derive(Debug, Clone, Serialize)]
pub struct Council {
    pub year: u16,
    pub margin: String,
    pub most_cut: Vec<MostCut>,
    pub over_margin: Vec<OverMargin>,
    pub without_evidence: Vec<WithoutEvidence>,
    pub pending: Vec<Pending>,
}

fn at(l: &crate::diag::Location) -> String {
    format!("{}:{}:{}", l.file.display(), l.line.unwrap_or(0), l.column.unwrap_or(0))
}

/// The council's report; `None` when the year has no appraisal files.
pub fn council(m: &Model) -> Option<Council> {
    let a = m.appraisal.as_ref()?;
    let last = a.rounds.len();
    let mut by_node: BTreeMap<usize, (usize, Decimal, Vec<usize>)> = BTreeMap::new();
    let mut per_unit: BTreeMap<usize, (Decimal, Decimal)> = BTreeMap::new();
    let mut without_evidence = Vec::new();
    for (&key, s) in &a.self_scores {
        let fin = m.awarded.get(&key).map(|x| x.points).or_else(|| a.points_at(last, key)).unwrap_or(s.points);
        let e = per_unit.entry(key.0).or_default();
        *e = (add(e.0, s.points), add(e.1, fin));
        if fin < s.points {
            let n = by_node.entry(key.1).or_insert_with(|| (0, Decimal::ZERO, vec![0; last]));
            n.0 += 1;
            n.1 = add(n.1, sub(s.points, fin));
        }
        if s.evidence.is_empty() && s.points > Decimal::ZERO {
            without_evidence.push(WithoutEvidence {
                unit: m.units[key.0].id.to_string(),
                criterion: m.nodes[key.1].id.clone(),
                points: plain(s.points),
                at: at(&s.location),
            });
        }
    }
    for (ri, r) in a.rounds.iter().enumerate() {
        for key in r.cuts.keys() {
            let n = by_node.entry(key.1).or_insert_with(|| (0, Decimal::ZERO, vec![0; last]));
            if let Some(c) = n.2.get_mut(ri) {
                *c += 1;
            }
        }
    }
    let mut most_cut: Vec<(usize, Decimal, MostCut)> = by_node
        .into_iter()
        .map(|(node, (units, points, per))| {
            let row = MostCut {
                criterion: m.nodes[node].id.clone(),
                name: m.nodes[node].name.clone(),
                units,
                points: plain(points),
                cuts_per_round: per,
            };
            (units, points, row)
        })
        .collect();
    most_cut.sort_by(|x, y| y.0.cmp(&x.0).then(y.1.cmp(&x.1)));
    let over_margin = per_unit
        .into_iter()
        .filter(|(_, (own, fin))| sub(*own, *fin) > a.margin)
        .map(|(u, (own, fin))| OverMargin {
            unit: m.units[u].id.to_string(),
            name: m.units[u].name.to_string(),
            self_points: plain(own),
            final_points: plain(fin),
            difference: plain(sub(own, fin)),
        })
        .collect();
    let mut pending = Vec::new();
    for r in &a.rounds {
        for (key, e) in &r.explanations {
            if e.decision.is_none() {
                pending.push(Pending {
                    unit: m.units[key.0].id.to_string(),
                    criterion: m.nodes[key.1].id.clone(),
                    round: r.id,
                    explanation: e.text.clone(),
                    at: at(&e.location),
                });
            }
        }
    }
    Some(Council {
        year: m.year,
        margin: plain(a.margin),
        most_cut: most_cut.into_iter().map(|x| x.2).collect(),
        over_margin,
        without_evidence,
        pending,
    })
}

impl Council {
    pub fn to_text(&self, lang: Lang) -> String {
        let vi = lang == Lang::Vi;
        let mut out = String::new();
        let title = |out: &mut String, vi_t: &str, en_t: &str, n: usize| {
            let _ = writeln!(out, "{} ({n})", if vi { vi_t } else { en_t });
        };
        title(&mut out, "Tiêu chí bị trừ điểm nhiều nhất", "Criteria most often cut", self.most_cut.len());
        let mut rows = vec![if vi {
            ["Tiêu chí", "Số đơn vị", "Điểm bị trừ", "Số lần trừ theo vòng", "Tên"].map(String::from).to_vec()
        } else {
            ["criterion", "units", "points cut", "cuts per round", "name"].map(String::from).to_vec()
        }];
        for c in &self.most_cut {
            let per: Vec<String> = c.cuts_per_round.iter().map(ToString::to_string).collect();
            rows.push(vec![c.criterion.clone(), c.units.to_string(), c.points.clone(), per.join(" / "), c.name.clone()]);
        }
        out.push_str(&table(&rows));
        let _ = writeln!(out);
        let (vt, et) = (
            format!("Đơn vị tự chấm cao hơn kết quả trên {} điểm", self.margin),
            format!("Units whose self-assessment exceeds the final points by more than {}", self.margin),
        );
        title(&mut out, &vt, &et, self.over_margin.len());
        let mut rows = vec![if vi {
            ["Đơn vị", "Tự chấm", "Cuối cùng", "Chênh lệch", "Tên"]
        } else {
            ["unit", "self", "final", "difference", "name"]
        }
        .map(String::from)
        .to_vec()];
        for o in &self.over_margin {
            rows.push(vec![o.unit.clone(), o.self_points.clone(), o.final_points.clone(), o.difference.clone(), o.name.clone()]);
        }
        out.push_str(&table(&rows));
        let _ = writeln!(out);
        title(&mut out, "Tự chấm điểm không có tài liệu kiểm chứng", "Self-scores without evidence", self.without_evidence.len());
        for w in &self.without_evidence {
            let _ = writeln!(out, "  {} {} = {}  [{}]", w.unit, w.criterion, w.points, w.at);
        }
        let _ = writeln!(out);
        title(&mut out, "Giải trình chưa có quyết định", "Explanations pending", self.pending.len());
        for p in &self.pending {
            let _ = writeln!(
                out,
                "  {} {} ({} {}): {}  [{}]",
                p.unit,
                p.criterion,
                if vi { "vòng" } else { "round" },
                p.round,
                p.explanation,
                p.at
            );
        }
        out
    }

    /// One row per item: `list,unit,criterion,value,detail`.
    pub fn to_csv(&self) -> String {
        let mut out = String::from("\u{feff}");
        out.push_str(&csv_line(&["list", "unit", "criterion", "value", "detail"].map(String::from)));
        for c in &self.most_cut {
            out.push_str(&csv_line(&[
                "most_cut".into(),
                String::new(),
                c.criterion.clone(),
                c.points.clone(),
                format!("{} units", c.units),
            ]));
        }
        for o in &self.over_margin {
            out.push_str(&csv_line(&[
                "over_margin".into(),
                o.unit.clone(),
                String::new(),
                o.difference.clone(),
                format!("{} → {}", o.self_points, o.final_points),
            ]));
        }
        for w in &self.without_evidence {
            out.push_str(&csv_line(&["without_evidence".into(), w.unit.clone(), w.criterion.clone(), w.points.clone(), w.at.clone()]));
        }
        for p in &self.pending {
            out.push_str(&csv_line(&["pending".into(), p.unit.clone(), p.criterion.clone(), p.round.to_string(), p.explanation.clone()]));
        }
        out
    }
}
