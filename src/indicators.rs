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

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rust_decimal::Decimal;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
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

/// One measured value of one unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Measurement {
    /// As printed: "98,97%" is 98.97.
    pub value: Decimal,
    /// The value was printed with `%`.
    pub percent: bool,
    /// The table's `measured_on` date.
    pub measured_on: String,
    /// The CSV file it was read from, and its 1-based line.
    pub file: PathBuf,
    pub line: usize,
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
    /// Unit ids that should appear in the table.
    pub expected_units: Vec<String>,
    pub note: Option<String>,
}

/// All indicator values of one year, by key and unit id.
#[derive(Debug, Clone, Default)]
pub struct IndicatorData {
    year: u16,
    tables: Vec<TableMeta>,
    indicators: Vec<IndicatorMeta>,
    /// Per indicator, per unit (index into `unit_ids` order).
    values: Vec<Vec<Option<Measurement>>>,
    by_key: HashMap<String, usize>,
    unit_index: HashMap<String, usize>,
}

impl IndicatorData {
    fn new(year: u16, units: &[UnitRef]) -> Self {
        let unit_index = units.iter().enumerate().map(|(i, u)| (u.id.to_owned(), i)).collect();
        IndicatorData { year, unit_index, ..IndicatorData::default() }
    }

    /// The year of the declaration these values come from.
    pub fn year(&self) -> u16 {
        self.year
    }

    /// The value of indicator `key` (`portal.hai_long`) for unit `unit_id`.
    pub fn get(&self, key: &str, unit_id: &str) -> Option<&Measurement> {
        let k = *self.by_key.get(key)?;
        let u = *self.unit_index.get(unit_id)?;
        self.values.get(k)?.get(u)?.as_ref()
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

    /// Values of indicator `key`, as (unit id, measurement).
    pub fn values_of<'s>(&'s self, key: &str) -> impl Iterator<Item = (&'s str, &'s Measurement)> + 's {
        let mut ids: Vec<(&str, usize)> = self.unit_index.iter().map(|(id, &i)| (id.as_str(), i)).collect();
        ids.sort_by_key(|&(_, i)| i);
        let series = self.by_key.get(key).and_then(|&k| self.values.get(k));
        ids.into_iter().filter_map(move |(id, i)| Some((id, series?.get(i)?.as_ref()?)))
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
fn data_lines(src: &str) -> impl Iterator<Item = (usize, &str)> {
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
    let ctx = DeclCtx { root, path: &decl_path, src: &src, units, kinds: &kinds };
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
            read_table(root, &mut data, checked, &matcher, units, &mut diags);
        }
    }
    diags.strip_root(root);
    (data, diags)
}

