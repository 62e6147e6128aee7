//! The text output in both languages: the labels of `explain` and the frame
//! of a diagnostic are Vietnamese with `--lang vi` (or `PARINDEX_LANG`, or
//! `LANG`), English with `--lang en`; codes, ids and numbers are the same in
//! both. English is the default when the environment names no language, so
//! the English output is the one the other snapshots hold.

mod common;

use std::process::Command;

use common::*;

#[test]
fn explain_in_vietnamese() {
    let o = run(&repo(), &["--lang", "vi", "explain", "--year", "2023", "--unit", "so-tttt"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("(department, nhóm xếp hạng so-100)"), "{text}");
    assert!(text.contains("chỉ số: 88.65 = 88.65 / 100 × 100; công bố 88.65%"), "{text}");
    assert!(text.contains("thứ hạng: 1 trên 15 trong nhóm so-100"), "{text}");
    insta::assert_snapshot!(redact(&text, &repo()));
}

#[test]
fn explain_in_english_is_the_default_output() {
    let en = run(&repo(), &["--lang", "en", "explain", "--year", "2023", "--unit", "so-tttt"]);
    let default = run(&repo(), &["explain", "--year", "2023", "--unit", "so-tttt"]);
    assert!(en.status.success(), "{}", stderr(&en));
    assert_eq!(stdout(&en), stdout(&default));
    assert!(stdout(&en).contains("rank: 1 of 15 in group so-100"));
    insta::assert_snapshot!(redact(&stdout(&en), &repo()));
}

fn toml_error(lang: &str) -> String {
    let t = temp_tree();
    edit(t.path(), "criteria/2023/tree/08-tac-dong.toml", "part = \"sipas\"\nmax = 10", "part = \"sipas\"\nmax = = 12");
    let o = run(t.path(), &["--lang", lang, "check", "--year", "2023"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("[TOML_SYNTAX]"), "{err}");
    assert!(err.contains("criteria/2023/tree/08-tac-dong.toml:77:"), "{err}");
    redact(&err, t.path())
}

#[test]
fn a_diagnostic_in_vietnamese() {
    let err = toml_error("vi");
    assert!(err.starts_with("lỗi[TOML_SYNTAX] (tệp TOML sai cú pháp hoặc sai khóa): "), "{err}");
    assert!(err.trim_end().ends_with("1 lỗi, 0 cảnh báo") || err.contains(" lỗi, "), "{err}");
    insta::assert_snapshot!(err);
}

#[test]
fn a_diagnostic_in_english() {
    let err = toml_error("en");
    assert!(err.starts_with("error[TOML_SYNTAX]: "), "{err}");
    assert!(err.contains(" errors, "), "{err}");
    insta::assert_snapshot!(err);
}

#[test]
fn the_environment_chooses_when_no_flag_does() {
    let explain = |vars: &[(&str, &str)]| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_parindex"));
        c.args(["--root"])
            .arg(repo())
            .args(["explain", "--year", "2023", "--unit", "so-tttt"])
            .env_remove("PARINDEX_LANG")
            .env_remove("LANG");
        for (k, v) in vars {
            c.env(k, v);
        }
        let o = c.output().unwrap();
        (stdout(&o), stderr(&o))
    };
    let explain_err = |vars: &[(&str, &str)]| explain(vars).1;
    let explain = |vars: &[(&str, &str)]| explain(vars).0;
    // parindex's own variable with a language it cannot use is told, and the next choice made.
    let err = explain_err(&[("LANG", "vi_VN.UTF-8"), ("PARINDEX_LANG", "fr")]);
    assert!(err.contains("warning: PARINDEX_LANG=fr is not a language parindex speaks (vi or en)"), "{err}");
    assert!(explain(&[("LANG", "vi_VN.UTF-8"), ("PARINDEX_LANG", "fr")]).contains("thứ hạng: 1 trên 15"));
    assert_eq!(explain_err(&[("LANG", "fr_FR.UTF-8")]), "", "the system's own language is not parindex's to judge");
    assert!(explain(&[("LANG", "vi_VN.UTF-8")]).contains("thứ hạng: 1 trên 15"));
    assert!(explain(&[("LANG", "vi_VN.UTF-8"), ("PARINDEX_LANG", "en")]).contains("rank: 1 of 15"));
    assert!(explain(&[("PARINDEX_LANG", "vi")]).contains("thứ hạng: 1 trên 15"));
    assert!(explain(&[("LANG", "C.UTF-8")]).contains("rank: 1 of 15"), "English when the environment names no language");
}

#[test]
fn replay_and_test_speak_the_chosen_language() {
    let vi = stdout(&run(&repo(), &["--lang", "vi", "replay", "--year", "2023"]));
    assert!(vi.starts_with("trùng khớp (dấu vân tay "), "{vi}");
    let en = stdout(&run(&repo(), &["--lang", "en", "replay", "--year", "2023"]));
    assert!(en.starts_with("identical (fingerprint "), "{en}");
    // The same fingerprint in both.
    assert_eq!(vi.rsplit(' ').next(), en.rsplit(' ').next());
    let vi = stdout(&run(&repo(), &["--lang", "vi", "test", "--year", "2023"]));
    assert!(vi.contains("2023: 257 đạt, 0 không đạt\n"), "{vi}");
    assert!(vi.ends_with("257 đạt, 0 không đạt\n"), "{vi}");
}

#[test]
fn diff_with_data_side_by_side_speaks_vietnamese() {
    let o = run(&repo(), &["--lang", "vi", "diff", "2023", "2025", "--data", "2023"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let vi = stdout(&o);
    assert!(vi.contains("các đơn vị năm 2023 chấm theo bộ tiêu chí 2023 và 2025:\n"), "{vi}");
    assert!(vi.contains("  tiêu chí 7.3.2 tham số: target = 50 → target = 60\n"), "{vi}");
    assert!(vi.contains("các đơn vị đổi hạng ("), "{vi}");
    assert!(!vi.contains("criterion 7.3.2"), "{vi}");
    let en = stdout(&run(&repo(), &["--lang", "en", "diff", "2023", "2025", "--data", "2023"]));
    assert!(en.contains("units of 2023 scored under the rule sets of 2023 and 2025:\n"), "{en}");
}
