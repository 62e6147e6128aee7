//! Formula: the one rhai engine with its limits and helpers, and the tracing of
//! each rule into a native program run in exact fixed point or checked decimals.

pub mod compile;
pub mod fixed;
pub mod params;
pub mod rules;
