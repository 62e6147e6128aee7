//! Bad-input cases: rules. Each edits a rule script or the parameters a
//! criterion passes to it, and expects the code at the line that did it.

#[allow(unused_imports)]
use super::*;

const TIERS: &str = "rules/2023/tiers.rhai";
const PROPORTIONAL: &str = "rules/2023/proportional.rhai";
const TREE_3: &str = "criteria/2023/tree/03-thu-tuc-hanh-chinh.toml";
const TREE_7: &str = "criteria/2023/tree/07-chinh-quyen-so.toml";

/// The 1-based line of the first line of `rel` containing `needle`.
fn line_of(root: &std::path::Path, rel: &str, needle: &str) -> usize {
    let text = std::fs::read_to_string(root.join(rel)).expect("readable");
    text.lines().position(|l| l.contains(needle)).expect("the needle is there") + 1
}

/// Replaces the body of `fn score(x)` in `rel` with `body`.
fn body(root: &std::path::Path, rel: &str, from: &str, body: &str) {
    edit(root, rel, from, body);
}

#[test]
fn an_import_from_outside_the_tree_is_refused() {
    let t = temp_tree();
    let outside = tempfile::tempdir().unwrap();
    let module = outside.path().join("helpers.rhai");
    std::fs::write(&module, "fn half(v) { v / 2 }").unwrap();
    let import = format!("import \"{}\" as h;\n", module.with_extension("").display());
    let text = std::fs::read_to_string(t.path().join(TIERS)).unwrap();
    std::fs::write(t.path().join(TIERS), format!("{import}{text}")).unwrap();
    rejected(t.path(), "SCRIPT_IMPORT", TIERS, Some(1));
}

#[test]
fn an_import_inside_the_score_function_is_refused() {
    let t = temp_tree();
    body(t.path(), PROPORTIONAL, "proportional(x.value, x.target, x.max)", "import \"proportional\" as p;\n    p::score(x)");
    let line = line_of(t.path(), PROPORTIONAL, "import");
    rejected(t.path(), "SCRIPT_IMPORT", PROPORTIONAL, Some(line));
}

#[test]
fn eval_of_text_is_refused() {
    let t = temp_tree();
    body(t.path(), PROPORTIONAL, "proportional(x.value, x.target, x.max)", "eval(\"x.max\")");
    let line = line_of(t.path(), PROPORTIONAL, "eval(");
    rejected(t.path(), "SCRIPT_IMPORT", PROPORTIONAL, Some(line));
}

/// Checks that `criterion`'s params, edited from `from` to `to` in `tree`,
/// are refused with RULE_PARAM at the criterion's line.
fn bad_params(tree: &str, criterion: &str, from: &str, to: &str) -> String {
    let t = temp_tree();
    edit(t.path(), tree, from, to);
    let line = line_of(t.path(), tree, &format!("id = \"{criterion}\""));
    rejected(t.path(), "RULE_PARAM", tree, Some(line))
}

const BANDS_341: &str = "params = { bands = [[98, 1], [95, 0.75], [90, 0.5], [80, 0.25]] }";

#[test]
fn a_misspelt_parameter_is_reported_at_the_criterion_with_a_suggestion() {
    let err = bad_params(TREE_3, "3.4.1", BANDS_341, "params = { bandz = [[98, 1], [95, 0.75], [90, 0.5], [80, 0.25]] }");
    assert!(err.contains("did you mean `bands`?"), "{err}");
    assert!(!err.contains("SCRIPT_RUNTIME"), "the script is not blamed: {err}");
}

#[test]
fn bands_not_highest_first_are_refused() {
    bad_params(TREE_3, "3.4.1", BANDS_341, "params = { bands = [[80, 0.25], [90, 0.5], [95, 0.75], [98, 1]] }");
}

#[test]
fn bands_with_a_repeated_threshold_are_refused() {
    bad_params(TREE_3, "3.4.1", BANDS_341, "params = { bands = [[98, 1], [95, 0.75], [95, 0.5]] }");
}

#[test]
fn a_band_share_above_1_is_refused() {
    bad_params(TREE_3, "3.4.1", BANDS_341, "params = { bands = [[98, 1.5], [95, 0.75]] }");
}

#[test]
fn a_band_that_is_not_a_pair_is_refused() {
    bad_params(TREE_3, "3.4.1", BANDS_341, "params = { bands = [[98, 1], [95]] }");
}

#[test]
fn a_negative_target_is_refused() {
    bad_params(TREE_7, "7.3.2", "params = { target = 50 }", "params = { target = -50 }");
}

#[test]
fn a_target_of_zero_is_refused() {
    bad_params(TREE_7, "7.3.2", "params = { target = 50 }", "params = { target = 0 }");
}

#[test]
fn a_target_written_as_text_is_refused() {
    bad_params(TREE_7, "7.3.2", "params = { target = 50 }", "params = { target = \"50%\" }");
}

#[test]
fn a_missing_parameter_is_refused() {
    bad_params(TREE_7, "7.3.2", "params = { target = 50 }", "");
}

#[test]
fn a_parameter_the_rule_does_not_take_is_refused() {
    bad_params(TREE_7, "7.3.2", "params = { target = 50 }", "params = { target = 50, bonus = 1 }");
}

#[test]
fn a_declaration_of_an_unknown_type_is_reported_in_the_script() {
    let t = temp_tree();
    edit(t.path(), PROPORTIONAL, "// param target: number > 0", "// param target: money");
    let line = line_of(t.path(), PROPORTIONAL, "// param target");
    rejected(t.path(), "SCRIPT_COMPILE", PROPORTIONAL, Some(line));
}

#[test]
fn a_division_by_zero_while_scoring_is_reported_in_the_script() {
    let t = temp_tree();
    body(t.path(), PROPORTIONAL, "proportional(x.value, x.target, x.max)", "x.value / (x.max - x.max)");
    let err = rejected(t.path(), "SCRIPT_RUNTIME", PROPORTIONAL, None);
    assert!(err.contains("7.3.2"), "the criterion is named: {err}");
}

#[test]
fn an_overflow_in_a_rule_is_reported_at_the_criterion_not_a_crash() {
    let t = temp_tree();
    body(t.path(), PROPORTIONAL, "proportional(x.value, x.target, x.max)", "x.value * 1000000000000000000 * 1000000000000000000");
    let line = line_of(t.path(), TREE_7, "id = \"7.3.2\"");
    let err = rejected(t.path(), "SCRIPT_OVERFLOW", TREE_7, Some(line));
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn an_overflow_in_a_formula_that_runs_in_rhai_is_the_same_error() {
    let t = temp_tree();
    // Branching on data: not traced, run by rhai for each unit.
    let overflowing = "if x.value > 0 { x.value * 1000000000000000000 * 1000000000000000000 } else { 0 }";
    body(t.path(), PROPORTIONAL, "proportional(x.value, x.target, x.max)", overflowing);
    let line = line_of(t.path(), TREE_7, "id = \"7.3.2\"");
    rejected(t.path(), "SCRIPT_OVERFLOW", TREE_7, Some(line));
}

#[test]
fn a_rule_returning_more_than_its_maximum_is_reported_at_the_criterion() {
    let t = temp_tree();
    body(t.path(), TIERS, "tiers(x.value, x.bands) * x.max", "tiers(x.value, x.bands) * x.max * 1000000000000000000");
    let line = line_of(t.path(), TREE_3, "id = \"3.4.1\"");
    rejected(t.path(), "SCORE_ABOVE_MAX", TREE_3, Some(line));
}
