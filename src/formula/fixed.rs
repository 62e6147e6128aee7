//! Fixed point: a compiled formula evaluated over a batch of units in
//! 64-bit integers, every number of a batch sharing one scale.
//!
//! A value is `m / 10^scale` with `m` an `i64` and `scale` at most 18. Every
//! operation here is exact: sums and products are checked and never
//! rounded, a division is only by a power of ten (a change of scale), and
//! `tiers` of a ratio of integers compares in 128-bit integers as
//! [`crate::formula::decimal`] does. A number is therefore equal to the one the
//! decimal evaluator computes from the same inputs. Whatever does not fit
//! (an overflow, a larger scale, a division by anything else, a division by
//! zero, a boolean where a number is expected) gives `None`, and the batch is
//! evaluated in decimals instead, which also reports any error.

use std::borrow::Cow;

use rust_decimal::Decimal;

use crate::formula::compile::{CmpOp, Program};
use crate::formula::decimal::threshold;
use crate::formula::kernel::{number, Arith, Value};

/// The largest scale a batch may have.
const MAX_SCALE: u32 = 18;

const POW10: [i64; 19] = {
    let mut p = [1i64; 19];
    let mut i = 1;
    while i < 19 {
        p[i] = p[i - 1] * 10;
        i += 1;
    }
    p
};

/// Numbers of a batch at one scale: each is `m / 10^scale`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fixed {
    pub m: Vec<i64>,
    pub scale: u32,
}

/// The values of one expression for a batch of units, in fixed point.
pub type FixedBatch = Value<Fixed>;

/// `d` as a mantissa and scale, when it fits.
fn parts(d: Decimal) -> Option<(i64, u32)> {
    let scale = d.scale();
    (scale <= MAX_SCALE).then_some(())?;
    Some((i64::try_from(d.mantissa()).ok()?, scale))
}

impl Fixed {
    /// The integers `m` (scale 0).
    pub fn integers(m: Vec<i64>) -> Fixed {
        Fixed { m, scale: 0 }
    }

    /// The decimals `v` at their largest scale, when every one fits.
    pub fn from_decimals(v: &[Decimal]) -> Option<Fixed> {
        // Most batches hold one scale: one pass.
        let first = v.first().map_or(0, |d| d.scale());
        if first <= MAX_SCALE {
            let mut m = Vec::with_capacity(v.len());
            for d in v {
                if d.scale() != first {
                    break;
                }
                m.push(i64::try_from(d.mantissa()).ok()?);
            }
            if m.len() == v.len() {
                return Some(Fixed { m, scale: first });
            }
        }
        let scale = v.iter().map(|d| d.scale()).max().unwrap_or(0);
        (scale <= MAX_SCALE).then_some(())?;
        let mut m = Vec::with_capacity(v.len());
        for d in v {
            let x = i64::try_from(d.mantissa()).ok()?;
            m.push(if d.scale() == scale { x } else { x.checked_mul(POW10[(scale - d.scale()) as usize])? });
        }
        Some(Fixed { m, scale })
    }

    /// Value `i` as a decimal.
    #[inline]
    pub fn decimal(&self, i: usize) -> Decimal {
        let (m, a) = (self.m[i], self.m[i].unsigned_abs());
        Decimal::from_parts(a as u32, (a >> 32) as u32, 0, m < 0, self.scale)
    }

    /// The sums of these numbers and `other`'s, one by one.
    pub fn checked_add(&self, other: &Fixed) -> Option<Fixed> {
        zip(self, other, i64::overflowing_add)
    }

    /// The same numbers at `scale`, when they are exact and fit there.
    pub fn at_scale(self, scale: u32) -> Option<Fixed> {
        if scale >= self.scale {
            return self.rescaled(scale).map(Cow::into_owned);
        }
        let f = POW10[(self.scale - scale) as usize];
        self.m.iter().all(|x| x % f == 0).then(|| Fixed { m: self.m.iter().map(|x| x / f).collect(), scale })
    }

