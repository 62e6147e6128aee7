//! Per-unit indicator tables: measured values of units, read from CSV files
//! that a TOML declaration describes (seed 000: the portal's "service to
//! citizens and businesses" indicators on 25/12/2023).
//!
//! `fixtures/<year>/indicators.toml` declares each table: its CSV file,
//! layout, separator, number format, measurement date, source and the
//! indicators it holds. Loading matches printed unit names to unit ids
//! (exact match on name or alias after normalising whitespace and case;
//! diacritics are kept), and reports every name that matches nothing
//! (`UNMATCHED_NAME`, with the closest unit) and every expected unit missing
//! from a table. A missing value is never a silent 0: it is absent.
//!
//! Two layouts:
//! - `long`: one row per (indicator, unit): indicator id; unit name or id as
//!   printed; value as printed. Further columns (notes) are ignored.
//! - `wide`: one row per unit: unit id or name, then one column per indicator
//!   id named in the header. Empty cells are missing values.
//!
//! Files are read by [`csvread`](crate::input::csvread): RFC 4180 through
//! the `csv` crate, UTF-8 with or without a byte order mark, or the
//! declared `encoding = "windows-1258"`; the first row is the header, blank
//! lines and lines starting with `#` are skipped. A row with more or fewer
//! fields than the header is an error at its line, naming its unit.
//!
//! Parts: the declaration as serde reads it ([`decl`]), unit matching
//! ([`matching`]), the rows of a table ([`rows`]; a wide table without
//! quotes in parallel batches, [`wide`]), the column store ([`store`]).
//!
//! Storage is columnar, because a national table holds millions of cells:
//! one column per indicator over the units, in the order of the `units`
//! given to [`load_indicators`]. A column keeps its values in the narrowest
//! type that holds every cell read (`i32`, then `i64` for integers printed
//! without decimals, else `Decimal`, so a value keeps the scale it was printed
//! with), which cells are present and which were printed with `%` as bitmaps,
//! and each cell's line as a `u32`: per row of a wide table (per cell only
//! where a unit's values come from two rows), per cell of a long one. The
//! file and date are kept once per table. A [`Measurement`] is built only
//! when asked for; the hot path reads [`ColumnRef::value`].

mod decl;
mod matching;
mod rows;
mod store;
#[cfg(test)]
mod tests;
mod wide;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize, Serializer};

use crate::diag::{did_you_mean, Code, Diagnostic, Diagnostics};
use crate::input::csvread::{read_text, Encoding, UTF8_FIX};
use crate::input::load::{parse_toml_file, read_file};
use crate::input::numfmt::NumberFormat;

pub(crate) use matching::normalize_name;
pub use store::{ColumnRef, IndicatorData};

pub(crate) use decl::RawDecl;
use decl::RawTable;
use matching::UnitMatcher;
use rows::{ColumnCheck, TableCtx};
use store::{Column, TableStore};

/// A unit as the data modules need it; the unit model owns the real thing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnitRef<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub aliases: &'a [String],
    /// `department`, `district`, `commune`, ...
    pub kind: &'a str,
}

/// One measured value of one unit, built on demand from the columns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Measurement {
    /// As printed: "98,97%" is 98.97.
    pub value: Decimal,
    /// The value was printed with `%`.
    pub percent: bool,
    /// The table's `measured_on` date, shared by every value of the table.
    #[serde(serialize_with = "serialize_arc")]
    pub measured_on: Arc<str>,
    /// The CSV file it was read from (relative to the root when under it),
    /// shared by every value of the table, and its 1-based line.
    #[serde(serialize_with = "serialize_arc")]
    pub file: Arc<Path>,
    pub line: usize,
}

fn serialize_arc<T: ?Sized + Serialize, S: Serializer>(v: &Arc<T>, s: S) -> Result<S::Ok, S::Error> {
    (**v).serialize(s)
}

/// How a CSV table is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Layout {
    /// One row per (indicator, unit, value).
    Long,
    /// One row per unit, one column per indicator.
    Wide,
}

/// What the declaration says about one table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TableMeta {
    pub id: String,
    pub name: Option<String>,
    pub file: PathBuf,
    pub layout: Layout,
    pub separator: char,
    /// The file's text encoding (`encoding`), UTF-8 unless declared.
    #[serde(skip_serializing_if = "is_utf8")]
    pub encoding: Encoding,
    pub number_format: Option<NumberFormat>,
    pub measured_on: String,
    pub source: Option<String>,
    /// Keys (`portal.hai_long`) of the table's indicators, in declaration order.
    pub indicators: Vec<String>,
}

/// What the declaration says about one indicator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IndicatorMeta {
    /// `<table>.<indicator>`, e.g. `portal.hai_long`.
    pub key: String,
    pub table: String,
    pub id: String,
    pub name: String,
    pub unit: Option<String>,
    pub applies_to: Vec<String>,
    /// Unit ids that should appear in the table, as declared; `None` when
    /// not declared: then every unit of the `applies_to` kinds should.
    pub expected_units: Option<Vec<String>>,
    pub note: Option<String>,
}

