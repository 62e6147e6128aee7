//! The rows of one table: the header, then each record as the `csv` crate
//! splits it, every cell checked and stored in its column.

use std::collections::HashMap;
use std::path::Path;

use rust_decimal::Decimal;

use super::matching::UnitMatcher;
use super::store::{line_u32, Bits};
use super::{IndicatorData, IndicatorMeta, Layout, UnitCtx};
use crate::diag::{did_you_mean, Code, Diagnostic, Diagnostics};
use crate::input::csvread::{at_field, at_line, field_offset, for_each_record, record_end, Record};
use crate::input::numfmt::{parse_number, NumberFormat};

/// What storing a cell of one column checks, prepared once per column.
pub(super) struct ColumnCheck {
    /// The indicator is a rate (`unit = "%"`): values lie in 0–100.
    pub(super) rate: bool,
    /// Per kind index: the indicator applies to the kind.
    pub(super) applies: Vec<bool>,
}

/// The table being read: its place in the data and what it shares.
pub(super) struct TableCtx<'t> {
    /// Index of the table in `IndicatorData::tables`.
    pub(super) index: usize,
    /// Index of its first indicator in `IndicatorData::indicators`.
    pub(super) first: usize,
    pub(super) id: &'t str,
    pub(super) file: &'t Path,
    /// The file's text, decoded.
    pub(super) text: &'t str,
    pub(super) sep: u8,
    pub(super) layout: Layout,
    pub(super) number_format: Option<NumberFormat>,
    pub(super) checks: Vec<ColumnCheck>,
}

/// What reading the rows of one table needs besides the data.
pub(super) struct Env<'e, 't, 'u, 'a> {
    pub(super) tc: &'e TableCtx<'t>,
    pub(super) indicators: &'e [IndicatorMeta],
    pub(super) matcher: &'e UnitMatcher<'u, 'a>,
    pub(super) units: &'e UnitCtx<'u, 'a>,
}

/// The rows of a table read so far: the header, once read.
pub(super) struct Rows<'e> {
    by_id: HashMap<&'e str, usize>,
    /// The header's width, and for a wide table the local indicator of each column after the unit's.
    pub(super) header: Option<(usize, Vec<Option<usize>>)>,
    /// A broken header stops the table.
    pub(super) stop: bool,
}

impl<'e> Rows<'e> {
    pub(super) fn new(indicators: &'e [IndicatorMeta]) -> Self {
        Rows { by_id: indicators.iter().enumerate().map(|(k, i)| (i.id.as_str(), k)).collect(), header: None, stop: false }
    }

