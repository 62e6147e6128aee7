//! The shared synthetic workload (see `examples/workload/gen.rs`), scored
//! exactly: every unit's total equals the sum of its criteria's scores
//! computed straightforwardly in decimals, nationally (10,000 units × 100
//! criteria, through the library) and for a province (28 units × 80
//! criteria, through the real binary).

use std::path::Path;
use std::process::Command;

use parindex::formula::rules::Rules;
use parindex::score::eval::evaluate;
use parindex::score::ruleset::RuleSet;
use rust_decimal::Decimal;

#[path = "../examples/workload/gen.rs"]
mod gen;

fn unit_number(id: &str) -> usize {
    id.strip_prefix('u').and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("unit id `{id}` is not u<n>"))
}

#[test]
fn national_workload_totals_are_exact() {
    let (units, criteria) = (10_000, 100);
    let dir = tempfile::tempdir().unwrap();
    gen::write_tree(dir.path(), units, criteria, 2023).unwrap();
    let rs = RuleSet::load(dir.path(), 2023, &Rules::default()).unwrap_or_else(|d| panic!("{d}"));
    assert!(rs.warnings.is_empty(), "{}", rs.warnings);
    let outcome = evaluate(&rs).unwrap_or_else(|d| panic!("{d}"));
    assert_eq!(outcome.units.len(), units);
    let mut wrong = Vec::new();
    for r in &outcome.units {
        let id = &rs.model.units[r.unit].id;
        let want = gen::expected_total(unit_number(id), criteria);
        assert_eq!(r.scale, Decimal::from(criteria), "{id}");
        if r.total != want {
            wrong.push(format!("{id}: {} instead of {want}", r.total));
        }
    }
    assert!(wrong.is_empty(), "{} of {units} totals differ: {:?}", wrong.len(), &wrong[..wrong.len().min(10)]);
    // A year this large (7 MB of data) is hashed beside its validation,
    // from the texts read: the digests are those of the files on disk.
    let scripts: Vec<std::path::PathBuf> = rs.model.scripts.iter().map(|s| s.path.clone()).collect();
    let from_disk = parindex::input::fingerprint::fingerprint(dir.path(), 2023, 2023, &scripts).unwrap();
    assert_eq!(rs.fingerprint, from_disk, "a large year's fingerprint");
    // Written a block of rows at a time, the report is the same JSON as built whole.
    let whole = parindex::report::Report::new(&rs, &outcome);
    let streamed = parindex::report::ReportStream::new(&rs, &outcome);
    for pretty in [false, true] {
        let json = |v: &dyn erased::Json| v.json(pretty);
        assert!(json(&whole) == json(&streamed), "the streamed report differs (pretty: {pretty})");
        let mut written = Vec::new();
        streamed.write_json(&mut written, pretty).unwrap();
        assert!(json(&whole) == written, "the report written in parallel differs (pretty: {pretty})");
    }
}

/// JSON of either kind of report, compact or pretty.
mod erased {
    pub trait Json {
        fn json(&self, pretty: bool) -> Vec<u8>;
    }
    impl<T: serde::Serialize> Json for T {
        fn json(&self, pretty: bool) -> Vec<u8> {
            if pretty { serde_json::to_vec_pretty(self) } else { serde_json::to_vec(self) }.unwrap()
        }
    }
}