    /// The same numbers at a scale no smaller than the current one.
    fn rescaled(&self, scale: u32) -> Option<Cow<'_, Fixed>> {
        if scale == self.scale {
            return Some(Cow::Borrowed(self));
        }
        let f = *POW10.get(scale.checked_sub(self.scale)? as usize)?;
        (scale <= MAX_SCALE).then_some(())?;
        Some(Cow::Owned(Fixed { m: scaled(&self.m, f)?, scale }))
    }

    /// Whether every number is the same, with the first.
    fn uniform(&self) -> Option<i64> {
        let first = *self.m.first()?;
        self.m.iter().all(|&x| x == first).then_some(first)
    }

    /// The largest magnitude.
    fn largest(&self) -> u64 {
        self.m.iter().map(|x| x.unsigned_abs()).max().unwrap_or(0)
    }
}

/// Every number times `f`, or `None` on an overflow.
fn scaled(m: &[i64], f: i64) -> Option<Vec<i64>> {
    let mut overflow = false;
    let m = m
        .iter()
        .map(|x| {
            let (r, o) = x.overflowing_mul(f);
            overflow |= o;
            r
        })
        .collect();
    (!overflow).then_some(m)
}

/// Both batches at the larger of their scales.
fn aligned<'a>(a: &'a Fixed, b: &'a Fixed) -> Option<(Cow<'a, Fixed>, Cow<'a, Fixed>)> {
    let scale = a.scale.max(b.scale);
    Some((a.rescaled(scale)?, b.rescaled(scale)?))
}

/// `f` of each pair, where `f` also tells whether it overflowed: `None` on any overflow.
fn each(a: &[i64], b: &[i64], f: impl Fn(i64, i64) -> (i64, bool)) -> Option<Vec<i64>> {
    let mut overflow = false;
    let m = a
        .iter()
        .zip(b)
        .map(|(x, y)| {
            let (r, o) = f(*x, *y);
            overflow |= o;
            r
        })
        .collect();
    (!overflow).then_some(m)
}

fn zip(a: &Fixed, b: &Fixed, f: impl Fn(i64, i64) -> (i64, bool)) -> Option<Fixed> {
    let (a, b) = aligned(a, b)?;
    Some(Fixed { m: each(&a.m, &b.m, f)?, scale: a.scale })
}

fn exact(x: i64) -> (i64, bool) {
    (x, false)
}

fn mul(a: &Fixed, b: &Fixed) -> Option<Fixed> {
    let scale = a.scale + b.scale;
    (scale <= MAX_SCALE).then_some(())?;
    Some(Fixed { m: each(&a.m, &b.m, i64::overflowing_mul)?, scale })
}

/// `a / b` where every `b` is the same power of ten (10^k with any scale).
fn div(a: Cow<'_, Fixed>, b: &Fixed) -> Option<Fixed> {
    let d = b.uniform()?;
    let k = POW10.iter().position(|&p| p == d)? as i64;
    // a / (10^k / 10^b.scale) = a.m / 10^(a.scale + k - b.scale)
    let scale = i64::from(a.scale) + k - i64::from(b.scale);
    if scale < 0 {
        let f = POW10[usize::try_from(-scale).ok()?];
        return Some(Fixed { m: scaled(&a.m, f)?, scale: 0 });
    }
    let scale = u32::try_from(scale).ok().filter(|&s| s <= MAX_SCALE)?;
    Some(Fixed { m: a.into_owned().m, scale })
}

/// Integers below 10^12 in magnitude, where [`crate::formula::decimal`]'s ratio test is exact.
fn small_integers(f: &Fixed) -> bool {
    f.scale == 0 && f.largest() < 1_000_000_000_000
}

