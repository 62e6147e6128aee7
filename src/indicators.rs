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
//! The CSV reader is deliberately small: the declared separator, fields
//! optionally double-quoted with `""` for a quote, no line breaks inside
//! fields, the first row a header, blank lines and lines starting with `#`
//! skipped. A quoted field is needed wherever a value holds the separator.
//! This module also holds the TOML reading helpers of the data modules.
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

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rust_decimal::Decimal;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize, Serializer};
use toml::Spanned;

use crate::diag::{closest, did_you_mean, Code, Diagnostic, Diagnostics, Location};
use crate::numfmt::{parse_number, NumberFormat};

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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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

// ---------------------------------------------------------------------------
// Columnar storage

/// One bit per unit.
#[derive(Debug, Clone, Default)]
struct Bits(Vec<u64>);

impl Bits {
    fn new(n: usize) -> Self {
        Bits(vec![0; n.div_ceil(64)])
    }

    #[inline]
    fn get(&self, i: usize) -> bool {
        self.0.get(i / 64).is_some_and(|w| (w >> (i % 64)) & 1 == 1)
    }

    #[inline]
    fn set(&mut self, i: usize) {
        if let Some(w) = self.0.get_mut(i / 64) {
            *w |= 1 << (i % 64);
        }
    }
}

/// A column's values, in the narrowest type holding every cell stored so
/// far; a cell not present holds 0.
#[derive(Debug, Clone)]
enum Values {
    I32(Vec<i32>),
    I64(Vec<i64>),
    Dec(Vec<Decimal>),
}

impl Values {
    fn get(&self, u: usize) -> Option<Decimal> {
        match self {
            Values::I32(v) => v.get(u).map(|&x| Decimal::from(x)),
            Values::I64(v) => v.get(u).map(|&x| Decimal::from(x)),
            Values::Dec(v) => v.get(u).copied(),
        }
    }

    fn integer(&self, u: usize) -> Option<i64> {
        match self {
            Values::I32(v) => v.get(u).map(|&x| i64::from(x)),
            Values::I64(v) => v.get(u).copied(),
            Values::Dec(v) => v.get(u).filter(|d| d.scale() == 0).and_then(|d| i64::try_from(d.mantissa()).ok()),
        }
    }

    #[inline]
    fn set_int(&mut self, u: usize, x: i64) {
        match self {
            Values::I32(v) => match i32::try_from(x) {
                Ok(small) => v[u] = small,
                Err(_) => {
                    *self = Values::I64(v.iter().map(|&y| i64::from(y)).collect());
                    self.set_int(u, x);
                }
            },
            Values::I64(v) => v[u] = x,
            Values::Dec(v) => v[u] = Decimal::from(x),
        }
    }

    /// Stores `d` as an integer when it was printed as one (scale 0, not -0).
    fn set(&mut self, u: usize, d: Decimal) {
        if d.scale() == 0 && !(d.is_zero() && d.is_sign_negative()) {
            if let Ok(x) = i64::try_from(d.mantissa()) {
                self.set_int(u, x);
                return;
            }
        }
        match self {
            Values::Dec(v) => v[u] = d,
            Values::I32(v) => {
                let mut all: Vec<Decimal> = v.iter().map(|&y| Decimal::from(y)).collect();
                all[u] = d;
                *self = Values::Dec(all);
            }
            Values::I64(v) => {
                let mut all: Vec<Decimal> = v.iter().map(|&y| Decimal::from(y)).collect();
                all[u] = d;
                *self = Values::Dec(all);
            }
        }
    }
}

/// One indicator's values over all units.
#[derive(Debug, Clone)]
struct Column {
    /// Index into `IndicatorData::tables`.
    table: usize,
    values: Values,
    present: Bits,
    /// `None` when no cell was printed with `%`.
    percent: Option<Bits>,
    /// Each cell's line; `None` when every cell is on its unit's row of a wide table.
    lines: Option<Vec<u32>>,
}

impl Column {
    fn new(table: usize, units: usize, per_cell_lines: bool) -> Self {
        Column {
            table,
            values: Values::I32(vec![0; units]),
            present: Bits::new(units),
            percent: None,
            lines: per_cell_lines.then(|| vec![0; units]),
        }
    }
}

/// What a table shares among its values.
#[derive(Debug, Clone)]
struct TableStore {
    measured_on: Arc<str>,
    file: Arc<Path>,
    /// Wide: per unit, the line of its first row (0: none). Long: empty.
    row_lines: Vec<u32>,
}

fn line_u32(line_no: usize) -> u32 {
    u32::try_from(line_no).unwrap_or(u32::MAX)
}

/// One indicator's column, for reading values by unit index.
#[derive(Debug, Clone, Copy)]
pub struct ColumnRef<'d> {
    meta: &'d IndicatorMeta,
    column: &'d Column,
    table: &'d TableStore,
}

