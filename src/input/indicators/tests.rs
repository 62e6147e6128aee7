//! The indicator tables as a year loads them: layouts, lines, checks, and
//! the reading of quoted rows.

use super::rows::plain_integer;
use super::store::{Bits, Values};
use super::*;
use crate::input::numfmt::parse_number;
use rust_decimal_macros::dec;

#[test]
fn names_normalise_whitespace_and_case_but_keep_diacritics() {
    assert_eq!(normalize_name("  UBND  huyện\tMường Tè "), "ubnd huyện mường tè");
    assert_ne!(normalize_name("Mường Tè"), normalize_name("Muong Te"));
}

#[test]
fn names_with_combining_marks_match_their_composed_form() {
    use unicode_normalization::UnicodeNormalization;
    let composed = "UBND huyện Mường Tè";
    let decomposed: String = composed.nfd().collect();
    assert_ne!(composed, decomposed, "the decomposed form is other bytes");
    assert_eq!(normalize_name(&decomposed), normalize_name(composed));
    assert_eq!(normalize_name(&decomposed), "ubnd huyện mường tè");
}

#[test]
fn plain_integers_read_as_parse_number_reads_them() {
    for t in ["0", "7", "0123", "100", "999999999999999999"] {
        let want = parse_number(t, None).unwrap().value;
        assert_eq!(plain_integer(t).map(Decimal::from), Some(want), "{t}");
    }
    for t in ["", " 1", "1 ", "-1", "1.5", "1,5", "5%", "1234567890123456789"] {
        assert_eq!(plain_integer(t), None, "{t}");
    }
}

#[test]
fn a_column_widens_only_as_far_as_its_values_need() {
    let mut v = Values::I32(vec![0; 4]);
    v.set(0, dec!(7));
    assert!(matches!(v, Values::I32(_)));
    v.set_int(1, 1 << 40);
    assert!(matches!(v, Values::I64(_)));
    v.set(2, dec!(0.00));
    assert!(matches!(v, Values::Dec(_)));
    assert_eq!((v.get(0), v.get(1), v.get(3)), (Some(dec!(7)), Some(Decimal::from(1i64 << 40)), Some(Decimal::ZERO)));
    assert_eq!(v.get(2).map(|d| d.to_string()).as_deref(), Some("0.00"), "the printed scale is kept");
    assert_eq!((v.integer(0), v.integer(2)), (Some(7), None));
    assert_eq!(v.get(9), None);
}

#[test]
fn bits_outside_the_units_read_as_absent() {
    let mut b = Bits::new(70);
    b.set(0);
    b.set(69);
    b.set(500);
    assert!(b.get(0) && b.get(69) && !b.get(1) && !b.get(500));
}

fn units() -> Vec<UnitRef<'static>> {
    ["a", "b", "c"].into_iter().map(|id| UnitRef { id, name: id, aliases: &[], kind: "department" }).collect()
}

fn load(decl: &str, csv: &str) -> (IndicatorData, Diagnostics) {
    let dir = tempfile::tempdir().unwrap();
    let fx = dir.path().join("fixtures/2023");
    std::fs::create_dir_all(&fx).unwrap();
    std::fs::write(fx.join("indicators.toml"), decl).unwrap();
    std::fs::write(fx.join("t.csv"), csv).unwrap();
    load_indicators(dir.path(), 2023, &units())
}

const WIDE: &str = "[[table]]\nid = \"w\"\nfile = \"t.csv\"\nlayout = \"wide\"\nnumber_format = \"vi\"\nmeasured_on = \"2023-12-25\"\n\
    [[table.indicator]]\nid = \"n\"\nname = \"n\"\napplies_to = [\"department\"]\n\
    [[table.indicator]]\nid = \"r\"\nname = \"r\"\nunit = \"%\"\napplies_to = [\"department\"]\n";

#[test]
fn wide_columns_by_unit_index_with_lines_and_percent() {
    let (data, d) = load(WIDE, "unit,n,r\na,12,\"98,97%\"\n# note\nc,1.903,100\nb,,\nb,5,\n");
    assert_eq!(d.codes(), [Code::UnmatchedName], "b has no `r`: {d}");
    let n = data.column("w.n").unwrap();
    assert_eq!(n.len(), 3);
    assert_eq!((n.value(0), n.value(1), n.value(2), n.value(3)), (Some(dec!(12)), Some(dec!(5)), Some(dec!(1903)), None));
    assert_eq!((n.line(0), n.line(1), n.line(2)), (Some(2), Some(6), Some(4)), "b's value is on its second row");
    let r = data.column("w.r").unwrap();
    let m = r.measurement(0).unwrap();
    assert_eq!((m.value, m.percent, m.line, m.measured_on.as_ref()), (dec!(98.97), true, 2, "2023-12-25"));
    assert!(m.file.ends_with("fixtures/2023/t.csv"));
    assert_eq!(r.integer(2), Some(100));
    assert!(!r.measurement(2).unwrap().percent);
    assert_eq!(r.value(1), None, "missing is absent, never 0");
    assert_eq!(data.get("w.r", "a"), Some(m));
    assert_eq!(data.values_of("w.n").map(|(id, m)| (id, m.line)).collect::<Vec<_>>(), [("a", 2), ("b", 6), ("c", 4)]);
    assert!(data.column("w.x").is_none());
}

