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

use std::sync::Arc;

use rayon::prelude::*;
use rust_decimal::Decimal;

use crate::data::{Data, InputColumn};
use crate::diag::{Code, Diagnostic, Diagnostics, Location};
use crate::formula::compile::{cmp_dec, Batch, Plan};
use crate::formula::fixed::{Fixed, FixedBatch};
use crate::input::model::{Model, Value};
use crate::score::ruleset::RuleSet;

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

/// One node's status and maximum for one unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeShape {
    pub status: Status,
    /// The node's maximum for this unit: 0 when not applicable or exempt.
    pub max: Decimal,
}

/// Every node's status and maximum for one unit, indexed like
/// `Model::nodes`: its kind's template, shared by every unit without
/// exemptions or awarded points, or its own.
pub type Shape = Arc<[NodeShape]>;

/// One node's result for one unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeResult {
    pub status: Status,
    /// The node's maximum for this unit: 0 when not applicable or exempt.
    pub max: Decimal,
    /// The points: 0 unless [`Status::has_points`].
    pub points: Decimal,
}

/// The points of a run of consecutive units, node by node:
/// `points[node * units + slot]`, so a rule leaf's points for the whole run
/// lie side by side.
#[derive(Debug, PartialEq, Eq)]
struct Points {
    units: usize,
    points: Box<[Decimal]>,
}

/// One unit's full result, in full precision.
#[derive(Clone)]
pub struct UnitResult {
    pub unit: usize,
    shape: Shape,
    points: Arc<Points>,
    /// The unit's place in `points`.
    slot: usize,
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

impl UnitResult {
    /// Node `i`'s result (indexed like `Model::nodes`).
    #[inline]
    pub fn node(&self, i: usize) -> NodeResult {
        let NodeShape { status, max } = self.shape[i];
        NodeResult { status, max, points: self.points.points[i * self.points.units + self.slot] }
    }

    /// Every node's result, in `Model::nodes` order.
    pub fn nodes(&self) -> impl ExactSizeIterator<Item = NodeResult> + '_ {
        (0..self.shape.len()).map(|i| self.node(i))
    }

    /// The statuses and maxima of every node.
    pub fn shape(&self) -> &[NodeShape] {
        &self.shape
    }

    /// Node `i`'s points for every unit of this unit's run, by slot.
    pub fn run_points(&self, i: usize) -> &[Decimal] {
        let n = self.points.units;
        &self.points.points[i * n..(i + 1) * n]
    }
}

impl PartialEq for UnitResult {
    fn eq(&self, o: &Self) -> bool {
        (self.unit, &self.parts, self.total, self.scale, self.index, self.rank, self.adjusted)
            == (o.unit, &o.parts, o.total, o.scale, o.index, o.rank, o.adjusted)
            && self.nodes().eq(o.nodes())
    }
}

impl Eq for UnitResult {}

impl std::fmt::Debug for UnitResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UnitResult")
            .field("unit", &self.unit)
            .field("parts", &self.parts)
            .field("total", &self.total)
            .field("scale", &self.scale)
            .field("index", &self.index)
            .field("rank", &self.rank)
            .field("adjusted", &self.adjusted)
            .field("nodes", &self.nodes().collect::<Vec<_>>())
            .finish()
    }
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
    /// One result per unit, in the model's order: `units[i].unit == i`.
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
            nodes[p].max += m;
        }
    }
}

