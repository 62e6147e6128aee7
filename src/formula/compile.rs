//! Compile: turn a rule leaf's rhai formula into a native program, once per load.
//!
//! A formula is *traced*: `score(x)` runs once in rhai with the leaf's
//! constant `params` as they are and each input (and `max`) as a symbol.
//! Arithmetic, comparisons and the helper library applied to symbols build an
//! expression tree instead of a number. The tree is then evaluated natively
//! for every unit, with exactly the decimal operations rhai performs (checked
//! `rust_decimal` arithmetic, the same helper definitions), so results are
//! identical to running the script per unit, only without the interpreter.
//!
//! A formula that cannot be traced (one that branches on data with `if`,
//! loops over data, or works on text) is run by rhai for each unit instead:
//! always exact, just slower. Two rewrites keep the native path fast while
//! provably giving the same answers: a `tiers` test of `a / b` on integers
//! compares `a ≥ t·b` in 128-bit integers (only where the decimal quotient
//! cannot round across a threshold), and a division by a power of ten is a
//! change of scale.

use std::sync::Arc;

use rhai::{Array, Dynamic, Engine, EvalAltResult, Position};
use rust_decimal::Decimal;

/// One node of a traced formula.
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
    /// `proportional(value, target, max)`.
    Proportional(Box<Expr>, Box<Expr>, Box<Expr>),
    /// Number of truthy items.
    Count(Vec<Expr>),
    /// `deduct(max, per, count, floor)`.
    Deduct(Box<Expr>, Box<Expr>, Box<Expr>, Box<Expr>),
    /// `clamp(v, lo, hi)`.
    Clamp(Box<Expr>, Box<Expr>, Box<Expr>),
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

/// A runtime value of the native evaluator.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Val {
    Num(Decimal),
    Bool(bool),
}

/// Why a native evaluation failed; the same failures rhai reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EvalError {
    DivisionByZero,
    Overflow,
    NotANumber(&'static str),
    BadBand,
}