impl<'d> ColumnRef<'d> {
    /// The value for unit `unit` (an index into the `units` given to
    /// [`load_indicators`], i.e. the model's unit order); `None` when absent.
    #[inline]
    pub fn value(&self, unit: usize) -> Option<Decimal> {
        if self.column.present.get(unit) {
            self.column.values.get(unit)
        } else {
            None
        }
    }

    /// The value for unit `unit` when it was printed as an integer without
    /// decimals and fits in an `i64`.
    #[inline]
    pub fn integer(&self, unit: usize) -> Option<i64> {
        if self.column.present.get(unit) {
            self.column.values.integer(unit)
        } else {
            None
        }
    }

    /// The values of the units `units`, appended to `out`, when every one is
    /// present and printed as an integer that fits in an `i64` (as
    /// [`ColumnRef::integer`] reads them); else `false`, `out` then holding
    /// some of them.
    pub fn integers(&self, units: std::ops::Range<usize>, out: &mut Vec<i64>) -> bool {
        if units.end > self.len() || !units.clone().all(|u| self.column.present.get(u)) {
            return false;
        }
        match &self.column.values {
            Values::I32(v) => out.extend(v[units].iter().map(|&x| i64::from(x))),
            Values::I64(v) => out.extend_from_slice(&v[units]),
            Values::Dec(v) => {
                for d in &v[units] {
                    match i64::try_from(d.mantissa()) {
                        Ok(x) if d.scale() == 0 => out.push(x),
                        _ => return false,
                    }
                }
            }
        }
        true
    }

    /// The number of units the column spans (present or not).
    pub fn len(&self) -> usize {
        match &self.column.values {
            Values::I32(v) => v.len(),
            Values::I64(v) => v.len(),
            Values::Dec(v) => v.len(),
        }
    }

    /// Whether the column spans no unit.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The 1-based line of unit `unit`'s value in the table's file.
    pub fn line(&self, unit: usize) -> Option<usize> {
        if !self.column.present.get(unit) {
            return None;
        }
        let line = match &self.column.lines {
            Some(lines) => lines.get(unit),
            None => self.table.row_lines.get(unit),
        };
        line.map(|&l| l as usize)
    }

    /// The value for unit `unit` with where it comes from.
    pub fn measurement(&self, unit: usize) -> Option<Measurement> {
        Some(Measurement {
            value: self.value(unit)?,
            percent: self.column.percent.as_ref().is_some_and(|p| p.get(unit)),
            measured_on: Arc::clone(&self.table.measured_on),
            file: Arc::clone(&self.table.file),
            line: self.line(unit)?,
        })
    }

    /// The declaration of the column's indicator.
    pub fn meta(&self) -> &'d IndicatorMeta {
        self.meta
    }

    /// The table's file, as in every [`Measurement`] of the column.
    pub fn file(&self) -> &'d Arc<Path> {
        &self.table.file
    }

    /// The table's `measured_on` date, as in every [`Measurement`] of the column.
    pub fn measured_on(&self) -> &'d Arc<str> {
        &self.table.measured_on
    }
}

/// All indicator values of one year, by key and unit.
#[derive(Debug, Clone, Default)]
pub struct IndicatorData {
    year: u16,
    tables: Vec<TableMeta>,
    /// Indexed like `tables`.
    stores: Vec<TableStore>,
    indicators: Vec<IndicatorMeta>,
    /// Indexed like `indicators`.
    columns: Vec<Column>,
    by_key: HashMap<String, usize>,
    /// Unit ids in the order of the `units` given to [`load_indicators`].
    unit_ids: Vec<Arc<str>>,
    unit_index: HashMap<Arc<str>, usize>,
}

impl IndicatorData {
    fn new(year: u16, units: &[UnitRef]) -> Self {
        let unit_ids: Vec<Arc<str>> = units.iter().map(|u| Arc::from(u.id)).collect();
        let unit_index = unit_ids.iter().enumerate().map(|(i, id)| (Arc::clone(id), i)).collect();
        IndicatorData { year, unit_ids, unit_index, ..IndicatorData::default() }
    }

    /// The year of the declaration these values come from.
    pub fn year(&self) -> u16 {
        self.year
    }