fn score_json(root: &Path) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_parindex"))
        .args(["score", "--root"])
        .arg(root)
        .args(["--year", "2023", "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn province_workload_through_the_binary() {
    let (units, criteria) = (28, 80);
    let dir = tempfile::tempdir().unwrap();
    gen::write_tree(dir.path(), units, criteria, 2023).unwrap();
    let json = score_json(dir.path());
    let rows = json["units"].as_array().unwrap();
    assert_eq!(rows.len(), units);
    let mut seen = vec![false; units];
    for row in rows {
        let id = row["id"].as_str().unwrap();
        let n = unit_number(id);
        seen[n] = true;
        let want = gen::expected_total(n, criteria);
        let mut shown = want;
        shown.rescale(2);
        assert_eq!(row["total"].as_str(), Some(shown.to_string().as_str()), "{id}");
        let exact: Decimal = row["exact"]["total"].as_str().unwrap().parse().unwrap();
        assert_eq!(exact, want, "{id}");
        assert_eq!(row["scale"].as_str(), Some("80"), "{id}");
    }
    assert!(seen.iter().all(|s| *s), "every unit u0..u27 is scored once");
}

#[test]
fn the_generated_tree_checks_clean() {
    let dir = tempfile::tempdir().unwrap();
    gen::write_tree(dir.path(), 5, 7, 2023).unwrap();
    let out =
        Command::new(env!("CARGO_BIN_EXE_parindex")).args(["check", "--root"]).arg(dir.path()).args(["--year", "2023"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("0 errors, 0 warnings"), "{err}");
}

#[test]
fn expected_scores_follow_the_workload_definition() {
    use rust_decimal_macros::dec;
    // n = 0, i = 0 (a): total 1, on_time 0 → 0; i = 1 (b): value 5 → 0.05;
    // i = 2 (c): items (6 + 5k) mod 7 = 6, 4, 2, 0, 5 → 2 done → 0.4.
    assert_eq!(gen::ratio_inputs(0, 0), (1, 0));
    assert_eq!(gen::expected_score(0, 0), dec!(0));
    assert_eq!(gen::expected_score(0, 1), dec!(0.05));
    assert_eq!(gen::expected_score(0, 2), dec!(0.4));
    assert_eq!(gen::expected_total(0, 3), dec!(0.45));
    // (a) at the band edges: 19/20 = 0.95 → 0.75, 9/10 → 0.5, 1 → 1.
    let tiers = (0..10_000).flat_map(|n| (0..99).step_by(3).map(move |i| (n, i)));
    let (mut full, mut edge) = (0, 0);
    for (n, i) in tiers.take(200_000) {
        let (total, on_time) = gen::ratio_inputs(n, i);
        if on_time == total {
            full += 1;
            assert_eq!(gen::expected_score(n, i), dec!(1));
        }
        if 100 * on_time == 95 * total {
            edge += 1;
            assert_eq!(gen::expected_score(n, i), dec!(0.75));
        }
    }
    assert!(full > 0 && edge > 0, "the workload reaches the top band ({full}) and the 0.95 edge ({edge})");
}

/// A reload after editing one criterion computes that criterion only, and
/// gives exactly what a full evaluation gives.
#[test]
fn a_reload_after_one_edit_recomputes_only_that_criterion() {
    let dir = tempfile::tempdir().unwrap();
    gen::write_tree(dir.path(), 500, 30, 2023).unwrap();
    let engine = parindex::live::engine::Engine::open(dir.path(), 2023).expect("opens");
    assert_eq!(engine.current().stats.computed, 30);

    let tree = dir.path().join("criteria/2023/tree/workload.toml");
    let text = std::fs::read_to_string(&tree).unwrap();
    let edited = text.replacen(
        "inputs = { value = \"w.c1_value\" }\nparams = { target = 100 }",
        "inputs = { value = \"w.c1_value\" }\nparams = { target = 50 }",
        1,
    );
    assert_ne!(edited, text);
    std::fs::write(&tree, edited).unwrap();

    let before = engine.current();
    match engine.reload() {
        parindex::live::engine::ReloadOutcome::Applied { snapshot, changes } => {
            assert_eq!((snapshot.stats.computed, snapshot.stats.reused), (1, 29));
            // The data files did not change: their units are shared, not read again.
            let (old_units, new_units) = (&before.rule_set.model.units, &snapshot.rule_set.model.units);
            assert!(old_units.iter().zip(new_units).all(|(a, b)| std::ptr::eq(a.id.as_str(), b.id.as_str())), "units are shared");
            let fresh = evaluate(&RuleSet::load(dir.path(), 2023, &Rules::default()).unwrap()).unwrap();
            assert_eq!(snapshot.outcome, fresh, "reused points equal recomputed ones");
            // The change list names exactly the units whose points at 1.2
            // moved (value below the old target of 100 and above 0), with
            // 1.2 and the node above it.
            let leaf = snapshot.rule_set.model.node_index("1.2").unwrap();
            let mut moved = 0;
            for (u, r) in snapshot.outcome.units.iter().enumerate() {
                let id = &snapshot.rule_set.model.units[u].id;
                let value = gen::proportional_value(unit_number(id), 1);
                let listed: Vec<&str> = changes.unit(id).map(|c| c.criteria.iter().map(|c| c.id.as_str()).collect()).unwrap_or_default();
                let differs = before.outcome.units[u].node(leaf).points != r.node(leaf).points;
                assert_eq!(differs, (1..100).contains(&value), "{id}: value {value}");
                assert_eq!(listed, if differs { vec!["1", "1.2"] } else { vec![] }, "{id}");
                moved += usize::from(differs);
            }
            assert!(moved > 100, "most units moved ({moved})");
        }
        other => panic!("expected the edit to be applied, got {other:?}"),
    }
}

/// Leaves that need decimals (a division by 7, rounded as the rules declare:
/// to 2 decimals, or to 20, beyond fixed point) summed beside leaves computed
/// in fixed point: every total is still the straightforward decimal sum, and
/// rhai gives the same.
#[test]
fn decimal_and_fixed_point_leaves_add_up_exactly() {
    use rust_decimal::RoundingStrategy;
    let (units, criteria) = (600, 12);
    for decimals in [2, 20] {
        let dir = tempfile::tempdir().unwrap();
        gen::write_tree(dir.path(), units, criteria, 2023).unwrap();
        let tree = dir.path().join("criteria/2023/tree/workload.toml");
        let text = std::fs::read_to_string(&tree).unwrap();
        std::fs::write(&tree, text.replace("params = { target = 100 }", "params = { target = 7 }")).unwrap();
        let index = dir.path().join("criteria/2023/index.toml");
        let text = std::fs::read_to_string(&index).unwrap();
        let leaf = format!("leaf = {{ decimals = {decimals}, mode = \"half_up\" }}");
        std::fs::write(&index, text.replace("leaf = { decimals = 2, mode = \"half_up\" }", &leaf)).unwrap();
        let rs = RuleSet::load(dir.path(), 2023, &Rules::default()).unwrap_or_else(|d| panic!("{d}"));
        assert_eq!(rs.model.rounding.leaf.decimals, decimals);
        let outcome = evaluate(&rs).unwrap_or_else(|d| panic!("{d}"));
        let seventh = |n: usize, i: usize| {
            (Decimal::from(gen::proportional_value(n, i)) / Decimal::from(7))
                .min(Decimal::ONE)
                .round_dp_with_strategy(decimals, RoundingStrategy::MidpointAwayFromZero)
        };
        for r in &outcome.units {
            let n = unit_number(&rs.model.units[r.unit].id);
            let want: Decimal = (0..criteria).map(|i| if gen::kind(i) == b'b' { seventh(n, i) } else { gen::expected_score(n, i) }).sum();
            assert_eq!(r.total, want, "u{n}, {decimals} decimals");
        }
        assert_eq!(outcome, evaluate(&rs.interpreted()).unwrap(), "native and rhai agree ({decimals} decimals)");
    }
}

/// A reload after the units file changes: a renamed unit is listed as
/// removed and added, units are matched by id even when they are listed in
/// another order, and no other unit's points move.
#[test]
fn a_reload_matches_units_by_id() {
    let dir = tempfile::tempdir().unwrap();
    gen::write_tree(dir.path(), 300, 9, 2023).unwrap();
    let engine = parindex::live::engine::Engine::open(dir.path(), 2023).expect("opens");
    let rename = |path: &Path| {
        let text = std::fs::read_to_string(path).unwrap();
        let mut lines: Vec<String> = text.lines().map(|l| l.replacen("u7,", "x7,", 1)).collect();
        let (a, b) = (lines.iter().position(|l| l.starts_with("u1,")).unwrap(), lines.iter().position(|l| l.starts_with("u2,")).unwrap());
        lines.swap(a, b);
        std::fs::write(path, lines.join("\n") + "\n").unwrap();
    };
    rename(&dir.path().join("fixtures/2023/units.csv"));
    rename(&dir.path().join("fixtures/2023/indicators/workload.csv"));
    let before = engine.current();
    match engine.reload() {
        parindex::live::engine::ReloadOutcome::Applied { snapshot, changes } => {
            assert_eq!(snapshot.rule_set.model.units[1].id, "u2", "the units are in the new order");
            let (old_u0, new_u0) = (&before.rule_set.model.units[0].id, &snapshot.rule_set.model.units[0].id);
            assert!(old_u0 == new_u0 && !std::ptr::eq(old_u0.as_str(), new_u0.as_str()), "the changed units file is read again");
            assert_eq!(changes.added, ["x7"]);
            assert_eq!(changes.removed, ["u7"]);
            for u in &changes.units {
                assert!(u.total.is_none() && u.index.is_none() && u.criteria.is_empty(), "{} moved: {u:?}", u.id);
            }
            assert!(changes.unit("u1").is_none() && changes.unit("u2").is_none(), "units matched by id did not move");
        }
        other => panic!("expected the edit to be applied, got {other:?}"),
    }
}
