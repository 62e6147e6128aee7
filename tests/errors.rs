//! Bad input gets a clear error naming the file, the unit and the criterion,
//! and nothing is printed as a result. Each case edits a copy of the shipped
//! 2023 tree and runs the real binary; assertions match codes and locations,
//! and `insta` snapshots keep the rendering of each message.

mod common;

use common::*;

/// Runs `score` and `check` on a broken tree: both fail, `score` prints no
/// result, and `check` names `code`. Returns check's stderr.
fn broken(root: &std::path::Path, code: &str) -> String {
    let score = run(root, &["score", "--year", "2023"]);
    assert_eq!(score.status.code(), Some(1), "score must fail: {}", stderr(&score));
    assert!(stdout(&score).is_empty(), "no result may be printed: {}", stdout(&score));
    let check = run(root, &["check", "--year", "2023"]);
    assert_eq!(check.status.code(), Some(1));
    let err = stderr(&check);
    assert!(err.contains(&format!("error[{code}]")), "expected {code} in:\n{err}");
    let json = run(root, &["check", "--year", "2023", "--format", "json"]);
    let text = stderr(&json);
    let end = text.rfind(']').unwrap();
    let diags: serde_json::Value = serde_json::from_str(&text[..=end]).unwrap();
    assert!(diags.as_array().unwrap().iter().any(|d| d["code"] == code), "{code} in JSON");
    redact(&err, root)
}

#[test]
fn exemption_naming_a_criterion_that_does_not_exist() {
    let t = temp_tree();
    edit(t.path(), "criteria/2023/exemptions.toml", "criteria = [\"1.2.3\", \"3\",", "criteria = [\"1.2.9\", \"3\",");
    let err = broken(t.path(), "UNKNOWN_CRITERION");
    assert!(err.contains("criteria/2023/exemptions.toml:"), "{err}");
    assert!(err.contains("`1.2.9`"), "{err}");
    insta::assert_snapshot!(err);
}

#[test]
fn points_above_a_maximum() {
    let t = temp_tree();
    edit(t.path(), "fixtures/2023/scores.toml", "[so-tttt]\n\"1\" = 11.31", "[so-tttt]\n\"1\" = 14.31");
    let err = broken(t.path(), "SCORE_ABOVE_MAX");
    assert!(err.contains("fixtures/2023/scores.toml:"), "{err}");
    assert!(err.contains("unit `so-tttt`, criterion `1`"), "{err}");
    insta::assert_snapshot!(err);
}

#[test]
fn points_below_zero() {
    let t = temp_tree();
    edit(t.path(), "fixtures/2023/scores.toml", "[so-tttt]\n\"1\" = 11.31", "[so-tttt]\n\"1\" = -1");
    broken(t.path(), "SCORE_BELOW_ZERO");
}

#[test]
fn a_unit_with_no_data_for_a_scored_leaf() {
    let t = temp_tree();
    edit(t.path(), "fixtures/2023/indicators/portal-2023-12-25.csv", "hai_long;Sở Y tế;93,90%\n", "");
    let err = broken(t.path(), "MISSING_DATA");
    assert!(err.contains("unit `so-yt`, criterion `7.3.4`"), "{err}");
    assert!(err.contains("portal.hai_long"), "{err}");
    insta::assert_snapshot!(err);
}

#[test]
fn a_leaf_with_neither_points_nor_rule() {
    let t = temp_tree();
    edit(t.path(), "fixtures/2023/scores.toml", "[so-tttt]\n\"1\" = 11.31", "[so-tttt]\n# \"1\" = 11.31");
    let err = broken(t.path(), "MISSING_DATA");
    assert!(err.contains("unit `so-tttt`, criterion `1.1`"), "{err}");
}

#[test]
fn a_rhai_script_that_does_not_compile() {
    let t = temp_tree();
    edit(t.path(), "rules/2023/tiers.rhai", "tiers(x.value, x.bands) * x.max", "tiers(x.value, x.bands) * ");
    let err = broken(t.path(), "SCRIPT_COMPILE");
    assert!(err.contains("rules/2023/tiers.rhai:"), "{err}");
    insta::assert_snapshot!(err);
}

#[test]
fn a_rhai_script_that_returns_a_non_number() {
    let t = temp_tree();
    edit(t.path(), "rules/2023/proportional.rhai", "proportional(x.value, x.target, x.max)", "\"full marks\"");
    let err = broken(t.path(), "SCRIPT_NOT_NUMBER");
    assert!(err.contains("criterion `7.3.2`"), "{err}");
    insta::assert_snapshot!(err);
}

#[test]
fn a_rhai_script_that_loops_forever() {
    let t = temp_tree();
    edit(t.path(), "rules/2023/proportional.rhai", "proportional(x.value, x.target, x.max)", "loop { }");
    let err = broken(t.path(), "SCRIPT_RUNTIME");
    assert!(err.contains("operations"), "{err}");
}

#[test]
fn a_toml_syntax_error_with_line_and_column() {
    let t = temp_tree();
    edit(t.path(), "criteria/2023/tree/02-the-che.toml", "max = 2\n", "max = = 2\n");
    let err = broken(t.path(), "TOML_SYNTAX");
    assert!(err.contains("criteria/2023/tree/02-the-che.toml:17:7"), "{err}");
    insta::assert_snapshot!(err);
}

#[test]
fn a_misspelt_key_is_an_error_not_ignored() {
    let t = temp_tree();
    edit(t.path(), "criteria/2023/tree/02-the-che.toml", "max = 2\n", "maxx = 2\n");
    let err = broken(t.path(), "TOML_SYNTAX");
    assert!(err.contains("unknown field `maxx`"), "{err}");
}

#[test]
fn a_unit_in_two_ranking_groups() {
    let t = temp_tree();
    edit(t.path(), "criteria/2023/index.toml", "units = [\"vp-ubnd\",", "units = [\"so-tttt\", \"vp-ubnd\",");
    let err = broken(t.path(), "GROUP_MEMBERSHIP");
    assert!(err.contains("unit `so-tttt` is in 2 ranking groups"), "{err}");
    insta::assert_snapshot!(err);
}

#[test]
fn an_unknown_unit_gets_a_suggestion() {
    let t = temp_tree();
    edit(t.path(), "criteria/2023/exemptions.toml", "units = [\"vp-ubnd\"]", "units = [\"vp-ubdn\"]");
    let err = broken(t.path(), "UNKNOWN_UNIT");
    assert!(err.contains("did you mean `vp-ubnd`?"), "{err}");
}

#[test]
fn every_problem_is_listed_in_one_run() {
    let t = temp_tree();
    edit(t.path(), "criteria/2023/exemptions.toml", "criteria = [\"1.2.3\", \"3\",", "criteria = [\"1.2.9\", \"3\",");
    edit(t.path(), "criteria/2023/index.toml", "units = [\"vp-ubnd\",", "units = [\"so-tttt\", \"vp-ubnd\",");
    let check = run(t.path(), &["check", "--year", "2023"]);
    let err = stderr(&check);
    assert!(err.contains("UNKNOWN_CRITERION") && err.contains("GROUP_MEMBERSHIP"), "{err}");
}

#[test]
fn a_rule_scoring_above_the_maximum() {
    let t = temp_tree();
    edit(t.path(), "rules/2023/tiers.rhai", "tiers(x.value, x.bands) * x.max", "x.max * 2");
    let err = broken(t.path(), "SCORE_ABOVE_MAX");
    assert!(err.contains("criterion `3.4.1`"), "{err}");
}
