//! The sociological survey (`survey.toml` and its answers CSV): the
//! questions, their weights and answer options, the questionnaires sent per
//! unit, and every questionnaire returned, aggregated into each unit's
//! survey part under the declared rounding.
//!
//! A unit's part is `Σ weight × Σ coefficient of the option chosen / returned`
//! over the questions; it must be the council's points at the survey's
//! criterion in `scores.toml`. A unit that returned fewer questionnaires than
//! the declared minimum is reported.

use crate::input::model::PairMap;

use rust_decimal::Decimal;

use super::units::Units;
use super::{with_help, At};
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::input::appraisal::{rate, Question, Survey, SurveyUnit};
use crate::input::csvread::{at_field, for_each_record};
use crate::input::load::RawYear;
use crate::input::model::{Awarded, Node};
use crate::input::validate::header::Header;
use crate::input::validate::tree::Tree;

pub(super) fn from_raw(
    raw: &RawYear,
    head: &Header,
    tree: &Tree,
    units: &Units,
    awarded: &PairMap<Awarded>,
    (diags, consistency): (&mut Diagnostics, &mut Diagnostics),
) -> Option<Survey> {
    let (src, file) = raw.survey.as_ref().filter(|_| !raw.what_if)?;
    let at = At::new(src);
    let meta = &file.survey;
    let c = meta.criterion.get_ref();
    let node = tree.get(c).or_else(|| head.part_index(c).and_then(|p| tree.roots_of_part(p).first().copied()));
    let Some(node) = node else {
        diags.push(with_help(
            at.err(Code::UnknownCriterion, &meta.criterion, format!("the survey scores unknown criterion `{c}`")),
            tree.help(c),
        ));
        return None;
    };
    let mut questions: Vec<Question> = Vec::new();
    let mut weights = Decimal::ZERO;
    for q in &file.question {
        let id = q.id.get_ref();
        if questions.iter().any(|x| &x.id == id) {
            diags.push(at.err(Code::Duplicate, &q.id, format!("question `{id}` is declared twice")));
            continue;
        }
        let w = q.weight.get_ref().0;
        if w.is_sign_negative() && !w.is_zero() {
            diags.push(at.err(Code::BadValue, &q.weight, format!("question `{id}` weighs {w}, below 0")));
        }
        weights = weights.checked_add(w).unwrap_or(Decimal::MAX);
        if q.options.is_empty() {
            diags.push(at.err(Code::BadValue, &q.id, format!("question `{id}` has no answer option")));
        }
        for o in &q.options {
            let v = o.get_ref().0;
            if v < Decimal::ZERO || v > Decimal::ONE {
                diags.push(
                    at.err(Code::BadValue, o, format!("question `{id}` has an option worth {v}, outside 0..1"))
                        .help("an option's coefficient is the share of the question's weight it earns"),
                );
            }
        }
        questions.push(Question {
            id: id.clone(),
            text: q.text.clone(),
            weight: w,
            options: q.options.iter().map(|o| o.get_ref().0).collect(),
        });
    }
    check_weights(&at, meta, tree.nodes[node], head, weights, diags);

    let mut sent: Vec<Option<u32>> = vec![None; units.list.len()];
    let mut sent_at = vec![None; units.list.len()];
    for (u, n) in &file.sent {
        match units.get(u.get_ref()) {
            Some(ui) => {
                sent[ui] = Some(*n.get_ref());
                sent_at[ui] = Some(n.span().start);
            }
            None => diags.push(with_help(
                at.err(Code::UnknownUnit, u, format!("questionnaires sent to unknown unit `{}`", u.get_ref())),
                units.help(u.get_ref()),
            )),
        }
    }

    // Per unit: questionnaires returned, and per question the sum of the coefficients chosen.
    let mut returned = vec![0u32; units.list.len()];
    let mut sums = vec![vec![Decimal::ZERO; questions.len()]; units.list.len()];
    if let Some(asrc) = &raw.survey_answers {
        read_answers(asrc, units, &questions, &sent, &mut returned, &mut sums, diags);
    }

    let mut out = Vec::new();
    let (mut all_sent, mut all_returned) = (0u32, 0u32);
    for (ui, s) in sent.iter().enumerate() {
        let Some(s) = *s else { continue };
        let uid = units.list[ui].id.as_str();
        let n = returned[ui];
        all_sent = all_sent.saturating_add(s);
        all_returned = all_returned.saturating_add(n);
        let off = sent_at[ui].unwrap_or(0);
        if n > s {
            diags.push(
                at.put(
                    Diagnostic::error(Code::CheckFailed, format!("unit `{uid}` returned {n} questionnaires of {s} sent")).unit(uid),
                    off,
                ),
            );
        }
        if n < meta.min_responses {
            diags.push(
                at.put(
                    Diagnostic::warning(
                        Code::SurveyFewResponses,
                        format!("unit `{uid}` returned {n} questionnaires, below the minimum of {}", meta.min_responses),
                    )
                    .unit(uid)
                    .help("its survey part rests on too few answers; the council decides how to score it"),
                    off,
                ),
            );
        }
        let per_q: Vec<Decimal> = questions
            .iter()
            .zip(&sums[ui])
            .map(|(q, &sum)| q.weight.checked_mul(sum).and_then(|x| x.checked_div(Decimal::from(n))).unwrap_or_default())
            .collect();
        // One division, so the exact part is not the sum of rounded quotients.
        let total = questions.iter().zip(&sums[ui]).try_fold(Decimal::ZERO, |acc, (q, &sum)| acc.checked_add(q.weight.checked_mul(sum)?));
        let exact = total.filter(|_| n > 0).and_then(|t| t.checked_div(Decimal::from(n)));
        let points = exact.map(|e| meta.points.apply(e));
        if let (Some(p), Some(aw)) = (points, awarded.get(&(ui, node))) {
            if p != aw.points {
                consistency.push(
                    Diagnostic::error(
                        Code::SurveyMismatch,
                        format!(
                            "unit `{uid}` scores {p} on the survey from its {n} questionnaires, where scores.toml gives {} at `{}`",
                            aw.points, tree.nodes[node].id
                        ),
                    )
                    .at(aw.location.clone())
                    .unit(uid)
                    .criterion(&tree.nodes[node].id)
                    .help(format!(
                        "the answers are in {}",
                        raw.survey_answers.as_ref().map_or_else(String::new, |a| a.path.display().to_string())
                    )),
                );
            }
        }
        out.push(SurveyUnit { unit: ui, sent: s, returned: n, questions: per_q, exact, points, rate: rate(n, s, meta.rate) });
    }
    Some(Survey {
        node,
        from: meta.from.clone(),
        to: meta.to.clone(),
        min_responses: meta.min_responses,
        points: meta.points,
        rate_rounding: meta.rate,
        questions,
        units: out,
        sent: all_sent,
        returned: all_returned,
        rate: rate(all_returned, all_sent, meta.rate),
        answers: raw.survey_answers.as_ref().map(|a| a.path.clone()).unwrap_or_default(),
    })
}

