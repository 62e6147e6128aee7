//! The council's scoring workbook read back (`parindex import`): a filled
//! template (`.xlsx`, `.xls`, `.ods` through calamine, or a `.csv` of one
//! sheet's shape) turned into the points awarded, every problem located at
//! its `Sheet!Cell`.
//!
//! The template (`parindex template`) has one sheet per unit kind, named by
//! [`kind_sheet`]. Its layout, which [`read_awards`] relies on:
//!
//! | row / column | holds |
//! |---|---|
//! | row 1 | the title |
//! | row 2 | the header: `Mã`, `Tiêu chí`, `Điểm tối đa`, `Căn cứ`, one column per unit (its name), `Ghi chú` |
//! | row 3 (hidden) | the unit id of each unit column, which maps the columns back |
//! | rows 4.. | one criterion a row: its id in column A, the points per unit |

use std::collections::BTreeMap;
use std::path::Path;

use rust_decimal::Decimal;

use crate::diag::{did_you_mean, Code, Diagnostic, Diagnostics, Location};
use crate::input::model::Model;

/// Columns before the first unit column.
pub const FIRST_UNIT_COL: usize = 4;
/// The row (0-based) of the hidden unit ids.
pub const ID_ROW: usize = 2;
/// The first row (0-based) of criteria.
pub const FIRST_ROW: usize = 3;
/// The header of the notes column.
pub const NOTES: &str = "Ghi chú";

/// The name of the scoring sheet of unit kind `k`: "Biểu chấm điểm sở".
/// The kind's first word when no other kind shares it, else its id; at
/// most 31 characters, as Excel allows.
pub fn kind_sheet(model: &Model, k: usize) -> String {
    let first = |name: &str| name.split([' ', ',']).next().unwrap_or_default().to_lowercase();
    let word = first(&model.kinds[k].name);
    let shared = model.kinds.iter().enumerate().any(|(j, other)| j != k && first(&other.name) == word);
    let tail = if word.is_empty() || shared { model.kinds[k].id.clone() } else { word };
    format!("Biểu chấm điểm {tail}").chars().take(31).collect()
}

/// One cell as read.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Number(Decimal),
    Text(String),
}

/// A sheet's cells by (row, column), 0-based.
#[derive(Debug, Default)]
pub struct Sheet {
    pub rows: Vec<Vec<Cell>>,
}

impl Sheet {
    pub fn get(&self, row: usize, col: usize) -> &Cell {
        self.rows.get(row).and_then(|r| r.get(col)).unwrap_or(&Cell::Empty)
    }

    fn text(&self, row: usize, col: usize) -> String {
        match self.get(row, col) {
            Cell::Text(t) => t.trim().to_owned(),
            Cell::Number(n) => n.normalize().to_string(),
            Cell::Empty => String::new(),
        }
    }
}

/// `F17`: the spreadsheet name of a 0-based cell.
pub fn cell_name(row: usize, col: usize) -> String {
    let mut letters = String::new();
    let mut c = col + 1;
    while c > 0 {
        let r = (c - 1) % 26;
        letters.insert(0, (b'A' + r as u8) as char);
        c = (c - 1) / 26;
    }
    format!("{letters}{}", row + 1)
}

/// Reads every sheet of a workbook; a `.csv` is one sheet named after the file.
pub fn read_sheets(path: &Path) -> Result<BTreeMap<String, Sheet>, Diagnostic> {
    let cannot = |e: String| Diagnostic::error(Code::Io, format!("cannot read `{}`: {e}", path.display())).in_file(path);
    let ext = path.extension().map(|e| e.to_string_lossy().to_lowercase()).unwrap_or_default();
    let mut out = BTreeMap::new();
    if ext == "csv" {
        let text = crate::input::csvread::read_text(path, path, Default::default(), crate::input::csvread::UTF8_FIX)?;
        let mut sheet = Sheet::default();
        crate::input::csvread::for_each_record(&text, b',', path, |r| {
            sheet.rows.push((0..r.len()).map(|i| csv_cell(r.get(i))).collect());
        })?;
        let name = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        out.insert(name, sheet);
        return Ok(out);
    }
    use calamine::{open_workbook_auto, Data, Reader};
    let mut wb = open_workbook_auto(path).map_err(|e| cannot(e.to_string()))?;
    for name in wb.sheet_names() {
        let range = wb.worksheet_range(&name).map_err(|e| cannot(e.to_string()))?;
        let (r0, c0) = range.start().map_or((0, 0), |(r, c)| (r as usize, c as usize));
        let mut sheet = Sheet::default();
        for (r, row) in range.rows().enumerate() {
            let cells = row.iter().map(|d| match d {
                Data::Empty => Cell::Empty,
                Data::Float(f) => excel_number(*f).map_or_else(|| Cell::Text(f.to_string()), Cell::Number),
                Data::Int(i) => Cell::Number(Decimal::from(*i)),
                Data::String(s) if s.trim().is_empty() => Cell::Empty,
                other => Cell::Text(other.to_string()),
            });
            let mut cells: Vec<Cell> = cells.collect();
            cells.splice(0..0, std::iter::repeat(Cell::Empty).take(c0));
            if sheet.rows.len() < r0 + r {
                sheet.rows.resize_with(r0 + r, Vec::new);
            }
            sheet.rows.push(cells);
        }
        out.insert(name, sheet);
    }
    Ok(out)
}

