//! Targets, indicator tables and statistics on the real 2023 fixtures (seeds 000,
//! 001, 004), and the bad inputs each loader must report. Assertions match
//! diagnostic codes, never message text.

use std::fs;
use std::path::{Path, PathBuf};

use parindex::diag::{Code, Diagnostics, Severity};
use parindex::input::indicators::{load_indicators, IndicatorData, UnitRef};
use parindex::input::stats::load_statistics;
use parindex::input::targets::{evaluate, load_targets, Status, TargetReport};
use rust_decimal_macros::dec;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The 28 units of 2023, with the spellings seed 000 uses as aliases.
struct Units(Vec<(String, String, Vec<String>, String)>);

impl Units {
    fn of_2023() -> Self {
        let d = "department";
        let h = "district";
        let rows: [(&str, &str, &[&str], &str); 28] = [
            ("so-tttt", "Sở Thông tin và Truyền thông", &[], d),
            ("so-tc", "Sở Tài chính", &["Sở Tài chính - tỉnh Lai Châu"], d),
            ("so-khcn", "Sở Khoa học và Công nghệ", &[], d),
            ("so-ldtbxh", "Sở Lao động - Thương binh và Xã hội", &["Sở Lao động, Thương binh và Xã hội"], d),
            ("so-nv", "Sở Nội vụ", &[], d),
            ("so-gddt", "Sở Giáo dục và Đào tạo", &[], d),
            ("so-xd", "Sở Xây dựng", &[], d),
            ("so-khdt", "Sở Kế hoạch và Đầu tư", &[], d),
            // Seed 000 writes "Phát triển Nông thôn": matched by case folding, no alias.
            ("so-nnptnt", "Sở Nông nghiệp và Phát triển nông thôn", &[], d),
            ("so-gtvt", "Sở Giao thông vận tải", &[], d),
            ("so-tp", "Sở Tư pháp", &[], d),
            ("so-ct", "Sở Công Thương", &[], d),
            ("so-tnmt", "Sở Tài nguyên và Môi trường", &[], d),
            ("so-yt", "Sở Y tế", &[], d),
            ("so-vhttdl", "Sở Văn hóa, Thể thao và Du lịch", &[], d),
            ("vp-ubnd", "Văn phòng UBND tỉnh", &[], d),
            ("bql-kkt", "Ban Quản lý Khu kinh tế tỉnh", &[], d),
            ("ban-dt", "Ban Dân tộc", &[], d),
            ("so-ngv", "Sở Ngoại vụ", &[], d),
            ("thanh-tra", "Thanh tra tỉnh", &[], d),
            ("than-uyen", "Huyện Than Uyên", &["UBND huyện Than Uyên"], h),
            ("phong-tho", "Huyện Phong Thổ", &["UBND huyện Phong Thổ"], h),
            ("tp-lai-chau", "Thành phố Lai Châu", &["UBND thành phố Lai Châu"], h),
            ("tam-duong", "Huyện Tam Đường", &["UBND huyện Tam Đường"], h),
            ("muong-te", "Huyện Mường Tè", &["UBND huyện Mường Tè"], h),
            ("tan-uyen", "Huyện Tân Uyên", &["UBND huyện Tân Uyên"], h),
            ("nam-nhun", "Huyện Nậm Nhùn", &["UBND huyện Nậm Nhùn"], h),
            ("sin-ho", "Huyện Sìn Hồ", &["UBND huyện Sìn Hồ"], h),
        ];
        Units(
            rows.iter()
                .map(|(id, name, aliases, kind)| {
                    (id.to_string(), name.to_string(), aliases.iter().map(|a| a.to_string()).collect(), kind.to_string())
                })
                .collect(),
        )
    }

    fn refs(&self) -> Vec<UnitRef<'_>> {
        self.0.iter().map(|(id, name, aliases, kind)| UnitRef { id, name, aliases, kind }).collect()
    }
}

fn indicators_2023(units: &[UnitRef]) -> (IndicatorData, Diagnostics) {
    load_indicators(&root(), 2023, units)
}

fn report(year: u16) -> TargetReport {
    let units = Units::of_2023();
    let refs = units.refs();
    let (targets, d) = load_targets(&root(), year);
    assert!(d.is_empty(), "{d}");
    let (data, _) = load_indicators(&root(), targets.indicators_year, &refs);
    let r = evaluate(&targets, &data, &refs);
    // Communes are targeted by seed 001 but are not units of 2023.
    assert!(r.diagnostics.iter().all(|d| d.code == Code::UnknownReference && d.message.contains("commune")), "{}", r.diagnostics);
    r
}

