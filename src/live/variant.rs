//! Variant: a loaded year with a few of its inputs changed in memory.
//!
//! "If criterion 8.2's maximum were 12, or this exemption were dropped, who
//! would change rank?" [`apply`] takes a loaded [`RuleSet`], applies
//! [`Override`]s to a copy of its checked model without reading any file,
//! checks what each override touches (an unknown criterion, unit or
//! exemption, a maximum below points awarded under it, points outside
//! `0..=max`), and rebuilds what depends on the model (the per-kind templates
//! and the per-unit lists) with the same functions a load uses. [`variant`]
//! evaluates the result and returns it with its [`Changes`] against the base.
//!
//! Everything here is `Send + Sync` and borrows the base immutably, so
//! variants of one base run in parallel.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;

use crate::diag::{did_you_mean, Code, Diagnostic, Diagnostics};
use crate::input::model::{Awarded, Model};
use crate::live::engine::{changes, Changes, Snapshot};
use crate::score::ruleset::RuleSet;

/// One change of a year's inputs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Override {
    /// A leaf criterion's maximum, for one unit kind or (`None`) every kind it applies to.
    Max { node: String, kind: Option<String>, value: Decimal },
    /// An exemption of `exemptions.toml` kept (`true`) or dropped (`false`).
    Exemption { id: String, enabled: bool },
    /// The points the council awarded `unit` at `node`.
    Points { unit: String, node: String, value: Decimal },
}

impl fmt::Display for Override {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Override::Max { node, kind: None, value } => write!(f, "{node}.max={value}"),
            Override::Max { node, kind: Some(k), value } => write!(f, "{node}.max.{k}={value}"),
            Override::Exemption { id, enabled } => write!(f, "exemption:{id}={}", if *enabled { "on" } else { "off" }),
            Override::Points { unit, node, value } => write!(f, "points:{unit}:{node}={value}"),
        }
    }
}

impl FromStr for Override {
    type Err = String;

    /// `8.2.max=12`, `8.2.max.district=12`, `exemption:khong-sipas=off`, `points:so-tttt:1=11`.
    fn from_str(s: &str) -> Result<Override, String> {
        let (lhs, rhs) = s.split_once('=').ok_or_else(|| format!("`{s}` has no `=`: write e.g. `8.2.max=12`"))?;
        let (lhs, rhs) = (lhs.trim(), rhs.trim());
        let number = |v: &str| -> Result<Decimal, String> {
            Decimal::from_str_exact(v).map_err(|_| format!("`{v}` is not a number (write points with a dot, e.g. `10.5`)"))
        };
        if let Some(id) = lhs.strip_prefix("exemption:") {
            let enabled = match rhs {
                "on" | "true" => true,
                "off" | "false" => false,
                _ => return Err(format!("exemption `{id}` can be set `on` or `off`, not `{rhs}`")),
            };
            return Ok(Override::Exemption { id: id.to_string(), enabled });
        }
        if let Some(rest) = lhs.strip_prefix("points:") {
            let (unit, node) =
                rest.split_once(':').ok_or_else(|| format!("`{lhs}` names no criterion: write `points:<unit>:<criterion>=<points>`"))?;
            return Ok(Override::Points { unit: unit.to_string(), node: node.to_string(), value: number(rhs)? });
        }
        if let Some(at) = lhs.rfind(".max") {
            let (node, tail) = (&lhs[..at], &lhs[at + 4..]);
            let kind = match tail {
                "" => None,
                t if t.starts_with('.') && t.len() > 1 => Some(t[1..].to_string()),
                _ => return Err(format!("`{lhs}`: write `<criterion>.max` or `<criterion>.max.<kind>`")),
            };
            if !node.is_empty() {
                return Ok(Override::Max { node: node.to_string(), kind, value: number(rhs)? });
            }
        }
        Err(format!("`{s}` is not an override: write `<criterion>.max=<points>`, `exemption:<id>=on|off` or `points:<unit>:<criterion>=<points>`"))
    }
}

/// A variant's results and what moved against its base.
#[derive(Debug)]
pub struct Variant {
    pub snapshot: Snapshot,
    pub changes: Changes,
}

