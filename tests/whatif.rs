//! What-if variants: each override on the shipped 2023 data, each variant
//! against a full reload of the same edit, bad overrides, and the rounding
//! robustness of a small tree whose answer is worked out by hand.

mod common;

use std::path::Path;

use proptest::prelude::*;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde_json::Value;

use parindex::formula::rules::Rules;
use parindex::live::engine::Snapshot;
use parindex::live::variant::rounding::{robustness, robustness_steps, robustness_with};
use parindex::live::variant::{variant, Override, Variant};

fn base() -> Snapshot {
    Snapshot::build(&common::repo(), 2023, &Rules::default(), 1).unwrap_or_else(|d| panic!("{d}"))
}

fn ov(list: &[&str]) -> Vec<Override> {
    list.iter().map(|s| s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))).collect()
}

fn run_variant(base: &Snapshot, list: &[&str]) -> Variant {
    variant(base, &ov(list)).unwrap_or_else(|d| panic!("{list:?}: {d}"))
}

fn unit<'a>(s: &'a Snapshot, id: &str) -> &'a parindex::score::eval::UnitResult {
    let u = s.rule_set.model.units.iter().position(|u| u.id == id).unwrap();
    &s.outcome.units[u]
}

fn node_points(s: &Snapshot, id: &str, node: &str) -> Decimal {
    let n = s.rule_set.model.node_index(node).unwrap();
    unit(s, id).node(n).points
}

#[test]
fn a_maximum_changes_every_scale_it_counts_in() {
    let b = base();
    let v = run_variant(&b, &["8.2.max=12"]);
    let c = v.changes.unit("so-tttt").expect("so-tttt moves");
    assert_eq!(c.scale.as_ref().map(|m| (m.old.to_string(), m.new.to_string())), Some(("100".into(), "102".into())));
    assert_eq!(c.index.as_ref().map(|m| (m.old.to_string(), m.new.to_string())), Some(("88.65".into(), "86.91".into())));
    // The five agencies exempt from SIPAS keep their scale.
    assert!(v.changes.unit("vp-ubnd").map_or(true, |u| u.scale.is_none()));
    assert_eq!(unit(&v.snapshot, "vp-ubnd").scale, unit(&b, "vp-ubnd").scale);
}

#[test]
fn a_maximum_of_one_kind_leaves_the_other_kind() {
    let b = base();
    let v = run_variant(&b, &["8.2.max.district=12"]);
    assert_eq!(unit(&v.snapshot, "than-uyen").scale, unit(&b, "than-uyen").scale + dec!(2));
    assert_eq!(unit(&v.snapshot, "so-tttt").scale, unit(&b, "so-tttt").scale);
    assert!(v.changes.units.iter().all(|u| !u.id.starts_with("so-")), "no department moves");
}

#[test]
fn points_move_the_total_by_their_difference() {
    let b = base();
    assert_eq!(node_points(&b, "so-tttt", "8.2"), dec!(9.91));
    let v = run_variant(&b, &["points:so-tttt:8.2=9.8"]);
    assert_eq!(unit(&v.snapshot, "so-tttt").total, unit(&b, "so-tttt").total - dec!(0.11));
    assert_eq!(node_points(&v.snapshot, "so-tttt", "8.2"), dec!(9.8));
    let moved: Vec<&str> = v.changes.units.iter().map(|u| u.id.as_str()).collect();
    assert_eq!(moved, ["so-tttt"], "only the unit whose points changed");
    // 0.41 less puts it behind so-tc (88.42): both ranks move.
    let v = run_variant(&b, &["points:so-tttt:8.2=9.5"]);
    let ranks: Vec<(&str, u32, u32)> =
        v.changes.units.iter().filter_map(|u| u.rank.as_ref().map(|m| (u.id.as_str(), m.old, m.new))).collect();
    assert_eq!(ranks, [("so-tc", 2, 1), ("so-tttt", 1, 2)]);
}

