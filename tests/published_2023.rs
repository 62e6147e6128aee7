//! The 2023 report's Table 1 and Table 2 (seed 002), reproduced exactly from
//! the shipped criteria, rules and data: parts, total, scale, index %, rank,
//! change in index points and in rank, and the averages.

mod common;

use parindex::formula::rules::Rules;
use parindex::report::Report;
use parindex::score::eval::evaluate;
use parindex::score::ruleset::RuleSet;

/// (unit, appraisal, survey, impact, SIPAS, total, scale, index, rank, change, rank change)
/// as the report prints them; "" where the report has no value.
type Row = (String, String, String, String, String, String, String, String, u32, String, i64);

/// The rows of Biểu 1 and Biểu 2 of the 2023 report, read from the file that
/// `parindex test` checks too (`fixtures/2023/expected.toml`), so the two can
/// never disagree. Points and percentages are printed with two decimals, the
/// scale as a plain number.
fn published() -> Vec<Row> {
    let text = std::fs::read_to_string(common::repo().join("fixtures/2023/expected.toml")).unwrap();
    let doc: toml::Table = text.parse().unwrap();
    let num = |v: &toml::Value| -> f64 { v.as_float().or_else(|| v.as_integer().map(|i| i as f64)).unwrap() };
    let two = |v: Option<&toml::Value>| v.map_or(String::new(), |v| format!("{:.2}", num(v)));
    let plain = |v: &toml::Value| v.as_integer().map_or_else(|| num(v).to_string(), |i| i.to_string());
    let rows: Vec<Row> = doc["expect"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e.get("rank").is_some())
        .map(|e| {
            let parts = &e["parts"];
            (
                e["unit"].as_str().unwrap().to_string(),
                two(parts.get("appraisal")),
                two(parts.get("survey")),
                two(parts.get("impact")),
                two(parts.get("sipas")),
                two(e.get("total")),
                plain(&e["scale"]),
                two(e.get("index")),
                e["rank"].as_integer().unwrap() as u32,
                two(e["change"].get("index")),
                e["change"]["rank"].as_integer().unwrap(),
            )
        })
        .collect();
    assert_eq!(rows.len(), 28, "every unit of both tables has its row");
    // Two rows retyped from the seed, so that an edit of the file cannot pass unseen.
    let row = |id: &str| rows.iter().find(|r| r.0 == id).unwrap().clone();
    let first = row("so-tttt");
    assert_eq!((first.5.as_str(), first.7.as_str(), first.8, first.9.as_str()), ("88.65", "88.65", 1, "7.36"));
    let last = row("sin-ho");
    assert_eq!((last.1.as_str(), last.3.as_str(), last.5.as_str(), last.10), ("49.42", "0.50", "71.37", 0));
    rows
}

fn shown_report() -> Report {
    let rs = RuleSet::load(&common::repo(), 2023, &Rules::default()).expect("the 2023 set loads");
    let outcome = evaluate(&rs).expect("the 2023 set evaluates");
    Report::new(&rs, &outcome)
}

fn report() -> serde_json::Value {
    shown_report().to_json()
}

/// The parts as the library reads them, against the same published rows:
/// a part the unit is exempt from is present without points; a part that
/// does not apply to the unit's kind is absent.
#[test]
fn parts_read_as_published() {
    let report = shown_report();
    for (id, appraisal, survey, impact, sipas, ..) in &published() {
        let (id, appraisal, survey, impact, sipas) = (id.as_str(), appraisal.as_str(), survey.as_str(), impact.as_str(), sipas.as_str());
        let u = report.unit(id).unwrap_or_else(|| panic!("{id} has a row"));
        let ids: Vec<&str> = u.parts.iter().map(|(p, _)| p.as_str()).collect();
        let shown: Vec<Option<&str>> = u.parts.iter().map(|(_, v)| v.map(|s| s.as_str())).collect();
        let mut want_ids = vec!["appraisal", "survey"];
        let mut want_shown = vec![Some(appraisal), Some(survey)];
        if !impact.is_empty() {
            want_ids.push("impact");
            want_shown.push(Some(impact));
        }
        want_ids.push("sipas");
        want_shown.push((!sipas.is_empty()).then_some(sipas));
        assert_eq!((ids, shown), (want_ids, want_shown), "{id}");
        assert_eq!(u.parts.len(), u.parts.iter().count());
        assert_eq!(u.parts.contains("impact"), !impact.is_empty(), "{id}");
        assert!(u.parts.contains("sipas"), "{id} is scored on SIPAS or exempt from it");
        assert_eq!(u.parts.get("sipas").map(|s| s.as_str()), (!sipas.is_empty()).then_some(sipas), "{id}");
    }
}

