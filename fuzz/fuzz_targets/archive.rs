//! Fuzzes the archive reader, and replay of whatever it reads against the
//! shipped year's recomputed archive.
#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use parindex::audit::archive::{self, Archive, ArchiveError};
use parindex::live::engine::Snapshot;

fn fresh() -> &'static Archive {
    static FRESH: OnceLock<Archive> = OnceLock::new();
    FRESH.get_or_init(|| {
        let s = Snapshot::build(&parindex_fuzz::repo(), parindex_fuzz::YEAR, parindex_fuzz::rules(), 1).expect("the shipped year loads");
        Archive::new(&s.rule_set, &s.outcome, &s.report)
    })
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let read = match archive::parse(Path::new("results/2023.json"), data) {
        Ok(a) => Some(a),
        Err(ArchiveError::Edited { archive, .. }) => archive.map(|a| *a),
        Err(e) => {
            let _ = e.to_string();
            None
        }
    };
    if let Some(a) = read {
        let r = archive::replay(&a, fresh());
        for d in &r.differences {
            let _ = d.to_string();
        }
        let _ = r.changed_inputs();
        let _ = a.to_text();
    }
});
