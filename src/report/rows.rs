//! The rows of a report, made one unit at a time: all at once for a
//! [`Report`](super::Report), or a block at a time while the JSON is written
//! ([`ReportStream`]), so a national year's rows are never all held.

use rust_decimal::Decimal;
use serde::ser::{SerializeSeq, SerializeStruct};
use serde::{Serialize, Serializer};

use super::shown::Shown;
use super::{AverageRow, ChangeRow, ComponentRow, ExactRow, Parts, PreviousRow, UnitRow};
use crate::input::model::Model;
use crate::input::name::Name;
use crate::score::eval::Outcome;
use crate::score::ruleset::RuleSet;

/// What every row of one year's report shares.
pub(super) struct Rows<'a> {
    m: &'a Model,
    outcome: &'a Outcome,
    /// Per kind: the parts that apply.
    kind_parts: Vec<Vec<(usize, Name)>>,
    /// Per kind: the components it is scored on, with their ids and names.
    kind_components: Vec<Vec<(usize, Name, Name)>>,
    kinds: Vec<Name>,
    groups: Vec<Name>,
}

impl<'a> Rows<'a> {
    pub(super) fn new(rs: &'a RuleSet, outcome: &'a Outcome) -> Self {
        let m = &rs.model;
        let kind_parts = (0..m.kinds.len())
            .map(|k| (0..m.parts.len()).filter(|&pi| m.part_applies(pi, k)).map(|pi| (pi, Name::from(&m.parts[pi].id))).collect())
            .collect();
        let kind_components = (0..m.kinds.len())
            .map(|k| {
                let scored = m.components().filter(|&c| m.nodes[c].max[k].is_some());
                scored.map(|c| (c, Name::from(&m.nodes[c].id), Name::from(&m.nodes[c].name))).collect()
            })
            .collect();
        let kinds = m.kinds.iter().map(|k| Name::from(&k.id)).collect();
        let groups = m.groups.iter().map(|g| Name::from(&g.id)).collect();
        Rows { m, outcome, kind_parts, kind_components, kinds, groups }
    }

    /// The rows' order, as indices into the outcome's units: by ranking
    /// group, rank, then id. Ids are compared by their first 8 bytes, as a
    /// number, and whole only where those are the same: with the ids
    /// compared whole, sorting a million units' rows took about 7% of their
    /// `score` in a profile.
    pub(super) fn order(&self) -> Vec<usize> {
        let (m, outcome) = (self.m, self.outcome);
        let id = |i: usize| m.units[outcome.units[i].unit].id.as_str();
        let mut order: Vec<(u64, u64, usize)> = outcome
            .units
            .iter()
            .enumerate()
            .map(|(i, u)| (((m.units[u.unit].group as u64) << 32) | u64::from(u.rank), id_prefix(id(i)), i))
            .collect();
        let by =
            |&(ka, pa, a): &(u64, u64, usize), &(kb, pb, b): &(u64, u64, usize)| (ka, pa).cmp(&(kb, pb)).then_with(|| id(a).cmp(id(b)));
        crate::input::par::sort_unstable_by(&mut order, by);
        order.into_iter().map(|(_, _, i)| i).collect()
    }

    /// The row of the outcome's unit `i`.
    pub(super) fn row(&self, i: usize) -> UnitRow {
        self.row_as(i, Name::clone)
    }