#[test]
fn a_parameter_rescores_its_rule() {
    let b = base();
    // A higher target: nobody gains, someone loses.
    let v = run_variant(&b, &["7.3.2.params.target=90"]);
    let model = &b.rule_set.model;
    let n = model.node_index("7.3.2").unwrap();
    let mut lower = 0;
    for (old, new) in b.outcome.units.iter().zip(&v.snapshot.outcome.units) {
        let (o, p) = (old.node(n).points, new.node(n).points);
        assert!(p <= o, "{}: {o} → {p}", model.units[old.unit].id);
        lower += usize::from(p < o);
    }
    assert!(lower > 0, "a target of 90 lowers some unit's points");
    assert!(v.snapshot.stats.reused > 0, "the other rule leaves keep their points");
}

#[test]
fn an_exemption_added_takes_the_unit_out_of_its_criteria() {
    let b = base();
    let v = run_variant(&b, &["exemption:khong-sipas:so-tttt=on"]);
    let (old, new) = (unit(&b, "so-tttt"), unit(&v.snapshot, "so-tttt"));
    assert_eq!(new.scale, old.scale - dec!(10));
    assert_eq!(new.total, old.total - dec!(9.91));
    let n = b.rule_set.model.node_index("8.2").unwrap();
    assert!(!new.node(n).status.in_scale());
}

#[test]
fn an_exemption_dropped_needs_the_points_it_covered() {
    let b = base();
    let five = ["vp-ubnd", "bql-kkt", "ban-dt", "so-ngv", "thanh-tra"];
    let Err(e) = variant(&b, &ov(&["exemption:khong-sipas=off"])) else { panic!("the five have no SIPAS points") };
    assert!(e.0.iter().any(|d| d.code.as_str() == "MISSING_DATA" && d.criterion.as_deref() == Some("8.2")), "{e}");
    let mut list = vec!["exemption:khong-sipas=off".to_string()];
    list.extend(five.iter().map(|u| format!("points:{u}:8.2=8")));
    let refs: Vec<&str> = list.iter().map(String::as_str).collect();
    let v = run_variant(&b, &refs);
    for u in five {
        assert_eq!(unit(&v.snapshot, u).scale, unit(&b, u).scale + dec!(10), "{u}");
        assert_eq!(unit(&v.snapshot, u).total, unit(&b, u).total + dec!(8), "{u}");
    }
    // Turned on again, the exemption sets the new points aside: as before.
    list.push("exemption:khong-sipas=on".into());
    let refs: Vec<&str> = list.iter().map(String::as_str).collect();
    let v = run_variant(&b, &refs);
    assert!(v.changes.is_empty(), "{}", v.changes);
    // Points where a unit is exempt are refused.
    let Err(e) = variant(&b, &ov(&["points:vp-ubnd:8.2=8"])) else { panic!("vp-ubnd is exempt from 8.2") };
    assert!(e.0.iter().any(|d| d.code.as_str() == "POINTS_NOT_EVALUATED"), "{e}");
}

#[test]
fn an_overrides_target_leaves_out_only_its_value() {
    let cases = [
        ("8.2.max=12", "8.2.max"),
        ("8.2.max.district=1.5", "8.2.max.district"),
        ("7.3.2.params.target=60", "7.3.2.params.target"),
        ("7.3.2.params.steps=[[95, 1], [90, 0.5]]", "7.3.2.params.steps"),
        ("exemption:khong-sipas=off", "exemption:khong-sipas"),
        ("exemption:khong-sipas:so-tttt=on", "exemption:khong-sipas:so-tttt"),
        ("points:so-tttt:1=11", "points:so-tttt:1"),
    ];
    for (text, target) in cases {
        assert_eq!(text.parse::<Override>().unwrap().target(), target, "{text}");
    }
    let list = ov(&["8.2.max=12", "8.2.max.district=1", "exemption:khong-sipas=off", "8.2.max=13"]);
    assert_eq!(parindex::live::variant::repeated(&list), Some((0, 3)));
    assert_eq!(parindex::live::variant::repeated(&list[..3]), None);
}