fn ids_with(r: &TargetReport, target: &str, year: u16, status: Status) -> Vec<String> {
    let t = r.target(target, year).unwrap_or_else(|| panic!("no target {target} {year}"));
    t.units.iter().filter(|u| u.status == status).map(|u| u.id.clone()).collect()
}

// ---------------------------------------------------------------------------
// Real data

#[test]
fn portal_table_loads_and_reports_the_missing_department() {
    let units = Units::of_2023();
    let (data, d) = indicators_2023(&units.refs());
    assert!(!d.has_errors(), "{d}");
    // Sở Tài chính is absent from tables 2 and 3 of seed 000; nothing else is missing or unmatched.
    let missing: Vec<(Option<&str>, Option<&str>)> = d.iter().map(|x| (x.unit.as_deref(), x.criterion.as_deref())).collect();
    assert_eq!(d.codes(), [Code::UnmatchedName, Code::UnmatchedName], "{d}");
    assert_eq!(missing, [(Some("so-tc"), Some("portal.nop_truc_tuyen")), (Some("so-tc"), Some("portal.thanh_toan_truc_tuyen"))]);
    assert!(d.iter().all(|x| x.severity == Severity::Warning));

    let m = data.get("portal.xu_ly_dung_han", "so-tttt").unwrap();
    assert_eq!((m.value, m.percent, m.measured_on.as_ref()), (dec!(98.97), true, "2023-12-25"));
    assert!(m.file.ends_with("fixtures/2023/indicators/portal-2023-12-25.csv"));
    assert_eq!(m.line, 2);
    assert_eq!(data.get("portal.hai_long", "so-tc").unwrap().value, dec!(100), "alias `Sở Tài chính - tỉnh Lai Châu`");
    assert_eq!(data.get("portal.so_hoa", "tan-uyen").unwrap().value, dec!(36.95));
    assert!(data.get("portal.nop_truc_tuyen", "so-tc").is_none(), "missing is absent, never 0");
    assert!(data.get("portal.hai_long", "vp-ubnd").is_none());
    assert_eq!(
        data.keys().collect::<Vec<_>>(),
        [
            "portal.xu_ly_dung_han",
            "portal.nop_truc_tuyen",
            "portal.thanh_toan_truc_tuyen",
            "portal.hai_long",
            "portal.ket_qua_dien_tu",
            "portal.so_hoa"
        ]
    );
    let t = data.table("portal").unwrap();
    assert_eq!(t.measured_on, "2023-12-25");
    assert!(t.source.as_deref().unwrap_or_default().contains("766/QĐ-TTg"));
    assert_eq!(data.values_of("portal.ket_qua_dien_tu").count(), 8);
}

#[test]
fn online_payment_2025_is_met_by_one_department_and_three_districts() {
    let r = report(2025);
    let t = r.target("thanh_toan_truc_tuyen", 2025).unwrap();
    assert_eq!(t.threshold, Some(dec!(60)));
    assert_eq!(ids_with(&r, "thanh_toan_truc_tuyen", 2025, Status::Met), ["so-ldtbxh", "than-uyen", "tp-lai-chau", "sin-ho"]);
    let ld = t.units.iter().find(|u| u.id == "so-ldtbxh").unwrap();
    assert_eq!(ld.value.map(|v| v.to_string()).as_deref(), Some("60.00"));
    assert_eq!(ld.gap.map(|v| v.to_string()).as_deref(), Some("0.00"));
    let gd = t.units.iter().find(|u| u.id == "so-gddt").unwrap();
    assert_eq!((gd.status, gd.gap.map(|g| g.to_string())), (Status::NotMet, Some("-60.00".into())));
    // 20 departments + 8 districts; 5 agencies are never on the portal, Sở Tài chính is missing.
    assert_eq!((t.summary.met, t.summary.not_met, t.summary.no_data, t.summary.no_numeric_target), (4, 18, 6, 0));
}

