//! The officials' workbook (`parindex export --format xlsx`): the report's
//! tables as Excel sheets, laid out as the published report prints them
//! (seed 002, Biểu 1 and 2).
//!
//! | sheet | holds |
//! |---|---|
//! | `Biểu 1`, `Biểu 2`, ... | one per unit kind, in the model's order: STT, unit, the points of each part that applies to the kind, total, index, and under the merged header "Tỷ lệ tăng/giảm so với năm <previous year>" the change of index and of rank; a row per ranking group (I, II, ...), "Không đánh giá" where a unit is exempt from a part, the kind's average last |
//! | `Chỉ số thành phần` | each unit's component indices, with data bars |
//! | one per unit (its id) | the unit's criteria tree: id, name, maximum, points, exempt or not, source |
//!
//! Numbers are numeric cells whose number format shows the declared
//! decimals (`0.00`); they are the shown values of the [`Report`], turned
//! into the binary fractions a spreadsheet holds only here, at the edge.
//! Header rows are frozen, columns sized to their text, pages A4
//! landscape; the fingerprint is in the workbook's properties and in every
//! sheet's footer.

use rust_decimal::prelude::ToPrimitive;
use rust_xlsxwriter::{ConditionalFormatDataBar, DocProperties, Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError};

use crate::report::shown::Shown;
use crate::report::{roman, Report, UnitRow};
use crate::score::eval::{Outcome, Status};
use crate::score::ruleset::RuleSet;

/// Text of a cell where the unit is not evaluated.
pub const NOT_EVALUATED: &str = "Không đánh giá";

/// The name of the sheet of kind `k` (0-based): "Biểu 1".
pub fn kind_sheet(k: usize) -> String {
    format!("Biểu {}", k + 1)
}

/// The sheet of component indices.
pub const COMPONENTS_SHEET: &str = "Chỉ số thành phần";

/// The workbook of a year's results, as bytes of an `.xlsx` file.
pub fn workbook(rs: &RuleSet, outcome: &Outcome, report: &Report) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let sha = &report.fingerprint.sha256;
    wb.set_properties(
        &DocProperties::new()
            .set_title(&report.name)
            .set_subject(format!("Chỉ số cải cách hành chính năm {}", report.year))
            .set_comment(format!("fingerprint {sha}"))
            .set_custom_property("fingerprint", sha.as_str()),
    );
    let f = Formats::new(rs);
    for k in 0..rs.model.kinds.len() {
        if report.units.iter().any(|u| u.kind == rs.model.kinds[k].id) {
            kind_table(wb.add_worksheet(), rs, report, k, &f)?;
        }
    }
    components(wb.add_worksheet(), rs, report, &f)?;
    for u in &report.units {
        unit_tree(wb.add_worksheet(), rs, outcome, u, &f)?;
    }
    wb.save_to_buffer()
}

/// The cell formats every sheet shares.
pub(crate) struct Formats {
    pub title: Format,
    pub header: Format,
    pub text: Format,
    pub group: Format,
    pub points: Format,
    pub index: Format,
    pub whole: Format,
    pub center: Format,
}

impl Formats {
    pub(crate) fn new(rs: &RuleSet) -> Formats {
        let r = &rs.model.rounding;
        let decimals = |d: u32| if d == 0 { "0".to_owned() } else { format!("0.{}", "0".repeat(d as usize)) };
        let cell = Format::new().set_border(FormatBorder::Thin).set_font_name("Times New Roman").set_font_size(12);
        Formats {
            title: Format::new().set_bold().set_font_name("Times New Roman").set_font_size(14).set_align(FormatAlign::Center),
            header: cell.clone().set_bold().set_text_wrap().set_align(FormatAlign::Center).set_align(FormatAlign::VerticalCenter),
            text: cell.clone().set_text_wrap(),
            group: cell.clone().set_bold(),
            points: cell.clone().set_num_format(decimals(r.points.decimals)),
            index: cell.clone().set_num_format(decimals(r.index.decimals)),
            whole: cell.clone().set_num_format("0"),
            center: cell.set_align(FormatAlign::Center),
        }
    }
}

