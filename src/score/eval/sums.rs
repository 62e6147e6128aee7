//! Pass 3, the tree sums: bottom-up over a run, awarded points set and
//! every node's points summed into its parent (whole columns in fixed point
//! where they fit), then each unit's parts, total, scale and index.

use std::sync::Arc;

use rust_decimal::Decimal;

use super::{covering_ancestor, out_of_range, range_error, Failure, Points, Run, Status, UnitResult};
use crate::diag::{Code, Diagnostic};
use crate::formula::fixed::Fixed;
use crate::score::ruleset::RuleSet;

/// Pass 3 for a run: awarded points set, points summed into parents node
/// by node (bottom-up), then each unit's parts, total, scale and index.
/// The problems found are added in unit order.
///
/// Where one shape covers the run, whole columns are summed; in fixed point
/// (`fixed`, per node) where they fit, so a parent takes one decimal per
/// unit however many children it has.
pub(super) fn aggregate_chunk(
    rs: &RuleSet,
    run: &Run<'_>,
    mut points: Vec<Decimal>,
    mut fixed: Vec<Option<Fixed>>,
    failures: &mut Vec<Failure>,
) -> Vec<UnitResult> {
    let model = &rs.model;
    let (first, shapes) = (run.first, run.shapes);
    let n = shapes.len();
    let mut adjusted = vec![0u32; n];
    // Per node: the fixed-point sum of its children so far, and whether
    // some child was added in decimals instead.
    let mut sums: Vec<Option<Fixed>> = vec![None; model.nodes.len()];
    let mut mixed = vec![false; model.nodes.len()];
    // Problems with the run's slot of their unit, sorted by it at the end.
    let mut found: Vec<(usize, Failure)> = Vec::new();
    // Per slot: the first node whose points overflowed, when one did.
    let mut overflow: Vec<Option<usize>> = vec![None; n];
    for i in (0..model.nodes.len()).rev() {
        let node = &model.nodes[i];
        let (before, from_i) = points.split_at_mut(i * n);
        let col = &mut from_i[..n];
        // Every child is in: the fixed-point sum becomes the node's points.
        if let Some(sum) = sums[i].take() {
            if mixed[i] {
                col.iter_mut().enumerate().for_each(|(k, p)| add(p, sum.decimal(k), &mut overflow[k], i));
            } else {
                col.iter_mut().enumerate().for_each(|(k, p)| *p = sum.decimal(k));
                fixed[i] = Some(sum);
            }
        }
        let mut parent = node.parent.map(|p| (p, &mut before[p * n..(p + 1) * n]));
        // One shape for the whole run and nothing to do per unit: add the column.
        if run.uniform && n > 0 {
            let s = &shapes[0];
            let status = s[i].status;
            if !(matches!(status, Status::Awarded | Status::NoData) || status == Status::Sum && node.is_leaf()) {
                if let Some((p, into)) = parent {
                    if status.has_points() && s[p].status == Status::Sum {
                        let child = fixed[i].take().or_else(|| Fixed::from_decimals(col));
                        match (child, sums[p].take()) {
                            (Some(c), None) => sums[p] = Some(c),
                            (Some(c), Some(sum)) => match sum.checked_add(&c) {
                                Some(total) => sums[p] = Some(total),
                                None => {
                                    into.iter_mut().enumerate().for_each(|(k, a)| {
                                        add(a, sum.decimal(k), &mut overflow[k], p);
                                        add(a, c.decimal(k), &mut overflow[k], p);
                                    });
                                    mixed[p] = true;
                                }
                            },
                            (None, sum) => {
                                into.iter_mut().zip(col.iter()).enumerate().for_each(|(k, (a, b))| add(a, *b, &mut overflow[k], p));
                                sums[p] = sum;
                                mixed[p] = true;
                            }
                        }
                    }
                }
                continue;
            }
        }
        for k in 0..n {
            let (u, s) = (first + k, &shapes[k]);
            let unit_id = &model.units[u].id;
            match s[i].status {
                Status::Awarded => {
                    let award = &model.awarded[&(u, i)];
                    col[k] = award.points;
                    if model.what_if && col[k] > s[i].max {
                        col[k] = s[i].max;
                        adjusted[k] += 1;
                    }
                    if out_of_range(col[k], s[i].max) {
                        let diag = range_error(col[k], s[i].max, award.location.clone(), unit_id, &node.id);
                        found.push((k, Failure { leaf: None, diag }));
                        // Reported: summed as 0, so no sum above it can overflow.
                        col[k] = Decimal::ZERO;
                    }
                }
                Status::NoData => adjusted[k] += 1,
                Status::Sum if node.is_leaf() => found.push((
                    k,
                    Failure {
                        leaf: None,
                        diag: Diagnostic::error(Code::MissingData, format!("no points for unit `{unit_id}` at criterion `{}`", node.id))
                            .at(node.location.clone())
                            .unit(unit_id)
                            .criterion(&node.id)
                            .help(format!(
                                "award its points in scores.toml (`[{unit_id}] \"{}\" = ...`), give it a rule, or exempt the unit",
                                node.id
                            )),
                    },
                )),
                _ => {}
            }
            // Scored leaves were checked when stored, and a sum of points
            // within their maxima lies within the sum of those maxima.
            if let Some((p, into)) = parent.as_mut() {
                if s[i].status.has_points() && s[*p].status == Status::Sum {
                    add(&mut into[k], col[k], &mut overflow[k], *p);
                    mixed[*p] = true;
                }
            }
        }
    }
    let part_roots: Vec<(usize, usize)> =
        model.nodes.iter().enumerate().filter_map(|(i, node)| node.part.filter(|_| node.part_root).map(|p| (i, p))).collect();
    let roots: Vec<usize> = model.components().collect();
    let empty = Arc::new(Points::new(0, &[]));
    let units = shapes
        .iter()
        .enumerate()
        .map(|(k, shape)| {
            let u = first + k;
            let unit_id = &model.units[u].id;
            let at = |i: usize| points[i * n + k];
            let mut parts: Vec<Option<Decimal>> = vec![None; model.parts.len()];
            for &(i, p) in &part_roots {
                match shape[i].status {
                    Status::Covered => {
                        let ancestor = covering_ancestor(model, shape, i).unwrap_or(i);
                        let diag = Diagnostic::error(
                            Code::BadValue,
                            format!(
                                "points awarded at `{}` cover criteria of different parts; part `{}` cannot be told apart",
                                model.nodes[ancestor].id, model.parts[p].id
                            ),
                        )
                        .at(model.awarded[&(u, ancestor)].location.clone())
                        .unit(unit_id)
                        .criterion(&model.nodes[ancestor].id)
                        .help(format!("award points at `{}` and its sibling criteria instead", model.nodes[i].id));
                        found.push((k, Failure { leaf: None, diag }));
                    }
                    s if s.in_scale() => add(parts[p].get_or_insert(Decimal::ZERO), at(i), &mut overflow[k], i),
                    _ => {}
                }
            }
            let (mut total, mut scale) = (Decimal::ZERO, Decimal::ZERO);
            for &i in &roots {
                if shape[i].status.in_scale() {
                    add(&mut total, at(i), &mut overflow[k], i);
                    add(&mut scale, shape[i].max, &mut overflow[k], i);
                }
            }
            let index = if scale.is_zero() {
                let diag = Diagnostic::error(Code::BadMaximum, format!("unit `{unit_id}` has a scale of 0: it is evaluated on nothing"))
                    .unit(unit_id);
                found.push((k, Failure { leaf: None, diag }));
                Decimal::ZERO
            } else {
                match total.checked_div(scale).and_then(|q| q.checked_mul(Decimal::ONE_HUNDRED)) {
                    Some(index) => index,
                    None => {
                        overflow[k] = overflow[k].or(roots.first().copied());
                        Decimal::ZERO
                    }
                }
            };
            if let Some(node) = overflow[k] {
                found.push((k, Failure { leaf: None, diag: sum_overflow(rs, node, u) }));
            }
            UnitResult {
                unit: u,
                shape: Arc::clone(shape),
                points: Arc::clone(&empty),
                slot: k,
                parts,
                total,
                scale,
                index,
                rank: 0,
                adjusted: adjusted[k],
            }
        })
        .collect::<Vec<_>>();
    // The points are kept compactly once every unit's sums are taken.
    let points = Arc::new(Points::new(n, &points));
    let units = units.into_iter().map(|u| UnitResult { points: Arc::clone(&points), ..u }).collect();
    found.sort_by_key(|(k, _)| *k);
    failures.extend(found.into_iter().map(|(_, f)| f));
    units
}

/// `*a + b` into `a`; on an overflow `a` is left as it was and the first
/// node `at` where the unit's sums overflowed is noted.
#[inline]
fn add(a: &mut Decimal, b: Decimal, overflow: &mut Option<usize>, at: usize) {
    match a.checked_add(b) {
        Some(sum) => *a = sum,
        None => *overflow = overflow.or(Some(at)),
    }
}

/// The points of unit `u` under node `at` add up beyond the range of decimals.
fn sum_overflow(rs: &RuleSet, at: usize, u: usize) -> Diagnostic {
    let (node, unit_id) = (&rs.model.nodes[at], &rs.model.units[u].id);
    Diagnostic::error(
        Code::ScriptOverflow,
        format!("the points of unit `{unit_id}` at criterion `{}` add up beyond the range of decimals", node.id),
    )
    .at(node.location.clone())
    .unit(unit_id)
    .criterion(&node.id)
    .help("check the maxima and the points awarded under this criterion for a misplaced digit")
}
