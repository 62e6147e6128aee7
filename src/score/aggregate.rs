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
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_unstable_by(|&a, &b| values[b].cmp(&values[a]));
    let mut ranks = vec![0; values.len()];
    for (pos, &i) in order.iter().enumerate() {
        ranks[i] = if pos > 0 && values[order[pos - 1]] == values[i] { ranks[order[pos - 1]] } else { pos as u32 + 1 };
    }
    ranks
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
}
