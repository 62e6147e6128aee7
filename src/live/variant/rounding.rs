//! Rounding robustness: how far the council's rounding can move each unit.
//!
//! Every point the council awarded is published rounded: `11.31` stands for
//! any value from 11.305 to 11.315, half a unit of its last printed decimal
//! either way (`58.386`: ±0.0005), and never below 0 or above the unit's
//! maximum at that criterion. A value written with fewer decimals than the
//! points are published with (the `points` rounding of `index.toml`) is read
//! as published with those: under 2 decimals, `1` is `1.00`, ±0.005. A unit's total is the sum of its points
//! (the council's and those its rules compute from data, which rounding does
//! not touch), so it ranges exactly over `[total − down, total + up]`, where
//! `down` and `up` add up how far each awarded point can move; the scale does
//! not move, so the index `total / scale` ranges over the same interval
//! divided by the scale. Ranks compare full-precision indices, and each
//! unit's points are its own, so the extremes are reached together: a unit's
//! best rank has it at the top of its interval and every other unit of its
//! group at the bottom of theirs, its worst the other way. Two units of one
//! group whose index intervals overlap are ordered by the rounding. Intervals
//! are compared as fractions, `t₁ · s₂` against `t₂ · s₁`, in exact decimals.

use std::cmp::Ordering;

use rust_decimal::Decimal;

use crate::live::engine::Snapshot;

/// How far rounding can move one unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitBounds {
    /// The unit's position in the model.
    pub unit: usize,
    /// Its ranking group (position in the model).
    pub group: usize,
    pub total: Decimal,
    pub scale: Decimal,
    pub rank: u32,
    /// The lowest and highest total within the rounding of its points.
    pub total_low: Decimal,
    pub total_high: Decimal,
    /// The same as indices (% of the scale, full precision).
    pub index_low: Decimal,
    pub index_high: Decimal,
    /// The best and worst rank it can take.
    pub best: u32,
    pub worst: u32,
    /// How many awarded points were counted.
    pub points: usize,
}

impl UnitBounds {
    /// Whether rounding can change the unit's rank.
    pub fn rank_can_change(&self) -> bool {
        self.best != self.rank || self.worst != self.rank
    }
}

/// Two units of one group whose order the rounding decides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pair {
    pub group: usize,
    /// Ahead (or level) in the published results.
    pub ahead: usize,
    pub behind: usize,
    /// Whether `behind` can end strictly ahead of `ahead` (else they can only tie).
    pub swap: bool,
}

/// Rounding robustness of one year's results.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Robustness {
    /// One per unit, in the model's order.
    pub units: Vec<UnitBounds>,
    /// In group order, then by the published order of `ahead`.
    pub pairs: Vec<Pair>,
}

/// Half a unit of the last decimal `text` prints, counting at least
/// `decimals` decimals: `11.31` → 0.005, `58.386` → 0.0005; `7` → 0.5, or
/// 0.005 with `decimals` 2.
pub fn half_step(text: &str, decimals: u32) -> Option<Decimal> {
    let t = text.trim().trim_start_matches(['+', '-']).replace('_', "");
    Decimal::from_str_exact(&t).ok()?;
    let decimals = t.split_once('.').map_or(0, |(_, f)| f.len() as u32).max(decimals);
    // 5 × 10^-(decimals + 1)
    let mut h = Decimal::new(5, 0);
    h.set_scale(decimals.checked_add(1)?).ok()?;
    Some(h)
}

/// The text of an awarded value as written in its file, when the snapshot has it.
fn written<'a>(snapshot: &'a Snapshot, loc: &crate::diag::Location) -> Option<&'a str> {
    let span = loc.span?;
    let file = snapshot.rule_set.sources.file(&loc.file)?;
    file.text.get(span.start..span.end)
}

/// `a_t / a_s` against `b_t / b_s` (scales above 0), exactly when the
/// products fit, else by the divided indices.
fn cmp_ratio(a: (Decimal, Decimal), b: (Decimal, Decimal)) -> Ordering {
    match (a.0.checked_mul(b.1), b.0.checked_mul(a.1)) {
        (Some(x), Some(y)) => x.cmp(&y),
        _ => ratio(a).cmp(&ratio(b)),
    }
}

fn ratio((t, s): (Decimal, Decimal)) -> Decimal {
    t.checked_div(s).and_then(|d| d.checked_mul(Decimal::ONE_HUNDRED)).unwrap_or_default()
}

/// Bounds every unit's total, index and rank within the rounding of the
/// council's points, and lists the pairs whose order that rounding decides.
pub fn robustness(snapshot: &Snapshot) -> Robustness {
    robustness_with(snapshot, &|| {})
}

/// How many times [`robustness_with`] calls its `tick`: once per unit for its
/// bounds, then twice per unit of the report (its best and worst rank, the
/// pairs it heads).
pub fn robustness_steps(snapshot: &Snapshot) -> u64 {
    let steps = snapshot.outcome.units.len().saturating_add(snapshot.report.units.len().saturating_mul(2));
    u64::try_from(steps).unwrap_or(u64::MAX)
}

