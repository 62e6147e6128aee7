//! Bad-input cases: rules.

#[allow(unused_imports)]
use super::*;
