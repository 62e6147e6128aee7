//! Aggregate: ranks within ranking groups and averages per unit kind.
//!
//! Ranks use full-precision indices, highest first; equal indices share a
//! rank and the next rank skips (1, 2, 2, 4). Averages are the mean of the
//! full-precision indices of a kind's units; rounding happens only when shown.

use rust_decimal::Decimal;

use crate::input::model::Model;
use crate::score::eval::{Average, UnitResult};

/// Competition ranks of `values`, highest first: ties share a rank.
pub fn competition_ranks(values: &[Decimal]) -> Vec<u32> {
    let order = highest_first(values);
    let mut ranks = vec![0; values.len()];
    for (pos, &i) in order.iter().enumerate() {
        ranks[i] = if pos > 0 && values[order[pos - 1]] == values[i] { ranks[order[pos - 1]] } else { pos as u32 + 1 };
    }
    ranks
}

/// The positions of `values`, highest first (ties in any order). Sorted
/// as integers of 28 decimals where every value is one within `i128`
/// (`|v|` below about 1.7 × 10¹⁰: every index), else as decimals, which
/// are rescaled at each comparison.
fn highest_first(values: &[Decimal]) -> Vec<usize> {
    const SCALE: u32 = 28;
    let exact = |v: &Decimal| 10i128.checked_pow(SCALE - v.scale()).and_then(|f| v.mantissa().checked_mul(f));
    let keys: Option<Vec<(i128, usize)>> = values.iter().enumerate().map(|(i, v)| exact(v).map(|k| (-k, i))).collect();
    match keys {
        Some(mut keys) => {
            crate::input::par::sort_unstable_by(&mut keys, Ord::cmp);
            keys.into_iter().map(|(_, i)| i).collect()
        }
        None => {
            let mut order: Vec<usize> = (0..values.len()).collect();
            crate::input::par::sort_unstable_by(&mut order, |&a, &b| values[b].cmp(&values[a]));
            order
        }
    }
}

/// Sets every unit's rank within its ranking group.
pub fn rank(model: &Model, units: &mut [UnitResult]) {
    for g in &model.groups {
        let idx: Vec<usize> = g.units.clone();
        let values: Vec<Decimal> = idx.iter().map(|&u| units[u].index).collect();
        for (u, r) in idx.iter().zip(competition_ranks(&values)) {
            units[*u].rank = r;
        }
    }
}

/// The mean index of each unit kind that has units.
pub fn averages(model: &Model, units: &[UnitResult]) -> Vec<Average> {
    model
        .kinds
        .iter()
        .enumerate()
        .filter_map(|(k, _)| {
            let of_kind: Vec<&UnitResult> = units.iter().filter(|r| model.units[r.unit].kind == k).collect();
            if of_kind.is_empty() {
                return None;
            }
            let sum: Decimal = of_kind.iter().map(|r| r.index).sum();
            Some(Average { kind: k, index: sum / Decimal::from(of_kind.len()), units: of_kind.len() })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn ties_share_a_rank_and_the_next_skips() {
        assert_eq!(competition_ranks(&[dec!(90), dec!(80), dec!(80), dec!(70)]), vec![1, 2, 2, 4]);
        assert_eq!(competition_ranks(&[dec!(70), dec!(90.001), dec!(90)]), vec![3, 1, 2]);
    }

    /// A unit's rank is one more than the number of values above its own.
    fn ranks_by_counting(values: &[Decimal]) -> Vec<u32> {
        values.iter().map(|v| 1 + values.iter().filter(|w| *w > v).count() as u32).collect()
    }

    #[test]
    fn equal_values_of_other_scales_tie_and_large_values_rank_as_decimals() {
        let mixed = [dec!(80.50), dec!(80.5), dec!(-3), dec!(0.0000000000000000000000000001), dec!(0), dec!(80.500000000000000001)];
        assert_eq!(competition_ranks(&mixed), ranks_by_counting(&mixed));
        assert_eq!(competition_ranks(&mixed), vec![2, 2, 6, 4, 5, 1]);
        // Beyond 28 decimals in an `i128`: sorted as decimals.
        let large = [dec!(20000000000), dec!(-20000000000.5), dec!(20000000000), Decimal::MAX, Decimal::MIN, dec!(1.5)];
        assert_eq!(competition_ranks(&large), vec![2, 5, 2, 1, 6, 4]);
    }

    proptest::proptest! {
        #[test]
        fn ranks_are_those_counted(raw in proptest::collection::vec((-2_000_000_000i64..2_000_000_000, 0u32..12), 0..40), huge: bool) {
            let mut values: Vec<Decimal> = raw.iter().map(|&(m, s)| Decimal::new(m, s)).collect();
            if huge {
                values.push(Decimal::MAX);
            }
            proptest::prop_assert_eq!(competition_ranks(&values), ranks_by_counting(&values));
        }
    }
}
