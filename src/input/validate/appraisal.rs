//! The scoring round: the units' self-assessment (`self-assessment.toml`)
//! and the council's appraisal rounds (`rounds.toml`), checked as the
//! council's points are (unknown unit or criterion, where the unit is not
//! evaluated, between 0 and its maximum), and against each other: a cut
//! below the self-score names a declared reason, an explanation answers a
//! cut of its round, a self-score names evidence where the year requires
//! it; and the last round's points are the points of `scores.toml` (kept
//! apart, in `Model::consistency`: the council's points are scored regardless).

use crate::input::model::PairMap;
use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, HashMap};

use rust_decimal::Decimal;
use toml::Spanned;

use super::awarded::{check_range, resolve};
use super::exemptions::Exempt;
use super::{suggest, with_help, At};
use crate::diag::{Code, Diagnostic, Diagnostics, Location};
use crate::input::appraisal::{Appraisal, Cut, Decision, Evidence, Explanation, Reason, Round, SelfScore};
use crate::input::load::RawYear;
use crate::input::model::{Awarded, Exemption};
use crate::input::raw_round::RawDecision;
use crate::input::validate::header::Header;
use crate::input::validate::tree::Tree;
use crate::input::validate::units::Units;

/// What the checks share: the tree, units and exemptions already validated.
struct Ctx<'a> {
    head: &'a Header,
    tree: &'a Tree<'a>,
    units: &'a Units,
    exempt: &'a Exempt,
    exemptions: &'a [Exemption],
}

impl Ctx<'_> {
    /// The unit and node of an entry, reported when unknown or not evaluated.
    fn key(&self, at: &At, unit: &Spanned<String>, key: &Spanned<String>, what: &str, diags: &mut Diagnostics) -> Option<(usize, usize)> {
        let uid = unit.get_ref();
        let Some(ui) = self.units.get(uid) else {
            diags.push(with_help(
                at.err(Code::UnknownUnit, unit, format!("{what} for unknown unit `{uid}`")).unit(uid),
                self.units.help(uid),
            ));
            return None;
        };
        let node = resolve(at, self.head, self.tree, self.units, self.exempt, self.exemptions, (ui, uid), key, what, diags)?;
        Some((ui, node))
    }

    /// Points within 0 and the unit's maximum at the node.
    fn range(&self, at: &At, (ui, node): (usize, usize), points: &Spanned<crate::input::raw::Dec>, diags: &mut Diagnostics) -> bool {
        let u = &self.units.list[ui];
        match check_range(self.tree, self.exempt, (ui, u.kind, u.id.as_str()), node, points.get_ref().0, false) {
            Some(d) => {
                diags.push(at.put(d, points.span().start));
                false
            }
            None => true,
        }
    }

    fn uid(&self, ui: usize) -> &str {
        self.units.list[ui].id.as_str()
    }

    fn cid(&self, node: usize) -> &str {
        &self.tree.nodes[node].id
    }
}

/// `YYYY-MM-DD`, a real day.
pub(super) fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let num = |r: std::ops::Range<usize>| s.get(r).filter(|t| t.bytes().all(|c| c.is_ascii_digit())).and_then(|t| t.parse::<u32>().ok());
    let (Some(y), Some(m), Some(d)) = (num(0..4), num(5..7), num(8..10)) else { return false };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d)
}

fn check_date(at: &At, date: &Spanned<String>, what: &str, diags: &mut Diagnostics) -> bool {
    if is_date(date.get_ref()) {
        return true;
    }
    diags.push(
        at.err(Code::BadValue, date, format!("{what} `{}` is not a date", date.get_ref()))
            .help("write dates as YYYY-MM-DD, e.g. 2024-03-20"),
    );
    false
}

/// A self-assessment's self-scores validated ([`check_self_scores`]), with their problems.
#[derive(Debug)]
pub struct SelfScored {
    scores: BTreeMap<(usize, usize), SelfScore>,
    diags: Diagnostics,
}

/// The self-scores of `file`, read from `src`, checked as the council's
/// points are and for the evidence the year requires: moved out of the file
/// read, not copied. They need only what the early validation found, and
/// are checked where the file was read (the self-assessment's thread).
#[allow(clippy::too_many_arguments)]
pub(super) fn check_self_scores(
    head: &Header,
    tree: &Tree,
    units: &Units,
    exempt: &Exempt,
    exemptions: &[Exemption],
    src: &crate::input::load::Source,
    file: crate::input::raw_round::RawSelfFile,
    evidence_required: bool,
) -> SelfScored {
    let cx = Ctx { head, tree, units, exempt, exemptions };
    let mut out = SelfScored { scores: BTreeMap::new(), diags: Diagnostics::default() };
    self_scores(&cx, &At::new(src), file, evidence_required, &mut out.scores, &mut out.diags);
    out
}

