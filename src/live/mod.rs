//! Live: the rule set behind an atomic swap ([`engine`]) and the file watcher
//! that reloads it ([`watch`]).

pub mod engine;
pub mod watch;