    /// The local index of the indicator with this id.
    pub(super) fn indicator(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).copied()
    }

    fn unknown_indicator(&self, env: &Env, text: &str, id: &str, record: &Record, field: usize) -> Diagnostic {
        let tc = env.tc;
        let mut d = Diagnostic::error(Code::UnknownReference, format!("indicator `{id}` is not declared in table `{}`", tc.id));
        if let Some(m) = did_you_mean(id, env.indicators.iter().map(|i| i.id.as_str())) {
            d = d.help(format!("did you mean `{m}`?"));
        }
        at_field(d, tc.file, text, record, tc.sep, field)
    }

    /// Reads one record of `text` (the table's text, or a part of it that
    /// holds the record): the header, then each row into the columns, with
    /// every check.
    pub(super) fn record(&mut self, env: &Env, text: &str, data: &mut IndicatorData, record: &Record, diags: &mut Diagnostics) {
        let (tc, units, matcher) = (env.tc, env.units, env.matcher);
        let (file, sep) = (tc.file, tc.sep);
        if self.stop {
            return;
        }
        let Some((width, columns)) = &self.header else {
            let mut columns = Vec::new();
            match tc.layout {
                Layout::Long if record.len() < 3 => {
                    let d = Diagnostic::error(
                        Code::CsvSyntax,
                        format!("a `long` table needs 3 columns (indicator, unit, value), the header has {}", record.len()),
                    )
                    .help("the header names the columns: indicator id, unit, value, then any notes");
                    diags.push(at_line(d, file, text, record.line, record.start, record.start));
                    self.stop = true;
                    return;
                }
                Layout::Long => {}
                Layout::Wide => {
                    for i in 1..record.len() {
                        let id = record.get(i).trim();
                        let col = self.indicator(id);
                        if col.is_none() {
                            diags.push(self.unknown_indicator(env, text, id, record, i));
                        }
                        columns.push(col);
                    }
                }
            }
            self.header = Some((record.len(), columns));
            return;
        };
        let unit_field = match tc.layout {
            Layout::Long => 1,
            Layout::Wide => 0,
        };
        let unit_text = record.get(unit_field);
        let found = matcher.find(unit_text);
        if record.len() != *width {
            let named = match found {
                Some(u) => format!("unit `{}`", units.units[u].id),
                None => format!("`{}`", unit_text.trim()),
            };
            let (msg, at) = if record.len() > *width {
                (
                    format!("the row of {named} has {} fields where the header has {width}", record.len()),
                    field_offset(text, record, sep, *width),
                )
            } else {
                (format!("the row of {named} has {} fields where the header has {width}", record.len()), record_end(text, record, sep))
            };
            let mut d = Diagnostic::error(Code::CsvSyntax, msg)
                .help("quote a value that holds the separator (`\"12,5\"`), and give every row as many fields as the header");
            if let Some(u) = found {
                d = d.unit(units.units[u].id);
            }
            diags.push(at_line(d, file, text, record.line, record.start, at));
            return;
        }
        let Some(u) = found else {
            let mut d =
                Diagnostic::warning(Code::UnmatchedName, format!("`{}` matches no unit; its values are not used", unit_text.trim()));
            if let Some(h) = matcher.closest_help(unit_text) {
                d = d.help(h);
            }
            diags.push(at_field(d, file, text, record, sep, unit_field));
            return;
        };
        match tc.layout {
            Layout::Long => {
                let id = record.get(0).trim();
                match self.indicator(id) {
                    Some(k) => store(data, tc, k, u, (text, record, 2), units, diags),
                    None => diags.push(self.unknown_indicator(env, text, id, record, 0)),
                }
            }
            Layout::Wide => {
                if let Some(first_line) = data.stores[tc.index].row_lines.get_mut(u) {
                    if *first_line == 0 {
                        *first_line = line_u32(record.line);
                    }
                }
                for (i, c) in columns.iter().enumerate() {
                    if let Some(k) = *c {
                        store(data, tc, k, u, (text, record, i + 1), units, diags);
                    }
                }
            }
        }
    }
}

/// Reads every record of the table into its columns: a wide table without
/// quotes in parallel batches ([`wide`](super::wide)), any other through
/// the `csv` crate.
pub(super) fn read_rows(env: &Env, data: &mut IndicatorData, diags: &mut Diagnostics) {
    let tc = env.tc;
    let mut rows = Rows::new(env.indicators);
    if tc.layout == Layout::Wide && super::wide::read(env, &mut rows, data, diags) {
        return;
    }
    let read = for_each_record(tc.text, tc.sep, tc.file, |record| rows.record(env, tc.text, data, record, diags));
    if let Err(d) = read {
        diags.push(d);
        return;
    }
    if rows.header.is_none() {
        diags.push(
            Diagnostic::error(Code::CsvSyntax, "the file has no header row").in_file(tc.file).help("the first row names the columns"),
        );
    }
}

/// The value of a cell printed as digits only, read without allocating.
#[inline]
pub(super) fn plain_integer(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.is_empty() || b.len() > 18 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0i64, |v, &c| v * 10 + i64::from(c - b'0')))
}

/// Stores one cell of local column `k` for unit `u`, with every check.
#[allow(clippy::too_many_arguments)]
fn store(
    data: &mut IndicatorData,
    tc: &TableCtx,
    k: usize,
    u: usize,
    cell: (&str, &Record, usize),
    units: &UnitCtx,
    diags: &mut Diagnostics,
) {
    let (source, record, field) = cell;
    let text = record.get(field);
    let g = tc.first + k;
    let check = &tc.checks[k];
    let unit = &units.units[u];
    let here = |d: Diagnostic| at_field(d.unit(unit.id).criterion(&data.indicators[g].key), tc.file, source, record, tc.sep, field);
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
    let line = line_u32(record.line);
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
