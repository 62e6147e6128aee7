#![forbid(unsafe_code)]
pub mod diag;
pub mod round;
pub mod numfmt;
pub mod indicators;
pub mod stats;
pub mod targets;
pub mod raw;
pub mod load;
pub mod model;
pub mod validate;
pub mod rules;
pub mod data;
pub mod eval;
pub mod aggregate;
pub mod fingerprint;
pub mod ruleset;
pub mod report;