/// Pass 1 for one unit: statuses and maxima.
fn unit_shape(rs: &RuleSet, unit: usize) -> Shape {
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

/// Stores a rule leaf's result for one unit in `slot`, rounded as
/// declared, and checks it lies between 0 and the leaf's maximum `max`.
#[allow(clippy::too_many_arguments)]
fn store(
    rs: &RuleSet,
    leaf: usize,
    u: usize,
    max: Decimal,
    slot: &mut Decimal,
    result: Result<Decimal, LeafError>,
    failures: &mut Vec<Failure>,
) {
    let leaf_rounding = rs.model.rounding.leaf;
    match result {
        Ok(p) => {
            // Rounding only where the result has more decimals than declared.
            let p = if p.scale() <= leaf_rounding.decimals { p } else { leaf_rounding.apply(p).normalize() };
            *slot = p;
            if out_of_range(p, max) {
                let n = &rs.model.nodes[leaf];
                failures.push(Failure { leaf: None, diag: range_error(p, max, n.location.clone(), &rs.model.units[u].id, &n.id) });
            }
        }
        Err(LeafError::Missing(key)) => failures.push(missing(rs, leaf, u, &key)),
        Err(LeafError::Failed(d)) => {
            let unit_id = &rs.model.units[u].id;
            failures.push(Failure { leaf: Some(leaf), diag: d.unit(unit_id).criterion(&rs.model.nodes[leaf].id) });
        }
    }
}

/// The units of one run (a chunk) and their shapes.
struct Run<'s> {
    first: usize,
    shapes: &'s [Shape],
    /// Whether every unit of the run has the same shape.
    uniform: bool,
    /// The same units' points and one shape in the previous results, when
    /// they were one run there too.
    previous: Option<(&'s Points, &'s [NodeShape])>,
}

impl Outcome {
    /// Whether the units `units` were evaluated as one whole run with one
    /// shape, each at its own place: then node `i`'s points for all of them
    /// are the first one's [`UnitResult::run_points`]`(i)`.
    pub fn one_run(&self, units: std::ops::Range<usize>) -> bool {
        let n = units.len();
        self.units.get(units).is_some_and(|run| {
            run.first().is_some_and(|u0| {
                u0.points.units == n
                    && run
                        .iter()
                        .enumerate()
                        .all(|(k, u)| u.slot == k && Arc::ptr_eq(&u.points, &u0.points) && Arc::ptr_eq(&u.shape, &u0.shape))
            })
        })
    }
}

impl Reuse<'_> {
    /// The points and shape of the units `first..first + n` in the previous
    /// results, when they were one run with one shape.
    fn run(&self, first: usize, n: usize) -> Option<(&Points, &[NodeShape])> {
        let u0 = &self.outcome.units.get(first)?;
        self.outcome.one_run(first..first + n).then_some((&*u0.points, &*u0.shape))
    }
}

