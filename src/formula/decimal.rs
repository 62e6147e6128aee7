//! Decimal: the kernel's lane in checked `rust_decimal` arithmetic, the
//! operations rhai performs, with the first error of each unit kept.
//!
//! Every operation is checked: an overflow is [`EvalError::Overflow`] for
//! that unit, never a panic. Two shortcuts give provably the same numbers:
//! a division by a power of ten is a change of scale, and `tiers` of `a / b`
//! on small integers compares `a·den ≥ num·b` in 128-bit integers (only
//! where the decimal quotient cannot round across a threshold).

use std::cmp::Ordering;

use rust_decimal::Decimal;

use crate::formula::compile::{CmpOp, Program};
use crate::formula::kernel::{number, Arith, Value};

/// The values of one expression for a batch of units, in decimals.
pub type Batch = Value<Vec<Decimal>>;

/// Why a unit's evaluation failed; the same failures rhai reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EvalError {
    DivisionByZero,
    Overflow,
    NotANumber(&'static str),
}

impl EvalError {
    /// The code rhai's own failure of the same kind is reported with.
    pub fn code(&self) -> crate::diag::Code {
        use crate::diag::Code;
        match self {
            EvalError::Overflow => Code::ScriptOverflow,
            EvalError::NotANumber(RESULT) => Code::ScriptNotNumber,
            _ => Code::ScriptRuntime,
        }
    }
}

/// What a formula's value is called when it is not a number.
pub(crate) const RESULT: &str = "the result";

impl std::fmt::Display for EvalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EvalError::DivisionByZero => f.write_str("division by zero"),
            EvalError::Overflow => f.write_str("arithmetic overflow"),
            EvalError::NotANumber(what) => write!(f, "{what} must be a number"),
        }
    }
}

/// `a / b`, exactly as rhai divides decimals (checked), with a division
/// by 10^k done as a change of scale.
pub fn div(a: Decimal, b: Decimal) -> Result<Decimal, EvalError> {
    if b.is_zero() {
        return Err(EvalError::DivisionByZero);
    }
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
/// the integer ratio test compares with, when it is small enough for its exactness.
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
pub fn cmp_dec(a: Decimal, b: Decimal) -> Ordering {
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
fn tiers_in_integers(x: Decimal, y: Decimal, bands: &[(Decimal, Decimal)]) -> Option<Option<Decimal>> {
    let (xi, yi) = (small_int(x)?, small_int(y)?);
    for (t, p) in bands {
        if ratio_ge(xi, yi, *t)? {
            return Some(Some(*p));
        }
    }
    Some(None)
}

fn pick_band(v: Decimal, bands: &[(Decimal, Decimal)]) -> Option<Decimal> {
    bands.iter().find(|(t, _)| cmp_dec(v, *t).is_ge()).map(|(_, p)| *p)
}

/// The decimal lane: one error slot per unit, where the first failure of
/// each unit is kept (its value is then 0).
pub struct Decimals<'e> {
    pub errors: &'e mut [Option<EvalError>],
}

impl Decimals<'_> {
    fn fail(&mut self, i: usize, e: EvalError) -> Decimal {
        if self.errors[i].is_none() {
            self.errors[i] = Some(e);
        }
        Decimal::ZERO
    }

    fn zip(&mut self, a: &[Decimal], b: &[Decimal], f: impl Fn(Decimal, Decimal) -> Result<Decimal, EvalError>) -> Vec<Decimal> {
        (0..a.len()).map(|i| f(a[i], b[i]).unwrap_or_else(|e| self.fail(i, e))).collect()
    }
}

