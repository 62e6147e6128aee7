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

use rayon::prelude::*;
use rust_decimal::Decimal;

use crate::compile::{cmp_dec, Batch, Plan};
use crate::data::{Data, InputColumn};
use crate::diag::{Code, Diagnostic, Diagnostics, Location};
use crate::model::{Model, Value};
use crate::ruleset::RuleSet;

/// How a node got its points, for one unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// The node has no maximum for the unit's kind.
    NotApplicable,
    /// The unit is not evaluated on this node, by this exemption (index into `Model::exemptions`).
    Exempt(u32),
    /// Points were awarded at an ancestor, which stands for this node.
    Covered,
    /// A what-if only: the data have nothing for this leaf, so it leaves the scale.
    NoData,
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
        !matches!(self, Status::NotApplicable | Status::Exempt(_) | Status::NoData)
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
    /// A what-if only: leaves left out for lack of data, and awards capped
    /// at a lower maximum than they were given under.
    pub adjusted: u32,
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
        let v = data.input(key).and_then(|c| c.value(unit)).ok_or_else(|| key.clone())?;
        x.insert(name.as_str().into(), to_dynamic(v));
    }
    x.insert("max".into(), rhai::Dynamic::from_decimal(max));
    Ok(x)
}

fn to_dynamic(v: Value) -> rhai::Dynamic {
    match v {
        Value::Number(d) => rhai::Dynamic::from_decimal(d),
        Value::Bool(b) => rhai::Dynamic::from_bool(b),
        Value::Text(t) => rhai::Dynamic::from(t),
    }
}

/// Every node's status and maximum for a unit of one kind with no exemption
/// and no awarded points.
#[derive(Debug, Clone)]
pub struct KindTemplate {
    pub nodes: Vec<NodeResult>,
}

/// The template of every kind.
pub fn templates(model: &Model) -> Vec<KindTemplate> {
    (0..model.kinds.len())
        .map(|k| {
            let mut nodes: Vec<NodeResult> = model
                .nodes
                .iter()
                .map(|n| {
                    let status = match n.max[k] {
                        None => Status::NotApplicable,
                        Some(_) if n.rule.is_some() => Status::Scored,
                        Some(_) => Status::Sum,
                    };
                    let max = if n.is_leaf() { n.max[k].unwrap_or_default() } else { Decimal::ZERO };
                    NodeResult { status, max, points: Decimal::ZERO }
                })
                .collect();
            sum_max(model, &mut nodes);
            KindTemplate { nodes }
        })
        .collect()
}

/// Inner maxima: the sums of the children's maxima (children come after parents).
fn sum_max(model: &Model, nodes: &mut [NodeResult]) {
    for i in (0..nodes.len()).rev() {
        if let Some(p) = model.nodes[i].parent {
            let m = nodes[i].max;
            nodes[p].max += m;
        }
    }
}

/// Pass 1 for one unit: statuses and maxima.
fn unit_nodes(rs: &RuleSet, unit: usize) -> Vec<NodeResult> {
    let model = &rs.model;
    let kind = model.units[unit].kind;
    let template = &rs.templates[kind].nodes;
    let (exempt, awarded) = (&rs.unit_exempt[unit], &rs.unit_awarded[unit]);
    if exempt.is_empty() && awarded.is_empty() && !model.what_if {
        return template.clone();
    }
    let has_data = |i: usize| {
        model.nodes[i].rule.as_ref().is_some_and(|r| r.inputs.iter().all(|(_, k)| rs.data.input(k).and_then(|c| c.value(unit)).is_some()))
    };
    let mut nodes: Vec<NodeResult> = Vec::with_capacity(template.len());
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
        nodes.push(NodeResult { status, max, points: Decimal::ZERO });
    }
    sum_max(model, &mut nodes);
    nodes
}

/// Why a rule leaf has no points for a unit.
enum LeafError {
    /// The unit has no value for this data key.
    Missing(String),
    Failed(Diagnostic),
}

/// A problem found while evaluating one unit, before grouping.
struct Failure {
    /// The leaf whose rule failed, to group identical failures; `None` for other problems.
    leaf: Option<usize>,
    diag: Diagnostic,
}

