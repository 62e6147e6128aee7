//! Report: the results as people and programs read them.
//!
//! [`Report`] is the one view of an [`Outcome`] with every number rounded as
//! the rules declare (points half-up, indices truncated, ...); the text
//! table, JSON and CSV are renderings of it, so the three formats can never
//! disagree. Full-precision values stay available under `exact` in JSON.

pub mod page;
mod rows;
pub mod shown;
pub mod template;
pub mod xlsx;

use std::fmt::Write as _;

use rust_decimal::Decimal;
use serde::Serialize;

use crate::input::fingerprint::Fingerprint;
use crate::input::name::Name;
use crate::score::eval::Outcome;
use crate::score::ruleset::RuleSet;
pub use rows::ReportStream;
use shown::Shown;

/// A decimal without trailing zeros: 66.5, 100.
pub fn plain(d: Decimal) -> String {
    Shown::plain(d).to_string()
}

/// `d` as `Display` writes it (every digit of its scale kept).
pub fn text(d: Decimal) -> String {
    Shown::of(d).to_string()
}

/// A component of a unit's row. Its texts are [`Name`]s, or borrowed
/// (`&str`) where a row is written out as it is made ([`ReportStream`]):
/// serialised alike.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ComponentRow<N = Name> {
    pub id: N,
    pub name: N,
    /// Points, shown; `None` when the unit is not evaluated on it.
    pub score: Option<Shown>,
    pub scale: Shown,
    pub index: Option<Shown>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PreviousRow {
    pub year: u16,
    pub index: Shown,
    pub rank: u32,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ChangeRow {
    /// Index points: this year's shown index less last year's published one.
    pub index: Shown,
    /// Rank places gained (positive) or lost (negative).
    pub rank: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ExactRow {
    pub total: Shown,
    pub scale: Shown,
    pub index: Shown,
}

/// A unit's row; its texts as in [`ComponentRow`].
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct UnitRow<N = Name> {
    pub id: N,
    pub name: N,
    pub kind: N,
    pub group: N,
    pub scale: Shown,
    pub total: Shown,
    pub index: Shown,
    pub rank: u32,
    pub parts: Parts<N>,
    pub components: Vec<ComponentRow<N>>,
    pub previous: Option<PreviousRow>,
    pub change: Option<ChangeRow>,
    pub exact: ExactRow,
    /// The unit's position in the rule set's model (not shown).
    #[serde(skip)]
    pub unit: usize,
}

/// A unit's parts, in the model's order: part id → points shown, `None`
/// when the unit is exempt from the part. Serialised as a map.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parts<N = Name>(Vec<(N, Option<Shown>)>);

impl Parts {
    /// The points shown for part `id`; `None` when the unit has no such
    /// part or is exempt from it.
    pub fn get(&self, id: &str) -> Option<&Shown> {
        self.0.iter().find(|(p, _)| p == id).and_then(|(_, v)| v.as_ref())
    }

    /// Whether the unit is scored on part `id` or exempt from it (as opposed
    /// to the part not applying to its kind at all).
    pub fn contains(&self, id: &str) -> bool {
        self.0.iter().any(|(p, _)| p == id)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&Name, Option<&Shown>)> {
        self.0.iter().map(|(p, v)| (p, v.as_ref()))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<N: Serialize> Serialize for Parts<N> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(p, v)| (p, v)))
    }
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct AverageRow {
    pub kind: String,
    pub name: String,
    pub index: Shown,
    pub units: usize,
}

/// The shown results of one year.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Report {
    pub year: u16,
    pub name: String,
    /// The year the change columns compare with; `None` without `previous.toml`.
    pub previous_year: Option<u16>,
    pub fingerprint: Fingerprint,
    pub units: Vec<UnitRow>,
    pub averages: Vec<AverageRow>,
}