#[test]
fn bad_overrides_are_diagnosed_with_suggestions() {
    let b = base();
    let cases: &[(&str, &str, &str)] = &[
        ("8.22.max=3", "UNKNOWN_CRITERION", "did you mean `8.2`?"),
        ("8.max=3", "BAD_MAXIMUM", "sub-criteria"),
        ("8.2.max=-1", "BAD_MAXIMUM", "below 0"),
        ("8.2.max=2000000", "BAD_MAXIMUM", "above"),
        ("8.2.max=9", "SCORE_ABOVE_MAX", "9.91"),
        ("8.2.max.distrct=12", "UNKNOWN_REFERENCE", "did you mean `district`?"),
        ("exemption:khong-sipa=off", "UNKNOWN_REFERENCE", "did you mean `khong-sipas`?"),
        ("points:so-ttt:8.2=5", "UNKNOWN_UNIT", "did you mean `so-tttt`?"),
        ("points:so-tttt:8.2=10.5", "SCORE_ABOVE_MAX", "10"),
        ("points:so-tttt:8.2=-1", "SCORE_BELOW_ZERO", "below 0"),
        ("points:so-tttt:8=20", "OVERLAPPING_POINTS", "sub-criteria"),
        ("7.3.2.params.target=0", "RULE_PARAM", "above 0"),
        ("7.3.2.params.tagret=50", "RULE_PARAM", "tagret"),
        ("1.1.params.target=50", "RULE_PARAM", "no rule"),
    ];
    for (set, code, words) in cases {
        let e = variant(&b, &ov(&[set])).err().unwrap_or_else(|| panic!("{set} should be refused"));
        let d = e.0.iter().find(|d| d.code.as_str() == *code).unwrap_or_else(|| panic!("{set}: no {code} in {e}"));
        let text = format!("{} {}", d.message, d.help.clone().unwrap_or_default());
        assert!(text.contains(words), "{set}: {text}");
    }
}

// ---------------------------------------------------------------------------
// The command

