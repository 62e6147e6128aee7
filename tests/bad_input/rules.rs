//! Bad-input cases: rules. Each edits a rule script or the parameters a
//! criterion passes to it, and expects the code at the line that did it.

#[allow(unused_imports)]
use super::*;

const TIERS: &str = "rules/tiers.rhai";
const PROPORTIONAL: &str = "rules/proportional.rhai";
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