/// [`robustness`], calling `tick` after each step of its work (to show
/// progress; [`robustness_steps`] counts them); the result is the same.
pub fn robustness_with(snapshot: &Snapshot, tick: &dyn Fn()) -> Robustness {
    let model = &snapshot.rule_set.model;
    let outcome = &snapshot.outcome;
    // Points are published with the declared decimals at least: `1` is `1.00`.
    let shown = model.rounding.points.decimals;
    let mut units: Vec<UnitBounds> = outcome
        .units
        .iter()
        .map(|r| {
            let (mut down, mut up, mut points) = (Decimal::ZERO, Decimal::ZERO, 0);
            for (&(u, n), aw) in model.awarded.iter() {
                if u != r.unit {
                    continue;
                }
                let node = r.node(n);
                if !node.status.has_points() {
                    continue;
                }
                let h = written(snapshot, &aw.location).and_then(|t| half_step(t, shown)).unwrap_or_else(|| {
                    // Without the text: the decimals the value carries.
                    let mut h = Decimal::new(5, 0);
                    let _ = h.set_scale(aw.points.scale().max(shown).saturating_add(1).min(28));
                    h
                });
                let p = node.points;
                down = down.saturating_add(h.min(p.max(Decimal::ZERO)));
                up = up.saturating_add(h.min(node.max.saturating_sub(p).max(Decimal::ZERO)));
                points += 1;
            }
            tick();
            let total_low = r.total.saturating_sub(down);
            let total_high = r.total.saturating_add(up);
            let index_of = |t: Decimal| if r.scale.is_zero() { Decimal::ZERO } else { ratio((t, r.scale)) };
            UnitBounds {
                unit: r.unit,
                group: model.units[r.unit].group,
                total: r.total,
                scale: r.scale,
                rank: r.rank,
                total_low,
                total_high,
                index_low: index_of(total_low),
                index_high: index_of(total_high),
                best: r.rank,
                worst: r.rank,
                points,
            }
        })
        .collect();
    // As fractions; a unit without a scale stays at index 0.
    let frac = |b: &UnitBounds, t: Decimal| if b.scale.is_zero() { (Decimal::ZERO, Decimal::ONE) } else { (t, b.scale) };
    let mut pairs = Vec::new();
    for (g, group) in model.groups.iter().enumerate() {
        // The published order: rows of the report in this group.
        let order: Vec<usize> = snapshot.report.units.iter().map(|row| row.unit).filter(|u| group.units.contains(u)).collect();
        for &a in &order {
            let (lo_a, hi_a) = (frac(&units[a], units[a].total_low), frac(&units[a], units[a].total_high));
            let mut best = 1;
            let mut worst = 1;
            for &b in order.iter().filter(|&&b| b != a) {
                let (lo_b, hi_b) = (frac(&units[b], units[b].total_low), frac(&units[b], units[b].total_high));
                if cmp_ratio(lo_b, hi_a).is_gt() {
                    best += 1;
                }
                if cmp_ratio(hi_b, lo_a).is_gt() {
                    worst += 1;
                }
            }
            units[a].best = best;
            units[a].worst = worst;
            tick();
        }
        for (i, &a) in order.iter().enumerate() {
            tick();
            for &b in &order[i + 1..] {
                let (ua, ub) = (&units[a], &units[b]);
                let fixed = ua.total_low == ua.total_high && ub.total_low == ub.total_high;
                let (lo_a, hi_b) = (frac(ua, ua.total_low), frac(ub, ub.total_high));
                let reach = cmp_ratio(hi_b, lo_a);
                if !fixed && reach.is_ge() {
                    pairs.push(Pair { group: g, ahead: a, behind: b, swap: reach.is_gt() });
                }
            }
        }
    }
    Robustness { units, pairs }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn half_a_unit_of_the_last_printed_decimal() {
        assert_eq!(half_step("11.31", 0), Some(dec!(0.005)));
        assert_eq!(half_step("5.00", 0), Some(dec!(0.005)));
        assert_eq!(half_step("58.386", 2), Some(dec!(0.0005)));
        assert_eq!(half_step("7", 0), Some(dec!(0.5)));
        assert_eq!(half_step("7", 2), Some(dec!(0.005)));
        assert_eq!(half_step("4.5", 2), Some(dec!(0.005)));
        assert_eq!(half_step("x", 2), None);
    }

    #[test]
    fn ratios_compare_exactly() {
        // 1/3 against 333333/1000000: the first is larger.
        assert_eq!(cmp_ratio((dec!(1), dec!(3)), (dec!(333333), dec!(1000000))), Ordering::Greater);
        assert_eq!(cmp_ratio((dec!(2), dec!(4)), (dec!(1), dec!(2))), Ordering::Equal);
    }
}