#[test]
fn online_payment_2023_government_target_of_30_percent() {
    let r = report(2023);
    let t = r.target("thanh_toan_truc_tuyen", 2023).unwrap();
    assert_eq!(t.threshold, Some(dec!(30)));
    let met: Vec<&str> = t.units.iter().filter(|u| u.status == Status::Met).map(|u| u.id.as_str()).collect();
    let kind = |id: &str| Units::of_2023().0.iter().find(|u| u.0 == id).map(|u| u.3.clone()).unwrap();
    let mut deps: Vec<&str> = met.iter().copied().filter(|id| kind(id) == "department").collect();
    deps.sort_unstable();
    assert_eq!(deps, ["so-khcn", "so-ldtbxh", "so-nnptnt", "so-tttt"]);
    assert_eq!(met.iter().filter(|id| kind(id) == "district").count(), 8);
    let tttt = t.units.iter().find(|u| u.id == "so-tttt").unwrap();
    assert_eq!(tttt.value, Some(dec!(36.83)));
}

#[test]
fn satisfaction_of_90_is_met_by_all_but_education() {
    let r = report(2025);
    assert_eq!(ids_with(&r, "hai_long", 2025, Status::NotMet), ["so-gddt"]);
    let t = r.target("hai_long", 2025).unwrap();
    assert_eq!(t.units.iter().find(|u| u.id == "so-gddt").and_then(|u| u.value), Some(dec!(86.20)));
    assert_eq!(t.summary.met, 22);
    assert_eq!(ids_with(&r, "hai_long", 2025, Status::NoData), ["vp-ubnd", "bql-kkt", "ban-dt", "so-ngv", "thanh-tra"]);
    // Seed 001 gives no 2030 satisfaction target: blank, kept as text, never 0.
    let t30 = r.target("hai_long", 2030).unwrap();
    assert_eq!((t30.threshold, t30.threshold_text.as_str(), t30.summary.no_numeric_target), (None, "", 28));
}

#[test]
fn targets_2025_as_printed() {
    let (set, d) = load_targets(&root(), 2025);
    assert!(d.is_empty(), "{d}");
    assert_eq!(set.indicators_year, 2023);
    assert_eq!(set.targets.iter().filter(|t| t.year == 2025).count(), 12);
    assert_eq!(set.targets.iter().filter(|t| t.year == 2030).count(), 12);
    let find = |id: &str, y: u16| set.targets.iter().find(|t| t.id == id && t.year == y).unwrap();
    assert_eq!(find("tai_su_dung_du_lieu", 2025).threshold_text, "Tối thiểu 50");
    assert_eq!(find("cat_giam_cap_phep", 2030).threshold_text, "≥30");
    assert_eq!(find("phi_dia_gioi", 2025).threshold_text, "Thực hiện theo hướng dẫn của TW");
    let r = report(2025);
    let t = r.target("phi_dia_gioi", 2025).unwrap();
    assert_eq!((t.comparison, t.threshold, t.summary.no_numeric_target), (None, None, 28));
    let csv = r.to_csv();
    assert!(csv.starts_with("target_id,target_year,comparison,threshold,"));
    // 24 (target, year) pairs × 28 units: no commune is a unit of 2023.
    assert_eq!(csv.lines().count(), 1 + 24 * 28);
}

#[test]
fn seed_004_ratios_reproduce_as_published() {
    let (stats, d) = load_statistics(&root(), 2023);
    assert!(!d.has_errors(), "{d}");
    let s = &stats[0];
    assert_eq!(s.measured_on, "2023-12-15");
    for (stt, published) in [("3.4", dec!(65.85)), ("3.5", dec!(93.41)), ("4.1", dec!(99.99)), ("4.2", dec!(98.77)), ("4.3", dec!(99.42))] {
        let q = s.ratio(stt).unwrap();
        assert_eq!(q.value, published, "{stt}");
        assert_eq!(q.stated, Some(published), "{stt}");
    }
    assert_eq!(s.value("2.1"), Some(dec!(1903)));
    assert_eq!(s.value("3.4.a"), Some(dec!(118430)));
    assert_eq!(s.value("1.1.1"), Some(dec!(1)));
    // Sums hold: 1.903 = 1.503 + 278 + 122, 121 = 86 + 35, 1.096 = 850 + 163 + 83, 35 = 3 + 2 + 15 + 15.
    for total in ["2.1", "2.3", "2.1.d", "1.1.2", "3.3.a"] {
        assert!(s.checks().iter().any(|c| c.stt == total && c.passed), "{total}");
    }
}