/// The points of the first band reached, else `otherwise`; `band` gives
/// the index of the band unit `i` reaches.
fn pick(bands: &[(Decimal, Decimal)], otherwise: &Fixed, band: impl Fn(usize) -> Option<usize>) -> Option<Fixed> {
    let points: Vec<(i64, u32)> = bands.iter().map(|(_, p)| parts(*p)).collect::<Option<_>>()?;
    let scale = points.iter().map(|(_, s)| *s).fold(otherwise.scale, u32::max);
    let other = otherwise.rescaled(scale)?;
    let points: Vec<i64> = points.iter().map(|(m, s)| m.checked_mul(POW10[(scale - s) as usize])).collect::<Option<_>>()?;
    let m = (0..other.m.len()).map(|i| band(i).map_or(other.m[i], |b| points[b])).collect();
    Some(Fixed { m, scale })
}

/// `tiers` of `x / y` for small integers, `y > 0`: `a / b ≥ t` is decided
/// as `a·den ≥ num·b` (see `crate::formula::decimal::ratio_ge`), in 64 bits when
/// the products fit there, else in 128.
fn tiers_of_ratio(x: &Fixed, y: &Fixed, bands: &[(Decimal, Decimal)], otherwise: &Fixed) -> Option<Fixed> {
    let ts: Vec<(i128, i128)> = bands.iter().map(|(t, _)| threshold(*t)).collect::<Option<_>>()?;
    let fits = |a: u64, b: u128| u128::from(a) * b <= i64::MAX as u128;
    let (num, den) = ts.iter().fold((0u128, 0u128), |(n, d), (tn, td)| (n.max(tn.unsigned_abs()), d.max(td.unsigned_abs())));
    if fits(x.largest(), den) && fits(y.largest(), num) {
        let ts: Vec<(i64, i64)> = ts.iter().map(|&(n, d)| (n as i64, d as i64)).collect();
        pick(bands, otherwise, |i| ts.iter().position(|&(num, den)| x.m[i] * den >= num * y.m[i]))
    } else {
        pick(bands, otherwise, |i| {
            let (a, b) = (i128::from(x.m[i]), i128::from(y.m[i]));
            ts.iter().position(|&(num, den)| a * den >= num * b)
        })
    }
}

/// The fixed-point lane over a batch of `n` units: it gives up on the
/// whole batch (returns `None`) at the first step that does not fit.
pub struct FixedLane {
    pub n: usize,
}

impl Arith for FixedLane {
    type Col = Fixed;

    fn units(&self) -> usize {
        self.n
    }

    fn constant(&mut self, d: Decimal) -> Option<Fixed> {
        let (m, scale) = parts(d)?;
        Some(Fixed { m: vec![m; self.n], scale })
    }

    fn integers(&mut self, m: Vec<i64>) -> Option<Fixed> {
        Some(Fixed::integers(m))
    }

    fn add(&mut self, a: &Fixed, b: &Fixed) -> Option<Fixed> {
        zip(a, b, i64::overflowing_add)
    }

    fn sub(&mut self, a: &Fixed, b: &Fixed) -> Option<Fixed> {
        zip(a, b, i64::overflowing_sub)
    }

    fn mul(&mut self, a: &Fixed, b: &Fixed) -> Option<Fixed> {
        mul(a, b)
    }

    fn div(&mut self, a: &Fixed, b: &Fixed) -> Option<Fixed> {
        div(Cow::Borrowed(a), b)
    }

    fn neg(&mut self, a: &Fixed) -> Option<Fixed> {
        Some(Fixed { m: scaled(&a.m, -1)?, scale: a.scale })
    }

    fn min(&mut self, a: &Fixed, b: &Fixed) -> Option<Fixed> {
        zip(a, b, |x, y| exact(x.min(y)))
    }

    fn max(&mut self, a: &Fixed, b: &Fixed) -> Option<Fixed> {
        zip(a, b, |x, y| exact(x.max(y)))
    }

    fn cmp(&mut self, op: CmpOp, a: &Fixed, b: &Fixed) -> Option<Vec<bool>> {
        let (a, b) = aligned(a, b)?;
        Some(a.m.iter().zip(&b.m).map(|(x, y)| op.holds(x.cmp(y))).collect())
    }

