//! Pass 2, rule leaves: each scored leaf's formula over a whole run of
//! units at once, in fixed point where it fits, else in checked decimals,
//! else in rhai; results rounded as declared and checked against 0 and the
//! leaf's maximum.

use rust_decimal::Decimal;

use super::{out_of_range, range_error, Failure, Reuse, Run, Status};
use crate::data::{Data, InputColumn};
use crate::diag::{Code, Diagnostic, Location};
use crate::formula::compile::Plan;
use crate::formula::decimal::{Batch, EvalError};
use crate::formula::fixed::{Fixed, FixedBatch};
use crate::input::model::{Model, Value};
use crate::score::located;
use crate::score::ruleset::RuleSet;

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

/// Why a rule leaf has no points for a unit.
enum LeafError {
    /// The unit has no value for this data key.
    Missing(String),
    Failed(Box<Diagnostic>),
}

/// The input columns of each rule leaf, resolved once.
pub(super) fn leaf_inputs<'a>(rs: &'a RuleSet) -> Vec<Vec<Option<InputColumn<'a>>>> {
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
        diag: located::missing_data(
            rs,
            node,
            key,
            Diagnostic::error(Code::MissingData, format!("no data `{key}` for unit `{unit_id}` at criterion `{}`", node.id)),
        )
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
                // Reported: summed as 0, so no sum above it can overflow.
                *slot = Decimal::ZERO;
            }
        }
        Err(LeafError::Missing(key)) => failures.push(missing(rs, leaf, u, &key)),
        Err(LeafError::Failed(d)) => failures.push(Failure { leaf: Some(leaf), diag: rule_failure(rs, leaf, u, *d) }),
    }
}

/// A rule's failure for unit `u` at `leaf`, with both named; an overflow is
/// placed at the criterion, whichever evaluator found it.
fn rule_failure(rs: &RuleSet, leaf: usize, u: usize, d: Diagnostic) -> Diagnostic {
    let node = &rs.model.nodes[leaf];
    let d = if d.code == Code::ScriptOverflow { d.at(node.location.clone()) } else { d };
    located::called_by(rs, d, node).unit(&rs.model.units[u].id).criterion(&node.id)
}

/// The diagnostic of a native evaluation's failure: what rhai reports for it.
fn native_error(script: &crate::formula::rules::CompiledScript, e: &EvalError) -> Diagnostic {
    match e.code() {
        Code::ScriptOverflow => crate::formula::rules::overflow_error(&script.name),
        code => Diagnostic::error(code, format!("rule `{}` failed: {e}", script.name)).at(Location::file(&script.path)),
    }
}

/// Pass 2 for one rule leaf over a run: its points for every unit scored
/// there, in `col` (one slot per unit of the run). Returns the same points
/// in fixed point when every unit of the run got them from fixed point.
#[allow(clippy::too_many_arguments)]
pub(super) fn score_leaf(
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
            points.columns[prev_leaf].write_into(col);
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
            Some(e) => {
                Err(LeafError::Failed(Box::new(located::native_failure(rs, (leaf, first + k, max(k)), script, native_error(script, &e)))))
            }
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

/// Runs a rule leaf's script for one unit with rhai.
fn interpreted(rs: &RuleSet, leaf: usize, u: usize, max: Decimal) -> Result<Decimal, LeafError> {
    let rule = rs.model.nodes[leaf].rule.as_ref().expect("a rule leaf");
    let x = rule_input(&rs.model, &rs.data, leaf, u, max).map_err(LeafError::Missing)?;
    rs.rules.call(&rs.scripts[rule.script], x).map_err(|d| LeafError::Failed(Box::new(d)))
}
