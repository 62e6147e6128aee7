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
use crate::input::numfmt::{parse_number, NumberFormat};

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

    /// Sets the bits of `bits` in word `w`.
    #[inline]
    fn or_word(&mut self, w: usize, bits: u64) {
        if let Some(word) = self.0.get_mut(w) {
            *word |= bits;
        }
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
    I8(Vec<i8>),
    I16(Vec<i16>),
    I32(Vec<i32>),
    I64(Vec<i64>),
    Dec(Vec<Decimal>),
}

impl Values {
    fn get(&self, u: usize) -> Option<Decimal> {
        match self {
            Values::I8(v) => v.get(u).map(|&x| Decimal::from(x)),
            Values::I16(v) => v.get(u).map(|&x| Decimal::from(x)),
            Values::I32(v) => v.get(u).map(|&x| Decimal::from(x)),
            Values::I64(v) => v.get(u).map(|&x| Decimal::from(x)),
            Values::Dec(v) => v.get(u).copied(),
        }
    }

    fn integer(&self, u: usize) -> Option<i64> {
        match self {
            Values::I8(v) => v.get(u).map(|&x| i64::from(x)),
            Values::I16(v) => v.get(u).map(|&x| i64::from(x)),
            Values::I32(v) => v.get(u).map(|&x| i64::from(x)),
            Values::I64(v) => v.get(u).copied(),
            Values::Dec(v) => v.get(u).filter(|d| d.scale() == 0).and_then(|d| i64::try_from(d.mantissa()).ok()),
        }
    }

    fn len(&self) -> usize {
        match self {
            Values::I8(v) => v.len(),
            Values::I16(v) => v.len(),
            Values::I32(v) => v.len(),
            Values::I64(v) => v.len(),
            Values::Dec(v) => v.len(),
        }
    }

    #[inline]
    fn set_int(&mut self, u: usize, x: i64) {
        match self {
            Values::I8(v) => {
                if let Ok(small) = i8::try_from(x) {
                    v[u] = small;
                    return;
                }
            }
            Values::I16(v) => {
                if let Ok(small) = i16::try_from(x) {
                    v[u] = small;
                    return;
                }
            }
            Values::I32(v) => {
                if let Ok(small) = i32::try_from(x) {
                    v[u] = small;
                    return;
                }
            }
            Values::I64(v) => {
                v[u] = x;
                return;
            }
            Values::Dec(v) => {
                v[u] = Decimal::from(x);
                return;
            }
        }
        self.widen(x);
        self.set_int(u, x);
    }

    /// Widens the integers, if needed, to hold `x`.
    fn fit(&mut self, x: i64) {
        let holds = match self {
            Values::I8(_) => i8::try_from(x).is_ok(),
            Values::I16(_) => i16::try_from(x).is_ok(),
            Values::I32(_) => i32::try_from(x).is_ok(),
            Values::I64(_) | Values::Dec(_) => true,
        };
        if !holds {
            self.widen(x);
        }
    }

    /// Integers widened to the narrowest type that also holds `x`.
    fn widen(&mut self, x: i64) {
        fn to<T: Copy, U: From<T>>(v: &[T]) -> Vec<U> {
            v.iter().map(|&y| U::from(y)).collect()
        }
        let (to16, to32) = (i16::try_from(x).is_ok(), i32::try_from(x).is_ok());
        *self = match self {
            Values::I8(v) if to16 => Values::I16(to(v)),
            Values::I8(v) if to32 => Values::I32(to(v)),
            Values::I8(v) => Values::I64(to(v)),
            Values::I16(v) if to32 => Values::I32(to(v)),
            Values::I16(v) => Values::I64(to(v)),
            Values::I32(v) => Values::I64(to(v)),
            Values::I64(_) | Values::Dec(_) => return,
        };
    }

    /// [`Values::set_int`] with the common case inline.
    #[inline]
    fn put_int(&mut self, u: usize, x: i64) {
        if let Values::I8(v) = self {
            if let (Ok(small), Some(slot)) = (i8::try_from(x), v.get_mut(u)) {
                *slot = small;
                return;
            }
        }
        self.set_int(u, x);
    }

    /// Stores `d` as an integer when it was printed as one (scale 0, not -0).
    fn set(&mut self, u: usize, d: Decimal) {
        if d.scale() == 0 && !(d.is_zero() && d.is_sign_negative()) {
            if let Ok(x) = i64::try_from(d.mantissa()) {
                self.set_int(u, x);
                return;
            }
        }
        fn to_dec<T: Copy>(v: &[T], u: usize, d: Decimal) -> Vec<Decimal>
        where
            Decimal: From<T>,
        {
            let mut all: Vec<Decimal> = v.iter().map(|&y| Decimal::from(y)).collect();
            all[u] = d;
            all
        }
        *self = Values::Dec(match self {
            Values::Dec(v) => {
                v[u] = d;
                return;
            }
            Values::I8(v) => to_dec(v, u, d),
            Values::I16(v) => to_dec(v, u, d),
            Values::I32(v) => to_dec(v, u, d),
            Values::I64(v) => to_dec(v, u, d),
        });
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
            values: Values::I8(vec![0; units]),
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
            Values::I8(v) => out.extend(v[units].iter().map(|&x| i64::from(x))),
            Values::I16(v) => out.extend(v[units].iter().map(|&x| i64::from(x))),
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
        self.column.values.len()
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
    unit_ids: UnitIds,
}

/// Unit ids by index, and indices by id (the last unit for an id two share).
#[derive(Debug, Clone, Default)]
struct UnitIds {
    /// The ids back to back.
    text: String,
    /// Where each id ends in `text`.
    ends: Vec<usize>,
    /// A table of one more than the index of a unit by the hash of its id,
    /// looked up from that slot on (0: none); a power of two in size.
    slots: Vec<usize>,
    /// No two units share an id.
    unique: bool,
}

impl UnitIds {
    fn new(units: &[UnitRef]) -> Self {
        let mut ids = UnitIds {
            text: String::with_capacity(units.iter().map(|u| u.id.len()).sum()),
            ends: Vec::with_capacity(units.len()),
            slots: vec![0; (2 * units.len()).next_power_of_two()],
            unique: true,
        };
        for (i, u) in units.iter().enumerate() {
            ids.text.push_str(u.id);
            ids.ends.push(ids.text.len());
            let slot = ids.slot(u.id);
            ids.unique &= ids.slots[slot] == 0;
            ids.slots[slot] = i + 1;
        }
        ids
    }

