//! Bad input gets a clear error naming the file, the unit and the criterion,
//! and nothing is printed as a result. Each case edits a copy of the shipped
//! 2023 tree and runs the real binary; assertions match codes and locations,
//! and `insta` snapshots keep the rendering of each message: only the errors
//! the case is about, not the warnings of the shipped data (those have their
//! own snapshot, `cli__check_passes_on_the_shipped_data_with_its_warnings`).

mod common;

use common::*;

/// The errors of a rendering: its `error[...]` blocks, without the warnings
/// and the closing count.
fn errors_only(text: &str) -> String {
    let mut blocks: Vec<String> = Vec::new();
    let mut keep = false;
    for line in text.lines() {
        if line.starts_with("error[") || line.starts_with("warning[") || line.ends_with(" warnings") {
            keep = line.starts_with("error[");
            if keep {
                blocks.push(String::new());
            }
        }
        if let Some(b) = blocks.last_mut().filter(|_| keep) {
            b.push_str(line);
            b.push('\n');
        }
    }
    blocks.iter().map(|b| b.trim_end()).collect::<Vec<_>>().join("\n\n") + "\n"
}

/// Runs `score` and `check` on a broken tree: both fail, `score` prints no
/// result, and `check` names `code`. Returns the errors `check` printed.
fn broken(root: &std::path::Path, code: &str) -> String {
    let err = refused(root, code);
    assert!(check_json(root).0.iter().any(|d| d["code"] == code), "{code} in JSON");
    errors_only(&redact(&err, root))
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
    edit(t.path(), "fixtures/2023/scores.toml", "[so-tttt]\n\"1.1\" = 2.08", "[so-tttt]\n\"1.1\" = 5.08");
    let err = broken(t.path(), "SCORE_ABOVE_MAX");
    assert!(err.contains("fixtures/2023/scores.toml:"), "{err}");
    assert!(err.contains("unit `so-tttt`, criterion `1.1`"), "{err}");
    insta::assert_snapshot!(err);
}

