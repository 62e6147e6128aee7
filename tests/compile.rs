//! Native programs compiled from rhai formulas give exactly what rhai gives.

mod common;

use common::*;
use parindex::formula::rules::Rules;
use parindex::score::eval::evaluate;
use parindex::score::ruleset::RuleSet;

fn both(root: &std::path::Path, year: u16) -> (parindex::score::eval::Outcome, parindex::score::eval::Outcome, (usize, usize)) {
    let rs = RuleSet::load(root, year, &Rules::default()).expect("loads");
    let counts = rs.plan_counts();
    let native = evaluate(&rs).expect("evaluates");
    let interpreted = evaluate(&rs.interpreted()).expect("evaluates");
    (native, interpreted, counts)
}

#[test]
fn the_shipped_years_compile_and_agree_with_rhai() {
    for year in [2023, 2025] {
        let (native, interpreted, (n, i)) = both(&repo(), year);
        assert!(n > 0 && i == 0, "{year}: every shipped formula compiles ({n} native, {i} interpreted)");
        assert_eq!(native, interpreted, "{year}");
    }
}

/// Formulas of every helper shape, over many inputs, native against rhai.
#[test]
fn every_helper_shape_agrees_with_rhai() {
    let t = temp_tree();
    let formulas = [
        "tiers(x.value, x.bands) * x.max",
        "tiers(x.value / 7, [[10, 1], [5.5, 0.5]], 0.1) * x.max",
        "proportional(x.value, 80, x.max)",
        "proportional(x.value, 3, x.max)",
        "min(x.value / 80, 1) * x.max",
        "max(x.max - (100 - x.value) * 0.01, 0)",
        "clamp(x.value / 50 - 0.5, 0, 1) * x.max",
        "deduct(x.max, 0.25, x.value / 20, 0.5)",
        "checklist([x.value > 50, x.value >= 90, x.value != 0], x.max / 3)",
        "count([x.value > 10, x.value < 95]) * 0.5",
        "ratio(x.value, 120) * x.max",
        "percent(x.value, 400) / 100 * x.max",
        "-x.value * 0 + x.max / 2",
    ];
    for f in formulas {
        std::fs::write(t.path().join("rules/2023/tiers.rhai"), format!("fn score(x) {{ {f} }}")).unwrap();
        let rs = RuleSet::load(t.path(), 2023, &Rules::default()).expect("loads");
        assert_eq!(rs.plan_counts().1, 0, "`{f}` compiles");
        let native = evaluate(&rs);
        let interpreted = evaluate(&rs.interpreted());
        match (native, interpreted) {
            (Ok(a), Ok(b)) => assert_eq!(a, b, "`{f}`"),
            (Err(a), Err(b)) => assert_eq!(a.codes(), b.codes(), "`{f}`"),
            (a, b) => panic!("`{f}`: native {:?} but rhai {:?}", a.map(|_| ()), b.map(|_| ())),
        }
    }
}

/// A formula that branches on data cannot be compiled: it runs in rhai, exactly.
#[test]
fn a_formula_branching_on_data_is_interpreted() {
    let t = temp_tree();
    std::fs::write(t.path().join("rules/2023/tiers.rhai"), "fn score(x) { if x.value >= 95 { x.max } else { x.max / 2 } }").unwrap();
    let rs = RuleSet::load(t.path(), 2023, &Rules::default()).expect("loads");
    let (native, interpreted) = rs.plan_counts();
    assert!(interpreted > 0 && native > 0, "tiers leaves interpreted, proportional leaves native");
    let outcome = evaluate(&rs).expect("evaluates");
    let m = &rs.model;
    let u = m.units.iter().position(|u| u.id == "so-tttt").unwrap();
    let leaf = m.node_index("3.4.1").unwrap();
    assert_eq!(outcome.units[u].node(leaf).points.normalize().to_string(), "2", "98.97 ≥ 95: the full 2 points");
}