struct DeclCtx<'c, 'a> {
    root: &'c Path,
    path: &'c Path,
    src: &'c str,
    units: &'c [UnitRef<'a>],
    kinds: &'c [&'c str],
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
    let mut indicators: Vec<IndicatorMeta> = Vec::new();
    for ind in t.indicator {
        let id = ind.id.get_ref().trim().to_owned();
        if indicators.iter().any(|i| i.id == id) {
            diags.push(err_at(Code::Duplicate, format!("indicator `{id}` is declared twice in table `{table_id}`"), ind.id.span().start));
            continue;
        }
        let key = format!("{table_id}.{id}");
        let mut applies_to = Vec::new();
        for k in &ind.applies_to {
            let kind = k.get_ref().trim();
            if !ctx.units.is_empty() && !ctx.kinds.contains(&kind) {
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
        let expected_units = match &ind.expected_units {
            Some(list) => {
                let mut ids = Vec::new();
                for u in list {
                    let uid = u.get_ref().trim();
                    if ctx.units.iter().any(|x| x.id == uid) {
                        ids.push(uid.to_owned());
                    } else {
                        let mut d =
                            err_at(Code::UnknownUnit, format!("unknown unit `{uid}` in `expected_units`"), u.span().start).criterion(&key);
                        if let Some(m) = did_you_mean(uid, ctx.units.iter().map(|x| x.id)) {
                            d = d.help(format!("did you mean `{m}`?"));
                        }
                        diags.push(d);
                    }
                }
                ids
            }
            None => ctx.units.iter().filter(|u| applies_to.iter().any(|k| k == u.kind)).map(|u| u.id.to_owned()).collect(),
        };
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

/// Where one cell of a table comes from, for the diagnostics of storing it.
struct Cell<'l> {
    line_no: usize,
    line: &'l str,
    offset: usize,
}

fn read_table(root: &Path, data: &mut IndicatorData, t: CheckedTable, matcher: &UnitMatcher, units: &[UnitRef], diags: &mut Diagnostics) {
    let CheckedTable { meta, indicators } = t;
    let first = data.indicators.len();
    for ind in &indicators {
        data.by_key.insert(ind.key.clone(), data.indicators.len());
        data.indicators.push(ind.clone());
        data.values.push(vec![None; units.len()]);
    }
    let Some(src) = read_source(&root.join(&meta.file), diags) else {
        data.tables.push(meta);
        return;
    };
    let file = meta.file.clone();
    let sep = meta.separator as u8;
    let mut fields: Vec<Field> = Vec::new();
    let mut lines = data_lines(&src);
    let Some((hline_no, hline)) = lines.next() else {
        diags.push(Diagnostic::error(Code::CsvSyntax, "the file has no header row").in_file(&file));
        data.tables.push(meta);
        return;
    };
    let local = |id: &str| indicators.iter().position(|i| i.id == id).map(|p| first + p);
    let unknown_indicator = |id: &str, line_no: usize, line: &str, off: usize| {
        let mut d = Diagnostic::error(Code::UnknownReference, format!("indicator `{id}` is not declared in table `{}`", meta.id));
        if let Some(m) = did_you_mean(id, indicators.iter().map(|i| i.id.as_str())) {
            d = d.help(format!("did you mean `{m}`?"));
        }
        at_csv(d, &file, line_no, line, off)
    };
    // Wide: the header names the indicator of each column.
    let mut columns: Vec<Option<usize>> = Vec::new();
    if let Err((off, msg)) = split_record(hline, sep, &mut fields) {
        diags.push(at_csv(Diagnostic::error(Code::CsvSyntax, msg), &file, hline_no, hline, off));
        data.tables.push(meta);
        return;
    }
    match meta.layout {
        Layout::Long if fields.len() < 3 => {
            diags.push(at_csv(
                Diagnostic::error(
                    Code::CsvSyntax,
                    format!("a `long` table needs 3 columns (indicator, unit, value), the header has {}", fields.len()),
                ),
                &file,
                hline_no,
                hline,
                0,
            ));
            data.tables.push(meta);
            return;
        }
        Layout::Long => {}
        Layout::Wide => {
            for (off, name) in fields.iter().skip(1) {
                let id = name.trim();
                let col = local(id);
                if col.is_none() {
                    diags.push(unknown_indicator(id, hline_no, hline, *off));
                }
                columns.push(col);
            }
        }
    }
    let width = fields.len();
    let mut seen_lines: Vec<Vec<usize>> = vec![vec![0; units.len()]; indicators.len()];
    for (line_no, line) in lines {
        if let Err((off, msg)) = split_record(line, sep, &mut fields) {
            diags.push(at_csv(Diagnostic::error(Code::CsvSyntax, msg), &file, line_no, line, off));
            continue;
        }
        if fields.len() < width.min(3) || (meta.layout == Layout::Wide && fields.len() != width) {
            diags.push(at_csv(
                Diagnostic::error(Code::CsvSyntax, format!("{} fields where the header has {width}", fields.len())),
                &file,
                line_no,
                line,
                0,
            ));
            continue;
        }
        let (unit_off, unit_text) = match meta.layout {
            Layout::Long => (fields[1].0, &fields[1].1),
            Layout::Wide => (fields[0].0, &fields[0].1),
        };
        let Some(u) = matcher.find(unit_text) else {
            let mut d =
                Diagnostic::warning(Code::UnmatchedName, format!("`{}` matches no unit; its values are not used", unit_text.trim()));
            if let Some(h) = matcher.closest_help(unit_text) {
                d = d.help(h);
            }
            diags.push(at_csv(d, &file, line_no, line, unit_off));
            continue;
        };
        let cells: Vec<(usize, usize, &str)> = match meta.layout {
            Layout::Long => {
                let id = fields[0].1.trim();
                match local(id) {
                    Some(k) => vec![(k, fields[2].0, fields[2].1.as_ref())],
                    None => {
                        diags.push(unknown_indicator(id, line_no, line, fields[0].0));
                        continue;
                    }
                }
            }
            Layout::Wide => {
                columns.iter().zip(fields.iter().skip(1)).filter_map(|(c, (off, text))| c.map(|k| (k, *off, text.as_ref()))).collect()
            }
        };
        for (k, off, text) in cells {
            let cell = Cell { line_no, line, offset: off };
            store(data, &meta, k, u, text, &cell, &mut seen_lines[k - first], units, diags);
        }
    }
    for (k, ind) in indicators.iter().enumerate() {
        for uid in &ind.expected_units {
            let Some(&u) = data.unit_index.get(uid) else {
                continue;
            };
            if data.values[first + k][u].is_none() {
                diags.push(
                    Diagnostic::warning(
                        Code::UnmatchedName,
                        format!("unit `{uid}` ({}) is missing from table `{}`, indicator `{}`", units[u].name, meta.id, ind.id),
                    )
                    .in_file(&file)
                    .unit(uid)
                    .criterion(&ind.key),
                );
            }
        }
    }
    data.tables.push(meta);
}

#[allow(clippy::too_many_arguments)]
fn store(
    data: &mut IndicatorData,
    meta: &TableMeta,
    k: usize,
    u: usize,
    text: &str,
    cell: &Cell,
    seen: &mut [usize],
    units: &[UnitRef],
    diags: &mut Diagnostics,
) {
    if text.trim().is_empty() {
        return;
    }
    let ind = &data.indicators[k];
    let unit = &units[u];
    let here = |d: Diagnostic| at_csv(d.unit(unit.id).criterion(&ind.key), &meta.file, cell.line_no, cell.line, cell.offset);
    let parsed = match parse_number(text, meta.number_format) {
        Ok(p) => p,
        Err(e) => {
            diags.push(here(Diagnostic::error(e.code(), e.to_string())));
            return;
        }
    };
    if let Some(w) = &parsed.warning {
        diags.push(here(Diagnostic::warning(Code::AmbiguousNumber, format!("`{}`: {w}", text.trim()))));
    }
    if ind.unit.as_deref() == Some("%")
        && (parsed.value.is_sign_negative() && !parsed.value.is_zero() || parsed.value > Decimal::ONE_HUNDRED)
    {
        diags.push(here(Diagnostic::error(Code::BadValue, format!("percentage `{}` is outside 0–100", text.trim()))));
        return;
    }
    if !ind.applies_to.is_empty() && !ind.applies_to.iter().any(|k| k == unit.kind) {
        diags.push(here(Diagnostic::warning(
            Code::BadValue,
            format!("unit `{}` is a `{}`; indicator `{}` applies to {}", unit.id, unit.kind, ind.key, ind.applies_to.join(", ")),
        )));
    }
    if seen[u] != 0 {
        diags.push(here(
            Diagnostic::error(Code::Duplicate, format!("second value for unit `{}`, indicator `{}`", unit.id, ind.key))
                .help(format!("the first is on line {}; it is kept", seen[u])),
        ));
        return;
    }
    seen[u] = cell.line_no;
    data.values[k][u] = Some(Measurement {
        value: parsed.value,
        percent: parsed.percent,
        measured_on: meta.measured_on.clone(),
        file: meta.file.clone(),
        line: cell.line_no,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
