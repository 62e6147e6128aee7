//! Loading a wide tree: one criterion with 60,000 sub-criteria (and one unit
//! awarded points at it), generated in a temporary folder, then loaded,
//! validated and compiled (`RuleSet::load`). Loading must grow with the
//! number of criteria, not with its square: this takes well under a second.
//!
//! And the year's largest TOML file, the 2023 self-assessment (184 kB), read
//! into its raw type by the `toml` crate and by the fast reader
//! (`input::tomlread`), whose doc comment cites these figures.

use std::fmt::Write as _;
use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion};
use parindex::formula::rules::Rules;
use parindex::score::ruleset::RuleSet;

/// Sub-criteria under criterion `1`.
const WIDE: usize = 60_000;

const INDEX: &str = r#"[index]
year = 2023
name = "A wide criterion"
scripts = []

[rounding]
leaf = { decimals = 2, mode = "half_up" }
points = { decimals = 2, mode = "half_up" }
index = { decimals = 2, mode = "down" }
component = { decimals = 2, mode = "half_up" }
average = { decimals = 2, mode = "down" }

[[kind]]
id = "department"
name = "Sở, ban, ngành tỉnh"

[[part]]
id = "appraisal"
name = "Điểm thẩm định"

[[group]]
id = "all"
name = "All"
kind = "department"
all_of_kind = true
"#;

/// Writes the wide tree under `root`.
fn write_tree(root: &Path, wide: usize) -> std::io::Result<()> {
    let crit = root.join("criteria/2023");
    let fix = root.join("fixtures/2023");
    std::fs::create_dir_all(crit.join("tree"))?;
    std::fs::create_dir_all(&fix)?;
    std::fs::create_dir_all(root.join("rules"))?;
    std::fs::write(crit.join("index.toml"), INDEX)?;
    let mut tree = String::from("[[node]]\nid = \"1\"\nname = \"Wide\"\npart = \"appraisal\"\n");
    for i in 1..=wide {
        let _ = write!(tree, "\n[[node]]\nid = \"1.{i}\"\nname = \"Sub-criterion {i}\"\nmax = 1\n");
    }
    std::fs::write(crit.join("tree/01-wide.toml"), tree)?;
    std::fs::write(fix.join("units.toml"), "[[unit]]\nid = \"u1\"\nname = \"Unit 1\"\nkind = \"department\"\n")?;
    std::fs::write(fix.join("scores.toml"), "[u1]\n\"1\" = 12345\n")
}

fn load_wide(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    write_tree(dir.path(), WIDE).expect("write the wide tree");
    let rules = Rules::default();
    let rs = RuleSet::load(dir.path(), 2023, &rules).expect("the wide tree loads");
    assert_eq!(rs.model.nodes.len(), WIDE + 1);
    let mut group = c.benchmark_group("wide");
    group.sample_size(10);
    group.bench_function("load 60,000 sub-criteria of one criterion", |b| {
        // The time of a load, not of freeing the rule set afterwards.
        b.iter_with_large_drop(|| RuleSet::load(dir.path(), 2023, &rules).expect("loads"))
    });
    group.finish();
}

fn read_toml(c: &mut Criterion) {
    use parindex::input::raw_round::RawSelfFile;
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/2023/self-assessment.toml");
    let text = std::fs::read_to_string(path).expect("the 2023 self-assessment");
    let by_crate: RawSelfFile = toml::from_str(&text).expect("toml reads it");
    let by_fast: RawSelfFile = parindex::input::tomlread::fast(&text).expect("the fast reader reads it");
    assert_eq!(format!("{by_crate:?}"), format!("{by_fast:?}"));
    let mut group = c.benchmark_group("toml");
    group.bench_function("self-assessment 2023, toml crate", |b| {
        b.iter_with_large_drop(|| toml::from_str::<RawSelfFile>(&text).expect("reads"))
    });
    group.bench_function("self-assessment 2023, fast reader", |b| {
        b.iter_with_large_drop(|| parindex::input::tomlread::from_str::<RawSelfFile>(&text).expect("reads"))
    });
    group.finish();
}

criterion_group!(benches, load_wide, read_toml);
criterion_main!(benches);
