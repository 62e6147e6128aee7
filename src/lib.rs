//! parindex: a rules engine for the Public Administration Reform (PAR) index.
//!
//! The pipeline, one module per stage:
//!
//! | module | owns |
//! |---|---|
//! | [`load`] | reading a year's files into [`raw`] structs |
//! | [`validate`] | turning raw structs into the checked [`model`] |
//! | [`rules`] | the one rhai engine, its limits, helpers and compiled scripts |
//! | [`data`] | facts by key, one column per key |
//! | [`compile`] | rhai formulas traced into native programs |
//! | [`ruleset`] | one year loaded, validated and compiled |
//! | [`eval`] | points of every node for every unit |
//! | [`aggregate`] | ranks within groups, averages per kind |
//! | [`report`], [`shown`] | the shown results: table, JSON, CSV; shown numbers held inline |
//! | [`explain`], [`archive`], [`diff`], [`expect`] | audit: why each point, archive and replay, rule-set diffs, expectations |
//! | [`engine`], [`watch`] | the live rule set behind an atomic swap; file watching and reload |
//! | [`fingerprint`], [`files`] | SHA-256 of the canonical inputs; the files that make up a year |
//! | [`round`] | declared rounding |
//! | [`diag`] | located diagnostics with stable codes |
//! | [`name`] | shared identifiers and names |
//! | [`numfmt`], [`indicators`], [`stats`], [`targets`] | indicator tables, statistics and targets |

#![forbid(unsafe_code)]
// Diagnostics are large and travel the cold path only: they are collected and
// reported, never propagated through hot loops, so boxing them buys nothing.
#![allow(clippy::result_large_err)]
pub mod aggregate;
pub mod archive;
pub mod compile;
pub mod data;
pub mod diag;
pub mod diff;
pub mod engine;
pub mod eval;
pub mod expect;
pub mod explain;
pub mod files;
pub mod fingerprint;
pub mod fixed;
pub mod indicators;
pub mod load;
pub mod model;
pub mod name;
pub mod numfmt;
pub mod raw;
pub mod report;
pub mod round;
pub mod rules;
pub mod ruleset;
pub mod shown;
pub mod stats;
pub mod targets;
pub mod validate;
pub mod watch;
