//! Input: every file of a year read into raw serde types and checked into the [`model`].
//!
//! Raw types ([`raw`]) are what serde reads; [`validate`] turns them into the
//! checked [`model`] that every later stage uses. Indicator tables, statistics
//! and targets are read here too, with their number formats ([`numfmt`]) and
//! name matching, and [`fingerprint`] hashes every input once. TOML is read by
//! [`tomlread`], fast, with the `toml` crate as its reference. The scoring
//! round's files (self-assessment, appraisal rounds, survey) are read into
//! [`raw_round`] and checked into [`appraisal`].

pub mod appraisal;
pub mod csvread;
pub mod fingerprint;
pub mod indicators;
pub mod load;
pub mod model;
pub mod name;
pub mod numfmt;
pub mod par;
pub mod raw;
pub mod raw_round;
pub mod round;
pub mod schema;
pub mod stats;
pub mod targets;
pub mod tomlread;
pub mod unread;
pub mod validate;
pub mod workbook;
