//! Bad-input cases: files (CSV shape and encodings).
//!
//! Each case breaks the shipped 2023 portal table (a `long` table separated
//! by `;`) or a `units.csv` made from the shipped units, the way a file
//! saved from Excel or edited by hand breaks, and asserts the code, the
//! line and column, the unit where the row names one, and that no result
//! is printed.

use super::*;

const PORTAL: &str = "fixtures/2023/indicators/portal-2023-12-25.csv";
const UNITS_CSV: &str = "fixtures/2023/units.csv";

/// The diagnostic `code` of `check --format json` at `file:line:column`, as JSON.
fn located(root: &Path, code: &str, file: &str, line: usize, column: usize) -> serde_json::Value {
    json_diagnostic(root, code, file, Some(line), Some(column))
}

/// Writes the shipped units as `units.csv` (quoted where a name holds a
/// comma) in place of `units.toml`, with `edit` applied to its lines.
fn units_csv(root: &Path, edit: impl FnOnce(&mut Vec<String>)) {
    let toml_path = root.join("fixtures/2023/units.toml");
    let units: toml::Value = toml::from_str(&std::fs::read_to_string(&toml_path).unwrap()).unwrap();
    let quote = |s: &str| if s.contains(',') { format!("\"{s}\"") } else { s.to_owned() };
    let mut lines = vec!["id,name,kind,aliases".to_owned()];
    for u in units["unit"].as_array().unwrap() {
        let aliases: Vec<&str> =
            u.get("aliases").and_then(|a| a.as_array()).map_or(vec![], |a| a.iter().filter_map(|x| x.as_str()).collect());
        lines.push(format!(
            "{},{},{},{}",
            u["id"].as_str().unwrap(),
            quote(u["name"].as_str().unwrap()),
            u["kind"].as_str().unwrap(),
            quote(&aliases.join("|"))
        ));
    }
    edit(&mut lines);
    std::fs::remove_file(&toml_path).unwrap();
    std::fs::write(root.join(UNITS_CSV), lines.join("\n") + "\n").unwrap();
}

/// Text in Windows-1258, as Excel's plain "CSV" writes it on a Vietnamese
/// Windows: a letter with a tone is its base letter then the tone mark.
pub fn windows_1258(text: &str) -> Vec<u8> {
    use unicode_normalization::UnicodeNormalization;
    let mut out = Vec::new();
    for c in text.chars() {
        let mut buf = [0; 4];
        let (bytes, _, bad) = encoding_rs::WINDOWS_1258.encode(c.encode_utf8(&mut buf));
        if !bad {
            out.extend_from_slice(&bytes);
            continue;
        }
        // The base with its vowel marks (ơ, ư, â, ...) composed, the tone apart.
        let tones = ['\u{300}', '\u{301}', '\u{303}', '\u{309}', '\u{323}'];
        let parts: Vec<char> = c.nfd().collect();
        let base: String = parts.iter().filter(|p| !tones.contains(p)).collect::<String>().nfc().collect();
        let tone: String = parts.iter().filter(|p| tones.contains(p)).collect();
        for piece in [base, tone] {
            let (bytes, _, bad) = encoding_rs::WINDOWS_1258.encode(&piece);
            assert!(!bad, "{piece:?} of {c:?} has no Windows-1258 byte");
            out.extend_from_slice(&bytes);
        }
    }
    out
}

#[test]
fn a_row_with_more_fields_than_its_header() {
    let t = temp_tree();
    // 98,75% written without quotes splits in two.
    edit(t.path(), PORTAL, "xu_ly_dung_han;Sở Công Thương;98,75%", "xu_ly_dung_han;Sở Công Thương;98;75%");
    rejected(t.path(), "CSV_SYNTAX", PORTAL, Some(3));
    let col = "xu_ly_dung_han;Sở Công Thương;98;".chars().count() + 1;
    let d = located(t.path(), "CSV_SYNTAX", PORTAL, 3, col);
    assert_eq!(d["unit"], "so-ct", "the row names its unit: {d}");
}

#[test]
fn a_row_with_fewer_fields_than_its_header() {
    let t = temp_tree();
    edit(t.path(), PORTAL, "xu_ly_dung_han;Sở Tài chính;98,63%", "xu_ly_dung_han;Sở Tài chính");
    rejected(t.path(), "CSV_SYNTAX", PORTAL, Some(4));
    let d = located(t.path(), "CSV_SYNTAX", PORTAL, 4, "xu_ly_dung_han;Sở Tài chính".chars().count() + 1);
    assert_eq!(d["unit"], "so-tc", "{d}");
}

