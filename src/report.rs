//! Report: the results as people and programs read them.
//!
//! [`Report`] is the one view of an [`Outcome`] with every number rounded as
//! the rules declare (points half-up, indices truncated, ...); the text
//! table, JSON and CSV are renderings of it, so the three formats can never
//! disagree. Full-precision values stay available under `exact` in JSON.

use std::fmt::Write as _;

use rayon::prelude::*;
use rust_decimal::Decimal;
use serde::Serialize;

use crate::eval::Outcome;
use crate::fingerprint::Fingerprint;
use crate::ruleset::RuleSet;

/// A decimal without trailing zeros: 66.5, 100.
pub fn plain(d: Decimal) -> String {
    text(d.normalize())
}

/// `d` as `Display` writes it (every digit of its scale kept), written
/// directly when the mantissa fits in 64 bits, as almost every shown number's does.
pub fn text(d: Decimal) -> String {
    let m = d.mantissa();
    let Ok(digits) = u64::try_from(m.unsigned_abs()) else { return d.to_string() };
    if m == 0 && d.is_sign_negative() {
        return d.to_string();
    }
    let scale = d.scale() as usize;
    let mut buf = [0u8; 20];
    let mut at = buf.len();
    let mut x = digits;
    loop {
        at -= 1;
        buf[at] = b'0' + (x % 10) as u8;
        x /= 10;
        if x == 0 {
            break;
        }
    }
    let digits = &buf[at..];
    let mut out = String::with_capacity(digits.len() + scale + 3);
    if m < 0 {
        out.push('-');
    }
    let whole = digits.len().saturating_sub(scale);
    if whole == 0 {
        out.push('0');
    }
    // Digits are ASCII.
    out.extend(digits[..whole].iter().map(|&b| b as char));
    if scale > 0 {
        out.push('.');
        out.extend(std::iter::repeat('0').take(scale.saturating_sub(digits.len())));
        out.extend(digits[whole..].iter().map(|&b| b as char));
    }
    out
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ComponentRow {
    pub id: String,
    pub name: String,
    /// Points, shown; `None` when the unit is not evaluated on it.
    pub score: Option<String>,
    pub scale: String,
    pub index: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PreviousRow {
    pub year: u16,
    pub index: String,
    pub rank: u32,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ChangeRow {
    /// Index points: this year's shown index less last year's published one.
    pub index: String,
    /// Rank places gained (positive) or lost (negative).
    pub rank: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ExactRow {
    pub total: String,
    pub scale: String,
    pub index: String,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct UnitRow {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub group: String,
    pub scale: String,
    pub total: String,
    pub index: String,
    pub rank: u32,
    /// Part id → points shown; `None` when the unit is exempt from the part.
    pub parts: serde_json::Map<String, serde_json::Value>,
    pub components: Vec<ComponentRow>,
    pub previous: Option<PreviousRow>,
    pub change: Option<ChangeRow>,
    pub exact: ExactRow,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct AverageRow {
    pub kind: String,
    pub name: String,
    pub index: String,
    pub units: usize,
}

/// The shown results of one year.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Report {
    pub year: u16,
    pub name: String,
    pub fingerprint: Fingerprint,
    pub units: Vec<UnitRow>,
    pub averages: Vec<AverageRow>,
}

impl Report {
    /// Builds the shown view; units ordered by ranking group, then rank, then id.
    pub fn new(rs: &RuleSet, outcome: &Outcome) -> Report {
        let m = &rs.model;
        let r = m.rounding;
        let mut order: Vec<usize> = (0..outcome.units.len()).collect();
        order.sort_unstable_by(|&a, &b| {
            let (ua, ub) = (&outcome.units[a], &outcome.units[b]);
            (m.units[ua.unit].group, ua.rank, &m.units[ua.unit].id).cmp(&(m.units[ub.unit].group, ub.rank, &m.units[ub.unit].id))
        });
        // Per kind: the parts that apply, and the components it is scored on.
        let kind_parts: Vec<Vec<usize>> =
            (0..m.kinds.len()).map(|k| (0..m.parts.len()).filter(|&pi| m.part_applies(pi, k)).collect()).collect();
        let kind_components: Vec<Vec<usize>> =
            (0..m.kinds.len()).map(|k| m.components().filter(|&c| m.nodes[c].max[k].is_some()).collect()).collect();
        let units = order
            .into_par_iter()
            .map(|i| {
                let res = &outcome.units[i];
                let unit = &m.units[res.unit];
                let mut parts = serde_json::Map::new();
                for &pi in &kind_parts[unit.kind] {
                    let v = res.parts[pi].map_or(serde_json::Value::Null, |v| serde_json::Value::String(text(r.points.apply(v))));
                    parts.insert(m.parts[pi].id.clone(), v);
                }
                let components = kind_components[unit.kind]
                    .iter()
                    .map(|&c| {
                        let n = &res.node(c);
                        let evaluated = n.status.in_scale() && !n.max.is_zero();
                        ComponentRow {
                            id: m.nodes[c].id.clone(),
                            name: m.nodes[c].name.clone(),
                            score: evaluated.then(|| text(r.points.apply(n.points))),
                            scale: plain(n.max),
                            index: evaluated.then(|| text(r.component.apply(n.points / n.max * Decimal::ONE_HUNDRED))),
                        }
                    })
                    .collect();
                let shown_index = r.index.apply(res.index);
                let prev = m.previous[res.unit];
                UnitRow {
                    id: unit.id.clone(),
                    name: unit.name.clone(),
                    kind: m.kinds[unit.kind].id.clone(),
                    group: m.groups[unit.group].id.clone(),
                    scale: plain(res.scale),
                    total: text(r.points.apply(res.total)),
                    index: text(shown_index),
                    rank: res.rank,
                    parts,
                    components,
                    previous: prev.zip(m.previous_year).map(|(p, y)| PreviousRow { year: y, index: p.index.to_string(), rank: p.rank }),
                    change: prev.map(|p| ChangeRow {
                        index: text(r.index.apply(shown_index - p.index)),
                        rank: i64::from(p.rank) - i64::from(res.rank),
                    }),
                    exact: ExactRow { total: plain(res.total), scale: plain(res.scale), index: plain(res.index) },
                }
            })
            .collect();
        let averages = outcome
            .averages
            .iter()
            .map(|a| AverageRow {
                kind: m.kinds[a.kind].id.clone(),
                name: m.kinds[a.kind].name.clone(),
                index: r.average.apply(a.index).to_string(),
                units: a.units,
            })
            .collect();
        Report { year: m.year, name: m.name.clone(), fingerprint: rs.fingerprint.clone(), units, averages }
    }

    pub fn unit(&self, id: &str) -> Option<&UnitRow> {
        self.units.iter().find(|u| u.id == id)
    }

    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }

    /// The report's tables as the published report lays them out: one table
    /// per unit kind, one section per ranking group, the kind's average last.
    pub fn to_table(&self, rs: &RuleSet) -> String {
        let m = &rs.model;
        let mut out = String::new();
        let _ = writeln!(out, "{}", m.name);
        for (ki, kind) in m.kinds.iter().enumerate() {
            let rows: Vec<&UnitRow> = self.units.iter().filter(|u| u.kind == kind.id).collect();
            if rows.is_empty() {
                continue;
            }
            let parts: Vec<&str> =
                m.parts.iter().enumerate().filter(|(pi, _)| m.part_applies(*pi, ki)).map(|(_, p)| p.id.as_str()).collect();
            let mut header = vec!["STT".to_string(), "Đơn vị".to_string()];
            header.extend(parts.iter().map(|p| m.parts.iter().find(|x| x.id == *p).map_or_else(String::new, |x| x.name.clone())));
            header.extend(["Tổng điểm", "Thang điểm", "Chỉ số %", "Tăng/giảm chỉ số", "Tăng/giảm thứ hạng", "Thứ hạng"].map(String::from));
            let mut table: Vec<Vec<String>> = Vec::new();
            let groups: Vec<&crate::model::Group> = m.groups.iter().filter(|g| g.kind == ki).collect();
            for (gi, g) in groups.iter().enumerate() {
                if groups.len() > 1 {
                    let mut row = vec![roman(gi + 1), g.name.clone()];
                    row.resize(header.len(), String::new());
                    table.push(row);
                }
                for (n, u) in rows.iter().filter(|u| u.group == g.id).enumerate() {
                    let mut row = vec![(n + 1).to_string(), u.name.clone()];
                    for p in &parts {
                        row.push(match u.parts.get(*p) {
                            Some(serde_json::Value::String(s)) => s.clone(),
                            _ => "Không đánh giá".to_string(),
                        });
                    }
                    row.push(u.total.clone());
                    row.push(u.scale.clone());
                    row.push(u.index.clone());
                    row.push(u.change.as_ref().map_or_else(|| "-".into(), |c| c.index.clone()));
                    row.push(u.change.as_ref().map_or_else(|| "-".into(), |c| c.rank.to_string()));
                    row.push(u.rank.to_string());
                    table.push(row);
                }
            }
            let _ = writeln!(out, "\n{} ({} đơn vị)", kind.name, rows.len());
            out.push_str(&align(&header, &table));
            if let Some(a) = self.averages.iter().find(|a| a.kind == kind.id) {
                let _ = writeln!(out, "Chỉ số trung bình: {}%", a.index);
            }
        }
        let _ = writeln!(out, "\nfingerprint: {}", self.fingerprint.sha256);
        out
    }

    /// One CSV row per unit; parts and components as columns.
    pub fn to_csv(&self, rs: &RuleSet) -> String {
        let m = &rs.model;
        let mut head: Vec<String> = ["year", "id", "name", "kind", "group", "scale", "total", "index", "rank"].map(String::from).to_vec();
        head.extend(m.parts.iter().map(|p| format!("part.{}", p.id)));
        head.extend(m.components().map(|c| format!("component.{}.index", m.nodes[c].id)));
        head.extend(["previous.index", "previous.rank", "change.index", "change.rank", "fingerprint"].map(String::from));
        let mut out = head.join(",");
        out.push('\n');
        for u in &self.units {
            let mut row = vec![
                self.year.to_string(),
                u.id.clone(),
                u.name.clone(),
                u.kind.clone(),
                u.group.clone(),
                u.scale.clone(),
                u.total.clone(),
                u.index.clone(),
                u.rank.to_string(),
            ];
            for p in &m.parts {
                row.push(u.parts.get(&p.id).and_then(|v| v.as_str()).unwrap_or("").to_string());
            }
            for c in m.components() {
                let id = &m.nodes[c].id;
                row.push(u.components.iter().find(|x| &x.id == id).and_then(|x| x.index.clone()).unwrap_or_default());
            }
            row.push(u.previous.as_ref().map(|p| p.index.clone()).unwrap_or_default());
            row.push(u.previous.as_ref().map(|p| p.rank.to_string()).unwrap_or_default());
            row.push(u.change.as_ref().map(|c| c.index.clone()).unwrap_or_default());
            row.push(u.change.as_ref().map(|c| c.rank.to_string()).unwrap_or_default());
            row.push(self.fingerprint.sha256.clone());
            out.push_str(&row.iter().map(|f| csv_field(f)).collect::<Vec<_>>().join(","));
            out.push('\n');
        }
        out
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn roman(n: usize) -> String {
    ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X"].get(n - 1).map_or_else(|| n.to_string(), |s| (*s).to_string())
}

/// Aligns a table: text left, numbers right.
pub fn align(header: &[String], rows: &[Vec<String>]) -> String {
    let width = |s: &str| s.chars().count();
    let mut w: Vec<usize> = header.iter().map(|h| width(h)).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            if i < w.len() {
                w[i] = w[i].max(width(c));
            }
        }
    }
    let numeric = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+'));
    let mut out = String::new();
    let line = |cells: &[String], out: &mut String| {
        let mut l = String::new();
        for (i, c) in cells.iter().enumerate() {
            let pad = w[i].saturating_sub(width(c));
            if i > 0 {
                l.push_str("  ");
            }
            if numeric(c) && i > 0 {
                l.push_str(&" ".repeat(pad));
                l.push_str(c);
            } else {
                l.push_str(c);
                l.push_str(&" ".repeat(pad));
            }
        }
        out.push_str(l.trim_end());
        out.push('\n');
    };
    line(header, &mut out);
    line(&w.iter().map(|n| "-".repeat(*n)).collect::<Vec<_>>(), &mut out);
    for r in rows {
        line(r, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn text_writes_what_display_writes() {
        let mut values = vec![dec!(0), dec!(0.00), dec!(-0), dec!(-0.00), dec!(1), dec!(-1.5), dec!(0.05), dec!(-0.005), dec!(100.00)];
        values.extend([dec!(79.4213), dec!(1e-28), dec!(79228162514264337593543950335), Decimal::from(u64::MAX), Decimal::from(i64::MIN)]);
        for i in 0..2000i64 {
            values.push(Decimal::new(i * 7919 - 5000, (i % 12) as u32));
            values.push(Decimal::new(i.pow(3) * 1_000_003, (i % 29) as u32));
        }
        for d in values {
            assert_eq!(text(d), d.to_string(), "{d:?}");
        }
    }
}
