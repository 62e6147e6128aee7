//! The scoring round: the units' self-assessment, the council's appraisal
//! rounds and the survey's questionnaires. Broken files are reported with
//! their code and place and nothing is scored; the shipped 2023 round ends
//! on the council's points, round 1 differs exactly where it cut, and the
//! questionnaires give every unit's published survey score.

mod common;

use std::collections::BTreeMap;
use std::str::FromStr;

use common::*;
use rust_decimal::Decimal;

const SELF: &str = "fixtures/2023/self-assessment.toml";
const ROUNDS: &str = "fixtures/2023/rounds.toml";

/// `file:line:col` of the first occurrence of `needle` in the shipped file `rel`, plus `skip` bytes.
fn place(rel: &str, needle: &str, skip: usize) -> String {
    let text = std::fs::read_to_string(repo().join(rel)).unwrap();
    let at = text.find(needle).unwrap_or_else(|| panic!("{needle:?} not in {rel}")) + skip;
    let line = text[..at].matches('\n').count() + 1;
    let col = text[..at].rsplit('\n').next().unwrap().chars().count() + 1;
    format!("{rel}:{line}:{col}")
}

/// Runs `score` and `check` on a broken tree: both exit 1, `score` prints
/// no result, and `check` reports `code` at `at`. Returns `check`'s output.
fn broken(root: &std::path::Path, code: &str, at: &str) -> String {
    let err = refused(root, code);
    let block = err
        .split("\n\n")
        .find(|b| b.starts_with(&format!("error[{code}]")) && b.contains(&format!("--> {at}\n")))
        .unwrap_or_else(|| panic!("{code} must point at {at}:\n{err}"));
    block.to_string()
}

