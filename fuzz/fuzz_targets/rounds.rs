//! Fuzzes the whole pipeline with the input in place of `fixtures/2023/rounds.toml`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    parindex_fuzz::with_file("fixtures/2023/rounds.toml", data);
});