/// The footer of every sheet: the page and the fingerprint.
pub(crate) fn footer(sheet: &mut Worksheet, sha: &str) {
    sheet.set_footer(format!("&Lfingerprint {sha}&RTrang &P/&N"));
}

/// A4 landscape, fit to the page's width, the header rows repeated.
pub(crate) fn print_setup(sheet: &mut Worksheet, header_rows: u32) -> Result<(), XlsxError> {
    sheet.set_landscape().set_paper_size(9).set_print_fit_to_pages(1, 0);
    if header_rows > 0 {
        sheet.set_repeat_rows(0, header_rows - 1)?;
    }
    Ok(())
}

/// A shown number as the spreadsheet holds it.
pub(crate) fn number(s: &Shown) -> f64 {
    s.as_str().parse::<f64>().unwrap_or_default()
}

/// Column widths from the longest text of each column (wrapped past `max`).
struct Widths(Vec<usize>);

impl Widths {
    fn see(&mut self, col: usize, text: &str) {
        if self.0.len() <= col {
            self.0.resize(col + 1, 4);
        }
        self.0[col] = self.0[col].max(text.chars().count());
    }

    fn apply(&self, sheet: &mut Worksheet, max: usize) -> Result<(), XlsxError> {
        for (c, w) in self.0.iter().enumerate() {
            sheet.set_column_width(c as u16, (*w).min(max) as f64 + 2.0)?;
        }
        Ok(())
    }
}