#[test]
fn seed_004_row_3_3_is_reported_with_file_and_line() {
    let (_, d) = load_statistics(&root(), 2023);
    let file = root().join("fixtures/2023/statistics/ttphvhcc-2023-12-15.toml");
    let text = fs::read_to_string(&file).unwrap();
    let line = text.lines().position(|l| l.trim() == "value = \"532\"").unwrap() + 1;
    let fails: Vec<_> = d.iter().filter(|x| x.code == Code::CheckFailed).collect();
    assert_eq!(fails.len(), 2, "range and ratio_matches: {d}");
    for f in &fails {
        assert_eq!(f.criterion.as_deref(), Some("3.3"));
        assert_eq!(f.severity, Severity::Warning);
        let loc = f.location.as_ref().unwrap();
        let rel = std::path::Path::new("fixtures/2023/statistics/ttphvhcc-2023-12-15.toml");
        assert_eq!((&*loc.file, loc.line), (rel, Some(line)));
    }
    // "99.42%" in a `vi` file: read as printed, with a warning.
    let amb: Vec<_> = d.iter().filter(|x| x.code == Code::AmbiguousNumber).collect();
    assert_eq!((amb.len(), amb[0].criterion.as_deref(), amb[0].severity), (1, Some("4.3"), Severity::Warning));
    assert_eq!(d.len(), 3, "{d}");
}

// ---------------------------------------------------------------------------
// Bad input

fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, text).unwrap();
}

fn one_table(format: Option<&str>, csv: &str) -> (IndicatorData, Diagnostics) {
    let dir = tempfile::tempdir().unwrap();
    let fmt = format.map(|f| format!("number_format = \"{f}\"\n")).unwrap_or_default();
    write(
        dir.path(),
        "fixtures/2023/indicators.toml",
        &format!(
            "[[table]]\nid = \"t\"\nfile = \"t.csv\"\nlayout = \"wide\"\nseparator = \";\"\n{fmt}measured_on = \"2023-12-15\"\n\
             [[table.indicator]]\nid = \"ho_so\"\nname = \"hồ sơ\"\nunit = \"Hồ sơ\"\napplies_to = [\"department\"]\nexpected_units = [\"so-tc\"]\n"
        ),
    );
    write(dir.path(), "fixtures/2023/t.csv", csv);
    let units = Units::of_2023();
    load_indicators(dir.path(), 2023, &units.refs())
}

#[test]
fn dot_thousands_read_as_declared_and_refused_when_undeclared() {
    let (data, d) = one_table(Some("vi"), "don_vi;ho_so\nso-tc;1.903\n");
    assert!(d.is_empty(), "{d}");
    assert_eq!(data.get("t.ho_so", "so-tc").unwrap().value, dec!(1903));

    let (data, d) = one_table(None, "don_vi;ho_so\nSở Tài chính;1.903\n");
    assert!(d.iter().any(|x| x.code == Code::AmbiguousNumber && x.severity == Severity::Error), "{d}");
    let x = d.iter().find(|x| x.code == Code::AmbiguousNumber).unwrap();
    assert_eq!(x.location.as_ref().and_then(|l| l.line), Some(2));
    assert!(data.get("t.ho_so", "so-tc").is_none());
}

#[test]
fn a_name_that_matches_nothing_is_reported_with_the_closest_unit() {
    let (data, d) = one_table(Some("vi"), "don_vi;ho_so\nSở Tài chánh;12\n");
    let x = d.iter().find(|x| x.code == Code::UnmatchedName && x.location.as_ref().and_then(|l| l.line) == Some(2)).unwrap();
    assert!(x.help.as_deref().unwrap_or_default().contains("Sở Tài chính"), "{x}");
    assert!(x.help.as_deref().unwrap_or_default().contains("so-tc"), "{x}");
    // …and so-tc, now without a value, is missing, not 0.
    assert!(d.iter().any(|x| x.code == Code::UnmatchedName && x.unit.as_deref() == Some("so-tc")));
    assert!(data.get("t.ho_so", "so-tc").is_none());
}

#[test]
fn a_malformed_csv_row_is_reported() {
    let (_, d) = one_table(Some("vi"), "don_vi;ho_so\n\"so-tc;12\n");
    assert!(d.codes().contains(&Code::CsvSyntax), "{d}");
}

const STATS_HEAD: &str = "id = \"t\"\nmeasured_on = \"2023-12-15\"\nnumber_format = \"vi\"\n";

fn stats(body: &str) -> Diagnostics {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "fixtures/2023/statistics/t.toml", &format!("{STATS_HEAD}{body}"));
    load_statistics(dir.path(), 2023).1
}

