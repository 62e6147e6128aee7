//! Embedding parindex with live reload: serve one unit's index while the
//! year's files are edited; invalid edits are reported and never served.
//!
//! cargo run --example embed -- --root . --year 2023 --unit so-tttt --seconds 10

use std::sync::Arc;
use std::time::Duration;

use parindex::live::engine::Engine;
use parindex::live::watch::{WatchEvent, WatchOptions, Watcher};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str, default: &str| {
        args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).map_or(default.to_string(), String::clone)
    };
    let (root, unit) = (arg("--root", "."), arg("--unit", "so-tttt"));
    let (year, seconds): (u16, u64) = (arg("--year", "2023").parse()?, arg("--seconds", "5").parse()?);

    let engine = Arc::new(Engine::open(&root, year).map_err(|d| d.to_string())?);
    let _watcher = Watcher::spawn(Arc::clone(&engine), WatchOptions::default(), |event| match event {
        WatchEvent::Reloaded { snapshot, changes } => println!("reloaded (set {}):\n{changes}", snapshot.generation),
        WatchEvent::Rejected { diagnostics, .. } => println!("edit rejected, still serving the last good set:\n{diagnostics}"),
        WatchEvent::Error { message } => println!("watch error: {message}"),
        _ => {}
    })?;

    for _ in 0..seconds {
        // Each request takes the live snapshot and keeps it until it is done.
        let snapshot = engine.current();
        match snapshot.report.unit(&unit) {
            Some(u) => println!("{} ({}): {}% of {} points, rank {}", u.name, u.id, u.index, u.scale, u.rank),
            None => println!("no unit `{unit}` in {year}"),
        }
        std::thread::sleep(Duration::from_secs(1));
    }
    Ok(())
}
