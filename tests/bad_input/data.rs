//! Bad-input cases: data (`fixtures/2023/scores.toml`, `previous.toml`).

use super::*;

const SCORES: &str = "fixtures/2023/scores.toml";
const PREVIOUS: &str = "fixtures/2023/previous.toml";

/// Adds `line` to the points of `unit` (right after its `[unit]` header)
/// and returns its line number.
fn award(root: &std::path::Path, unit: &str, line: &str) -> usize {
    edit(root, SCORES, &format!("[{unit}]\n"), &format!("[{unit}]\n{line}\n"));
    line_of(root, SCORES, &format!("[{unit}]")) + 1
}

/// Appends `line` at the end of the points of `unit` (before the next unit)
/// and returns its line number.
fn award_last(root: &std::path::Path, unit: &str, after: &str, line: &str) -> usize {
    let text = std::fs::read_to_string(root.join(SCORES)).unwrap();
    let start = text.find(&format!("[{unit}]\n")).unwrap();
    let at = start + text[start..].find(after).unwrap() + after.len();
    let text = format!("{}\n{line}{}", &text[..at], &text[at..]);
    let line_no = text[..at].lines().count() + 1;
    std::fs::write(root.join(SCORES), text).unwrap();
    line_no
}

/// Points at component 3 for a unit whose 3.1 … 3.7 are given: today the
/// sub-criteria's points are silently dropped and the ranks move.
#[test]
fn points_at_a_criterion_and_at_its_sub_criteria() {
    let t = temp_tree();
    let line = award_last(t.path(), "so-tttt", "\"3.7\" = 1.50", "\"3\" = 14.00");
    // The sub-criteria come first in the file: the later line is the one in question.
    rejected(t.path(), "OVERLAPPING_POINTS", SCORES, Some(line));
}

/// Points at 3.4 after its sub-criteria 3.4.2 … 3.4.4.
#[test]
fn points_at_an_inner_criterion_and_its_leaves() {
    let t = temp_tree();
    let line = award_last(t.path(), "so-tttt", "\"3.4.4\" = 1.00", "\"3.4\" = 2.50");
    rejected(t.path(), "OVERLAPPING_POINTS", SCORES, Some(line));
}

/// Points at 8.1.1 below the survey score of 8.1, written after it.
#[test]
fn points_at_a_sub_criterion_after_its_criterion() {
    let t = temp_tree();
    let line = award_last(t.path(), "so-tttt", "\"8.1\" = 15.97  # published survey score", "\"8.1.1\" = 3");
    rejected(t.path(), "OVERLAPPING_POINTS", SCORES, Some(line));
}

/// The survey part given by its part id and by its criterion 8.1.
#[test]
fn points_at_a_part_and_at_its_criterion() {
    let t = temp_tree();
    let line = award(t.path(), "so-tttt", "\"survey\" = 15.00");
    let later = line_of(t.path(), SCORES, "\"8.1\" = 15.97");
    assert!(later > line);
    rejected(t.path(), "OVERLAPPING_POINTS", SCORES, Some(later));
}

/// Văn phòng UBND tỉnh is not evaluated on component 3: today the points are ignored.
#[test]
fn points_at_a_criterion_the_unit_is_exempt_from() {
    let t = temp_tree();
    let line = award(t.path(), "vp-ubnd", "\"3.1\" = 1.5");
    rejected(t.path(), "POINTS_NOT_EVALUATED", SCORES, Some(line));
}

/// SIPAS points for an agency exempt from the SIPAS part.
#[test]
fn points_at_a_criterion_of_an_exempt_part() {
    let t = temp_tree();
    let line = award(t.path(), "vp-ubnd", "\"8.2\" = 9.5");
    rejected(t.path(), "POINTS_NOT_EVALUATED", SCORES, Some(line));
}