/// Whether the year's rounds require evidence for the self-scores (`evidence_required` in rounds.toml).
pub(super) fn evidence_required(raw: &RawYear) -> bool {
    raw.rounds.as_ref().is_some_and(|(_, f)| f.appraisal.evidence_required)
}

#[allow(clippy::too_many_arguments)]
pub(super) fn from_raw(
    raw: &RawYear,
    self_scored: Option<SelfScored>,
    head: &Header,
    tree: &Tree,
    units: &Units,
    exempt: &Exempt,
    exemptions: &[Exemption],
    awarded: &PairMap<Awarded>,
    (diags, consistency): (&mut Diagnostics, &mut Diagnostics),
) -> Option<Appraisal> {
    // Another year's data under these criteria: its rounds are of its own criteria.
    if raw.what_if || (raw.self_assessment.is_none() && raw.rounds.is_none()) {
        return None;
    }
    let cx = Ctx { head, tree, units, exempt, exemptions };
    let mut out = Appraisal::default();
    if let Some((src, file)) = &raw.rounds {
        let at = At::new(src);
        out.evidence_required = file.appraisal.evidence_required;
        let margin = file.appraisal.margin.get_ref().0;
        if margin.is_sign_negative() && !margin.is_zero() {
            diags.push(at.err(Code::BadValue, &file.appraisal.margin, format!("the margin {margin} is below 0")));
        }
        out.margin = margin;
        let mut seen: HashMap<&str, Location> = HashMap::new();
        for r in &file.reason {
            let code = r.code.get_ref();
            if let Some(first) = seen.get(code.as_str()) {
                diags.push(
                    at.err(Code::Duplicate, &r.code, format!("reason `{code}` is declared twice"))
                        .label_at(first.clone(), "first declared here"),
                );
                continue;
            }
            seen.insert(code, at.loc(&r.code));
            out.reasons.push(Reason { code: code.clone(), title: r.title.clone() });
        }
    }
    if let Some(checked) = self_scored.filter(|_| raw.self_assessment.is_some()) {
        out.self_scores = checked.scores;
        diags.extend(checked.diags);
    }
    if let Some((src, file)) = &raw.rounds {
        let at = At::new(src);
        let mut last_to: Option<&str> = None;
        for (i, r) in file.round.iter().enumerate() {
            let want = u32::try_from(i + 1).unwrap_or(u32::MAX);
            if *r.id.get_ref() != want {
                diags.push(
                    at.err(Code::BadValue, &r.id, format!("round {} is listed as round {want}", r.id.get_ref()))
                        .help("number the rounds 1, 2, … in order"),
                );
            }
            let dates = check_date(&at, &r.from, "the round's first day", diags) & check_date(&at, &r.to, "the round's last day", diags);
            if dates && r.from.get_ref() > r.to.get_ref() {
                diags.push(at.err(
                    Code::BadValue,
                    &r.to,
                    format!("round {want} ends on {} before it starts on {}", r.to.get_ref(), r.from.get_ref()),
                ));
            }
            if let (true, Some(prev)) = (dates, last_to) {
                if r.from.get_ref().as_str() <= prev {
                    diags.push(at.err(
                        Code::BadValue,
                        &r.from,
                        format!("round {want} starts on {}, before the round before it ends ({prev})", r.from.get_ref()),
                    ));
                }
            }
            if dates {
                last_to = Some(r.to.get_ref());
            }
            let round = round(&cx, &at, r, want, &out, diags);
            out.rounds.push(round);
        }
    }
    decisions(&cx, &out, diags);
    final_matches(&cx, raw, &out, awarded, consistency);
    Some(out)
}

/// Each decision on an explanation shows in the next round's points:
/// accepted, the self-score back; rejected, the cut kept; partly, in between.
fn decisions(cx: &Ctx, a: &Appraisal, diags: &mut Diagnostics) {
    for (i, r) in a.rounds.iter().enumerate() {
        let Some(next) = a.rounds.get(i + 1) else { break };
        for (key, e) in &r.explanations {
            let (Some(d), Some(cut)) = (e.decision, r.cuts.get(key)) else { continue };
            let own = a.self_scores.get(key).map(|s| s.points);
            let Some(then) = a.points_at(i + 2, *key) else { continue };
            let follows = match d {
                Decision::Accepted => own.map_or(true, |o| then >= o),
                Decision::Rejected => then == cut.points,
                Decision::Partly => then > cut.points && own.map_or(true, |o| then < o),
            };
            if follows {
                continue;
            }
            let (uid, cid) = (cx.uid(key.0), cx.cid(key.1));
            let own = own.map_or_else(|| "none".to_string(), |o| o.to_string());
            diags.push(
                Diagnostic::warning(
                    Code::DecisionNotApplied,
                    format!(
                        "round {} decides `{}` on unit `{uid}`'s explanation at criterion `{cid}` (cut to {}, self-score {own}), but round {} gives {then}",
                        next.id,
                        d.as_str(),
                        cut.points,
                        next.id
                    ),
                )
                .at(e.location.clone())
                .unit(uid)
                .criterion(cid)
                .help("accepted gives the self-score back, rejected keeps the cut, partly lies in between"),
            );
        }
    }
}

