//! The column store: one column per indicator over the units, in the
//! narrowest integer type that holds every cell read (else `Decimal`, so a
//! value keeps the scale it was printed with), with bitmaps of the cells
//! present and printed with `%`, and each cell's line.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use rust_decimal::Decimal;

use super::{IndicatorMeta, Measurement, TableMeta, UnitRef};

/// One bit per unit.
#[derive(Debug, Clone, Default)]
pub(super) struct Bits(Vec<u64>);

impl Bits {
    pub(super) fn new(n: usize) -> Self {
        Bits(vec![0; n.div_ceil(64)])
    }

    /// Whether every bit of `range` is set, a word at a time.
    pub(super) fn all(&self, range: std::ops::Range<usize>) -> bool {
        let (mut i, end) = (range.start, range.end);
        while i < end && i % 64 != 0 {
            if !self.get(i) {
                return false;
            }
            i += 1;
        }
        while i + 64 <= end {
            if self.0.get(i / 64) != Some(&u64::MAX) {
                return false;
            }
            i += 64;
        }
        (i..end).all(|j| self.get(j))
    }

    #[inline]
    pub(super) fn get(&self, i: usize) -> bool {
        self.0.get(i / 64).is_some_and(|w| (w >> (i % 64)) & 1 == 1)
    }

    /// How many bits are set.
    pub(super) fn count(&self) -> usize {
        self.0.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// Sets the bits of `words`, which are this set's from word `first` on.
    pub(super) fn or_words(&mut self, first: usize, words: &[u64]) {
        for (w, x) in self.0.iter_mut().skip(first).zip(words) {
            *w |= x;
        }
    }

    #[inline]
    pub(super) fn set(&mut self, i: usize) {
        if let Some(w) = self.0.get_mut(i / 64) {
            *w |= 1 << (i % 64);
        }
    }
}

/// A column's values, in the narrowest type holding every cell stored so
/// far; a cell not present holds 0.
#[derive(Debug, Clone)]
pub(super) enum Values {
    I8(Vec<i8>),
    I16(Vec<i16>),
    I32(Vec<i32>),
    I64(Vec<i64>),
    Dec(Vec<Decimal>),
}

impl Values {
    pub(super) fn get(&self, u: usize) -> Option<Decimal> {
        match self {
            Values::I8(v) => v.get(u).map(|&x| Decimal::from(x)),
            Values::I16(v) => v.get(u).map(|&x| Decimal::from(x)),
            Values::I32(v) => v.get(u).map(|&x| Decimal::from(x)),
            Values::I64(v) => v.get(u).map(|&x| Decimal::from(x)),
            Values::Dec(v) => v.get(u).copied(),
        }
    }

    pub(super) fn integer(&self, u: usize) -> Option<i64> {
        match self {
            Values::I8(v) => v.get(u).map(|&x| i64::from(x)),
            Values::I16(v) => v.get(u).map(|&x| i64::from(x)),
            Values::I32(v) => v.get(u).map(|&x| i64::from(x)),
            Values::I64(v) => v.get(u).copied(),
            Values::Dec(v) => v.get(u).filter(|d| d.scale() == 0).and_then(|d| i64::try_from(d.mantissa()).ok()),
        }
    }

    pub(super) fn len(&self) -> usize {
        match self {
            Values::I8(v) => v.len(),
            Values::I16(v) => v.len(),
            Values::I32(v) => v.len(),
            Values::I64(v) => v.len(),
            Values::Dec(v) => v.len(),
        }
    }

