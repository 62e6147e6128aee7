//! Audit: why each point ([`explain`]), archive and replay ([`archive`]),
//! rule-set diffs ([`diff`]), expectations ([`expect`]), the report's
//! published statements ([`published`]), sealed years ([`seal`]) and a new
//! year made from the last ([`new_year`]).

pub mod archive;
pub mod diff;
pub mod expect;
pub mod explain;
pub mod new_year;
pub mod published;
pub mod seal;
