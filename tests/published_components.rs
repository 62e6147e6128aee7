//! The 2023 report's commentary on the components (sections 3.1-3.8 and
//! footnotes 3-9 of seed 002), digitized in
//! `fixtures/2023/published-components.toml`, checked against the shipped
//! 2023 set: what holds, what is open, what the report contradicts.

mod common;

use common::*;
use parindex::audit::published::{self, Verdict};
use parindex::formula::rules::Rules;
use parindex::score::eval::evaluate;
use parindex::score::ruleset::RuleSet;

fn fidelity() -> published::Fidelity {
    let rs = RuleSet::load(&repo(), 2023, &Rules::default()).expect("the 2023 set loads");
    let outcome = evaluate(&rs).expect("the 2023 set scores");
    published::check(&rs, &outcome).expect("the statements read").expect("2023 has statements")
}

fn verdict_of(f: &published::Fidelity, seed_line: u32, text: &str) -> Verdict {
    let c = f.checked.iter().find(|c| c.seed_line == seed_line && c.text.starts_with(text));
    c.unwrap_or_else(|| panic!("no statement at line {seed_line}: {text}")).verdict.clone()
}

#[test]
fn every_statement_of_the_commentary_is_digitized() {
    let f = fidelity();
    // 116 statements about the 2023 values, 222 about the change against 2022.
    assert_eq!(f.checked.len(), 338);
    assert_eq!(f.holds() + f.open() + f.fails() + f.contradictions() + f.not_checkable(), 338);
}

#[test]
fn no_statement_fails_that_is_not_declared_open() {
    let f = fidelity();
    let fails: Vec<_> = f.checked.iter().filter(|c| matches!(c.verdict, Verdict::Fails { .. })).collect();
    assert!(fails.is_empty(), "{fails:#?}");
}

#[test]
fn the_fidelity_figure_does_not_fall() {
    let f = fidelity();
    let (holds, checkable) = f.fidelity();
    assert!(holds >= 100 && checkable <= 109, "{}", f.summary());
    assert!(f.summary().contains(&format!("fidelity {holds}/{checkable}")), "{}", f.summary());
}

#[test]
fn statements_of_the_tables_and_footnotes_hold() {
    let f = fidelity();
    // Footnote 5: the reduced scales of component 3.
    assert_eq!(verdict_of(&f, 780, "Sở Ngoại vụ, Ban Dân tộc, Thanh tra tỉnh thang điểm 11.5"), Verdict::Holds);
    // 3.2: Sở Ngoại vụ 3 of 5 points, the lowest.
    assert_eq!(verdict_of(&f, 663, "Sở Ngoại vụ đạt 3/5 điểm"), Verdict::Holds);
    assert_eq!(verdict_of(&f, 663, "Thấp nhất là Sở Ngoại vụ"), Verdict::Holds);
    // 3.8: the survey and SIPAS parts of Table 1 give Sở Nội vụ 87.35%, the highest.
    assert_eq!(verdict_of(&f, 1633, "đơn vị cấp sở có điểm đánh giá tác động cao"), Verdict::Holds);
}

#[test]
fn the_reports_contradictions_are_declared_with_their_reason() {
    let f = fidelity();
    match verdict_of(&f, 1068, "Có 8/20 đơn vị đạt điểm chỉ số 100%") {
        Verdict::Contradiction { reason } => assert!(reason.contains("list of 9"), "{reason}"),
        v => panic!("{v:?}"),
    }
    assert!(matches!(verdict_of(&f, 1660, "thấp nhất là huyện Sìn Hồ"), Verdict::Contradiction { .. }));
}

#[test]
fn a_units_change_is_checked_against_the_index_it_implies_for_last_year() {
    let f = fidelity();
    assert!(matches!(verdict_of(&f, 505, "tăng nhiều nhất là Sở Lao động"), Verdict::NotCheckable { .. } | Verdict::Holds));
}

#[test]
fn parindex_test_counts_the_statements_and_fails_on_a_wrong_one() {
    let o = run(&repo(), &["test", "--year", "2023"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).contains("2023: published statements: "), "{}", stdout(&o));

    let t = temp_tree();
    let rel = "fixtures/2023/published-components.toml";
    edit(t.path(), rel, "units = [\"so-ngv\"], value = \"3\",", "units = [\"so-ngv\"], value = \"4\",");
    let o = run(t.path(), &["test", "--year", "2023"]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let out = stdout(&o);
    assert!(out.contains("error[PUBLISHED_STATEMENT_FAILS]"), "{out}");
    assert!(out.contains("published-components.toml:"), "{out}");
    assert!(out.contains("report line 663"), "{out}");
}

#[test]
fn a_statement_naming_an_unknown_unit_is_reported_with_its_place() {
    let t = temp_tree();
    let rel = "fixtures/2023/published-components.toml";
    edit(t.path(), rel, "units = [\"so-ngv\"], value = \"3\",", "units = [\"so-ngoai-vu\"], value = \"3\",");
    let o = run(t.path(), &["test", "--year", "2023"]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.contains("error[UNKNOWN_UNIT]"), "{out}");
    assert!(out.contains("published-components.toml:"), "{out}");
}

#[test]
fn explain_shows_where_each_awarded_point_comes_from() {
    let o = run(&repo(), &["explain", "--year", "2023", "--unit", "so-ngv"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    // Sở Ngoại vụ's 3 of 5 on component 2 are published (report line 663).
    let line = out.lines().find(|l| l.trim_start().starts_with("2 Cải cách thể chế")).expect("component 2");
    assert!(line.contains("(derived from report line 663)") || line.contains("(published"), "{line}");
    assert!(out.lines().any(|l| l.trim_start().starts_with("8.1 ") && l.ends_with("(published)")), "{out}");
    let json = run(&repo(), &["explain", "--year", "2023", "--unit", "so-ngv", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&json)).expect("json");
    let node = v["nodes"].as_array().unwrap().iter().find(|n| n["id"] == "2.1").unwrap();
    assert!(node["provenance"].as_str().is_some(), "{node}");
}
