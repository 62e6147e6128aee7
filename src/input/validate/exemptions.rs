//! Exemptions (`exemptions.toml`): which units are not evaluated on which
//! criteria or parts, each exemption id, unit and criterion named once, and a
//! warning for an exemption that changes nothing for a unit.

use crate::input::model::PairMap;
use std::collections::HashMap;

use super::{legal_ref, suggest, with_help, At};
use crate::diag::{Code, Diagnostics};
use crate::input::load::RawYear;
use crate::input::model::Exemption;
use crate::input::validate::header::Header;
use crate::input::validate::tree::Tree;
use crate::input::validate::units::Units;

/// (unit, node) → exemption, for nodes named directly or through a part.
pub(super) type Exempt = PairMap<usize>;

/// The exemption, if any, that takes unit `u` out of node `i` (named at the
/// node or at an ancestor).
pub(super) fn exempt_by(tree: &Tree, exempt: &Exempt, u: usize, i: usize) -> Option<usize> {
    tree.up(i).find_map(|j| exempt.get(&(u, j)).copied())
}

/// (unit, node) → exemption for the exemptions `enabled` keeps, as
/// [`from_raw`] builds it: in file order, a later exemption naming the same
/// unit and node taking the place of an earlier one.
pub(crate) fn exempt_map(exemptions: &[Exemption], enabled: impl Fn(usize) -> bool) -> Exempt {
    let mut exempt = Exempt::default();
    for (ei, e) in exemptions.iter().enumerate().filter(|(ei, _)| enabled(*ei)) {
        for &ui in &e.units {
            for &ni in &e.targets {
                exempt.insert((ui, ni), ei);
            }
        }
    }
    exempt
}