/// The weights add up to the criterion's maximum for every kind it applies to.
fn check_weights(
    at: &At,
    meta: &crate::input::raw_round::RawSurveyMeta,
    n: &Node,
    head: &Header,
    weights: Decimal,
    diags: &mut Diagnostics,
) {
    for (k, max) in n.max.iter().enumerate() {
        if let Some(m) = max {
            if *m != weights {
                diags.push(
                    at.err(
                        Code::BadMaximum,
                        &meta.criterion,
                        format!("the questions weigh {weights} in all, where `{}` has {m} points for `{}`", n.id, head.kinds[k].id),
                    )
                    .criterion(&n.id),
                );
            }
        }
    }
}

/// Reads the answers CSV: a header `unit,<question id>,…` (other columns,
/// such as `respondent`, are kept aside), one questionnaire a row, each
/// answer the number of the option chosen (1 for the first).
fn read_answers(
    src: &crate::input::load::Source,
    units: &Units,
    questions: &[Question],
    sent: &[Option<u32>],
    returned: &mut [u32],
    sums: &mut [Vec<Decimal>],
    diags: &mut Diagnostics,
) {
    let text = src.text.strip_prefix('\u{feff}').unwrap_or(&src.text);
    let path = &src.path;
    let mut header: Option<(usize, Vec<Option<usize>>)> = None;
    let mut bad = false;
    // Per unit, per question: how many answers chose each option, and the
    // option the last one chose (empty for a unit without answers).
    let mut chosen: Vec<Vec<(Vec<u64>, usize)>> = vec![Vec::new(); units.list.len()];
    let exact: Vec<bool> = questions.iter().map(|q| countable(&q.options)).collect();
    let mut last: Option<(String, usize)> = None;
    let mut row: Vec<usize> = Vec::with_capacity(questions.len());
    let read = for_each_record(text, b',', path, |r| {
        if bad {
            return;
        }
        let Some((ucol, cols)) = &header else {
            let names: Vec<&str> = (0..r.len()).map(|i| r.get(i).trim()).collect();
            let Some(ucol) = names.iter().position(|h| *h == "unit") else {
                diags.push(at_field(Diagnostic::error(Code::CsvSyntax, "the answers need a `unit` column"), path, text, r, b',', 0));
                bad = true;
                return;
            };
            let cols: Vec<Option<usize>> = questions.iter().map(|q| names.iter().position(|h| *h == q.id)).collect();
            for (q, c) in questions.iter().zip(&cols) {
                if c.is_none() {
                    diags.push(at_field(
                        Diagnostic::error(Code::CsvSyntax, format!("the answers have no column for question `{}`", q.id)),
                        path,
                        text,
                        r,
                        b',',
                        0,
                    ));
                    bad = true;
                }
            }
            header = Some((ucol, cols));
            return;
        };
        let uid = r.get(*ucol).trim();
        // Rows come unit by unit: the last unit found is looked up first.
        let found = match last {
            Some((ref id, ui)) if id == uid => Some(ui),
            _ => units.get(uid),
        };
        let Some(ui) = found else {
            let d = with_help(
                Diagnostic::error(Code::UnknownUnit, format!("a questionnaire of unknown unit `{uid}`")).unit(uid),
                units.help(uid),
            );
            diags.push(at_field(d, path, text, r, b',', *ucol));
            return;
        };
        if sent[ui].is_none() {
            let d = Diagnostic::error(Code::BadValue, format!("a questionnaire of unit `{uid}`, to which none was sent"))
                .unit(uid)
                .help("add the unit to `[sent]` of survey.toml");
            diags.push(at_field(d, path, text, r, b',', *ucol));
            return;
        }
        if !matches!(&last, Some((id, _)) if id == uid) {
            last = Some((uid.to_string(), ui));
        }
        row.clear();
        for (q, c) in questions.iter().zip(cols) {
            let Some(c) = *c else { return };
            // Most cells are a digit: read from the bytes, the others as text.
            let number = r.digits(c).or_else(|| r.get(c).trim().parse::<usize>().ok());
            match number.and_then(|o| o.checked_sub(1)).filter(|&o| o < q.options.len()) {
                Some(o) => row.push(o),
                None => {
                    let cell = r.get(c).trim();
                    let d = Diagnostic::error(
                        Code::BadValue,
                        format!("answer `{cell}` to question `{}` is not an option 1..{}", q.id, q.options.len()),
                    )
                    .unit(uid)
                    .criterion(&q.id);
                    diags.push(at_field(d, path, text, r, b',', c));
                    return;
                }
            }
        }
        returned[ui] = returned[ui].saturating_add(1);
        let counts = &mut chosen[ui];
        if counts.is_empty() {
            counts.extend(questions.iter().map(|q| (vec![0u64; q.options.len()], 0)));
        }
        for (qi, ((per_option, last_chosen), &o)) in counts.iter_mut().zip(&row).enumerate() {
            if exact[qi] {
                per_option[o] += 1;
                *last_chosen = o;
            } else {
                let sum = &mut sums[ui][qi];
                *sum = sum.checked_add(questions[qi].options[o]).unwrap_or(Decimal::MAX);
            }
        }
    });
    if let Err(d) = read {
        diags.push(d);
    }
    for (ui, counts) in chosen.iter().enumerate().filter(|(_, c)| !c.is_empty()) {
        for (qi, ((sum, q), (per_option, last_chosen))) in sums[ui].iter_mut().zip(questions).zip(counts).enumerate() {
            if exact[qi] {
                *sum = sum_of_choices(&q.options, per_option, *last_chosen);
            }
        }
    }
}

