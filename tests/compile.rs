//! Native programs compiled from rhai formulas give exactly what rhai gives.

mod common;
#[path = "../examples/workload/gen.rs"]
mod gen;

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

/// Leaves that call the same script with the same input names and
/// parameters share one trace: each leaf's plan is still the one its own
/// trace gives. A set loaded with a rule engine of its own is the set
/// loaded with the caller's.
#[test]
fn shared_traces_are_each_leafs_own() {
    let workload = tempfile::tempdir().expect("a temporary folder");
    gen::write_tree(workload.path(), 28, 80, 2023).expect("writes the workload");
    // One proportional criterion of the workload with a target of its own: a trace of its own.
    edit(workload.path(), "criteria/2023/tree/workload.toml", "params = { target = 100 }", "params = { target = 50 }");
    for (root, year) in [(repo(), 2023), (repo(), 2025), (workload.path().to_path_buf(), 2023)] {
        let rules = Rules::default();
        let rs = RuleSet::load(&root, year, &rules).expect("loads");
        let mut distinct = std::collections::HashSet::new();
        let mut leaves = 0;
        for (n, plan) in rs.model.nodes.iter().zip(&rs.plans) {
            let (Some(r), Some(plan)) = (&n.rule, plan) else {
                assert_eq!(n.rule.is_some(), plan.is_some(), "{year} {}: a plan exactly where a rule is", n.id);
                continue;
            };
            let names: Vec<String> = r.inputs.iter().map(|(k, _)| k.clone()).collect();
            assert_eq!(plan, &rules.trace(&rs.scripts[r.script], &names, &r.params), "{year} {}", n.id);
            distinct.insert((r.script, names, r.params_text.clone()));
            leaves += 1;
        }
        if root == workload.path() {
            // Three kinds of criteria, each with one script and the same
            // parameters, and the one proportional criterion edited.
            assert_eq!((distinct.len(), leaves), (4, 80), "the workload's 80 leaves share four traces");
            let (a, b) = (rs.model.node_ids["1.2"], rs.model.node_ids["1.5"]);
            assert_ne!(rs.plans[a], rs.plans[b], "a target of 50 against one of 100");
        }
        let own = RuleSet::load_own(&root, year, year).expect("loads");
        assert_eq!(own.plans, rs.plans, "{year}");
        assert_eq!(own.fingerprint.sha256, rs.fingerprint.sha256, "{year}");
        assert_eq!(evaluate(&own).expect("evaluates"), evaluate(&rs).expect("evaluates"), "{year}");
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

/// The formulas of every helper shape, as one-line scripts over `x.value`,
/// `x.other` and `x.max`.
const SHAPES: [&str; 16] = [
    "tiers(x.value, [[98, 1], [95, 0.75], [90, 0.5]]) * x.max",
    "tiers(x.value / x.other, [[1, 1], [0.95, 0.75], [0.9, 0.5]]) * x.max",
    "tiers(x.value / 7, [[10, 1], [5.5, 0.5]], 0.1) * x.max",
    "proportional(x.value, 80, x.max)",
    "proportional(x.value, x.other, x.max)",
    "min(x.value / 80, 1) * x.max",
    "max(x.max - (100 - x.value) * 0.01, 0)",
    "clamp(x.value / 50 - 0.5, 0, 1) * x.max",
    "deduct(x.max, 0.25, x.value / 20, 0.5)",
    "deduct(x.max, x.other, x.value, 0)",
    "checklist([x.value > 50, x.value >= 90, x.other != 0], x.max / 3)",
    "count([x.value > 10, x.value < 95, x.other <= x.value]) * 0.5",
    "ratio(x.value, x.other) * x.max",
    "percent(x.value, 400) / 100 * x.max",
    "-x.value * 0 + x.max / 2",
    "x.value * x.other + x.max - x.value / 1000",
];

mod properties {
    use parindex::formula::evaluate_script_str_everywhere;
    use proptest::prelude::*;
    use rust_decimal::Decimal;

    /// Decimals as data hold them (small, a few decimals), integers (counts),
    /// and anything a decimal can be, up to its 28 digits and its largest value.
    fn decimal() -> impl Strategy<Value = Decimal> {
        prop_oneof![
            4 => (-1_000_000i64..1_000_000, 0u32..5).prop_map(|(m, s)| Decimal::new(m, s)),
            3 => (0i64..10_000).prop_map(Decimal::from),
            1 => (any::<i64>(), 0u32..29).prop_map(|(m, s)| Decimal::new(m, s)),
            1 => (any::<u32>(), any::<u32>(), any::<u32>(), any::<bool>(), 0u32..29)
                .prop_map(|(lo, mid, hi, neg, s)| Decimal::from_parts(lo, mid, hi, neg, s)),
            1 => Just(Decimal::MAX),
            1 => Just(Decimal::ZERO),
        ]
    }

    fn check(shape: &str, value: Decimal, other: Decimal, max: Decimal) -> Result<(), TestCaseError> {
        let script = format!("fn score(x) {{ {shape} }}");
        let answers = evaluate_script_str_everywhere(&script, &[("value", value), ("other", other), ("max", max)])
            .map_err(|d| TestCaseError::fail(format!("`{shape}` does not compile: {}", d.message)))?;
        prop_assert!(answers.decimal.is_some(), "`{}` is traced", shape);
        prop_assert!(answers.agree(), "`{}` at value {}, other {}, max {}: {:?}", shape, value, other, max, answers);
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        /// Random inputs, small and huge: rhai, the native decimals and
        /// fixed point give the same number or the same error, never a panic.
        #[test]
        fn every_path_gives_the_same_points(value in decimal(), other in decimal(), max in decimal()) {
            for shape in super::SHAPES {
                check(shape, value, other, max)?;
            }
        }

        /// Points in the ranges the data have, where fixed point answers.
        #[test]
        fn fixed_point_answers_the_data_it_fits(value in 0i64..20_000, other in 1i64..20_000, max in 1i64..400, s in 0u32..3) {
            let (value, other, max) = (Decimal::new(value, s), Decimal::from(other), Decimal::new(max, 1));
            for shape in super::SHAPES {
                check(shape, value, other, max)?;
            }
        }
    }
}

/// The entry point for fuzzing: a script's text and one unit's inputs.
#[test]
fn a_script_from_text_is_evaluated_or_reported() {
    use parindex::diag::Code;
    use parindex::formula::{evaluate_script_str, evaluate_script_str_everywhere};
    use rust_decimal_macros::dec;
    let inputs = [("value", dec!(27.12)), ("max", dec!(2))];
    assert_eq!(evaluate_script_str("fn score(x) { proportional(x.value, 30, x.max) }", &inputs).unwrap(), dec!(1.808));
    let everywhere = evaluate_script_str_everywhere("fn score(x) { proportional(x.value, 30, x.max) }", &inputs).unwrap();
    // A division by 30 does not fit fixed point: the decimals answer.
    assert_eq!((everywhere.rhai, everywhere.decimal, everywhere.fixed), (Ok(dec!(1.808)), Some(Ok(dec!(1.808))), None));
    let by_100 = evaluate_script_str_everywhere("fn score(x) { proportional(x.value, 100, x.max) }", &inputs).unwrap();
    assert_eq!((by_100.fixed, by_100.agree()), (Some(dec!(0.5424)), true));
    let code = |text: &str| evaluate_script_str(text, &inputs).unwrap_err().code;
    assert_eq!(code("fn score(x) { x.value * "), Code::ScriptCompile);
    assert_eq!(code("import \"/etc/x\" as m; fn score(x) { 1 }"), Code::ScriptImport);
    assert_eq!(code("fn score(x) { x.value / 0 }"), Code::ScriptRuntime);
    assert_eq!(code("fn score(x) { x.value * 1000000000000000000 * 1000000000000000000 }"), Code::ScriptOverflow);
    assert_eq!(code("fn score(x) { \"full marks\" }"), Code::ScriptNotNumber);
    assert_eq!(code("\u{0}\u{ffff}fn"), Code::ScriptCompile);
}
