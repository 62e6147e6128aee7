//! Fuzzes the whole pipeline with the input in place of `rules/2023/tiers.rhai`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    parindex_fuzz::with_file("rules/2023/tiers.rhai", data);
});
