//! The checked scoring round of one year: the units' self-assessment, the
//! council's appraisal rounds and the survey's questionnaires, as validation
//! proved them (see `validate/appraisal.rs` and `validate/survey.rs`).
//!
//! Entries are keyed by `(unit, node)`, positions into the model's units and
//! nodes. The state of round `k` is the self-score overridden by round
//! `k`'s points; the last round's state is the council's points of
//! `scores.toml` (validation checked they are equal).

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use crate::diag::Location;
use crate::input::round::Rounding;

/// An evidence document a self-score rests on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    pub number: String,
    pub date: String,
    pub title: String,
    pub file: Option<String>,
    pub link: Option<String>,
}

/// A unit's self-assessment of one criterion.
#[derive(Debug, Clone)]
pub struct SelfScore {
    pub points: Decimal,
    pub evidence: Vec<Evidence>,
    pub note: Option<String>,
    /// Where the points are written.
    pub location: Location,
}

/// A reason code a cut may give.
#[derive(Debug, Clone)]
pub struct Reason {
    pub code: String,
    pub title: String,
}

/// The next round's decision on an explanation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Accepted,
    Partly,
    Rejected,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Accepted => "accepted",
            Decision::Partly => "partly",
            Decision::Rejected => "rejected",
        }
    }
}

/// The council's points at a criterion in one round, where they differ from the self-score.
#[derive(Debug, Clone)]
pub struct Cut {
    pub points: Decimal,
    /// Index into [`Appraisal::reasons`].
    pub reason: Option<usize>,
    pub text: Option<String>,
    pub location: Location,
}

/// A unit's explanation of a cut, and the next round's decision on it.
#[derive(Debug, Clone)]
pub struct Explanation {
    pub text: String,
    /// `None`: pending.
    pub decision: Option<Decision>,
    pub location: Location,
}

/// One appraisal round.
#[derive(Debug, Clone)]
pub struct Round {
    pub id: u32,
    pub from: String,
    pub to: String,
    pub cuts: BTreeMap<(usize, usize), Cut>,
    pub explanations: BTreeMap<(usize, usize), Explanation>,
}

/// The self-assessment and the appraisal rounds of a year.
#[derive(Debug, Clone, Default)]
pub struct Appraisal {
    /// Every self-score above 0 must name evidence.
    pub evidence_required: bool,
    /// Self-assessed totals above the final by more than this are listed for the council.
    pub margin: Decimal,
    pub reasons: Vec<Reason>,
    pub self_scores: BTreeMap<(usize, usize), SelfScore>,
    pub rounds: Vec<Round>,
}

impl Appraisal {
    /// Every `(unit, node)` self-scored or cut in some round, in order.
    pub fn keys(&self) -> Vec<(usize, usize)> {
        let mut keys: Vec<(usize, usize)> = self.self_scores.keys().copied().collect();
        for r in &self.rounds {
            keys.extend(r.cuts.keys().copied());
        }
        keys.sort_unstable();
        keys.dedup();
        keys
    }

    /// The points at `key` after round `round` (0: the self-score), if any.
    pub fn points_at(&self, round: usize, key: (usize, usize)) -> Option<Decimal> {
        let own = self.self_scores.get(&key).map(|s| s.points);
        match round.checked_sub(1).and_then(|r| self.rounds.get(r)) {
            Some(r) => r.cuts.get(&key).map(|c| c.points).or(own),
            None => own,
        }
    }

    /// The points of every entry after round `round` (0: the self-assessment).
    pub fn state(&self, round: usize) -> BTreeMap<(usize, usize), Decimal> {
        self.keys().into_iter().filter_map(|k| self.points_at(round, k).map(|p| (k, p))).collect()
    }
}

/// One question of the survey.
#[derive(Debug, Clone)]
pub struct Question {
    pub id: String,
    pub text: String,
    pub weight: Decimal,
    /// The coefficient of each option, option 1 first.
    pub options: Vec<Decimal>,
}