#[test]
fn every_number_of_table_1_and_table_2() {
    let json = report();
    let units = json["units"].as_array().unwrap();
    assert_eq!(units.len(), 28);
    for (id, appraisal, survey, impact, sipas, total, scale, index, rank, change, rank_change) in &published() {
        let (id, appraisal, survey, impact, sipas) = (id.as_str(), appraisal.as_str(), survey.as_str(), impact.as_str(), sipas.as_str());
        let (total, scale, index, change) = (total.as_str(), scale.as_str(), index.as_str(), change.as_str());
        let (rank, rank_change) = (*rank, *rank_change);
        let u = units.iter().find(|u| u["id"] == id).unwrap_or_else(|| panic!("unit {id} missing"));
        let ctx = format!("unit {id}");
        assert_eq!(u["parts"]["appraisal"], appraisal, "{ctx} appraisal");
        assert_eq!(u["parts"]["survey"], survey, "{ctx} survey");
        if impact.is_empty() {
            assert!(u["parts"].get("impact").is_none(), "{ctx} has no impact part");
        } else {
            assert_eq!(u["parts"]["impact"], impact, "{ctx} impact");
        }
        if sipas.is_empty() {
            assert!(u["parts"]["sipas"].is_null(), "{ctx} is not evaluated on SIPAS");
        } else {
            assert_eq!(u["parts"]["sipas"], sipas, "{ctx} sipas");
        }
        assert_eq!(u["total"], total, "{ctx} total");
        assert_eq!(u["scale"], scale, "{ctx} scale");
        assert_eq!(u["index"], index, "{ctx} index");
        assert_eq!(u["rank"], rank, "{ctx} rank");
        assert_eq!(u["change"]["index"], change, "{ctx} change");
        assert_eq!(u["change"]["rank"], rank_change, "{ctx} rank change");
        assert_eq!(u["previous"]["year"], 2022, "{ctx} previous year");
    }
}

#[test]
fn averages_per_unit_kind() {
    let json = report();
    let avg = |kind: &str| json["averages"].as_array().unwrap().iter().find(|a| a["kind"] == kind).unwrap().clone();
    assert_eq!(avg("department")["index"], "79.42");
    assert_eq!(avg("department")["units"], 20);
    assert_eq!(avg("district")["index"], "76.21");
    assert_eq!(avg("district")["units"], 8);
}

/// The reduced component scales of footnotes 2-9, and full scales implied by
/// published percentages (70.59% = 6/8.5, 53.33% = 4/7.5, 16.67% = 1/6).
#[test]
fn component_scales_of_the_footnotes() {
    let json = report();
    let scale = |unit: &str, comp: &str| -> String {
        let u = json["units"].as_array().unwrap().iter().find(|u| u["id"] == unit).unwrap();
        u["components"].as_array().unwrap().iter().find(|c| c["id"] == comp).unwrap()["scale"].as_str().unwrap().to_string()
    };
    let expected = [
        ("vp-ubnd", "1", "13"),
        ("so-tttt", "1", "13.5"),
        ("bql-kkt", "2", "0"),
        ("bql-kkt", "3", "8.5"),
        ("so-ngv", "3", "11.5"),
        ("ban-dt", "3", "11.5"),
        ("thanh-tra", "3", "11.5"),
        ("vp-ubnd", "3", "0"),
        ("thanh-tra", "4", "6.5"),
        ("ban-dt", "4", "6.5"),
        ("so-ngv", "4", "4.5"),
        ("bql-kkt", "4", "7.5"),
        ("vp-ubnd", "4", "7.5"),
        ("so-gddt", "4", "8.5"),
        ("thanh-tra", "5", "6"),
        ("ban-dt", "5", "6"),
        ("so-ngv", "5", "6"),
        ("so-ct", "5", "7.5"),
        ("sin-ho", "5", "8"),
        ("thanh-tra", "6", "4"),
        ("ban-dt", "6", "4"),
        ("so-ngv", "6", "4"),
        ("bql-kkt", "6", "5"),
        ("so-xd", "6", "6"),
        ("bql-kkt", "7", "9"),
        ("vp-ubnd", "7", "6.5"),
        ("so-ngv", "7", "6.5"),
        ("ban-dt", "7", "7.5"),
        ("thanh-tra", "7", "7.5"),
        ("so-nv", "8", "30"),
    ];
    for (unit, comp, s) in expected {
        assert_eq!(scale(unit, comp), s, "component {comp} of {unit}");
    }
}