/// `base` with `overrides` applied in order, evaluated, and its changes against `base`.
pub fn variant(base: &Snapshot, overrides: &[Override]) -> Result<Variant, Diagnostics> {
    let rule_set = apply(&base.rule_set, overrides)?;
    let snapshot = Snapshot::from_rule_set(rule_set, base.generation + 1)?;
    let changes = changes(base, &snapshot);
    Ok(Variant { snapshot, changes })
}

/// A copy of `base` with `overrides` applied in order; every problem found is returned.
pub fn apply(base: &RuleSet, overrides: &[Override]) -> Result<RuleSet, Diagnostics> {
    let mut model = base.model.clone();
    let mut diags = Diagnostics::default();
    for o in overrides {
        if let Err(d) = apply_one(&mut model, o) {
            diags.push(d);
        }
    }
    if diags.has_errors() {
        return Err(diags);
    }
    let mut rs = base.clone();
    rs.templates = crate::score::eval::templates(&model);
    let mut unit_exempt = vec![Vec::new(); model.units.len()];
    for (&(u, n), &e) in &model.exempt {
        unit_exempt[u].push((n, e));
    }
    let mut unit_awarded = vec![Vec::new(); model.units.len()];
    for &(u, n) in model.awarded.keys() {
        unit_awarded[u].push(n);
    }
    for v in &mut unit_exempt {
        v.sort_unstable();
    }
    for v in &mut unit_awarded {
        v.sort_unstable();
    }
    rs.unit_exempt = unit_exempt;
    rs.unit_awarded = unit_awarded;
    rs.model = model;
    Ok(rs)
}

fn node_of(model: &Model, id: &str) -> Result<usize, Diagnostic> {
    model.node_index(id).ok_or_else(|| {
        let d = Diagnostic::error(Code::UnknownCriterion, format!("override names criterion `{id}`, which the year does not have"))
            .criterion(id);
        match did_you_mean(id, model.nodes.iter().map(|n| n.id.as_str())) {
            Some(s) => d.help(format!("did you mean `{s}`?")),
            None => d,
        }
    })
}