    fn len(&self) -> usize {
        self.ends.len()
    }

    /// The id of unit `i`.
    fn get(&self, i: usize) -> Option<&str> {
        let end = *self.ends.get(i)?;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        self.text.get(start..end)
    }

    /// The slot of `id`: its unit's, or the empty one it would take.
    fn slot(&self, id: &str) -> usize {
        let mask = self.slots.len() - 1;
        let mut slot = std::hash::BuildHasher::hash_one(&std::hash::BuildHasherDefault::<WordHasher>::default(), id) as usize & mask;
        while let Some(i) = self.slots[slot].checked_sub(1) {
            if self.get(i) == Some(id) {
                break;
            }
            slot = (slot + 1) & mask;
        }
        slot
    }

    /// The index of the unit with id `id`.
    fn index(&self, id: &str) -> Option<usize> {
        if self.slots.is_empty() {
            return None;
        }
        self.slots[self.slot(id)].checked_sub(1)
    }
}

impl IndicatorData {
    fn new(year: u16, units: &[UnitRef]) -> Self {
        IndicatorData { year, unit_ids: UnitIds::new(units), ..IndicatorData::default() }
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
        let u = self.unit_ids.index(unit_id)?;
        self.column(key)?.measurement(u)
    }

    /// The index of unit `unit_id` in the columns.
    pub fn unit_index(&self, unit_id: &str) -> Option<usize> {
        self.unit_ids.index(unit_id)
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
        (0..self.unit_ids.len()).filter_map(move |u| Some((self.unit_ids.get(u)?, col?.measurement(u)?)))
    }

    pub fn is_empty(&self) -> bool {
        self.indicators.is_empty()
    }
}

// ---------------------------------------------------------------------------
// Declaration (raw, as serde reads it)

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDecl {
    #[serde(default)]
    table: Vec<RawTable>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct RawTable {
    #[schemars(with = "String")]
    id: Spanned<String>,
    #[serde(default)]
    name: Option<String>,
    #[schemars(with = "String")]
    file: Spanned<String>,
    layout: Layout,
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    separator: Option<Spanned<String>>,
    #[serde(default)]
    number_format: Option<NumberFormat>,
    measured_on: String,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    indicator: Vec<RawIndicator>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct RawIndicator {
    #[schemars(with = "String")]
    id: Spanned<String>,
    name: String,
    #[serde(default)]
    unit: Option<String>,
    #[schemars(with = "Vec<String>")]
    applies_to: Vec<Spanned<String>>,
    #[serde(default)]
    #[schemars(with = "Option<Vec<String>>")]
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

/// Composed (NFC), whitespace collapsed, Unicode lowercase; diacritics kept.
pub(crate) fn normalize_name(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    normalize_into(s, &mut out, &mut Lowercase::default());
    out
}

/// [`normalize_name`] into `out`, lowercasing through `lower`.
fn normalize_into(s: &str, out: &mut String, lower: &mut Lowercase) {
    use unicode_normalization::{is_nfc_quick, IsNormalized, UnicodeNormalization};
    // A name typed or exported with combining marks ("ư" then U+0300)
    // reads as its composed form ("ừ"), as most files write it.
    let composed: String;
    let s = if s.is_ascii() || is_nfc_quick(s.chars()) == IsNormalized::Yes {
        s
    } else {
        composed = s.nfc().collect();
        &composed
    };
    // Words as `split_whitespace` gives them, joined by one space.
    let mut space = false;
    for c in s.chars() {
        if c.is_whitespace() {
            space = !out.is_empty();
            continue;
        }
        if space {
            out.push(' ');
            space = false;
        }
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
        } else {
            lower.push(c, out);
        }
    }
}

/// `char::to_lowercase` of the characters lowered so far that lower to one
/// character, by code point modulo the table's size.
struct Lowercase([(char, char); 256]);

impl Default for Lowercase {
    fn default() -> Self {
        Lowercase([('\0', '\0'); 256])
    }
}

impl Lowercase {
    #[inline]
    fn push(&mut self, c: char, out: &mut String) {
        let slot = &mut self.0[c as usize % 256];
        if slot.0 == c {
            out.push(slot.1);
            return;
        }
        let mut lower = c.to_lowercase();
        match (lower.next(), lower.len()) {
            (Some(l), 0) => {
                *slot = (c, l);
                out.push(l);
            }
            (first, _) => out.extend(first.into_iter().chain(lower)),
        }
    }
}

/// A hasher for the tables a load builds by the thousand (unit ids and
/// names): the word-at-a-time hash of rustc (`FxHasher`), mixed at the end.
/// Keys come from the year's own files.
#[derive(Debug, Clone, Copy, Default)]
struct WordHasher(u64);

impl WordHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl std::hash::Hasher for WordHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut words = bytes.chunks_exact(8);
        for w in &mut words {
            self.add(u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]));
        }
        let rest = words.remainder();
        if !rest.is_empty() {
            let mut w = [0; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    /// Mixed so that the low bits, which pick a table's slot, depend on
    /// every byte (the finaliser of MurmurHash3).
    #[inline]
    fn finish(&self) -> u64 {
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }
}

type WordMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<WordHasher>>;

/// Finds units by id (exact) or by name or alias (normalised).
pub(crate) struct UnitMatcher<'u, 'a> {
    units: &'u [UnitRef<'a>],
    /// The data's units by id.
    by_id: &'u UnitIds,
    /// Built when a name is first looked up, unless building it was the
    /// way to report names shared by units.
    by_name: std::cell::OnceCell<WordMap<String, usize>>,
    /// No two units share an id: the unit after the last one found by id
    /// is tried first (tables list units in order).
    ids_unique: bool,
    next: std::cell::Cell<usize>,
}

impl<'u, 'a> UnitMatcher<'u, 'a> {
    fn new(units: &'u [UnitRef<'a>], by_id: &'u UnitIds, file: &Path, diags: &mut Diagnostics) -> Self {
        let matcher = UnitMatcher { units, ids_unique: by_id.unique, by_id, by_name: Default::default(), next: Default::default() };
        // Names shared by two units are reported now. Hashes of the
        // normalised names show there are none without keeping the names;
        // two units with one hash build the map at once, which tells.
        let mut lower = Lowercase::default();
        let mut key = String::new();
        let mut hashes: WordMap<u64, usize> = WordMap::with_capacity_and_hasher(matcher.names(), Default::default());
        for (i, u) in units.iter().enumerate() {
            for n in std::iter::once(u.name).chain(u.aliases.iter().map(String::as_str)) {
                key.clear();
                normalize_into(n, &mut key, &mut lower);
                let hash = std::hash::BuildHasher::hash_one(&std::hash::BuildHasherDefault::<WordHasher>::default(), key.as_str());
                if *hashes.entry(hash).or_insert(i) != i {
                    let by_name = matcher.name_map(Some((file, diags)));
                    let _ = matcher.by_name.set(by_name);
                    return matcher;
                }
            }
        }
        matcher
    }

