//! The council's scoring workbook (`parindex template`): one sheet per unit
//! kind, a row per criterion the council scores, a column per unit, laid
//! out as [`crate::input::workbook`] reads it back.
//!
//! The criteria of a kind's sheet are those the year's `scores.toml` awards
//! points at for units of the kind (points given at a criterion stand for
//! its sub-criteria); without points yet, every criterion without a rule
//! that has no children. Each row gives the id, name, the kind's maximum
//! and the legal basis; a unit's cell is greyed and locked where the unit is
//! exempt, and accepts only a number from 0 to the maximum elsewhere. The
//! row of unit ids is hidden; the sheet is protected so that only the
//! points and the notes can be typed.

use std::collections::BTreeSet;

use rust_decimal::prelude::ToPrimitive;
use rust_xlsxwriter::{DataValidation, DataValidationRule, DocProperties, Format, FormatBorder, Workbook, XlsxError};

use crate::input::workbook::{kind_sheet, FIRST_ROW, FIRST_UNIT_COL, ID_ROW, NOTES};
use crate::report::xlsx::{footer, print_setup, Formats};
use crate::score::ruleset::RuleSet;

/// The criteria (node indices, in tree order) of kind `k`'s sheet.
pub fn sheet_criteria(rs: &RuleSet, k: usize) -> Vec<usize> {
    let m = &rs.model;
    let awarded: BTreeSet<usize> = m.awarded.keys().filter(|(u, _)| m.units[*u].kind == k).map(|&(_, n)| n).collect();
    if !awarded.is_empty() {
        return awarded.into_iter().collect();
    }
    (0..m.nodes.len()).filter(|&n| m.nodes[n].is_leaf() && m.nodes[n].rule.is_none() && m.nodes[n].max[k].is_some()).collect()
}

/// The template of a year, as bytes of an `.xlsx` file.
pub fn template(rs: &RuleSet) -> Result<Vec<u8>, XlsxError> {
    let m = &rs.model;
    let mut wb = Workbook::new();
    let sha = &rs.fingerprint.sha256;
    wb.set_properties(
        &DocProperties::new()
            .set_title(format!("Biểu chấm điểm Chỉ số cải cách hành chính năm {}", m.year))
            .set_comment(format!("criteria of fingerprint {sha}"))
            .set_custom_property("fingerprint", sha.as_str())
            .set_custom_property("year", m.year.to_string()),
    );
    let f = Formats::new(rs);
    let open = f.points.clone().set_unlocked();
    let exempt = f.points.clone().set_background_color("#D9D9D9");
    let notes = f.text.clone().set_unlocked();
    let id_cell = Format::new().set_border(FormatBorder::Thin).set_font_color("#808080");
    for k in 0..m.kinds.len() {
        let units: Vec<usize> = (0..m.units.len()).filter(|&u| m.units[u].kind == k).collect();
        if units.is_empty() {
            continue;
        }
        let sheet = wb.add_worksheet();
        sheet.set_name(kind_sheet(m, k))?;
        let notes_col = (FIRST_UNIT_COL + units.len()) as u16;
        sheet.merge_range(
            0,
            0,
            0,
            notes_col,
            &format!("BIỂU CHẤM ĐIỂM CHỈ SỐ CẢI CÁCH HÀNH CHÍNH NĂM {}: {}", m.year, m.kinds[k].name.to_uppercase()),
            &f.title,
        )?;
        for (c, h) in ["Mã", "Tiêu chí", "Điểm tối đa", "Căn cứ"].iter().enumerate() {
            sheet.write_string_with_format(1, c as u16, *h, &f.header)?;
            sheet.write_string_with_format(ID_ROW as u32, c as u16, "", &id_cell)?;
        }
        for (i, &u) in units.iter().enumerate() {
            let col = (FIRST_UNIT_COL + i) as u16;
            sheet.write_string_with_format(1, col, m.units[u].name.as_str(), &f.header)?;
            sheet.write_string_with_format(ID_ROW as u32, col, m.units[u].id.as_str(), &id_cell)?;
            sheet.set_column_width(col, 14)?;
        }
        sheet.write_string_with_format(1, notes_col, NOTES, &f.header)?;
        sheet.set_row_hidden(ID_ROW as u32)?;
        sheet.set_row_height(1, 60)?;
        for (r, &n) in sheet_criteria(rs, k).iter().enumerate() {
            let row = (FIRST_ROW + r) as u32;
            let node = &m.nodes[n];
            let max = node.max[k].unwrap_or_default();
            sheet.write_string_with_format(row, 0, &node.id, &f.text)?;
            sheet.write_string_with_format(row, 1, &node.name, &f.text)?;
            sheet.write_number_with_format(row, 2, max.to_f64().unwrap_or_default(), &f.points)?;
            sheet.write_string_with_format(row, 3, node.legal.as_ref().map(|l| m.legal_text(l)).unwrap_or_default(), &f.text)?;
            for (i, &u) in units.iter().enumerate() {
                let col = (FIRST_UNIT_COL + i) as u16;
                if m.exempt.contains_key(&(u, n)) {
                    sheet.write_string_with_format(row, col, "", &exempt)?;
                } else {
                    sheet.write_blank(row, col, &open)?;
                }
            }
            let rule = DataValidationRule::Between(0.0, max.to_f64().unwrap_or_default());
            let dv = DataValidation::new().allow_decimal_number(rule).set_error_title("Điểm không hợp lệ")?.set_error_message(format!(
                "Điểm của tiêu chí {} là một số từ 0 đến {}.",
                node.id,
                max.normalize()
            ))?;
            if !units.is_empty() {
                sheet.add_data_validation(row, FIRST_UNIT_COL as u16, row, notes_col - 1, &dv)?;
            }
            sheet.write_blank(row, notes_col, &notes)?;
        }
        sheet.set_column_width(0, 8)?;
        sheet.set_column_width(1, 50)?;
        sheet.set_column_width(2, 10)?;
        sheet.set_column_width(3, 30)?;
        sheet.set_column_width(notes_col, 30)?;
        sheet.set_freeze_panes(FIRST_ROW as u32, FIRST_UNIT_COL as u16)?;
        sheet.protect();
        print_setup(sheet, 2)?;
        footer(sheet, sha);
    }
    wb.save_to_buffer()
}
