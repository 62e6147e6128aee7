//! What-if variants of the 2023 province through the variant API: 1,000
//! variants, each one leaf's maximum raised (every leaf in turn, by 0.5 to
//! 5 points), applied in memory, evaluated after the base and compared with
//! it; in parallel (as `parindex whatif --vary` runs them) and one by one.

use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion};
use parindex::formula::rules::Rules;
use parindex::live::engine::Snapshot;
use parindex::live::variant::{variant, variants, Override};
use rust_decimal::Decimal;

fn thousand(base: &Snapshot) -> Vec<Vec<Override>> {
    let model = &base.rule_set.model;
    let leaves: Vec<(&str, Decimal)> = model
        .nodes
        .iter()
        .filter(|n| n.is_leaf())
        .map(|n| (n.id.as_str(), n.max.iter().flatten().copied().max().unwrap_or_default()))
        .collect();
    (0..1000)
        .map(|i| {
            let (id, max) = leaves[i % leaves.len()];
            let raise = Decimal::new(5 * (1 + (i / leaves.len()) as i64 % 10), 1);
            vec![Override::Max { node: id.to_string(), kind: None, value: max + raise }]
        })
        .collect()
}

fn whatif_2023(c: &mut Criterion) {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let base = Snapshot::build(repo, 2023, &Rules::default(), 1).expect("the 2023 set opens");
    let each = thousand(&base);
    let ok = variants(&base, &each).iter().filter(|r| r.is_ok()).count();
    assert_eq!(ok, each.len(), "every raised maximum is a valid variant");

    let mut group = c.benchmark_group("2023/whatif");
    group.sample_size(10);
    group.bench_function("1000 variants, one maximum each, in parallel", |b| b.iter(|| variants(&base, &each)));
    group.bench_function("1000 variants, one maximum each, one by one", |b| {
        b.iter(|| each.iter().map(|os| variant(&base, os).map(|v| v.changes.units.len()).unwrap_or(0)).sum::<usize>())
    });
    group.bench_function("parts: apply only", |b| {
        b.iter(|| each.iter().map(|os| parindex::live::variant::apply(&base.rule_set, os).is_ok() as usize).sum::<usize>())
    });
    let sets: Vec<_> = each.iter().map(|os| parindex::live::variant::apply(&base.rule_set, os).unwrap()).collect();
    group.bench_function("parts: evaluate after the base", |b| {
        b.iter(|| {
            sets.iter()
                .map(|rs| parindex::score::eval::evaluate_after(rs, Some((&base.rule_set, &base.outcome))).is_ok() as usize)
                .sum::<usize>()
        })
    });
    let outs: Vec<_> =
        sets.iter().map(|rs| parindex::score::eval::evaluate_after(rs, Some((&base.rule_set, &base.outcome))).unwrap().0).collect();
    group.bench_function("parts: report", |b| {
        b.iter(|| sets.iter().zip(&outs).map(|(rs, o)| parindex::report::Report::new(rs, o).units.len()).sum::<usize>())
    });
    group.bench_function("parts: clone model", |b| b.iter(|| (0..1000).map(|_| base.rule_set.model.clone().nodes.len()).sum::<usize>()));
    group.finish();
}

criterion_group!(benches, whatif_2023);
criterion_main!(benches);
