//! Benchmarks of the shipped 2023 set: cold (load, validate, compile every
//! script, read the data) and warm (evaluate all 28 units with the compiled set).

use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion};
use parindex::formula::rules::Rules;
use parindex::report::Report;
use parindex::score::eval::evaluate;
use parindex::score::ruleset::RuleSet;

fn province_2023(c: &mut Criterion) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let rules = Rules::default();
    c.bench_function("2023/load+compile", |b| b.iter(|| RuleSet::load(root, 2023, &rules).expect("loads")));
    let rs = RuleSet::load(root, 2023, &rules).expect("loads");
    c.bench_function("2023/evaluate 28 units", |b| b.iter(|| evaluate(&rs).expect("evaluates")));
    let outcome = evaluate(&rs).expect("evaluates");
    c.bench_function("2023/report json", |b| b.iter(|| Report::new(&rs, &outcome).to_json()));
}

criterion_group!(benches, province_2023);
criterion_main!(benches);