fn self_scores(
    cx: &Ctx,
    at: &At,
    file: crate::input::raw_round::RawSelfFile,
    evidence_required: bool,
    out: &mut BTreeMap<(usize, usize), SelfScore>,
    diags: &mut Diagnostics,
) {
    // The values are moved out of the file read, not copied: the evidence
    // is most of a province's self-assessment.
    for (unit, entries) in file {
        for (key, entry) in entries {
            let Some(k) = cx.key(at, &unit, &key, "a self-score", diags) else { continue };
            let e = entry.into_inner();
            if !cx.range(at, k, &e.points, diags) {
                continue;
            }
            let slot = match out.entry(k) {
                Entry::Vacant(slot) => slot,
                Entry::Occupied(_) => {
                    diags.push(
                        at.err(Code::Duplicate, &key, format!("unit `{}` self-scores criterion `{}` twice", cx.uid(k.0), cx.cid(k.1)))
                            .unit(cx.uid(k.0))
                            .criterion(cx.cid(k.1)),
                    );
                    continue;
                }
            };
            let points = e.points.get_ref().0;
            // Collected where the raw documents were: no list of its own.
            let evidence: Vec<Evidence> = e
                .evidence
                .into_iter()
                .map(|ev| {
                    check_date(at, &ev.date, "the evidence's date", diags);
                    if ev.file.is_none() && ev.link.is_none() {
                        diags.push(
                            at.err(Code::BadValue, &ev.date, format!("evidence `{}` names neither a file nor a link", ev.number))
                                .unit(cx.uid(k.0))
                                .criterion(cx.cid(k.1))
                                .help("give `file = \"…\"` or `link = \"…\"`"),
                        );
                    }
                    Evidence { number: ev.number, date: ev.date.into_inner(), title: ev.title, file: ev.file, link: ev.link }
                })
                .collect();
            if evidence_required && evidence.is_empty() && points > Decimal::ZERO {
                diags.push(
                    at.err(Code::EvidenceMissing, &e.points, format!("unit `{}` gives itself {points} points at criterion `{}` without evidence", cx.uid(k.0), cx.cid(k.1)))
                        .unit(cx.uid(k.0))
                        .criterion(cx.cid(k.1))
                        .help("the year requires evidence (`evidence_required` in rounds.toml): add `evidence = [{ number, date, title, file or link }]`"),
                );
            }
            slot.insert(SelfScore { points, evidence, note: e.note, location: at.loc(&e.points) });
        }
    }
}