/// The input columns of each rule leaf, resolved once.
fn leaf_inputs<'a>(rs: &'a RuleSet) -> Vec<Vec<Option<InputColumn<'a>>>> {
    rs.model
        .nodes
        .iter()
        .map(|n| n.rule.as_ref().map_or_else(Vec::new, |r| r.inputs.iter().map(|(_, k)| rs.data.input(k)).collect()))
        .collect()
}

/// The failure of a unit without data for a rule leaf's input.
fn missing(rs: &RuleSet, leaf: usize, u: usize, key: &str) -> Failure {
    let node = &rs.model.nodes[leaf];
    let unit_id = &rs.model.units[u].id;
    Failure {
        leaf: Some(leaf),
        diag: Diagnostic::error(Code::MissingData, format!("no data `{key}` for unit `{unit_id}` at criterion `{}`", node.id))
            .at(node.location.clone())
            .unit(unit_id)
            .criterion(&node.id)
            .help("add the value to the unit's data, award the points in scores.toml, or exempt the unit"),
    }
}

/// Stores a rule leaf's result for one unit, rounded as declared, and checks
/// it lies between 0 and the leaf's maximum.
fn store(rs: &RuleSet, leaf: usize, u: usize, node: &mut NodeResult, result: Result<Decimal, LeafError>, failures: &mut Vec<Failure>) {
    let leaf_rounding = rs.model.rounding.leaf;
    match result {
        Ok(p) => {
            // Rounding only where the result has more decimals than declared.
            node.points = if p.scale() <= leaf_rounding.decimals { p } else { leaf_rounding.apply(p).normalize() };
            if out_of_range(node) {
                let n = &rs.model.nodes[leaf];
                failures.push(Failure { leaf: None, diag: range_error(*node, n.location.clone(), &rs.model.units[u].id, &n.id) });
            }
        }
        Err(LeafError::Missing(key)) => failures.push(missing(rs, leaf, u, &key)),
        Err(LeafError::Failed(d)) => {
            let unit_id = &rs.model.units[u].id;
            failures.push(Failure { leaf: Some(leaf), diag: d.unit(unit_id).criterion(&rs.model.nodes[leaf].id) });
        }
    }
}

