//! The yearly cycle: a new year made from the last, sealed years, and what `diff` tells of a change.

mod common;

use std::path::Path;

use common::{edit, repo, run, stderr, stdout, temp_tree};
use serde_json::Value;

/// A temporary copy of the shipped tree with the archived results.
fn tree_with_archive() -> tempfile::TempDir {
    let t = temp_tree();
    std::fs::create_dir_all(t.path().join("results")).unwrap();
    std::fs::copy(repo().join("results/2023.json"), t.path().join("results/2023.json")).unwrap();
    t
}

fn read(root: &Path, rel: &str) -> String {
    std::fs::read_to_string(root.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn json(root: &Path, args: &[&str]) -> Value {
    let o = run(root, args);
    assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    serde_json::from_str(&stdout(&o)).unwrap()
}

/// `new-year 2024 --from 2023`, then the council's points of 2023 as those of 2024.
fn year_2024(root: &Path) {
    let o = run(root, &["new-year", "2024", "--from", "2023"]);
    assert!(o.status.success(), "{}", stderr(&o));
    std::fs::copy(root.join("fixtures/2023/scores.toml"), root.join("fixtures/2024/scores.toml")).unwrap();
}

/// The folders and hidden files directly under the root.
fn entries(root: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(root).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    v.sort();
    v
}

#[test]
fn a_new_year_made_from_2023_scores_2023s_numbers_with_every_change_zero() {
    let t = tree_with_archive();
    let root = t.path();
    let o = run(root, &["new-year", "2024", "--from", "2023"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("fixtures/2024/scores.toml"), "the checklist names the points to fill: {out}");
    assert!(out.contains("parindex check --year 2024"), "{out}");

    // What was made: criteria and rules of 2024, the units, last year's published results.
    let index = read(root, "criteria/2024/index.toml");
    assert!(index.starts_with("#:schema ../../schema/index.json\n"), "{index}");
    assert!(index.contains("year = 2024\n"), "{index}");
    assert!(index.contains("Chỉ số cải cách hành chính năm 2024"), "the title names the new year");
    assert!(index.contains("CẦN SỬA / to edit: the legal basis of 2024"), "the legal basis is marked for the official");
    assert_eq!(read(root, "rules/2024/tiers.rhai"), read(root, "rules/2023/tiers.rhai"));
    let previous = read(root, "fixtures/2024/previous.toml");
    assert!(previous.contains("\nyear = 2023\n"), "{previous}");
    assert!(previous.contains("id = \"so-tttt\"\nindex = \"88.65\"\nrank = 1\n"), "{previous}");
    // Nothing of 2023 that is 2023's alone: no expectations, no statistics, no points.
    assert!(!root.join("fixtures/2024/expected.toml").exists());
    assert!(!root.join("fixtures/2024/statistics").exists());
    let scores = read(root, "fixtures/2024/scores.toml");
    assert!(scores.contains("\n[so-tttt]\n# \"1.1\" =  # max 3: "), "every unit and scored criterion listed, commented");
    assert!(scores.contains("\n[sin-ho]\n"), "{scores}");
    assert!(!scores.contains("\n# \"3.4.1\" ="), "a leaf scored by a rule is not the council's");
    assert!(!scores.lines().any(|l| l.starts_with('"')), "no points are filled in");
    assert!(!entries(root).iter().any(|e| e.starts_with('.')), "no temporary folder is left: {:?}", entries(root));

    // With the council's points of 2023, the year checks and scores 2023's numbers.
    std::fs::copy(root.join("fixtures/2023/scores.toml"), root.join("fixtures/2024/scores.toml")).unwrap();
    let o = run(root, &["check", "--year", "2024"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("0 errors"), "{}", stderr(&o));
    let (a, b) =
        (json(root, &["score", "--year", "2023", "--format", "json"]), json(root, &["score", "--year", "2024", "--format", "json"]));
    assert_eq!(b["previous_year"], 2023);
    let units = |v: &Value| v["units"].as_array().unwrap().clone();
    assert_eq!(units(&a).len(), 28);
    for (x, y) in units(&a).iter().zip(units(&b).iter()) {
        assert_eq!(x["id"], y["id"]);
        for key in ["scale", "total", "index", "rank", "parts", "components", "exact"] {
            assert_eq!(x[key], y[key], "{} {key}", x["id"]);
        }
        assert_eq!(y["previous"]["year"], 2023);
        assert_eq!(y["previous"]["index"], x["index"], "{}", x["id"]);
        assert_eq!(y["change"]["index"], "0.00", "{}", x["id"]);
        assert_eq!(y["change"]["rank"], 0, "{}", x["id"]);
    }
    assert_eq!(a["averages"], b["averages"]);
}

#[test]
fn a_new_year_is_refused_when_it_exists_or_the_old_year_is_not_archived_as_published() {
    let t = tree_with_archive();
    let root = t.path();
    // The year exists.
    let o = run(root, &["new-year", "2025", "--from", "2023"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("criteria/2025"), "{}", stderr(&o));

    // The old year's files no longer give its archived result.
    edit(root, "fixtures/2023/scores.toml", "\"3.5\" = 1.50", "\"3.5\" = 1.40");
    let before = entries(root);
    let o = run(root, &["new-year", "2024", "--from", "2023"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("replay --year 2023"), "{}", stderr(&o));
    assert_eq!(entries(root), before, "nothing is left half-made");
    for sub in ["criteria", "rules", "fixtures"] {
        assert!(!root.join(sub).join("2024").exists(), "{sub}/2024");
    }

    // No archive at all.
    edit(root, "fixtures/2023/scores.toml", "\"3.5\" = 1.40", "\"3.5\" = 1.50");
    std::fs::remove_file(root.join("results/2023.json")).unwrap();
    let o = run(root, &["new-year", "2024", "--from", "2023"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("results/2023.json"), "{}", stderr(&o));
    assert!(stderr(&o).contains("--archive"), "{}", stderr(&o));
    assert!(!root.join("criteria/2024").exists());
}

#[test]
fn editing_a_rule_of_the_new_year_leaves_the_sealed_year_identical() {
    let t = tree_with_archive();
    let root = t.path();
    year_2024(root);
    edit(root, "rules/2024/tiers.rhai", "tiers(x.value, x.bands) * x.max", "tiers(x.value, x.bands) * x.max / 2");
    edit(root, "rules/2024/proportional.rhai", "proportional(x.value, x.target, x.max)", "proportional(x.value, x.target * 2, x.max)");
    let o = run(root, &["replay", "--year", "2023"]);
    assert!(o.status.success(), "{}", stdout(&o));
    assert!(stdout(&o).starts_with("identical"), "{}", stdout(&o));
    let o = run(root, &["check", "--year", "2023"]);
    assert!(o.status.success(), "{}", stderr(&o));
    // And 2024 did change.
    let b = json(root, &["score", "--year", "2024", "--format", "json"]);
    assert_ne!(b["units"][0]["change"]["index"], "0.00");
}

#[test]
fn check_of_a_sealed_year_names_the_file_changed_since_it_was_archived() {
    let t = tree_with_archive();
    let root = t.path();
    // Comments and spacing are not a change.
    edit(root, "rules/2023/tiers.rhai", "fn score(x) {", "// the same formula\nfn score(x)  {");
    let o = run(root, &["check", "--year", "2023"]);
    assert!(o.status.success(), "{}", stderr(&o));

    edit(root, "rules/2023/tiers.rhai", "tiers(x.value, x.bands) * x.max", "tiers(x.value, x.bands) * x.max * 1");
    let o = run(root, &["check", "--year", "2023"]);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(err.contains("error[SEALED_YEAR_CHANGED]: `rules/2023/tiers.rhai` changed since 2023 was archived"), "{err}");
    assert!(err.contains("--> rules/2023/tiers.rhai"), "{err}");
    assert!(!err.contains("scores.toml` changed"), "{err}");

    edit(root, "fixtures/2023/units.toml", "name = \"Sở Tài chính\"", "name = \"Sở Tài Chính\"");
    std::fs::write(root.join("criteria/2023/tree/09-new.toml"), "[[node]]\nid = \"9\"\nname = \"x\"\npart = \"appraisal\"\nmax = 1\n")
        .unwrap();
    let o = run(root, &["check", "--year", "2023", "--format", "json"]);
    assert!(!o.status.success());
    let err = stderr(&o);
    for file in ["rules/2023/tiers.rhai", "fixtures/2023/units.toml", "criteria/2023/tree/09-new.toml"] {
        assert!(err.contains(&format!("\"{file}\"")), "{file}: {err}");
    }
    assert!(err.contains("SEALED_YEAR_CHANGED"), "{err}");
    // A year that is not archived is not sealed.
    let o = run(root, &["check", "--year", "2025"]);
    assert!(!stderr(&o).contains("SEALED_YEAR_CHANGED"), "{}", stderr(&o));
}

#[test]
fn diff_names_an_added_exemptions_unit_criterion_and_scale_change() {
    let t = tree_with_archive();
    let root = t.path();
    year_2024(root);
    // so-tttt is no longer evaluated on 3.5 (max 1.5 for departments): its points there go.
    edit(root, "fixtures/2024/scores.toml", "\"3.5\" = 1.50  # reconstructed\n", "");
    common::append(
        root,
        "criteria/2024/exemptions.toml",
        "\n[[exemption]]\nid = \"khong-quy-trinh\"\nunits = [\"so-tttt\"]\ncriteria = [\"3.5\"]\nreason = \"Không có TTHC riêng\"\n",
    );
    let o = run(root, &["diff", "2023", "2024"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("  so-tttt (Sở Thông tin và Truyền thông), criterion 3.5 (Xây dựng và phê duyệt quy trình nội bộ giải quyết TTHC, max 1.5): not evaluated from 2024 (`khong-quy-trinh`: Không có TTHC riêng)"),
        "{out}"
    );
    assert!(out.contains("scales changed (1):\n  so-tttt (Sở Thông tin và Truyền thông): 100 → 98.5\n"), "{out}");
    assert!(out.contains("exemption khong-quy-trinh: — → Không có TTHC riêng"), "{out}");

    let v = json(root, &["diff", "2023", "2024", "--format", "json"]);
    let e = &v["exempt"][0];
    assert_eq!((e["unit"].as_str(), e["criterion"].as_str(), e["change"].as_str()), (Some("so-tttt"), Some("3.5"), Some("added")));
    assert_eq!(e["after"], "khong-quy-trinh");
    assert_eq!(
        v["scales"],
        serde_json::json!([{ "unit": "so-tttt", "unit_name": "Sở Thông tin và Truyền thông", "before": "100", "after": "98.5" }])
    );
}

#[test]
fn diff_lists_a_changed_maximum_at_every_level_and_a_scripts_lines() {
    let t = tree_with_archive();
    let root = t.path();
    year_2024(root);
    let same = run(root, &["diff", "2023", "2024"]);
    assert!(stdout(&same).contains("no differences"), "nothing changed yet: {}", stdout(&same));
    // 1.2.1 rises from 1 to 1.5: 1.2 (between the leaves and the component) and 1 move too.
    edit(
        root,
        "criteria/2024/tree/01-chi-dao-dieu-hanh.toml",
        "name = \"Báo cáo CCHC định kỳ\"\nmax = 1\n",
        "name = \"Báo cáo CCHC định kỳ\"\nmax = 1.5\n",
    );
    edit(root, "rules/2024/tiers.rhai", "tiers(x.value, x.bands) * x.max", "tiers(x.value, x.bands) * x.max * 1");
    let o = run(root, &["diff", "2023", "2024", "--data", "2023"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("maxima changed (3):"), "{out}");
    assert!(out.contains("  criterion 1: department 13.5, district 13 → department 14, district 13.5\n"), "{out}");
    assert!(out.contains("  criterion 1.2: department 2, district 2 → department 2.5, district 2.5\n"), "{out}");
    assert!(out.contains("  criterion 1.2.1: department 1, district 1 → department 1.5, district 1.5\n"), "{out}");
    assert!(out.contains("  rule tiers: edited (rules/2023/tiers.rhai → rules/2024/tiers.rhai)"), "{out}");
    assert!(out.contains("    -    tiers(x.value, x.bands) * x.max\n    +    tiers(x.value, x.bands) * x.max * 1\n"), "{out}");
    assert!(out.contains("scale 2023") && out.contains("scale 2024"), "{out}");
}

#[test]
fn explain_sets_each_component_beside_the_archived_previous_year() {
    let t = tree_with_archive();
    let root = t.path();
    year_2024(root);
    // so-tttt's criterion 1.1: 2.08 in 2023, 2.58 in 2024, so component 1
    // goes from 9.36 to 9.86 of 13.5: +0.50 points; its index from 69.33% to
    // 73.04% (9.36 / 13.5 = 69.333…, 9.86 / 13.5 = 73.037…), +3.71 as shown;
    // and the unit's index (scale 100) from 88.65 to 89.15.
    edit(root, "fixtures/2024/scores.toml", "\"1.1\" = 2.08", "\"1.1\" = 2.58");
    let e = json(root, &["explain", "--year", "2024", "--unit", "so-tttt", "--format", "json"]);
    let y = &e["year_on_year"];
    assert_eq!(y["year"], 2023);
    assert_eq!(y["archive"], "results/2023.json");
    let c1 = &y["components"][0];
    assert_eq!((c1["id"].as_str(), c1["points"].as_str(), c1["index"].as_str()), (Some("1"), Some("+0.50"), Some("+3.71")));
    assert_eq!(c1["before"]["score"], "9.36");
    assert_eq!(c1["after"]["score"], "9.86");
    assert_eq!(y["components"][1]["points"], "+0.00");
    assert_eq!((y["index"]["before"].as_str(), y["index"]["after"].as_str()), (Some("88.65"), Some("89.15")));
    let text = stdout(&run(root, &["explain", "--year", "2024", "--unit", "so-tttt"]));
    assert!(text.contains("change against 2023 (results/2023.json):\n  1 Công tác chỉ đạo, điều hành CCHC: 9.36 / 13.5 (69.33%) → 9.86 / 13.5 (73.04%): +0.50 points, +3.71%\n"), "{text}");
    // 2023's previous year (2022) is not archived: nothing to set beside.
    let e = json(root, &["explain", "--year", "2023", "--unit", "so-tttt", "--format", "json"]);
    assert!(e.get("year_on_year").is_none());
}

#[test]
fn a_new_year_after_a_gap_compares_with_the_year_it_was_made_from() {
    let t = tree_with_archive();
    let root = t.path();
    let o = run(root, &["new-year", "2026", "--from", "2023"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(read(root, "criteria/2026/index.toml").contains("previous_year = 2023\n"));
    std::fs::copy(root.join("fixtures/2023/scores.toml"), root.join("fixtures/2026/scores.toml")).unwrap();
    let b = json(root, &["score", "--year", "2026", "--format", "json"]);
    assert_eq!(b["previous_year"], 2023);
    assert_eq!(b["units"][0]["change"]["index"], "0.00");
}

/// The processors the calling thread may run on, as Linux lists them.
#[cfg(target_os = "linux")]
fn cpus_allowed() -> String {
    let status = std::fs::read_to_string("/proc/thread-self/status").expect("status");
    status.lines().find_map(|l| l.strip_prefix("Cpus_allowed_list:")).map(|s| s.trim().to_string()).expect("listed")
}

#[test]
#[cfg(target_os = "linux")]
fn a_load_leaves_its_thread_free_to_run_where_it_could() {
    // The load keeps its thread on one processor while a province loads,
    // its threads placed on the others; once loaded, the thread is free
    // again (on a thread of its own: the harness's threads are shared).
    std::thread::spawn(|| {
        let before = cpus_allowed();
        let rs = parindex::score::ruleset::RuleSet::load_own(&repo(), 2023, 2023).expect("loads");
        assert_eq!(rs.model.units.len(), 28);
        assert_eq!(cpus_allowed(), before);
    })
    .join()
    .unwrap();
}
