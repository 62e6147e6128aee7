//! Live: the rule set behind an atomic swap ([`engine`]) and the file watcher
//! that reloads it ([`watch`]); what-if variants of a loaded year ([`variant`]).

pub mod engine;
pub mod variant;
pub mod watch;