/// Evaluates the units `first..first + n` (a chunk): statuses per unit, then
/// each rule leaf over the whole chunk at once, then the sums per unit.
fn evaluate_chunk(
    rs: &RuleSet,
    inputs: &[Vec<Option<InputColumn<'_>>>],
    reuse: Option<&Reuse<'_>>,
    first: usize,
    n: usize,
    failures: &mut Vec<Failure>,
) -> Vec<UnitResult> {
    let mut chunk: Vec<Vec<NodeResult>> = (first..first + n).map(|u| unit_nodes(rs, u)).collect();
    for (leaf, plan) in rs.plans.iter().enumerate() {
        let Some(plan) = plan else { continue };
        let mut need: Vec<usize> = (0..n).filter(|&k| chunk[k][leaf].status == Status::Scored).collect();
        // Points of an unchanged leaf are copied from the previous results.
        if let Some((r, prev_leaf)) = reuse.and_then(|r| r.leaves[leaf].map(|p| (r, p))) {
            need.retain(|&k| {
                let prev = r.outcome.units[first + k].nodes[prev_leaf];
                let same = prev.status == Status::Scored && prev.max == chunk[k][leaf].max;
                if same {
                    chunk[k][leaf].points = prev.points;
                }
                !same
            });
        }
        let Plan::Native(program) = plan else {
            for k in need {
                let r = interpreted(rs, leaf, first + k, chunk[k][leaf].max);
                store(rs, leaf, first + k, &mut chunk[k][leaf], r, failures);
            }
            continue;
        };
        // Sort the units: native (every input a number or a boolean of the
        // column's type), interpreted (text, or a type that differs), or missing data.
        let cols = &inputs[leaf];
        let mut native: Vec<usize> = Vec::with_capacity(n);
        let mut batches: Vec<Batch> = cols.iter().map(|_| Batch::Num(Vec::with_capacity(n))).collect();
        let mut typed: Vec<Option<bool>> = vec![None; cols.len()];
        // The common case, every input an indicator column: read column by column.
        let all_indicators: Option<Vec<crate::indicators::ColumnRef<'_>>> = cols
            .iter()
            .map(|c| match c {
                Some(InputColumn::Indicator(c)) => Some(*c),
                _ => None,
            })
            .collect();
        let need = match all_indicators {
            Some(columns) => {
                let mut ok = vec![true; need.len()];
                for (i, c) in columns.iter().enumerate() {
                    let Batch::Num(b) = &mut batches[i] else { unreachable!("batches start numeric") };
                    for (j, &k) in need.iter().enumerate() {
                        match c.value(first + k) {
                            Some(d) => b.push(d),
                            None => {
                                if ok[j] {
                                    ok[j] = false;
                                    let key = &rs.model.nodes[leaf].rule.as_ref().expect("a rule leaf").inputs[i].1;
                                    failures.push(missing(rs, leaf, first + k, key));
                                }
                                b.push(Decimal::ZERO);
                            }
                        }
                    }
                }
                if ok.iter().any(|x| !x) {
                    for b in &mut batches {
                        if let Batch::Num(v) = b {
                            let mut j = 0;
                            v.retain(|_| (ok[j], j += 1).0);
                        }
                    }
                }
                native = need.iter().zip(&ok).filter(|(_, ok)| **ok).map(|(k, _)| *k).collect();
                Vec::new()
            }
            None => need,
        };
        'units: for k in need {
            let u = first + k;
            let mut values = Vec::with_capacity(cols.len());
            for (i, col) in cols.iter().enumerate() {
                let v = match col {
                    Some(InputColumn::Indicator(c)) => c.value(u).map(Value::Number),
                    Some(c) => c.value(u),
                    None => None,
                };
                let is_bool = match &v {
                    Some(Value::Number(_)) => false,
                    Some(Value::Bool(_)) => true,
                    Some(Value::Text(_)) => {
                        let r = interpreted(rs, leaf, u, chunk[k][leaf].max);
                        store(rs, leaf, u, &mut chunk[k][leaf], r, failures);
                        continue 'units;
                    }
                    None => {
                        failures.push(missing(rs, leaf, u, &rs.model.nodes[leaf].rule.as_ref().expect("a rule leaf").inputs[i].1));
                        continue 'units;
                    }
                };
                if *typed[i].get_or_insert(is_bool) != is_bool {
                    let r = interpreted(rs, leaf, u, chunk[k][leaf].max);
                    store(rs, leaf, u, &mut chunk[k][leaf], r, failures);
                    continue 'units;
                }
                values.push(v);
            }
            for (i, v) in values.into_iter().enumerate() {
                match (v, &mut batches[i]) {
                    (Some(Value::Number(d)), Batch::Num(b)) => b.push(d),
                    (Some(Value::Bool(x)), b) => {
                        if let Batch::Num(nums) = b {
                            if nums.is_empty() {
                                *b = Batch::Bool(Vec::with_capacity(n));
                            }
                        }
                        if let Batch::Bool(bs) = b {
                            bs.push(x);
                        }
                    }
                    _ => {}
                }
            }
            native.push(k);
        }
        if native.is_empty() {
            continue;
        }
        batches.push(Batch::Num(native.iter().map(|&k| chunk[k][leaf].max).collect()));
        let mut errors = vec![None; native.len()];
        let results = program.eval_batch(&batches, &mut errors);
        let script = &rs.scripts[rs.model.nodes[leaf].rule.as_ref().expect("a rule leaf").script];
        for ((k, value), error) in native.into_iter().zip(results).zip(errors) {
            let r = match error {
                None => Ok(value),
                Some(e) => Err(LeafError::Failed(
                    Diagnostic::error(Code::ScriptRuntime, format!("rule `{}` failed: {e}", script.name)).at(Location::file(&script.path)),
                )),
            };
            store(rs, leaf, first + k, &mut chunk[k][leaf], r, failures);
        }
    }
    chunk.into_iter().enumerate().map(|(k, nodes)| aggregate_unit(rs, first + k, nodes, failures)).collect()
}