#[test]
fn an_unterminated_quote() {
    let t = temp_tree();
    edit(t.path(), PORTAL, "xu_ly_dung_han;Sở Kế hoạch và Đầu tư;", "xu_ly_dung_han;\"Sở Kế hoạch và Đầu tư;");
    rejected(t.path(), "CSV_SYNTAX", PORTAL, Some(5));
    located(t.path(), "CSV_SYNTAX", PORTAL, 5, 16);
}

#[test]
fn text_that_is_not_utf8_without_a_declared_encoding() {
    let t = temp_tree();
    let text = std::fs::read_to_string(t.path().join(PORTAL)).unwrap();
    std::fs::write(t.path().join(PORTAL), windows_1258(&text)).unwrap();
    let err = rejected(t.path(), "ENCODING", PORTAL, Some(2));
    // "xu_ly_dung_han;S" then the first byte that is not UTF-8.
    located(t.path(), "ENCODING", PORTAL, 2, 17);
    assert!(err.contains("windows-1258"), "the message names the fix:\n{err}");
}

#[test]
fn a_unit_twice_in_one_table() {
    let t = temp_tree();
    append(t.path(), PORTAL, "xu_ly_dung_han;Sở Công Thương;90%\n");
    rejected(t.path(), "DUPLICATE", PORTAL, Some(108));
    let d = located(t.path(), "DUPLICATE", PORTAL, 108, "xu_ly_dung_han;Sở Công Thương;".chars().count() + 1);
    assert_eq!(d["unit"], "so-ct", "{d}");
}

#[test]
fn a_byte_order_mark_in_the_middle_of_a_file() {
    let t = temp_tree();
    edit(t.path(), PORTAL, "xu_ly_dung_han;Sở Tài chính;", "\u{feff}xu_ly_dung_han;Sở Tài chính;");
    rejected(t.path(), "ENCODING", PORTAL, Some(4));
    located(t.path(), "ENCODING", PORTAL, 4, 1);
}

#[test]
fn an_empty_file() {
    let t = temp_tree();
    std::fs::write(t.path().join(PORTAL), "").unwrap();
    rejected(t.path(), "CSV_SYNTAX", PORTAL, None);
}

#[test]
fn a_header_missing_a_required_column() {
    let t = temp_tree();
    edit(t.path(), PORTAL, "chi_tieu;don_vi;gia_tri", "chi_tieu;don_vi");
    rejected(t.path(), "CSV_SYNTAX", PORTAL, Some(1));
    located(t.path(), "CSV_SYNTAX", PORTAL, 1, 1);
}

#[test]
fn a_units_csv_row_with_an_unquoted_comma() {
    let t = temp_tree();
    let mut at = 0;
    units_csv(t.path(), |lines| {
        at = lines.iter().position(|l| l.starts_with("so-ldtbxh,")).unwrap();
        lines[at] = lines[at].replace('"', "");
    });
    rejected(t.path(), "CSV_SYNTAX", UNITS_CSV, Some(at + 1));
    let d = located(
        t.path(),
        "CSV_SYNTAX",
        UNITS_CSV,
        at + 1,
        "so-ldtbxh,Sở Lao động - Thương binh và Xã hội,department,Sở Lao động,".chars().count() + 1,
    );
    assert_eq!(d["unit"], "so-ldtbxh", "{d}");
}

#[test]
fn a_units_csv_without_the_kind_column() {
    let t = temp_tree();
    units_csv(t.path(), |lines| lines[0] = "id,name,loai,aliases".to_owned());
    rejected(t.path(), "CSV_SYNTAX", UNITS_CSV, Some(1));
}

#[test]
fn a_units_csv_that_is_not_utf8() {
    let t = temp_tree();
    units_csv(t.path(), |_| {});
    let text = std::fs::read_to_string(t.path().join(UNITS_CSV)).unwrap();
    std::fs::write(t.path().join(UNITS_CSV), windows_1258(&text)).unwrap();
    rejected(t.path(), "ENCODING", UNITS_CSV, Some(2));
}

#[test]
fn a_units_csv_in_utf8_with_a_mark_crlf_and_quoted_line_breaks_is_read() {
    let t = temp_tree();
    units_csv(t.path(), |lines| {
        let at = lines.iter().position(|l| l.starts_with("so-tc,")).unwrap();
        // An alias typed with Alt+Enter in its cell.
        lines[at] = "so-tc,Sở Tài chính,department,\"Sở Tài chính - tỉnh Lai Châu|Sở Tài\nchính\"".to_owned();
    });
    let text = std::fs::read_to_string(t.path().join(UNITS_CSV)).unwrap();
    std::fs::write(t.path().join(UNITS_CSV), format!("\u{feff}{}", text.replace('\n', "\r\n"))).unwrap();
    let score = run(t.path(), &["score", "--year", "2023", "--format", "json"]);
    assert_eq!(score.status.code(), Some(0), "{}", stderr(&score));
    assert!(stdout(&score).contains("\"so-tttt\""), "{}", stdout(&score));
}