impl Report {
    /// Builds the shown view; units ordered by ranking group, then rank, then id.
    pub fn new(rs: &RuleSet, outcome: &Outcome) -> Report {
        let rows = rows::Rows::new(rs, outcome);
        let units = crate::input::par::map(&rows.order(), rows::PER_TASK, |&i| rows.row(i));
        let m = &rs.model;
        Report {
            year: m.year,
            name: m.name.clone(),
            previous_year: m.previous_year,
            fingerprint: rs.fingerprint.clone(),
            units,
            averages: rows.averages(),
        }
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
        if let Some(y) = self.previous_year {
            let _ = writeln!(out, "Tăng/giảm: so với năm {y}");
        }
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
            let groups: Vec<&crate::input::model::Group> = m.groups.iter().filter(|g| g.kind == ki).collect();
            for (gi, g) in groups.iter().enumerate() {
                if groups.len() > 1 {
                    let mut row = vec![roman(gi + 1), g.name.clone()];
                    row.resize(header.len(), String::new());
                    table.push(row);
                }
                for (n, u) in rows.iter().filter(|u| u.group == g.id).enumerate() {
                    let mut row = vec![(n + 1).to_string(), u.name.to_string()];
                    for p in &parts {
                        row.push(u.parts.get(p).map_or_else(|| "Không đánh giá".to_string(), Shown::to_string));
                    }
                    row.push(u.total.to_string());
                    row.push(u.scale.to_string());
                    row.push(u.index.to_string());
                    row.push(u.change.as_ref().map_or_else(|| "-".into(), |c| c.index.to_string()));
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

    /// [`Report::to_csv_with`] in the plain locale.
    pub fn to_csv(&self, rs: &RuleSet) -> String {
        self.to_csv_with(rs, CsvLocale::Plain)
    }

    /// One CSV row per unit; parts and components as columns; UTF-8 with a
    /// byte order mark (Excel then reads the diacritics), written as
    /// `locale` says.
    pub fn to_csv_with(&self, rs: &RuleSet, locale: CsvLocale) -> String {
        let m = &rs.model;
        let mut w = csv::WriterBuilder::new().delimiter(locale.separator()).terminator(csv::Terminator::Any(b'\n')).from_writer(Vec::new());
        let mut head: Vec<String> = ["year", "id", "name", "kind", "group", "scale", "total", "index", "rank"].map(String::from).to_vec();
        head.extend(m.parts.iter().map(|p| format!("part.{}", p.id)));
        head.extend(m.components().map(|c| format!("component.{}.index", m.nodes[c].id)));
        head.extend(["previous.index", "previous.rank", "change.index", "change.rank", "fingerprint"].map(String::from));
        let mut rows = vec![head];
        let num = |s: &Shown| locale.number(s.as_ref());
        for u in &self.units {
            let mut row = vec![
                self.year.to_string(),
                u.id.to_string(),
                u.name.to_string(),
                u.kind.to_string(),
                u.group.to_string(),
                num(&u.scale),
                num(&u.total),
                num(&u.index),
                u.rank.to_string(),
            ];
            for p in &m.parts {
                row.push(u.parts.get(&p.id).map(num).unwrap_or_default());
            }
            for c in m.components() {
                let id = &m.nodes[c].id;
                row.push(u.components.iter().find(|x| x.id == *id).and_then(|x| x.index.as_ref()).map(num).unwrap_or_default());
            }
            row.push(u.previous.as_ref().map(|p| num(&p.index)).unwrap_or_default());
            row.push(u.previous.as_ref().map(|p| p.rank.to_string()).unwrap_or_default());
            row.push(u.change.as_ref().map(|c| num(&c.index)).unwrap_or_default());
            row.push(u.change.as_ref().map(|c| c.rank.to_string()).unwrap_or_default());
            row.push(self.fingerprint.sha256.clone());
            rows.push(row);
        }
        for row in rows {
            // Writing to memory cannot fail.
            let _ = w.write_record(&row);
        }
        let body = w.into_inner().map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
        format!("\u{feff}{body}")
    }
}

/// How [`Report::to_csv`] writes separators and decimals.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CsvLocale {
    /// `,` between fields, `.` before decimals: what programs read.
    #[default]
    Plain,
    /// `;` between fields, `,` before decimals: what Excel on a Vietnamese Windows reads.
    Vi,
}

impl CsvLocale {
    fn separator(self) -> u8 {
        match self {
            CsvLocale::Plain => b',',
            CsvLocale::Vi => b';',
        }
    }

    /// A number as shown (`88.65`), in this locale (`88,65`).
    fn number(self, shown: &str) -> String {
        match self {
            CsvLocale::Plain => shown.to_owned(),
            CsvLocale::Vi => shown.replace('.', ","),
        }
    }
}

pub(crate) fn roman(n: usize) -> String {
    ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X"].get(n - 1).map_or_else(|| n.to_string(), |s| (*s).to_string())
}

/// Aligns a table: text left, numbers right, by the columns each text takes
/// on a terminal (a name written with combining marks is as wide as the same
/// name precomposed).
pub fn align(header: &[String], rows: &[Vec<String>]) -> String {
    let width = |s: &str| unicode_width::UnicodeWidthStr::width(s);
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
mod align_tests {
    use super::align;

    #[test]
    fn a_name_with_combining_marks_is_aligned_like_the_same_name_precomposed() {
        use unicode_normalization::UnicodeNormalization as _;
        let header = vec!["đơn vị".to_string(), "điểm".to_string()];
        let composed = "Sở Tư pháp".to_string();
        let decomposed: String = composed.nfd().collect();
        assert_ne!(composed.chars().count(), decomposed.chars().count());
        let rows = |name: &str| vec![vec![name.to_string(), "1.50".to_string()], vec!["Sở Y tế".to_string(), "12.00".to_string()]];
        let a = align(&header, &rows(&composed));
        let b = align(&header, &rows(&decomposed));
        let cols = |t: &str| t.lines().map(unicode_width::UnicodeWidthStr::width).collect::<Vec<_>>();
        assert_eq!(cols(&a), cols(&b), "{a}\n{b}");
        // The numbers end in the same column on every line.
        assert!(cols(&a).windows(2).skip(1).all(|w| w[0] == w[1]), "{a}");
    }
}