/// Pass 3 for one unit: points summed into parents, parts, total, scale, index.
fn aggregate_unit(rs: &RuleSet, u: usize, mut nodes: Vec<NodeResult>, failures: &mut Vec<Failure>) -> UnitResult {
    let model = &rs.model;
    let unit_id = &model.units[u].id;
    let n_nodes = nodes.len();

    // Pass 3: aggregate.
    let mut adjusted = 0;
    for i in (0..n_nodes).rev() {
        let node = &model.nodes[i];
        match nodes[i].status {
            Status::Awarded => {
                nodes[i].points = model.awarded[&(u, i)].points;
                if model.what_if && nodes[i].points > nodes[i].max {
                    nodes[i].points = nodes[i].max;
                    adjusted += 1;
                }
            }
            Status::NoData => adjusted += 1,
            Status::Sum if node.is_leaf() => failures.push(Failure {
                leaf: None,
                diag: Diagnostic::error(Code::MissingData, format!("no points for unit `{unit_id}` at criterion `{}`", node.id))
                    .at(node.location.clone())
                    .unit(unit_id)
                    .criterion(&node.id)
                    .help(format!(
                        "award its points in scores.toml (`[{unit_id}] \"{}\" = ...`), give it a rule, or exempt the unit",
                        node.id
                    )),
            }),
            _ => {}
        }
        let r = nodes[i];
        if r.status.has_points() {
            // Scored leaves were checked when stored, and a sum of points within
            // their maxima lies within the sum of those maxima: only awarded
            // points are left to check.
            if r.status == Status::Awarded && out_of_range(&r) {
                failures.push(Failure { leaf: None, diag: range_error(r, model.awarded[&(u, i)].location.clone(), unit_id, &node.id) });
            }
            if let Some(p) = node.parent {
                if nodes[p].status == Status::Sum {
                    nodes[p].points += r.points;
                }
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
            let ancestor = covering_ancestor(model, &nodes, i).unwrap_or(i);
            failures.push(Failure {
                leaf: None,
                diag: Diagnostic::error(
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
            });
            continue;
        }
        *parts[p].get_or_insert(Decimal::ZERO) += nodes[i].points;
    }
    let (mut total, mut scale) = (Decimal::ZERO, Decimal::ZERO);
    for (i, node) in model.nodes.iter().enumerate() {
        if node.parent.is_none() && nodes[i].status.in_scale() {
            total += nodes[i].points;
            scale += nodes[i].max;
        }
    }
    let index = if scale.is_zero() {
        failures.push(Failure {
            leaf: None,
            diag: Diagnostic::error(Code::BadMaximum, format!("unit `{unit_id}` has a scale of 0: it is evaluated on nothing"))
                .unit(unit_id),
        });
        Decimal::ZERO
    } else {
        total / scale * Decimal::ONE_HUNDRED
    };
    UnitResult { unit: u, nodes, parts, total, scale, index, rank: 0, adjusted }
}

/// Runs a rule leaf's script for one unit with rhai.
fn interpreted(rs: &RuleSet, leaf: usize, u: usize, max: Decimal) -> Result<Decimal, LeafError> {
    let rule = rs.model.nodes[leaf].rule.as_ref().expect("a rule leaf");
    let x = rule_input(&rs.model, &rs.data, leaf, u, max).map_err(LeafError::Missing)?;
    rs.rules.call(&rs.scripts[rule.script], x).map_err(LeafError::Failed)
}

/// Units per parallel task: large enough to amortise scheduling.
const CHUNK: usize = 256;

/// What an evaluation may take from the previous results of the same year.
struct Reuse<'a> {
    outcome: &'a Outcome,
    /// Per leaf: the previous set's node with the same compiled formula,
    /// inputs and rounding, over the same data and units.
    leaves: Vec<Option<usize>>,
}

/// How much of an evaluation was computed and how much reused.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EvalStats {
    /// Rule leaves whose points were computed.
    pub computed: usize,
    /// Rule leaves whose points were taken from the previous results.
    pub reused: usize,
}

fn reusable<'a>(rs: &RuleSet, previous: &'a RuleSet, outcome: &'a Outcome) -> Option<Reuse<'a>> {
    let (m, p) = (&rs.model, &previous.model);
    let same_data = rs.fingerprint.data == previous.fingerprint.data
        && m.units.len() == p.units.len()
        && m.units.iter().zip(&p.units).all(|(a, b)| a.id == b.id)
        && m.rounding.leaf == p.rounding.leaf
        && outcome.units.len() == m.units.len();
    if !same_data {
        return None;
    }
    let leaves = m
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let Some(Plan::Native(program)) = &rs.plans[i] else { return None };
            let j = p.node_index(&n.id)?;
            let same = matches!(&previous.plans[j], Some(Plan::Native(q)) if q == program)
                && n.rule.as_ref().map(|r| &r.inputs) == p.nodes[j].rule.as_ref().map(|r| &r.inputs);
            same.then_some(j)
        })
        .collect();
    Some(Reuse { outcome, leaves })
}