/// A unit's survey, aggregated from its questionnaires.
#[derive(Debug, Clone)]
pub struct SurveyUnit {
    pub unit: usize,
    pub sent: u32,
    pub returned: u32,
    /// Per question: the points, `weight × Σ coefficients / returned`, unrounded.
    pub questions: Vec<Decimal>,
    /// The survey part, `Σ weight × Σ coefficients / returned`, unrounded; `None` with no questionnaire returned.
    pub exact: Option<Decimal>,
    /// The survey part under the declared rounding.
    pub points: Option<Decimal>,
    /// Response rate %, under the declared rounding.
    pub rate: Option<Decimal>,
}

/// The sociological survey of a year.
#[derive(Debug, Clone)]
pub struct Survey {
    /// The node it scores.
    pub node: usize,
    pub from: Option<String>,
    pub to: Option<String>,
    pub min_responses: u32,
    pub points: Rounding,
    pub rate_rounding: Rounding,
    pub questions: Vec<Question>,
    /// Per unit of the model that was sent questionnaires, in unit order.
    pub units: Vec<SurveyUnit>,
    pub sent: u32,
    pub returned: u32,
    /// `returned / sent × 100` under the declared rounding.
    pub rate: Option<Decimal>,
    /// The answers file, for diagnostics and reports.
    pub answers: std::path::PathBuf,
}

/// `part / whole × 100` under `r`; `None` when `whole` is 0.
pub fn rate(part: u32, whole: u32, r: Rounding) -> Option<Decimal> {
    if whole == 0 {
        return None;
    }
    let v = Decimal::from(part).checked_mul(Decimal::ONE_HUNDRED)?.checked_div(Decimal::from(whole))?;
    Some(r.apply(v))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::round::RoundMode;
    use rust_decimal_macros::dec;

    fn at() -> Location {
        Location::at("f.toml", 1, 1)
    }

    #[test]
    fn a_rounds_state_is_the_self_score_overridden_by_its_cuts() {
        let mut a = Appraisal::default();
        a.self_scores.insert((0, 1), SelfScore { points: dec!(2), evidence: vec![], note: None, location: at() });
        a.self_scores.insert((0, 2), SelfScore { points: dec!(1), evidence: vec![], note: None, location: at() });
        let cut = |p| Cut { points: p, reason: None, text: None, location: at() };
        let round = |id, cuts: Vec<((usize, usize), Decimal)>| Round {
            id,
            from: String::new(),
            to: String::new(),
            cuts: cuts.into_iter().map(|(k, p)| (k, cut(p))).collect(),
            explanations: BTreeMap::new(),
        };
        a.rounds.push(round(1, vec![((0, 1), dec!(1.5)), ((0, 2), dec!(0))]));
        a.rounds.push(round(2, vec![((0, 1), dec!(1.75))]));
        assert_eq!(a.points_at(0, (0, 1)), Some(dec!(2)));
        assert_eq!(a.points_at(1, (0, 1)), Some(dec!(1.5)));
        assert_eq!(a.points_at(2, (0, 1)), Some(dec!(1.75)));
        // Round 2 does not cut (0, 2): the self-score is back.
        assert_eq!(a.points_at(2, (0, 2)), Some(dec!(1)));
        assert_eq!(a.points_at(1, (0, 2)), Some(dec!(0)));
        assert_eq!(a.points_at(1, (0, 3)), None);
        assert_eq!(a.state(1).values().copied().collect::<Vec<_>>(), vec![dec!(1.5), dec!(0)]);
    }

    #[test]
    fn response_rates_are_truncated_as_the_report_prints_them() {
        let down = Rounding::new(2, RoundMode::Down);
        assert_eq!(rate(1321, 1396, down).map(|r| r.to_string()), Some("94.62".into()));
        assert_eq!(rate(47, 50, down).map(|r| r.to_string()), Some("94.00".into()));
        assert_eq!(rate(1, 0, down), None);
    }
}