impl std::fmt::Display for EvalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EvalError::DivisionByZero => f.write_str("division by zero"),
            EvalError::Overflow => f.write_str("arithmetic overflow"),
            EvalError::NotANumber(what) => write!(f, "{what} must be a number"),
            EvalError::BadBand => f.write_str("each band of `tiers` must be [threshold, points]"),
        }
    }
}

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
    let mut take = || Box::new(ops.remove(0));
    let e = match name {
        "proportional" => Expr::Proportional(take(), take(), take()),
        "clamp" => Expr::Clamp(take(), take(), take()),
        "deduct" => Expr::Deduct(take(), take(), take(), take()),
        "ratio" => Expr::Div(take(), take()),
        "percent" => Expr::Mul(Box::new(Expr::Div(take(), take())), Box::new(Expr::Const(Decimal::ONE_HUNDRED))),
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

fn num(v: Val, what: &'static str) -> Result<Decimal, EvalError> {
    match v {
        Val::Num(d) => Ok(d),
        Val::Bool(_) => Err(EvalError::NotANumber(what)),
    }
}

fn truthy(v: Val) -> bool {
    match v {
        Val::Bool(b) => b,
        Val::Num(d) => !d.is_zero(),
    }
}

fn div(a: Decimal, b: Decimal) -> Result<Decimal, EvalError> {
    if b.is_zero() {
        return Err(EvalError::DivisionByZero);
    }
    // Division by 10^k is exact: a change of scale.
    if b.scale() == 0 && b.is_sign_positive() {
        if let Some(k) = pow10(b.mantissa()) {
            if a.scale() + k <= 28 {
                let mut r = a;
                if r.set_scale(a.scale() + k).is_ok() {
                    return Ok(r);
                }
            }
        }
    }
    a.checked_div(b).ok_or(EvalError::Overflow)
}

fn pow10(m: i128) -> Option<u32> {
    let mut k = 0;
    let mut x = m;
    while x > 1 {
        if x % 10 != 0 {
            return None;
        }
        x /= 10;
        k += 1;
    }
    (x == 1).then_some(k)
}

/// Integer value of a decimal with no fractional part, if small.
fn small_int(d: Decimal) -> Option<i128> {
    let d = if d.scale() == 0 { d } else { d.normalize() };
    (d.scale() == 0 && d.mantissa().abs() < 1_000_000_000_000).then(|| d.mantissa())
}

/// `a / b >= t` decided exactly in integers, where the decimal quotient
/// cannot round across `t`: |a|, b < 10^12, b > 0, t with at most 6 decimals
/// and |t| < 10^6. Then a/b ≠ t implies |a/b − t| ≥ 10^-18, far above the
/// quotient's rounding error (≤ 10^-20 while |a/b| ≤ 10^7; larger quotients
/// are far above every such threshold anyway).
fn ratio_ge(a: i128, b: i128, t: Decimal) -> Option<bool> {
    let (num, den) = threshold(t)?;
    (b > 0).then(|| a * den >= num * b)
}

/// A `tiers` threshold as the fraction `num / den` (`den` = 10^scale) that
/// [`ratio_ge`] compares with, when it is small enough for its exactness.
pub(crate) fn threshold(t: Decimal) -> Option<(i128, i128)> {
    let scale = t.scale();
    if scale > 6 {
        return None;
    }
    let den = POW10[scale as usize];
    let num = t.mantissa();
    (num.abs() < 1_000_000 * den).then_some((num, den))
}

/// Powers of ten that fit in an `i128` comparison of small decimals.
const POW10: [i128; 19] = {
    let mut p = [1i128; 19];
    let mut i = 1;
    while i < 19 {
        p[i] = p[i - 1] * 10;
        i += 1;
    }
    p
};

/// Compares two decimals by their integer mantissas when their scales can
/// be aligned without overflow (the common case), else as `Decimal`s.
#[inline]
pub fn cmp_dec(a: Decimal, b: Decimal) -> std::cmp::Ordering {
    let (sa, sb) = (a.scale(), b.scale());
    let (ma, mb) = (a.mantissa(), b.mantissa());
    if sa == sb {
        return ma.cmp(&mb);
    }
    // Mantissas under 2^64 times 10^18 stay far below the i128 limit.
    let k = sa.abs_diff(sb) as usize;
    if k < POW10.len() && ma.unsigned_abs() < 1 << 64 && mb.unsigned_abs() < 1 << 64 {
        let f = POW10[k];
        return if sa > sb { ma.cmp(&(mb * f)) } else { (ma * f).cmp(&mb) };
    }
    a.cmp(&b)
}

/// `tiers(x / y, bands)` decided in integers when `x` and `y` are small
/// integers and every threshold allows it: `Some(band points)` or
/// `Some(None)` (below every band); `None` when the decimal quotient is needed.
fn tiers_of_ratio(x: Decimal, y: Decimal, bands: &[(Decimal, Decimal)]) -> Option<Option<Decimal>> {
    let (xi, yi) = (small_int(x)?, small_int(y)?);
    for (t, p) in bands {
        if ratio_ge(xi, yi, *t)? {
            return Some(Some(*p));
        }
    }
    Some(None)
}

impl Program {
    /// Evaluates the formula for one unit's input slots.
    pub fn eval(&self, slots: &[Val]) -> Result<Decimal, EvalError> {
        match eval(&self.expr, slots)? {
            Val::Num(d) => Ok(d),
            Val::Bool(_) => Err(EvalError::NotANumber("the result")),
        }
    }
}

fn eval(e: &Expr, s: &[Val]) -> Result<Val, EvalError> {
    use Val::Num;
    let n = |x: &Expr, what| eval(x, s).and_then(|v| num(v, what));
    Ok(match e {
        Expr::Input(i) => s[*i],
        Expr::Const(d) => Num(*d),
        Expr::Bool(b) => Val::Bool(*b),
        Expr::Add(a, b) => Num(n(a, "an operand")?.checked_add(n(b, "an operand")?).ok_or(EvalError::Overflow)?),
        Expr::Sub(a, b) => Num(n(a, "an operand")?.checked_sub(n(b, "an operand")?).ok_or(EvalError::Overflow)?),
        Expr::Mul(a, b) => Num(n(a, "an operand")?.checked_mul(n(b, "an operand")?).ok_or(EvalError::Overflow)?),
        Expr::Div(a, b) => Num(div(n(a, "an operand")?, n(b, "an operand")?)?),
        Expr::Neg(a) => Num(-n(a, "an operand")?),
        Expr::Cmp(op, a, b) => Val::Bool(op.holds(cmp_dec(n(a, "an operand")?, n(b, "an operand")?))),
        Expr::Min(a, b) => {
            let (x, y) = (n(a, "an operand")?, n(b, "an operand")?);
            Num(if cmp_dec(y, x).is_lt() { y } else { x })
        }
        Expr::Max(a, b) => {
            let (x, y) = (n(a, "an operand")?, n(b, "an operand")?);
            Num(if cmp_dec(y, x).is_gt() { y } else { x })
        }
        Expr::Tiers { value, bands, otherwise } => {
            // The fast, exact path for a ratio of integers.
            if let Expr::Div(a, b) = value.as_ref() {
                let (x, y) = (n(a, "the value of `tiers`")?, n(b, "the value of `tiers`")?);
                if y.is_zero() {
                    return Err(EvalError::DivisionByZero);
                }
                if let Some(hit) = tiers_of_ratio(x, y, bands) {
                    return Ok(Num(match hit {
                        Some(p) => p,
                        None => n(otherwise, "the otherwise of `tiers`")?,
                    }));
                }
                let v = div(x, y)?;
                return Ok(Num(bands
                    .iter()
                    .find(|(t, _)| v >= *t)
                    .map_or_else(|| n(otherwise, "the otherwise of `tiers`"), |(_, p)| Ok(*p))?));
            }
            let v = n(value, "the value of `tiers`")?;
            Num(bands.iter().find(|(t, _)| v >= *t).map_or_else(|| n(otherwise, "the otherwise of `tiers`"), |(_, p)| Ok(*p))?)
        }
        Expr::Proportional(v, t, m) => {
            let q = div(n(v, "value")?, n(t, "target")?)?;
            let share = if cmp_dec(q, Decimal::ONE).is_gt() {
                Decimal::ONE
            } else if q.is_sign_negative() && !q.is_zero() {
                Decimal::ZERO
            } else {
                q
            };
            Num(share.checked_mul(n(m, "max")?).ok_or(EvalError::Overflow)?)
        }
        Expr::Count(items) => {
            let mut c = 0u32;
            for i in items {
                if truthy(eval(i, s)?) {
                    c += 1;
                }
            }
            Num(Decimal::from(c))
        }
        Expr::Deduct(m, per, count, floor) => {
            let d = n(m, "max")? - n(per, "per item")? * n(count, "count")?;
            Num(d.max(n(floor, "floor")?))
        }
        Expr::Clamp(v, lo, hi) => Num(n(v, "value")?.max(n(lo, "low")?).min(n(hi, "high")?)),
    })
}

/// The values of one expression for a batch of units.
#[derive(Debug, Clone)]
pub enum Batch {
    Num(Vec<Decimal>),
    Bool(Vec<bool>),
}

impl Program {
    /// Evaluates the formula for a batch of units at once: `inputs` holds one
    /// batch per slot (the last being `max`), `errors` one slot per unit,
    /// where the first failure of each unit is kept. The values computed are
    /// those of [`Program::eval`] unit by unit; the batch only saves the
    /// dispatch per unit.
    pub fn eval_batch(&self, inputs: &[Batch], errors: &mut [Option<EvalError>]) -> Vec<Decimal> {
        let n = errors.len();
        let r = eval_batch(&self.expr, inputs, n, errors);
        nums(r, n, errors, "the result")
    }
}

fn fail(errors: &mut [Option<EvalError>], i: usize, e: EvalError) {
    if errors[i].is_none() {
        errors[i] = Some(e);
    }
}

fn nums(b: Batch, n: usize, errors: &mut [Option<EvalError>], what: &'static str) -> Vec<Decimal> {
    match b {
        Batch::Num(v) => v,
        Batch::Bool(_) => {
            for i in 0..n {
                fail(errors, i, EvalError::NotANumber(what));
            }
            vec![Decimal::ZERO; n]
        }
    }
}

fn zip_num(
    a: &Expr,
    b: &Expr,
    inputs: &[Batch],
    n: usize,
    errors: &mut [Option<EvalError>],
    f: impl Fn(Decimal, Decimal) -> Result<Decimal, EvalError>,
) -> Batch {
    let x = nums(eval_batch(a, inputs, n, errors), n, errors, "an operand");
    let y = nums(eval_batch(b, inputs, n, errors), n, errors, "an operand");
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        out.push(f(x[i], y[i]).unwrap_or_else(|e| {
            fail(errors, i, e);
            Decimal::ZERO
        }));
    }
    Batch::Num(out)
}

