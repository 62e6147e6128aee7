//! Evaluate: the points of every node for every unit.
//!
//! Three passes over the pre-ordered tree, one file each:
//! 1. **status** (`eval/status.rs`), top-down per unit: not applicable to its kind, exempt (and
//!    by which exemption), covered by points awarded higher up, awarded here,
//!    scored by a rule, or the sum of its children;
//! 2. **rule leaves** (`eval/leaf.rs`), one column at a time: each scored leaf's rule runs for
//!    every unit that needs it, results rounded as the rules declare;
//! 3. **sums** (`eval/sums.rs`), bottom-up over whole columns: maxima and points summed into
//!    parents, parts and the total, every node checked against 0 and its
//!    maximum.
//!
//! Any error (missing data, a failing rule, points above a maximum) is
//! collected with the unit and criterion, and no result is returned.

use std::sync::{Arc, Mutex};

use rayon::prelude::*;
use rust_decimal::Decimal;

use crate::data::InputColumn;
use crate::diag::{Code, Diagnostic, Diagnostics, Location};
use crate::formula::compile::Plan;
use crate::formula::decimal::cmp_dec;
use crate::formula::fixed::Fixed;
use crate::input::model::Model;
use crate::score::ruleset::RuleSet;

mod leaf;
mod status;
mod sums;

pub use leaf::rule_input;
use leaf::{leaf_inputs, score_leaf};
pub use status::templates;
use status::unit_shape;
use sums::aggregate_chunk;

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

/// The points of a run of consecutive units, node by node: one column per
/// node, with a slot per unit of the run, so a rule leaf's points for the
/// whole run lie side by side.
#[derive(Debug, PartialEq, Eq)]
struct Points {
    units: usize,
    columns: Box<[PointColumn]>,
}

impl Points {
    /// The points `points[node * units + slot]`, each column kept compactly.
    fn new(units: usize, points: &[Decimal]) -> Points {
        let columns = if units == 0 { Box::default() } else { points.chunks(units).map(PointColumn::of).collect() };
        Points { units, columns }
    }

    #[inline]
    fn get(&self, node: usize, slot: usize) -> Decimal {
        self.columns[node].get(slot)
    }
}

/// One node's points over a run. A decimal takes 16 bytes; most columns
/// hold points of one scale whose mantissas fit in 16 or 32 bits (a
/// national year's 10⁸ points take 0.2 GB instead of 1.6 GB), so they are
/// kept as those mantissas and that scale, which give back each decimal as
/// it was, scale included.
#[derive(Debug, Clone)]
pub enum PointColumn {
    /// Every point the same decimal.
    Same(Decimal, usize),
    Small(u32, Box<[i16]>),
    Int(u32, Box<[i32]>),
    Dec(Box<[Decimal]>),
}

impl PointColumn {
    fn of(col: &[Decimal]) -> PointColumn {
        let Some(&first) = col.first() else { return PointColumn::Dec(Box::default()) };
        // A negative zero keeps its sign only as a decimal.
        let plain = |d: &Decimal| d.scale() == first.scale() && !(d.is_zero() && d.is_sign_negative());
        if col.iter().all(|d| d.serialize() == first.serialize()) {
            return PointColumn::Same(first, col.len());
        }
        // One pass while the mantissas fit 16 bits, then on in 32 bits.
        let mut small: Vec<i16> = Vec::with_capacity(col.len());
        for d in col {
            if !plain(d) {
                return PointColumn::Dec(col.into());
            }
            match i16::try_from(d.mantissa()) {
                Ok(m) => small.push(m),
                Err(_) => break,
            }
        }
        if small.len() == col.len() {
            return PointColumn::Small(first.scale(), small.into());
        }
        let mut int: Vec<i32> = Vec::with_capacity(col.len());
        int.extend(small.iter().map(|&m| i32::from(m)));
        for d in &col[small.len()..] {
            match i32::try_from(d.mantissa()) {
                Ok(m) if plain(d) => int.push(m),
                _ => return PointColumn::Dec(col.into()),
            }
        }
        PointColumn::Int(first.scale(), int.into())
    }

    /// The point of slot `k`.
    #[inline]
    pub fn get(&self, k: usize) -> Decimal {
        match self {
            PointColumn::Same(d, _) => *d,
            PointColumn::Small(scale, m) => Decimal::new(i64::from(m[k]), *scale),
            PointColumn::Int(scale, m) => Decimal::new(i64::from(m[k]), *scale),
            PointColumn::Dec(v) => v[k],
        }
    }