    /// The column of indicator `key` (`portal.hai_long`), read by unit index.
    pub fn column(&self, key: &str) -> Option<ColumnRef<'_>> {
        self.column_at(*self.by_key.get(key)?)
    }

    fn column_at(&self, k: usize) -> Option<ColumnRef<'_>> {
        let column = self.columns.get(k)?;
        Some(ColumnRef { meta: self.indicators.get(k)?, column, table: self.stores.get(column.table)? })
    }

    /// The value of indicator `key` (`portal.hai_long`) for unit `unit_id`.
    pub fn get(&self, key: &str, unit_id: &str) -> Option<Measurement> {
        let u = *self.unit_index.get(unit_id)?;
        self.column(key)?.measurement(u)
    }

    /// The index of unit `unit_id` in the columns.
    pub fn unit_index(&self, unit_id: &str) -> Option<usize> {
        self.unit_index.get(unit_id).copied()
    }

    /// All indicator keys, in declaration order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.indicators.iter().map(|i| i.key.as_str())
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.by_key.contains_key(key)
    }

    pub fn indicator(&self, key: &str) -> Option<&IndicatorMeta> {
        self.by_key.get(key).map(|&i| &self.indicators[i])
    }

    pub fn indicators(&self) -> &[IndicatorMeta] {
        &self.indicators
    }

    pub fn tables(&self) -> &[TableMeta] {
        &self.tables
    }

    pub fn table(&self, id: &str) -> Option<&TableMeta> {
        self.tables.iter().find(|t| t.id == id)
    }

    /// The table that holds indicator `key`.
    pub fn table_of(&self, key: &str) -> Option<&TableMeta> {
        self.indicator(key).and_then(|i| self.table(&i.table))
    }

    /// Values of indicator `key`, as (unit id, measurement), in unit order.
    pub fn values_of<'s>(&'s self, key: &str) -> impl Iterator<Item = (&'s str, Measurement)> + 's {
        let col = self.column(key);
        self.unit_ids.iter().enumerate().filter_map(move |(u, id)| Some((id.as_ref(), col?.measurement(u)?)))
    }

    pub fn is_empty(&self) -> bool {
        self.indicators.is_empty()
    }
}

// ---------------------------------------------------------------------------
// Declaration (raw, as serde reads it)

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDecl {
    #[serde(default)]
    table: Vec<RawTable>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTable {
    id: Spanned<String>,
    #[serde(default)]
    name: Option<String>,
    file: Spanned<String>,
    layout: Layout,
    #[serde(default)]
    separator: Option<Spanned<String>>,
    #[serde(default)]
    number_format: Option<NumberFormat>,
    measured_on: String,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    indicator: Vec<RawIndicator>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIndicator {
    id: Spanned<String>,
    name: String,
    #[serde(default)]
    unit: Option<String>,
    applies_to: Vec<Spanned<String>>,
    #[serde(default)]
    expected_units: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    note: Option<String>,
}

// ---------------------------------------------------------------------------
// Shared TOML helpers

/// Reads a file, reporting `IO` when it cannot.
pub(crate) fn read_source(path: &Path, diags: &mut Diagnostics) -> Option<String> {
    match std::fs::read_to_string(path) {
        Ok(s) => Some(s),
        Err(e) => {
            diags.push(Diagnostic::error(Code::Io, format!("cannot read `{}`: {e}", path.display())).in_file(path));
            None
        }
    }
}

/// Parses TOML, reporting `TOML_SYNTAX` at the offending span.
pub(crate) fn parse_toml<T: DeserializeOwned>(path: &Path, src: &str, diags: &mut Diagnostics) -> Option<T> {
    match toml::from_str::<T>(src) {
        Ok(v) => Some(v),
        Err(e) => {
            let d = Diagnostic::error(Code::TomlSyntax, e.message().trim().to_owned());
            diags.push(match e.span() {
                Some(span) => d.at_offset(path, src, span.start),
                None => d.in_file(path),
            });
            None
        }
    }
}

// ---------------------------------------------------------------------------
// Unit matching

/// Whitespace collapsed, Unicode lowercase; diacritics kept.
pub(crate) fn normalize_name(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for w in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.extend(w.chars().flat_map(char::to_lowercase));
    }
    out
}

/// Finds units by id (exact) or by name or alias (normalised).
pub(crate) struct UnitMatcher<'u, 'a> {
    units: &'u [UnitRef<'a>],
    by_id: HashMap<&'a str, usize>,
    by_name: HashMap<String, usize>,
}

impl<'u, 'a> UnitMatcher<'u, 'a> {
    pub(crate) fn new(units: &'u [UnitRef<'a>], file: &Path, diags: &mut Diagnostics) -> Self {
        let by_id = units.iter().enumerate().map(|(i, u)| (u.id, i)).collect();
        let mut by_name: HashMap<String, usize> = HashMap::new();
        for (i, u) in units.iter().enumerate() {
            for n in std::iter::once(u.name).chain(u.aliases.iter().map(String::as_str)) {
                let key = normalize_name(n);
                match by_name.get(&key) {
                    Some(&j) if j != i => diags.push(
                        Diagnostic::warning(
                            Code::Duplicate,
                            format!("name `{n}` belongs to units `{}` and `{}`; it matches `{}`", units[j].id, u.id, units[j].id),
                        )
                        .in_file(file),
                    ),
                    Some(_) => {}
                    None => {
                        by_name.insert(key, i);
                    }
                }
            }
        }
        UnitMatcher { units, by_id, by_name }
    }

    /// The index of the unit with this id, name or alias.
    pub(crate) fn find(&self, text: &str) -> Option<usize> {
        let t = text.trim();
        if let Some(&i) = self.by_id.get(t) {
            return Some(i);
        }
        self.by_name.get(&normalize_name(t)).copied()
    }

    /// "closest unit is `Sở Tài chính` (`so-tc`)".
    pub(crate) fn closest_help(&self, text: &str) -> Option<String> {
        let cands = self
            .units
            .iter()
            .enumerate()
            .flat_map(|(i, u)| std::iter::once((u.name, i)).chain(u.aliases.iter().map(move |a| (a.as_str(), i))));
        let cands: Vec<(&str, usize)> = cands.collect();
        let best = closest(text.trim(), cands.iter().map(|c| c.0))?;
        let i = cands.iter().find(|c| c.0 == best)?.1;
        let u = &self.units[i];
        Some(format!("closest unit is `{}` (`{}`)", u.name, u.id))
    }
}

