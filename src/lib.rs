//! parindex: a rules engine for the Public Administration Reform (PAR) index.
//!
//! The pipeline, one folder per stage; a stage imports only from the stages
//! above it in this table (`tests/layout.rs` checks it):
//!
//! | stage | owns |
//! |---|---|
//! | [`source`] | the files that make up a year, found by one walker |
//! | [`lang`] | the interface's languages: one typed catalogue of every word shown, Vietnamese and English |
//! | [`diag`] | located diagnostics with stable codes, and their rendering |
//! | [`input`] | raw serde types, loading, validation into the checked model, names, rounding, number formats, indicator tables, statistics, targets, the fingerprint |
//! | [`data`] | facts by key, one column per key |
//! | [`formula`] | the one rhai engine, its limits and helpers; rules traced into native programs; exact fixed point |
//! | [`score`] | one year's rule set; the points of every node for every unit; ranks and averages |
//! | [`report`] | the shown results: table, JSON, CSV; shown numbers held inline |
//! | [`audit`] | explain, archive and replay, rule-set diffs, expectations |
//! | [`live`] | the live rule set behind an atomic swap; file watching and reload |
//! | [`serve`] | the local web page: live tables, unit pages, targets, changes and diagnostics, JSON endpoints, server-sent events |

#![forbid(unsafe_code)]
// Diagnostics are large and travel the cold path only: they are collected and
// reported, never propagated through hot loops, so boxing them buys nothing.
#![allow(clippy::result_large_err)]
pub mod audit;
pub mod data;
pub mod diag;
pub mod formula;
pub mod input;
pub mod lang;
pub mod live;
pub mod report;
pub mod score;
pub mod serve;
pub mod source;
