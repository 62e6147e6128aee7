//! Kernel: the one evaluator of a traced formula ([`Expr`]) over a batch of
//! units, generic over its arithmetic.
//!
//! The kernel walks the formula once per batch; every number operation is
//! the [`Arith`] lane's. Two lanes implement it: exact fixed point
//! ([`crate::formula::fixed`]), which gives up on the whole batch when a
//! step does not fit, and checked decimals ([`crate::formula::decimal`]),
//! which computes what rhai computes and keeps the first error of each unit.
//! What each helper of the rule library means is written in two places
//! only: the rhai helper (`crate::formula::rules`), the reference, and the
//! primitives the tracer turns it into (`crate::formula::compile`).

use std::borrow::Cow;

use rust_decimal::Decimal;

use crate::formula::compile::{CmpOp, Expr};

/// The values of one expression for a batch of units: numbers in the
/// lane's column type, or booleans.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value<C> {
    Num(C),
    Bool(Vec<bool>),
}

/// The arithmetic of a batch. Each method returns `None` when the lane
/// gives up on the whole batch (the fixed-point lane, on anything that does
/// not fit); the decimal lane never gives up and records a failing unit's
/// error itself.
pub trait Arith {
    /// A column of numbers, one per unit of the batch.
    type Col: Clone;
    /// The number of units of the batch.
    fn units(&self) -> usize;
    /// `d` for every unit.
    fn constant(&mut self, d: Decimal) -> Option<Self::Col>;
    /// The integers `m`, one per unit.
    fn integers(&mut self, m: Vec<i64>) -> Option<Self::Col>;
    fn add(&mut self, a: &Self::Col, b: &Self::Col) -> Option<Self::Col>;
    fn sub(&mut self, a: &Self::Col, b: &Self::Col) -> Option<Self::Col>;
    fn mul(&mut self, a: &Self::Col, b: &Self::Col) -> Option<Self::Col>;
    fn div(&mut self, a: &Self::Col, b: &Self::Col) -> Option<Self::Col>;
    fn neg(&mut self, a: &Self::Col) -> Option<Self::Col>;
    fn min(&mut self, a: &Self::Col, b: &Self::Col) -> Option<Self::Col>;
    fn max(&mut self, a: &Self::Col, b: &Self::Col) -> Option<Self::Col>;
    fn cmp(&mut self, op: CmpOp, a: &Self::Col, b: &Self::Col) -> Option<Vec<bool>>;
    /// Whether each number is not zero.
    fn nonzero(&mut self, a: &Self::Col) -> Vec<bool>;
    /// The points of the first band each value reaches, else `otherwise`.
    fn tiers(&mut self, v: &Self::Col, bands: &[(Decimal, Decimal)], otherwise: &Self::Col) -> Option<Self::Col>;
    /// `tiers` of `x / y`, which a lane may decide without dividing.
    fn tiers_of_ratio(&mut self, x: &Self::Col, y: &Self::Col, bands: &[(Decimal, Decimal)], otherwise: &Self::Col) -> Option<Self::Col>;
    /// A boolean where a number is needed (`what`): an error for every unit.
    fn not_a_number(&mut self, what: &'static str) -> Option<Self::Col>;
    /// `a × d`, `min(a, d)`, `max(a, d)` for a constant `d` (the common
    /// `× points`, and the caps of `proportional` and `clamp`): the same as
    /// with a column of `d`, which a lane may compute without one.
    fn mul_const(&mut self, a: &Self::Col, d: Decimal) -> Option<Self::Col> {
        let c = self.constant(d)?;
        self.mul(a, &c)
    }
    fn min_const(&mut self, a: &Self::Col, d: Decimal) -> Option<Self::Col> {
        let c = self.constant(d)?;
        self.min(a, &c)
    }
    fn max_const(&mut self, a: &Self::Col, d: Decimal) -> Option<Self::Col> {
        let c = self.constant(d)?;
        self.max(a, &c)
    }
}

/// Evaluates `e` over a batch: `inputs` holds one value per input slot
/// (the leaf's inputs, then `max`).
pub fn run<'a, A: Arith>(lane: &mut A, e: &Expr, inputs: &'a [Value<A::Col>]) -> Option<Cow<'a, Value<A::Col>>> {
    let num = |lane: &mut A, e: &Expr| number(lane, e, inputs, "an operand");
    let both = |lane: &mut A, a: &Expr, b: &Expr| Some((num(lane, a)?, num(lane, b)?));
    Some(Cow::Owned(match e {
        Expr::Input(i) => return inputs.get(*i).map(Cow::Borrowed),
        Expr::Const(d) => Value::Num(lane.constant(*d)?),
        Expr::Bool(b) => Value::Bool(vec![*b; lane.units()]),
        Expr::Add(a, b) => {
            let (x, y) = both(lane, a, b)?;
            Value::Num(lane.add(&x, &y)?)
        }
        Expr::Sub(a, b) => {
            let (x, y) = both(lane, a, b)?;
            Value::Num(lane.sub(&x, &y)?)
        }
        Expr::Mul(a, b) => match b.as_ref() {
            Expr::Const(d) => {
                let x = num(lane, a)?;
                Value::Num(lane.mul_const(&x, *d)?)
            }
            _ => {
                let (x, y) = both(lane, a, b)?;
                Value::Num(lane.mul(&x, &y)?)
            }
        },
        Expr::Div(a, b) => {
            let (x, y) = both(lane, a, b)?;
            Value::Num(lane.div(&x, &y)?)
        }
        Expr::Min(a, b) => match b.as_ref() {
            Expr::Const(d) => {
                let x = num(lane, a)?;
                Value::Num(lane.min_const(&x, *d)?)
            }
            _ => {
                let (x, y) = both(lane, a, b)?;
                Value::Num(lane.min(&x, &y)?)
            }
        },
        Expr::Max(a, b) => match b.as_ref() {
            Expr::Const(d) => {
                let x = num(lane, a)?;
                Value::Num(lane.max_const(&x, *d)?)
            }
            _ => {
                let (x, y) = both(lane, a, b)?;
                Value::Num(lane.max(&x, &y)?)
            }
        },
        Expr::Neg(a) => {
            let x = num(lane, a)?;
            Value::Num(lane.neg(&x)?)
        }
        Expr::Cmp(op, a, b) => {
            let (x, y) = both(lane, a, b)?;
            Value::Bool(lane.cmp(*op, &x, &y)?)
        }
        Expr::Tiers { value, bands, otherwise } => {
            let other = number(lane, otherwise, inputs, "the otherwise of `tiers`")?;
            match value.as_ref() {
                Expr::Div(a, b) => {
                    let x = number(lane, a, inputs, "the value of `tiers`")?;
                    let y = number(lane, b, inputs, "the value of `tiers`")?;
                    Value::Num(lane.tiers_of_ratio(&x, &y, bands, &other)?)
                }
                v => {
                    let v = number(lane, v, inputs, "the value of `tiers`")?;
                    Value::Num(lane.tiers(&v, bands, &other)?)
                }
            }
        }
        Expr::Count(items) => {
            let mut counts = vec![0i64; lane.units()];
            for item in items {
                let truth = match run(lane, item, inputs)? {
                    Cow::Borrowed(Value::Bool(b)) => Cow::Borrowed(b.as_slice()),
                    Cow::Owned(Value::Bool(b)) => Cow::Owned(b),
                    Cow::Borrowed(Value::Num(c)) => Cow::Owned(lane.nonzero(c)),
                    Cow::Owned(Value::Num(c)) => Cow::Owned(lane.nonzero(&c)),
                };
                counts.iter_mut().zip(truth.iter()).for_each(|(c, t)| *c += i64::from(*t));
            }
            Value::Num(lane.integers(counts)?)
        }
    }))
}

/// The numbers of `e`; a boolean there is the lane's `not_a_number`.
pub fn number<'a, A: Arith>(lane: &mut A, e: &Expr, inputs: &'a [Value<A::Col>], what: &'static str) -> Option<Cow<'a, A::Col>> {
    match run(lane, e, inputs)? {
        Cow::Borrowed(Value::Num(c)) => Some(Cow::Borrowed(c)),
        Cow::Owned(Value::Num(c)) => Some(Cow::Owned(c)),
        _ => lane.not_a_number(what).map(Cow::Owned),
    }
}
