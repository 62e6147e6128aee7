//! Points awarded by the appraisal council (`scores.toml`), per unit and
//! criterion or part: each must land where the unit is evaluated, once per
//! branch of the tree, between 0 and the unit's maximum there.

use crate::input::model::PairMap;

use rust_decimal::Decimal;
use toml::Spanned;

use super::exemptions::{exempt_by, Exempt};
use super::At;
use crate::diag::{Code, Diagnostic, Diagnostics, Location};
use crate::input::load::RawYear;
use crate::input::model::{Awarded, Exemption};
use crate::input::validate::header::Header;
use crate::input::validate::tree::Tree;
use crate::input::validate::units::Units;

/// One entry of a unit's points, resolved to its node.
struct Entry<'a> {
    node: usize,
    key: &'a Spanned<String>,
    points: Decimal,
    location: Location,
    offset: usize,
}

impl Entry<'_> {
    /// How the entry was written: `3.4` or `part `survey` (criterion `8.1`)`.
    fn named(&self, tree: &Tree) -> String {
        let id = &tree.nodes[self.node].id;
        if self.key.get_ref() == id {
            format!("`{id}`")
        } else {
            format!("part `{}` (criterion `{id}`)", self.key.get_ref())
        }
    }
}

pub(super) fn from_raw(
    raw: &RawYear,
    head: &Header,
    tree: &Tree,
    units: &Units,
    exempt: &Exempt,
    exemptions: &[Exemption],
    diags: &mut Diagnostics,
) -> PairMap<Awarded> {
    let Some((ssrc, sfile)) = &raw.scores else {
        return PairMap::default();
    };
    // Sized for every entry at once: grown by doubling, a province's map
    // was made again ten times.
    let count: usize = sfile.values().map(|e| e.len()).sum();
    let mut awarded = PairMap::with_capacity_and_hasher(count, Default::default());
    let sa = At::new(ssrc);
    let nodes = &tree.nodes;
    for (unit, entries) in sfile {
        let uid = unit.get_ref();
        let Some(ui) = units.get(uid) else {
            diags.push(super::with_help(sa.err(Code::UnknownUnit, unit, format!("points for unknown unit `{uid}`")), units.help(uid)));
            continue;
        };
        let kind = units.list[ui].kind;
        let mut list: Vec<Entry> = Vec::with_capacity(entries.len());
        for (key, points) in entries {
            let Some(node) = resolve(&sa, head, tree, units, exempt, exemptions, (ui, uid), key, "points", diags) else {
                continue;
            };
            let location = sa.loc(points);
            list.push(Entry { node, key, points: points.get_ref().0, location, offset: points.span().start });
        }
        // Points at a node stand for its whole subtree: no two entries of
        // a unit may lie on one branch (in pre-order, a descendant follows
        // its ancestor before the ancestor's subtree ends).
        list.sort_by_key(|e| (e.node, e.offset));
        let mut open: Vec<usize> = Vec::new();
        let mut keep = vec![true; list.len()];
        for j in 0..list.len() {
            while open.last().is_some_and(|&a| !tree.contains(list[a].node, list[j].node)) {
                open.pop();
            }
            if let Some(&a) = open.last() {
                let (top, cur) = (&list[a], &list[j]);
                let (first, second) = if top.offset <= cur.offset { (top, cur) } else { (cur, top) };
                let relation = if top.node == cur.node { "the same criterion" } else { "a criterion and one of its sub-criteria" };
                diags.push(
                    sa.put(
                        Diagnostic::error(
                            Code::OverlappingPoints,
                            format!("points for unit `{uid}` are given at {} and at {}: {relation}", top.named(tree), cur.named(tree)),
                        ),
                        second.offset,
                    )
                    .unit(uid)
                    .criterion(&nodes[cur.node].id)
                    .label_at(first.location.clone(), "first given here")
                    .help(format!(
                        "points at `{}` stand for all its sub-criteria; keep either them (line {}) or the points below",
                        nodes[top.node].id,
                        first.location.line.unwrap_or(0)
                    )),
                );
                keep[j] = false;
                continue;
            }
            open.push(j);
        }
        for e in list.into_iter().zip(keep).filter_map(|(e, k)| k.then_some(e)) {
            if let Some(d) = check_range(tree, exempt, (ui, kind, uid), e.node, e.points, raw.what_if) {
                diags.push(sa.put(d, e.offset));
                continue;
            }
            awarded.insert((ui, e.node), Awarded { points: e.points, location: e.location });
        }
    }
    awarded
}

