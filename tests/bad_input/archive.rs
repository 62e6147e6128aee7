//! Bad-input cases: archive. A copy of the shipped `results/2023.json` is
//! edited by hand, with its digest recomputed (a forger who knows the
//! format) or not (a careless edit); `replay` must fail and name the field,
//! and `score --archive` must not replace what it cannot trust.

use std::path::Path;

use parindex::audit::archive::digest_of;
use serde_json::Value;

use super::*;

/// A copy of the shipped tree with the shipped archive.
fn archived_tree() -> tempfile::TempDir {
    let t = temp_tree();
    std::fs::create_dir_all(t.path().join("results")).unwrap();
    std::fs::copy(repo().join("results/2023.json"), t.path().join("results/2023.json")).unwrap();
    t
}

fn archive_file(root: &Path) -> std::path::PathBuf {
    root.join("results/2023.json")
}

/// Edits the archive as JSON; with `reseal`, the digest is recomputed so
/// that only the comparison with the recomputation can find the edit.
fn edit_archive(root: &Path, reseal: bool, f: impl FnOnce(&mut Value)) {
    let path = archive_file(root);
    let mut v: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    f(&mut v);
    if reseal {
        v["digest"] = Value::String(digest_of(&v));
    }
    std::fs::write(&path, serde_json::to_string_pretty(&v).unwrap()).unwrap();
}

fn unit<'v>(v: &'v mut Value, id: &str) -> &'v mut Value {
    v["report"]["units"].as_array_mut().unwrap().iter_mut().find(|u| u["id"] == id).unwrap()
}

/// Runs `replay`: it fails, and prints every line of `expected`. Returns its output.
fn replay_fails(root: &Path, expected: &[&str]) -> String {
    let o = run(root, &["replay", "--year", "2023"]);
    let (out, err) = (stdout(&o), stderr(&o));
    assert_eq!(o.status.code(), Some(1), "replay must fail:\n{out}{err}");
    assert!(!err.contains("panicked"), "{err}");
    for line in expected {
        assert!(out.contains(line) || err.contains(line), "expected {line:?} in:\n{out}{err}");
    }
    format!("{out}{err}")
}

/// A forged edit (digest recomputed): replay names the field, and only it.
fn forged(expected: &str, f: impl FnOnce(&mut Value)) {
    let t = archived_tree();
    edit_archive(t.path(), true, f);
    let out = replay_fails(t.path(), &[expected, "1 differences"]);
    assert!(!out.contains("edited"), "the digest holds: {out}");
}

#[test]
fn a_unit_name() {
    forged("so-tttt name: archived Sở Thông tin → recomputed Sở Thông tin và Truyền thông", |v| {
        unit(v, "so-tttt")["name"] = "Sở Thông tin".into();
    });
}

#[test]
fn a_unit_group() {
    forged("vp-ubnd group: archived so-100 → recomputed", |v| unit(v, "vp-ubnd")["group"] = "so-100".into());
}

#[test]
fn a_total() {
    forged("so-tttt total: archived 88.66 → recomputed 88.65", |v| unit(v, "so-tttt")["total"] = "88.66".into());
}

#[test]
fn an_exact_total() {
    forged("so-tttt exact.total: archived 88.651 → recomputed 88.65", |v| unit(v, "so-tttt")["exact"]["total"] = "88.651".into());
}

#[test]
fn a_component_score() {
    forged("so-tttt components[4].score: archived 8.49 → recomputed 8.50", |v| {
        let c = unit(v, "so-tttt")["components"].as_array_mut().unwrap().iter_mut().find(|c| c["id"] == "4").unwrap();
        c["score"] = "8.49".into();
    });
}

#[test]
fn a_part() {
    forged("so-tttt parts.appraisal: archived 62.78 → recomputed 62.77", |v| {
        unit(v, "so-tttt")["parts"]["appraisal"] = "62.78".into();
    });
}

#[test]
fn a_scale_an_index_and_a_rank() {
    for (key, value, expected) in [
        ("scale", "66", "vp-ubnd scale: archived 66 → recomputed 65"),
        ("index", "86.11", "vp-ubnd index: archived 86.11 → recomputed 86.10"),
    ] {
        forged(expected, |v| unit(v, "vp-ubnd")[key] = value.into());
    }
    forged("so-tttt rank: archived 2 → recomputed 1", |v| unit(v, "so-tttt")["rank"] = 2.into());
}

#[test]
fn a_change_and_a_previous_result() {
    forged("so-tttt change.index: archived 7.37 → recomputed 7.36", |v| unit(v, "so-tttt")["change"]["index"] = "7.37".into());
    forged("so-tttt change.rank: archived -5 → recomputed 5", |v| unit(v, "so-tttt")["change"]["rank"] = (-5).into());
    forged("so-tttt previous.index: archived 81.30 → recomputed 81.29", |v| unit(v, "so-tttt")["previous"]["index"] = "81.30".into());
}

#[test]
fn an_average() {
    forged("averages[department].index: archived 79.43 → recomputed 79.42", |v| {
        let a = v["report"]["averages"].as_array_mut().unwrap().iter_mut().find(|a| a["kind"] == "department").unwrap();
        a["index"] = "79.43".into();
    });
}

#[test]
fn a_criterions_points() {
    forged("so-tttt criterion 3.4.1 points: archived 0.5 → recomputed", |v| v["detail"]["so-tttt"]["3.4.1"]["points"] = "0.5".into());
}