// ---------------------------------------------------------------------------
// CSV

/// One field of a record: its byte offset in the line and its text.
type Field<'a> = (usize, Cow<'a, str>);

/// Splits one line into fields. Unquoted fields borrow; a quoted field
/// allocates only when it holds a `""` escape.
pub(crate) fn split_record<'a>(line: &'a str, sep: u8, out: &mut Vec<Field<'a>>) -> Result<(), (usize, &'static str)> {
    out.clear();
    let bytes = line.as_bytes();
    let mut pos = 0;
    loop {
        if bytes.get(pos) == Some(&b'"') {
            let start = pos;
            let mut i = pos + 1;
            let mut owned: Option<String> = None;
            let mut seg = i;
            loop {
                match bytes.get(i) {
                    None => return Err((start, "unterminated quoted field")),
                    Some(b'"') if bytes.get(i + 1) == Some(&b'"') => {
                        let s = owned.get_or_insert_with(String::new);
                        s.push_str(&line[seg..=i]);
                        i += 2;
                        seg = i;
                    }
                    Some(b'"') => break,
                    Some(_) => i += 1,
                }
            }
            let text = match owned {
                Some(mut s) => {
                    s.push_str(&line[seg..i]);
                    Cow::Owned(s)
                }
                None => Cow::Borrowed(&line[seg..i]),
            };
            out.push((start, text));
            i += 1;
            match bytes.get(i) {
                None => return Ok(()),
                Some(&b) if b == sep => pos = i + 1,
                Some(_) => return Err((i, "text after a closing quote")),
            }
        } else {
            match bytes[pos..].iter().position(|&b| b == sep) {
                Some(n) => {
                    out.push((pos, Cow::Borrowed(&line[pos..pos + n])));
                    pos += n + 1;
                }
                None => {
                    out.push((pos, Cow::Borrowed(&line[pos..])));
                    return Ok(());
                }
            }
        }
    }
}

/// A diagnostic at byte `offset` of line `line_no` (1-based) of a CSV file.
pub(crate) fn at_csv(mut d: Diagnostic, file: &Path, line_no: usize, line: &str, offset: usize) -> Diagnostic {
    let offset = offset.min(line.len());
    let col = line.char_indices().take_while(|&(i, _)| i < offset).count() + 1;
    d.source_line = Some(line.to_owned());
    d.at(Location::at(file, line_no, col))
}

/// Data lines of a CSV text: (1-based line number, line), skipping blank and `#` lines.
pub(crate) fn data_lines(src: &str) -> impl Iterator<Item = (usize, &str)> {
    let src = src.strip_prefix('\u{feff}').unwrap_or(src);
    src.lines().enumerate().map(|(i, l)| (i + 1, l)).filter(|(_, l)| {
        let t = l.trim();
        !t.is_empty() && !t.starts_with('#')
    })
}

// ---------------------------------------------------------------------------
// Loading

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
    let Some(src) = read_source(&decl_path, &mut diags) else {
        return (data, diags);
    };
    let Some(raw) = parse_toml::<RawDecl>(&decl_path, &src, &mut diags) else {
        return (data, diags);
    };
    let matcher = UnitMatcher::new(units, &decl_path, &mut diags);
    let mut kinds: Vec<&str> = units.iter().map(|u| u.kind).collect();
    kinds.sort_unstable();
    kinds.dedup();
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
                if ctx.matcher.by_id.contains_key(uid) {
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
        number_format: t.number_format,
        measured_on: t.measured_on,
        source: t.source,
        indicators: indicators.iter().map(|i| i.key.clone()).collect(),
    };
    Some(CheckedTable { meta, indicators })
}

/// What storing a cell of one column checks, prepared once per column.
struct ColumnCheck {
    /// The indicator is a rate (`unit = "%"`): values lie in 0–100.
    rate: bool,
    /// Per kind index: the indicator applies to the kind.
    applies: Vec<bool>,
}

/// Where one cell of a table comes from, for the diagnostics of storing it.
struct Cell<'l> {
    line_no: usize,
    line: &'l str,
    offset: usize,
}