    /// The number of names and aliases of the units.
    fn names(&self) -> usize {
        self.units.iter().map(|u| 1 + u.aliases.len()).sum()
    }

    /// Units by normalised name or alias, the first unit for a name shared
    /// by two; with `report`, each name shared is reported.
    fn name_map(&self, mut report: Option<(&Path, &mut Diagnostics)>) -> WordMap<String, usize> {
        let units = self.units;
        let mut by_name: WordMap<String, usize> = WordMap::with_capacity_and_hasher(self.names(), Default::default());
        let mut lower = Lowercase::default();
        for (i, u) in units.iter().enumerate() {
            for n in std::iter::once(u.name).chain(u.aliases.iter().map(String::as_str)) {
                let mut key = String::with_capacity(n.len());
                normalize_into(n, &mut key, &mut lower);
                match by_name.get(key.as_str()) {
                    Some(&j) if j != i => {
                        if let Some((file, diags)) = &mut report {
                            diags.push(
                                Diagnostic::warning(
                                    Code::Duplicate,
                                    format!("name `{n}` belongs to units `{}` and `{}`; it matches `{}`", units[j].id, u.id, units[j].id),
                                )
                                .in_file(*file),
                            );
                        }
                    }
                    Some(_) => {}
                    None => {
                        by_name.insert(key, i);
                    }
                }
            }
        }
        by_name
    }

    /// The index of the unit with this id, name or alias.
    pub(crate) fn find(&self, text: &str) -> Option<usize> {
        let t = text.trim();
        let guess = self.next.get();
        if self.ids_unique && self.units.get(guess).is_some_and(|u| u.id == t) {
            self.next.set(guess + 1);
            return Some(guess);
        }
        if let Some(i) = self.by_id.index(t) {
            self.next.set(i + 1);
            return Some(i);
        }
        self.by_name.get_or_init(|| self.name_map(None)).get(&normalize_name(t)).copied()
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
    lines_after(0, src.strip_prefix('\u{feff}').unwrap_or(src))
}

/// [`data_lines`] of a piece of a CSV text that starts after line `before`.
fn lines_after(before: usize, text: &str) -> impl Iterator<Item = (usize, &str)> {
    Lines { text, at: 0 }.enumerate().map(move |(i, l)| (before + i + 1, l)).filter(|(_, l)| {
        let t = l.trim();
        !t.is_empty() && !t.starts_with('#')
    })
}

/// The lines of a text as `str::lines` gives them, line feeds found eight
/// bytes at a time.
struct Lines<'t> {
    text: &'t str,
    at: usize,
}

impl<'t> Iterator for Lines<'t> {
    type Item = &'t str;

    fn next(&mut self) -> Option<&'t str> {
        const ONES: u64 = 0x0101_0101_0101_0101;
        let bytes = self.text.as_bytes();
        let start = self.at;
        if start >= bytes.len() {
            return None;
        }
        let mut i = start;
        let feed = loop {
            let Some(w) = bytes.get(i..i + 8) else {
                break bytes[i..].iter().position(|&b| b == b'\n').map(|n| i + n);
            };
            let x = u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]) ^ (ONES * u64::from(b'\n'));
            // The lowest byte of `x` that is 0 has the lowest bit set here.
            let found = x.wrapping_sub(ONES) & !x & (ONES << 7);
            if found != 0 {
                break Some(i + (found.trailing_zeros() / 8) as usize);
            }
            i += 8;
        };
        Some(match feed {
            Some(end) => {
                self.at = end + 1;
                let line = &self.text[start..end];
                line.strip_suffix('\r').unwrap_or(line)
            }
            None => {
                self.at = bytes.len();
                &self.text[start..]
            }
        })
    }
}

/// A CSV file read a piece of whole lines at a time, each piece checked as
/// UTF-8: what [`read_source`] would read, without holding it all.
struct CsvSource {
    file: std::fs::File,
    buf: Vec<u8>,
    /// `buf[..filled]` is read, `buf[..taken]` handed out.
    filled: usize,
    taken: usize,
    eof: bool,
    /// Lines handed out so far.
    lines: usize,
    /// A read failed: the error `read_to_string` gives.
    failed: Option<std::io::Error>,
    /// Some text read is not UTF-8.
    not_text: bool,
}

impl CsvSource {
    /// Bytes read at a time: a piece stays in cache, and the file's size
    /// is never allocated.
    const PIECE: usize = 1 << 17;

    fn open(path: &Path) -> std::io::Result<Self> {
        Ok(CsvSource {
            file: std::fs::File::open(path)?,
            buf: vec![0; Self::PIECE],
            filled: 0,
            taken: 0,
            eof: false,
            lines: 0,
            failed: None,
            not_text: false,
        })
    }