impl Arith for Decimals<'_> {
    type Col = Vec<Decimal>;

    fn units(&self) -> usize {
        self.errors.len()
    }

    fn constant(&mut self, d: Decimal) -> Option<Vec<Decimal>> {
        Some(vec![d; self.units()])
    }

    fn integers(&mut self, m: Vec<i64>) -> Option<Vec<Decimal>> {
        Some(m.into_iter().map(Decimal::from).collect())
    }

    fn add(&mut self, a: &Vec<Decimal>, b: &Vec<Decimal>) -> Option<Vec<Decimal>> {
        Some(self.zip(a, b, |x, y| x.checked_add(y).ok_or(EvalError::Overflow)))
    }

    fn sub(&mut self, a: &Vec<Decimal>, b: &Vec<Decimal>) -> Option<Vec<Decimal>> {
        Some(self.zip(a, b, |x, y| x.checked_sub(y).ok_or(EvalError::Overflow)))
    }

    fn mul(&mut self, a: &Vec<Decimal>, b: &Vec<Decimal>) -> Option<Vec<Decimal>> {
        Some(self.zip(a, b, |x, y| x.checked_mul(y).ok_or(EvalError::Overflow)))
    }

    fn div(&mut self, a: &Vec<Decimal>, b: &Vec<Decimal>) -> Option<Vec<Decimal>> {
        Some(self.zip(a, b, div))
    }

    fn neg(&mut self, a: &Vec<Decimal>) -> Option<Vec<Decimal>> {
        Some(a.iter().map(|x| -*x).collect())
    }

    fn min(&mut self, a: &Vec<Decimal>, b: &Vec<Decimal>) -> Option<Vec<Decimal>> {
        Some(self.zip(a, b, |x, y| Ok(if cmp_dec(y, x).is_lt() { y } else { x })))
    }

    fn max(&mut self, a: &Vec<Decimal>, b: &Vec<Decimal>) -> Option<Vec<Decimal>> {
        Some(self.zip(a, b, |x, y| Ok(if cmp_dec(y, x).is_gt() { y } else { x })))
    }

    fn cmp(&mut self, op: CmpOp, a: &Vec<Decimal>, b: &Vec<Decimal>) -> Option<Vec<bool>> {
        Some(a.iter().zip(b).map(|(x, y)| op.holds(cmp_dec(*x, *y))).collect())
    }

    fn nonzero(&mut self, a: &Vec<Decimal>) -> Vec<bool> {
        a.iter().map(|x| !x.is_zero()).collect()
    }

    fn tiers(&mut self, v: &Vec<Decimal>, bands: &[(Decimal, Decimal)], otherwise: &Vec<Decimal>) -> Option<Vec<Decimal>> {
        Some(v.iter().zip(otherwise).map(|(v, o)| pick_band(*v, bands).unwrap_or(*o)).collect())
    }

    fn tiers_of_ratio(
        &mut self,
        x: &Vec<Decimal>,
        y: &Vec<Decimal>,
        bands: &[(Decimal, Decimal)],
        otherwise: &Vec<Decimal>,
    ) -> Option<Vec<Decimal>> {
        let mut out = Vec::with_capacity(x.len());
        for i in 0..x.len() {
            if y[i].is_zero() {
                out.push(self.fail(i, EvalError::DivisionByZero));
                continue;
            }
            let v = match tiers_in_integers(x[i], y[i], bands) {
                Some(hit) => hit.unwrap_or(otherwise[i]),
                None => match div(x[i], y[i]) {
                    Ok(q) => pick_band(q, bands).unwrap_or(otherwise[i]),
                    Err(e) => self.fail(i, e),
                },
            };
            out.push(v);
        }
        Some(out)
    }

    fn not_a_number(&mut self, what: &'static str) -> Option<Vec<Decimal>> {
        Some((0..self.units()).map(|i| self.fail(i, EvalError::NotANumber(what))).collect())
    }

    fn mul_const(&mut self, a: &Vec<Decimal>, d: Decimal) -> Option<Vec<Decimal>> {
        Some((0..a.len()).map(|i| a[i].checked_mul(d).unwrap_or_else(|| self.fail(i, EvalError::Overflow))).collect())
    }

    fn min_const(&mut self, a: &Vec<Decimal>, d: Decimal) -> Option<Vec<Decimal>> {
        Some(a.iter().map(|&x| if cmp_dec(d, x).is_lt() { d } else { x }).collect())
    }

    fn max_const(&mut self, a: &Vec<Decimal>, d: Decimal) -> Option<Vec<Decimal>> {
        Some(a.iter().map(|&x| if cmp_dec(d, x).is_gt() { d } else { x }).collect())
    }
}

impl Program {
    /// Evaluates the formula for a batch of units in checked decimals:
    /// `inputs` holds one batch per slot (the last being `max`), `errors`
    /// one slot per unit, where the first failure of each unit is kept.
    pub fn eval_batch(&self, inputs: &[Batch], errors: &mut [Option<EvalError>]) -> Vec<Decimal> {
        let mut lane = Decimals { errors };
        number(&mut lane, &self.expr, inputs, RESULT).map_or_else(Vec::new, |c| c.into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

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
        assert_eq!(div(Decimal::MAX, dec!(0.1)), Err(EvalError::Overflow));
        assert_eq!(pow10(1000), Some(3));
        assert_eq!(pow10(120), None);
    }

    #[test]
    fn ratio_tiers_in_integers_match_decimal_division() {
        let bands = [(dec!(1), dec!(1)), (dec!(0.95), dec!(0.75)), (dec!(0.9), dec!(0.5))];
        for total in 1..300i64 {
            for on_time in 0..=total {
                let v = Decimal::from(on_time) / Decimal::from(total);
                let expected = bands.iter().find(|(t, _)| v >= *t).map_or(Decimal::ZERO, |(_, p)| *p);
                let got = tiers_in_integers(Decimal::from(on_time), Decimal::from(total), &bands).expect("small integers");
                assert_eq!(got.unwrap_or(Decimal::ZERO), expected, "{on_time}/{total}");
            }
        }
    }
}