/// The table being read: its place in the data and what it shares.
struct TableCtx<'t> {
    /// Index of the table in `IndicatorData::tables`.
    index: usize,
    /// Index of its first indicator in `IndicatorData::indicators`.
    first: usize,
    id: &'t str,
    file: &'t Path,
    layout: Layout,
    number_format: Option<NumberFormat>,
    checks: Vec<ColumnCheck>,
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
    let src = read_source(&root.join(&meta.file), diags);
    data.tables.push(meta);
    let Some(src) = src else { return };
    let meta = &data.tables[index];
    let (file, sep, table_id) = (meta.file.clone(), meta.separator as u8, meta.id.clone());
    let checks = indicators
        .iter()
        .map(|ind| ColumnCheck {
            rate: ind.unit.as_deref() == Some("%"),
            applies: units.kinds.iter().map(|k| ind.applies_to.iter().any(|a| a == k)).collect(),
        })
        .collect();
    let tc = TableCtx { index, first, id: &table_id, file: &file, layout: meta.layout, number_format: meta.number_format, checks };
    read_rows(data, &tc, &src, sep, &indicators, matcher, units, diags);
    for (k, ind) in indicators.iter().enumerate() {
        let col = &data.columns[first + k];
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
            Some(ids) => ids.iter().filter_map(|id| data.unit_index.get(id.as_str())).for_each(|&u| missing(u)),
            None => {
                let applies = &tc.checks[k].applies;
                (0..n).filter(|&u| applies[units.kind_of[u]]).for_each(&mut missing);
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn read_rows(
    data: &mut IndicatorData,
    tc: &TableCtx,
    src: &str,
    sep: u8,
    indicators: &[IndicatorMeta],
    matcher: &UnitMatcher,
    units: &UnitCtx,
    diags: &mut Diagnostics,
) {
    let file = tc.file;
    let mut fields: Vec<Field> = Vec::new();
    let mut lines = data_lines(src);
    let Some((hline_no, hline)) = lines.next() else {
        diags.push(Diagnostic::error(Code::CsvSyntax, "the file has no header row").in_file(file));
        return;
    };
    let by_id: HashMap<&str, usize> = indicators.iter().enumerate().map(|(k, i)| (i.id.as_str(), k)).collect();
    let unknown_indicator = |id: &str, line_no: usize, line: &str, off: usize| {
        let mut d = Diagnostic::error(Code::UnknownReference, format!("indicator `{id}` is not declared in table `{}`", tc.id));
        if let Some(m) = did_you_mean(id, indicators.iter().map(|i| i.id.as_str())) {
            d = d.help(format!("did you mean `{m}`?"));
        }
        at_csv(d, file, line_no, line, off)
    };
    // Wide: the header names the indicator of each column.
    let mut columns: Vec<Option<usize>> = Vec::new();
    if let Err((off, msg)) = split_record(hline, sep, &mut fields) {
        diags.push(at_csv(Diagnostic::error(Code::CsvSyntax, msg), file, hline_no, hline, off));
        return;
    }
    match tc.layout {
        Layout::Long if fields.len() < 3 => {
            diags.push(at_csv(
                Diagnostic::error(
                    Code::CsvSyntax,
                    format!("a `long` table needs 3 columns (indicator, unit, value), the header has {}", fields.len()),
                ),
                file,
                hline_no,
                hline,
                0,
            ));
            return;
        }
        Layout::Long => {}
        Layout::Wide => {
            for (off, name) in fields.iter().skip(1) {
                let id = name.trim();
                let col = by_id.get(id).copied();
                if col.is_none() {
                    diags.push(unknown_indicator(id, hline_no, hline, *off));
                }
                columns.push(col);
            }
        }
    }
    let width = fields.len();
    for (line_no, line) in lines {
        if tc.layout == Layout::Wide && wide_row_unquoted(data, tc, &columns, width, sep, line_no, line, matcher, units, diags) {
            continue;
        }
        if let Err((off, msg)) = split_record(line, sep, &mut fields) {
            diags.push(at_csv(Diagnostic::error(Code::CsvSyntax, msg), file, line_no, line, off));
            continue;
        }
        if fields.len() < width.min(3) || (tc.layout == Layout::Wide && fields.len() != width) {
            diags.push(at_csv(
                Diagnostic::error(Code::CsvSyntax, format!("{} fields where the header has {width}", fields.len())),
                file,
                line_no,
                line,
                0,
            ));
            continue;
        }
        let (unit_off, unit_text) = match tc.layout {
            Layout::Long => (fields[1].0, &fields[1].1),
            Layout::Wide => (fields[0].0, &fields[0].1),
        };
        let Some(u) = matcher.find(unit_text) else {
            let mut d =
                Diagnostic::warning(Code::UnmatchedName, format!("`{}` matches no unit; its values are not used", unit_text.trim()));
            if let Some(h) = matcher.closest_help(unit_text) {
                d = d.help(h);
            }
            diags.push(at_csv(d, file, line_no, line, unit_off));
            continue;
        };
        match tc.layout {
            Layout::Long => {
                let id = fields[0].1.trim();
                match by_id.get(id) {
                    Some(&k) => {
                        let cell = Cell { line_no, line, offset: fields[2].0 };
                        store(data, tc, k, u, &fields[2].1, &cell, units, diags);
                    }
                    None => diags.push(unknown_indicator(id, line_no, line, fields[0].0)),
                }
            }
            Layout::Wide => {
                if let Some(first_line) = data.stores[tc.index].row_lines.get_mut(u) {
                    if *first_line == 0 {
                        *first_line = line_u32(line_no);
                    }
                }
                for (c, (off, text)) in columns.iter().zip(fields.iter().skip(1)) {
                    if let Some(k) = *c {
                        let cell = Cell { line_no, line, offset: *off };
                        store(data, tc, k, u, text, &cell, units, diags);
                    }
                }
            }
        }
    }
}

/// Reads one row of a wide table that holds no quote, splitting it in place
/// and storing digits-only cells directly; any other cell goes through
/// [`store`]. Returns `false`, having done nothing, for a row this cannot
/// read (quotes, or a field count unlike the header's).
#[allow(clippy::too_many_arguments)]
fn wide_row_unquoted(
    data: &mut IndicatorData,
    tc: &TableCtx,
    columns: &[Option<usize>],
    width: usize,
    sep: u8,
    line_no: usize,
    line: &str,
    matcher: &UnitMatcher,
    units: &UnitCtx,
    diags: &mut Diagnostics,
) -> bool {
    let bytes = line.as_bytes();
    if bytes.contains(&b'"') || bytes.iter().filter(|&&b| b == sep).count() + 1 != width {
        return false;
    }
    let unit_end = bytes.iter().position(|&b| b == sep).unwrap_or(bytes.len());
    let Some(u) = matcher.find(&line[..unit_end]) else {
        return false;
    };
    let line32 = line_u32(line_no);
    let first_row = match data.stores[tc.index].row_lines.get_mut(u) {
        Some(first) if *first == 0 => {
            *first = line32;
            true
        }
        Some(first) => *first == line32,
        None => false,
    };
    let kind = units.kind_of[u];
    let mut pos = unit_end + 1;
    for col in columns {
        let start = pos;
        let mut v: i64 = 0;
        let mut digits = true;
        while let Some(&b) = bytes.get(pos) {
            if b == sep {
                break;
            }
            let d = b.wrapping_sub(b'0');
            digits &= d <= 9;
            v = v.wrapping_mul(10).wrapping_add(i64::from(d));
            pos += 1;
        }
        let end = pos;
        pos += 1;
        let Some(k) = *col else { continue };
        let check = &tc.checks[k];
        let column = &mut data.columns[tc.first + k];
        let fast = digits
            && (1..=18).contains(&(end - start))
            && first_row
            && column.lines.is_none()
            && !(check.rate && v > 100)
            && check.applies[kind]
            && !column.present.get(u);
        if fast {
            column.values.set_int(u, v);
            column.present.set(u);
        } else {
            let cell = Cell { line_no, line, offset: start };
            store(data, tc, k, u, &line[start..end], &cell, units, diags);
        }
    }
    true
}

/// The value of a cell printed as digits only, read without allocating.
#[inline]
fn plain_integer(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.is_empty() || b.len() > 18 {
        return None;
    }
    let mut v: i64 = 0;
    for &c in b {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        v = v * 10 + i64::from(d);
    }
    Some(v)
}

/// Stores one cell of local column `k` for unit `u`, with every check.
#[allow(clippy::too_many_arguments)]
fn store(data: &mut IndicatorData, tc: &TableCtx, k: usize, u: usize, text: &str, cell: &Cell, units: &UnitCtx, diags: &mut Diagnostics) {
    let g = tc.first + k;
    let check = &tc.checks[k];
    let unit = &units.units[u];
    let here = |d: Diagnostic| at_csv(d.unit(unit.id).criterion(&data.indicators[g].key), tc.file, cell.line_no, cell.line, cell.offset);
    // Digits only (almost every cell of a large table): the same value, and
    // the same checks, as `parse_number` would give in any format.
    let (value, percent, int) = match plain_integer(text) {
        Some(v) => (None, false, Some(v)),
        None => {
            if text.trim().is_empty() {
                return;
            }
            let parsed = match parse_number(text, tc.number_format) {
                Ok(p) => p,
                Err(e) => {
                    diags.push(here(Diagnostic::error(e.code(), e.to_string())));
                    return;
                }
            };
            if let Some(w) = &parsed.warning {
                diags.push(here(Diagnostic::warning(Code::AmbiguousNumber, format!("`{}`: {w}", text.trim()))));
            }
            (Some(parsed.value), parsed.percent, None)
        }
    };
    if check.rate {
        let out = match (value, int) {
            (Some(v), _) => v.is_sign_negative() && !v.is_zero() || v > Decimal::ONE_HUNDRED,
            (None, Some(i)) => i > 100,
            (None, None) => false,
        };
        if out {
            diags.push(here(Diagnostic::error(Code::BadValue, format!("percentage `{}` is outside 0–100", text.trim()))));
            return;
        }
    }
    if !check.applies.get(units.kind_of[u]).copied().unwrap_or(false) {
        let ind = &data.indicators[g];
        if !ind.applies_to.is_empty() {
            diags.push(here(Diagnostic::warning(
                Code::BadValue,
                format!("unit `{}` is a `{}`; indicator `{}` applies to {}", unit.id, unit.kind, ind.key, ind.applies_to.join(", ")),
            )));
        }
    }
    let line = line_u32(cell.line_no);
    let col = &data.columns[g];
    if col.present.get(u) {
        let first = col.lines.as_ref().map_or_else(|| data.stores[tc.index].row_lines[u], |l| l[u]);
        diags.push(here(
            Diagnostic::error(Code::Duplicate, format!("second value for unit `{}`, indicator `{}`", unit.id, data.indicators[g].key))
                .help(format!("the first is on line {first}; it is kept")),
        ));
        return;
    }
    let row_line = data.stores[tc.index].row_lines.get(u).copied();
    let col = &mut data.columns[g];
    match (&mut col.lines, row_line) {
        (Some(lines), _) => lines[u] = line,
        // A unit's second row of a wide table fills a cell its first left empty.
        (None, Some(first)) if first != line => {
            let mut lines = data.stores[tc.index].row_lines.clone();
            lines[u] = line;
            col.lines = Some(lines);
        }
        (None, _) => {}
    }
    match (value, int) {
        (_, Some(i)) => col.values.set_int(u, i),
        (Some(v), None) => col.values.set(u, v),
        (None, None) => return,
    }
    if percent {
        col.percent.get_or_insert_with(|| Bits::new(units.units.len())).set(u);
    }
    col.present.set(u);
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn split(line: &str, sep: u8) -> Vec<String> {
        let mut out = Vec::new();
        split_record(line, sep, &mut out).unwrap();
        out.into_iter().map(|(_, f)| f.into_owned()).collect()
    }

    #[test]
    fn csv_fields_quotes_and_escapes() {
        assert_eq!(split("a;b;c", b';'), ["a", "b", "c"]);
        assert_eq!(split("a;;", b';'), ["a", "", ""]);
        assert_eq!(split(r#""Sở Lao động, Thương binh và Xã hội",98,97"#, b','), ["Sở Lao động, Thương binh và Xã hội", "98", "97"]);
        assert_eq!(split(r#"x,"98,97%""#, b','), ["x", "98,97%"]);
        assert_eq!(split(r#""say ""hi""",2"#, b','), [r#"say "hi""#, "2"]);
        let mut out = Vec::new();
        assert!(split_record(r#""open,1"#, b',', &mut out).is_err());
        assert!(split_record(r#""a"b,1"#, b',', &mut out).is_err());
    }

    #[test]
    fn unquoted_fields_do_not_allocate() {
        let mut out = Vec::new();
        split_record("so-tc;12;\"x\"", b';', &mut out).unwrap();
        assert!(out.iter().all(|(_, f)| matches!(f, Cow::Borrowed(_))));
    }

    #[test]
    fn names_normalise_whitespace_and_case_but_keep_diacritics() {
        assert_eq!(normalize_name("  UBND  huyện\tMường Tè "), "ubnd huyện mường tè");
        assert_ne!(normalize_name("Mường Tè"), normalize_name("Muong Te"));
    }

    #[test]
    fn plain_integers_read_as_parse_number_reads_them() {
        for t in ["0", "7", "0123", "100", "999999999999999999"] {
            let want = parse_number(t, None).unwrap().value;
            assert_eq!(plain_integer(t).map(Decimal::from), Some(want), "{t}");
        }
        for t in ["", " 1", "1 ", "-1", "1.5", "1,5", "5%", "1234567890123456789"] {
            assert_eq!(plain_integer(t), None, "{t}");
        }
    }

    #[test]
    fn a_column_widens_only_as_far_as_its_values_need() {
        let mut v = Values::I32(vec![0; 4]);
        v.set(0, dec!(7));
        assert!(matches!(v, Values::I32(_)));
        v.set_int(1, 1 << 40);
        assert!(matches!(v, Values::I64(_)));
        v.set(2, dec!(0.00));
        assert!(matches!(v, Values::Dec(_)));
        assert_eq!((v.get(0), v.get(1), v.get(3)), (Some(dec!(7)), Some(Decimal::from(1i64 << 40)), Some(Decimal::ZERO)));
        assert_eq!(v.get(2).map(|d| d.to_string()).as_deref(), Some("0.00"), "the printed scale is kept");
        assert_eq!((v.integer(0), v.integer(2)), (Some(7), None));
        assert_eq!(v.get(9), None);
    }

    #[test]
    fn bits_outside_the_units_read_as_absent() {
        let mut b = Bits::new(70);
        b.set(0);
        b.set(69);
        b.set(500);
        assert!(b.get(0) && b.get(69) && !b.get(1) && !b.get(500));
    }

    fn units() -> Vec<UnitRef<'static>> {
        ["a", "b", "c"].into_iter().map(|id| UnitRef { id, name: id, aliases: &[], kind: "department" }).collect()
    }

    fn load(decl: &str, csv: &str) -> (IndicatorData, Diagnostics) {
        let dir = tempfile::tempdir().unwrap();
        let fx = dir.path().join("fixtures/2023");
        std::fs::create_dir_all(&fx).unwrap();
        std::fs::write(fx.join("indicators.toml"), decl).unwrap();
        std::fs::write(fx.join("t.csv"), csv).unwrap();
        load_indicators(dir.path(), 2023, &units())
    }

    const WIDE: &str = "[[table]]\nid = \"w\"\nfile = \"t.csv\"\nlayout = \"wide\"\nnumber_format = \"vi\"\nmeasured_on = \"2023-12-25\"\n\
        [[table.indicator]]\nid = \"n\"\nname = \"n\"\napplies_to = [\"department\"]\n\
        [[table.indicator]]\nid = \"r\"\nname = \"r\"\nunit = \"%\"\napplies_to = [\"department\"]\n";

    #[test]
    fn wide_columns_by_unit_index_with_lines_and_percent() {
        let (data, d) = load(WIDE, "unit,n,r\na,12,\"98,97%\"\n# note\nc,1.903,100\nb,,\nb,5,\n");
        assert_eq!(d.codes(), [Code::UnmatchedName], "b has no `r`: {d}");
        let n = data.column("w.n").unwrap();
        assert_eq!(n.len(), 3);
        assert_eq!((n.value(0), n.value(1), n.value(2), n.value(3)), (Some(dec!(12)), Some(dec!(5)), Some(dec!(1903)), None));
        assert_eq!((n.line(0), n.line(1), n.line(2)), (Some(2), Some(6), Some(4)), "b's value is on its second row");
        let r = data.column("w.r").unwrap();
        let m = r.measurement(0).unwrap();
        assert_eq!((m.value, m.percent, m.line, m.measured_on.as_ref()), (dec!(98.97), true, 2, "2023-12-25"));
        assert!(m.file.ends_with("fixtures/2023/t.csv"));
        assert_eq!(r.integer(2), Some(100));
        assert!(!r.measurement(2).unwrap().percent);
        assert_eq!(r.value(1), None, "missing is absent, never 0");
        assert_eq!(data.get("w.r", "a"), Some(m));
        assert_eq!(data.values_of("w.n").map(|(id, m)| (id, m.line)).collect::<Vec<_>>(), [("a", 2), ("b", 6), ("c", 4)]);
        assert!(data.column("w.x").is_none());
    }

    #[test]
    fn duplicates_rates_and_bad_numbers_are_reported_and_not_stored() {
        let (data, d) = load(WIDE, "unit,n,r\na,1,101\na,2,50\nb,x,-1\nc,3,4\n");
        let codes = d.codes();
        assert_eq!(codes.iter().filter(|c| **c == Code::Duplicate).count(), 1, "{d}");
        let dup = d.iter().find(|x| x.code == Code::Duplicate).unwrap();
        assert!(dup.help.as_deref().unwrap_or_default().contains("line 2"), "{d}");
        assert_eq!(codes.iter().filter(|c| **c == Code::BadValue).count(), 3, "101, x and -1: {d}");
        let n = data.column("w.n").unwrap();
        let r = data.column("w.r").unwrap();
        assert_eq!((n.value(0), n.value(1), r.value(0), r.value(1)), (Some(dec!(1)), None, Some(dec!(50)), None));
        assert_eq!(r.line(0), Some(3), "the first value stored is on the second row");
    }

    #[test]
    fn long_tables_keep_a_line_per_cell() {
        let decl = WIDE.replace("wide", "long").replace("number_format = \"vi\"\n", "separator = \";\"\nnumber_format = \"vi\"\n");
        let (data, d) = load(&decl, "chi_tieu;don_vi;gia_tri\nr;c;99,5%\nn;a;7\nn;c;8\nr;a;1\nn;b;2\nr;b;3\n");
        assert!(d.is_empty(), "{d}");
        let r = data.column("w.r").unwrap();
        assert_eq!((r.line(2), r.line(0), r.line(1)), (Some(2), Some(5), Some(7)));
        assert_eq!(r.value(2), Some(dec!(99.5)));
        assert_eq!(data.column("w.n").unwrap().line(1), Some(6));
    }
}