    /// The next piece of whole lines (the rest at the end of the file), the
    /// first one without a leading byte order mark, with the number of
    /// lines before it; `None` at the end or once reading failed.
    fn next_chunk(&mut self) -> Option<(usize, &str)> {
        use std::io::Read;
        if self.failed.is_some() || self.not_text {
            return None;
        }
        let first = self.lines == 0 && self.taken == 0;
        self.buf.copy_within(self.taken..self.filled, 0);
        self.filled -= self.taken;
        self.taken = 0;
        let cut = loop {
            while !self.eof && self.filled < self.buf.len() {
                match self.file.read(&mut self.buf[self.filled..]) {
                    Ok(0) => self.eof = true,
                    Ok(n) => self.filled += n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        self.failed = Some(e);
                        return None;
                    }
                }
            }
            if self.eof {
                break self.filled;
            }
            match self.buf[..self.filled].iter().rposition(|&b| b == b'\n') {
                Some(p) => break p + 1,
                // A line longer than the buffer.
                None => self.buf.resize(self.buf.len() * 2, 0),
            }
        };
        if cut == 0 {
            return None;
        }
        // A piece ends after a line feed, which no UTF-8 sequence holds.
        let Ok(text) = std::str::from_utf8(&self.buf[..cut]) else {
            self.not_text = true;
            return None;
        };
        self.taken = cut;
        let before = self.lines;
        // Line feeds counted by the hundred in bytes, which vectorises.
        let feeds: usize = text.as_bytes().chunks(128).map(|c| usize::from(c.iter().fold(0u8, |n, &b| n + u8::from(b == b'\n')))).sum();
        self.lines += feeds + usize::from(!text.ends_with('\n'));
        let text = if first { text.strip_prefix('\u{feff}').unwrap_or(text) } else { text };
        Some((before, text))
    }

    /// Reads what is left of the file; the error `read_to_string` would
    /// have given for the whole of it, if any.
    fn finish(mut self) -> std::io::Result<()> {
        use std::io::Read;
        while self.next_chunk().is_some() {}
        if self.not_text {
            // A read error counts before text that is not UTF-8.
            while self.failed.is_none() && !self.eof {
                match self.file.read(&mut self.buf) {
                    Ok(0) => self.eof = true,
                    Ok(_) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => self.failed = Some(e),
                }
            }
        }
        match self.failed {
            Some(e) => Err(e),
            None if self.not_text => match std::io::Read::read_to_string(&mut &[0xFF][..], &mut String::new()) {
                Err(e) => Err(e),
                Ok(_) => Err(std::io::Error::new(std::io::ErrorKind::InvalidData, "stream did not contain valid UTF-8")),
            },
            None => Ok(()),
        }
    }
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
    // The matcher finds units by id through the data's own index, lent to it meanwhile.
    let unit_ids = std::mem::take(&mut data.unit_ids);
    let matcher = UnitMatcher::new(units, &unit_ids, &decl_path, &mut diags);
    // The distinct kinds, sorted; units of one kind mostly follow each other.
    let mut kinds: Vec<&str> = Vec::new();
    for u in units {
        if kinds.last() != Some(&u.kind) && (kinds.len() > 64 || !kinds.contains(&u.kind)) {
            kinds.push(u.kind);
        }
    }
    kinds.sort_unstable();
    kinds.dedup();
    let mut last: Option<(&str, usize)> = None;
    let kind_of: Vec<usize> = units
        .iter()
        .map(|u| match last {
            Some((kind, k)) if kind == u.kind => k,
            _ => {
                let k = kinds.binary_search(&u.kind).unwrap_or(0);
                last = Some((u.kind, k));
                k
            }
        })
        .collect();
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
    let path = root.join(&meta.file);
    let cannot_read = |e: std::io::Error| Diagnostic::error(Code::Io, format!("cannot read `{}`: {e}", path.display())).in_file(&path);
    let source = CsvSource::open(&path).map_err(|e| diags.push(cannot_read(e))).ok();
    data.tables.push(meta);
    let Some(mut source) = source else { return };
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
    let before = diags.len();
    read_rows(data, &tc, &mut source, sep, &indicators, matcher, units, diags);
    if let Err(e) = source.finish() {
        // As if the file were read first: nothing from it but the error.
        diags.0.truncate(before);
        let layout = tc.layout;
        for column in &mut data.columns[first..] {
            *column = Column::new(index, n, layout == Layout::Long);
        }
        data.stores[index].row_lines.fill(0);
        diags.push(cannot_read(e));
        return;
    }
    // The units of the kinds an indicator applies to, for the last kinds seen.
    let mut expected: Option<(&[bool], Bits)> = None;
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
            Some(ids) => ids.iter().filter_map(|id| matcher.by_id.index(id)).for_each(&mut missing),
            None => {
                let applies = tc.checks[k].applies.as_slice();
                let bits = match &mut expected {
                    Some((kinds, bits)) if *kinds == applies => bits,
                    _ => {
                        let mut bits = Bits::new(n);
                        (0..n).filter(|&u| applies[units.kind_of[u]]).for_each(|u| bits.set(u));
                        &expected.insert((applies, bits)).1
                    }
                };
                for (w, (&want, &have)) in bits.0.iter().zip(&col.present.0).enumerate() {
                    let mut absent = want & !have;
                    while absent != 0 {
                        missing(w * 64 + absent.trailing_zeros() as usize);
                        absent &= absent - 1;
                    }
                }
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn read_rows(
    data: &mut IndicatorData,
    tc: &TableCtx,
    source: &mut CsvSource,
    sep: u8,
    indicators: &[IndicatorMeta],
    matcher: &UnitMatcher,
    units: &UnitCtx,
    diags: &mut Diagnostics,
) {
    let file = tc.file;
    let by_id: HashMap<&str, usize> = indicators.iter().enumerate().map(|(k, i)| (i.id.as_str(), k)).collect();
    let unknown_indicator = |id: &str, line_no: usize, line: &str, off: usize| {
        let mut d = Diagnostic::error(Code::UnknownReference, format!("indicator `{id}` is not declared in table `{}`", tc.id));
        if let Some(m) = did_you_mean(id, indicators.iter().map(|i| i.id.as_str())) {
            d = d.help(format!("did you mean `{m}`?"));
        }
        at_csv(d, file, line_no, line, off)
    };
    // Wide: the header names the indicator of each column; and the header's width.
    let mut header: Option<(Vec<Option<usize>>, usize)> = None;
    let mut wide: Option<WideRows> = None;
    while let Some((before, text)) = source.next_chunk() {
        let mut fields: Vec<Field> = Vec::new();
        for (line_no, line) in lines_after(before, text) {
            let Some((columns, width)) = &header else {
                let (hline_no, hline) = (line_no, line);
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
                wide = (tc.layout == Layout::Wide).then(|| WideRows::new(tc, &columns, sep, units.kinds.len()));
                header = Some((columns, fields.len()));
                continue;
            };
            let width = *width;
            if let Some(wide) = &mut wide {
                if wide.row(data, tc, line_no, line, matcher, units, diags) {
                    continue;
                }
                wide.before_other_row(data, tc);
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
    if header.is_none() {
        diags.push(Diagnostic::error(Code::CsvSyntax, "the file has no header row").in_file(file));
    }
    if let Some(wide) = &mut wide {
        wide.write_block(data, tc);
    }
}

/// A cell of a wide row as [`WideRows`] reads it ("held"): 0 when empty, a
/// digits-only value of 1 to 18 digits as the value plus one when that lies
/// below this mark of the other cells.
const CELL_OTHER: u32 = u32::MAX;
/// The largest held cell stored directly: the value fits an `i32`.
const CELL_DIRECT: u32 = 1 << 31;

/// Rows of a wide table whose direct stores are held back, then written
/// column by column.
const BLOCK_ROWS: usize = 256;

/// What [`ShortValues::read`] finds in the cells of a row.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Plain {
    /// Some byte is neither a digit nor the separator.
    No,
    /// Digits and separators, some cell empty or of more than four digits.
    Digits,
    /// Every cell is 1 to 4 digits.
    Short,
}

/// Reads the rows of a wide table that hold no quote.
///
/// A row is split eight bytes at a time and each cell held as a number (see
/// [`CELL_OTHER`]); in a row of digits and separators only, the values of
/// its short cells are computed for all its bytes at once
/// ([`ShortValues::read`]). The cells that [`store`] would only store (digits, in
/// a unit's first row, in range, of a kind the indicator applies to) are
/// held back in a block of rows and written to their columns when the block
/// is full. Any other cell goes through [`store`], in row order, once the
/// values held back for its column are written: [`store`] reads and writes
/// only the column of its cell, so it sees what storing every cell in order
/// would have left.
struct WideRows {
    sep: u8,
    /// Header columns after the unit's.
    cells: usize,
    /// The declared header columns: (header column, local indicator), in header order.
    declared: Vec<(usize, usize)>,
    /// Per declared column: the declared column of the first header column
    /// of its indicator, the only one stored directly.
    first_of: Vec<usize>,
    /// Per declared column: never stored directly (a second header column of
    /// the same indicator, or a column that keeps a line per cell).
    slow: Vec<bool>,
    /// Per kind index, built when first needed: what of a unit's first row
    /// is stored directly.
    limits: Vec<Option<Limits>>,
    /// The same for a unit's later rows: nothing.
    later: Limits,
    /// Scratch of [`ShortValues::read`], and its values.
    short: ShortValues,
    /// The block: the unit of each row held back, and per header column and
    /// row the held cell to write (0: none).
    block_units: Vec<usize>,
    block: Vec<u32>,
    /// The units of the block follow each other.
    consecutive: bool,
    /// Per declared column: the first row of the block not yet written.
    written: Vec<usize>,
    /// Rows were read by [`read_rows`] itself since the last row read here.
    other_rows: bool,
}

impl WideRows {
    fn new(tc: &TableCtx, columns: &[Option<usize>], sep: u8, kinds: usize) -> Self {
        let mut declared = Vec::new();
        let mut first_of = Vec::new();
        let mut slow = Vec::new();
        let mut first: Vec<Option<usize>> = vec![None; tc.checks.len()];
        for (c, col) in columns.iter().enumerate() {
            if let Some(k) = *col {
                let i = declared.len();
                declared.push((c, k));
                slow.push(first[k].is_some());
                first_of.push(*first[k].get_or_insert(i));
            }
        }
        let cells = columns.len();
        WideRows {
            sep,
            cells,
            later: Limits::new(columns.iter().map(|c| if c.is_some() { 0 } else { u32::MAX }).collect()),
            block: vec![0; cells * BLOCK_ROWS],
            written: vec![0; declared.len()],
            declared,
            first_of,
            slow,
            limits: vec![None; kinds],
            short: ShortValues::default(),
            block_units: Vec::with_capacity(BLOCK_ROWS),
            consecutive: true,
            other_rows: false,
        }
    }

    /// Reads one row of a wide table that holds no quote. Returns `false`,
    /// having stored nothing, for a row this cannot read (quotes, a field
    /// count unlike the header's, or a unit it cannot find).
    #[allow(clippy::too_many_arguments)]
    fn row(
        &mut self,
        data: &mut IndicatorData,
        tc: &TableCtx,
        line_no: usize,
        line: &str,
        matcher: &UnitMatcher,
        units: &UnitCtx,
        diags: &mut Diagnostics,
    ) -> bool {
        if std::mem::take(&mut self.other_rows) {
            for i in 0..self.declared.len() {
                let k = self.declared[i].1;
                if !self.slow[i] && data.columns[tc.first + k].lines.is_some() {
                    self.keep_lines(k);
                }
            }
        }
        let bytes = line.as_bytes();
        let unit_end = bytes.iter().position(|&b| b == self.sep).unwrap_or(bytes.len());
        let cells = match bytes.get(unit_end + 1..) {
            Some(cells) if self.cells != 0 => cells,
            None if self.cells == 0 => &[],
            _ => return false,
        };
        let plain = match cells {
            [] => Plain::No,
            _ => self.short.read(cells, self.sep),
        };
        // A plain row's cells hold no quote.
        let quoted = if plain == Plain::No { bytes } else { &bytes[..unit_end] };
        if quoted.contains(&b'"') {
            return false;
        }
        let Some(u) = matcher.find(&line[..unit_end]) else {
            return false;
        };
        let fresh = data.stores[tc.index].row_lines.get(u) == Some(&0);
        let kind = units.kind_of[u];
        if fresh && self.limits[kind].is_none() {
            let mut limits = vec![u32::MAX; self.cells];
            for (&(c, k), &slow) in self.declared.iter().zip(&self.slow) {
                let check = &tc.checks[k];
                limits[c] = if slow || data.columns[tc.first + k].lines.is_some() || !check.applies[kind] {
                    0
                } else if check.rate {
                    101
                } else {
                    CELL_DIRECT
                };
            }
            self.limits[kind] = Some(Limits::new(limits));
        }
        if self.block_units.len() == BLOCK_ROWS {
            self.write_block(data, tc);
        }
        // A row is held in the block's next row; it is kept only when the
        // row is its unit's first.
        let slot = self.block_units.len();
        let limits = match &self.limits[kind] {
            Some(limits) if fresh => limits,
            _ => &self.later,
        };
        let Some(others) = split_row(cells, self.sep, plain, &self.short.values, &mut self.block[slot..], limits) else {
            return false;
        };

        if fresh {
            data.stores[tc.index].row_lines[u] = line_u32(line_no);
            self.consecutive &= match self.block_units.last() {
                Some(&last) => last + 1 == u,
                None => true,
            };
            self.block_units.push(u);
        }
        if others {
            let offset = unit_end + 1;
            let mut bounds = vec![(0, 0); self.cells];
            for_each_cell(cells, self.sep, |field, start, end| bounds[field] = (offset + start, offset + end));
            for i in 0..self.declared.len() {
                let (c, k) = self.declared[i];
                let (start, end) = bounds[c];
                if self.block[c * BLOCK_ROWS + slot] == 0 && start != end {
                    self.store(data, tc, i, k, u, line_no, line, start, end, units, diags);
                }
            }
        }
        true
    }

    /// Stores the cell `line[start..end]` of declared column `i` (local
    /// indicator `k`) through [`store`], after the cells held back for its
    /// column.
    #[allow(clippy::too_many_arguments)]
    fn store(
        &mut self,
        data: &mut IndicatorData,
        tc: &TableCtx,
        i: usize,
        k: usize,
        u: usize,
        line_no: usize,
        line: &str,
        start: usize,
        end: usize,
        units: &UnitCtx,
        diags: &mut Diagnostics,
    ) {
        self.write_column(data, tc, self.first_of[i]);
        let cell = Cell { line_no, line, offset: start };
        store(data, tc, k, u, &line[start..end], &cell, units, diags);
        if !self.slow[self.first_of[i]] && data.columns[tc.first + k].lines.is_some() {
            self.keep_lines(k);
        }
    }

    /// Local indicator `k` keeps a line per cell from now on: its cells go through [`store`].
    fn keep_lines(&mut self, k: usize) {
        for (j, &(c, kj)) in self.declared.iter().enumerate() {
            if kj == k {
                self.slow[j] = true;
                for limits in self.limits.iter_mut().flatten() {
                    limits.stop(c);
                }
            }
        }
    }

    /// Before a row read by [`read_rows`] itself: writes every cell held
    /// back, and after it learns which columns it left keeping a line per cell.
    fn before_other_row(&mut self, data: &mut IndicatorData, tc: &TableCtx) {
        self.write_block(data, tc);
        self.other_rows = true;
    }

    /// Writes the cells of declared column `i` held back in the block.
    fn write_column(&mut self, data: &mut IndicatorData, tc: &TableCtx, i: usize) {
        let (c, k) = self.declared[i];
        let from = self.written[i];
        let units = self.block_units.get(from..).unwrap_or_default();
        self.written[i] = self.block_units.len();
        // A second header column of an indicator holds nothing back.
        if self.first_of[i] != i {
            return;
        }
        let Some(&u0) = units.first() else { return };
        let held = &self.block[c * BLOCK_ROWS + from..c * BLOCK_ROWS + from + units.len()];
        let column = &mut data.columns[tc.first + k];
        match &mut column.values {
            // Consecutive units: a run of values and at most two words of bits.
            values if self.consecutive && u0 + units.len() <= values.len() => {
                // The column's type first widened to hold the largest value:
                // the bits of all values have its highest one.
                let top = held.iter().fold(0, |top, &h| top | h.saturating_sub(1));
                values.fit(i64::from(top));
                let full = !held.iter().fold(false, |empty, &h| empty | (h == 0));
                let run = u0..u0 + units.len();
                // No cell of the run was stored otherwise: each unit's row is
                // its first, and `store` writes this column's cells held back
                // before any of its own. An empty cell still holds 0, so the
                // run is written without being read.
                macro_rules! write_run {
                    ($values:expr, $t:ty) => {{
                        let to = &mut $values[run];
                        if full {
                            for (to, &held) in to.iter_mut().zip(held) {
                                *to = (held - 1) as $t;
                            }
                        } else {
                            for (to, &held) in to.iter_mut().zip(held) {
                                *to = held.saturating_sub(1) as $t;
                            }
                        }
                    }};
                }
                match values {
                    Values::I8(v) => write_run!(v, i8),
                    Values::I16(v) => write_run!(v, i16),
                    Values::I32(v) => write_run!(v, i32),
                    Values::I64(v) => write_run!(v, i64),
                    Values::Dec(v) => {
                        for (to, &held) in v[run].iter_mut().zip(held) {
                            if held != 0 {
                                *to = Decimal::from(held - 1);
                            }
                        }
                    }
                }
                // The bits of 64 units at a time, each over at most two words.
                for (n, held) in held.chunks(64).enumerate() {
                    let bits = if full {
                        u64::MAX >> (64 - held.len())
                    } else {
                        held.iter().enumerate().fold(0, |bits, (n, &h)| bits | u64::from(h != 0) << n)
                    };
                    let u = u0 + 64 * n;
                    column.present.or_word(u / 64, bits << (u % 64));
                    if u % 64 != 0 {
                        column.present.or_word(u / 64 + 1, bits >> (64 - u % 64));
                    }
                }
            }
            _ => {
                for (&u, &held) in units.iter().zip(held) {
                    if held != 0 {
                        column.values.put_int(u, i64::from(held - 1));
                        column.present.set(u);
                    }
                }
            }
        }
    }

    /// Writes every cell held back and empties the block.
    fn write_block(&mut self, data: &mut IndicatorData, tc: &TableCtx) {
        for i in 0..self.declared.len() {
            self.write_column(data, tc, i);
        }
        self.block_units.clear();
        self.written.fill(0);
        self.consecutive = true;
    }
}

/// Which held cells of a row are stored directly: per header column, the
/// largest (0: none; any for an undeclared column, whose cells are never
/// read).
#[derive(Clone)]
struct Limits {
    of: Vec<u32>,
    /// The header columns whose limit is below some cell of 1 to 4 digits.
    checked: Vec<usize>,
}

impl Limits {
    /// The largest held cell of 1 to 4 digits.
    const SHORT: u32 = 10_000;

    fn new(of: Vec<u32>) -> Self {
        let checked = (0..of.len()).filter(|&c| of[c] < Self::SHORT).collect();
        Limits { of, checked }
    }

    /// Header column `c` is stored directly no more.
    fn stop(&mut self, c: usize) {
        if self.of[c] >= Self::SHORT {
            self.checked.push(c);
            self.checked.sort_unstable();
        }
        self.of[c] = 0;
    }
}

/// Splits the cells of a row (`cells`, the text after the unit's separator;
/// `values` as [`ShortValues::read`] left them for a plain row) and holds in
/// `block` (a row of the block on) each cell `limits` lets be stored
/// directly, 0 for the others (and empty cells). Returns whether some other
/// cell is left, or `None` when the count of cells is not the header's.
fn split_row(cells: &[u8], sep: u8, plain: Plain, values: &[u16], block: &mut [u32], limits: &Limits) -> Option<bool> {
    let mut others = false;
    let mut put = |field: usize, held: u32| {
        if let (Some(to), Some(&limit)) = (block.get_mut(field * BLOCK_ROWS), limits.of.get(field)) {
            let direct = held <= limit;
            others |= !direct;
            *to = if direct { held } else { 0 };
        }
    };
    // The held cell of 1 to 4 digits of a plain row, at its last byte.
    let short = |end: usize| values.get(end + 3).map_or(CELL_OTHER, |&v| u32::from(v));
    let count = match plain {
        // Every cell is short: only the columns of lower limits are checked, after.
        Plain::Short => {
            let count = for_each_cell(cells, sep, |field, _, end| {
                if let Some(to) = block.get_mut(field * BLOCK_ROWS) {
                    *to = short(end);
                }
            });
            if count == limits.of.len() {
                for &c in &limits.checked {
                    let to = &mut block[c * BLOCK_ROWS];
                    if *to > limits.of[c] {
                        others = true;
                        *to = 0;
                    }
                }
            }
            count
        }
        Plain::Digits => for_each_cell(cells, sep, |field, start, end| {
            put(field, if (1..=4).contains(&(end - start)) { short(end) } else { held_cell(&cells[start..end]) })
        }),
        Plain::No => for_each_cell(cells, sep, |field, start, end| put(field, held_cell(&cells[start..end]))),
    };
    (count == limits.of.len()).then_some(others)
}

/// Calls `f(field, start, end)` for each field of `text` split at `sep`,
/// finding separators eight bytes at a time; returns the number of fields.
#[inline(always)]
fn for_each_cell(text: &[u8], sep: u8, mut f: impl FnMut(usize, usize, usize)) -> usize {
    const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;
    let len = text.len();
    let seps = 0x0101_0101_0101_0101 * u64::from(sep);
    let mut field = 0;
    let mut start = 0;
    let mut base = 0;
    // The end of the text is read as a separator.
    while base <= len {
        let word = match text.get(base..base + 8) {
            Some(b) => u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]),
            None => {
                let mut b = [0; 8];
                let rest = &text[base..];
                b[..rest.len()].copy_from_slice(rest);
                b[rest.len()] = sep;
                u64::from_le_bytes(b)
            }
        };
        // The high bit of each separator byte, exactly (no carry crosses bytes).
        let x = word ^ seps;
        let mut found = !(((x & LOW7) + LOW7) | x) & !LOW7;
        while found != 0 {
            let end = base + (found.trailing_zeros() / 8) as usize;
            found &= found - 1;
            f(field, start, end);
            field += 1;
            start = end + 1;
        }
        base += 8;
    }
    field
}

/// The values of the short cells of a plain row, computed for all its bytes at once.
#[derive(Default)]
struct ShortValues {
    /// The row after four separators.
    text: Vec<u8>,
    /// Per byte of `text`: 1 for a digit, else 0.
    digit: Vec<u8>,
    /// Per byte of `text`: the value of the (up to two) digits ending there.
    pairs: Vec<u8>,
    /// Per byte of `text`: one more than the value of the (up to four)
    /// digits ending there, i.e. the held cell of 1 to 4 digits at its last
    /// byte.
    values: Vec<u16>,
}

impl ShortValues {
    /// Sorts the cells of a row (`cells`, the text after the unit's
    /// separator); when they are ASCII digits and separators `sep` only,
    /// fills `values` (byte `i` of `cells` at `i + 4`).
    fn read(&mut self, cells: &[u8], sep: u8) -> Plain {
        let bad = cells.iter().fold(0u8, |bad, &b| bad | (u8::from(b.wrapping_sub(b'0') > 9) & u8::from(b != sep)));
        if bad != 0 {
            return Plain::No;
        }
        let n = cells.len() + 4;
        self.text.clear();
        self.text.extend_from_slice(&[sep; 4]);
        self.text.extend_from_slice(cells);
        self.digit.resize(n, 0);
        self.pairs.resize(n, 0);
        self.values.resize(n, 0);
        let (text, digit, pairs, values) = (&self.text[..n], &mut self.digit[..n], &mut self.pairs[..n], &mut self.values[..n]);
        (digit[0], pairs[0]) = (0, 0);
        for (((m, p), &b), &before) in digit[1..].iter_mut().zip(&mut pairs[1..]).zip(&text[1..]).zip(&text[..n - 1]) {
            let (d, e) = (b.wrapping_sub(b'0'), before.wrapping_sub(b'0'));
            let (md, me) = (u8::from(d < 10), u8::from(e < 10));
            *m = md;
            *p = md * (d * md + 10 * (e * me));
        }
        // The pair two bytes back counts when the byte between is a digit.
        (values[0], values[1]) = (1, 1);
        for (((v, &p), &back), &m) in values[2..].iter_mut().zip(&pairs[2..]).zip(&pairs[..n - 2]).zip(&digit[1..n - 1]) {
            *v = u16::from(p) + 100 * u16::from(back) * u16::from(m) + 1;
        }
        // An empty cell: two separators in a row (the text starts after
        // one), or one at the end; a long one: five digits in a row.
        let runs = digit[4..].iter().zip(&digit[3..n - 1]).zip(&digit[2..n - 2]).zip(&digit[1..n - 3]).zip(&digit[..n - 4]);
        let odd = runs.fold(0u8, |odd, ((((&a, &b), &c), &d), &e)| odd | (1 ^ (a | b)) | (a & b & c & d & e));
        if odd != 0 || cells.last() == Some(&sep) {
            Plain::Digits
        } else {
            Plain::Short
        }
    }
}

/// A cell held as [`split_row`] holds cells, digits checked.
#[inline]
fn held_cell(cell: &[u8]) -> u32 {
    if cell.is_empty() {
        return 0;
    }
    digits(cell).and_then(|v| u32::try_from(v + 1).ok()).unwrap_or(CELL_OTHER)
}

/// The value of a cell printed as digits only, read without allocating.
#[inline]
fn plain_integer(text: &str) -> Option<i64> {
    digits(text.as_bytes()).map(|v| v as i64)
}

/// The value of 1 to 18 decimal digits (so it fits an `i64`).
#[inline]
fn digits(b: &[u8]) -> Option<u64> {
    if b.is_empty() || b.len() > 18 {
        return None;
    }
    let mut v: u64 = 0;
    for &c in b {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        v = v * 10 + u64::from(d);
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
    fn names_with_combining_marks_match_their_composed_form() {
        use unicode_normalization::UnicodeNormalization;
        let composed = "UBND huyện Mường Tè";
        let decomposed: String = composed.nfd().collect();
        assert_ne!(composed, decomposed, "the decomposed form is other bytes");
        assert_eq!(normalize_name(&decomposed), normalize_name(composed));
        assert_eq!(normalize_name(&decomposed), "ubnd huyện mường tè");
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

    /// The fast path for rows without quotes reads exactly what the general
    /// path reads: the same table with every unit name quoted (which forces
    /// the general path) gives the same values, lines, marks and problems,
    /// over enough rows to cross every block of rows held back.
    #[test]
    fn unquoted_rows_read_as_quoted_rows_do() {
        let ids: Vec<&'static str> = (0..300).map(|i| &*Box::leak(format!("u{i}").into_boxed_str())).collect();
        let units: Vec<UnitRef<'static>> = ids.iter().map(|id| UnitRef { id, name: id, aliases: &[], kind: "department" }).collect();
        let decl = WIDE.replace("number_format = \"vi\"\n", "separator = \";\"\nnumber_format = \"vi\"\n");
        let cells = ["7", "42", "1234", "98765", "1.903", "12,5", "7%", "", "x", "-3", "101", "0", "00012", "3,25%"];
        let mut seed = 12345u64;
        let mut next = || {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 33) as usize
        };
        let mut rows = Vec::new();
        for _ in 0..700 {
            let unit = match next() % 50 {
                0 => "nobody".to_string(),
                _ => ids[next() % ids.len()].to_string(),
            };
            rows.push((unit, cells[next() % cells.len()], cells[next() % cells.len()]));
        }
        let table = |quote: bool| {
            let body: String =
                rows.iter().map(|(u, n, r)| if quote { format!("\"{u}\";{n};{r}\n") } else { format!("{u};{n};{r}\n") }).collect();
            format!("unit;n;r\n{body}")
        };
        let read = |csv: String| {
            let dir = tempfile::tempdir().unwrap();
            let fx = dir.path().join("fixtures/2023");
            std::fs::create_dir_all(&fx).unwrap();
            std::fs::write(fx.join("indicators.toml"), &decl).unwrap();
            std::fs::write(fx.join("t.csv"), csv).unwrap();
            let (data, diags) = load_indicators(dir.path(), 2023, &units);
            let cols: Vec<Vec<_>> = ["w.n", "w.r"]
                .iter()
                .map(|k| {
                    let c = data.column(k).unwrap();
                    (0..ids.len()).map(|u| (c.value(u), c.line(u), c.measurement(u).map(|m| m.percent))).collect()
                })
                .collect();
            let problems: Vec<_> = diags
                .iter()
                .map(|d| (d.code, d.severity, d.unit.clone(), d.criterion.clone(), d.location.clone().map(|l| l.line)))
                .collect();
            (cols, problems)
        };
        let (fast, slow) = (read(table(false)), read(table(true)));
        assert!(fast.1.len() > 50, "the table has problems to report ({})", fast.1.len());
        assert!(fast.0[0].iter().filter(|c| c.0.is_some()).count() > 100, "and values to store");
        assert_eq!(fast.0, slow.0);
        assert_eq!(fast.1, slow.1);
    }
}
