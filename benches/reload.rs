//! Reload latency of the 2023 set, without the watcher's debounce: the time
//! from a file written to the new results being live through `Engine::reload`
//! (load, validate, compile, evaluate, report, diff, swap). Each iteration
//! writes the other of two versions of a criteria file, so every reload
//! really applies a change.

use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion};
use parindex::live::engine::{Engine, ReloadOutcome};

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for e in std::fs::read_dir(from)? {
        let e = e?;
        if e.file_type()?.is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()))?;
        } else {
            std::fs::copy(e.path(), to.join(e.file_name()))?;
        }
    }
    Ok(())
}

fn reload_2023(c: &mut Criterion) {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().expect("temp dir");
    for sub in ["criteria", "rules", "fixtures"] {
        copy_dir(&repo.join(sub), &dir.path().join(sub)).expect("copy the shipped tree");
    }
    let engine = Engine::open(dir.path(), 2023).expect("the 2023 set opens");
    let file = dir.path().join("criteria/2023/tree/08-tac-dong.toml");
    let shipped = std::fs::read_to_string(&file).expect("read");
    let raised = shipped.replacen("part = \"sipas\"\nmax = 10", "part = \"sipas\"\nmax = 12", 1);
    assert_ne!(shipped, raised);

    let mut flip = false;
    c.bench_function("2023/reload: write a file, new results live", |b| {
        b.iter(|| {
            flip = !flip;
            std::fs::write(&file, if flip { &raised } else { &shipped }).expect("write");
            match engine.reload() {
                ReloadOutcome::Applied { snapshot, .. } => snapshot,
                other => panic!("expected the edit to apply: {other:?}"),
            }
        })
    });
    c.bench_function("2023/reload: nothing changed", |b| b.iter(|| assert!(matches!(engine.reload(), ReloadOutcome::Unchanged { .. }))));
}

criterion_group!(benches, reload_2023);
criterion_main!(benches);