/// The node a key of a unit's entries names (a criterion id, or a part id
/// standing for the part's one criterion), where the unit is evaluated;
/// `None`, with the problem reported, otherwise. `what` names the entries
/// in the messages ("points", "a self-score", "a cut").
#[allow(clippy::too_many_arguments)]
pub(super) fn resolve(
    sa: &At,
    head: &Header,
    tree: &Tree,
    units: &Units,
    exempt: &Exempt,
    exemptions: &[Exemption],
    (ui, uid): (usize, &str),
    key: &Spanned<String>,
    what: &str,
    diags: &mut Diagnostics,
) -> Option<usize> {
    let nodes = &tree.nodes;
    let kind = units.list[ui].kind;
    let k = key.get_ref();
    // A part's id is looked for only where no criterion has the key.
    let node = match tree.get(k).ok_or_else(|| head.part_index(k)) {
        Ok(ni) => ni,
        Err(Some(pi)) => {
            let roots: Vec<usize> = tree.roots_of_part(pi).iter().copied().filter(|&i| nodes[i].max[kind].is_some()).collect();
            let [root] = roots.as_slice() else {
                diags.push(
                    sa.err(Code::BadValue, key, format!("{what} for part `{k}` span {} criteria", roots.len()))
                        .unit(uid)
                        .help("give the points of each criterion of this part"),
                );
                return None;
            };
            *root
        }
        Err(None) => {
            diags.push(super::with_help(
                sa.err(Code::UnknownCriterion, key, format!("{what} for unknown criterion `{k}`")).unit(uid).criterion(k),
                tree.help(k),
            ));
            return None;
        }
    };
    let n = &nodes[node];
    if n.max[kind].is_none() {
        diags.push(
            sa.err(
                Code::PointsNotEvaluated,
                key,
                format!("{what} for unit `{uid}` at criterion `{}`, which has no maximum for its kind `{}`", n.id, head.kinds[kind].id),
            )
            .unit(uid)
            .criterion(&n.id)
            .help("these points would be ignored: remove them, or give the criterion a maximum for this kind"),
        );
        return None;
    }
    if let Some(e) = exempt_by(tree, exempt, ui, node) {
        let ex = &exemptions[e];
        diags.push(
            sa.err(
                Code::PointsNotEvaluated,
                key,
                format!("{what} for unit `{uid}` at criterion `{}`, from which exemption `{}` exempts it", n.id, ex.id),
            )
            .unit(uid)
            .criterion(&n.id)
            .help(format!(
                "these points would be ignored: remove them, or the unit from the exemption at {}",
                super::file_line(&ex.location)
            )),
        );
        return None;
    }
    Some(node)
}

/// Points at node `e.node` for unit `ui`: within 0 and the unit's maximum
/// there (its kind's, less what exemptions take out below), and not over
/// criteria of different parts.
pub(super) fn check_range(
    tree: &Tree,
    exempt: &Exempt,
    (ui, kind, uid): (usize, usize, &str),
    node: usize,
    p: Decimal,
    what_if: bool,
) -> Option<Diagnostic> {
    let nodes = &tree.nodes;
    let id = &nodes[node].id;
    // The unit's maximum at the node, and the first criterion below that
    // starts another part and counts for the unit.
    let (mut max, mut other_part) = (Decimal::ZERO, None);
    let mut i = node;
    while i < tree.end[node] {
        let n = &nodes[i];
        if n.max[kind].is_none() || (i != node && exempt.contains_key(&(ui, i))) {
            i = tree.end[i];
            continue;
        }
        if i != node && n.part_root && other_part.is_none() {
            other_part = Some(i);
        }
        if n.is_leaf() {
            // A part of a sum of maxima fits, unless the sum was refused.
            max = max.checked_add(n.max[kind].unwrap_or_default())?;
        }
        i += 1;
    }
    if let Some(j) = other_part {
        return Some(
            Diagnostic::error(
                Code::BadValue,
                format!("points awarded at `{id}` cover criteria of different parts; the part of `{}` cannot be told apart", nodes[j].id),
            )
            .unit(uid)
            .criterion(id.as_str())
            .help(format!("award points at `{}` and its sibling criteria instead", nodes[j].id)),
        );
    }
    if p.is_sign_negative() && !p.is_zero() {
        return Some(
            Diagnostic::error(Code::ScoreBelowZero, format!("unit `{uid}` has {p} points at criterion `{id}`, below 0"))
                .unit(uid)
                .criterion(id.as_str())
                .help(format!("points must lie between 0 and {max}")),
        );
    }
    // A what-if caps points above a lower maximum of the other year's criteria.
    if p > max && !what_if {
        return Some(
            Diagnostic::error(Code::ScoreAboveMax, format!("unit `{uid}` has {p} points at criterion `{id}`, above its maximum {max}"))
                .unit(uid)
                .criterion(id.as_str())
                .help(format!("points must lie between 0 and {max}")),
        );
    }
    None
}

/// Checks again, against `model` as it stands (after a variant changed its
/// maxima, exemptions or points), the points awarded to unit `ui` at `node`:
/// as [`from_raw`] checks an entry of `scores.toml`, in the same words. The
/// unit's awards (`node` among them) are at `awards`.
pub(crate) fn recheck(
    model: &crate::input::model::Model,
    tree: &Tree,
    ui: usize,
    node: usize,
    points: Decimal,
    awards: &[usize],
) -> Option<Diagnostic> {
    let nodes = &tree.nodes;
    let unit = &model.units[ui];
    let (uid, kind) = (unit.id.as_str(), unit.kind);
    let n = &nodes[node];
    if n.max[kind].is_none() {
        return Some(
            Diagnostic::error(
                Code::PointsNotEvaluated,
                format!("points for unit `{uid}` at criterion `{}`, which has no maximum for its kind `{}`", n.id, model.kinds[kind].id),
            )
            .unit(uid)
            .criterion(&n.id),
        );
    }
    if let Some(e) = exempt_by(tree, &model.exempt, ui, node) {
        return Some(
            Diagnostic::error(
                Code::PointsNotEvaluated,
                format!("points for unit `{uid}` at criterion `{}`, from which exemption `{}` exempts it", n.id, model.exemptions[e].id),
            )
            .unit(uid)
            .criterion(&n.id),
        );
    }
    if let Some(&other) = awards.iter().find(|&&a| a != node && (tree.contains(a, node) || tree.contains(node, a))) {
        return Some(
            Diagnostic::error(
                Code::OverlappingPoints,
                format!(
                    "points for unit `{uid}` are given at `{}` and at `{}`: a criterion and one of its sub-criteria",
                    nodes[other].id, n.id
                ),
            )
            .unit(uid)
            .criterion(&n.id),
        );
    }
    check_range(tree, &model.exempt, (ui, kind, uid), node, points, model.what_if)
}