#[test]
fn duplicates_rates_and_bad_numbers_are_reported_and_not_stored() {
    let (data, d) = load(WIDE, "unit,n,r\na,1,101\na,2,50\nb,x,-1\nc,3,4\n");
    let codes = d.codes();
    assert_eq!(codes.iter().filter(|c| **c == Code::Duplicate).count(), 1, "{d}");
    let dup = d.iter().find(|x| x.code == Code::Duplicate).unwrap();
    assert!(dup.help.as_deref().unwrap_or_default().contains("line 2"), "{d}");
    assert_eq!(codes.iter().filter(|c| **c == Code::BadValue).count(), 3, "101, x and -1: {d}");
    let n = data.column("w.n").unwrap();
    let r = data.column("w.r").unwrap();
    assert_eq!((n.value(0), n.value(1), r.value(0), r.value(1)), (Some(dec!(1)), None, Some(dec!(50)), None));
    assert_eq!(r.line(0), Some(3), "the first value stored is on the second row");
}

#[test]
fn long_tables_keep_a_line_per_cell() {
    let decl = WIDE.replace("wide", "long").replace("number_format = \"vi\"\n", "separator = \";\"\nnumber_format = \"vi\"\n");
    let (data, d) = load(&decl, "chi_tieu;don_vi;gia_tri\nr;c;99,5%\nn;a;7\nn;c;8\nr;a;1\nn;b;2\nr;b;3\n");
    assert!(d.is_empty(), "{d}");
    let r = data.column("w.r").unwrap();
    assert_eq!((r.line(2), r.line(0), r.line(1)), (Some(2), Some(5), Some(7)));
    assert_eq!(r.value(2), Some(dec!(99.5)));
    assert_eq!(data.column("w.n").unwrap().line(1), Some(6));
}

/// Quoting changes nothing: the same table with every unit name quoted
/// gives the same values, lines, marks and problems.
#[test]
fn unquoted_rows_read_as_quoted_rows_do() {
    let ids: Vec<&'static str> = (0..300).map(|i| &*Box::leak(format!("u{i}").into_boxed_str())).collect();
    let units: Vec<UnitRef<'static>> = ids.iter().map(|id| UnitRef { id, name: id, aliases: &[], kind: "department" }).collect();
    let decl = WIDE.replace("number_format = \"vi\"\n", "separator = \";\"\nnumber_format = \"vi\"\n");
    let cells = ["7", "42", "1234", "98765", "1.903", "12,5", "7%", "", "x", "-3", "101", "0", "00012", "3,25%"];
    let mut seed = 12345u64;
    let mut next = || {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (seed >> 33) as usize
    };
    let mut rows = Vec::new();
    for _ in 0..700 {
        let unit = match next() % 50 {
            0 => "nobody".to_string(),
            _ => ids[next() % ids.len()].to_string(),
        };
        rows.push((unit, cells[next() % cells.len()], cells[next() % cells.len()]));
    }
    let table = |quote: bool| {
        let body: String =
            rows.iter().map(|(u, n, r)| if quote { format!("\"{u}\";{n};{r}\n") } else { format!("{u};{n};{r}\n") }).collect();
        format!("unit;n;r\n{body}")
    };
    let read = |csv: String| {
        let dir = tempfile::tempdir().unwrap();
        let fx = dir.path().join("fixtures/2023");
        std::fs::create_dir_all(&fx).unwrap();
        std::fs::write(fx.join("indicators.toml"), &decl).unwrap();
        std::fs::write(fx.join("t.csv"), csv).unwrap();
        let (data, diags) = load_indicators(dir.path(), 2023, &units);
        let cols: Vec<Vec<_>> = ["w.n", "w.r"]
            .iter()
            .map(|k| {
                let c = data.column(k).unwrap();
                (0..ids.len()).map(|u| (c.value(u), c.line(u), c.measurement(u).map(|m| m.percent))).collect()
            })
            .collect();
        let problems: Vec<_> =
            diags.iter().map(|d| (d.code, d.severity, d.unit.clone(), d.criterion.clone(), d.location.clone().map(|l| l.line))).collect();
        (cols, problems)
    };
    let (fast, slow) = (read(table(false)), read(table(true)));
    assert!(fast.1.len() > 50, "the table has problems to report ({})", fast.1.len());
    assert!(fast.0[0].iter().filter(|c| c.0.is_some()).count() > 100, "and values to store");
    assert_eq!(fast.0, slow.0);
    assert_eq!(fast.1, slow.1);
}

