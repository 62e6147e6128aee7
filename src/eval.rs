//! Evaluate: the points of every node for every unit.
//!
//! Three passes over the pre-ordered tree:
//! 1. **status**, top-down per unit: not applicable to its kind, exempt (and
//!    by which exemption), covered by points awarded higher up, awarded here,
//!    scored by a rule, or the sum of its children;
//! 2. **rule leaves**, one column at a time: each scored leaf's rule runs for
//!    every unit that needs it, results rounded as the rules declare;
//! 3. **aggregate**, bottom-up per unit: maxima and points summed into
//!    parents, parts and the total, every node checked against 0 and its
//!    maximum.
//!
//! Any error (missing data, a failing rule, points above a maximum) is
//! collected with the unit and criterion, and no result is returned.

use rust_decimal::Decimal;

use crate::data::Data;
use crate::diag::{Code, Diagnostic, Diagnostics, Location};
use crate::model::{Model, Value};
use crate::ruleset::RuleSet;

/// How a node got its points, for one unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// The node has no maximum for the unit's kind.
    NotApplicable,
    /// The unit is not evaluated on this node, by this exemption (index into `Model::exemptions`).
    Exempt(usize),
    /// Points were awarded at an ancestor, which stands for this node.
    Covered,
    /// Points awarded by the appraisal council at this node.
    Awarded,
    /// Points computed by the node's rule.
    Scored,
    /// The sum of the children's points.
    Sum,
}

impl Status {
    /// Whether the node's maximum counts in the unit's scale.
    pub fn in_scale(self) -> bool {
        !matches!(self, Status::NotApplicable | Status::Exempt(_))
    }

    /// Whether the node's own points are known.
    pub fn has_points(self) -> bool {
        matches!(self, Status::Awarded | Status::Scored | Status::Sum)
    }
}

/// One node's result for one unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeResult {
    pub status: Status,
    /// The node's maximum for this unit: 0 when not applicable or exempt.
    pub max: Decimal,
    /// The points: 0 unless [`Status::has_points`].
    pub points: Decimal,
}

/// One unit's full result, in full precision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitResult {
    pub unit: usize,
    /// Indexed like `Model::nodes`.
    pub nodes: Vec<NodeResult>,
    /// Points per part (indexed like `Model::parts`); `None` when the part
    /// does not apply to the unit or it is exempt from all of it.
    pub parts: Vec<Option<Decimal>>,
    pub total: Decimal,
    pub scale: Decimal,
    /// total / scale × 100, unrounded.
    pub index: Decimal,
    /// Rank within the unit's ranking group; ties share a rank.
    pub rank: u32,
}

/// The average index of the units of one kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Average {
    pub kind: usize,
    pub index: Decimal,
    pub units: usize,
}

/// The results of one year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub year: u16,
    pub units: Vec<UnitResult>,
    pub averages: Vec<Average>,
}

/// The rule's input map for one unit at one leaf, or the missing key.
pub fn rule_input(model: &Model, data: &Data, leaf: usize, unit: usize, max: Decimal) -> Result<rhai::Map, String> {
    let node = &model.nodes[leaf];
    let rule = node.rule.as_ref().ok_or_else(|| String::from("no rule"))?;
    let mut x = rule.params.clone();
    for (name, key) in &rule.inputs {
        let cell = data.get(key, unit).ok_or_else(|| key.clone())?;
        let v = match &cell.value {
            Value::Number(d) => rhai::Dynamic::from_decimal(*d),
            Value::Bool(b) => rhai::Dynamic::from_bool(*b),
            Value::Text(t) => rhai::Dynamic::from(t.clone()),
        };
        x.insert(name.as_str().into(), v);
    }
    x.insert("max".into(), rhai::Dynamic::from_decimal(max));
    Ok(x)
}

