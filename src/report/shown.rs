//! Shown: the text of a shown number, held inline.
//!
//! A report shows a dozen numbers per unit and is rebuilt on every reload;
//! as a [`Shown`] each is a small value on the row itself rather than a
//! string of its own. It is exactly the text `Decimal`'s `Display` writes
//! (every digit of its scale), or of the normalised decimal for
//! [`Shown::plain`], and it reads, compares and serialises as that text.

use std::fmt;
use std::ops::Deref;

use rust_decimal::Decimal;
use serde::{Serialize, Serializer};

/// The longest text of a decimal: a sign, 29 digits and a point, or a
/// sign, `0.` and 28 decimals.
const CAP: usize = 31;

#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Shown {
    len: u8,
    /// ASCII; the bytes after `len` are zero.
    bytes: [u8; CAP],
}

impl Shown {
    /// `d` as `Display` writes it: 66.50 stays 66.50.
    pub fn of(d: Decimal) -> Shown {
        Shown::from_parts(d.is_sign_negative(), d.mantissa().unsigned_abs(), d.scale() as usize)
    }

    /// `d` without trailing zeros: 66.5, 100.
    pub fn plain(d: Decimal) -> Shown {
        Shown::of(d.normalize())
    }

    fn from_parts(negative: bool, x: u128, scale: usize) -> Shown {
        // At most 29 digits; by 64-bit division while the rest fits.
        let mut digits = [0u8; 29];
        let mut at = digits.len();
        let mut push = |d: u8| {
            at -= 1;
            digits[at] = b'0' + d;
        };
        let mut x = x;
        while u64::try_from(x).is_err() {
            push((x % 10) as u8);
            x /= 10;
        }
        let mut x = x as u64;
        loop {
            push((x % 10) as u8);
            x /= 10;
            if x == 0 {
                break;
            }
        }
        let digits = &digits[at..];
        let mut s = Shown { len: 0, bytes: [0; CAP] };
        if negative {
            s.push(b'-');
        }
        let whole = digits.len().saturating_sub(scale);
        if whole == 0 {
            s.push(b'0');
        }
        s.extend(&digits[..whole]);
        if scale > 0 {
            s.push(b'.');
            for _ in digits.len()..scale {
                s.push(b'0');
            }
            s.extend(&digits[whole..]);
        }
        s
    }

    fn push(&mut self, b: u8) {
        self.bytes[self.len as usize] = b;
        self.len += 1;
    }

    fn extend(&mut self, bs: &[u8]) {
        let at = self.len as usize;
        self.bytes[at..at + bs.len()].copy_from_slice(bs);
        self.len += bs.len() as u8;
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII is ever written.
        std::str::from_utf8(&self.bytes[..self.len as usize]).unwrap_or_default()
    }
}

impl Deref for Shown {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Shown {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq<str> for Shown {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Shown {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for Shown {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<Shown> for &str {
    fn eq(&self, other: &Shown) -> bool {
        *self == other.as_str()
    }
}

impl PartialEq<Shown> for String {
    fn eq(&self, other: &Shown) -> bool {
        self == other.as_str()
    }
}

impl fmt::Display for Shown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl fmt::Debug for Shown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl Serialize for Shown {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn shows_what_display_writes() {
        let mut values = vec![dec!(0), dec!(0.00), dec!(-0), dec!(-0.00), dec!(1), dec!(-1.5), dec!(0.05), dec!(-0.005), dec!(100.00)];
        values.extend([
            dec!(79.4213),
            dec!(1e-28),
            dec!(-1e-28),
            dec!(79228162514264337593543950335),
            dec!(-79228162514264337593543950335),
        ]);
        values.extend([Decimal::from(u64::MAX), Decimal::from(i64::MIN), Decimal::MAX, Decimal::MIN, Decimal::new(-1, 28)]);
        values.push(Decimal::from_i128_with_scale(-79_228_162_514_264_337_593_543_950_335, 28));
        values.push(Decimal::from_i128_with_scale(-79_228_162_514_264_337_593_543_950_335, 1));
        for i in 0..2000i64 {
            values.push(Decimal::new(i * 7919 - 5000, (i % 12) as u32));
            values.push(Decimal::new(i.pow(3) * 1_000_003, (i % 29) as u32));
        }
        for d in values {
            let shown = Shown::of(d);
            assert_eq!(shown, d.to_string(), "{d:?}");
            assert_eq!(Shown::plain(d), d.normalize().to_string(), "{d:?}");
            assert_eq!(serde_json::to_string(&shown).unwrap(), serde_json::to_string(&d.to_string()).unwrap());
        }
    }

    #[test]
    fn reads_as_its_text() {
        let s = Shown::of(dec!(66.50));
        assert_eq!(s, "66.50");
        assert_eq!("66.50", s);
        assert_eq!(s.parse::<Decimal>().unwrap(), dec!(66.50));
        assert_eq!(format!("[{s:>7}]"), "[  66.50]");
        assert_eq!(format!("{s:?}"), "\"66.50\"");
        assert_ne!(Shown::of(dec!(66.5)), s);
    }
}
