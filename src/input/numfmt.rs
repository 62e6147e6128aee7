//! Numbers as the province writes them: "118.430", "98,97%", "1.903".
//!
//! Vietnamese documents use a dot for thousands and a comma for decimals
//! ("118.430" is 118,430; "98,97%" is 98.97%), but not always: seed 004 prints
//! "99.42%" beside "65,85%". A text like "1.903" is therefore ambiguous out of
//! context. Every data file declares its [`NumberFormat`]; without one,
//! [`parse_number`] refuses what could be read two ways instead of guessing.
//!
//! Parsing never allocates for a plain integer or decimal (the wide indicator
//! tables hold many cells); only a warning message allocates.

use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::diag::Code;

/// How a file writes its numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum NumberFormat {
    /// Dot for thousands, comma for decimals: "118.430", "98,97%".
    Vi,
    /// Comma for thousands, dot for decimals: "118,430", "98.97%".
    En,
    /// Dot for decimals, no thousands separator: "118430", "98.97".
    Plain,
}

impl NumberFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            NumberFormat::Vi => "vi",
            NumberFormat::En => "en",
            NumberFormat::Plain => "plain",
        }
    }
}

impl fmt::Display for NumberFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A number read from text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    /// The value as written: "98,97%" is 98.97 (a percentage stays in points).
    pub value: Decimal,
    /// The text ended with `%`.
    pub percent: bool,
    /// The text was read, but not quite as the declared format says
    /// (a dot decimal in a `vi` file).
    pub warning: Option<String>,
}

/// Why a text is not a number.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum NumError {
    /// Nothing but spaces.
    #[error("empty number")]
    Empty,
    /// Not a number in any format.
    #[error("`{text}` is not a number")]
    Invalid { text: String },
    /// A number that reads two ways when no format is declared.
    #[error("`{text}` is ambiguous: it reads as {thousands} (`{sep}` for thousands) or {decimal} (`{sep}` for decimals); declare `number_format`")]
    Ambiguous { text: String, sep: char, thousands: Decimal, decimal: Decimal },
}

impl NumError {
    /// The diagnostic code of this error.
    pub fn code(&self) -> Code {
        match self {
            NumError::Ambiguous { .. } => Code::AmbiguousNumber,
            NumError::Empty | NumError::Invalid { .. } => Code::BadValue,
        }
    }
}

/// Reads `text` as a number in `format`, or, when no format is declared, in
/// the only way it can be read.
///
/// Spaces around the number are trimmed; a leading `-` and a trailing `%` are
/// allowed. With [`NumberFormat::Vi`], "1.903" is 1903 and "98,97%" is 98.97;
/// a dot that does not group thousands ("99.42%") is read as a decimal point
/// with a warning. With `None`, a single separator followed by exactly three
/// digits ("1.903", "1,903") is [`NumError::Ambiguous`].
pub fn parse_number(text: &str, format: Option<NumberFormat>) -> Result<Parsed, NumError> {
    let t = text.trim();
    if t.is_empty() {
        return Err(NumError::Empty);
    }
    let (t, percent) = match t.strip_suffix('%') {
        Some(rest) => (rest.trim_end(), true),
        None => (t, false),
    };
    let (body, negative) = match t.strip_prefix('-') {
        Some(rest) => (rest.trim_start(), true),
        None => (t, false),
    };
    let invalid = || NumError::Invalid { text: text.trim().to_owned() };
    if body.is_empty() || !body.bytes().all(|b| b.is_ascii_digit() || b == b'.' || b == b',') {
        return Err(invalid());
    }
    let (seps, warning) = match format {
        Some(NumberFormat::Vi) => seps_declared(body, b'.', b',', "dot decimal in a file declared `vi`"),
        Some(NumberFormat::En) => seps_declared(body, b',', b'.', "comma decimal in a file declared `en`"),
        Some(NumberFormat::Plain) => seps_plain(body),
        None => seps_undeclared(body),
    }
    .map_err(|e| match e {
        SepError::Invalid => invalid(),
        SepError::Ambiguous(sep) => ambiguous(text.trim(), body, sep, negative),
    })?;
    let mut value = assemble(body, seps).ok_or_else(invalid)?;
    if negative {
        value.set_sign_negative(true);
    }
    Ok(Parsed { value, percent, warning: warning.map(str::to_owned) })
}

/// Which byte separates thousands and which separates decimals in a body.
#[derive(Debug, Clone, Copy)]
struct Seps {
    thousands: Option<u8>,
    decimal: Option<u8>,
}

enum SepError {
    Invalid,
    Ambiguous(u8),
}

