//! Benchmarks of the shared synthetic workload (`examples/workload/gen.rs`)
//! for a province (28 units × 80 criteria) and the nation (10,000 units ×
//! 100 criteria): cold (load, validate, compile, read the data) and warm
//! (evaluate, on 1 thread and on all cores), beside two native Rust
//! baselines that compute every unit's total from the same inputs with the
//! same three formulas, hard-coded: in `Decimal`, and in exact integers
//! (hundredths), the limit any exact engine can approach.
//!
//! The trees are written once per run under `target/bench-workload/`.

use std::path::{Path, PathBuf};

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use parindex::formula::rules::Rules;
use parindex::live::engine::{Engine, ReloadOutcome};
use parindex::score::eval::evaluate;
use parindex::score::ruleset::RuleSet;
use rust_decimal::Decimal;

#[path = "../examples/workload/gen.rs"]
mod gen;

/// One criterion's inputs for every unit, as a loaded table holds them.
enum Inputs {
    Ratio { total: Vec<Decimal>, on_time: Vec<Decimal> },
    Proportional { value: Vec<Decimal> },
    Checklist { items: [Vec<Decimal>; gen::ITEMS] },
}

fn inputs(units: usize, criteria: usize) -> Vec<Inputs> {
    (0..criteria)
        .map(|i| match gen::kind(i) {
            b'a' => {
                let (total, on_time) =
                    (0..units).map(|n| gen::ratio_inputs(n, i)).map(|(t, o)| (Decimal::from(t), Decimal::from(o))).unzip();
                Inputs::Ratio { total, on_time }
            }
            b'b' => Inputs::Proportional { value: (0..units).map(|n| Decimal::from(gen::proportional_value(n, i))).collect() },
            _ => Inputs::Checklist {
                items: std::array::from_fn(|k| (0..units).map(|n| Decimal::from(u8::from(gen::checklist_item(n, i, k)))).collect()),
            },
        })
        .collect()
}

/// The three formulas, natively, one criterion (column) at a time.
fn baseline(units: usize, inputs: &[Inputs]) -> Vec<Decimal> {
    let bands = [(Decimal::ONE, Decimal::ONE), (Decimal::new(95, 2), Decimal::new(75, 2)), (Decimal::new(9, 1), Decimal::new(5, 1))];
    let target = Decimal::from(gen::TARGET);
    let each = Decimal::new(2, 1);
    let mut totals = vec![Decimal::ZERO; units];
    for c in inputs {
        match c {
            Inputs::Ratio { total, on_time } => {
                for ((t, o), sum) in total.iter().zip(on_time).zip(&mut totals) {
                    let ratio = *o / *t;
                    *sum += bands.iter().find(|(th, _)| ratio >= *th).map_or(Decimal::ZERO, |(_, p)| *p);
                }
            }
            Inputs::Proportional { value } => {
                for (v, sum) in value.iter().zip(&mut totals) {
                    *sum += (*v / target).min(Decimal::ONE).max(Decimal::ZERO);
                }
            }
            Inputs::Checklist { items } => {
                for (u, sum) in totals.iter_mut().enumerate() {
                    let done = items.iter().filter(|col| !col[u].is_zero()).count();
                    *sum += each * Decimal::from(done);
                }
            }
        }
    }
    totals
}

/// The three formulas in exact integers (hundredths of a point), one
/// criterion at a time: as close to the limit as exact arithmetic gets.
fn baseline_fixed(units: usize, inputs: &[Inputs]) -> Vec<Decimal> {
    let ints = |d: &Decimal| i64::try_from(d.mantissa()).expect("small integer inputs");
    let target = gen::TARGET as i64;
    let mut totals = vec![0i64; units];
    for c in inputs {
        match c {
            Inputs::Ratio { total, on_time } => {
                for ((t, o), sum) in total.iter().zip(on_time).zip(&mut totals) {
                    let (t, o) = (ints(t), ints(o));
                    *sum += if o >= t {
                        100
                    } else if 100 * o >= 95 * t {
                        75
                    } else if 10 * o >= 9 * t {
                        50
                    } else {
                        0
                    };
                }
            }
            Inputs::Proportional { value } => {
                for (v, sum) in value.iter().zip(&mut totals) {
                    *sum += (ints(v) * 100 / target).clamp(0, 100);
                }
            }
            Inputs::Checklist { items } => {
                for (u, sum) in totals.iter_mut().enumerate() {
                    *sum += 20 * items.iter().filter(|col| !col[u].is_zero()).count() as i64;
                }
            }
        }
    }
    totals.into_iter().map(|t| Decimal::new(t, 2)).collect()
}

fn tree(units: usize, criteria: usize) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-workload").join(format!("{units}x{criteria}"));
    gen::write_tree(&dir, units, criteria, 2023).expect("writes the workload tree");
    dir
}

fn workload(c: &mut Criterion, name: &str, units: usize, criteria: usize) {
    let root = tree(units, criteria);
    let rules = Rules::default();
    let mut g = c.benchmark_group(format!("workload/{name} {units}x{criteria}"));
    if units > 1_000 {
        g.sample_size(20);
    }
    g.bench_function("load+compile", |b| b.iter(|| RuleSet::load(&root, 2023, &rules).expect("loads")));
    let rs = RuleSet::load(&root, 2023, &rules).expect("loads");
    let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().expect("a pool of one thread");
    g.bench_function("evaluate 1 thread", |b| one.install(|| b.iter(|| evaluate(&rs).expect("evaluates"))));
    g.bench_function("evaluate all cores", |b| b.iter(|| evaluate(&rs).expect("evaluates")));

    let inputs = inputs(units, criteria);
    let totals = baseline(units, &inputs);
    let outcome = evaluate(&rs).expect("evaluates");
    for r in &outcome.units {
        assert_eq!(r.total, totals[r.unit], "the engine and the baseline agree on unit {}", r.unit);
    }
    assert_eq!(baseline_fixed(units, &inputs), totals, "both baselines agree");
    g.bench_function("native baseline", |b| b.iter(|| baseline(units, black_box(&inputs))));
    g.bench_function("native fixed-point baseline", |b| b.iter(|| baseline_fixed(units, black_box(&inputs))));

    // A reload after one criterion's edit: the file written, then the new
    // results live (the engine re-reads the criteria, shares the unchanged
    // data, and recomputes the edited criterion only). The edit alternates.
    let engine = Engine::open(&root, 2023).expect("opens");
    let file = root.join("criteria/2023/tree/workload.toml");
    let original = std::fs::read_to_string(&file).expect("reads the tree");
    let edited = original.replacen("params = { target = 100 }", "params = { target = 99 }", 1);
    let mut flip = false;
    g.bench_function("reload after a one-criterion edit", |b| {
        b.iter(|| {
            flip = !flip;
            std::fs::write(&file, if flip { &edited } else { &original }).expect("writes the tree");
            match engine.reload() {
                ReloadOutcome::Applied { snapshot, .. } => assert_eq!(snapshot.stats.computed, 1),
                other => panic!("the edit is applied: {other:?}"),
            }
        })
    });
    std::fs::write(&file, &original).expect("restores the tree");
    g.finish();
}

fn province(c: &mut Criterion) {
    workload(c, "province", 28, 80);
}

fn national(c: &mut Criterion) {
    workload(c, "national", 10_000, 100);
}

criterion_group!(benches, province, national);
criterion_main!(benches);