/// Rounds or questionnaires that disagree with the council's points: `check`
/// reports `code` at `at` and exits 1, the commands that show the rounds or
/// the survey (`cmd`) print no result, and `score` still scores the
/// council's points. Returns `check`'s block.
fn inconsistent(root: &std::path::Path, code: &str, at: &str, cmd: &[&str]) -> String {
    let o = run(root, cmd);
    assert_eq!(o.status.code(), Some(1), "{cmd:?} must fail: {}", stderr(&o));
    assert!(stdout(&o).is_empty(), "no result may be printed: {}", stdout(&o));
    assert!(stderr(&o).contains(&format!("error[{code}]")), "{}", stderr(&o));
    let score = run(root, &["score", "--year", "2023", "--format", "csv"]);
    assert!(score.status.success(), "{}", stderr(&score));
    // The same numbers as the shipped tree's (the fingerprint, the last field, differs).
    let rows = |t: &str| t.lines().map(|l| l.rsplit_once(',').map_or(l, |x| x.0).to_string()).collect::<Vec<_>>();
    assert_eq!(rows(&stdout(&score)), rows(&stdout(&run(&repo(), &["score", "--year", "2023", "--format", "csv"]))));
    let check = run(root, &["check", "--year", "2023"]);
    assert_eq!(check.status.code(), Some(1));
    let err = stderr(&check);
    err.split("\n\n")
        .find(|b| b.starts_with(&format!("error[{code}]")) && b.contains(&format!("--> {at}\n")))
        .unwrap_or_else(|| panic!("{code} must point at {at}:\n{err}"))
        .to_string()
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn toml_file(rel: &str) -> toml::Table {
    toml::from_str(&std::fs::read_to_string(repo().join(rel)).unwrap()).unwrap()
}

fn number(v: &toml::Value) -> Decimal {
    match v {
        toml::Value::Integer(i) => Decimal::from(*i),
        toml::Value::Float(f) => dec(&f.to_string()),
        toml::Value::String(s) => dec(s),
        other => panic!("not a number: {other}"),
    }
}

#[test]
fn a_leaf_self_scored_above_its_maximum() {
    let t = temp_tree();
    let from = "[so-tttt]\n\"1.1\" = { points = 2.08";
    edit(t.path(), SELF, from, "[so-tttt]\n\"1.1\" = { points = 9.08");
    let at = place(SELF, from, from.find("2.08").unwrap());
    let b = broken(t.path(), "SCORE_ABOVE_MAX", &at);
    assert!(b.contains("unit `so-tttt`, criterion `1.1`"), "{b}");
    assert!(b.contains("9.08"), "{b}");
}

#[test]
fn a_cut_without_a_reason() {
    let t = temp_tree();
    let from = "unit = \"so-tttt\"\ncriterion = \"1.4\"\npoints = 1.14\nreason = \"incomplete\"\n";
    edit(t.path(), ROUNDS, from, "unit = \"so-tttt\"\ncriterion = \"1.4\"\npoints = 1.14\n");
    let at = place(ROUNDS, from, from.find("\"1.4\"").unwrap());
    let b = broken(t.path(), "CUT_WITHOUT_REASON", &at);
    assert!(b.contains("unit `so-tttt`, criterion `1.4`"), "{b}");
    assert!(b.contains("the self-score 1.89"), "{b}");
}

#[test]
fn an_unknown_reason_code_suggests_the_declared_one() {
    let t = temp_tree();
    let from = "points = 1.14\nreason = \"incomplete\"";
    edit(t.path(), ROUNDS, from, "points = 1.14\nreason = \"incomplet\"");
    let b = broken(t.path(), "UNKNOWN_REFERENCE", &place(ROUNDS, from, from.find("\"incomplete\"").unwrap()));
    assert!(b.contains("did you mean `incomplete`?"), "{b}");
}

#[test]
fn an_explanation_for_a_leaf_that_was_not_cut() {
    let t = temp_tree();
    // Appended: an explanation of the last round, for a criterion no round cut.
    let text = std::fs::read_to_string(repo().join(ROUNDS)).unwrap();
    let tail = "\n[[round.explanation]]\nunit = \"so-tttt\"\ncriterion = \"1.1\"\ntext = \"Đơn vị giải trình\"\n";
    append(t.path(), ROUNDS, tail);
    let line = text.matches('\n').count() + 4;
    let b = broken(t.path(), "EXPLANATION_NOT_CUT", &format!("{ROUNDS}:{line}:13"));
    assert!(b.contains("unit `so-tttt`, criterion `1.1`"), "{b}");
}

#[test]
fn a_round_naming_an_unknown_unit() {
    let t = temp_tree();
    let from = "[[round.cut]]\nunit = \"so-tttt\"";
    edit(t.path(), ROUNDS, from, "[[round.cut]]\nunit = \"so-ttt\"");
    let b = broken(t.path(), "UNKNOWN_UNIT", &place(ROUNDS, from, from.find("\"so-tttt\"").unwrap()));
    assert!(b.contains("did you mean `so-tttt`?"), "{b}");
}

#[test]
fn a_round_naming_an_unknown_criterion() {
    let t = temp_tree();
    let from = "criterion = \"1.4\"\npoints = 1.14";
    edit(t.path(), ROUNDS, from, "criterion = \"1.44\"\npoints = 1.14");
    let b = broken(t.path(), "UNKNOWN_CRITERION", &place(ROUNDS, from, from.find("\"1.4\"").unwrap()));
    assert!(b.contains("did you mean"), "{b}");
}

#[test]
fn evidence_missing_where_the_year_requires_it() {
    let t = temp_tree();
    edit(t.path(), ROUNDS, "evidence_required = false", "evidence_required = true");
    // Every self-score above 0 without evidence is reported, each at its points.
    let mut missing = Vec::new();
    for (unit, entries) in toml_file(SELF) {
        for (criterion, e) in entries.as_table().unwrap() {
            let e = e.as_table().unwrap();
            if !e.contains_key("evidence") && number(&e["points"]) > Decimal::ZERO {
                missing.push((unit.clone(), criterion.clone()));
            }
        }
    }
    assert!(!missing.is_empty(), "the shipped self-assessment has self-scores without evidence");
    let (unit, criterion) = &missing[0];
    let needle = format!("[{unit}]");
    let text = std::fs::read_to_string(repo().join(SELF)).unwrap();
    let from = text.find(&needle).unwrap();
    let key = format!("\"{criterion}\" = {{ points = ");
    let off = from + text[from..].find(&key).unwrap() + key.len();
    let at = place(SELF, &text[off..off + 12], 0);
    broken(t.path(), "EVIDENCE_MISSING", &at);
    let check = stderr(&run(t.path(), &["check", "--year", "2023"]));
    assert_eq!(check.matches("error[EVIDENCE_MISSING]").count(), missing.len(), "{check}");
}

#[test]
fn a_last_round_that_is_not_the_councils_points() {
    let t = temp_tree();
    // The first cut of round 2 is so-tttt 1.4 at 1.39, the council's points.
    let text = std::fs::read_to_string(repo().join(ROUNDS)).unwrap();
    let r2 = text.find("[[round]]\nid = 2").unwrap();
    let cut = r2 + text[r2..].find("points = ").unwrap();
    let line = &text[cut..cut + text[cut..].find('\n').unwrap()];
    let mut tree = text.clone();
    tree.replace_range(cut..cut + line.len(), "points = 0.01");
    std::fs::write(t.path().join(ROUNDS), tree).unwrap();
    let line_no = text[..cut].matches('\n').count() + 1;
    let at = format!("{ROUNDS}:{line_no}:10");
    let b = inconsistent(t.path(), "ROUND_FINAL_MISMATCH", &at, &["score", "--year", "2023", "--round", "1"]);
    inconsistent(t.path(), "ROUND_FINAL_MISMATCH", &at, &["appraisal", "--year", "2023", "--unit", "so-tttt"]);
    let council = line.trim_start_matches("points = ");
    assert!(b.contains("0.01 points") && b.contains(&format!("scores.toml gives {council}")), "{b}");
}

/// Per unit and component id, the component's shown score.
fn components(json: &str) -> BTreeMap<(String, String), String> {
    let v: serde_json::Value = serde_json::from_str(json).unwrap();
    let mut out = BTreeMap::new();
    for u in v["units"].as_array().unwrap() {
        for c in u["components"].as_array().unwrap() {
            out.insert(
                (u["id"].as_str().unwrap().to_string(), c["id"].as_str().unwrap().to_string()),
                c["score"].as_str().unwrap_or("-").to_string(),
            );
        }
    }
    out
}

#[test]
fn round_1_differs_from_the_final_exactly_where_it_cut() {
    let root = repo();
    let fin = run(&root, &["score", "--year", "2023", "--format", "json"]);
    let r1 = run(&root, &["score", "--year", "2023", "--round", "1", "--format", "json"]);
    let r2 = run(&root, &["score", "--year", "2023", "--round", "2", "--format", "json"]);
    assert!(fin.status.success() && r1.status.success() && r2.status.success(), "{}", stderr(&r1));
    assert!(stderr(&r1).contains("round 1 of 2 (2024-03-20 – 2024-04-02)"), "{}", stderr(&r1));
    // The last round is the council's final points: the same tables.
    let (fin, r1, r2) = (components(&stdout(&fin)), components(&stdout(&r1)), components(&stdout(&r2)));
    assert_eq!(fin, r2);

    // From the files: round 1's points minus the council's, per unit and component.
    let scores = toml_file("fixtures/2023/scores.toml");
    let own = toml_file(SELF);
    let rounds = toml_file(ROUNDS);
    let round1 = rounds["round"].as_array().unwrap()[0]["cut"].as_array().unwrap().clone();
    let mut state: BTreeMap<(String, String), Decimal> = BTreeMap::new();
    for (unit, entries) in &own {
        for (c, e) in entries.as_table().unwrap() {
            state.insert((unit.clone(), c.clone()), number(&e["points"]));
        }
    }
    for c in &round1 {
        state.insert((c["unit"].as_str().unwrap().into(), c["criterion"].as_str().unwrap().into()), number(&c["points"]));
    }
    let mut expected: BTreeMap<(String, String), Decimal> = BTreeMap::new();
    for ((unit, c), p) in &state {
        let council = number(&scores[unit.as_str()][c.as_str()]);
        let comp = c.split('.').next().unwrap().to_string();
        *expected.entry((unit.clone(), comp)).or_default() += *p - council;
    }
    let moved: Vec<_> = expected.iter().filter(|(_, d)| !d.is_zero()).collect();
    assert!(moved.len() >= 20, "the illustrative round 1 cuts in many components: {}", moved.len());
    for (key, a) in &fin {
        let b = &r1[key];
        let d = expected.get(key).copied().unwrap_or_default();
        if d.is_zero() {
            assert_eq!(a, b, "{key:?} is not cut in round 1");
        } else {
            // Shown scores are rounded to 2 decimals.
            let shown = dec(b) - dec(a);
            assert!((shown - d).abs() <= dec("0.01"), "{key:?}: round 1 − final = {shown}, the cuts say {d}");
        }
    }
}

#[test]
fn an_unknown_round_is_refused() {
    let o = run(&repo(), &["score", "--year", "2023", "--round", "3"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).is_empty());
    assert!(stderr(&o).contains("error[UNKNOWN_ROUND]"), "{}", stderr(&o));
    let o = run(&repo(), &["score", "--year", "2023", "--round", "1", "--archive"]);
    assert_ne!(o.status.code(), Some(0), "a round is never archived");
}

#[test]
fn the_appraisal_record_of_a_unit() {
    let o = run(&repo(), &["appraisal", "--year", "2023", "--unit", "so-tttt"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("1.4        1.89  1         1.14     1.39     1.39"), "{text}");
    insta::assert_snapshot!(text);
    let json: serde_json::Value =
        serde_json::from_str(&stdout(&run(&repo(), &["appraisal", "--year", "2023", "--unit", "so-tttt", "--format", "json"]))).unwrap();
    let row = json["rows"].as_array().unwrap().iter().find(|r| r["criterion"] == "1.4").unwrap();
    assert_eq!((row["self"].as_str(), row["final"].as_str(), row["decision"].as_str()), (Some("1.89"), Some("1.39"), Some("partly")));
}

#[test]
fn explain_shows_the_rounds_beside_the_final_points() {
    let o = run(&repo(), &["explain", "--year", "2023", "--unit", "so-tttt"]);
    let text = stdout(&o);
    assert!(text.contains("self 1.89 → round 1 1.14 → round 2 1.39 → final 1.39"), "{text}");
    let json: serde_json::Value =
        serde_json::from_str(&stdout(&run(&repo(), &["explain", "--year", "2023", "--unit", "so-tttt", "--format", "json"]))).unwrap();
    let node = json["nodes"].as_array().unwrap().iter().find(|n| n["id"] == "1.4").unwrap();
    assert_eq!(node["appraisal"]["self"], "1.89");
    assert_eq!(node["appraisal"]["rounds"]["1"], "1.14");
}

#[test]
fn the_councils_lists() {
    let o = run(&repo(), &["appraisal", "--year", "2023", "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let margin = dec(v["margin"].as_str().unwrap());
    for u in v["over_margin"].as_array().unwrap() {
        assert!(dec(u["self"].as_str().unwrap()) - dec(u["final"].as_str().unwrap()) > margin, "{u}");
    }
    let most = v["most_cut"].as_array().unwrap();
    assert!(most.windows(2).all(|w| w[0]["units"].as_u64() >= w[1]["units"].as_u64()), "most often cut first");
    assert!(!v["without_evidence"].as_array().unwrap().is_empty());
    assert!(v["pending"].as_array().unwrap().iter().all(|p| p["at"].as_str().unwrap().starts_with(ROUNDS)));
}

#[test]
fn the_survey_of_all_28_units_from_the_questionnaires() {
    let o = run(&repo(), &["survey", "--year", "2023", "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!((v["sent"].as_u64(), v["returned"].as_u64(), v["rate"].as_str()), (Some(1396), Some(1321), Some("94.62")));
    let scores = toml_file("fixtures/2023/scores.toml");
    let units = v["units"].as_array().unwrap();
    assert_eq!(units.len(), 28);
    for u in units {
        let id = u["unit"].as_str().unwrap();
        let published = number(&scores[id]["8.1"]);
        assert_eq!(dec(u["points"].as_str().unwrap()), published, "{id}");
    }
    let table = stdout(&run(&repo(), &["survey", "--year", "2023"]));
    assert!(table.contains("1,396 questionnaires sent, 1,321 returned: 94.62%"), "{table}");
}

#[test]
fn a_changed_answer_no_longer_gives_the_published_score() {
    let t = temp_tree();
    edit(t.path(), "fixtures/2023/survey/answers.csv", "so-tttt,so-tttt-001,1,", "so-tttt,so-tttt-001,5,");
    let b =
        inconsistent(t.path(), "SURVEY_MISMATCH", &place("fixtures/2023/scores.toml", "\"8.1\" = 15.97", 8), &["survey", "--year", "2023"]);
    assert!(b.contains("unit `so-tttt`") && b.contains("15.97"), "{b}");
}

#[test]
fn a_unit_below_the_minimum_of_responses_is_reported() {
    let t = temp_tree();
    // The minimum raised to the most questionnaires any unit returned.
    let shipped: serde_json::Value =
        serde_json::from_str(&stdout(&run(&repo(), &["survey", "--year", "2023", "--format", "json"]))).unwrap();
    let most = shipped["units"].as_array().unwrap().iter().map(|u| u["returned"].as_u64().unwrap()).max().unwrap();
    edit(t.path(), "fixtures/2023/survey.toml", "min_responses = 30", &format!("min_responses = {most}"));
    let o = run(t.path(), &["survey", "--year", "2023", "--format", "json"]);
    assert!(o.status.success(), "a warning: {}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let below: Vec<&str> = v["units"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["returned"].as_u64().unwrap() < most)
        .map(|u| u["unit"].as_str().unwrap())
        .collect();
    assert!(!below.is_empty());
    for u in v["units"].as_array().unwrap() {
        assert_eq!(u["below_minimum"].as_bool(), Some(below.contains(&u["unit"].as_str().unwrap())), "{u}");
    }
    let err = stderr(&o);
    assert!(err.contains("warning[SURVEY_FEW_RESPONSES]"), "{err}");
    // Every one of them, with its unit and place, in check's JSON.
    let check = stderr(&run(t.path(), &["check", "--year", "2023", "--format", "json"]));
    let diags: serde_json::Value = serde_json::from_str(&check[..=check.rfind(']').unwrap()]).unwrap();
    let mut few: Vec<&str> =
        diags.as_array().unwrap().iter().filter(|d| d["code"] == "SURVEY_FEW_RESPONSES").map(|d| d["unit"].as_str().unwrap()).collect();
    few.sort_unstable();
    let mut want = below.clone();
    want.sort_unstable();
    assert_eq!(few, want);
    assert!(err.contains("--> fixtures/2023/survey.toml:"), "{err}");
}

#[test]
fn a_decision_the_next_round_does_not_follow() {
    let t = temp_tree();
    // so-tttt 1.4: cut to 1.14 in round 1, partly restored to 1.39 in round 2; "accepted" would give back 1.89.
    let from = "criterion = \"1.4\"\ntext = \"Đơn vị giải trình, bổ sung một phần tài liệu\"\ndecision = \"partly\"";
    edit(t.path(), ROUNDS, from, &from.replace("partly", "accepted"));
    let check = run(t.path(), &["check", "--year", "2023"]);
    assert_eq!(check.status.code(), Some(0), "a warning: {}", stderr(&check));
    let err = stderr(&check);
    let at = place(ROUNDS, from, from.find("\"1.4\"").unwrap());
    let block = err.split("\n\n").find(|b| b.starts_with("warning[DECISION_NOT_APPLIED]")).unwrap_or_else(|| panic!("{err}"));
    assert!(
        block.contains(&format!("--> {at}")) && block.contains("unit `so-tttt`, criterion `1.4`") && block.contains("gives 1.39"),
        "{block}"
    );
    assert!(
        !stderr(&run(&repo(), &["check", "--year", "2023"])).contains("DECISION_NOT_APPLIED"),
        "the shipped rounds follow their decisions"
    );
}