    pub fn len(&self) -> usize {
        match self {
            PointColumn::Same(_, n) => *n,
            PointColumn::Small(_, m) => m.len(),
            PointColumn::Int(_, m) => m.len(),
            PointColumn::Dec(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every point, by slot.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = Decimal> + '_ {
        (0..self.len()).map(|k| self.get(k))
    }

    /// The points into `out`, one per slot.
    fn write_into(&self, out: &mut [Decimal]) {
        out.iter_mut().zip(self.iter()).for_each(|(o, d)| *o = d);
    }
}

/// Equal when every point is equal as a number, as slices of decimals compare.
impl PartialEq for PointColumn {
    fn eq(&self, o: &Self) -> bool {
        match (self, o) {
            (PointColumn::Small(a, x), PointColumn::Small(b, y)) if a == b => x == y,
            (PointColumn::Int(a, x), PointColumn::Int(b, y)) if a == b => x == y,
            _ => self.len() == o.len() && self.iter().eq(o.iter()),
        }
    }
}

impl Eq for PointColumn {}

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
        NodeResult { status, max, points: self.points.get(i, self.slot) }
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
    pub fn run_points(&self, i: usize) -> &PointColumn {
        &self.points.columns[i]
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

/// A problem found while evaluating one unit, before grouping.
struct Failure {
    /// The leaf whose rule failed, to group identical failures; `None` for other problems.
    leaf: Option<usize>,
    diag: Diagnostic,
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

/// A chunk's results, each taken out once into the outcome.
type Slots = Mutex<Vec<Option<UnitResult>>>;

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
    let chunk = |c: usize| {
        let mut failures = Vec::new();
        let first = c * CHUNK;
        let units = evaluate_chunk(rs, &inputs, reuse.as_ref(), first, CHUNK.min(n - first), &mut failures);
        (units, failures)
    };
    // One chunk (a province) is evaluated here, without starting the pool.
    let tasks = n.div_ceil(CHUNK);
    let (mut units, failures) = if tasks <= 1 {
        if tasks == 1 {
            chunk(0)
        } else {
            Default::default()
        }
    } else {
        // The chunks' results are moved into one vector by both processors,
        // where one thread concatenated them, touching the vector's pages
        // for the first time: a million units' `score` took 0.97× the time
        // (medians of two alternated runs).
        let chunks: Vec<(Slots, Vec<Failure>)> = (0..tasks)
            .into_par_iter()
            .map(|c| {
                let (units, failures) = chunk(c);
                (Mutex::new(units.into_iter().map(Some).collect()), failures)
            })
            .collect();
        let take = |u: usize| {
            let mut slots = chunks[u / CHUNK].0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            slots[u % CHUNK].take().unwrap_or_else(|| unreachable!("each unit's result is taken once"))
        };
        let units: Vec<UnitResult> = (0..n).into_par_iter().with_min_len(CHUNK).map(take).collect();
        (units, chunks.into_iter().flat_map(|(_, f)| f).collect())
    };
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

#[cfg(test)]
mod point_column_tests {
    use super::PointColumn;
    use rust_decimal::Decimal;

    fn kept(col: &[Decimal]) -> PointColumn {
        let c = PointColumn::of(col);
        let back: Vec<Decimal> = c.iter().collect();
        assert_eq!(back.iter().map(Decimal::serialize).collect::<Vec<_>>(), col.iter().map(Decimal::serialize).collect::<Vec<_>>());
        c
    }

    #[test]
    fn columns_give_back_each_decimal_scale_and_sign_included() {
        let d = |m: i64, s: u32| Decimal::new(m, s);
        assert!(matches!(kept(&[d(75, 2), d(75, 2)]), PointColumn::Same(..)));
        assert!(matches!(kept(&[d(75, 2), d(100, 2), d(0, 2)]), PointColumn::Small(2, _)));
        assert!(matches!(kept(&[d(40_000, 2), d(1, 2)]), PointColumn::Int(2, _)));
        assert!(matches!(kept(&[d(1 << 40, 2), d(1, 2)]), PointColumn::Dec(_)));
        // Mixed scales and a negative zero stay decimals.
        assert!(matches!(kept(&[d(5, 1), d(50, 2)]), PointColumn::Dec(_)));
        let mut negative_zero = d(0, 2);
        negative_zero.set_sign_negative(true);
        assert!(matches!(kept(&[d(0, 2), negative_zero, d(1, 2)]), PointColumn::Dec(_)));
        assert!(matches!(kept(&[d(-3, 2), d(i64::from(i16::MIN), 2)]), PointColumn::Small(2, _)));
        // Past 16 bits midway, and then past 32 bits or another scale.
        assert!(matches!(kept(&[d(1, 2), d(2, 2), d(-40_000, 2), d(3, 2)]), PointColumn::Int(2, _)));
        assert!(matches!(kept(&[d(1, 2), d(40_000, 2), d(1 << 40, 2)]), PointColumn::Dec(_)));
        assert!(matches!(kept(&[d(1, 2), d(40_000, 2), d(4, 1)]), PointColumn::Dec(_)));
        assert!(matches!(kept(&[d(1, 2), d(40_000, 2), negative_zero]), PointColumn::Dec(_)));
        // Numbers compare as numbers: 0.5 is 0.50.
        assert_eq!(PointColumn::of(&[d(5, 1), d(1, 1)]), PointColumn::of(&[d(50, 2), d(10, 2)]));
        assert_ne!(PointColumn::of(&[d(5, 1), d(1, 1)]), PointColumn::of(&[d(5, 1), d(2, 1)]));
    }
}
