//! Fuzzes the whole pipeline with the input in place of `rules/tiers.rhai`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    parindex_fuzz::with_file("rules/tiers.rhai", data);
});
