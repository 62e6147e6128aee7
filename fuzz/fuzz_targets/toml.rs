//! Fuzzes the fast TOML reader against the `toml` crate, and the
//! fingerprint's canonical TOML, on any text (no pipeline around them, so
//! 600–900 inputs a second under the address sanitizer, where the pipeline
//! targets run a few):
//! - wherever the fast reader reads the text, as a generic value with spans
//!   or as any raw type a year's files are read into, the `toml` crate
//!   reads the same, and `from_str` is the `toml` crate's answer, error and
//!   all (`tests/toml_agree`, shared with `tests/tomlread.rs`);
//! - the digest hashed as the canonical text is made equals the SHA-256 of
//!   the canonical text itself.
#![no_main]

use std::path::Path;

use sha2::{Digest, Sha256};

#[path = "../../tests/toml_agree/mod.rs"]
mod toml_agree;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    toml_agree::agree(text, "the fuzz input");
    if let Err(e) = toml_agree::agree_as_every_raw_type(text) {
        panic!("{e}");
    }
    let path = Path::new("fixtures/2023/scores.toml");
    let canonical = parindex::input::fingerprint::canonical(path, text).expect("a TOML text has a canonical form");
    let reference: String = Sha256::digest(canonical.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(parindex::input::fingerprint::text_digest(path, text), reference, "{text:?}");
});