fn kind_table(sheet: &mut Worksheet, rs: &RuleSet, report: &Report, k: usize, f: &Formats) -> Result<(), XlsxError> {
    let m = &rs.model;
    let kind = &m.kinds[k];
    sheet.set_name(kind_sheet(k))?;
    let parts: Vec<usize> = (0..m.parts.len()).filter(|&p| m.part_applies(p, k)).collect();
    let change = m.previous_year;
    // Columns: STT, unit, parts, total, index, then the change of index and rank.
    let first_num = 2u16;
    let total_col = first_num + parts.len() as u16;
    let index_col = total_col + 1;
    let last_col = if change.is_some() { index_col + 2 } else { index_col };
    let mut widths = Widths(Vec::new());
    sheet.merge_range(
        0,
        0,
        0,
        last_col,
        &format!("{}: KẾT QUẢ CHỈ SỐ TỔNG HỢP CỦA CÁC {}", kind_sheet(k).to_uppercase(), kind.name.to_uppercase()),
        &f.title,
    )?;
    sheet.merge_range(1, 0, 2, 0, "STT", &f.header)?;
    sheet.merge_range(1, 1, 2, 1, "Đơn vị", &f.header)?;
    widths.see(1, "Sở Văn hóa, thể thao và Du lịch");
    for (i, &p) in parts.iter().enumerate() {
        let c = first_num + i as u16;
        sheet.merge_range(1, c, 2, c, &m.parts[p].name, &f.header)?;
        widths.see(c as usize, "Điểm thẩm định");
    }
    sheet.merge_range(1, total_col, 2, total_col, "Tổng điểm", &f.header)?;
    sheet.merge_range(1, index_col, 2, index_col, "Chỉ số %", &f.header)?;
    widths.see(total_col as usize, "Tổng điểm");
    widths.see(index_col as usize, "Chỉ số %");
    if let Some(prev) = change {
        sheet.merge_range(1, index_col + 1, 1, index_col + 2, &format!("Tỷ lệ tăng/giảm so với năm {prev}"), &f.header)?;
        sheet.write_string_with_format(2, index_col + 1, "Điểm chỉ số (%)", &f.header)?;
        sheet.write_string_with_format(2, index_col + 2, "Thứ hạng", &f.header)?;
        widths.see(index_col as usize + 1, "Điểm chỉ số");
        widths.see(index_col as usize + 2, "Thứ hạng");
    }
    let mut row = 3u32;
    let rows: Vec<&UnitRow> = report.units.iter().filter(|u| u.kind == kind.id).collect();
    let groups: Vec<&crate::input::model::Group> = m.groups.iter().filter(|g| g.kind == k).collect();
    for (gi, g) in groups.iter().enumerate() {
        if groups.len() > 1 {
            sheet.write_string_with_format(row, 0, roman(gi + 1), &f.group)?;
            sheet.merge_range(row, 1, row, last_col, &g.name, &f.group)?;
            row += 1;
        }
        for (n, u) in rows.iter().filter(|u| u.group == g.id).enumerate() {
            sheet.write_number_with_format(row, 0, (n + 1) as f64, &f.center)?;
            sheet.write_string_with_format(row, 1, u.name.as_str(), &f.text)?;
            widths.see(1, &u.name);
            for (i, &p) in parts.iter().enumerate() {
                let c = first_num + i as u16;
                match u.parts.get(&m.parts[p].id) {
                    Some(v) => sheet.write_number_with_format(row, c, number(v), &f.points)?,
                    None => sheet.write_string_with_format(row, c, NOT_EVALUATED, &f.center)?,
                };
            }
            sheet.write_number_with_format(row, total_col, number(&u.total), &f.points)?;
            sheet.write_number_with_format(row, index_col, number(&u.index), &f.index)?;
            if change.is_some() {
                match &u.change {
                    Some(c) => {
                        sheet.write_number_with_format(row, index_col + 1, number(&c.index), &f.index)?;
                        sheet.write_number_with_format(row, index_col + 2, c.rank as f64, &f.whole)?;
                    }
                    None => {
                        sheet.write_string_with_format(row, index_col + 1, "-", &f.center)?;
                        sheet.write_string_with_format(row, index_col + 2, "-", &f.center)?;
                    }
                }
            }
            row += 1;
        }
    }
    if let Some(a) = report.averages.iter().find(|a| a.kind == kind.id) {
        sheet.merge_range(row, 0, row, total_col, "Chỉ số trung bình", &f.group)?;
        sheet.write_number_with_format(row, index_col, number(&a.index), &f.index)?;
        for c in index_col + 1..=last_col {
            sheet.write_blank(row, c, &f.text)?;
        }
    }
    sheet.set_freeze_panes(3, 2)?;
    widths.apply(sheet, 40)?;
    print_setup(sheet, 3)?;
    footer(sheet, &report.fingerprint.sha256);
    Ok(())
}

fn components(sheet: &mut Worksheet, rs: &RuleSet, report: &Report, f: &Formats) -> Result<(), XlsxError> {
    let m = &rs.model;
    sheet.set_name(COMPONENTS_SHEET)?;
    let comps: Vec<usize> = m.components().collect();
    let mut widths = Widths(Vec::new());
    for (c, h) in ["Mã đơn vị", "Đơn vị"].iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, *h, &f.header)?;
        widths.see(c, h);
    }
    for (i, &c) in comps.iter().enumerate() {
        let text = format!("{}. {}", m.nodes[c].id, m.nodes[c].name);
        sheet.write_string_with_format(0, 2 + i as u16, &text, &f.header)?;
        widths.see(2 + i, "Chỉ số thành phần");
    }
    for (r, u) in report.units.iter().enumerate() {
        let row = 1 + r as u32;
        sheet.write_string_with_format(row, 0, u.id.as_str(), &f.text)?;
        sheet.write_string_with_format(row, 1, u.name.as_str(), &f.text)?;
        widths.see(0, &u.id);
        widths.see(1, &u.name);
        for (i, &c) in comps.iter().enumerate() {
            let col = 2 + i as u16;
            match u.components.iter().find(|x| x.id == m.nodes[c].id).and_then(|x| x.index.as_ref()) {
                Some(v) => sheet.write_number_with_format(row, col, number(v), &f.index)?,
                None => sheet.write_string_with_format(row, col, NOT_EVALUATED, &f.center)?,
            };
        }
    }
    let last = report.units.len() as u32;
    for i in 0..comps.len() {
        let col = 2 + i as u16;
        sheet.add_conditional_format(1, col, last.max(1), col, &ConditionalFormatDataBar::new())?;
    }
    sheet.set_freeze_panes(1, 2)?;
    widths.apply(sheet, 40)?;
    print_setup(sheet, 1)?;
    footer(sheet, &report.fingerprint.sha256);
    Ok(())
}