impl IndicatorMeta {
    /// Whether a unit of this kind should appear in the table.
    pub fn expects(&self, unit: &UnitRef) -> bool {
        match &self.expected_units {
            Some(ids) => ids.iter().any(|id| id == unit.id),
            None => self.applies_to.iter().any(|k| k == unit.kind),
        }
    }
}

fn is_utf8(e: &Encoding) -> bool {
    *e == Encoding::Utf8
}

/// Loads `fixtures/<year>/indicators.toml` under `root` and every table it
/// declares. A missing declaration gives empty data and no diagnostic.
///
/// Columns are indexed like `units`.
pub fn load_indicators(root: &Path, year: u16, units: &[UnitRef]) -> (IndicatorData, Diagnostics) {
    let mut diags = Diagnostics::default();
    let mut data = IndicatorData::new(year, units);
    let dir = root.join("fixtures").join(year.to_string());
    let decl_path = dir.join("indicators.toml");
    if !decl_path.exists() {
        return (data, diags);
    }
    let Some(src) = read_file(&decl_path, &mut diags) else {
        return (data, diags);
    };
    let Some(raw) = parse_toml_file::<RawDecl>(&decl_path, &src, &mut diags) else {
        return (data, diags);
    };
    // The matcher finds units by id through the data's own index, lent to it meanwhile.
    let unit_ids = std::mem::take(&mut data.unit_ids);
    let mut matcher = UnitMatcher::new(units, &unit_ids, &decl_path);
    // Where the warnings about names two units share go, if a cell names a unit by name.
    let name_warnings_at = diags.0.len();
    // The distinct kinds, sorted, and each unit's.
    let mut seen = rustc_hash::FxHashSet::default();
    let mut last = None;
    let mut kinds: Vec<&str> = units.iter().map(|u| u.kind).filter(|&k| last.replace(k) != Some(k) && seen.insert(k)).collect();
    kinds.sort_unstable();
    let kind_of: Vec<usize> = units.iter().map(|u| kinds.binary_search(&u.kind).unwrap_or(0)).collect();
    let ctx = DeclCtx { root, path: &decl_path, src: &src, matcher: &matcher, kinds: &kinds };
    let units = UnitCtx { units, kinds: &kinds, kind_of: &kind_of };
    for table in raw.table {
        if data.tables.iter().any(|t| t.id == *table.id.get_ref()) {
            diags.push(Diagnostic::error(Code::Duplicate, format!("table `{}` is declared twice", table.id.get_ref())).at_offset(
                &decl_path,
                &src,
                table.id.span().start,
            ));
            continue;
        }
        if let Some(checked) = check_table(&ctx, &dir, table, &mut diags) {
            read_table(root, &mut data, checked, &matcher, &units, &mut diags);
        }
    }
    let warnings = matcher.name_warnings();
    diags.0.splice(name_warnings_at..name_warnings_at, warnings);
    drop(matcher);
    data.unit_ids = unit_ids;
    diags.strip_root(root);
    (data, diags)
}

struct DeclCtx<'c, 'u, 'a> {
    root: &'c Path,
    path: &'c Path,
    src: &'c str,
    matcher: &'c UnitMatcher<'u, 'a>,
    kinds: &'c [&'c str],
}

/// The units with their kinds as indices into the sorted distinct kinds.
struct UnitCtx<'c, 'a> {
    units: &'c [UnitRef<'a>],
    kinds: &'c [&'c str],
    kind_of: &'c [usize],
}

/// A validated table declaration.
struct CheckedTable {
    meta: TableMeta,
    indicators: Vec<IndicatorMeta>,
}

