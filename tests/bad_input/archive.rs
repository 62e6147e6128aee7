//! Bad-input cases: archive.

#[allow(unused_imports)]
use super::*;