/// Component percentages quoted in section 3 of the report.
#[test]
fn component_indices_quoted_in_the_report() {
    let json = report();
    let index = |unit: &str, comp: &str| -> String {
        let u = json["units"].as_array().unwrap().iter().find(|u| u["id"] == unit).unwrap();
        u["components"].as_array().unwrap().iter().find(|c| c["id"] == comp).unwrap()["index"].as_str().unwrap().to_string()
    };
    for (unit, comp, pct) in [
        ("so-khcn", "1", "96.30"),
        ("so-vhttdl", "1", "40.52"),
        ("than-uyen", "1", "76.00"),
        ("so-ngv", "2", "60.00"),
        ("thanh-tra", "3", "73.91"),
        ("so-ngv", "3", "65.22"),
        ("so-gddt", "4", "70.59"),
        ("so-yt", "4", "76.47"),
        ("thanh-tra", "5", "33.33"),
        ("sin-ho", "5", "53.13"),
        ("so-xd", "6", "16.67"),
        ("ban-dt", "6", "87.50"),
        ("bql-kkt", "7", "98.99"),
        ("thanh-tra", "7", "53.33"),
        ("so-nv", "8", "87.35"),
        ("so-tttt", "8", "86.27"),
        ("so-khcn", "8", "85.87"),
    ] {
        assert_eq!(index(unit, comp), pct, "component {comp} of {unit}");
    }
}

/// The 2022 ranks implied by the change columns are a permutation within each group.
#[test]
fn previous_ranks_form_a_permutation_per_group() {
    let json = report();
    for group in ["so-100", "so-duoi-100", "huyen"] {
        let mut ranks: Vec<u64> = json["units"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|u| u["group"] == group)
            .map(|u| u["previous"]["rank"].as_u64().unwrap())
            .collect();
        ranks.sort_unstable();
        assert_eq!(ranks, (1..=ranks.len() as u64).collect::<Vec<_>>(), "group {group}");
    }
}

/// Leaves fed by the portal figures of seed 000 are scored by their rules from those figures.
#[test]
fn portal_leaves_are_scored_from_the_portal_figures() {
    let rs = RuleSet::load(&common::repo(), 2023, &Rules::default()).unwrap();
    let outcome = evaluate(&rs).unwrap();
    let m = &rs.model;
    let points = |unit: &str, node: &str| {
        let u = m.units.iter().position(|x| x.id == unit).unwrap();
        let n = m.node_index(node).unwrap();
        (outcome.units[u].node(n).status, outcome.units[u].node(n).points.normalize().to_string())
    };
    use parindex::score::eval::Status::*;
    // 98.97% on time ≥ 98: the full 2 points; 95.79% ≥ 95: 1.5; 74.10%: 0.
    assert_eq!(points("so-tttt", "3.4.1"), (Scored, "2".into()));
    assert_eq!(points("so-ldtbxh", "3.4.1"), (Scored, "1.5".into()));
    assert_eq!(points("so-yt", "3.4.1"), (Scored, "0".into()));
    // Online payment 27.12% against the 30% target on a maximum of 2: 1.808 → 1.81.
    assert_eq!(points("so-xd", "7.3.3"), (Scored, "1.81".into()));
    // Sở Tài chính is missing from the payment table: points as appraised.
    assert_eq!(points("so-tc", "7.3.3").0, Awarded);
    // Districts: e-results 73.31% against 100 on 1.5: 1.09965 → 1.10.
    assert_eq!(points("sin-ho", "7.3.5"), (Scored, "1.1".into()));
}