fn check_table(ctx: &DeclCtx, dir: &Path, t: RawTable, diags: &mut Diagnostics) -> Option<CheckedTable> {
    let err_at = |code, msg: String, offset: usize| Diagnostic::error(code, msg).at_offset(ctx.path, ctx.src, offset);
    let table_id = t.id.get_ref().trim().to_owned();
    let separator = match &t.separator {
        None => ',',
        Some(s) => match s.get_ref().as_str() {
            "," => ',',
            ";" => ';',
            "\t" => '\t',
            "|" => '|',
            other => {
                diags.push(
                    err_at(Code::BadValue, format!("separator `{other}` is not one of `,`, `;`, `|` or a tab"), s.span().start)
                        .criterion(&table_id),
                );
                return None;
            }
        },
    };
    let units = ctx.matcher.units;
    let mut indicators: Vec<IndicatorMeta> = Vec::new();
    let mut seen: HashMap<String, ()> = HashMap::new();
    for ind in t.indicator {
        let id = ind.id.get_ref().trim().to_owned();
        if seen.insert(id.clone(), ()).is_some() {
            diags.push(err_at(Code::Duplicate, format!("indicator `{id}` is declared twice in table `{table_id}`"), ind.id.span().start));
            continue;
        }
        let key = format!("{table_id}.{id}");
        let mut applies_to = Vec::new();
        for k in &ind.applies_to {
            let kind = k.get_ref().trim();
            if !units.is_empty() && !ctx.kinds.contains(&kind) {
                let mut d = Diagnostic::warning(Code::UnknownReference, format!("no unit is of kind `{kind}`"))
                    .at_offset(ctx.path, ctx.src, k.span().start)
                    .criterion(&key);
                if let Some(m) = did_you_mean(kind, ctx.kinds.iter().copied()) {
                    d = d.help(format!("did you mean `{m}`?"));
                }
                diags.push(d);
            }
            applies_to.push(kind.to_owned());
        }
        let expected_units = ind.expected_units.as_ref().map(|list| {
            let mut ids = Vec::new();
            for u in list {
                let uid = u.get_ref().trim();
                if ctx.matcher.by_id.index(uid).is_some() {
                    ids.push(uid.to_owned());
                } else {
                    let mut d =
                        err_at(Code::UnknownUnit, format!("unknown unit `{uid}` in `expected_units`"), u.span().start).criterion(&key);
                    if let Some(m) = did_you_mean(uid, units.iter().map(|x| x.id)) {
                        d = d.help(format!("did you mean `{m}`?"));
                    }
                    diags.push(d);
                }
            }
            ids
        });
        indicators.push(IndicatorMeta {
            key,
            table: table_id.clone(),
            id,
            name: ind.name,
            unit: ind.unit,
            applies_to,
            expected_units,
            note: ind.note,
        });
    }
    let meta = TableMeta {
        id: table_id,
        name: t.name,
        file: dir.join(t.file.get_ref()).strip_prefix(ctx.root).map(Path::to_path_buf).unwrap_or_else(|_| dir.join(t.file.get_ref())),
        layout: t.layout,
        separator,
        encoding: t.encoding,
        number_format: t.number_format,
        measured_on: t.measured_on,
        source: t.source,
        indicators: indicators.iter().map(|i| i.key.clone()).collect(),
    };
    Some(CheckedTable { meta, indicators })
}

fn read_table(root: &Path, data: &mut IndicatorData, t: CheckedTable, matcher: &UnitMatcher, units: &UnitCtx, diags: &mut Diagnostics) {
    let CheckedTable { meta, indicators } = t;
    let n = units.units.len();
    let index = data.tables.len();
    let first = data.indicators.len();
    for ind in &indicators {
        data.by_key.insert(ind.key.clone(), data.indicators.len());
        data.indicators.push(ind.clone());
        data.columns.push(Column::new(index, n, meta.layout == Layout::Long));
    }
    data.stores.push(TableStore {
        measured_on: Arc::from(meta.measured_on.as_str()),
        file: Arc::from(meta.file.as_path()),
        row_lines: match meta.layout {
            Layout::Wide => vec![0; n],
            Layout::Long => Vec::new(),
        },
    });
    let path = root.join(&meta.file);
    data.tables.push(meta);
    let meta = &data.tables[index];
    let (file, sep, table_id, encoding) = (meta.file.clone(), meta.separator as u8, meta.id.clone(), meta.encoding);
    let checks = indicators
        .iter()
        .map(|ind| ColumnCheck {
            rate: ind.unit.as_deref() == Some("%"),
            applies: units.kinds.iter().map(|k| ind.applies_to.iter().any(|a| a == k)).collect(),
        })
        .collect();
    let mut tc = TableCtx {
        index,
        first,
        id: &table_id,
        file: &file,
        text: "",
        sep,
        layout: meta.layout,
        number_format: meta.number_format,
        checks,
    };
    // A wide UTF-8 table is read from its file a batch of lines at a time
    // when it can be; else whole.
    let streamed = tc.layout == Layout::Wide
        && encoding == Encoding::Utf8
        && wide::read_file(
            &rows::Env { tc: &tc, indicators: &indicators, matcher, units },
            &mut rows::Rows::new(&indicators),
            &path,
            data,
            diags,
        );
    let text;
    if !streamed {
        text = match read_text(&path, &file, encoding, &format!("{UTF8_FIX}, or declare `encoding = \"windows-1258\"` for its table")) {
            Ok(text) => text,
            Err(d) => {
                diags.push(d);
                return;
            }
        };
        tc.text = &text;
        rows::read_rows(&rows::Env { tc: &tc, indicators: &indicators, matcher, units }, data, diags);
    }
    for (k, ind) in indicators.iter().enumerate() {
        let col = &data.columns[first + k];
        if col.present.count() == n {
            continue;
        }
        let mut missing = |u: usize| {
            if col.present.get(u) {
                return;
            }
            let unit = &units.units[u];
            diags.push(
                Diagnostic::warning(
                    Code::UnmatchedName,
                    format!("unit `{}` ({}) is missing from table `{}`, indicator `{}`", unit.id, unit.name, tc.id, ind.id),
                )
                .in_file(&file)
                .unit(unit.id)
                .criterion(&ind.key),
            );
        };
        match &ind.expected_units {
            Some(ids) => ids.iter().filter_map(|id| matcher.by_id.index(id)).for_each(&mut missing),
            None => {
                let applies = tc.checks[k].applies.as_slice();
                (0..n).filter(|&u| applies[units.kind_of[u]]).for_each(&mut missing);
            }
        }
    }
}