fn apply_one(model: &mut Model, o: &Override) -> Result<(), Diagnostic> {
    match o {
        Override::Max { node, kind, value } => {
            let n = node_of(model, node)?;
            if !model.nodes[n].is_leaf() {
                return Err(Diagnostic::error(
                    Code::BadMaximum,
                    format!("criterion `{node}` has sub-criteria: its maximum is the sum of theirs"),
                )
                .criterion(node.as_str())
                .help("set the maximum of one of its sub-criteria instead"));
            }
            if value.is_sign_negative() && !value.is_zero() {
                return Err(Diagnostic::error(Code::BadMaximum, format!("maximum {value} of criterion `{node}` is below 0")).criterion(node.as_str()));
            }
            let kinds: Vec<usize> = match kind {
                Some(k) => match model.kinds.iter().position(|x| &x.id == k) {
                    Some(i) => vec![i],
                    None => {
                        let d = Diagnostic::error(Code::UnknownReference, format!("override names unit kind `{k}`, which the year does not have"));
                        return Err(match did_you_mean(k, model.kinds.iter().map(|x| x.id.as_str())) {
                            Some(s) => d.help(format!("did you mean `{s}`?")),
                            None => d,
                        });
                    }
                },
                None => (0..model.kinds.len()).filter(|&k| model.nodes[n].max[k].is_some()).collect(),
            };
            for k in kinds {
                let delta = *value - model.nodes[n].max[k].unwrap_or_default();
                let mut at = Some(n);
                while let Some(i) = at {
                    let m = model.nodes[i].max[k].unwrap_or_default();
                    let m = m.checked_add(delta).ok_or_else(|| {
                        Diagnostic::error(Code::BadMaximum, format!("maximum {value} of criterion `{node}` is too large")).criterion(node.as_str())
                    })?;
                    model.nodes[i].max[k] = Some(m);
                    at = model.nodes[i].parent;
                }
            }
            // Points awarded at the criterion or above it must still fit.
            for (&(u, a), aw) in &model.awarded {
                let unit = &model.units[u];
                let mut at = Some(n);
                while let Some(i) = at {
                    if i == a {
                        if let Some(max) = model.nodes[a].max[unit.kind] {
                            if aw.points > max {
                                return Err(Diagnostic::error(
                                    Code::ScoreAboveMax,
                                    format!(
                                        "maximum {value} of criterion `{node}` leaves unit `{}` with {} points at criterion `{}`, above its maximum {max}",
                                        unit.id, aw.points, model.nodes[a].id
                                    ),
                                )
                                .at(aw.location.clone())
                                .unit(unit.id.as_str())
                                .criterion(model.nodes[a].id.as_str()));
                            }
                        }
                    }
                    at = model.nodes[i].parent;
                }
            }
            Ok(())
        }
        Override::Exemption { id, enabled } => {
            let Some(e) = model.exemptions.iter().position(|x| &x.id == id) else {
                let d = Diagnostic::error(Code::UnknownReference, format!("override names exemption `{id}`, which the year does not have"));
                return Err(match did_you_mean(id, model.exemptions.iter().map(|x| x.id.as_str())) {
                    Some(s) => d.help(format!("did you mean `{s}`?")),
                    None => d.help("exemptions are the `id`s of `exemptions.toml`"),
                });
            };
            if !enabled {
                model.exempt.retain(|_, x| *x != e);
            }
            Ok(())
        }
        Override::Points { unit, node, value } => {
            let Some(u) = model.units.iter().position(|x| x.id == unit.as_str()).or_else(|| model.find_unit(unit)) else {
                let d = Diagnostic::error(Code::UnknownUnit, format!("override names unit `{unit}`, which the year does not have")).unit(unit.as_str());
                return Err(match did_you_mean(unit, model.units.iter().map(|x| x.id.as_str())) {
                    Some(s) => d.help(format!("did you mean `{s}`?")),
                    None => d,
                });
            };
            let n = node_of(model, node)?;
            let uid = model.units[u].id.to_string();
            let Some(max) = model.nodes[n].max[model.units[u].kind] else {
                return Err(Diagnostic::error(Code::PointsNotEvaluated, format!("criterion `{node}` is not evaluated for unit `{uid}`"))
                    .unit(uid)
                    .criterion(node.as_str()));
            };
            if *value > max || (value.is_sign_negative() && !value.is_zero()) {
                return Err(Diagnostic::error(Code::ScoreAboveMax, format!("unit `{uid}` would have {value} points at criterion `{node}`, outside 0 to {max}"))
                    .unit(uid)
                    .criterion(node.as_str())
                    .help(format!("points must lie between 0 and {max}")));
            }
            if let Some(aw) = model.awarded.get_mut(&(u, n)) {
                aw.points = *value;
                return Ok(());
            }
            // New points must not overlap points awarded above or below.
            let is_under = |mut i: usize, top: usize| loop {
                if i == top {
                    return true;
                }
                match model.nodes[i].parent {
                    Some(p) => i = p,
                    None => return false,
                }
            };
            if let Some(&(_, other)) = model.awarded.keys().find(|&&(v, a)| v == u && (is_under(a, n) || is_under(n, a))) {
                return Err(Diagnostic::error(
                    Code::OverlappingPoints,
                    format!("unit `{uid}` already has points at criterion `{}`, which overlaps `{node}`", model.nodes[other].id),
                )
                .unit(uid)
                .criterion(node.as_str()));
            }
            let location = model.nodes[n].location.clone();
            model.awarded.insert((u, n), Awarded { points: *value, location });
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_parse_and_print_back() {
        for s in ["8.2.max=12", "8.2.max.district=1.5", "exemption:khong-sipas=off", "points:so-tttt:1=11"] {
            let o: Override = s.parse().expect(s);
            assert_eq!(o.to_string(), s);
        }
        assert!("8.2=12".parse::<Override>().is_err());
        assert!("8.2.max=twelve".parse::<Override>().is_err());
        assert!("exemption:x=maybe".parse::<Override>().is_err());
    }

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn variants_are_send_and_sync() {
        assert_send_sync::<Variant>();
        assert_send_sync::<Override>();
    }
}
