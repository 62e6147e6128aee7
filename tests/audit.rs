//! Audit: explain, fingerprint, archive, replay, diff and `parindex test`.

mod common;

use common::*;
use parindex::formula::rules::Rules;
use parindex::score::ruleset::RuleSet;

fn fingerprint(root: &std::path::Path) -> parindex::input::fingerprint::Fingerprint {
    RuleSet::load(root, 2023, &Rules::default()).expect("loads").fingerprint
}

#[test]
fn replay_of_the_shipped_archive_is_identical() {
    let o = run(&repo(), &["replay", "--year", "2023"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).starts_with("identical (fingerprint "), "{}", stdout(&o));
}

#[test]
fn replay_names_an_edited_value_and_passes_again_when_reverted() {
    let t = temp_tree();
    std::fs::create_dir_all(t.path().join("results")).unwrap();
    std::fs::copy(repo().join("results/2023.json"), t.path().join("results/2023.json")).unwrap();
    assert_eq!(run(t.path(), &["replay", "--year", "2023"]).status.code(), Some(0));

    edit(t.path(), "fixtures/2023/scores.toml", "[so-tttt]\n\"1.1\" = 2.08", "[so-tttt]\n\"1.1\" = 2.07");
    let o = run(t.path(), &["replay", "--year", "2023"]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.contains("so-tttt criterion 1.1 points: archived 2.08 → recomputed 2.07"), "{out}");
    assert!(out.contains("so-tttt total: archived 88.65 → recomputed 88.64"), "{out}");
    assert!(out.contains("inputs: the data changed"), "{out}");

    edit(t.path(), "fixtures/2023/scores.toml", "[so-tttt]\n\"1.1\" = 2.07", "[so-tttt]\n\"1.1\" = 2.08");
    let o = run(t.path(), &["replay", "--year", "2023"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

#[test]
fn replay_says_when_the_rules_changed() {
    let t = temp_tree();
    std::fs::create_dir_all(t.path().join("results")).unwrap();
    std::fs::copy(repo().join("results/2023.json"), t.path().join("results/2023.json")).unwrap();
    edit(t.path(), "rules/2023/proportional.rhai", "proportional(x.value, x.target, x.max)", "proportional(x.value, x.target * 2, x.max)");
    let out = stdout(&run(t.path(), &["replay", "--year", "2023"]));
    assert!(out.contains("inputs: the rules changed"), "{out}");
    assert!(out.contains("criterion 7.3.3 points"), "{out}");
}

#[test]
fn a_loads_fingerprint_from_the_texts_read_is_the_one_read_from_disk() {
    // A load hashes the files it read from their texts, and reads only the
    // others: the digests are those of the files on disk, every one.
    for year in [2023, 2025] {
        let rs = RuleSet::load(&repo(), year, &Rules::default()).expect("loads");
        let scripts: Vec<std::path::PathBuf> = rs.model.scripts.iter().map(|s| s.path.clone()).collect();
        let from_disk = parindex::input::fingerprint::fingerprint(&repo(), year, year, &scripts).expect("hashes");
        assert_eq!(rs.fingerprint, from_disk, "{year}");
        // With an engine of its own, whose thread hashes the files the load does not read.
        let own = RuleSet::load_own(&repo(), year, year).expect("loads");
        assert_eq!(own.fingerprint, from_disk, "{year}, with its own engine");
        assert!(from_disk.files.keys().any(|k| k.ends_with("published-components.toml")) || year != 2023);
        assert!(from_disk.files.keys().any(|k| k.ends_with("/targets.toml")), "a file the load does not read is hashed too");
    }
}

#[test]
fn fingerprint_ignores_formatting_and_comments_but_not_numbers() {
    let t = temp_tree();
    let base = fingerprint(t.path());
    assert_eq!(base, fingerprint(&repo()), "same inputs, same fingerprint wherever they are");

    // Whitespace, comments and key order of TOML files; comments of scripts.
    edit(t.path(), "criteria/2023/tree/02-the-che.toml", "max = 2\n", "max   =   2   # two points\n\n");
    edit(t.path(), "fixtures/2023/scores.toml", "[so-tttt]\n", "# a note for the auditors\n[so-tttt]\n");
    edit(t.path(), "rules/2023/tiers.rhai", "fn score(x) {", "// reformatted\nfn score(x)\n{");
    assert_eq!(fingerprint(t.path()), base);

    // Any number, formula or datum changes it, and says which.
    edit(t.path(), "criteria/2023/tree/02-the-che.toml", "max   =   2", "max = 2.5");
    let f = fingerprint(t.path());
    assert_ne!(f.sha256, base.sha256);
    assert_ne!(f.rules, base.rules);
    assert_eq!(f.data, base.data);

    let t = temp_tree();
    edit(t.path(), "fixtures/2023/indicators/portal-2023-12-25.csv", "hai_long;Sở Y tế;93,90%", "hai_long;Sở Y tế;93,91%");
    let f = fingerprint(t.path());
    assert_ne!(f.data, base.data);
    assert_eq!(f.rules, base.rules);

    let t = temp_tree();
    edit(t.path(), "rules/2023/tiers.rhai", "tiers(x.value, x.bands) * x.max", "tiers(x.value, x.bands) * x.max * 1");
    assert_ne!(fingerprint(t.path()).rules, base.rules);
}

#[test]
fn every_output_carries_the_fingerprint() {
    let fp = fingerprint(&repo()).sha256;
    for args in [
        &["score", "--year", "2023"][..],
        &["score", "--year", "2023", "--format", "json"],
        &["score", "--year", "2023", "--format", "csv"],
        &["explain", "--year", "2023", "--unit", "so-tttt"],
        &["explain", "--year", "2023", "--unit", "so-tttt", "--format", "json"],
    ] {
        let o = run(&repo(), args);
        assert!(stdout(&o).contains(&fp), "{args:?} carries the fingerprint");
    }
}

fn explain_json(unit: &str) -> serde_json::Value {
    let o = run(&repo(), &["explain", "--year", "2023", "--unit", unit, "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    serde_json::from_str(&stdout(&o)).unwrap()
}

#[test]
fn explain_a_department() {
    let e = explain_json("Sở Thông tin và Truyền thông");
    assert_eq!(e["index"]["shown"], "88.65");
    let leaf = e["nodes"].as_array().unwrap().iter().find(|n| n["id"] == "3.4.1").unwrap();
    assert_eq!(leaf["status"], "scored");
    assert_eq!(leaf["rule"]["inputs"][0]["value"], "98.97");
    insta::assert_json_snapshot!(e, { ".fingerprint" => "[fingerprint]" });
}

#[test]
fn explain_finds_a_unit_by_its_name_however_its_diacritics_are_composed() {
    use unicode_normalization::UnicodeNormalization;
    let decomposed: String = "  sở thông tin và  TRUYỀN THÔNG ".nfd().collect();
    assert!(!decomposed.is_ascii() && decomposed != decomposed.nfc().collect::<String>(), "written with combining marks");
    let e = explain_json(&decomposed);
    assert_eq!(e["unit"]["id"], "so-tttt");
    assert_eq!(e["index"]["shown"], "88.65");
}

#[test]
fn explain_a_district() {
    let e = explain_json("than-uyen");
    assert_eq!(e["parts"]["impact"], "2");
    insta::assert_json_snapshot!(e, { ".fingerprint" => "[fingerprint]" });
}

#[test]
fn explain_a_reduced_scale_agency_with_its_exemptions() {
    let e = explain_json("vp-ubnd");
    assert_eq!(e["scale"]["exact"], "65");
    assert_eq!(e["index"]["formula"], "55.97 / 65 × 100");
    assert_eq!(e["index"]["shown"], "86.10");
    let sipas = e["nodes"].as_array().unwrap().iter().find(|n| n["id"] == "8.2").unwrap();
    assert_eq!(sipas["status"], "exempt");
    assert_eq!(sipas["exemption"]["id"], "khong-sipas");
    assert_eq!(sipas["max"], "0");
    assert_eq!(sipas["declared_max"], "10");
    insta::assert_json_snapshot!(e, { ".fingerprint" => "[fingerprint]" });
}

#[test]
fn explain_an_unknown_unit_suggests_the_closest() {
    let o = run(&repo(), &["explain", "--year", "2023", "--unit", "so-ttt"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("did you mean `so-tttt`?"), "{}", stderr(&o));
}

#[test]
fn archive_refuses_to_replace_a_different_result_unless_forced() {
    let t = temp_tree();
    let first = run(t.path(), &["score", "--year", "2023", "--archive"]);
    assert!(first.status.success(), "{}", stderr(&first));
    let archived = std::fs::read_to_string(t.path().join("results/2023.json")).unwrap();
    let again = run(t.path(), &["score", "--year", "2023", "--archive"]);
    assert!(again.status.success());
    assert!(stderr(&again).contains("already holds this result"));

    edit(t.path(), "fixtures/2023/scores.toml", "[so-tttt]\n\"1.1\" = 2.08", "[so-tttt]\n\"1.1\" = 2.07");
    let refused = run(t.path(), &["score", "--year", "2023", "--archive"]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(stderr(&refused).contains("holds a different result"), "{}", stderr(&refused));
    assert_eq!(std::fs::read_to_string(t.path().join("results/2023.json")).unwrap(), archived);

    let forced = run(t.path(), &["score", "--year", "2023", "--archive", "--force"]);
    assert!(forced.status.success());
    assert_ne!(std::fs::read_to_string(t.path().join("results/2023.json")).unwrap(), archived);
}

/// A writer killed at any moment leaves the archive either old or new, never half-written.
#[test]
fn a_killed_writer_never_leaves_a_half_written_archive() {
    let t = temp_tree();
    assert!(run(t.path(), &["score", "--year", "2023", "--archive"]).status.success());
    let path = t.path().join("results/2023.json");
    let old = std::fs::read_to_string(&path).unwrap();
    edit(t.path(), "fixtures/2023/scores.toml", "[so-tttt]\n\"1.1\" = 2.08", "[so-tttt]\n\"1.1\" = 2.07");
    let mut seen_new = false;
    for delay_us in (0..40).map(|i| i * 500) {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_parindex"))
            .args(["--root", t.path().to_str().unwrap(), "score", "--year", "2023", "--archive", "--force", "--format", "csv"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_micros(delay_us));
        let _ = child.kill();
        let _ = child.wait();
        let now = std::fs::read_to_string(&path).unwrap();
        let parsed: serde_json::Value = serde_json::from_str(&now).expect("the archive is always complete JSON");
        assert_eq!(parsed["format"], parindex::audit::archive::FORMAT);
        if now != old {
            seen_new = true;
        }
    }
    // Run to completion once: the new result replaces the old.
    assert!(run(t.path(), &["score", "--year", "2023", "--archive", "--force"]).status.success());
    assert_ne!(std::fs::read_to_string(&path).unwrap(), old);
    let _ = seen_new;
}

#[test]
fn parindex_test_passes_on_the_published_tables() {
    let o = run(&repo(), &["test", "--year", "2023"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).ends_with(" passed, 0 failed\n"), "{}", stdout(&o));
}

#[test]
fn parindex_test_fails_with_a_readable_message_when_an_expectation_is_wrong() {
    let t = temp_tree();
    edit(t.path(), "fixtures/2023/expected.toml", "total = 88.65", "total = 88.66");
    edit(t.path(), "fixtures/2023/expected.toml", "index = 79.42", "index = 79.43");
    let o = run(t.path(), &["test", "--year", "2023"]);
    assert_eq!(o.status.code(), Some(1));
    let out = redact(&stdout(&o), t.path());
    assert!(out.contains("unit `so-tttt` total: expected 88.66, got 88.65"), "{out}");
    assert!(out.contains("2 failed"), "{out}");
    insta::assert_snapshot!(out.lines().filter(|l| !l.starts_with("2023:") || l.contains("failed")).collect::<Vec<_>>().join("\n"));
}

#[test]
fn parindex_test_honours_a_tolerance() {
    let t = temp_tree();
    edit(t.path(), "fixtures/2023/expected.toml", "total = 88.65\n", "total = 88.66\ntolerance = 0.01\n");
    let o = run(t.path(), &["test", "--year", "2023"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

#[test]
fn diff_of_the_2023_and_2025_rule_sets() {
    let o = run(&repo(), &["diff", "2023", "2025"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("criterion 5.7: Chất lượng cán bộ, công chức cấp xã (max district 1) → —"), "{out}");
    assert!(out.contains("unit kind district"), "{out}");
    assert!(out.contains("target thanh_toan_truc_tuyen (2025)"), "{out}");
    insta::assert_snapshot!(out);
}

#[test]
fn diff_scores_one_years_units_under_both_rule_sets() {
    let o = run(&repo(), &["diff", "2023", "2025", "--data", "2023", "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let units = v["data"]["units"].as_array().expect("units scored under both sets");
    assert_eq!(units.len(), 28);
    let tttt = units.iter().find(|u| u["id"] == "so-tttt").unwrap();
    // Under its own rules the unit keeps its published result.
    assert_eq!(tttt["from"]["index"], "88.65");
    assert_eq!(tttt["from"]["adjusted"], 0);
    assert!(tttt["to"]["adjusted"].as_u64().unwrap() > 0, "new 2025 criteria have no 2023 data");
    // Districts are scored as the communes that continue them.
    let than_uyen = units.iter().find(|u| u["id"] == "than-uyen").unwrap();
    assert_eq!(than_uyen["from"]["index"], "79.52");
    assert!(than_uyen["to"]["index"].as_str().is_some());
}

#[test]
fn diff_with_data_that_cannot_be_scored_shows_the_diff_and_fails() {
    for format in ["text", "json"] {
        let o = run(&repo(), &["diff", "2023", "2025", "--data", "2099", "--format", format]);
        assert_eq!(o.status.code(), Some(1), "{format}: {}", stdout(&o));
        assert!(stdout(&o).contains("criterion 1.8"), "{format}: the rules' diff is still shown");
        let err = stderr(&o);
        assert!(err.contains("fixtures/2099/units.toml"), "{format}: the file is named: {err}");
        assert_eq!(err.matches("error[IO]").count(), 1, "{format}: one problem, told once: {err}");
    }
}

#[test]
fn parindex_test_fails_when_there_is_nothing_to_check() {
    let t = temp_tree();
    // An emptied expectation file.
    std::fs::write(t.path().join("fixtures/2023/expected.toml"), "# nothing here any more\n").unwrap();
    let o = run(t.path(), &["test", "--year", "2023"]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let out = stdout(&o);
    assert!(out.contains("error[NO_EXPECTATIONS]") && out.contains("fixtures/2023/expected.toml"), "{out}");
    assert!(out.ends_with("0 passed, 1 failed\n"), "{out}");

    // Expectations that name a unit and check nothing.
    std::fs::write(t.path().join("fixtures/2023/expected.toml"), "[[expect]]\nunit = \"so-tttt\"\n").unwrap();
    let o = run(t.path(), &["test", "--year", "2023"]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(stdout(&o).contains("error[NO_EXPECTATIONS]"), "{}", stdout(&o));

    // A year with no expectation file at all.
    std::fs::remove_file(t.path().join("fixtures/2025/expected.toml")).unwrap();
    let o = run(t.path(), &["test", "--year", "2025"]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let out = stdout(&o);
    assert!(out.contains("error[NO_EXPECTATIONS]") && out.contains("fixtures/2025/expected.toml"), "{out}");

    // No year with expectations anywhere.
    std::fs::remove_file(t.path().join("fixtures/2023/expected.toml")).unwrap();
    let o = run(t.path(), &["test"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("NO_EXPECTATIONS"), "{}", stderr(&o));
}
