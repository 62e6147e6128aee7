//! The shared synthetic workload: its inputs, its exact totals, and a tree of
//! criteria, rule scripts and data files that `parindex score` scores.
//!
//! Units n = 0..N−1 (`u0`, `u1`, …) are scored on criteria i = 0..C−1, each
//! with a maximum of 1 and of kind `"abc"[i % 3]`; the inputs come from fixed
//! formulas, with no random generator:
//!
//! - (a) ratio tiers: total = 1 + (7n + 13i) mod 500, on_time =
//!   (31n + 17i) mod (total + 1); 1 if on_time/total ≥ 1, else 0.75 if
//!   ≥ 0.95, else 0.5 if ≥ 0.9, else 0;
//! - (b) proportional: value = (11n + 5i) mod 121 against a target of 100,
//!   capped at 1;
//! - (c) checklist: item k (k = 0..4) is done iff (n + 3i + 5k) mod 7 < 3,
//!   0.2 per item done.
//!
//! A unit's total is the sum of its C scores. Criterion i is the leaf
//! `1.{i+1}` of the tree; its inputs are the columns `c{i}_…` of one wide
//! CSV table `w`.

#![allow(dead_code)]

use std::fmt::Write as _;
use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use rust_decimal::Decimal;

/// The kind of criterion `i`: `'a'` ratio tiers, `'b'` proportional, `'c'` checklist.
pub fn kind(i: usize) -> u8 {
    b"abc"[i % 3]
}

/// Criterion `i` of kind a, unit `n`: (total, on_time).
pub fn ratio_inputs(n: usize, i: usize) -> (u64, u64) {
    let (n, i) = (n as u64, i as u64);
    let total = 1 + (7 * n + 13 * i) % 500;
    (total, (31 * n + 17 * i) % (total + 1))
}

/// Criterion `i` of kind b, unit `n`: the value, against a target of 100.
pub fn proportional_value(n: usize, i: usize) -> u64 {
    ((11 * n + 5 * i) % 121) as u64
}

/// The target of every criterion of kind b.
pub const TARGET: u64 = 100;

/// Criterion `i` of kind c, unit `n`: whether item `k` is done.
pub fn checklist_item(n: usize, i: usize, k: usize) -> bool {
    (n + 3 * i + 5 * k) % 7 < 3
}

/// The number of items of a checklist criterion.
pub const ITEMS: usize = 5;

/// The score of unit `n` on criterion `i`, computed straightforwardly in decimals.
pub fn expected_score(n: usize, i: usize) -> Decimal {
    match kind(i) {
        b'a' => {
            let (total, on_time) = ratio_inputs(n, i);
            let ratio = Decimal::from(on_time) / Decimal::from(total);
            let bands =
                [(Decimal::ONE, Decimal::ONE), (Decimal::new(95, 2), Decimal::new(75, 2)), (Decimal::new(9, 1), Decimal::new(5, 1))];
            bands.iter().find(|(threshold, _)| ratio >= *threshold).map_or(Decimal::ZERO, |(_, points)| *points)
        }
        b'b' => (Decimal::from(proportional_value(n, i)) / Decimal::from(TARGET)).min(Decimal::ONE),
        _ => Decimal::new(2, 1) * Decimal::from((0..ITEMS).filter(|&k| checklist_item(n, i, k)).count()),
    }
}

/// The exact total of unit `n` over `criteria` criteria.
pub fn expected_total(n: usize, criteria: usize) -> Decimal {
    (0..criteria).map(|i| expected_score(n, i)).sum()
}

/// The indicator ids of criterion `i`, in the order of the CSV's columns.
pub fn indicator_ids(i: usize) -> Vec<String> {
    match kind(i) {
        b'a' => vec![format!("c{i}_total"), format!("c{i}_on_time")],
        b'b' => vec![format!("c{i}_value")],
        _ => (0..ITEMS).map(|k| format!("c{i}_k{k}")).collect(),
    }
}

const RATIO_TIERS: &str = "\
// Bậc thang theo tỷ lệ: the share of the maximum for the first band that
// on_time / total reaches.
//
// inputs: total, on_time   counts (total >= 1)
// params: bands            [[threshold, share of the maximum], ...], highest first
fn score(x) {
    tiers(x.on_time / x.total, x.bands) * x.max
}
";

const PROPORTIONAL: &str = include_str!("../../rules/2023/proportional.rhai");

const CHECKLIST: &str = "\
// Danh mục: `each` share of the maximum for every item done.
//
// inputs: item0 .. item4   1 when the item is done, else 0
// params: each             the share of one item
fn score(x) {
    checklist([x.item0, x.item1, x.item2, x.item3, x.item4], x.each) * x.max
}
";

/// Writes the tree of the workload under `out`: `criteria/<year>/`,
/// `rules/<year>/` and `fixtures/<year>/`, replacing the year's folders if present
/// (so no file of an earlier layout is left behind).
pub fn write_tree(out: &Path, units: usize, criteria: usize, year: u16) -> io::Result<()> {
    let crit = out.join("criteria").join(year.to_string());
    let fix = out.join("fixtures").join(year.to_string());
    let rules = out.join("rules").join(year.to_string());
    for d in [&crit, &fix, &rules] {
        match fs::remove_dir_all(d) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
    }
    for d in [crit.join("tree"), fix.join("indicators"), rules.clone()] {
        fs::create_dir_all(&d)?;
    }
    fs::write(rules.join("ratio_tiers.rhai"), RATIO_TIERS)?;
    fs::write(rules.join("proportional.rhai"), PROPORTIONAL)?;
    fs::write(rules.join("checklist.rhai"), CHECKLIST)?;
    fs::write(crit.join("index.toml"), index_toml(units, year))?;
    fs::write(crit.join("tree").join("workload.toml"), tree_toml(criteria))?;
    fs::write(fix.join("units.csv"), units_csv(units))?;
    fs::write(fix.join("indicators.toml"), indicators_toml(criteria, year))?;
    write_csv(&fix.join("indicators").join("workload.csv"), units, criteria)
}

