//! The command line on the shipped 2023 data: every report format, snapshotted.

mod common;

use common::*;

#[test]
fn score_table() {
    let o = run(&repo(), &["score", "--year", "2023"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("Chỉ số trung bình: 79.42%"));
    insta::assert_snapshot!(redact(&out, &repo()));
}

#[test]
fn score_json() {
    let o = run(&repo(), &["score", "--year", "2023", "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let json: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(json["year"], 2023);
    assert_eq!(json["fingerprint"]["sha256"].as_str().unwrap().len(), 64);
    insta::assert_json_snapshot!(json, { ".fingerprint" => "[fingerprint]" });
}

#[test]
fn score_csv() {
    let o = run(&repo(), &["score", "--year", "2023", "--format", "csv"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert_eq!(out.lines().count(), 29, "a header and 28 units");
    insta::assert_snapshot!(redact(&out, &repo()));
}

#[test]
fn check_passes_on_the_shipped_data_with_its_warnings() {
    let o = run(&repo(), &["check", "--year", "2023"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).is_empty());
    insta::assert_snapshot!(redact(&stderr(&o), &repo()));
}

#[test]
fn an_unknown_year_is_an_error() {
    let o = run(&repo(), &["score", "--year", "1999"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("no criteria for year 1999"));
}