    fn nonzero(&mut self, a: &Fixed) -> Vec<bool> {
        a.m.iter().map(|&x| x != 0).collect()
    }

    fn tiers(&mut self, v: &Fixed, bands: &[(Decimal, Decimal)], otherwise: &Fixed) -> Option<Fixed> {
        tiers(v, bands, otherwise)
    }

    fn tiers_of_ratio(&mut self, x: &Fixed, y: &Fixed, bands: &[(Decimal, Decimal)], otherwise: &Fixed) -> Option<Fixed> {
        if small_integers(x) && small_integers(y) && y.m.iter().all(|&d| d > 0) {
            tiers_of_ratio(x, y, bands, otherwise)
        } else {
            tiers(&div(Cow::Borrowed(x), y)?, bands, otherwise)
        }
    }

    fn not_a_number(&mut self, _: &'static str) -> Option<Fixed> {
        None
    }

    fn mul_const(&mut self, a: &Fixed, d: Decimal) -> Option<Fixed> {
        let (m, scale) = parts(d)?;
        let scale = a.scale + scale;
        (scale <= MAX_SCALE).then_some(())?;
        Some(Fixed { m: scaled(&a.m, m)?, scale })
    }

    fn min_const(&mut self, a: &Fixed, d: Decimal) -> Option<Fixed> {
        let (a, t) = at_common_scale(a, d)?;
        Some(Fixed { m: a.m.iter().map(|&x| x.min(t)).collect(), scale: a.scale })
    }

    fn max_const(&mut self, a: &Fixed, d: Decimal) -> Option<Fixed> {
        let (a, t) = at_common_scale(a, d)?;
        Some(Fixed { m: a.m.iter().map(|&x| x.max(t)).collect(), scale: a.scale })
    }
}

/// `a` and the constant `d` at the larger of their scales: `d` as a mantissa there.
fn at_common_scale(a: &Fixed, d: Decimal) -> Option<(Cow<'_, Fixed>, i64)> {
    let (m, scale) = parts(d)?;
    let common = a.scale.max(scale);
    let t = m.checked_mul(*POW10.get((common - scale) as usize)?)?;
    Some((a.rescaled(common)?, t))
}

impl Program {
    /// Evaluates the formula for a batch of `n` units in fixed point, or
    /// `None` when some step does not fit (see the module's documentation).
    /// `inputs` holds one batch per slot, the last being `max`.
    pub fn eval_fixed(&self, inputs: &[FixedBatch], n: usize) -> Option<Fixed> {
        number(&mut FixedLane { n }, &self.expr, inputs, crate::formula::decimal::RESULT).map(Cow::into_owned)
    }
}