#[test]
fn points_below_zero() {
    let t = temp_tree();
    edit(t.path(), "fixtures/2023/scores.toml", "[so-tttt]\n\"1.1\" = 2.08", "[so-tttt]\n\"1.1\" = -1");
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
    edit(t.path(), "fixtures/2023/scores.toml", "[so-tttt]\n\"1.1\" = 2.08", "[so-tttt]\n# \"1.1\" = 2.08");
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

/// The JSON diagnostics of `check`.
fn json_diags(root: &std::path::Path) -> Vec<serde_json::Value> {
    check_json(root).0
}

#[test]
fn points_out_of_range_show_their_line_in_scores_toml() {
    let t = temp_tree();
    edit(t.path(), "fixtures/2023/scores.toml", "[so-tttt]\n\"1.1\" = 2.08", "[so-tttt]\n\"1.1\" = 5.08");
    let err = broken(t.path(), "SCORE_ABOVE_MAX");
    assert!(err.contains("--> fixtures/2023/scores.toml:32:9"), "{err}");
    assert!(err.contains("32 | \"1.1\" = 5.08"), "the line itself: {err}");
    assert!(err.contains("   |         ^^^^\n"), "the whole value underlined: {err}");
    let d = json_diags(t.path()).into_iter().find(|d| d["code"] == "SCORE_ABOVE_MAX").unwrap();
    assert_eq!(d["location"]["line"], 32);
    assert_eq!(d["location"]["column"], 9);
    let span = d["span"]["end"].as_u64().unwrap() - d["span"]["start"].as_u64().unwrap();
    assert_eq!(span, "5.08".len() as u64, "{d}");
}

/// Replaces the formula of `rules/2023/proportional.rhai` with `body`; returns check's errors.
fn with_formula(body: &str, code: &str) -> String {
    let t = temp_tree();
    edit(t.path(), "rules/2023/proportional.rhai", "proportional(x.value, x.target, x.max)", body);
    broken(t.path(), code)
}

#[test]
fn a_division_by_zero_in_a_rule_shows_its_line_and_column() {
    let err = with_formula("x.value / 0", "SCRIPT_RUNTIME");
    assert!(err.contains("division by zero"), "{err}");
    assert!(err.contains("--> rules/2023/proportional.rhai:9:13"), "{err}");
    assert!(err.contains("9 |     x.value / 0\n   |             ^"), "{err}");
    // The criterion that calls the rule, as a second place.
    assert!(err.contains("criteria/2023/tree/07-chinh-quyen-so.toml:78:8"), "{err}");
    assert!(err.contains("criterion `7.3.2` calls this rule"), "{err}");
}

#[test]
fn a_division_by_zero_inside_a_function_of_the_rule_is_located_there() {
    let err = with_formula("half(x.value)\n}\nfn half(v) {\n    let zero = 0;\n    v / zero", "SCRIPT_RUNTIME");
    assert!(err.contains("--> rules/2023/proportional.rhai:13:7"), "{err}");
}

#[test]
fn a_rule_stopped_by_the_operations_limit_is_located_in_its_script() {
    let err = with_formula("loop { }", "SCRIPT_RUNTIME");
    assert!(err.contains("operations"), "{err}");
    assert!(err.contains("--> rules/2023/proportional.rhai:8:1"), "{err}");
    assert!(err.contains("criterion `7.3.2` calls this rule"), "{err}");
}

#[test]
fn a_rule_recursing_without_end_is_located_in_its_script() {
    let err = with_formula("deeper(1)\n}\nfn deeper(n) {\n    deeper(n + 1)", "SCRIPT_RUNTIME");
    assert!(err.to_lowercase().contains("stack overflow"), "{err}");
    // rhai gives no place for the overflow: the rule's `fn score`.
    assert!(err.contains("--> rules/2023/proportional.rhai:8:1"), "{err}");
    assert!(err.contains("criterion `7.3.2` calls this rule"), "{err}");
}

#[test]
fn a_criterion_declared_twice_shows_where_it_was_first_declared() {
    let t = temp_tree();
    let path = t.path().join("criteria/2023/tree/02-the-che.toml");
    let mut text = std::fs::read_to_string(&path).unwrap();
    let line = text.lines().count() + 3;
    text.push_str("\n[[node]]\nid = \"1.1\"\nname = \"again\"\nmax = 3\n");
    std::fs::write(&path, text).unwrap();
    let err = broken(t.path(), "DUPLICATE");
    assert!(err.contains(&format!("--> criteria/2023/tree/02-the-che.toml:{line}:6")), "{err}");
    assert!(err.contains("criteria/2023/tree/01-chi-dao-dieu-hanh.toml:26:6"), "{err}");
    assert!(err.contains("first declared here"), "{err}");
    let d = json_diags(t.path()).into_iter().find(|d| d["code"] == "DUPLICATE").unwrap();
    let label = &d["labels"][0];
    assert_eq!(label["file"], "criteria/2023/tree/01-chi-dao-dieu-hanh.toml");
    assert_eq!(label["line"], 26);
    assert_eq!(label["message"], "first declared here");
    assert!(label["span"]["start"].is_u64(), "{d}");
    insta::assert_snapshot!(err);
}

#[test]
fn missing_data_points_at_the_criterion_input_and_the_table() {
    let t = temp_tree();
    edit(t.path(), "fixtures/2023/indicators/portal-2023-12-25.csv", "hai_long;Sở Y tế;93,90%\n", "");
    let err = broken(t.path(), "MISSING_DATA");
    assert!(err.contains("--> criteria/2023/tree/07-chinh-quyen-so.toml:97:20"), "{err}");
    assert!(err.contains("^^^^^^^^^^^^^^^^^"), "the data key underlined: {err}");
    assert!(err.contains("fixtures/2023/indicators/portal-2023-12-25.csv"), "{err}");
}

#[test]
fn a_run_of_alike_warnings_is_counted_after_three_examples() {
    let t = temp_tree();
    let stats = "fixtures/2023/statistics/ttphvhcc-2023-12-15.toml";
    for (vi, dot) in [("65,85%", "65.85%"), ("93,41%", "93.41%"), ("99,99%", "99.99%"), ("98,77%", "98.77%")] {
        edit(t.path(), stats, &format!("value = \"{vi}\""), &format!("value = \"{dot}\""));
    }
    let check = run(t.path(), &["check", "--year", "2023"]);
    let err = stderr(&check);
    assert_eq!(check.status.code(), Some(0), "warnings do not fail: {err}");
    assert_eq!(err.matches("warning[AMBIGUOUS_NUMBER]").count(), 3, "{err}");
    assert!(err.contains("… and 2 more like this"), "{err}");
    let total = json_diags(t.path()).len();
    assert!(err.ends_with(&format!("0 errors, {total} warnings\n")), "{err}");
    let ambiguous = json_diags(t.path()).iter().filter(|d| d["code"] == "AMBIGUOUS_NUMBER").count();
    assert_eq!(ambiguous, 5, "JSON lists every one");
    // Errors come before every warning.
    edit(t.path(), "fixtures/2023/scores.toml", "[so-tttt]\n\"1.1\" = 2.08", "[so-tttt]\n\"1.1\" = 5.08");
    let err = stderr(&run(t.path(), &["check", "--year", "2023"]));
    assert!(err.starts_with("error[SCORE_ABOVE_MAX]"), "{err}");
}

#[test]
fn files_nothing_reads_are_warned_of_with_the_name_that_is_read() {
    let t = temp_tree();
    let root = t.path();
    std::fs::copy(root.join("criteria/2023/tree/02-the-che.toml"), root.join("criteria/2023/tree/09-moi.toml.txt")).unwrap();
    std::fs::copy(root.join("fixtures/2023/indicators/portal-2023-12-25.csv"), root.join("fixtures/2023/indicators/portal-cu.csv"))
        .unwrap();
    std::fs::copy(root.join("rules/2023/tiers.rhai"), root.join("rules/2023/tiers-moi.rhai")).unwrap();
    // Still scored: the warnings go with the results.
    let o = run(root, &["score", "--year", "2023"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    for file in ["criteria/2023/tree/09-moi.toml.txt", "fixtures/2023/indicators/portal-cu.csv", "rules/2023/tiers-moi.rhai"] {
        assert!(err.contains(&format!("warning[UNREAD_FILE]: `{file}` is read by nothing")), "{file}:\n{err}");
    }
    let (diags, _) = check_json(root);
    assert_eq!(diags.iter().filter(|d| d["code"] == "UNREAD_FILE").count(), 3, "{diags:#?}");
    // A misnamed file that leaves points missing is told beside the errors.
    std::fs::rename(root.join("fixtures/2023/scores.toml"), root.join("fixtures/2023/Scores.toml")).unwrap();
    let o = run(root, &["score", "--year", "2023"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("error[MISSING_DATA]"), "{err}");
    assert!(err.contains("`fixtures/2023/Scores.toml` is read by nothing") && err.contains("did you mean `scores.toml`?"), "{err}");
}

#[test]
fn a_rounding_beyond_the_decimals_an_exact_decimal_holds() {
    let t = temp_tree();
    edit(t.path(), "criteria/2023/index.toml", "leaf = { decimals = 2,", "leaf = { decimals = 29,");
    let err = broken(t.path(), "TOML_SYNTAX");
    assert!(err.contains("29 decimals: a rounding keeps from 0 to 28 decimals"), "{err}");
    assert!(err.contains("criteria/2023/index.toml:49:21"), "at the value: {err}");
}

#[test]
fn points_written_with_more_digits_than_a_decimal_holds() {
    let t = temp_tree();
    // 32 digits: read as the decimal nearest, they would be 2.08 and nothing said.
    edit(t.path(), "fixtures/2023/scores.toml", "[so-tttt]\n\"1.1\" = 2.08", "[so-tttt]\n\"1.1\" = \"2.0800000000000000000000000000001\"");
    let err = broken(t.path(), "TOML_SYNTAX");
    assert!(err.contains("`2.0800000000000000000000000000001` has more digits than an exact decimal holds"), "{err}");
    assert!(err.contains("fixtures/2023/scores.toml:32:9"), "at the value: {err}");
}
