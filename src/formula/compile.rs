//! Compile: turn a rule leaf's rhai formula into a native program, once per load.
//!
//! A formula is *traced*: `score(x)` runs once in rhai with the leaf's
//! constant `params` as they are and each input (and `max`) as a symbol.
//! Arithmetic, comparisons and the helper library applied to symbols build an
//! expression tree instead of a number: the small IR of [`Expr`], where each
//! helper of the library becomes the primitives that define it
//! (`proportional(v, t, m)` is `max(min(v / t, 1), 0) * m`). The tree is then
//! run by [`crate::formula::kernel`] over batches of units, in exact fixed
//! point or in the checked decimal operations rhai performs, so results are
//! identical to running the script per unit, only without the interpreter.
//!
//! A formula that cannot be traced (one that branches on data with `if`,
//! loops over data, or works on text) is run by rhai for each unit instead:
//! always exact, just slower.

use std::sync::Arc;

use rhai::{Array, Dynamic, Engine, EvalAltResult, Position};
use rust_decimal::Decimal;

/// One node of a traced formula: numbers, booleans (comparisons) and the
/// two helpers that are not arithmetic, `tiers` and counting.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// Input slot: the leaf's inputs in name order, then `max`.
    Input(usize),
    Const(Decimal),
    Bool(bool),
    Add(Box<Expr>, Box<Expr>),
    Sub(Box<Expr>, Box<Expr>),
    Mul(Box<Expr>, Box<Expr>),
    Div(Box<Expr>, Box<Expr>),
    Neg(Box<Expr>),
    Cmp(CmpOp, Box<Expr>, Box<Expr>),
    Min(Box<Expr>, Box<Expr>),
    Max(Box<Expr>, Box<Expr>),
    /// `tiers(value, bands, otherwise)` with constant bands.
    Tiers {
        value: Box<Expr>,
        bands: Arc<[(Decimal, Decimal)]>,
        otherwise: Box<Expr>,
    },
    /// Number of truthy items (`count`, and `checklist` times its points).
    Count(Vec<Expr>),
}

/// The helpers of `crate::formula::rules` as primitives: each says what
/// the helper means, exactly as the rhai helper computes it.
impl Expr {
    /// `proportional(v, t, m)`: `m × v / t`, the share capped to 0..1.
    pub fn proportional(v: Expr, t: Expr, m: Expr) -> Expr {
        let share = Expr::clamp(Expr::Div(Box::new(v), Box::new(t)), Expr::Const(Decimal::ZERO), Expr::Const(Decimal::ONE));
        Expr::Mul(Box::new(share), Box::new(m))
    }

    /// `clamp(v, lo, hi)`: `min(max(v, lo), hi)`.
    pub fn clamp(v: Expr, lo: Expr, hi: Expr) -> Expr {
        Expr::Min(Box::new(Expr::Max(Box::new(v), Box::new(lo))), Box::new(hi))
    }

    /// `deduct(max, per, count, floor)`: `max(max − per × count, floor)`.
    pub fn deduct(max: Expr, per: Expr, count: Expr, floor: Expr) -> Expr {
        let left = Expr::Sub(Box::new(max), Box::new(Expr::Mul(Box::new(per), Box::new(count))));
        Expr::Max(Box::new(left), Box::new(floor))
    }