    #[inline]
    pub(super) fn set_int(&mut self, u: usize, x: i64) {
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

    /// Stores each `(u, x)` of one batch, widened once to hold `max`, the
    /// largest of them: what [`Values::set_int`] of each would leave.
    pub(super) fn set_batch(&mut self, max: u32, cells: impl Iterator<Item = (usize, u32)>) {
        fn fill<T: TryFrom<u32>>(v: &mut [T], cells: &mut impl Iterator<Item = (usize, u32)>) -> Option<(usize, u32)> {
            for (u, x) in cells {
                match T::try_from(x) {
                    Ok(small) => v[u] = small,
                    Err(_) => return Some((u, x)),
                }
            }
            None
        }
        if !self.holds(i64::from(max)) {
            self.widen(i64::from(max));
        }
        let mut cells = cells;
        let above = match self {
            Values::I8(v) => fill(v, &mut cells),
            Values::I16(v) => fill(v, &mut cells),
            Values::I32(v) => fill(v, &mut cells),
            Values::I64(v) => fill(v, &mut cells),
            Values::Dec(v) => {
                cells.by_ref().for_each(|(u, x)| v[u] = Decimal::from(x));
                None
            }
        };
        // A cell above `max` (not what the caller said): the rest one by one.
        if let Some((u, x)) = above {
            self.set_int(u, i64::from(x));
            cells.for_each(|(u, x)| self.set_int(u, i64::from(x)));
        }
    }

    /// Whether `x` is stored without widening.
    fn holds(&self, x: i64) -> bool {
        match self {
            Values::I8(_) => i8::try_from(x).is_ok(),
            Values::I16(_) => i16::try_from(x).is_ok(),
            Values::I32(_) => i32::try_from(x).is_ok(),
            Values::I64(_) | Values::Dec(_) => true,
        }
    }

    /// Integers widened to the narrowest type that also holds `x`.
    pub(super) fn widen(&mut self, x: i64) {
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

    /// Stores `d` as an integer when it was printed as one (scale 0, not -0).
    pub(super) fn set(&mut self, u: usize, d: Decimal) {
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
pub(super) struct Column {
    /// Index into `IndicatorData::tables`.
    pub(super) table: usize,
    pub(super) values: Values,
    pub(super) present: Bits,
    /// `None` when no cell was printed with `%`.
    pub(super) percent: Option<Bits>,
    /// Each cell's line; `None` when every cell is on its unit's row of a wide table.
    pub(super) lines: Option<Vec<u32>>,
}

impl Column {
    pub(super) fn new(table: usize, units: usize, per_cell_lines: bool) -> Self {
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
pub(super) struct TableStore {
    pub(super) measured_on: Arc<str>,
    pub(super) file: Arc<Path>,
    /// Wide: per unit, the line of its first row (0: none). Long: empty.
    pub(super) row_lines: Vec<u32>,
}

pub(super) fn line_u32(line_no: usize) -> u32 {
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
        if units.end > self.len() || !self.column.present.all(units.clone()) {
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
    pub(super) year: u16,
    pub(super) tables: Vec<TableMeta>,
    /// Indexed like `tables`.
    pub(super) stores: Vec<TableStore>,
    pub(super) indicators: Vec<IndicatorMeta>,
    /// Indexed like `indicators`.
    pub(super) columns: Vec<Column>,
    pub(super) by_key: HashMap<String, usize>,
    /// Unit ids in the order of the `units` given to [`load_indicators`].
    pub(super) unit_ids: UnitIds,
}

/// Unit ids by index, and indices by id (the last unit for an id two share).
///
/// The ids are kept one after the other in one text, and the table holds
/// indices only: two allocations instead of two per unit. With a `Box<str>`
/// per id in a map and a list, making and freeing them took about 1 ms of
/// a national load's 40 (10,000 units).
#[derive(Debug, Clone, Default)]
pub(super) struct UnitIds {
    text: String,
    /// Where each id ends in `text`.
    ends: Vec<usize>,
    by_id: hashbrown::HashTable<usize>,
}

fn id_hash(id: &str) -> u64 {
    use std::hash::BuildHasher;
    rustc_hash::FxBuildHasher.hash_one(id)
}

/// Id `i` of `text` cut at `ends`.
fn id_at<'t>(text: &'t str, ends: &[usize], i: usize) -> Option<&'t str> {
    let end = *ends.get(i)?;
    let start = if i == 0 { 0 } else { ends[i - 1] };
    text.get(start..end)
}

impl UnitIds {
    pub(super) fn new(units: &[UnitRef]) -> Self {
        let mut text = String::with_capacity(units.iter().map(|u| u.id.len()).sum());
        let mut ends = Vec::with_capacity(units.len());
        let mut by_id = hashbrown::HashTable::with_capacity(units.len());
        for (i, u) in units.iter().enumerate() {
            text.push_str(u.id);
            ends.push(text.len());
            let hash = id_hash(u.id);
            match by_id.find_mut(hash, |&j| id_at(&text, &ends, j) == Some(u.id)) {
                Some(j) => *j = i,
                None => {
                    by_id.insert_unique(hash, i, |&j| id_hash(id_at(&text, &ends, j).unwrap_or_default()));
                }
            }
        }
        UnitIds { text, ends, by_id }
    }

    pub(super) fn len(&self) -> usize {
        self.ends.len()
    }

    /// The id of unit `i`.
    pub(super) fn get(&self, i: usize) -> Option<&str> {
        id_at(&self.text, &self.ends, i)
    }

    /// The index of the unit with id `id`.
    pub(super) fn index(&self, id: &str) -> Option<usize> {
        self.by_id.find(id_hash(id), |&j| self.get(j) == Some(id)).copied()
    }
}

impl IndicatorData {
    pub(super) fn new(year: u16, units: &[UnitRef]) -> Self {
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

    pub(super) fn column_at(&self, k: usize) -> Option<ColumnRef<'_>> {
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

#[cfg(test)]
mod tests {
    use super::{Bits, UnitIds};
    use crate::input::indicators::UnitRef;

    /// Ids by index and indices by id, the last unit for an id two share.
    #[test]
    fn unit_ids_both_ways() {
        let ids = ["so-tc", "", "ub-muong-te", "so-tc", "ub-muong-t", "Sở", "x"];
        let units: Vec<UnitRef> = ids.iter().map(|id| UnitRef { id, name: id, aliases: &[], kind: "department" }).collect();
        let by = UnitIds::new(&units);
        assert_eq!(by.len(), ids.len());
        for (i, id) in ids.iter().enumerate() {
            assert_eq!(by.get(i), Some(*id));
        }
        assert_eq!(by.get(ids.len()), None);
        assert_eq!(by.index("so-tc"), Some(3));
        assert_eq!(by.index(""), Some(1));
        assert_eq!(by.index("ub-muong-te"), Some(2));
        assert_eq!(by.index("ub-muong-t"), Some(4));
        assert_eq!(by.index("Sở"), Some(5));
        assert_eq!(by.index("ub-muong"), None);
        assert_eq!(by.index("so-tcub"), None);
        assert_eq!(UnitIds::new(&[]).index(""), None);
    }

    /// `all` a word at a time answers as bit after bit.
    #[test]
    fn all_bits_of_a_range_as_one_by_one() {
        let n = 300;
        for hole in [None, Some(0), Some(63), Some(64), Some(130), Some(299)] {
            let mut b = Bits::new(n);
            (0..n).filter(|&i| Some(i) != hole).for_each(|i| b.set(i));
            for (a, z) in [(0, n), (0, 64), (1, 63), (60, 200), (64, 128), (129, 131), (299, 300), (5, 5), (250, 310)] {
                let want = (a..z).all(|i| b.get(i));
                assert_eq!(b.all(a..z), want, "hole {hole:?}, {a}..{z}");
            }
        }
    }
}
