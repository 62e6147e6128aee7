//! Formula: the one rhai engine with its limits and helpers (`rules`), the
//! parameters each script declares (`params`), the tracing of each rule into
//! a small IR (`compile`), and the one kernel that runs it over a batch of
//! units (`kernel`) in exact fixed point (`fixed`) or checked decimals
//! (`decimal`).

pub mod compile;
pub mod decimal;
pub mod fixed;
pub mod kernel;
pub mod params;
pub mod rules;

use std::sync::OnceLock;

use rust_decimal::Decimal;

use crate::diag::{Code, Diagnostic};
use crate::formula::compile::Plan;
use crate::formula::decimal::Batch;
use crate::formula::fixed::{Fixed, FixedBatch};
use crate::formula::rules::Rules;

/// The shared engine of the entry points below, under the default limits.
fn engine() -> &'static Rules {
    static RULES: OnceLock<Rules> = OnceLock::new();
    RULES.get_or_init(Rules::default)
}

/// Runs `score(x)` of the rule script `script` (its text) for one unit, by
/// rhai: the reference every other evaluator is held to. `inputs` are the
/// fields of `x` (`max` among them, 0 when absent). Never panics, whatever
/// the text and the numbers: every failure is a diagnostic with its code
/// (`SCRIPT_COMPILE`, `SCRIPT_IMPORT`, `SCRIPT_RUNTIME`, `SCRIPT_OVERFLOW`,
/// `SCRIPT_NOT_NUMBER`). Meant for fuzzing and for trying a formula.
pub fn evaluate_script_str(script: &str, inputs: &[(&str, Decimal)]) -> Result<Decimal, Diagnostic> {
    let rules = engine();
    let compiled = rules.compile("script", &source(script))?;
    rules.call(&compiled, map(inputs))
}

/// Every evaluator's answer for one script and one unit's inputs.
#[derive(Debug, Clone, PartialEq)]
pub struct Answers {
    /// rhai running the script (the reference), or the code of its failure.
    pub rhai: Result<Decimal, Code>,
    /// The traced formula in checked decimals; `None` when the formula
    /// cannot be traced (it then always runs in rhai).
    pub decimal: Option<Result<Decimal, Code>>,
    /// The traced formula in fixed point; `None` when it cannot be traced
    /// or a step does not fit fixed point (the decimals then answer).
    pub fixed: Option<Decimal>,
}

impl Answers {
    /// Whether the evaluators agree: the same number, or the same code.
    pub fn agree(&self) -> bool {
        let decimal = self.decimal.as_ref().map_or(true, |d| *d == self.rhai);
        let fixed = self.fixed.map_or(true, |f| self.rhai == Ok(f));
        decimal && fixed
    }
}

/// Runs `script` for one unit's `inputs` (as [`evaluate_script_str`]) in
/// every evaluator: rhai, and the traced formula in decimals and in fixed
/// point, with every input a traced value. A fuzz target asserts
/// [`Answers::agree`]; a script that does not compile is its diagnostic.
pub fn evaluate_script_str_everywhere(script: &str, inputs: &[(&str, Decimal)]) -> Result<Answers, Diagnostic> {
    let rules = engine();
    let compiled = rules.compile("script", &source(script))?;
    let rhai = rules.call(&compiled, map(inputs)).map_err(|d| d.code);
    let names: Vec<String> = inputs.iter().filter(|(k, _)| *k != "max").map(|(k, _)| k.to_string()).collect();
    let Plan::Native(program) = rules.trace(&compiled, &names, &rhai::Map::new()) else {
        return Ok(Answers { rhai, decimal: None, fixed: None });
    };
    let value = |name: &str| inputs.iter().rev().find(|(k, _)| *k == name).map_or(Decimal::ZERO, |(_, v)| *v);
    let slots: Vec<Decimal> = names.iter().map(|n| value(n)).chain([value("max")]).collect();
    let batches: Vec<Batch> = slots.iter().map(|d| Batch::Num(vec![*d])).collect();
    let mut errors = [None];
    let points = program.eval_batch(&batches, &mut errors);
    let decimal = match &errors[0] {
        Some(e) => Err(e.code()),
        None => points.first().copied().ok_or(Code::ScriptRuntime),
    };
    let fixed: Option<Vec<FixedBatch>> = slots.iter().map(|d| Fixed::from_decimals(&[*d]).map(FixedBatch::Num)).collect();
    let fixed = fixed.and_then(|f| program.eval_fixed(&f, 1)).map(|f| f.decimal(0));
    Ok(Answers { rhai, decimal: Some(decimal), fixed })
}

fn source(script: &str) -> crate::input::load::Source {
    crate::input::load::Source::new("script.rhai", script)
}

fn map(inputs: &[(&str, Decimal)]) -> rhai::Map {
    let mut x: rhai::Map = inputs.iter().map(|(k, v)| ((*k).into(), rhai::Dynamic::from_decimal(*v))).collect();
    x.entry("max".into()).or_insert_with(|| rhai::Dynamic::from_decimal(Decimal::ZERO));
    x
}
