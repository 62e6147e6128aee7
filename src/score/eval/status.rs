//! Pass 1, status: top-down per unit, how each node gets its points (not
//! applicable, exempt, covered, awarded, scored, a sum) and its maximum.

use std::sync::Arc;

use rust_decimal::Decimal;

use super::{NodeShape, Shape, Status};
use crate::input::model::Model;
use crate::score::ruleset::RuleSet;

/// The shape of every kind: the statuses and maxima of a unit of that kind
/// with no exemption and no awarded points.
pub fn templates(model: &Model) -> Vec<Shape> {
    (0..model.kinds.len())
        .map(|k| {
            let mut nodes: Vec<NodeShape> = model
                .nodes
                .iter()
                .map(|n| {
                    let status = match n.max[k] {
                        None => Status::NotApplicable,
                        Some(_) if n.rule.is_some() => Status::Scored,
                        Some(_) => Status::Sum,
                    };
                    let max = if n.is_leaf() { n.max[k].unwrap_or_default() } else { Decimal::ZERO };
                    NodeShape { status, max }
                })
                .collect();
            sum_max(model, &mut nodes);
            Shape::from(nodes)
        })
        .collect()
}

/// Inner maxima: the sums of the children's maxima (children come after parents).
fn sum_max(model: &Model, nodes: &mut [NodeShape]) {
    for i in (0..nodes.len()).rev() {
        if let Some(p) = model.nodes[i].parent {
            let m = nodes[i].max;
            // Saturating: maxima that large make the points' sums overflow, which is reported.
            nodes[p].max = nodes[p].max.saturating_add(m);
        }
    }
}

/// Pass 1 for one unit: statuses and maxima.
pub(super) fn unit_shape(rs: &RuleSet, unit: usize) -> Shape {
    let model = &rs.model;
    let kind = model.units[unit].kind;
    let (exempt, awarded) = (&rs.unit_exempt[unit], &rs.unit_awarded[unit]);
    if exempt.is_empty() && awarded.is_empty() && !model.what_if {
        return Arc::clone(&rs.templates[kind]);
    }
    let has_data = |i: usize| {
        model.nodes[i].rule.as_ref().is_some_and(|r| r.inputs.iter().all(|(_, k)| rs.data.input(k).and_then(|c| c.value(unit)).is_some()))
    };
    let mut nodes: Vec<NodeShape> = Vec::with_capacity(model.nodes.len());
    for (i, n) in model.nodes.iter().enumerate() {
        let inherited = n.parent.map(|p| nodes[p].status);
        let status = if n.max[kind].is_none() {
            Status::NotApplicable
        } else if let Ok(k) = exempt.binary_search_by_key(&i, |(node, _)| *node) {
            Status::Exempt(exempt[k].1 as u32)
        } else {
            match inherited {
                Some(Status::Exempt(e)) => Status::Exempt(e),
                Some(Status::Covered | Status::Awarded) => Status::Covered,
                _ if awarded.binary_search(&i).is_ok() => Status::Awarded,
                _ if model.what_if && n.is_leaf() && !has_data(i) => Status::NoData,
                _ if n.rule.is_some() => Status::Scored,
                _ => Status::Sum,
            }
        };
        let max = if status.in_scale() && n.is_leaf() { n.max[kind].unwrap_or_default() } else { Decimal::ZERO };
        nodes.push(NodeShape { status, max });
    }
    sum_max(model, &mut nodes);
    Shape::from(nodes)
}
