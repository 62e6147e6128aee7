//! Rounding as the rules declare it: a number of decimals and a mode.
//!
//! The province truncates ratios (77,995 / 118,430 = 65.857…% is published
//! 65.85%, 51,322 / 51,324 is 99.99%, never 100%) and rounds points half-up.
//! Nothing is rounded by accident: the engine keeps full precision and
//! applies a [`Rounding`] only where a number is shown or declared rounded.

use std::fmt;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

/// How to drop digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RoundMode {
    /// Half away from zero: 2.345 → 2.35 (làm tròn).
    HalfUp,
    /// Half to even (banker's rounding): 2.345 → 2.34.
    HalfEven,
    /// Toward zero, i.e. truncation: 65.857 → 65.85 (cắt bỏ).
    Down,
    /// Away from zero: 65.851 → 65.86.
    Up,
}

impl RoundMode {
    fn strategy(self) -> RoundingStrategy {
        match self {
            RoundMode::HalfUp => RoundingStrategy::MidpointAwayFromZero,
            RoundMode::HalfEven => RoundingStrategy::MidpointNearestEven,
            RoundMode::Down => RoundingStrategy::ToZero,
            RoundMode::Up => RoundingStrategy::AwayFromZero,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RoundMode::HalfUp => "half_up",
            RoundMode::HalfEven => "half_even",
            RoundMode::Down => "down",
            RoundMode::Up => "up",
        }
    }
}

/// The most decimals a rounding keeps: those an exact decimal holds. Beyond
/// them a rounding could not be applied as declared (99 was kept at 28).
pub const MAX_DECIMALS: u32 = 28;

/// A declared rounding: decimals and mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Rounding {
    /// From 0 to 28 decimals.
    #[serde(deserialize_with = "decimals")]
    #[schemars(range(max = 28))]
    pub decimals: u32,
    pub mode: RoundMode,
}

/// `decimals`, refused beyond [`MAX_DECIMALS`] where it is read.
fn decimals<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    let v = u32::deserialize(d)?;
    if v > MAX_DECIMALS {
        return Err(serde::de::Error::custom(format!(
            "{v} decimals: a rounding keeps from 0 to {MAX_DECIMALS} decimals, the most an exact decimal holds"
        )));
    }
    Ok(v)
}

impl Rounding {
    pub const fn new(decimals: u32, mode: RoundMode) -> Self {
        Rounding { decimals, mode }
    }

    /// The rounded value, shown with exactly `decimals` decimals.
    pub fn apply(self, value: Decimal) -> Decimal {
        let mut v = value.round_dp_with_strategy(self.decimals, self.mode.strategy());
        v.rescale(self.decimals);
        v
    }
}

impl fmt::Display for Rounding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} decimals, {}", self.decimals, self.mode.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn truncation_as_published_in_the_seeds() {
        let down = Rounding::new(2, RoundMode::Down);
        assert_eq!(down.apply(dec!(77995) / dec!(118430) * dec!(100)), dec!(65.85));
        assert_eq!(down.apply(dec!(51322) / dec!(51324) * dec!(100)), dec!(99.99));
        assert_eq!(down.apply(dec!(1321) / dec!(1396) * dec!(100)), dec!(94.62));
        assert_eq!(down.apply(dec!(-9.5777)), dec!(-9.57));
    }

    #[test]
    fn half_up_and_fixed_scale() {
        let hu = Rounding::new(2, RoundMode::HalfUp);
        assert_eq!(hu.apply(dec!(2.345)).to_string(), "2.35");
        assert_eq!(hu.apply(dec!(64)).to_string(), "64.00");
        assert_eq!(Rounding::new(2, RoundMode::HalfEven).apply(dec!(2.345)), dec!(2.34));
    }
}