    /// `percent(a, b)`: `a / b × 100`.
    pub fn percent(a: Expr, b: Expr) -> Expr {
        Expr::Mul(Box::new(Expr::Div(Box::new(a), Box::new(b))), Box::new(Expr::Const(Decimal::ONE_HUNDRED)))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

impl CmpOp {
    /// Whether the comparison holds for an ordering of its operands.
    pub(crate) fn holds(self, o: std::cmp::Ordering) -> bool {
        match self {
            CmpOp::Lt => o.is_lt(),
            CmpOp::Le => o.is_le(),
            CmpOp::Gt => o.is_gt(),
            CmpOp::Ge => o.is_ge(),
            CmpOp::Eq => o.is_eq(),
            CmpOp::Ne => o.is_ne(),
        }
    }
}

/// A symbolic value during tracing.
#[derive(Debug, Clone)]
pub struct Sym(pub Arc<Expr>);

fn rt<T>(msg: impl Into<String>) -> Result<T, Box<EvalAltResult>> {
    Err(Box::new(EvalAltResult::ErrorRuntime(Dynamic::from(msg.into()), Position::NONE)))
}

/// A traced operand: a symbol or a constant.
fn operand(d: &Dynamic) -> Option<Expr> {
    if let Some(s) = d.read_lock::<Sym>() {
        return Some((*s.0).clone());
    }
    if let Ok(v) = d.as_decimal() {
        return Some(Expr::Const(v));
    }
    if let Ok(v) = d.as_int() {
        return Some(Expr::Const(Decimal::from(v)));
    }
    d.as_bool().ok().map(Expr::Bool)
}

fn sym(e: Expr) -> Dynamic {
    Dynamic::from(Sym(Arc::new(e)))
}

fn bin(a: &Dynamic, b: &Dynamic, f: fn(Box<Expr>, Box<Expr>) -> Expr) -> Result<Dynamic, Box<EvalAltResult>> {
    match (operand(a), operand(b)) {
        (Some(x), Some(y)) => Ok(sym(f(Box::new(x), Box::new(y)))),
        _ => rt(format!("cannot trace an operation on {} and {}", a.type_name(), b.type_name())),
    }
}

fn is_sym(d: &Dynamic) -> bool {
    d.is::<Sym>()
}

fn any_sym(ds: &[&Dynamic]) -> bool {
    ds.iter().any(|d| is_sym(d))
}

/// Registers operators on symbols, and symbolic overloads of the helper
/// library (which fall back to the numeric helpers when nothing is symbolic).
pub fn register_tracing(engine: &mut Engine) {
    engine.register_type_with_name::<Sym>("traced value");
    macro_rules! ops {
        ($name:literal, $f:expr) => {
            engine.register_fn($name, |a: Sym, b: Sym| bin(&Dynamic::from(a), &Dynamic::from(b), $f));
            engine.register_fn($name, |a: Sym, b: Decimal| bin(&Dynamic::from(a), &Dynamic::from_decimal(b), $f));
            engine.register_fn($name, |a: Decimal, b: Sym| bin(&Dynamic::from_decimal(a), &Dynamic::from(b), $f));
            engine.register_fn($name, |a: Sym, b: i64| bin(&Dynamic::from(a), &Dynamic::from_int(b), $f));
            engine.register_fn($name, |a: i64, b: Sym| bin(&Dynamic::from_int(a), &Dynamic::from(b), $f));
        };
    }
    ops!("+", Expr::Add);
    ops!("-", Expr::Sub);
    ops!("*", Expr::Mul);
    ops!("/", Expr::Div);
    ops!("min", Expr::Min);
    ops!("max", Expr::Max);
    ops!("<", |a, b| Expr::Cmp(CmpOp::Lt, a, b));
    ops!("<=", |a, b| Expr::Cmp(CmpOp::Le, a, b));
    ops!(">", |a, b| Expr::Cmp(CmpOp::Gt, a, b));
    ops!(">=", |a, b| Expr::Cmp(CmpOp::Ge, a, b));
    ops!("==", |a, b| Expr::Cmp(CmpOp::Eq, a, b));
    ops!("!=", |a, b| Expr::Cmp(CmpOp::Ne, a, b));
    engine.register_fn("-", |a: Sym| Sym(Arc::new(Expr::Neg(Box::new((*a.0).clone())))));
}

/// Symbolic `tiers`, or `None` when no argument is symbolic.
pub fn trace_tiers(v: &Dynamic, bands: &Array, otherwise: &Dynamic) -> Option<Result<Dynamic, Box<EvalAltResult>>> {
    if !any_sym(&[v, otherwise]) {
        return None;
    }
    let mut out = Vec::with_capacity(bands.len());
    for b in bands {
        let Some(pair) = b.read_lock::<Array>() else { return Some(rt("each band of `tiers` must be [threshold, points]")) };
        let nums: Option<Vec<Decimal>> = pair.iter().map(crate::formula::rules::to_decimal).collect();
        match nums.as_deref() {
            Some([t, p]) => out.push((*t, *p)),
            // Bands computed from data cannot be compiled: run the script per unit.
            _ => return Some(rt("`tiers` bands must be constant numbers to compile")),
        }
    }
    let (Some(value), Some(other)) = (operand(v), operand(otherwise)) else { return Some(rt("cannot trace `tiers`")) };
    Some(Ok(sym(Expr::Tiers { value: Box::new(value), bands: out.into(), otherwise: Box::new(other) })))
}

/// Symbolic `proportional`, `clamp`, `deduct`, `ratio`, `percent`.
pub fn trace_call(name: &str, args: &[&Dynamic]) -> Option<Result<Dynamic, Box<EvalAltResult>>> {
    if !any_sym(args) {
        return None;
    }
    let ops: Option<Vec<Expr>> = args.iter().map(|d| operand(d)).collect();
    let Some(mut ops) = ops else { return Some(rt(format!("cannot trace `{name}`"))) };
    let mut take = || ops.remove(0);
    let e = match (name, args.len()) {
        ("proportional", 3) => Expr::proportional(take(), take(), take()),
        ("clamp", 3) => Expr::clamp(take(), take(), take()),
        ("deduct", 4) => Expr::deduct(take(), take(), take(), take()),
        ("ratio", 2) => Expr::Div(Box::new(take()), Box::new(take())),
        ("percent", 2) => Expr::percent(take(), take()),
        _ => return Some(rt(format!("cannot trace `{name}`"))),
    };
    Some(Ok(sym(e)))
}

/// Symbolic `checklist`/`count` over an array with symbolic items.
pub fn trace_count(items: &Array) -> Option<Result<Expr, Box<EvalAltResult>>> {
    if !items.iter().any(is_sym) {
        return None;
    }
    let ops: Option<Vec<Expr>> = items.iter().map(operand).collect();
    Some(ops.map(Expr::Count).ok_or_else(|| Box::new(EvalAltResult::ErrorRuntime("cannot trace `checklist`".into(), Position::NONE))))
}

pub fn count_sym(e: Expr) -> Dynamic {
    sym(e)
}

pub fn mul_sym(a: Expr, b: &Dynamic) -> Result<Dynamic, Box<EvalAltResult>> {
    match operand(b) {
        Some(y) => Ok(sym(Expr::Mul(Box::new(a), Box::new(y)))),
        None => rt("cannot trace `checklist`"),
    }
}

/// A compiled formula: the expression, with its slot count.
#[derive(Debug, Clone, PartialEq)]
pub struct Program {
    pub expr: Expr,
    pub slots: usize,
}

/// The outcome of tracing a formula.
#[derive(Debug, Clone, PartialEq)]
pub enum Plan {
    /// Evaluated natively.
    Native(Program),
    /// Run by rhai for each unit; why it could not be compiled.
    Interpreted(String),
}
