//! Source: the files that make up a year, found by one walker.

pub mod files;