#[test]
fn a_count_in_a_percentage_row_fails_its_checks() {
    let d = stats(
        "[[row]]\nstt = \"3.3\"\nname = \"tỷ lệ\"\nunit = \"%\"\nvalue = \"532\"\n\
         [[check]]\nkind = \"range\"\nrows = [\"3.3\"]\n",
    );
    assert_eq!(d.codes(), [Code::CheckFailed], "{d}");
    assert_eq!(d.0[0].location.as_ref().and_then(|l| l.line), Some(8));
}

#[test]
fn a_negative_count_is_an_error() {
    let d = stats("[[row]]\nstt = \"2.2\"\nname = \"số TTHC\"\nunit = \"Thủ tục\"\nvalue = \"-59\"\n");
    assert_eq!(d.codes(), [Code::BadValue], "{d}");
    assert!(d.has_errors());
}

#[test]
fn an_unknown_comparison_word_is_a_bad_target() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "criteria/2025/targets.toml",
        "indicators_year = 2023\n[[target]]\nid = \"x\"\nname = \"x\"\nunit = \"%\"\napplies_to = [\"district\"]\n\
         [[target.goal]]\nyear = 2025\nthreshold = \"Khoảng 50\"\n[[target.goal]]\nyear = 2030\nthreshold = \"Thực hiện theo hướng dẫn của TW\"\n",
    );
    let (set, d) = load_targets(dir.path(), 2025);
    assert_eq!(d.codes(), [Code::BadTarget], "{d}");
    assert_eq!(d.0[0].location.as_ref().and_then(|l| l.line), Some(9));
    // The text target is kept, the bad one is not turned into anything.
    assert_eq!(set.targets.len(), 1);
    assert_eq!(set.targets[0].threshold_text, "Thực hiện theo hướng dẫn của TW");
}

#[test]
fn an_unknown_measure_is_reported_with_a_suggestion() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "criteria/2025/targets.toml",
        "indicators_year = 2023\n[[target]]\nid = \"x\"\nname = \"x\"\nunit = \"%\"\napplies_to = [\"district\"]\nmeasure = \"portal.hai_lon\"\n\
         [[target.goal]]\nyear = 2025\nthreshold = \"90\"\n",
    );
    let (set, d) = load_targets(dir.path(), 2025);
    assert!(d.is_empty(), "{d}");
    let units = Units::of_2023();
    let (data, _) = indicators_2023(&units.refs());
    let r = evaluate(&set, &data, &units.refs());
    assert_eq!(r.diagnostics.codes(), [Code::UnknownReference]);
    assert_eq!(r.diagnostics.0[0].help.as_deref(), Some("did you mean `portal.hai_long`?"));
    assert_eq!(r.target("x", 2025).unwrap().summary.no_data, 8);
}

// ---------------------------------------------------------------------------
// Snapshots

#[test]
fn snapshot_targets_2025_table() {
    insta::assert_snapshot!("targets_2025_table", report(2025).to_table());
}

#[test]
fn snapshot_targets_2025_json() {
    insta::assert_json_snapshot!("targets_2025_json", report(2025).to_json());
}

#[test]
fn snapshot_targets_2023_table() {
    insta::assert_snapshot!("targets_2023_table", report(2023).to_table());
}

// ---------------------------------------------------------------------------
// The unit model's file, when it exists, must know every spelling of seed 000.

#[derive(serde::Deserialize)]
struct UnitsFile {
    unit: Vec<UnitEntry>,
}

#[derive(serde::Deserialize)]
struct UnitEntry {
    id: String,
    name: String,
    #[serde(default)]
    aliases: Vec<String>,
    kind: String,
}

#[test]
fn units_toml_if_present_matches_every_name_of_seed_000() {
    let path = root().join("fixtures/2023/units.toml");
    let Ok(text) = fs::read_to_string(&path) else {
        return;
    };
    let file: UnitsFile = toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let refs: Vec<UnitRef> = file.unit.iter().map(|u| UnitRef { id: &u.id, name: &u.name, aliases: &u.aliases, kind: &u.kind }).collect();
    let (data, d) = load_indicators(&root(), 2023, &refs);
    // Only Sở Tài chính's two absences: every printed name matches a unit.
    assert_eq!(d.codes(), [Code::UnmatchedName, Code::UnmatchedName], "{d}");
    assert!(d.iter().all(|x| x.unit.as_deref() == Some("so-tc")), "{d}");
    assert_eq!(data.values_of("portal.hai_long").count(), 23);
}