type SepResult = Result<(Seps, Option<&'static str>), SepError>;

fn count(body: &str, b: u8) -> usize {
    body.bytes().filter(|&c| c == b).count()
}

/// `int` is digits grouped by `sep` in threes: "1.903", "118.430", "1.234.567".
fn grouped(int: &str, sep: u8) -> bool {
    let mut parts = int.split(sep as char);
    let first = parts.next().unwrap_or("");
    if first.is_empty() || first.len() > 3 || first.starts_with('0') {
        return false;
    }
    let mut n = 0;
    for p in parts {
        if p.len() != 3 {
            return false;
        }
        n += 1;
    }
    n > 0
}

fn digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// A declared format: `thou` groups thousands, `dec` marks decimals; a lone
/// `thou` that cannot group thousands is read as a decimal point, with `warn`.
fn seps_declared(body: &str, thou: u8, dec: u8, warn: &'static str) -> SepResult {
    let n_dec = count(body, dec);
    if n_dec > 1 {
        return Err(SepError::Invalid);
    }
    if n_dec == 1 {
        let int = body.split(dec as char).next().unwrap_or("");
        if count(int, thou) > 0 && !grouped(int, thou) {
            return Err(SepError::Invalid);
        }
        if count(&body[int.len() + 1..], thou) > 0 {
            return Err(SepError::Invalid);
        }
        return Ok((Seps { thousands: Some(thou), decimal: Some(dec) }, None));
    }
    match count(body, thou) {
        0 => Ok((Seps { thousands: None, decimal: None }, None)),
        _ if grouped(body, thou) => Ok((Seps { thousands: Some(thou), decimal: None }, None)),
        1 => Ok((Seps { thousands: None, decimal: Some(thou) }, Some(warn))),
        _ => Err(SepError::Invalid),
    }
}

fn seps_plain(body: &str) -> SepResult {
    if count(body, b',') > 0 || count(body, b'.') > 1 {
        return Err(SepError::Invalid);
    }
    Ok((Seps { thousands: None, decimal: Some(b'.') }, None))
}

/// No declared format: read only what reads one way.
fn seps_undeclared(body: &str) -> SepResult {
    let (dots, commas) = (count(body, b'.'), count(body, b','));
    match (dots, commas) {
        (0, 0) => Ok((Seps { thousands: None, decimal: None }, None)),
        (_, 0) | (0, _) => {
            let sep = if dots > 0 { b'.' } else { b',' };
            if dots + commas > 1 {
                return if grouped(body, sep) { Ok((Seps { thousands: Some(sep), decimal: None }, None)) } else { Err(SepError::Invalid) };
            }
            if grouped(body, sep) {
                Err(SepError::Ambiguous(sep))
            } else {
                Ok((Seps { thousands: None, decimal: Some(sep) }, None))
            }
        }
        _ => {
            // Both: the last one is the decimal separator and occurs once;
            // the other must group the thousands before it.
            let last = body.bytes().rev().find(|&b| b == b'.' || b == b',').unwrap_or(b'.');
            let other = if last == b'.' { b',' } else { b'.' };
            if count(body, last) != 1 {
                return Err(SepError::Invalid);
            }
            let int = body.split(last as char).next().unwrap_or("");
            if !grouped(int, other) {
                return Err(SepError::Invalid);
            }
            Ok((Seps { thousands: Some(other), decimal: Some(last) }, None))
        }
    }
}

/// Builds the value from digits without allocating. `None` when the body
/// does not fit `seps` or has more digits than a `Decimal` holds.
fn assemble(body: &str, seps: Seps) -> Option<Decimal> {
    let (int, frac) = match seps.decimal {
        Some(d) => match body.split_once(d as char) {
            Some((i, f)) => (i, Some(f)),
            None => (body, None),
        },
        None => (body, None),
    };
    let mut mantissa: i128 = 0;
    let mut n_digits = 0u32;
    let mut push = |b: u8| -> Option<()> {
        mantissa = mantissa.checked_mul(10)?.checked_add(i128::from(b - b'0'))?;
        n_digits += 1;
        (n_digits <= 28).then_some(())
    };
    if int.is_empty() {
        return None;
    }
    for b in int.bytes() {
        if Some(b) == seps.thousands {
            continue;
        }
        if !b.is_ascii_digit() {
            return None;
        }
        push(b)?;
    }
    let mut scale = 0u32;
    if let Some(f) = frac {
        if !digits(f) {
            return None;
        }
        for b in f.bytes() {
            push(b)?;
            scale += 1;
        }
    }
    Decimal::try_from_i128_with_scale(mantissa, scale).ok()
}

fn ambiguous(text: &str, body: &str, sep: u8, negative: bool) -> NumError {
    let read = |seps| {
        let mut v = assemble(body, seps).unwrap_or_default();
        v.set_sign_negative(negative);
        v
    };
    NumError::Ambiguous {
        text: text.to_owned(),
        sep: sep as char,
        thousands: read(Seps { thousands: Some(sep), decimal: None }),
        decimal: read(Seps { thousands: None, decimal: Some(sep) }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn vi(s: &str) -> Parsed {
        parse_number(s, Some(NumberFormat::Vi)).unwrap()
    }

    fn none(s: &str) -> Result<Parsed, NumError> {
        parse_number(s, None)
    }

    #[test]
    fn vietnamese_thousands_and_decimals() {
        assert_eq!(vi("1.903").value, dec!(1903));
        assert_eq!(vi("118.430").value, dec!(118430));
        assert_eq!(vi("1.234.567").value, dec!(1234567));
        let p = vi("98,97%");
        assert_eq!((p.value, p.percent, p.warning), (dec!(98.97), true, None));
        assert_eq!(vi("1.234,5").value, dec!(1234.5));
        assert_eq!(vi(" 01 ").value, dec!(1));
        assert_eq!(vi("100%").value, dec!(100));
        assert_eq!(vi("0,00%").value.to_string(), "0.00");
        assert_eq!(vi("-5,5").value, dec!(-5.5));
        assert_eq!(vi("98,97 %").value, dec!(98.97));
    }

    #[test]
    fn dot_decimal_in_vi_is_read_with_a_warning() {
        let p = vi("99.42%");
        assert_eq!(p.value, dec!(99.42));
        assert!(p.percent);
        assert!(p.warning.is_some());
        assert!(vi("0.500").warning.is_some(), "a leading zero does not group thousands");
    }

    #[test]
    fn vi_rejects_what_cannot_be_vi() {
        for bad in ["1,2,3", "1.23,4", "1,234.5", "12.34.5", "1..2"] {
            assert!(matches!(parse_number(bad, Some(NumberFormat::Vi)), Err(NumError::Invalid { .. })), "{bad}");
        }
    }

    #[test]
    fn english_and_plain() {
        let en = |s| parse_number(s, Some(NumberFormat::En)).unwrap();
        assert_eq!(en("118,430").value, dec!(118430));
        assert_eq!(en("98.97%").value, dec!(98.97));
        assert!(en("98,97").warning.is_some());
        let plain = |s| parse_number(s, Some(NumberFormat::Plain));
        assert_eq!(plain("1.903").unwrap().value, dec!(1.903));
        assert_eq!(plain("118430").unwrap().value, dec!(118430));
        assert!(matches!(plain("1,5"), Err(NumError::Invalid { .. })));
    }

    #[test]
    fn undeclared_refuses_two_readings() {
        for amb in ["1.903", "1,903", "118.430", "-1.903%"] {
            let e = none(amb).unwrap_err();
            assert!(matches!(e, NumError::Ambiguous { .. }), "{amb}");
            assert_eq!(e.code(), Code::AmbiguousNumber);
        }
        if let Err(NumError::Ambiguous { thousands, decimal, .. }) = none("1.903") {
            assert_eq!((thousands, decimal), (dec!(1903), dec!(1.903)));
        }
    }

    #[test]
    fn undeclared_reads_what_reads_one_way() {
        assert_eq!(none("98,97").unwrap().value, dec!(98.97));
        assert_eq!(none("98,97%").unwrap().value, dec!(98.97));
        assert_eq!(none("99.42%").unwrap().value, dec!(99.42));
        assert_eq!(none("1,2345").unwrap().value, dec!(1.2345));
        assert_eq!(none("1234.567").unwrap().value, dec!(1234.567));
        assert_eq!(none("0,903").unwrap().value, dec!(0.903));
        assert_eq!(none("1.234.567").unwrap().value, dec!(1234567));
        assert_eq!(none("1.234,56").unwrap().value, dec!(1234.56));
        assert_eq!(none("1,234.56").unwrap().value, dec!(1234.56));
        assert_eq!(none("532").unwrap().value, dec!(532));
        assert!(none("532").unwrap().warning.is_none());
    }

    #[test]
    fn empty_and_garbage() {
        assert_eq!(none("  "), Err(NumError::Empty));
        assert_eq!(none("").unwrap_err().code(), Code::BadValue);
        for bad in ["abc", "%", "-", "12a", "1.2.3", "+5", ",5", "5,", "1,23.4"] {
            assert!(matches!(none(bad), Err(NumError::Invalid { .. })), "{bad}");
        }
    }

    #[test]
    fn too_many_digits_is_invalid_not_a_panic() {
        assert!(matches!(none("123456789012345678901234567890"), Err(NumError::Invalid { .. })));
    }
}