    /// The row of the outcome's unit `i`, its texts made by `text`: shared
    /// names, or borrowed where the row is written as it is made. Rows made
    /// in parallel with the names shared spent about a quarter of their
    /// making counting the names' holders, in a profile: each count moved
    /// between the processors.
    pub(super) fn row_as<'s, N>(&'s self, i: usize, text: impl Fn(&'s Name) -> N) -> UnitRow<N> {
        let m = self.m;
        let r = m.rounding;
        let res = &self.outcome.units[i];
        let unit = &m.units[res.unit];
        let parts = self.kind_parts[unit.kind].iter().map(|(pi, id)| (text(id), res.parts[*pi].map(|v| Shown::of(r.points.apply(v)))));
        let components = self.kind_components[unit.kind]
            .iter()
            .map(|(c, id, name)| {
                let n = &res.node(*c);
                let evaluated = n.status.in_scale() && !n.max.is_zero();
                ComponentRow {
                    id: text(id),
                    name: text(name),
                    score: evaluated.then(|| Shown::of(r.points.apply(n.points))),
                    scale: Shown::plain(n.max),
                    index: evaluated.then(|| Shown::of(r.component.apply(n.points / n.max * Decimal::ONE_HUNDRED))),
                }
            })
            .collect();
        let shown_index = r.index.apply(res.index);
        let prev = m.previous[res.unit];
        UnitRow {
            id: text(&unit.id),
            name: text(&unit.name),
            kind: text(&self.kinds[unit.kind]),
            group: text(&self.groups[unit.group]),
            scale: Shown::plain(res.scale),
            total: Shown::of(r.points.apply(res.total)),
            index: Shown::of(shown_index),
            rank: res.rank,
            parts: Parts(parts.collect()),
            components,
            previous: prev.zip(m.previous_year).map(|(p, y)| PreviousRow { year: y, index: Shown::of(p.index), rank: p.rank }),
            change: prev.map(|p| ChangeRow {
                index: Shown::of(r.index.apply(shown_index - p.index)),
                rank: i64::from(p.rank) - i64::from(res.rank),
            }),
            exact: ExactRow { total: Shown::plain(res.total), scale: Shown::plain(res.scale), index: Shown::plain(res.index) },
            unit: res.unit,
        }
    }

    /// The average index of each kind.
    pub(super) fn averages(&self) -> Vec<AverageRow> {
        let m = self.m;
        self.outcome
            .averages
            .iter()
            .map(|a| AverageRow {
                kind: m.kinds[a.kind].id.clone(),
                name: m.kinds[a.kind].name.clone(),
                index: Shown::of(m.rounding.average.apply(a.index)),
                units: a.units,
            })
            .collect()
    }
}

/// The first 8 bytes of `id` as a number, zeros after a shorter id: ids
/// whose numbers differ are in the order of the numbers.
fn id_prefix(id: &str) -> u64 {
    let mut first = [0u8; 8];
    let n = id.len().min(8);
    first[..n].copy_from_slice(&id.as_bytes()[..n]);
    u64::from_be_bytes(first)
}

/// A [`Report`](super::Report) written as JSON without holding its rows: serialised, it
/// gives the bytes the report itself gives, its rows made a block at a time
/// (in parallel) as they are written.
pub struct ReportStream<'a> {
    rs: &'a RuleSet,
    rows: Rows<'a>,
    order: Vec<usize>,
}

/// Rows made at a time: enough to keep every core busy, few enough to hold.
const BLOCK: usize = 4096;

/// Rows made by one task: a province's rows on the calling thread.
pub(super) const PER_TASK: usize = 256;

impl<'a> ReportStream<'a> {
    pub fn new(rs: &'a RuleSet, outcome: &'a Outcome) -> Self {
        let rows = Rows::new(rs, outcome);
        let order = rows.order();
        ReportStream { rs, rows, order }
    }
}

impl Serialize for ReportStream<'_> {
    /// The fields of [`Report`](super::Report), in its order.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let m = &self.rs.model;
        let mut st = s.serialize_struct("Report", 6)?;
        st.serialize_field("year", &m.year)?;
        st.serialize_field("name", &m.name)?;
        st.serialize_field("previous_year", &m.previous_year)?;
        st.serialize_field("fingerprint", &self.rs.fingerprint)?;
        st.serialize_field("units", &Units(self))?;
        st.serialize_field("averages", &self.rows.averages())?;
        st.end()
    }
}