#[test]
fn the_reports_name_and_year() {
    forged("report.name: archived Chỉ số → recomputed", |v| v["report"]["name"] = "Chỉ số".into());
    forged("report.year: archived 2022 → recomputed 2023", |v| v["report"]["year"] = 2022.into());
}

#[test]
fn a_fingerprint_part() {
    let t = archived_tree();
    edit_archive(t.path(), true, |v| v["fingerprint"]["data"] = "0".repeat(64).into());
    replay_fails(t.path(), &["fingerprint.data: archived 0000", "inputs: the data changed"]);
}

#[test]
fn a_unit_left_out() {
    let t = archived_tree();
    edit_archive(t.path(), true, |v| {
        v["report"]["units"].as_array_mut().unwrap().retain(|u| u["id"] != "so-tttt");
        v["detail"].as_object_mut().unwrap().shift_remove("so-tttt");
    });
    replay_fails(t.path(), &["so-tttt unit: archived absent → recomputed present"]);
}

#[test]
fn a_unit_twice() {
    let t = archived_tree();
    edit_archive(t.path(), true, |v| {
        let u = unit(v, "so-tttt").clone();
        v["report"]["units"].as_array_mut().unwrap().push(u);
    });
    replay_fails(t.path(), &["so-tttt unit: archived present 2 times → recomputed present"]);
}

#[test]
fn the_year_of_a_forged_archive() {
    let t = archived_tree();
    edit_archive(t.path(), true, |v| v["year"] = 2024.into());
    replay_fails(t.path(), &["holds the results of 2024, not 2023"]);
}

#[test]
fn an_edit_without_a_new_digest_is_called_an_edit_and_still_named() {
    let t = archived_tree();
    edit_archive(t.path(), false, |v| {
        v["year"] = 2024.into();
        unit(v, "so-tttt")["total"] = "90.00".into();
    });
    replay_fails(
        t.path(),
        &[
            "the archive was edited after it was written",
            "year: archived 2024 → recomputed 2023",
            "so-tttt total: archived 90.00 → recomputed 88.65",
        ],
    );
}

#[test]
fn a_tampered_digest() {
    let t = archived_tree();
    edit_archive(t.path(), false, |v| v["digest"] = "0".repeat(64).into());
    let out = replay_fails(t.path(), &["the archive was edited after it was written", "0 differences"]);
    assert!(out.contains(&format!("its digest is {}", "0".repeat(64))), "{out}");
}

#[test]
fn a_key_added_by_hand() {
    let t = archived_tree();
    edit_archive(t.path(), false, |v| v["approved_by"] = "someone".into());
    replay_fails(t.path(), &["the archive was edited after it was written"]);
}

#[test]
fn layout_alone_is_no_edit() {
    let t = archived_tree();
    let path = archive_file(t.path());
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    std::fs::write(&path, serde_json::to_string(&v).unwrap()).unwrap();
    let o = run(t.path(), &["replay", "--year", "2023"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
}

#[test]
fn files_that_are_not_archives() {
    let t = archived_tree();
    let path = archive_file(t.path());
    let full = std::fs::read_to_string(&path).unwrap();
    for (text, expected) in [
        (full[..full.len() / 2].to_string(), "is not an archive: it is not valid JSON (line "),
        ("{\"units\": []}".to_string(), "is not an archive: it has no `format`"),
        (full.replace("parindex-archive-2", "parindex-archive-1"), "an older format without a digest"),
        (full.replace("\"digest\"", "\"digest_\""), "is not a valid archive: it has no `digest`"),
    ] {
        std::fs::write(&path, &text).unwrap();
        let out = replay_fails(t.path(), &[expected]);
        assert!(!out.contains("identical"), "{out}");
    }
    std::fs::remove_file(&path).unwrap();
    replay_fails(t.path(), &["there is no archive", "parindex score --year 2023 --archive"]);
}

/// `score --archive` keeps whatever it cannot read as this year's archive,
/// says why, and replaces it only with `--force`.
#[test]
fn archiving_keeps_what_it_cannot_trust_unless_forced() {
    let t = archived_tree();
    let path = archive_file(t.path());
    let full = std::fs::read_to_string(&path).unwrap();
    let other_year = {
        let mut v: Value = serde_json::from_str(&full).unwrap();
        v["year"] = 2022.into();
        v["digest"] = Value::String(digest_of(&v));
        serde_json::to_string_pretty(&v).unwrap()
    };
    for (text, expected) in [
        ("{ half of an archive".to_string(), "is not valid JSON"),
        ("[1, 2, 3]".to_string(), "is not an archive"),
        (other_year, "holds the results of 2022, not 2023"),
        (full.replace("\"88.65\"", "\"88.66\""), "the archive was edited after it was written"),
    ] {
        std::fs::write(&path, &text).unwrap();
        let o = run(t.path(), &["score", "--year", "2023", "--archive", "--format", "csv"]);
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        let err = stderr(&o);
        assert!(err.contains(expected) && err.contains("it was not replaced: pass --force to replace it"), "{expected}: {err}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text, "the file is kept");

        let o = run(t.path(), &["score", "--year", "2023", "--archive", "--force", "--format", "csv"]);
        assert!(o.status.success(), "{}", stderr(&o));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), full, "forced: replaced by the recomputed archive");
    }

    // Something that cannot be read at all: a folder in the archive's place.
    std::fs::remove_file(&path).unwrap();
    std::fs::create_dir(&path).unwrap();
    let o = run(t.path(), &["score", "--year", "2023", "--archive", "--format", "csv"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("cannot read") && stderr(&o).contains("it was not replaced"), "{}", stderr(&o));
    assert!(path.is_dir(), "kept");
}