fn round(cx: &Ctx, at: &At, r: &crate::input::raw_round::RawRound, id: u32, sofar: &Appraisal, diags: &mut Diagnostics) -> Round {
    let mut cuts: BTreeMap<(usize, usize), Cut> = BTreeMap::new();
    for c in &r.cut {
        let Some(k) = cx.key(at, &c.unit, &c.criterion, "a cut", diags) else { continue };
        let (uid, cid) = (cx.uid(k.0), cx.cid(k.1));
        if !cx.range(at, k, &c.points, diags) {
            continue;
        }
        if let Some(first) = cuts.get(&k) {
            diags.push(
                at.err(Code::Duplicate, &c.criterion, format!("round {id} gives unit `{uid}` points at criterion `{cid}` twice"))
                    .unit(uid)
                    .criterion(cid)
                    .label_at(first.location.clone(), "first given here"),
            );
            continue;
        }
        let points = c.points.get_ref().0;
        let own = sofar.self_scores.get(&k).map(|s| s.points);
        if own == Some(points) {
            let d = Diagnostic::warning(
                Code::BadValue,
                format!("round {id} gives unit `{uid}` at criterion `{cid}` its own self-score {points}"),
            )
            .unit(uid)
            .criterion(cid)
            .help("a round lists only the points that differ from the self-score; remove this entry");
            diags.push(at.put(d, c.points.span().start));
        }
        let reason = match &c.reason {
            Some(code) => match sofar.reasons.iter().position(|x| &x.code == code.get_ref()) {
                Some(i) => Some(i),
                None => {
                    let help = suggest(code.get_ref(), sofar.reasons.iter().map(|x| x.code.as_str()))
                        .or_else(|| Some("declare the reason in `[[reason]]` of rounds.toml".into()));
                    diags.push(with_help(
                        at.err(Code::UnknownReference, code, format!("unknown reason `{}`", code.get_ref())).unit(uid).criterion(cid),
                        help,
                    ));
                    None
                }
            },
            None => {
                if own.map_or(true, |o| points < o) {
                    let below = own.map_or_else(|| "no self-score".to_string(), |o| format!("the self-score {o}"));
                    diags.push(
                        at.err(
                            Code::CutWithoutReason,
                            &c.criterion,
                            format!("round {id} gives unit `{uid}` {points} points at criterion `{cid}` ({below}) without a reason"),
                        )
                        .unit(uid)
                        .criterion(cid)
                        .help(format!(
                            "give `reason = \"<code>\"`, one of: {}",
                            sofar.reasons.iter().map(|x| x.code.as_str()).collect::<Vec<_>>().join(", ")
                        )),
                    );
                }
                None
            }
        };
        cuts.insert(k, Cut { points, reason, text: c.text.clone(), location: at.loc(&c.points) });
    }
    let mut explanations = BTreeMap::new();
    for e in &r.explanation {
        let Some(k) = cx.key(at, &e.unit, &e.criterion, "an explanation", diags) else { continue };
        let (uid, cid) = (cx.uid(k.0), cx.cid(k.1));
        if !cuts.contains_key(&k) {
            diags.push(
                at.err(
                    Code::ExplanationNotCut,
                    &e.criterion,
                    format!("unit `{uid}` explains criterion `{cid}`, which round {id} did not cut"),
                )
                .unit(uid)
                .criterion(cid)
                .help(format!("an explanation answers a `[[round.cut]]` of the same round; round {id} cuts no points of this unit there")),
            );
            continue;
        }
        if explanations.contains_key(&k) {
            diags.push(
                at.err(Code::Duplicate, &e.criterion, format!("unit `{uid}` explains criterion `{cid}` twice in round {id}"))
                    .unit(uid)
                    .criterion(cid),
            );
            continue;
        }
        let decision = e.decision.as_ref().map(|d| match d.get_ref() {
            RawDecision::Accepted => Decision::Accepted,
            RawDecision::Partly => Decision::Partly,
            RawDecision::Rejected => Decision::Rejected,
        });
        explanations.insert(k, Explanation { text: e.text.clone(), decision, location: at.loc(&e.criterion) });
    }
    Round { id, from: r.from.get_ref().clone(), to: r.to.get_ref().clone(), cuts, explanations }
}

/// The points after the last round are the council's points of `scores.toml`.
fn final_matches(cx: &Ctx, raw: &RawYear, a: &Appraisal, awarded: &PairMap<Awarded>, diags: &mut Diagnostics) {
    if raw.rounds.is_none() || raw.scores.is_none() {
        return;
    }
    let last = a.rounds.len();
    for key in a.keys() {
        let Some(fin) = a.points_at(last, key) else { continue };
        let (council, label) = match awarded.get(&key) {
            Some(aw) if aw.points == fin => continue,
            Some(aw) => (aw.points.to_string(), Some(aw.location.clone())),
            None => ("no points".to_string(), None),
        };
        let (uid, cid) = (cx.uid(key.0), cx.cid(key.1));
        let at = a
            .rounds
            .last()
            .and_then(|r| r.cuts.get(&key))
            .map(|c| c.location.clone())
            .or_else(|| a.self_scores.get(&key).map(|s| s.location.clone()));
        let Some(at) = at else { continue };
        let d = Diagnostic::error(
            Code::RoundFinalMismatch,
            format!("unit `{uid}` ends the rounds with {fin} points at criterion `{cid}`, where scores.toml gives {council}"),
        )
        .at(at)
        .unit(uid)
        .criterion(cid)
        .help("the last round's points (or the self-score where no round cuts it) are the council's points; make them agree");
        diags.push(match label {
            Some(l) => d.label_at(l, "the council's points"),
            None => d,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::is_date;

    #[test]
    fn dates_are_real_days() {
        for ok in ["2024-03-20", "2024-02-29", "2000-02-29", "2023-12-31"] {
            assert!(is_date(ok), "{ok}");
        }
        for bad in ["2023-02-29", "1900-02-29", "2024-13-01", "2024-04-31", "2024-3-20", "20/03/2024", "2024-03-2x", "", "2024-03-200"] {
            assert!(!is_date(bad), "{bad}");
        }
    }
}