/// Evaluates the units `first..first + n` (a chunk): statuses per unit, then
/// each rule leaf over the whole chunk at once, then the sums node by node.
fn evaluate_chunk(
    rs: &RuleSet,
    inputs: &[Vec<Option<InputColumn<'_>>>],
    reuse: Option<&Reuse<'_>>,
    first: usize,
    n: usize,
    failures: &mut Vec<Failure>,
) -> Vec<UnitResult> {
    let shapes: Vec<Shape> = (first..first + n).map(|u| unit_shape(rs, u)).collect();
    let uniform = shapes.windows(2).all(|w| Arc::ptr_eq(&w[0], &w[1]));
    let run = Run { first, shapes: &shapes, uniform, previous: reuse.filter(|_| uniform).and_then(|r| r.run(first, n)) };
    let mut points = vec![Decimal::ZERO; rs.model.nodes.len() * n];
    let mut fixed: Vec<Option<Fixed>> = vec![None; rs.model.nodes.len()];
    for (leaf, plan) in rs.plans.iter().enumerate() {
        if let Some(plan) = plan {
            fixed[leaf] = score_leaf(rs, &run, &inputs[leaf], reuse, leaf, plan, &mut points[leaf * n..(leaf + 1) * n], failures);
        }
    }
    aggregate_chunk(rs, &run, points, fixed, failures)
}

/// Pass 2 for one rule leaf over a run: its points for every unit scored
/// there, in `col` (one slot per unit of the run). Returns the same points
/// in fixed point when every unit of the run got them from fixed point.
#[allow(clippy::too_many_arguments)]
fn score_leaf(
    rs: &RuleSet,
    run: &Run<'_>,
    cols: &[Option<InputColumn<'_>>],
    reuse: Option<&Reuse<'_>>,
    leaf: usize,
    plan: &Plan,
    col: &mut [Decimal],
    failures: &mut Vec<Failure>,
) -> Option<Fixed> {
    let (first, shapes) = (run.first, run.shapes);
    let n = shapes.len();
    let scored = |k: usize| shapes[k][leaf].status == Status::Scored;
    let mut need: Vec<usize> = match run.uniform {
        true if n > 0 && scored(0) => (0..n).collect(),
        true => Vec::new(),
        false => (0..n).filter(|&k| scored(k)).collect(),
    };
    // Points of an unchanged leaf are copied from the previous results: the
    // whole column when the run and its shape there were the same.
    if let (Some((points, shape)), Some(prev_leaf)) = (run.previous, reuse.and_then(|r| r.leaves[leaf])) {
        // `run.previous` is only set for a uniform run: every unit needs the leaf or none does.
        if need.len() == n && n > 0 && shape[prev_leaf].status == Status::Scored && shape[prev_leaf].max == shapes[0][leaf].max {
            col.copy_from_slice(&points.points[prev_leaf * n..(prev_leaf + 1) * n]);
            return None;
        }
    }
    if let Some((r, prev_leaf)) = reuse.and_then(|r| r.leaves[leaf].map(|p| (r, p))) {
        need.retain(|&k| {
            let prev = r.outcome.units[first + k].node(prev_leaf);
            let same = prev.status == Status::Scored && prev.max == shapes[k][leaf].max;
            if same {
                col[k] = prev.points;
            }
            !same
        });
    }
    let max = |k: usize| shapes[k][leaf].max;
    let Plan::Native(program) = plan else {
        for k in need {
            let r = interpreted(rs, leaf, first + k, max(k));
            store(rs, leaf, first + k, max(k), &mut col[k], r, failures);
        }
        return None;
    };
    // Sort the units: native (every input a number or a boolean of the
    // column's type), interpreted (text, or a type that differs), or missing data.
    let mut native: Vec<usize> = Vec::with_capacity(n);
    let mut batches: Vec<Batch> = cols.iter().map(|_| Batch::Num(Vec::with_capacity(need.len()))).collect();
    let mut typed: Vec<Option<bool>> = vec![None; cols.len()];
    let key = |i: usize| &rs.model.nodes[leaf].rule.as_ref().expect("a rule leaf").inputs[i].1;
    // The common case, every input an indicator column: read column by column.
    let all_indicators: Option<Vec<crate::input::indicators::ColumnRef<'_>>> = cols
        .iter()
        .map(|c| match c {
            Some(InputColumn::Indicator(c)) => Some(*c),
            _ => None,
        })
        .collect();
    // Integers only (the common case): straight to fixed point.
    if let Some(columns) = &all_indicators {
        let mut fixed: Vec<FixedBatch> = Vec::with_capacity(columns.len() + 1);
        for c in columns {
            let mut m = Vec::with_capacity(need.len());
            let all = if need.len() == n {
                // Every unit of the run: one slice of the column.
                c.integers(first..first + n, &mut m)
            } else {
                need.iter().all(|&k| c.integer(first + k).map(|v| m.push(v)).is_some())
            };
            if !all {
                break;
            }
            fixed.push(FixedBatch::Num(Fixed::integers(m)));
        }
        if fixed.len() == columns.len() {
            let maxima: Vec<Decimal> = need.iter().map(|&k| max(k)).collect();
            if let Some(points) = run_fixed(rs, leaf, run, program, &need, fixed, &maxima, col, failures) {
                return points;
            }
        }
    }
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
                                failures.push(missing(rs, leaf, first + k, key(i)));
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
        for (i, c) in cols.iter().enumerate() {
            let v = match c {
                Some(InputColumn::Indicator(c)) => c.value(u).map(Value::Number),
                Some(c) => c.value(u),
                None => None,
            };
            let is_bool = match &v {
                Some(Value::Number(_)) => false,
                Some(Value::Bool(_)) => true,
                Some(Value::Text(_)) => {
                    let r = interpreted(rs, leaf, u, max(k));
                    store(rs, leaf, u, max(k), &mut col[k], r, failures);
                    continue 'units;
                }
                None => {
                    failures.push(missing(rs, leaf, u, key(i)));
                    continue 'units;
                }
            };
            if *typed[i].get_or_insert(is_bool) != is_bool {
                let r = interpreted(rs, leaf, u, max(k));
                store(rs, leaf, u, max(k), &mut col[k], r, failures);
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
        return None;
    }
    let maxima: Vec<Decimal> = native.iter().map(|&k| max(k)).collect();
    let fixed: Option<Vec<FixedBatch>> = batches
        .iter()
        .map(|b| match b {
            Batch::Num(v) => Fixed::from_decimals(v).map(FixedBatch::Num),
            Batch::Bool(v) => Some(FixedBatch::Bool(v.clone())),
        })
        .collect();
    if let Some(points) = fixed.and_then(|f| run_fixed(rs, leaf, run, program, &native, f, &maxima, col, failures)) {
        return points;
    }
    batches.push(Batch::Num(maxima));
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
        store(rs, leaf, first + k, max(k), &mut col[k], r, failures);
    }
    None
}

/// Runs a leaf's program in fixed point for the units `units` (slots of
/// the run) from their inputs `fixed` (one batch per input) and maxima, and
/// stores the points: `None` when fixed point does not apply, else what
/// [`score_leaf`] returns.
#[allow(clippy::too_many_arguments)]
fn run_fixed(
    rs: &RuleSet,
    leaf: usize,
    run: &Run<'_>,
    program: &crate::formula::compile::Program,
    units: &[usize],
    mut fixed: Vec<FixedBatch>,
    maxima: &[Decimal],
    col: &mut [Decimal],
    failures: &mut Vec<Failure>,
) -> Option<Option<Fixed>> {
    fixed.push(FixedBatch::Num(Fixed::from_decimals(maxima)?));
    let points = program.eval_fixed(&fixed, units.len())?;
    let Some(FixedBatch::Num(m)) = fixed.pop() else { unreachable!("the maxima come last") };
    let whole = store_fixed(rs, leaf, run.first, units, (maxima, m), &points, col, failures) && units.len() == run.shapes.len();
    Some(whole.then_some(points))
}

/// Stores the fixed-point points of the units `units` (slots of the run
/// starting at `first`, with their maxima, as decimals and in fixed point):
/// directly when they need no rounding and lie within range, else through
/// [`store`]. Returns whether every one was stored directly.
#[allow(clippy::too_many_arguments)]
fn store_fixed(
    rs: &RuleSet,
    leaf: usize,
    first: usize,
    units: &[usize],
    (maxima, fixed_maxima): (&[Decimal], Fixed),
    points: &Fixed,
    col: &mut [Decimal],
    failures: &mut Vec<Failure>,
) -> bool {
    let limits = (points.scale <= rs.model.rounding.leaf.decimals).then(|| fixed_maxima.at_scale(points.scale)).flatten();
    let mut direct = true;
    for (j, (&k, &max)) in units.iter().zip(maxima).enumerate() {
        let p = points.decimal(j);
        match &limits {
            Some(l) if (0..=l.m[j]).contains(&points.m[j]) => col[k] = p,
            _ => {
                direct = false;
                store(rs, leaf, first + k, max, &mut col[k], Ok(p), failures);
            }
        }
    }
    direct
}

/// Pass 3 for a run: awarded points set, points summed into parents node
/// by node (bottom-up), then each unit's parts, total, scale and index.
/// The problems found are added in unit order.
///
/// Where one shape covers the run, whole columns are summed; in fixed point
/// (`fixed`, per node) where they fit, so a parent takes one decimal per
/// unit however many children it has.
fn aggregate_chunk(
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
    for i in (0..model.nodes.len()).rev() {
        let node = &model.nodes[i];
        let (before, from_i) = points.split_at_mut(i * n);
        let col = &mut from_i[..n];
        // Every child is in: the fixed-point sum becomes the node's points.
        if let Some(sum) = sums[i].take() {
            if mixed[i] {
                col.iter_mut().enumerate().for_each(|(k, p)| *p += sum.decimal(k));
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
                                    into.iter_mut().enumerate().for_each(|(k, a)| *a += sum.decimal(k) + c.decimal(k));
                                    mixed[p] = true;
                                }
                            },
                            (None, sum) => {
                                into.iter_mut().zip(col.iter()).for_each(|(a, b)| *a += *b);
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
                    // Validation proved the points lie within 0 and the
                    // unit's maximum; a what-if caps them at a lower one.
                    if model.what_if && col[k] > s[i].max {
                        col[k] = s[i].max;
                        adjusted[k] += 1;
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
                    into[k] += col[k];
                    mixed[*p] = true;
                }
            }
        }
    }
    let points = Arc::new(Points { units: n, points: points.into_boxed_slice() });
    let part_roots: Vec<(usize, usize)> =
        model.nodes.iter().enumerate().filter_map(|(i, node)| node.part.filter(|_| node.part_root).map(|p| (i, p))).collect();
    let roots: Vec<usize> = model.components().collect();
    let units = shapes
        .iter()
        .enumerate()
        .map(|(k, shape)| {
            let u = first + k;
            let unit_id = &model.units[u].id;
            let at = |i: usize| points.points[i * n + k];
            let mut parts: Vec<Option<Decimal>> = vec![None; model.parts.len()];
            for &(i, p) in &part_roots {
                match shape[i].status {
                    // Validation refuses points that cover criteria of
                    // another part: a part's first criterion is never covered.
                    s if s.in_scale() => *parts[p].get_or_insert(Decimal::ZERO) += at(i),
                    _ => {}
                }
            }
            let (mut total, mut scale) = (Decimal::ZERO, Decimal::ZERO);
            for &i in &roots {
                if shape[i].status.in_scale() {
                    total += at(i);
                    scale += shape[i].max;
                }
            }
            let index = if scale.is_zero() {
                let diag = Diagnostic::error(Code::BadMaximum, format!("unit `{unit_id}` has a scale of 0: it is evaluated on nothing"))
                    .unit(unit_id);
                found.push((k, Failure { leaf: None, diag }));
                Decimal::ZERO
            } else {
                total / scale * Decimal::ONE_HUNDRED
            };
            UnitResult {
                unit: u,
                shape: Arc::clone(shape),
                points: Arc::clone(&points),
                slot: k,
                parts,
                total,
                scale,
                index,
                rank: 0,
                adjusted: adjusted[k],
            }
        })
        .collect();
    found.sort_by_key(|(k, _)| *k);
    failures.extend(found.into_iter().map(|(_, f)| f));
    units
}

/// Runs a rule leaf's script for one unit with rhai.
fn interpreted(rs: &RuleSet, leaf: usize, u: usize, max: Decimal) -> Result<Decimal, LeafError> {
    let rule = rs.model.nodes[leaf].rule.as_ref().expect("a rule leaf");
    let x = rule_input(&rs.model, &rs.data, leaf, u, max).map_err(LeafError::Missing)?;
    rs.rules.call(&rs.scripts[rule.script], x).map_err(LeafError::Failed)
}

/// Units per parallel task: large enough to amortise scheduling.
pub const CHUNK: usize = 256;

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
    debug_assert!(units.iter().enumerate().all(|(i, u)| u.unit == i), "results are in the model's order");
    crate::score::aggregate::rank(model, &mut units);
    let averages = crate::score::aggregate::averages(model, &units);
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
fn out_of_range(points: Decimal, max: Decimal) -> bool {
    cmp_dec(points, max).is_gt() || (points.is_sign_negative() && !points.is_zero())
}

/// The nearest ancestor of node `i` whose awarded points stand for it.
pub fn covering_ancestor(model: &Model, nodes: &[NodeShape], mut i: usize) -> Option<usize> {
    while let Some(p) = model.nodes[i].parent {
        if nodes[p].status == Status::Awarded {
            return Some(p);
        }
        i = p;
    }
    None
}

fn range_error(points: Decimal, max: Decimal, loc: Location, unit: &str, criterion: &str) -> Diagnostic {
    let (code, what) = if points > max {
        (Code::ScoreAboveMax, format!("above its maximum {max}"))
    } else {
        (Code::ScoreBelowZero, "below 0".to_string())
    };
    Diagnostic::error(code, format!("unit `{unit}` has {points} points at criterion `{criterion}`, {what}"))
        .at(loc)
        .unit(unit)
        .criterion(criterion)
        .help(format!("points must lie between 0 and {max}"))
}