fn index_toml(units: usize, year: u16) -> String {
    let s = format!(
        "# Synthetic workload: {units} units scored on criteria of three kinds
# (ratio tiers, proportional, checklist); see tree/workload.toml.
#
# Keys: [index] year, name, the rule scripts used; [rounding] decimals and mode
# of leaf points, points, a unit's index, a component's index, averages;
# [[kind]] unit kinds; [[part]] score parts; [[group]] ranking groups.

[index]
year = {year}
name = \"Synthetic workload of {units} units\"
scripts = [\"ratio_tiers\", \"proportional\", \"checklist\"]

[rounding]
leaf = {{ decimals = 2, mode = \"half_up\" }}
points = {{ decimals = 2, mode = \"half_up\" }}
index = {{ decimals = 2, mode = \"down\" }}
component = {{ decimals = 2, mode = \"half_up\" }}
average = {{ decimals = 2, mode = \"half_up\" }}

[[kind]]
id = \"unit\"
name = \"Đơn vị\"

[[part]]
id = \"score\"
name = \"Điểm\"

[[group]]
id = \"all\"
name = \"Tất cả đơn vị\"
kind = \"unit\"
all_of_kind = true
"
    );
    s
}

fn tree_toml(criteria: usize) -> String {
    let mut s = String::from(
        "# The workload's criteria: node 1, and leaf 1.{i+1} for criterion i, each
# with a maximum of 1, scored by its rule from the columns c{i}_... of table `w`.
#
# Keys of each [[node]]: id, name, part (at the top node), max, and for a leaf
# scored from data: rule (rules/<year>/<rule>.rhai), inputs (name = \"table.indicator\"),
# params.

[[node]]
id = \"1\"
name = \"Workload\"
part = \"score\"
",
    );
    for i in 0..criteria {
        let (rule, inputs, params) = match kind(i) {
            b'a' => (
                "ratio_tiers",
                format!("{{ total = \"w.c{i}_total\", on_time = \"w.c{i}_on_time\" }}"),
                "{ bands = [[1, 1], [0.95, 0.75], [0.9, 0.5]] }".to_owned(),
            ),
            b'b' => ("proportional", format!("{{ value = \"w.c{i}_value\" }}"), format!("{{ target = {TARGET} }}")),
            _ => {
                let items: Vec<String> = (0..ITEMS).map(|k| format!("item{k} = \"w.c{i}_k{k}\"")).collect();
                ("checklist", format!("{{ {} }}", items.join(", ")), "{ each = 0.2 }".to_owned())
            }
        };
        let _ = write!(
            s,
            "\n[[node]]\nid = \"1.{}\"\nname = \"Criterion {i}\"\nmax = 1\nrule = \"{rule}\"\ninputs = {inputs}\nparams = {params}\n",
            i + 1
        );
    }
    s
}

fn units_csv(units: usize) -> String {
    let mut s = String::from("# The workload's units, one a row.\nid,name,kind\n");
    for n in 0..units {
        let _ = writeln!(s, "u{n},Đơn vị {n},unit");
    }
    s
}

fn indicators_toml(criteria: usize, year: u16) -> String {
    let mut s = format!(
        "# The workload's inputs: one wide table, a row per unit, a column per indicator.
#
# Keys of [[table]]: id, name, file, layout, separator, number_format,
# measured_on; of each [[table.indicator]]: id, name, applies_to.

[[table]]
id = \"w\"
name = \"Workload inputs\"
file = \"indicators/workload.csv\"
layout = \"wide\"
separator = \",\"
number_format = \"plain\"
measured_on = \"{year}-12-31\"
"
    );
    for i in 0..criteria {
        for id in indicator_ids(i) {
            let _ = write!(s, "\n[[table.indicator]]\nid = \"{id}\"\nname = \"{id}\"\napplies_to = [\"unit\"]\n");
        }
    }
    s
}

fn write_csv(path: &Path, units: usize, criteria: usize) -> io::Result<()> {
    let mut w = BufWriter::new(fs::File::create(path)?);
    w.write_all(b"unit")?;
    for i in 0..criteria {
        for id in indicator_ids(i) {
            write!(w, ",{id}")?;
        }
    }
    w.write_all(b"\n")?;
    for n in 0..units {
        write!(w, "u{n}")?;
        for i in 0..criteria {
            match kind(i) {
                b'a' => {
                    let (total, on_time) = ratio_inputs(n, i);
                    write!(w, ",{total},{on_time}")?;
                }
                b'b' => write!(w, ",{}", proportional_value(n, i))?,
                _ => {
                    for k in 0..ITEMS {
                        w.write_all(if checklist_item(n, i, k) { b",1" } else { b",0" })?;
                    }
                }
            }
        }
        w.write_all(b"\n")?;
    }
    w.flush()
}