/// Every value, line and mark of `data`, by indicator and unit.
fn contents(data: &IndicatorData) -> Vec<(String, String, Measurement)> {
    let keys: Vec<String> = data.keys().map(str::to_owned).collect();
    keys.iter().flat_map(|k| data.values_of(k).map(move |(u, m)| (k.clone(), u.to_owned(), m))).collect()
}

proptest::proptest! {
    #![proptest_config(proptest::test_runner::Config { cases: 300, ..Default::default() })]

    /// A wide table without quotes is read in parallel batches (from its
    /// file, or decoded whole); the same table with a quote in a comment
    /// after its last row, through the `csv` crate, once the batches read
    /// before the quote are undone. Both give the same values, lines and
    /// diagnostics, whatever the rows hold.
    #[test]
    fn wide_rows_read_alike_with_and_without_quotes(
        header in 0usize..3,
        cp1258 in proptest::bool::ANY,
        rows in proptest::collection::vec(
            (0usize..6, proptest::collection::vec(0usize..12, 0..5), 0usize..4),
            0..12,
        ),
    ) {
        const UNITS: [&str; 6] = ["a", "b", "c", " a", "zz", "#c"];
        const CELLS: [&str; 12] = ["", "0", "7", "100", "101", "1,5", "98,97%", "1234567890", " 3", "x", "255", "12a"];
        let mut csv = String::from(["unit,n,r\n", "unit,n,zz,r\r\n", "# head\n\nunit,r\n"][header]);
        for (unit, cells, ending) in &rows {
            let line = std::iter::once(UNITS[*unit]).chain(cells.iter().map(|&c| CELLS[c])).collect::<Vec<_>>().join(",");
            csv.push_str(&line);
            csv.push_str(["\n", "\r\n", "\n# note\n", "\n\n"][*ending]);
        }
        // Windows-1258 (the same bytes for this ASCII text) is decoded whole, then read in batches.
        let decl = if cp1258 { WIDE.replacen("layout = \"wide\"\n", "layout = \"wide\"\nencoding = \"windows-1258\"\n", 1) } else { WIDE.to_owned() };
        let (fast, fast_diags) = load(&decl, &csv);
        let (slow, slow_diags) = load(&decl, &format!("{csv}\n# a \"quote\"\n"));
        proptest::prop_assert_eq!(contents(&fast), contents(&slow));
        proptest::prop_assert_eq!(format!("{fast_diags:?}"), format!("{slow_diags:?}"));
    }
}

#[test]
fn a_name_two_units_share_is_reported_when_a_cell_names_a_unit_by_name() {
    let units: Vec<UnitRef<'static>> = [("a", "Sở Y tế"), ("b", "Sở  y tế"), ("c", "Sở Tài chính")]
        .into_iter()
        .map(|(id, name)| UnitRef { id, name, aliases: &[], kind: "department" })
        .collect();
    let load_with = |csv: &str| {
        let dir = tempfile::tempdir().unwrap();
        let fx = dir.path().join("fixtures/2023");
        std::fs::create_dir_all(&fx).unwrap();
        std::fs::write(fx.join("indicators.toml"), WIDE).unwrap();
        std::fs::write(fx.join("t.csv"), csv).unwrap();
        load_indicators(dir.path(), 2023, &units)
    };
    let shared = |d: &Diagnostics| d.0.iter().filter(|d| d.message.contains("belongs to units `a` and `b`")).count();
    let (data, d) = load_with("unit,n,r\nSỞ Y TẾ,1,2\nb,3,4\nc,5,6\n");
    assert_eq!(shared(&d), 1, "{d:?}");
    assert_eq!(data.get("w.n", "a").map(|m| m.value), Some(dec!(1)), "the name matches the first unit");
    // Named by ids only: no name can match the wrong unit.
    let (_, d) = load_with("unit,n,r\na,1,2\nb,3,4\nc,5,6\n");
    assert_eq!(shared(&d), 0, "{d:?}");
}