/// Pass 1: every node's status for one unit.
fn statuses(model: &Model, unit: usize) -> Vec<Status> {
    let kind = model.units[unit].kind;
    let mut st = Vec::with_capacity(model.nodes.len());
    for (i, n) in model.nodes.iter().enumerate() {
        let inherited = n.parent.map(|p| st[p]);
        let s = if n.max[kind].is_none() {
            Status::NotApplicable
        } else if let Some(e) = model.exempt.get(&(unit, i)) {
            Status::Exempt(*e)
        } else {
            match inherited {
                Some(Status::Exempt(e)) => Status::Exempt(e),
                Some(Status::Covered | Status::Awarded) => Status::Covered,
                _ if model.awarded.contains_key(&(unit, i)) => Status::Awarded,
                _ if n.rule.is_some() => Status::Scored,
                _ => Status::Sum,
            }
        };
        st.push(s);
    }
    st
}

/// Evaluates every unit. Returns every problem found when any.
pub fn evaluate(rs: &RuleSet) -> Result<Outcome, Diagnostics> {
    let model = &rs.model;
    let mut diags = Diagnostics::default();
    let n_nodes = model.nodes.len();

    // Pass 1, with each unit's maxima (bottom-up) so rules get the unit's max.
    let mut results: Vec<Vec<NodeResult>> = (0..model.units.len())
        .map(|u| {
            let kind = model.units[u].kind;
            let st = statuses(model, u);
            let mut nodes: Vec<NodeResult> = st
                .iter()
                .zip(&model.nodes)
                .map(|(s, n)| NodeResult {
                    status: *s,
                    max: if s.in_scale() && n.is_leaf() { n.max[kind].unwrap_or_default() } else { Decimal::ZERO },
                    points: Decimal::ZERO,
                })
                .collect();
            for i in (0..n_nodes).rev() {
                if let Some(p) = model.nodes[i].parent {
                    let m = nodes[i].max;
                    nodes[p].max += m;
                }
            }
            nodes
        })
        .collect();

    // Pass 2: rule leaves, a column at a time. One failure of a rule is
    // reported once per leaf, with the other units it hit.
    for (leaf, node) in model.nodes.iter().enumerate() {
        let Some(rule) = &node.rule else { continue };
        let script = &rs.scripts[rule.script];
        let mut failures: Vec<(Diagnostic, Vec<String>)> = Vec::new();
        for (u, nodes) in results.iter_mut().enumerate() {
            let r = &mut nodes[leaf];
            if r.status != Status::Scored {
                continue;
            }
            let unit_id = &model.units[u].id;
            let x = match rs.leaf_input(leaf, u, r.max) {
                Ok(x) => x,
                Err(key) => {
                    diags.push(
                        Diagnostic::error(Code::MissingData, format!("no data `{key}` for unit `{unit_id}` at criterion `{}`", node.id))
                            .at(node.location.clone())
                            .unit(unit_id)
                            .criterion(&node.id)
                            .help("add the value to the unit's data, award the points in scores.toml, or exempt the unit"),
                    );
                    continue;
                }
            };
            match rs.rules.call(script, x) {
                Ok(p) => r.points = model.rounding.leaf.apply(p).normalize(),
                Err(d) => match failures.iter_mut().find(|(f, _)| f.message == d.message && f.location == d.location) {
                    Some((_, others)) => others.push(unit_id.clone()),
                    None => failures.push((d.unit(unit_id).criterion(&node.id), Vec::new())),
                },
            }
        }
        for (d, others) in failures {
            diags.push(match others.len() {
                0 => d,
                n => d.help(format!("the same for {n} other units: {}", others.join(", "))),
            });
        }
    }

    // Pass 3: aggregate.
    let mut units = Vec::with_capacity(model.units.len());
    for (u, mut nodes) in results.into_iter().enumerate() {
        let unit_id = &model.units[u].id;
        for i in (0..n_nodes).rev() {
            let node = &model.nodes[i];
            match nodes[i].status {
                Status::Awarded => nodes[i].points = model.awarded[&(u, i)].points,
                Status::Sum if node.is_leaf() => diags.push(
                    Diagnostic::error(Code::MissingData, format!("no points for unit `{unit_id}` at criterion `{}`", node.id))
                        .at(node.location.clone())
                        .unit(unit_id)
                        .criterion(&node.id)
                        .help(format!(
                            "award its points in scores.toml (`[{unit_id}] \"{}\" = ...`), give it a rule, or exempt the unit",
                            node.id
                        )),
                ),
                _ => {}
            }
            let r = nodes[i];
            if r.status.has_points() {
                let loc = if r.status == Status::Awarded { model.awarded[&(u, i)].location.clone() } else { node.location.clone() };
                check_range(&mut diags, r, loc, unit_id, &node.id);
            }
            if let Some(p) = node.parent {
                if r.status.has_points() && nodes[p].status == Status::Sum {
                    nodes[p].points += r.points;
                }
            }
        }
        // Parts, total, scale.
        let mut parts: Vec<Option<Decimal>> = vec![None; model.parts.len()];
        for (i, node) in model.nodes.iter().enumerate() {
            if !node.part_root || !nodes[i].status.in_scale() {
                continue;
            }
            let Some(p) = node.part else { continue };
            if nodes[i].status == Status::Covered {
                let ancestor = covering_ancestor(model, &nodes, i);
                diags.push(
                    Diagnostic::error(
                        Code::BadValue,
                        format!(
                            "points awarded at `{}` cover criteria of different parts; part `{}` cannot be told apart",
                            model.nodes[ancestor].id, model.parts[p].id
                        ),
                    )
                    .at(model.awarded[&(u, ancestor)].location.clone())
                    .unit(unit_id)
                    .criterion(&model.nodes[ancestor].id)
                    .help(format!("award points at `{}` and its sibling criteria instead", node.id)),
                );
                continue;
            }
            *parts[p].get_or_insert(Decimal::ZERO) += nodes[i].points;
        }
        let (mut total, mut scale) = (Decimal::ZERO, Decimal::ZERO);
        for root in model.components() {
            if nodes[root].status.in_scale() {
                total += nodes[root].points;
                scale += nodes[root].max;
            }
        }
        let index = if scale.is_zero() {
            diags.push(
                Diagnostic::error(Code::BadMaximum, format!("unit `{unit_id}` has a scale of 0: it is evaluated on nothing")).unit(unit_id),
            );
            Decimal::ZERO
        } else {
            total / scale * Decimal::ONE_HUNDRED
        };
        units.push(UnitResult { unit: u, nodes, parts, total, scale, index, rank: 0 });
    }
    if diags.has_errors() {
        return Err(diags);
    }
    crate::aggregate::rank(model, &mut units);
    let averages = crate::aggregate::averages(model, &units);
    Ok(Outcome { year: model.year, units, averages })
}

fn covering_ancestor(model: &Model, nodes: &[NodeResult], mut i: usize) -> usize {
    while let Some(p) = model.nodes[i].parent {
        if nodes[p].status == Status::Awarded {
            return p;
        }
        i = p;
    }
    i
}

fn check_range(diags: &mut Diagnostics, r: NodeResult, loc: Location, unit: &str, criterion: &str) {
    if r.points > r.max {
        diags.push(
            Diagnostic::error(
                Code::ScoreAboveMax,
                format!("unit `{unit}` has {} points at criterion `{criterion}`, above its maximum {}", r.points, r.max),
            )
            .at(loc)
            .unit(unit)
            .criterion(criterion)
            .help(format!("points must lie between 0 and {}", r.max)),
        );
    } else if r.points.is_sign_negative() && !r.points.is_zero() {
        diags.push(
            Diagnostic::error(Code::ScoreBelowZero, format!("unit `{unit}` has {} points at criterion `{criterion}`, below 0", r.points))
                .at(loc)
                .unit(unit)
                .criterion(criterion)
                .help(format!("points must lie between 0 and {}", r.max)),
        );
    }
}