impl ReportStream<'_> {
    /// Writes the report as JSON, pretty or compact, in the bytes
    /// `serde_json` writes for it ([`Serialize`]), with each block's rows
    /// made and written out in parallel: on a national year, writing the
    /// rows one after the other on one thread took about a quarter of the
    /// whole `score` process.
    pub fn write_json(&self, out: &mut impl std::io::Write, pretty: bool) -> std::io::Result<()> {
        let m = &self.rs.model;
        // Each value as it is written at `depth` (the pretty format's lines
        // indented to it).
        let value = |v: &dyn erased::Json, depth: usize| -> std::io::Result<Vec<u8>> {
            let mut bytes = Vec::new();
            v.write(&mut bytes, pretty, depth)?;
            Ok(bytes)
        };
        let (colon, field_sep, open, close) = if pretty { (": ", "\n  ", "{\n  ", "\n}") } else { (":", "", "{", "}") };
        let key = |out: &mut dyn std::io::Write, first: bool, name: &str| -> std::io::Result<()> {
            let sep = if first { "" } else { "," };
            write!(out, "{sep}{}\"{name}\"{colon}", if first { "" } else { field_sep })
        };
        out.write_all(open.as_bytes())?;
        let fields: [(&str, &dyn erased::Json); 4] =
            [("year", &m.year), ("name", &m.name), ("previous_year", &m.previous_year), ("fingerprint", &self.rs.fingerprint)];
        for (i, (name, v)) in fields.into_iter().enumerate() {
            key(out, i == 0, name)?;
            out.write_all(&value(v, 1)?)?;
        }
        key(out, false, "units")?;
        if self.order.is_empty() {
            out.write_all(b"[]")?;
        } else {
            out.write_all(b"[")?;
            let (before_first, between, after): (&[u8], &[u8], &[u8]) =
                if pretty { (b"\n    ", b",\n    ", b"\n  ]") } else { (b"", b",", b"]") };
            // Each task writes its rows, made with borrowed texts, into one
            // buffer, each row after its separator.
            let task = |(first, rows): &(bool, &[usize])| -> std::io::Result<Vec<u8>> {
                let mut o = Vec::with_capacity(rows.len() * 512);
                for (n, &i) in rows.iter().enumerate() {
                    o.extend_from_slice(if *first && n == 0 { before_first } else { between });
                    erased::Json::write(&self.rows.row_as(i, Name::as_str), &mut o, pretty, 2)?;
                }
                Ok(o)
            };
            for (b, block) in self.order.chunks(BLOCK).enumerate() {
                let tasks: Vec<(bool, &[usize])> = block.chunks(PER_TASK).enumerate().map(|(t, rows)| (b == 0 && t == 0, rows)).collect();
                for bytes in crate::input::par::map(&tasks, 1, task) {
                    out.write_all(&bytes?)?;
                }
            }
            out.write_all(after)?;
        }
        key(out, false, "averages")?;
        out.write_all(&value(&self.rows.averages(), 1)?)?;
        out.write_all(close.as_bytes())
    }
}

/// JSON of any serialisable value, pretty or compact, behind one type.
mod erased {
    use serde_json::ser::{Formatter, PrettyFormatter};

    pub trait Json: Sync {
        /// Appends the value's JSON to `out`; pretty, its lines indented as
        /// a value `depth` levels within others.
        fn write(&self, out: &mut Vec<u8>, pretty: bool, depth: usize) -> std::io::Result<()>;
    }

    impl<T: serde::Serialize + Sync> Json for T {
        fn write(&self, out: &mut Vec<u8>, pretty: bool, depth: usize) -> std::io::Result<()> {
            if pretty {
                // The formatter opened `depth` levels, as if within them.
                let mut f = PrettyFormatter::new();
                for _ in 0..depth {
                    f.begin_array(&mut std::io::sink())?;
                }
                self.serialize(&mut serde_json::Serializer::with_formatter(out, f))
            } else {
                self.serialize(&mut serde_json::Serializer::new(out))
            }
            .map_err(std::io::Error::from)
        }
    }
}

struct Units<'s, 'a>(&'s ReportStream<'a>);

impl Serialize for Units<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let stream = self.0;
        let mut seq = s.serialize_seq(Some(stream.order.len()))?;
        for block in stream.order.chunks(BLOCK) {
            let rows: Vec<UnitRow<&str>> = crate::input::par::map(block, PER_TASK, |&i| stream.rows.row_as(i, Name::as_str));
            for row in &rows {
                seq.serialize_element(row)?;
            }
        }
        seq.end()
    }
}

#[cfg(test)]
mod tests {
    use super::id_prefix;

    proptest::proptest! {
        /// Where two ids' numbers differ, they order the ids as the ids do.
        #[test]
        fn id_prefixes_order_as_the_ids(a in "[a-c\u{0}é]{0,10}", b in "[a-c\u{0}é]{0,10}") {
            let (pa, pb) = (id_prefix(&a), id_prefix(&b));
            if pa != pb {
                proptest::prop_assert_eq!(pa.cmp(&pb), a.cmp(&b));
            }
        }
    }

    #[test]
    fn ids_that_share_their_first_bytes_share_a_number() {
        assert_eq!(id_prefix("district-01"), id_prefix("district-02"));
        assert!(id_prefix("u2") > id_prefix("u10"));
        assert!(id_prefix("u1") < id_prefix("u10"));
    }
}