pub(super) fn from_raw(raw: &RawYear, head: &Header, tree: &Tree, units: &Units, diags: &mut Diagnostics) -> (Vec<Exemption>, Exempt) {
    let mut exemptions: Vec<Exemption> = Vec::new();
    let mut exempt = Exempt::default();
    let Some((esrc, efile)) = &raw.exemptions else {
        return (exemptions, exempt);
    };
    let ea = At::new(esrc);
    let nodes = &tree.nodes;
    let mut ids: HashMap<&str, usize> = HashMap::new();
    // Per unit: the exemptions naming it, with their nodes, in file order.
    let mut per_unit: Vec<Vec<(usize, Vec<usize>, usize)>> = vec![Vec::new(); units.list.len()];
    for e in &efile.exemption {
        let ei = exemptions.len();
        if let Some(&first) = ids.get(e.id.get_ref().as_str()) {
            diags.push(
                ea.err(Code::Duplicate, &e.id, format!("exemption `{}` is declared twice", e.id.get_ref()))
                    .label_at(exemptions[first].location.clone(), "first declared here"),
            );
        }
        ids.entry(e.id.get_ref()).or_insert(ei);
        let lref = match e.legal.as_deref().map(|t| legal_ref(t, &head.legal)) {
            Some(Ok(r)) => Some(r),
            Some(Err(m)) => {
                diags.push(ea.err(Code::UnknownReference, &e.id, m));
                None
            }
            None => None,
        };
        exemptions.push(Exemption {
            id: e.id.get_ref().clone(),
            reason: e.reason.clone(),
            legal: lref,
            location: ea.loc(&e.id),
            units: Vec::new(),
            targets: Vec::new(),
        });
        let mut targets = Vec::new();
        let mut named: HashMap<&str, ()> = HashMap::new();
        for c in &e.criteria {
            if named.insert(c.get_ref(), ()).is_some() {
                diags.push(
                    ea.err(Code::Duplicate, c, format!("exemption `{}` names criterion `{}` twice", e.id.get_ref(), c.get_ref()))
                        .criterion(c.get_ref()),
                );
                continue;
            }
            match tree.get(c.get_ref()) {
                Some(ni) => targets.push(ni),
                None => diags.push(with_help(
                    ea.err(Code::UnknownCriterion, c, format!("exemption `{}` names unknown criterion `{}`", e.id.get_ref(), c.get_ref()))
                        .criterion(c.get_ref()),
                    tree.help(c.get_ref()),
                )),
            }
        }
        for p in &e.parts {
            if named.insert(p.get_ref(), ()).is_some() {
                diags.push(ea.err(Code::Duplicate, p, format!("exemption `{}` names part `{}` twice", e.id.get_ref(), p.get_ref())));
                continue;
            }
            match head.part_index(p.get_ref()) {
                Some(pi) => targets.extend_from_slice(tree.roots_of_part(pi)),
                None => diags.push(with_help(
                    ea.err(Code::UnknownReference, p, format!("exemption `{}` names unknown part `{}`", e.id.get_ref(), p.get_ref())),
                    suggest(p.get_ref(), head.parts.iter().map(|p| p.id.as_str())),
                )),
            }
        }
        exemptions[ei].targets.clone_from(&targets);
        let mut listed: HashMap<usize, ()> = HashMap::new();
        for u in &e.units {
            let Some(ui) = units.get(u.get_ref()) else {
                diags.push(with_help(
                    ea.err(Code::UnknownUnit, u, format!("exemption `{}` names unknown unit `{}`", e.id.get_ref(), u.get_ref())),
                    units.help(u.get_ref()),
                ));
                continue;
            };
            if listed.insert(ui, ()).is_some() {
                diags.push(
                    ea.err(Code::Duplicate, u, format!("exemption `{}` names unit `{}` twice", e.id.get_ref(), u.get_ref()))
                        .unit(u.get_ref()),
                );
                continue;
            }
            for &ni in &targets {
                exempt.insert((ui, ni), ei);
            }
            exemptions[ei].units.push(ui);
            per_unit[ui].push((ei, targets.clone(), u.span().start));
        }
    }
    // An exemption that changes nothing for a unit: every node it names has
    // no maximum for the unit's kind, or is already taken out by another
    // exemption (at the node or above it; at the same node, by an earlier one).
    for (ui, list) in per_unit.iter().enumerate() {
        let kind = units.list[ui].kind;
        let mut first: HashMap<usize, usize> = HashMap::new();
        for (ei, targets, _) in list {
            for &t in targets {
                first.entry(t).or_insert(*ei);
            }
        }
        for (ei, targets, at) in list {
            let mut by_other = Vec::new();
            let useless = targets.iter().all(|&t| {
                if nodes[t].max[kind].is_none() {
                    return true;
                }
                let above = tree.up(t).skip(1).find_map(|a| first.get(&a).map(|&e| (a, e)));
                let same = first.get(&t).copied().filter(|e| e != ei).map(|e| (t, e));
                match above.or(same) {
                    Some((_, e)) => {
                        by_other.push(e);
                        true
                    }
                    None => false,
                }
            });
            if !useless {
                continue;
            }
            let (uid, eid) = (&units.list[ui].id, &exemptions[*ei].id);
            by_other.sort_unstable();
            by_other.dedup();
            let why = if targets.is_empty() {
                "it names no criterion and no part".to_string()
            } else if by_other.is_empty() {
                format!("kind `{}` has no maximum at any criterion it names", head.kinds[kind].id)
            } else {
                let others: Vec<String> = by_other.iter().map(|e| format!("`{}`", exemptions[*e].id)).collect();
                format!("it is already exempt by {}", others.join(", "))
            };
            diags.push(
                ea.put(
                    crate::diag::Diagnostic::warning(
                        Code::RedundantExemption,
                        format!("exemption `{eid}` changes nothing for unit `{uid}`: {why}"),
                    ),
                    *at,
                )
                .unit(uid.as_str())
                .help("remove the unit from this exemption, or name the criteria it was meant to exempt"),
            );
        }
    }
    (exemptions, exempt)
}