/// `tiers` of computed values: the first band whose threshold each reaches.
fn tiers(v: &Fixed, bands: &[(Decimal, Decimal)], otherwise: &Fixed) -> Option<Fixed> {
    let ts: Vec<(i64, u32)> = bands.iter().map(|(t, _)| parts(*t)).collect::<Option<_>>()?;
    let scale = ts.iter().map(|(_, s)| *s).fold(v.scale, u32::max);
    let v = v.rescaled(scale)?;
    let ts: Vec<i64> = ts.iter().map(|(m, s)| m.checked_mul(POW10[(scale - s) as usize])).collect::<Option<_>>()?;
    pick(bands, otherwise, |i| ts.iter().position(|&t| v.m[i] >= t))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::formula::compile::{CmpOp, Expr};
    use crate::formula::decimal::Batch;
    use rust_decimal_macros::dec;

    fn b(e: Expr) -> Box<Expr> {
        Box::new(e)
    }

    /// Every formula shape, on inputs mixing scales, zeros and negatives:
    /// where fixed point gives an answer, it is the decimal evaluator's.
    #[test]
    fn fixed_point_agrees_with_decimals() {
        let bands: Arc<[(Decimal, Decimal)]> = vec![(dec!(1), dec!(1)), (dec!(0.95), dec!(0.75)), (dec!(0.9), dec!(0.5))].into();
        let (x, y, m) = (|| b(Expr::Input(0)), || b(Expr::Input(1)), || b(Expr::Input(2)));
        let c = |d: Decimal| b(Expr::Const(d));
        let exprs = vec![
            Expr::Tiers { value: b(Expr::Div(x(), y())), bands: bands.clone(), otherwise: c(dec!(0)) },
            Expr::Mul(b(Expr::Tiers { value: b(Expr::Div(x(), c(dec!(100)))), bands: bands.clone(), otherwise: c(dec!(0.1)) }), m()),
            Expr::proportional(*x(), *c(dec!(100)), *m()),
            Expr::proportional(*x(), *c(dec!(0.1)), *m()),
            Expr::Mul(b(Expr::Mul(b(Expr::Count(vec![Expr::Cmp(CmpOp::Ge, x(), y()), Expr::Input(1)])), c(dec!(0.2)))), m()),
            Expr::Add(b(Expr::Sub(x(), y())), b(Expr::Neg(m()))),
            Expr::Min(b(Expr::Max(x(), c(dec!(-1.5)))), y()),
            Expr::deduct(*m(), *c(dec!(0.25)), *y(), *c(dec!(0))),
            Expr::clamp(*x(), *c(dec!(0)), *m()),
            Expr::Div(x(), c(dec!(1000))),
        ];
        let xs: Vec<Decimal> = (0..60).map(|i| Decimal::new(i * 37 % 230 - 20, (i % 3) as u32)).collect();
        let ys: Vec<Decimal> = (0..60).map(|i| Decimal::from(i % 13)).collect();
        let ms: Vec<Decimal> = (0..60).map(|i| Decimal::new(i % 5 + 1, (i % 2) as u32)).collect();
        let decimal = [Batch::Num(xs.clone()), Batch::Num(ys.clone()), Batch::Num(ms.clone())];
        let fixed: Vec<FixedBatch> =
            [&xs, &ys, &ms].iter().map(|v| FixedBatch::Num(Fixed::from_decimals(v).expect("small decimals fit"))).collect();
        let mut answered = 0;
        for expr in exprs {
            let p = Program { expr, slots: 3 };
            let mut errors = vec![None; xs.len()];
            let want = p.eval_batch(&decimal, &mut errors);
            let Some(got) = p.eval_fixed(&fixed, xs.len()) else {
                assert!(errors.iter().any(Option::is_some), "only a batch with an error may fall back: {:?}", p.expr);
                continue;
            };
            answered += 1;
            for i in 0..xs.len() {
                assert_eq!(errors[i], None);
                assert_eq!(got.decimal(i), want[i], "{:?} at {i}", p.expr);
            }
        }
        assert!(answered >= 8, "fixed point answers the common shapes ({answered})");
    }

    #[test]
    fn what_does_not_fit_falls_back() {
        let x = FixedBatch::Num(Fixed::integers(vec![i64::MAX / 2, 3]));
        let double = Program { expr: Expr::Mul(b(Expr::Input(0)), b(Expr::Const(dec!(2.5)))), slots: 1 };
        assert_eq!(double.eval_fixed(std::slice::from_ref(&x), 2), None, "overflow");
        let third = Program { expr: Expr::Div(b(Expr::Input(0)), b(Expr::Const(dec!(3)))), slots: 1 };
        assert_eq!(third.eval_fixed(std::slice::from_ref(&x), 2), None, "not a power of ten");
        let zero = Program { expr: Expr::Div(b(Expr::Input(0)), b(Expr::Const(dec!(0)))), slots: 1 };
        assert_eq!(zero.eval_fixed(&[x], 2), None, "division by zero");
        assert_eq!(Fixed::from_decimals(&[dec!(1e-20)]), None, "scale above 18");
    }
}
