//! Bad-input cases: criteria.

#[allow(unused_imports)]
use super::*;