fn pick_band(v: Decimal, bands: &[(Decimal, Decimal)]) -> Option<Decimal> {
    bands.iter().find(|(t, _)| cmp_dec(v, *t).is_ge()).map(|(_, p)| *p)
}

fn eval_batch(e: &Expr, inputs: &[Batch], n: usize, errors: &mut [Option<EvalError>]) -> Batch {
    let num = |e: &Expr, errors: &mut [Option<EvalError>], what| nums(eval_batch(e, inputs, n, errors), n, errors, what);
    match e {
        Expr::Input(i) => inputs[*i].clone(),
        Expr::Const(d) => Batch::Num(vec![*d; n]),
        Expr::Bool(b) => Batch::Bool(vec![*b; n]),
        Expr::Add(a, b) => zip_num(a, b, inputs, n, errors, |x, y| x.checked_add(y).ok_or(EvalError::Overflow)),
        Expr::Sub(a, b) => zip_num(a, b, inputs, n, errors, |x, y| x.checked_sub(y).ok_or(EvalError::Overflow)),
        Expr::Mul(a, b) => zip_num(a, b, inputs, n, errors, |x, y| x.checked_mul(y).ok_or(EvalError::Overflow)),
        Expr::Div(a, b) => zip_num(a, b, inputs, n, errors, div),
        Expr::Min(a, b) => zip_num(a, b, inputs, n, errors, |x, y| Ok(if cmp_dec(y, x).is_lt() { y } else { x })),
        Expr::Max(a, b) => zip_num(a, b, inputs, n, errors, |x, y| Ok(if cmp_dec(y, x).is_gt() { y } else { x })),
        Expr::Neg(a) => Batch::Num(num(a, errors, "an operand").into_iter().map(|x| -x).collect()),
        Expr::Cmp(op, a, b) => {
            let x = num(a, errors, "an operand");
            let y = num(b, errors, "an operand");
            Batch::Bool(x.iter().zip(&y).map(|(x, y)| op.holds(cmp_dec(*x, *y))).collect())
        }
        Expr::Tiers { value, bands, otherwise } => {
            let other = num(otherwise, errors, "the otherwise of `tiers`");
            let mut out = Vec::with_capacity(n);
            if let Expr::Div(a, b) = value.as_ref() {
                let x = num(a, errors, "the value of `tiers`");
                let y = num(b, errors, "the value of `tiers`");
                for i in 0..n {
                    if y[i].is_zero() {
                        fail(errors, i, EvalError::DivisionByZero);
                        out.push(Decimal::ZERO);
                        continue;
                    }
                    let fast = tiers_of_ratio(x[i], y[i], bands);
                    let v = match fast {
                        Some(hit) => hit.unwrap_or(other[i]),
                        None => match div(x[i], y[i]) {
                            Ok(q) => pick_band(q, bands).unwrap_or(other[i]),
                            Err(e) => {
                                fail(errors, i, e);
                                Decimal::ZERO
                            }
                        },
                    };
                    out.push(v);
                }
            } else {
                let v = num(value, errors, "the value of `tiers`");
                for i in 0..n {
                    out.push(pick_band(v[i], bands).unwrap_or(other[i]));
                }
            }
            Batch::Num(out)
        }
        Expr::Proportional(v, t, m) => {
            let (v, t, m) = (num(v, errors, "value"), num(t, errors, "target"), num(m, errors, "max"));
            let mut out = Vec::with_capacity(n);
            for i in 0..n {
                let r = div(v[i], t[i]).and_then(|q| {
                    let share = if cmp_dec(q, Decimal::ONE).is_gt() {
                        Decimal::ONE
                    } else if q.is_sign_negative() && !q.is_zero() {
                        Decimal::ZERO
                    } else {
                        q
                    };
                    share.checked_mul(m[i]).ok_or(EvalError::Overflow)
                });
                out.push(r.unwrap_or_else(|e| {
                    fail(errors, i, e);
                    Decimal::ZERO
                }));
            }
            Batch::Num(out)
        }
        Expr::Count(items) => {
            let mut counts = vec![0u32; n];
            for item in items {
                match eval_batch(item, inputs, n, errors) {
                    Batch::Bool(b) => counts.iter_mut().zip(b).for_each(|(c, x)| *c += u32::from(x)),
                    Batch::Num(v) => counts.iter_mut().zip(v).for_each(|(c, x)| *c += u32::from(!x.is_zero())),
                }
            }
            Batch::Num(counts.into_iter().map(Decimal::from).collect())
        }
        Expr::Deduct(m, per, count, floor) => {
            let (m, per, count, floor) =
                (num(m, errors, "max"), num(per, errors, "per item"), num(count, errors, "count"), num(floor, errors, "floor"));
            Batch::Num((0..n).map(|i| (m[i] - per[i] * count[i]).max(floor[i])).collect())
        }
        Expr::Clamp(v, lo, hi) => {
            let (v, lo, hi) = (num(v, errors, "value"), num(lo, errors, "low"), num(hi, errors, "high"));
            Batch::Num((0..n).map(|i| v[i].max(lo[i]).min(hi[i])).collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn ratio_tiers_in_integers_match_decimal_division() {
        let bands: Arc<[(Decimal, Decimal)]> = vec![(dec!(1), dec!(1)), (dec!(0.95), dec!(0.75)), (dec!(0.9), dec!(0.5))].into();
        let p = Program {
            expr: Expr::Tiers {
                value: Box::new(Expr::Div(Box::new(Expr::Input(0)), Box::new(Expr::Input(1)))),
                bands: bands.clone(),
                otherwise: Box::new(Expr::Const(Decimal::ZERO)),
            },
            slots: 2,
        };
        for total in 1..300i64 {
            for on_time in 0..=total {
                let v = Decimal::from(on_time) / Decimal::from(total);
                let expected = bands.iter().find(|(t, _)| v >= *t).map_or(Decimal::ZERO, |(_, p)| *p);
                let got = p.eval(&[Val::Num(Decimal::from(on_time)), Val::Num(Decimal::from(total))]).unwrap();
                assert_eq!(got, expected, "{on_time}/{total}");
            }
        }
    }

    #[test]
    fn a_batch_gives_what_each_unit_gives() {
        let expr = Expr::Add(
            Box::new(Expr::Tiers {
                value: Box::new(Expr::Div(Box::new(Expr::Input(0)), Box::new(Expr::Input(1)))),
                bands: vec![(dec!(0.95), dec!(1)), (dec!(0.5), dec!(0.5))].into(),
                otherwise: Box::new(Expr::Const(Decimal::ZERO)),
            }),
            Box::new(Expr::Proportional(Box::new(Expr::Input(0)), Box::new(Expr::Const(dec!(30))), Box::new(Expr::Input(2)))),
        );
        let p = Program { expr, slots: 3 };
        let a: Vec<Decimal> = (0..50).map(|i| Decimal::from(i * 7 % 41)).collect();
        let b: Vec<Decimal> = (0..50).map(|i| Decimal::from(i % 9)).collect();
        let m: Vec<Decimal> = (0..50).map(|i| Decimal::new(i % 4 + 1, 1)).collect();
        let mut errors = vec![None; 50];
        let batch = p.eval_batch(&[Batch::Num(a.clone()), Batch::Num(b.clone()), Batch::Num(m.clone())], &mut errors);
        for i in 0..50 {
            match p.eval(&[Val::Num(a[i]), Val::Num(b[i]), Val::Num(m[i])]) {
                Ok(v) => assert_eq!((batch[i], &errors[i]), (v, &None), "unit {i}"),
                Err(e) => assert_eq!(errors[i], Some(e), "unit {i}"),
            }
        }
    }

    #[test]
    fn integer_comparison_agrees_with_decimal() {
        let vals = [
            dec!(0),
            dec!(1),
            dec!(1.0),
            dec!(0.95),
            dec!(0.950),
            dec!(-2.5),
            dec!(100),
            dec!(99.999),
            dec!(1e20),
            dec!(0.0000001),
            dec!(-0),
        ];
        for a in vals {
            for b in vals {
                assert_eq!(cmp_dec(a, b), a.cmp(&b), "{a} vs {b}");
            }
        }
    }

    #[test]
    fn division_by_powers_of_ten_is_exact() {
        assert_eq!(div(dec!(27.12), dec!(100)).unwrap(), dec!(0.2712));
        assert_eq!(div(dec!(1), dec!(3)).unwrap(), dec!(1) / dec!(3));
        assert_eq!(div(dec!(5), dec!(0)), Err(EvalError::DivisionByZero));
        assert_eq!(pow10(1000), Some(3));
        assert_eq!(pow10(120), None);
    }
}
