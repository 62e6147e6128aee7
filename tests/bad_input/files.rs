//! Bad-input cases: files.

#[allow(unused_imports)]
use super::*;
