//! The officials' formats: the exported workbook read back with calamine,
//! CSV output with its byte order mark and locale, and CSV inputs in the
//! encodings and shapes Excel saves.

mod common;

use calamine::{open_workbook, Data, Reader, Xlsx};
use common::*;

fn export(root: &std::path::Path, year: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ket-qua.xlsx");
    let o = run(root, &["export", "--year", year, "--format", "xlsx", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    (dir, out)
}

fn text(d: Option<&Data>) -> String {
    match d {
        Some(Data::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => String::new(),
    }
}

#[test]
fn the_2023_workbook_holds_the_published_tables() {
    let (_dir, out) = export(&repo(), "2023");
    let mut wb: Xlsx<_> = open_workbook(&out).unwrap();
    let names = wb.sheet_names();
    assert_eq!(&names[..3], ["Biểu 1", "Biểu 2", "Chỉ số thành phần"]);
    assert!(names.iter().any(|n| n == "so-tttt") && names.iter().any(|n| n == "muong-te"), "{names:?}");

    let json = run(&repo(), &["score", "--year", "2023", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
    let units = report["units"].as_array().unwrap();

    for (sheet, parts) in [
        ("Biểu 1", vec!["Điểm thẩm định", "Điểm điều tra", "Điểm SIPAS"]),
        ("Biểu 2", vec!["Điểm thẩm định", "Điểm điều tra", "Điểm tác động của CCHC đến phát triển KT-XH", "Điểm SIPAS"]),
    ] {
        let range = wb.worksheet_range(sheet).unwrap();
        let header: Vec<String> = (0..range.width() as u32).map(|c| text(range.get_value((1, c)))).collect();
        let mut want = vec!["STT".to_owned(), "Đơn vị".to_owned()];
        want.extend(parts.iter().map(|p| p.to_string()));
        want.extend(["Tổng điểm", "Chỉ số %", "Tỷ lệ tăng/giảm so với năm 2022"].map(String::from));
        assert_eq!(&header[..want.len()], &want[..], "{sheet}");
        let sub: Vec<String> = (0..range.width() as u32).map(|c| text(range.get_value((2, c)))).collect();
        assert_eq!(&sub[sub.len() - 2..], ["Điểm chỉ số (%)", "Thứ hạng"], "{sheet}");
        let index_col = want.len() as u32 - 2;
        // Every unit's index is the number the JSON gives, as a number.
        let mut seen = 0;
        for r in 3..range.height() as u32 {
            let name = text(range.get_value((r, 1)));
            let Some(u) = units.iter().find(|u| u["name"] == name.as_str()) else { continue };
            let Some(Data::Float(v)) = range.get_value((r, index_col)) else { panic!("{sheet} row {r}: index is not a number") };
            assert_eq!(format!("{v:.2}"), u["index"].as_str().unwrap(), "{sheet}: {name}");
            seen += 1;
        }
        assert_eq!(seen, if sheet == "Biểu 1" { 20 } else { 8 }, "{sheet}");
        let cells: Vec<String> = range.cells().map(|(_, _, d)| text(Some(d))).collect();
        assert!(cells.iter().any(|c| c == "Chỉ số trung bình"), "{sheet}: the average row");
        if sheet == "Biểu 1" {
            assert!(cells.iter().any(|c| c == "Không đánh giá"), "Biểu 1: the agencies are not evaluated on SIPAS");
        }
    }
    let b1 = wb.worksheet_range("Biểu 1").unwrap();
    let row = (3..b1.height() as u32).find(|&r| text(b1.get_value((r, 1))) == "Sở Thông tin và Truyền thông").unwrap();
    assert_eq!(b1.get_value((row, 6)), Some(&Data::Float(88.65)), "so-tttt's index is 88.65");

    wb.load_merged_regions().unwrap();
    let merged = wb.merged_regions_by_sheet("Biểu 1");
    assert!(
        merged.iter().any(|(_, _, dim)| dim.start.0 == 1 && dim.end.0 == 1 && dim.end.1 == dim.start.1 + 1),
        "the change header spans its two columns: {merged:?}"
    );
}

#[test]
fn the_2025_set_exports_too() {
    let (_dir, out) = export(&repo(), "2025");
    let mut wb: Xlsx<_> = open_workbook(&out).unwrap();
    let names = wb.sheet_names();
    assert!(names.iter().any(|n| n == "Biểu 1") && names.iter().any(|n| n == "Biểu 2"), "{names:?}");
    let b2 = wb.worksheet_range("Biểu 2").unwrap();
    assert!(b2.height() > 3, "the communes' table has rows");
}

#[test]
fn csv_output_starts_with_a_byte_order_mark_and_speaks_vietnamese_on_request() {
    let o = run(&repo(), &["score", "--year", "2023", "--format", "csv"]);
    assert!(o.stdout.starts_with(b"\xEF\xBB\xBFyear,id,"), "{}", stdout(&o));
    assert!(stdout(&o).contains(",88.65,88.65,"));
    let o = run(&repo(), &["score", "--year", "2023", "--format", "csv", "--csv-locale", "vi"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.starts_with("\u{feff}year;id;name;"), "{out}");
    assert!(out.contains(";88,65;88,65;"), "{out}");
}

const PORTAL: &str = "fixtures/2023/indicators/portal-2023-12-25.csv";

#[test]
fn a_windows_1258_csv_is_read_as_declared() {
    let t = temp_tree();
    let text = std::fs::read_to_string(t.path().join(PORTAL)).unwrap();
    std::fs::write(t.path().join(PORTAL), windows_1258(&text)).unwrap();
    edit(t.path(), "fixtures/2023/indicators.toml", "separator = \";\"\n", "separator = \";\"\nencoding = \"windows-1258\"\n");
    let before = run(&repo(), &["score", "--year", "2023", "--format", "json"]);
    let after = run(t.path(), &["score", "--year", "2023", "--format", "json"]);
    assert!(after.status.success(), "{}", stderr(&after));
    let units = |o: &std::process::Output| serde_json::from_str::<serde_json::Value>(&stdout(o)).unwrap()["units"].clone();
    assert_eq!(units(&before), units(&after), "the same values, read from Windows-1258");
}

#[test]
fn a_csv_with_a_quoted_line_break_and_crlf_is_read() {
    let t = temp_tree();
    let text = std::fs::read_to_string(t.path().join(PORTAL)).unwrap();
    // A name typed over two lines of its cell (Alt+Enter), and Windows line ends.
    let text = text.replacen("xu_ly_dung_han;Sở Tài chính;98,63%", "xu_ly_dung_han;\"Sở Tài\nchính\";98,63%", 1).replace('\n', "\r\n");
    std::fs::write(t.path().join(PORTAL), format!("\u{feff}{text}")).unwrap();
    let o = run(t.path(), &["check", "--year", "2023", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let before = run(&repo(), &["score", "--year", "2023", "--format", "json"]);
    let after = run(t.path(), &["score", "--year", "2023", "--format", "json"]);
    let units = |o: &std::process::Output| serde_json::from_str::<serde_json::Value>(&stdout(o)).unwrap()["units"].clone();
    assert_eq!(units(&before), units(&after));
}

/// Text in Windows-1258: a letter with a tone is its base letter then the tone mark.
fn windows_1258(text: &str) -> Vec<u8> {
    use unicode_normalization::UnicodeNormalization;
    let tones = ['\u{300}', '\u{301}', '\u{303}', '\u{309}', '\u{323}'];
    let mut out = Vec::new();
    for c in text.chars() {
        let parts: Vec<char> = c.nfd().collect();
        let base: String = parts.iter().filter(|p| !tones.contains(p)).collect::<String>().nfc().collect();
        let tone: String = parts.iter().filter(|p| tones.contains(p)).collect();
        for piece in [base, tone] {
            let (bytes, _, bad) = encoding_rs::WINDOWS_1258.encode(&piece);
            assert!(!bad, "{piece:?} has no Windows-1258 byte");
            out.extend_from_slice(&bytes);
        }
    }
    out
}

/// A copy of the workbook at `from` written to `to`, each cell through
/// `fill(sheet, row, col, cell)` (which may change it), sheets for which
/// `keep` says no left out.
fn refill(from: &std::path::Path, to: &std::path::Path, keep: impl Fn(&str) -> bool, mut fill: impl FnMut(&str, u32, u16, Data) -> Data) {
    let mut wb: Xlsx<_> = open_workbook(from).unwrap();
    let mut out = rust_xlsxwriter::Workbook::new();
    for name in wb.sheet_names() {
        if !keep(&name) {
            continue;
        }
        let range = wb.worksheet_range(&name).unwrap();
        let sheet = out.add_worksheet();
        sheet.set_name(&name).unwrap();
        for r in 0..range.height() as u32 {
            for c in 0..range.width() as u16 {
                let cell = range.get_value((r, c as u32)).cloned().unwrap_or(Data::Empty);
                match fill(&name, r, c, cell) {
                    Data::String(s) => {
                        sheet.write_string(r, c, s).unwrap();
                    }
                    Data::Float(f) => {
                        sheet.write_number(r, c, f).unwrap();
                    }
                    _ => {}
                }
            }
        }
    }
    out.save(to).unwrap();
}

/// The points of `fixtures/2023/scores.toml`: unit → criterion → points.
fn published_points() -> toml::Table {
    toml::from_str(&std::fs::read_to_string(repo().join("fixtures/2023/scores.toml")).unwrap()).unwrap()
}

#[test]
fn a_template_filled_with_the_2023_points_imports_into_the_published_results() {
    let dir = tempfile::tempdir().unwrap();
    let template = dir.path().join("bieu-cham-diem.xlsx");
    let o = run(&repo(), &["template", "--year", "2023", "--out", template.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let points = published_points();
    // The hidden row 3 holds each column's unit; column A each row's criterion.
    let mut units: std::collections::HashMap<(String, u16), String> = Default::default();
    let mut crits: std::collections::HashMap<(String, u32), String> = Default::default();
    let filled = dir.path().join("filled.xlsx");
    let mut written = 0;
    refill(
        &template,
        &filled,
        |_| true,
        |sheet, r, c, cell| {
            if let Data::String(s) = &cell {
                if r == 2 && c >= 4 {
                    units.insert((sheet.to_owned(), c), s.clone());
                }
                if r >= 3 && c == 0 {
                    crits.insert((sheet.to_owned(), r), s.clone());
                }
            }
            if r >= 3 && c >= 4 {
                let (unit, crit) = (units.get(&(sheet.to_owned(), c)), crits.get(&(sheet.to_owned(), r)));
                if let Some(v) = unit.zip(crit).and_then(|(u, k)| points.get(u)?.get(k)) {
                    written += 1;
                    return Data::Float(v.as_float().or_else(|| v.as_integer().map(|i| i as f64)).unwrap());
                }
            }
            cell
        },
    );
    let awarded: usize = points.values().map(|t| t.as_table().unwrap().len()).sum();
    assert_eq!(written, awarded, "every published point has its cell in the template");

    let t = temp_tree();
    std::fs::remove_file(t.path().join("fixtures/2023/scores.toml")).unwrap();
    let o = run(t.path(), &["import", "--year", "2023", filled.to_str().unwrap()]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let test = run(t.path(), &["test", "--year", "2023"]);
    assert!(test.status.success(), "the published tables are reproduced: {}{}", stdout(&test), stderr(&test));
    let json = |root: &std::path::Path| {
        let o = run(root, &["score", "--year", "2023", "--format", "json"]);
        serde_json::from_str::<serde_json::Value>(&stdout(&o)).unwrap()["units"].clone()
    };
    assert_eq!(json(t.path()), json(&repo()));

    // Importing the same workbook again changes nothing, and keeps the comments.
    let before = std::fs::read(t.path().join("fixtures/2023/scores.toml")).unwrap();
    let again = run(t.path(), &["import", "--year", "2023", filled.to_str().unwrap(), "--dry-run"]);
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(stdout(&again).contains("no change"), "{}", stdout(&again));
    assert_eq!(std::fs::read(t.path().join("fixtures/2023/scores.toml")).unwrap(), before);
}

#[test]
fn an_import_with_problems_reports_each_cell_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let template = dir.path().join("bieu-cham-diem.xlsx");
    let o = run(&repo(), &["template", "--year", "2023", "--out", template.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let bad = dir.path().join("bad.xlsx");
    let sheet = "Biểu chấm điểm sở";
    refill(
        &template,
        &bad,
        // The districts' sheet is left out.
        |name| name == sheet,
        |name, r, c, cell| match (name, r, c) {
            // Criterion "1" (maximum 13.5) of the first department: 20 points.
            (_, 3, 4) => Data::Float(20.0),
            // A remark typed in place of points.
            (_, 4, 5) => Data::String("đạt".to_owned()),
            // A column whose unit is not of the year.
            (_, 2, 6) => Data::String("so-khong-co".to_owned()),
            _ => cell,
        },
    );
    let t = temp_tree();
    let scores = t.path().join("fixtures/2023/scores.toml");
    let before = std::fs::read(&scores).unwrap();
    let o = run(t.path(), &["import", "--year", "2023", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    for (code, cell) in
        [("SCORE_ABOVE_MAX", "Biểu chấm điểm sở!E4"), ("BAD_VALUE", "Biểu chấm điểm sở!F5"), ("UNKNOWN_UNIT", "Biểu chấm điểm sở!G3")]
    {
        assert!(err.lines().any(|l| l.contains(&format!("error[{code}]")) && l.contains(cell)), "{code} at {cell} in:\n{err}");
    }
    assert!(err.contains("error[WORKBOOK_SHAPE]") && err.contains("Biểu chấm điểm ubnd"), "the missing sheet:\n{err}");
    assert!(err.contains("unit `so-tttt`"), "the unit is named:\n{err}");
    assert_eq!(std::fs::read(&scores).unwrap(), before, "nothing written");
}

#[test]
fn a_csv_of_one_scoring_sheet_imports_the_same_way() {
    let dir = tempfile::tempdir().unwrap();
    let template = dir.path().join("bieu-cham-diem.xlsx");
    let o = run(&repo(), &["template", "--year", "2023", "--out", template.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    // The departments' sheet saved as CSV, criterion "1.1" of so-tttt given 2.5.
    let mut wb: Xlsx<_> = open_workbook(&template).unwrap();
    let range = wb.worksheet_range("Biểu chấm điểm sở").unwrap();
    let mut csv = csv::Writer::from_writer(Vec::new());
    for r in 0..range.height() as u32 {
        let row: Vec<String> = (0..range.width() as u32)
            .map(|c| match (r, c) {
                (3, 4) => "2.5".to_owned(),
                _ => text(range.get_value((r, c))),
            })
            .collect();
        csv.write_record(&row).unwrap();
    }
    let file = dir.path().join("so.csv");
    std::fs::write(&file, csv.into_inner().unwrap()).unwrap();
    assert_eq!(text(range.get_value((3, 0))), "1.1");
    assert_eq!(text(range.get_value((2, 4))), "so-tttt");
    let t = temp_tree();
    let scores = t.path().join("fixtures/2023/scores.toml");
    let before = std::fs::read(&scores).unwrap();
    let o = run(t.path(), &["import", "--year", "2023", file.to_str().unwrap(), "--dry-run"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("so-tttt 1.1: 2.08 → 2.5"), "{}", stdout(&o));
    assert_eq!(std::fs::read(&scores).unwrap(), before, "--dry-run writes nothing");
}

#[test]
fn a_file_named_for_another_kind_is_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(&[&str], &str, &str)] = &[
        (&["template", "--year", "2023"], "bieu-cham-diem.csv", "`.csv` file, but what is written is an Excel workbook"),
        (&["export", "--year", "2023", "--format", "xlsx"], "scores.toml", "`.toml` file, but what is written is an Excel workbook"),
        (&["export", "--year", "2023", "--format", "xlsx"], "ket-qua", "a file without an extension"),
        (&["report", "--year", "2023", "--format", "html"], "2023.pdf", "`.pdf` file, but what is written is an HTML file"),
    ];
    for (args, name, words) in cases {
        let out = dir.path().join(name);
        std::fs::write(&out, "kept").unwrap();
        let mut all = args.to_vec();
        all.extend(["--out", out.to_str().unwrap()]);
        let o = run(&repo(), &all);
        assert_eq!(o.status.code(), Some(2), "{all:?}");
        assert!(stderr(&o).contains(words), "{all:?}: {}", stderr(&o));
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "kept", "{all:?}: the file is left as it was");
    }
    // Upper case is the same extension.
    let out = dir.path().join("KET-QUA.XLSX");
    let o = run(&repo(), &["export", "--year", "2023", "--format", "xlsx", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn a_file_that_is_no_scoring_sheet_is_refused_and_an_empty_one_is_warned_of() {
    let dir = tempfile::tempdir().unwrap();
    let t = temp_tree();
    let scores = t.path().join("fixtures/2023/scores.toml");
    let before = std::fs::read(&scores).unwrap();
    for (name, body) in [("empty.csv", &b""[..]), ("other.csv", b"a,b\n1,2\n"), ("bom.csv", b"\xef\xbb\xbf")] {
        let file = dir.path().join(name);
        std::fs::write(&file, body).unwrap();
        let o = run(t.path(), &["import", "--year", "2023", file.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(1), "{name}: {}", stdout(&o));
        let err = stderr(&o);
        assert!(err.contains("error[WORKBOOK_SHAPE]") && err.contains("is not a scoring sheet"), "{name}: {err}");
        assert_eq!(std::fs::read(&scores).unwrap(), before, "{name}: nothing written");
    }
    // The template as written, with no points: each sheet's emptiness is told.
    let template = dir.path().join("bieu-cham-diem.xlsx");
    let o = run(&repo(), &["template", "--year", "2023", "--out", template.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(t.path(), &["import", "--year", "2023", template.to_str().unwrap(), "--dry-run"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("warning[WORKBOOK_SHAPE]: sheet `Biểu chấm điểm sở` holds no points"), "{err}");
    assert!(err.contains("of its 20 units") && err.contains("of its 8 units"), "{err}");
    // A sheet whose hidden row of unit ids was deleted names no unit.
    let cleared = dir.path().join("cleared.xlsx");
    refill(&template, &cleared, |_| true, |_, r, c, cell| if r == 2 && c >= 4 { Data::Empty } else { cell });
    let o = run(t.path(), &["import", "--year", "2023", cleared.to_str().unwrap(), "--dry-run"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("names no unit: row 3, the hidden row of unit ids, is empty"), "{}", stderr(&o));
}

#[test]
fn a_computed_cell_is_read_as_the_spreadsheet_shows_it() {
    let dir = tempfile::tempdir().unwrap();
    let template = dir.path().join("bieu-cham-diem.xlsx");
    let o = run(&repo(), &["template", "--year", "2023", "--out", template.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let filled = dir.path().join("filled.xlsx");
    // Criterion 1.1 of so-tttt holds what `=0.1+0.2` leaves in a cell: 0.30000000000000004.
    refill(
        &template,
        &filled,
        |_| true,
        |name, r, c, cell| if name == "Biểu chấm điểm sở" && (r, c) == (3, 4) { Data::Float(0.1 + 0.2) } else { cell },
    );
    let o = run(&repo(), &["import", "--year", "2023", filled.to_str().unwrap(), "--dry-run"]);
    let out = stdout(&o);
    assert!(out.contains("so-tttt 1.1: 2.08 → 0.3 (Biểu chấm điểm sở!E4)"), "{out}\n{}", stderr(&o));
    assert!(!out.contains("0.30000000000000004"), "{out}");
}