#[test]
fn whatif_set_prints_the_units_that_move() {
    let o = common::run(&common::repo(), &["whatif", "--year", "2023", "--set", "8.2.max=12"]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    let out = common::stdout(&o);
    assert!(out.contains("so-tttt") && out.contains("88.65 → 86.91") && out.contains("100 → 102"), "{out}");
    let o = common::run(&common::repo(), &["whatif", "--year", "2023", "--set", "8.2.max=12", "--format", "json"]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["overrides"][0], "8.2.max=12");
    let u = v["units"].as_array().unwrap().iter().find(|u| u["id"] == "so-tttt").unwrap();
    assert_eq!((u["index"]["old"].as_str(), u["index"]["new"].as_str()), (Some("88.65"), Some("86.91")));
    assert!(v["changes"]["units"].is_array());
    let o = common::run(&common::repo(), &["whatif", "--year", "2023", "--set", "8.2.max=12", "--format", "csv"]);
    let out = common::stdout(&o);
    assert!(out.starts_with("unit,name,scale_old,scale_new,total_old,total_new,index_old,index_new,rank_old,rank_new\n"), "{out}");
    assert!(out.lines().any(|l| l.starts_with("so-tttt,") && l.contains(",100,102,") && l.contains(",88.65,86.91,")), "{out}");
}

#[test]
fn whatif_vary_gives_each_units_best_and_worst_rank() {
    let o = common::run(&common::repo(), &["whatif", "--year", "2023", "--vary", "points:so-tc:8.2=9..10:0.5", "--format", "json"]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let variants = v["variants"].as_array().unwrap();
    assert_eq!(variants.iter().map(|x| x["value"].as_str().unwrap()).collect::<Vec<_>>(), ["9", "9.5", "10"]);
    let tc = v["units"].as_array().unwrap().iter().find(|u| u["id"] == "so-tc").unwrap();
    // so-tc is 2nd with 88.42, 0.23 behind so-tttt; its 8.2 is 9.76: at 10 it passes.
    assert_eq!((tc["rank"].as_u64(), tc["best"].as_u64(), tc["worst"].as_u64()), (Some(2), Some(1), Some(2)));
    let at10 = &variants[2]["ranks"];
    assert!(at10.as_array().unwrap().iter().any(|r| r["id"] == "so-tc" && r["new"] == 1), "{at10}");
}

#[test]
fn whatif_refuses_bad_input_without_panicking() {
    let root = common::repo();
    let cases: &[(&[&str], &str)] = &[
        (&["--set", "8.22.max=3"], "did you mean `8.2`?"),
        (&["--set", "8.2=3"], "is not an override"),
        (&["--set", "8.2.max=abc"], "is not a number"),
        (&["--vary", "8.2.max=0..100000:1"], "more than 10000 variants"),
        (&["--vary", "8.2.max=0..1:0.0000000000000000000001"], "more than 10000 variants"),
        (&["--vary", "8.2.max=10..15:0"], "step must be above 0"),
        (&["--vary", "8.2.max=15..10:1"], "below"),
        (&["--vary", "8.2.max=10..15"], "write `<what>=<from>..<to>:<step>`"),
        (&["--vary", "exemption:khong-sipas=1..2:1"], "`on` or `off`"),
        (&["--set", "8.2.max=12", "--set", "8.2.max=13"], "both set `8.2.max`"),
        (&["--set", "exemption:khong-sipas=off", "--set", "exemption:khong-sipas=on"], "both set `exemption:khong-sipas`"),
        (&["--set", "8.2.max=12", "--vary", "8.2.max=10..15:1"], "sets what `--vary` varies"),
    ];
    for (args, words) in cases {
        let mut all = vec!["whatif", "--year", "2023"];
        all.extend_from_slice(args);
        let o = common::run(&root, &all);
        let err = common::stderr(&o);
        assert!(matches!(o.status.code(), Some(1 | 2)), "{args:?}: {:?}", o.status);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert!(err.contains(words), "{args:?}: {err}");
    }
    // A sweep whose low values do not fit: those are told, the others shown, status 1.
    let o = common::run(&root, &["whatif", "--year", "2023", "--vary", "8.2.max=9..10:1"]);
    assert_eq!(o.status.code(), Some(1));
    let out = common::stdout(&o);
    assert!(out.contains("8.2.max=9: error:") && out.contains("8.2.max=10: no rank moves"), "{out}");
    let o = common::run(&root, &["whatif", "--year", "2023", "--vary"]);
    assert_eq!(o.status.code(), Some(2), "a missing value is a usage error");
}

// ---------------------------------------------------------------------------
// Rounding robustness on a tree small enough to work out by hand

/// Four units of one group, scale 25 each (1.1 and 1.2 of 10, 2 of 5):
///
/// | unit | 1.1 | 1.2 | 2 | total | moves by | total range |
/// |---|---|---|---|---|---|---|
/// | a | 8.00 | 7.50 | 4.00 | 19.50 | 3 × 0.005 | 19.485 .. 19.515 |
/// | b | 8.49 | 7.00 | 4.00 | 19.49 | 3 × 0.005 | 19.475 .. 19.505 |
/// | c | 9.00 | 6.47 | 4.00 | 19.47 | 3 × 0.005 | 19.455 .. 19.485 |
/// | d | 10 | 5.5 | 3.000 | 18.50 | 10 is at its maximum: −0.005 only; 5.5 is 5.50: ±0.005; 3.000: ±0.0005 | 18.4895 .. 18.5055 |
///
/// Same scales, so indices order as totals. Ranks: a 1, b 2, c 3, d 4.
/// - a: best 1 (no one's low is above 19.515); worst 2 (b's high 19.505 is
///   above 19.485; c's high 19.485 only ties).
/// - b: best 1 (a's low 19.485 is not above 19.505); worst 3 (a and c can pass it).
/// - c: best 1 (at 19.485 it ties a at its low, and ties share rank 1); worst 3.
/// - d: 4 and 4 (its high 18.5055 is below everyone's low).
///
/// Pairs: a–b can swap, a–c can only tie, b–c can swap; d is in none.
fn hand_made(dir: &Path) {
    let w = |rel: &str, text: &str| {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    w(
        "criteria/2030/index.toml",
        r#"[index]
year = 2030
name = "A hand-made index"
scripts = []

[rounding]
leaf = { decimals = 2, mode = "half_up" }
points = { decimals = 2, mode = "half_up" }
index = { decimals = 2, mode = "down" }
component = { decimals = 2, mode = "half_up" }
average = { decimals = 2, mode = "down" }

[[kind]]
id = "department"
name = "Departments"

[[part]]
id = "appraisal"
name = "Appraisal"

[[group]]
id = "g"
name = "All"
kind = "department"
units = ["a", "b", "c", "d"]
"#,
    );
    w(
        "criteria/2030/tree/01.toml",
        r#"[[node]]
id = "1"
name = "One"
part = "appraisal"

[[node]]
id = "1.1"
name = "One one"
max = 10

[[node]]
id = "1.2"
name = "One two"
max = 10

[[node]]
id = "2"
name = "Two"
part = "appraisal"
max = 5
"#,
    );
    let units: String = ["a", "b", "c", "d"]
        .iter()
        .map(|u| format!("[[unit]]\nid = \"{u}\"\nname = \"Unit {}\"\nkind = \"department\"\n\n", u.to_uppercase()))
        .collect();
    w("fixtures/2030/units.toml", &units);
    w(
        "fixtures/2030/scores.toml",
        r#"[a]
"1.1" = 8.00
"1.2" = 7.50
"2" = 4.00

[b]
"1.1" = 8.49
"1.2" = 7.00
"2" = 4.00

[c]
"1.1" = 9.00
"1.2" = 6.47
"2" = 4.00

[d]
"1.1" = 10
"1.2" = 5.5
"2" = 3.000
"#,
    );
    std::fs::create_dir_all(dir.join("rules")).unwrap();
}

#[test]
fn rounding_robustness_of_a_hand_made_tree() {
    let dir = tempfile::tempdir().unwrap();
    hand_made(dir.path());
    let s = Snapshot::build(dir.path(), 2030, &Rules::default(), 1).unwrap_or_else(|d| panic!("{d}"));
    let r = robustness(&s);
    let id = |u: usize| s.rule_set.model.units[u].id.to_string();
    let got: Vec<(String, u32, u32, u32, Decimal, Decimal)> =
        r.units.iter().map(|b| (id(b.unit), b.rank, b.best, b.worst, b.total_low, b.total_high)).collect();
    assert_eq!(
        got,
        [
            ("a".into(), 1, 1, 2, dec!(19.485), dec!(19.515)),
            ("b".into(), 2, 1, 3, dec!(19.475), dec!(19.505)),
            ("c".into(), 3, 1, 3, dec!(19.455), dec!(19.485)),
            ("d".into(), 4, 4, 4, dec!(18.4895), dec!(18.5055)),
        ]
    );
    let pairs: Vec<(String, String, bool)> = r.pairs.iter().map(|p| (id(p.ahead), id(p.behind), p.swap)).collect();
    assert_eq!(pairs, [("a".into(), "b".into(), true), ("a".into(), "c".into(), false), ("b".into(), "c".into(), true)]);
    // Index bounds: total / 25 × 100.
    assert_eq!(r.units[3].index_low, dec!(73.958));
    assert_eq!(r.units[3].index_high, dec!(74.022));

    let o = common::run(dir.path(), &["whatif", "--year", "2030", "--rounding-robustness", "--format", "json"]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["ranks_that_can_change"], serde_json::json!(["a", "b", "c"]));
    assert_eq!(v["pairs"][1], serde_json::json!({ "group": "g", "ahead": "a", "behind": "c", "swap": false }));
    assert_eq!(v["units"][3]["exact"]["total_low"], "18.4895");
    let o = common::run(dir.path(), &["whatif", "--year", "2030", "--rounding-robustness"]);
    let out = common::stdout(&o);
    assert!(out.contains("a (rank 1) and b (rank 2) can swap") && out.contains("3 of 4 ranks can change"), "{out}");
}

/// On the shipped 2023 points (each unit's appraisal split over 37 to 43
/// awarded criteria), the rounding can decide three published orders: so-tttt
/// (88.65) against so-tc (88.42), and the first three districts; no other
/// rank can move.
#[test]
fn the_2023_ranks_the_rounding_can_decide() {
    let b = base();
    let r = robustness(&b);
    let id = |u: usize| b.rule_set.model.units[u].id.to_string();
    assert_eq!(r.units.len(), 28);
    assert!(r.units.iter().all(|u| u.total_low < u.total && u.total < u.total_high && u.points > 0));
    let pairs: Vec<(String, String, bool)> = r.pairs.iter().map(|p| (id(p.ahead), id(p.behind), p.swap)).collect();
    let want = [("so-tttt", "so-tc", true), ("than-uyen", "phong-tho", true), ("phong-tho", "tp-lai-chau", true)];
    assert_eq!(pairs, want.map(|(a, b, s)| (a.to_string(), b.to_string(), s)));
    let moving: Vec<(String, u32, u32, u32)> =
        r.units.iter().filter(|u| u.rank_can_change()).map(|u| (id(u.unit), u.rank, u.best, u.worst)).collect();
    let want = [("so-tttt", 1, 1, 2), ("so-tc", 2, 1, 2), ("than-uyen", 1, 1, 2), ("phong-tho", 2, 1, 3), ("tp-lai-chau", 3, 2, 3)];
    assert_eq!(moving, want.map(|(u, r, b, w)| (u.to_string(), r, b, w)));
    // The bounds of the first pair, from their points: they overlap by 0.071.
    let tttt = r.units.iter().find(|u| id(u.unit) == "so-tttt").unwrap();
    let tc = r.units.iter().find(|u| id(u.unit) == "so-tc").unwrap();
    assert_eq!((tttt.total_low, tc.total_high), (dec!(88.465), dec!(88.536)));
}

/// The steps `whatif --rounding-robustness` shows progress by: as many ticks
/// as counted beforehand, and the same bounds as without them.
#[test]
fn rounding_robustness_ticks_the_steps_it_counts() {
    let b = base();
    let ticks = std::sync::atomic::AtomicU64::new(0);
    let r = robustness_with(&b, &|| {
        ticks.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    });
    assert_eq!(robustness_steps(&b), 3 * 28);
    assert_eq!(ticks.into_inner(), robustness_steps(&b));
    assert_eq!(r, robustness(&b));
}

// ---------------------------------------------------------------------------
// Each variant equals a full reload of the same edit

/// The same edit as `o`, made to the files of the tree at `root`.
fn write_edit(root: &Path, base: &Snapshot, o: &Override) {
    let model = &base.rule_set.model;
    match o {
        Override::Max { node, kind, value } => {
            let n = model.node_index(node).unwrap();
            let mut max: Vec<(String, Option<Decimal>)> =
                model.kinds.iter().zip(&model.nodes[n].max).map(|(k, m)| (k.id.clone(), *m)).collect();
            for (k, m) in &mut max {
                if kind.as_deref().map_or(true, |want| want == k) && (kind.is_some() || m.is_some()) {
                    *m = Some(*value);
                }
            }
            let line = if max.iter().all(|(_, m)| m.is_some()) && max.iter().all(|(_, m)| *m == Some(*value)) {
                format!("max = {value}")
            } else {
                let items: Vec<String> = max.iter().filter_map(|(k, m)| m.map(|m| format!("{k} = {m}"))).collect();
                format!("max = {{ {} }}", items.join(", "))
            };
            replace_in_block(root, "criteria/2023/tree", &format!("id = \"{node}\""), "max = ", &line);
        }
        Override::Param { node, name, value } => {
            let n = model.node_index(node).unwrap();
            let mut t = model.nodes[n].rule.as_ref().unwrap().params_table.clone();
            let v: toml::Table = toml::from_str(&format!("v = {value}")).unwrap();
            t.insert(name.clone(), v["v"].clone());
            let items: Vec<String> = t.iter().map(|(k, v)| format!("{k} = {v}")).collect();
            replace_in_block(
                root,
                "criteria/2023/tree",
                &format!("id = \"{node}\""),
                "params = ",
                &format!("params = {{ {} }}", items.join(", ")),
            );
        }
        Override::Exemption { id, unit: None, enabled: false } => {
            replace_in_block(root, "criteria/2023", &format!("id = \"{id}\""), "units = ", "units = []");
        }
        Override::Exemption { id, unit: Some(u), enabled: true } => {
            let e = model.exemptions.iter().find(|e| &e.id == id).unwrap();
            let mut units: Vec<String> = e.units.iter().map(|&u| model.units[u].id.to_string()).collect();
            if !units.contains(u) {
                units.push(u.clone());
                let under: Vec<String> = model
                    .nodes
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| std::iter::successors(Some(*i), |&j| model.nodes[j].parent).any(|j| e.targets.contains(&j)))
                    .map(|(_, n)| n.id.clone())
                    .collect();
                // Its points where it is exempt anew are taken out.
                let scores = root.join("fixtures/2023/scores.toml");
                let text = std::fs::read_to_string(&scores).unwrap();
                let mut section = String::new();
                let kept: Vec<&str> = text
                    .lines()
                    .filter(|l| {
                        if l.starts_with('[') {
                            section = l.trim_matches(['[', ']']).to_string();
                        }
                        let key = l.split('=').next().unwrap_or("").trim().trim_matches('"');
                        !(section == *u && l.contains('=') && under.iter().any(|n| n == key))
                    })
                    .collect();
                std::fs::write(&scores, kept.join("\n") + "\n").unwrap();
            }
            let list: Vec<String> = units.iter().map(|u| format!("\"{u}\"")).collect();
            replace_in_block(root, "criteria/2023", &format!("id = \"{id}\""), "units = ", &format!("units = [{}]", list.join(", ")));
        }
        Override::Exemption { .. } => unreachable!("not generated"),
        Override::Points { unit, node, value } => {
            let scores = root.join("fixtures/2023/scores.toml");
            let text = std::fs::read_to_string(&scores).unwrap();
            let mut out = Vec::new();
            let (mut section, mut done) = (String::new(), false);
            for l in text.lines() {
                if l.starts_with('[') {
                    section = l.trim_matches(['[', ']']).to_string();
                }
                let key = l.split('=').next().unwrap_or("").trim().trim_matches('"');
                if section == *unit && l.contains('=') && key == node {
                    out.push(format!("\"{node}\" = {value}"));
                    done = true;
                } else {
                    out.push(l.to_string());
                }
            }
            if !done {
                let at = out.iter().position(|l| *l == format!("[{unit}]")).unwrap();
                out.insert(at + 1, format!("\"{node}\" = {value}"));
            }
            std::fs::write(&scores, out.join("\n") + "\n").unwrap();
        }
    }
}

/// In the file under `dir` (searched recursively) holding the line `anchor`,
/// replaces the first line after it starting with `key` (before the next
/// `[[`) by `line`.
fn replace_in_block(root: &Path, dir: &str, anchor: &str, key: &str, line: &str) {
    let mut files = vec![root.join(dir)];
    while let Some(p) = files.pop() {
        if p.is_dir() {
            files.extend(std::fs::read_dir(&p).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        if p.extension().map_or(true, |e| e != "toml") {
            continue;
        }
        let text = std::fs::read_to_string(&p).unwrap();
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        let Some(a) = lines.iter().position(|l| l.trim() == anchor) else { continue };
        let end = lines[a..].iter().position(|l| l.starts_with("[[")).map_or(lines.len(), |e| a + e);
        let k = (a..end).find(|&i| lines[i].starts_with(key)).unwrap_or_else(|| panic!("no `{key}` after {anchor} in {}", p.display()));
        lines[k] = line.to_string();
        std::fs::write(&p, lines.join("\n") + "\n").unwrap();
        return;
    }
    panic!("no {anchor} under {dir}");
}

/// The report as JSON without its fingerprint, and every node's counted
/// points and maximum per unit.
/// Per unit, per node: the counted points and maximum.
type Counted = Vec<Vec<(Option<Decimal>, Option<Decimal>)>>;

fn results(s: &Snapshot) -> (Value, Counted) {
    let mut report = serde_json::to_value(&s.report).unwrap();
    report.as_object_mut().unwrap().remove("fingerprint");
    let nodes = s
        .outcome
        .units
        .iter()
        .map(|u| {
            u.nodes()
                .map(|r| {
                    let counts = r.status.in_scale();
                    ((counts && r.status.has_points()).then_some(r.points.normalize()), counts.then_some(r.max.normalize()))
                })
                .collect()
        })
        .collect();
    (report, nodes)
}

fn an_override(base: &Snapshot) -> impl Strategy<Value = Override> {
    let model = &base.rule_set.model;
    let leaves: Vec<(String, Decimal)> =
        model.nodes.iter().filter(|n| n.is_leaf()).map(|n| (n.id.clone(), n.max.iter().flatten().copied().max().unwrap())).collect();
    let awards: Vec<(String, String, Decimal)> = {
        let mut a: Vec<(String, String, Decimal)> = model
            .awarded
            .keys()
            .map(|&(u, n)| (model.units[u].id.to_string(), model.nodes[n].id.clone(), base.outcome.units[u].node(n).max))
            .collect();
        a.sort();
        a
    };
    let exemptions: Vec<String> = model.exemptions.iter().map(|e| e.id.clone()).collect();
    let units: Vec<String> = model.units.iter().map(|u| u.id.to_string()).collect();
    let kinds: Vec<String> = model.kinds.iter().map(|k| k.id.clone()).collect();
    let targets = ["7.3.2", "7.3.3", "7.3.5", "7.3.6"];
    prop_oneof![
        // A maximum: mostly above the points awarded under it, sometimes below.
        (0..leaves.len(), -4i64..12, proptest::option::weighted(0.3, 0..kinds.len())).prop_map(move |(i, half, k)| {
            let (id, max) = &leaves[i];
            let value = (*max + Decimal::new(half, 0) / Decimal::TWO).max(Decimal::ZERO).normalize();
            Override::Max { node: id.clone(), kind: k.map(|k| kinds[k].clone()), value }
        }),
        (0..awards.len(), 0i64..=100).prop_map(move |(i, pct)| {
            let (u, n, max) = &awards[i];
            Override::Points { unit: u.clone(), node: n.clone(), value: (*max * Decimal::new(pct, 2)).round_dp(2).normalize() }
        }),
        (0..targets.len(), 1i64..200).prop_map(move |(i, t)| Override::Param {
            node: targets[i].into(),
            name: "target".into(),
            value: t.to_string()
        }),
        (0..exemptions.len()).prop_map({
            let e = exemptions.clone();
            move |i| Override::Exemption { id: e[i].clone(), unit: None, enabled: false }
        }),
        (0..exemptions.len(), 0..units.len()).prop_map(move |(i, u)| Override::Exemption {
            id: exemptions[i].clone(),
            unit: Some(units[u].clone()),
            enabled: true
        }),
    ]
}

fn shared_base() -> &'static Snapshot {
    static BASE: std::sync::OnceLock<Snapshot> = std::sync::OnceLock::new();
    BASE.get_or_init(base)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// After each edit, the files loaded afresh and the variant of the
    /// overrides so far agree: both refuse, or both give the same report and
    /// the same points and maxima at every node of every unit.
    #[test]
    fn a_variant_equals_a_full_reload_of_the_same_edit(overrides in proptest::collection::vec(an_override(shared_base()), 1..4)) {
        let b = shared_base();
        let dir = common::temp_tree();
        // A variant changes the council's points and the rules, not the
        // scoring round's files (self-scores, rounds, questionnaires), which
        // are checked against the points and not scored: the reload goes
        // without them, so both sides read the same inputs.
        for f in ["self-assessment.toml", "rounds.toml", "survey.toml"] {
            std::fs::remove_file(dir.path().join("fixtures/2023").join(f)).unwrap();
        }
        std::fs::remove_dir_all(dir.path().join("fixtures/2023/survey")).unwrap();
        let mut edited = Snapshot::build(dir.path(), 2023, &Rules::default(), 1).unwrap();
        for i in 0..overrides.len() {
            write_edit(dir.path(), &edited, &overrides[i]);
            let so_far = &overrides[..=i];
            let v = variant(b, so_far);
            match Snapshot::build(dir.path(), 2023, &Rules::default(), 1) {
                Ok(s) => {
                    prop_assert!(v.is_ok(), "{so_far:?}: the reload took it but the variant refused: {}", v.err().unwrap());
                    let (want, got) = (results(&s), results(&v.unwrap().snapshot));
                    prop_assert_eq!(&got.0, &want.0, "{:?}: the reports differ", so_far);
                    prop_assert_eq!(&got.1, &want.1, "{:?}: the points differ", so_far);
                    edited = s;
                }
                Err(d) => {
                    let Err(e) = v else {
                        return Err(TestCaseError::fail(format!("{so_far:?}: the reload refused ({d}) but the variant did not")));
                    };
                    // For the same reasons.
                    let codes = |d: &parindex::diag::Diagnostics| {
                        d.0.iter().filter(|x| x.severity == parindex::diag::Severity::Error).map(|x| x.code.as_str()).collect::<std::collections::BTreeSet<_>>()
                    };
                    prop_assert_eq!(codes(&e), codes(&d), "{:?}: {} against {}", so_far, e, d);
                    return Ok(());
                }
            }
        }
    }
}
