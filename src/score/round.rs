//! A year's results at an appraisal round: the council's points replaced,
//! wherever the units self-assessed or a round cut, by the points after that
//! round (round 0: the self-assessment itself), then scored by the same
//! evaluator. The last round gives the council's points, which validation
//! proved equal to `scores.toml`.

use crate::diag::{Code, Diagnostic};
use crate::input::model::Awarded;
use crate::score::ruleset::RuleSet;

/// How many rounds the year has; `None` without appraisal files.
pub fn rounds(rs: &RuleSet) -> Option<usize> {
    rs.model.appraisal.as_ref().map(|a| a.rounds.len())
}

/// `rs` with the points of round `round` (0: the self-assessment) in place of the council's.
pub fn at_round(mut rs: RuleSet, round: usize) -> Result<RuleSet, Diagnostic> {
    let year = rs.model.year;
    let Some(a) = rs.model.appraisal.take() else {
        return Err(Diagnostic::error(Code::UnknownRound, format!("{year} has no appraisal rounds"))
            .in_file(format!("fixtures/{year}/rounds.toml"))
            .help("the rounds are declared in `fixtures/<year>/rounds.toml`, the self-scores in `self-assessment.toml`"));
    };
    if round > a.rounds.len() {
        let n = a.rounds.len();
        rs.model.appraisal = Some(a);
        return Err(Diagnostic::error(Code::UnknownRound, format!("{year} has {n} appraisal rounds; there is no round {round}"))
            .in_file(format!("fixtures/{year}/rounds.toml"))
            .help(format!("choose a round from 0 (the self-assessment) to {n}")));
    }
    for (key, points) in a.state(round) {
        let location = round
            .checked_sub(1)
            .and_then(|r| a.rounds.get(r))
            .and_then(|r| r.cuts.get(&key))
            .map(|c| c.location.clone())
            .or_else(|| a.self_scores.get(&key).map(|s| s.location.clone()));
        let Some(location) = location else { continue };
        std::sync::Arc::make_mut(&mut rs.model.awarded).insert(key, Awarded { points, location });
    }
    rs.model.appraisal = Some(a);
    let mut unit_awarded = vec![Vec::new(); rs.model.units.len()];
    for &(u, n) in rs.model.awarded.keys() {
        unit_awarded[u].push(n);
    }
    for v in &mut unit_awarded {
        v.sort_unstable();
    }
    rs.unit_awarded = unit_awarded;
    Ok(rs)
}
