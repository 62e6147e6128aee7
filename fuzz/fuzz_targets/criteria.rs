//! Fuzzes the whole pipeline with the input in place of `criteria/2023/tree/02-the-che.toml`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    parindex_fuzz::with_file("criteria/2023/tree/02-the-che.toml", data);
});