fn unit_tree(sheet: &mut Worksheet, rs: &RuleSet, outcome: &Outcome, u: &UnitRow, f: &Formats) -> Result<(), XlsxError> {
    let m = &rs.model;
    sheet.set_name(u.id.as_str())?;
    let unit = &m.units[u.unit];
    let res = &outcome.units[u.unit];
    let r = m.rounding;
    sheet.merge_range(0, 0, 0, 5, &format!("{} ({})", unit.name, unit.id), &f.title)?;
    let head = ["Mã", "Tiêu chí", "Điểm tối đa", "Điểm", "Không đánh giá", "Nguồn"];
    let mut widths = Widths(Vec::new());
    for (c, h) in head.iter().enumerate() {
        sheet.write_string_with_format(1, c as u16, *h, &f.header)?;
        widths.see(c, h);
    }
    let mut row = 2u32;
    for (i, node) in m.nodes.iter().enumerate() {
        let Some(max) = node.max[unit.kind] else { continue };
        let n = res.node(i);
        sheet.write_string_with_format(row, 0, &node.id, &f.text)?;
        sheet.write_string_with_format(row, 1, &node.name, &f.text.clone().set_indent(node.depth.min(15) as u8))?;
        sheet.write_number_with_format(row, 2, max.to_f64().unwrap_or_default(), &f.points)?;
        widths.see(0, &node.id);
        widths.see(1, &node.name);
        let exempt = match n.status {
            Status::Exempt(e) => m.exemptions.get(e as usize).map(|x| x.reason.clone()).or_else(|| Some(String::new())),
            _ => None,
        };
        if n.status.has_points() {
            sheet.write_number_with_format(row, 3, r.points.apply(n.points).to_f64().unwrap_or_default(), &f.points)?;
        } else {
            sheet.write_blank(row, 3, &f.points)?;
        }
        let exempt_text = match &exempt {
            Some(reason) if reason.is_empty() => NOT_EVALUATED.to_owned(),
            Some(reason) => format!("{NOT_EVALUATED}: {reason}"),
            None => String::new(),
        };
        sheet.write_string_with_format(row, 4, &exempt_text, &f.text)?;
        widths.see(4, &exempt_text);
        let source = match n.status {
            Status::Awarded => "Hội đồng thẩm định chấm".to_owned(),
            Status::Scored => match &node.rule {
                Some(rule) => format!("quy tắc `{}`", m.scripts.get(rule.script).map_or("", |s| s.name.as_str())),
                None => "quy tắc".to_owned(),
            },
            Status::Sum => "tổng các tiêu chí con".to_owned(),
            Status::Covered => "chấm ở tiêu chí cha".to_owned(),
            Status::NoData => "không có dữ liệu".to_owned(),
            Status::NotApplicable | Status::Exempt(_) => String::new(),
        };
        sheet.write_string_with_format(row, 5, &source, &f.text)?;
        widths.see(5, &source);
        row += 1;
    }
    sheet.set_freeze_panes(2, 2)?;
    widths.apply(sheet, 60)?;
    print_setup(sheet, 2)?;
    footer(sheet, &rs.fingerprint.sha256);
    Ok(())
}
