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

/// `parindex targets`: the 2025 online-payment target (60%) is met by exactly
/// the units at or above 60.00% in the portal's figures (seed 000).
#[test]
fn targets_2025_online_payment() {
    let o = run(&repo(), &["targets", "--year", "2025", "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let t = v["targets"].as_array().unwrap().iter().find(|t| t["id"] == "thanh_toan_truc_tuyen" && t["year"] == 2025).unwrap();
    assert_eq!(t["threshold"], "60");
    let mut met: Vec<&str> =
        t["units"].as_array().unwrap().iter().filter(|u| u["status"] == "met").map(|u| u["id"].as_str().unwrap()).collect();
    met.sort_unstable();
    assert_eq!(met, ["sin-ho", "so-ldtbxh", "than-uyen", "tp-lai-chau"]);
    assert_eq!(t["summary"]["met"], 4);
}

#[test]
fn compact_json_is_one_line_of_the_same_result() {
    let pretty = run(&repo(), &["score", "--year", "2023", "--format", "json"]);
    let compact = run(&repo(), &["score", "--year", "2023", "--format", "json", "--compact"]);
    assert!(compact.status.success(), "{}", stderr(&compact));
    let (p, c) = (stdout(&pretty), stdout(&compact));
    assert_eq!(c.lines().count(), 1, "one line");
    assert!(c.len() < p.len());
    let (p, c): (serde_json::Value, serde_json::Value) = (serde_json::from_str(&p).unwrap(), serde_json::from_str(&c).unwrap());
    assert_eq!(p, c);
}

#[test]
fn an_option_of_another_format_is_refused_not_ignored() {
    for (args, what) in [(&["--compact"][..], "--compact"), (&["--format", "json", "--csv-locale", "vi"][..], "--csv-locale")] {
        let mut all = vec!["score", "--year", "2023"];
        all.extend_from_slice(args);
        let o = run(&repo(), &all);
        assert_eq!(o.status.code(), Some(2), "{all:?}");
        assert!(stderr(&o).contains(what), "{}", stderr(&o));
        assert!(stdout(&o).is_empty(), "no result printed");
    }
}
