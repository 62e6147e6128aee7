//! Audit: why each point ([`explain`]), archive and replay ([`archive`]),
//! rule-set diffs ([`diff`]), expectations ([`expect`]) and the
//! report's published statements ([`published`]).

pub mod archive;
pub mod diff;
pub mod expect;
pub mod explain;
pub mod published;