/// The same, given by the part's id.
#[test]
fn points_for_an_exempt_part_by_its_id() {
    let t = temp_tree();
    let line = award(t.path(), "ban-dt", "\"sipas\" = 9.5");
    rejected(t.path(), "POINTS_NOT_EVALUATED", SCORES, Some(line));
}

/// 3.1 has a maximum for departments only: a district's points there are ignored today.
#[test]
fn points_at_a_criterion_without_a_maximum_for_the_kind() {
    let t = temp_tree();
    let line = award(t.path(), "sin-ho", "\"3.1\" = 1");
    rejected(t.path(), "POINTS_NOT_EVALUATED", SCORES, Some(line));
}

/// Socio-economic impact points for a department.
#[test]
fn impact_points_for_a_department() {
    let t = temp_tree();
    let line = award(t.path(), "so-yt", "\"8.3.1\" = 1");
    rejected(t.path(), "POINTS_NOT_EVALUATED", SCORES, Some(line));
}

/// A unit's results of 2022 given twice: today the second wins silently.
#[test]
fn previous_results_given_twice() {
    let t = temp_tree();
    append(t.path(), PREVIOUS, "\n[[unit]]\nid = \"so-yt\"\nindex = 70.00\nrank = 10\n");
    let text = std::fs::read_to_string(t.path().join(PREVIOUS)).unwrap();
    let line = text.lines().collect::<Vec<_>>().iter().rposition(|l| *l == "id = \"so-yt\"").unwrap() + 1;
    rejected(t.path(), "DUPLICATE", PREVIOUS, Some(line));
}

/// 81.29 typed 181.29: today the change column shows -92.64.
#[test]
fn a_previous_index_above_100() {
    let t = temp_tree();
    edit(t.path(), PREVIOUS, "index = 81.29", "index = 181.29");
    rejected(t.path(), "BAD_VALUE", PREVIOUS, Some(line_of(t.path(), PREVIOUS, "181.29")));
}

#[test]
fn a_negative_previous_index() {
    let t = temp_tree();
    edit(t.path(), PREVIOUS, "index = 81.29", "index = -81.29");
    rejected(t.path(), "BAD_VALUE", PREVIOUS, Some(line_of(t.path(), PREVIOUS, "-81.29")));
}

#[test]
fn a_previous_rank_of_zero() {
    let t = temp_tree();
    edit(t.path(), PREVIOUS, "index = 81.29\nrank = 6", "index = 81.29\nrank = 0");
    rejected(t.path(), "BAD_VALUE", PREVIOUS, Some(line_of(t.path(), PREVIOUS, "rank = 0")));
}

/// Results of 2021 compared with 2023 as if they were 2022's.
#[test]
fn previous_results_of_the_wrong_year() {
    let t = temp_tree();
    edit(t.path(), PREVIOUS, "year = 2022", "year = 2021");
    rejected(t.path(), "WRONG_YEAR", PREVIOUS, Some(line_of(t.path(), PREVIOUS, "year = 2021")));
}

/// A unit missing from previous.toml: its change columns are blank, and said so.
#[test]
fn a_unit_without_previous_results() {
    let t = temp_tree();
    edit(t.path(), PREVIOUS, "[[unit]]\nid = \"so-yt\"\nindex = 64.48\nrank = 14\n", "");
    let units = "fixtures/2023/units.toml";
    warned(t.path(), "NO_PREVIOUS", units, Some(line_of(t.path(), units, "id = \"so-yt\"")));
}

/// The year compared with may be another than the year before, when index.toml names it.
#[test]
fn previous_results_of_a_year_index_toml_names_are_accepted() {
    let t = temp_tree();
    edit(t.path(), "criteria/2023/index.toml", "year = 2023\n", "year = 2023\nprevious_year = 2021\n");
    edit(t.path(), PREVIOUS, "year = 2022", "year = 2021");
    let o = run(t.path(), &["score", "--year", "2023", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let report: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(report["previous_year"], 2021);
    assert_eq!(report["units"][0]["previous"]["year"], 2021);
}