/// A number of a workbook as the spreadsheet shows it: to 15 significant
/// digits, the precision Excel keeps and displays. The binary float a cell
/// holds carries noise beyond them: `=0.1+0.2` holds 0.30000000000000004,
/// and is read as the 0.3 the official sees.
fn excel_number(f: f64) -> Option<Decimal> {
    if !f.is_finite() {
        return None;
    }
    Decimal::from_scientific(&format!("{f:.14e}")).ok().map(|d| d.normalize())
}

fn csv_cell(t: &str) -> Cell {
    let t = t.trim();
    if t.is_empty() {
        return Cell::Empty;
    }
    // Exact: more digits than a decimal holds is not a number of points.
    match Decimal::from_str_exact(t) {
        Ok(d) => Cell::Number(d),
        Err(_) => Cell::Text(t.to_owned()),
    }
}

/// Points read from a workbook: (unit index, node index) → points (`None`
/// for an empty cell: no points there), with the cell each came from.
pub type Awards = BTreeMap<(usize, usize), (Option<Decimal>, String)>;

/// The awards of the workbook at `path` under `model`: every problem is
/// reported at its `Sheet!Cell`, with its unit and criterion.
pub fn read_awards(model: &Model, path: &Path, sheets: &BTreeMap<String, Sheet>, diags: &mut Diagnostics) -> Awards {
    let mut awards = Awards::new();
    let csv = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    // Sheets read as a kind's: a `.csv` that is none is told, not read as nothing.
    let mut read = 0;
    for k in 0..model.kinds.len() {
        if !model.units.iter().any(|u| u.kind == k) {
            continue;
        }
        let mut name = kind_sheet(model, k);
        // A `.csv` holds one sheet, of the kind of the units it names.
        if csv && !sheets.contains_key(&name) {
            let Some((only, sheet)) = sheets.iter().next() else { continue };
            let kind_of_first = (FIRST_UNIT_COL..sheet.rows.get(ID_ROW).map_or(0, Vec::len))
                .find_map(|c| model.units.iter().find(|u| u.id == sheet.text(ID_ROW, c).as_str()))
                .map(|u| u.kind);
            if kind_of_first != Some(k) {
                continue;
            }
            name = only.clone();
        }
        let Some(sheet) = sheets.get(&name) else {
            let mut d = Diagnostic::error(Code::WorkbookShape, format!("sheet `{name}` is missing")).in_file(path);
            if let Some(m) = did_you_mean(&name, sheets.keys().map(String::as_str)) {
                d = d.help(format!("did you mean `{m}`? the sheets are those of `parindex template`"));
            } else {
                d = d.help("start from the workbook `parindex template` writes");
            }
            diags.push(d);
            continue;
        };
        read += 1;
        let at = |row: usize, col: usize| format!("{name}!{}", cell_name(row, col));
        let here = |d: Diagnostic, row: usize, col: usize| d.at(Location::at(path, row + 1, col + 1));
        // The unit of each column, from the hidden row of ids.
        let width = sheet.rows.iter().map(Vec::len).max().unwrap_or(0);
        let mut columns: Vec<(usize, usize)> = Vec::new();
        for col in FIRST_UNIT_COL..width {
            let id = sheet.text(ID_ROW, col);
            if id.is_empty() || sheet.text(ID_ROW - 1, col) == NOTES {
                continue;
            }
            match model.units.iter().position(|u| u.id == id.as_str()) {
                Some(u) if model.units[u].kind == k => columns.push((col, u)),
                Some(u) => diags.push(here(
                    Diagnostic::error(
                        Code::WorkbookShape,
                        format!("`{}`: unit `{id}` is a `{}`, not of this sheet", at(ID_ROW, col), model.kinds[model.units[u].kind].id),
                    )
                    .unit(id.as_str()),
                    ID_ROW,
                    col,
                )),
                None => {
                    let mut d =
                        Diagnostic::error(Code::UnknownUnit, format!("`{}`: unknown unit `{id}`", at(ID_ROW, col))).unit(id.as_str());
                    if let Some(m) = did_you_mean(&id, model.units.iter().map(|u| u.id.as_str())) {
                        d = d.help(format!("did you mean `{m}`?"));
                    }
                    diags.push(here(d, ID_ROW, col));
                }
            }
        }
        let named_units = (FIRST_UNIT_COL..width).any(|col| !sheet.text(ID_ROW, col).is_empty());
        if !named_units {
            diags.push(
                Diagnostic::error(
                    Code::WorkbookShape,
                    format!(
                        "sheet `{name}` names no unit: row {}, the hidden row of unit ids, is empty from column {} on",
                        ID_ROW + 1,
                        cell_name(ID_ROW, FIRST_UNIT_COL)
                    ),
                )
                .in_file(path)
                .help("start from the workbook `parindex template` writes, and keep its hidden row 3"),
            );
        }
        let mut criteria = 0;
        for row in FIRST_ROW..sheet.rows.len() {
            let id = sheet.text(row, 0);
            if id.is_empty() {
                continue;
            }
            criteria += 1;
            let Some(node) = model.node_index(&id) else {
                let mut d =
                    Diagnostic::error(Code::UnknownCriterion, format!("`{}`: unknown criterion `{id}`", at(row, 0))).criterion(id.as_str());
                if let Some(m) = did_you_mean(&id, model.nodes.iter().map(|n| n.id.as_str())) {
                    d = d.help(format!("did you mean `{m}`?"));
                }
                diags.push(here(d, row, 0));
                continue;
            };
            for &(col, u) in &columns {
                let unit = &model.units[u];
                let cell = at(row, col);
                let located = |d: Diagnostic| here(d.unit(unit.id.as_str()).criterion(id.as_str()), row, col);
                let points = match sheet.get(row, col) {
                    Cell::Empty => {
                        awards.insert((u, node), (None, cell));
                        continue;
                    }
                    Cell::Text(t) => {
                        diags.push(located(
                            Diagnostic::error(Code::BadValue, format!("`{cell}`: `{t}` is not a number of points"))
                                .help("write the points as a number (`1.5`), or leave the cell empty"),
                        ));
                        continue;
                    }
                    Cell::Number(n) => *n,
                };
                let Some(max) = model.nodes[node].max[k] else {
                    diags.push(located(Diagnostic::error(
                        Code::PointsNotEvaluated,
                        format!("`{cell}`: criterion `{id}` has no maximum for this kind"),
                    )));
                    continue;
                };
                if model.exempt.contains_key(&(u, node)) {
                    diags.push(located(Diagnostic::error(
                        Code::PointsNotEvaluated,
                        format!("`{cell}`: unit `{}` is not evaluated on `{id}`", unit.id),
                    )));
                    continue;
                }
                if points.is_sign_negative() && !points.is_zero() {
                    diags.push(located(Diagnostic::error(Code::ScoreBelowZero, format!("`{cell}`: {points} points, below 0"))));
                    continue;
                }
                if points > max {
                    diags.push(located(Diagnostic::error(
                        Code::ScoreAboveMax,
                        format!("`{cell}`: {points} points, above the maximum {max}"),
                    )));
                    continue;
                }
                awards.insert((u, node), (Some(points), cell));
            }
        }
        let filled = awards.iter().filter(|(&(u, _), (p, _))| p.is_some() && model.units[u].kind == k).count();
        if criteria > 0 && !columns.is_empty() && filled == 0 {
            diags.push(
                Diagnostic::warning(
                    Code::WorkbookShape,
                    format!(
                        "sheet `{name}` holds no points: importing it removes every point of its {} units on its criteria",
                        columns.len()
                    ),
                )
                .in_file(path)
                .help("an empty cell removes the points there; fill the sheet before importing it"),
            );
        }
        if criteria == 0 {
            diags.push(
                Diagnostic::error(
                    Code::WorkbookShape,
                    format!("sheet `{name}` has no criterion: column A holds no criterion id from row {} on", FIRST_ROW + 1),
                )
                .in_file(path)
                .help("start from the workbook `parindex template` writes"),
            );
        }
    }
    if csv && read == 0 {
        let mut d = Diagnostic::error(
            Code::WorkbookShape,
            format!(
                "`{}` is not a scoring sheet: its row {} names no unit of {} from column {} on",
                path.display(),
                ID_ROW + 1,
                model.year,
                cell_name(ID_ROW, FIRST_UNIT_COL)
            ),
        )
        .in_file(path);
        d = d.help("save one sheet of the workbook `parindex template` writes as CSV, its hidden row 3 of unit ids kept");
        diags.push(d);
    }
    awards
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_read_to_the_fifteen_digits_a_spreadsheet_shows() {
        for (f, shown) in
            [(0.1 + 0.2, "0.3"), (2.08, "2.08"), (1.04 * 3.0, "3.12"), (13.5, "13.5"), (0.0, "0"), (7.0, "7"), (1e-7, "0.0000001")]
        {
            assert_eq!(excel_number(f).map(|d| d.to_string()), Some(shown.to_string()), "{f:?}");
        }
        assert_eq!(excel_number(123_456_789.123_456_79).map(|d| d.to_string()), Some("123456789.123457".to_string()));
        assert_eq!(excel_number(f64::NAN), None);
        assert_eq!(excel_number(f64::INFINITY), None);
    }

    #[test]
    fn cells_are_named_as_spreadsheets_name_them() {
        assert_eq!(cell_name(0, 0), "A1");
        assert_eq!(cell_name(16, 5), "F17");
        assert_eq!(cell_name(2, 26), "AA3");
    }
}
