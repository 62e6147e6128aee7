//! Audit: why each point ([`explain`]), archive and replay ([`archive`]),
//! rule-set diffs ([`diff`]) and expectations ([`expect`]).

pub mod archive;
pub mod diff;
pub mod expect;
pub mod explain;
