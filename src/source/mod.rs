//! Source: the files that make up a year, found by one walker, and the map of
//! their texts that diagnostics point into.

pub mod files;
pub mod map;