/// Evaluates every unit, in parallel over chunks of units; results do not
/// depend on the number of threads. Returns every problem found when any.
pub fn evaluate(rs: &RuleSet) -> Result<Outcome, Diagnostics> {
    evaluate_after(rs, None).map(|(o, _)| o)
}

/// Evaluates `rs` after `previous` (a rule set of the same year and its
/// results): the leaves an edit did not touch keep their points, so a
/// reload after editing one criterion computes that criterion only.
pub fn evaluate_after(rs: &RuleSet, previous: Option<(&RuleSet, &Outcome)>) -> Result<(Outcome, EvalStats), Diagnostics> {
    let model = &rs.model;
    let inputs = leaf_inputs(rs);
    let n = model.units.len();
    let reuse = previous.and_then(|(p, o)| reusable(rs, p, o));
    let rule_leaves = rs.plans.iter().flatten().count();
    let reused = reuse.as_ref().map_or(0, |r| r.leaves.iter().flatten().count());
    let stats = EvalStats { computed: rule_leaves - reused, reused };
    let chunks: Vec<(Vec<UnitResult>, Vec<Failure>)> = (0..n.div_ceil(CHUNK))
        .into_par_iter()
        .map(|c| {
            let mut failures = Vec::new();
            let first = c * CHUNK;
            let units = evaluate_chunk(rs, &inputs, reuse.as_ref(), first, CHUNK.min(n - first), &mut failures);
            (units, failures)
        })
        .collect();
    let mut units = Vec::with_capacity(n);
    let mut failures = Vec::new();
    for (u, f) in chunks {
        units.extend(u);
        failures.extend(f);
    }
    if !failures.is_empty() {
        return Err(group_failures(failures));
    }
    crate::aggregate::rank(model, &mut units);
    let averages = crate::aggregate::averages(model, &units);
    Ok((Outcome { year: model.year, units, averages }, stats))
}

/// Rule failures grouped per leaf and message (one line with the other
/// units it hit), in criterion order; then the other problems in unit order.
fn group_failures(failures: Vec<Failure>) -> Diagnostics {
    let mut groups: Vec<(usize, Diagnostic, Vec<String>)> = Vec::new();
    let mut others = Diagnostics::default();
    for f in failures {
        match f.leaf {
            Some(leaf) => match groups.iter_mut().find(|(l, d, _)| *l == leaf && d.message_key() == f.diag.message_key()) {
                Some((_, _, more)) => more.push(f.diag.unit.clone().unwrap_or_default()),
                None => groups.push((leaf, f.diag, Vec::new())),
            },
            None => others.push(f.diag),
        }
    }
    groups.sort_by_key(|(leaf, _, _)| *leaf);
    let mut diags = Diagnostics::default();
    for (_, d, more) in groups {
        diags.push(match more.len() {
            0 => d,
            n => d.help(format!("the same for {n} other units: {}", more.join(", "))),
        });
    }
    diags.extend(others);
    diags
}

/// Points above the maximum or below zero.
fn out_of_range(r: &NodeResult) -> bool {
    cmp_dec(r.points, r.max).is_gt() || (r.points.is_sign_negative() && !r.points.is_zero())
}

/// The nearest ancestor of node `i` whose awarded points stand for it.
pub fn covering_ancestor(model: &Model, nodes: &[NodeResult], mut i: usize) -> Option<usize> {
    while let Some(p) = model.nodes[i].parent {
        if nodes[p].status == Status::Awarded {
            return Some(p);
        }
        i = p;
    }
    None
}

fn range_error(r: NodeResult, loc: Location, unit: &str, criterion: &str) -> Diagnostic {
    let (code, what) = if r.points > r.max {
        (Code::ScoreAboveMax, format!("above its maximum {}", r.max))
    } else {
        (Code::ScoreBelowZero, "below 0".to_string())
    };
    Diagnostic::error(code, format!("unit `{unit}` has {} points at criterion `{criterion}`, {what}", r.points))
        .at(loc)
        .unit(unit)
        .criterion(criterion)
        .help(format!("points must lie between 0 and {}", r.max))
}
