//! Bad-input cases: data.

#[allow(unused_imports)]
use super::*;
