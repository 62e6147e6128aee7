//! Score: the year's rule set, the points of every node for every unit, and
//! ranks and averages.

pub mod aggregate;
pub mod eval;
pub mod located;
pub mod round;
pub mod ruleset;