/// Whether the answers to a question with these options can be counted per
/// option instead of added one by one, for the same sum: every coefficient
/// between 0 and 1 with at most 18 decimals, so that answers by the billion
/// (more than a text held in memory can list) add up within 96 bits at the
/// largest scale, and no addition rounds.
fn countable(options: &[Decimal]) -> bool {
    options.iter().all(|o| !o.is_sign_negative() && *o <= Decimal::ONE && o.scale() <= 18)
}

/// `Σ coefficient` of the answers chosen, `counts[o]` of them option `o`
/// and the last one option `last`, for a [`countable`] question: the sum
/// the answers add up to one by one. Adding to a zero gives the other
/// number as it is, and adding a zero keeps the sum, so a sum of zeros is
/// the last of them (with its decimals), and any other sum is that of the
/// coefficients above zero, at the largest of their scales.
fn sum_of_choices(options: &[Decimal], counts: &[u64], last: usize) -> Decimal {
    let chosen = |(o, &n): &(&Decimal, &u64)| n > 0 && !o.is_zero();
    if !options.iter().zip(counts).any(|p| chosen(&p)) {
        return if counts.iter().any(|&n| n > 0) { options[last] } else { Decimal::ZERO };
    }
    let mut sum = Decimal::ZERO;
    for (o, &n) in options.iter().zip(counts).filter(chosen) {
        // `n` times the coefficient at its own scale (a product with the
        // decimals' own multiplication would drop the scale of a zero).
        // Within bounds (see `countable`), neither step can fail.
        let times = Decimal::try_from_i128_with_scale(o.mantissa() * i128::from(n), o.scale()).ok();
        sum = times.and_then(|p| sum.checked_add(p)).unwrap_or(Decimal::MAX);
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Counting the answers per option gives the sum, scale and all, of adding them one by one.
    #[test]
    fn counted_answers_add_up_as_one_by_one() {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = |n: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % n
        };
        for _ in 0..2_000 {
            let options: Vec<Decimal> = (0..1 + next(5))
                .map(|_| {
                    let scale = next(19) as u32;
                    let top = 10u64.pow(scale.min(18));
                    // Zeros, with their decimals, one time in four.
                    let m = if next(4) == 0 { 0 } else { next(top + 1) as i64 };
                    Decimal::new(m, scale)
                })
                .collect();
            assert!(countable(&options), "{options:?}");
            let answers: Vec<usize> = (0..next(300)).map(|_| next(options.len() as u64) as usize).collect();
            let mut counts = vec![0u64; options.len()];
            let mut one_by_one = Decimal::ZERO;
            for &a in &answers {
                counts[a] += 1;
                one_by_one = one_by_one.checked_add(options[a]).unwrap_or(Decimal::MAX);
            }
            let counted = sum_of_choices(&options, &counts, answers.last().copied().unwrap_or(0));
            assert_eq!((counted, counted.scale()), (one_by_one, one_by_one.scale()), "{options:?} {counts:?}");
        }
        assert!(!countable(&[Decimal::new(15, 1)]), "above 1");
        assert!(!countable(&[Decimal::new(-1, 1)]), "below 0");
        assert!(!countable(&[Decimal::new(1, 19)]), "19 decimals");
    }
}
