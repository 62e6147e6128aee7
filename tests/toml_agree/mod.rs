//! What the fast TOML reader must agree with the `toml` crate on, shared
//! by `tests/tomlread.rs` and the fuzz target `toml` (`fuzz/`): any text,
//! as a generic value with the span of every key and value, and as each
//! raw type a year's files are read into.

use parindex::input::raw::*;
use parindex::input::raw_round::*;
use parindex::input::tomlread::{fast, from_str};
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use toml::Spanned;

/// Any TOML value with the span of every key and value.
#[derive(Debug, PartialEq)]
pub enum Sv {
    Str(String),
    Int(i64),
    /// The bits of the float, so equal means the same number.
    Float(u64),
    Bool(bool),
    Array(Vec<Spanned<Sv>>),
    Table(Vec<(Spanned<String>, Spanned<Sv>)>),
}

impl<'de> Deserialize<'de> for Sv {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Sv;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a TOML value")
            }
            fn visit_str<E>(self, v: &str) -> Result<Sv, E> {
                Ok(Sv::Str(v.to_string()))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Sv, E> {
                Ok(Sv::Int(v))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Sv, E> {
                Ok(Sv::Float(v.to_bits()))
            }
            fn visit_bool<E>(self, v: bool) -> Result<Sv, E> {
                Ok(Sv::Bool(v))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Sv, A::Error> {
                let mut out = Vec::new();
                while let Some(v) = seq.next_element()? {
                    out.push(v);
                }
                Ok(Sv::Array(out))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Sv, A::Error> {
                let mut out = Vec::new();
                while let Some(k) = map.next_key()? {
                    out.push((k, map.next_value()?));
                }
                Ok(Sv::Table(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// The answers of both readers agree wherever the fast one gives one;
/// whether it gave one.
pub fn agree(text: &str, what: &str) -> bool {
    let reference: Result<toml::Value, _> = toml::from_str(text);
    let fast_value: Option<toml::Value> = fast(text);
    if let Some(v) = &fast_value {
        assert_eq!(Some(v), reference.as_ref().ok(), "{what}: the fast reader reads what toml does not, or otherwise:\n{text}");
    }
    // With spans, where a value has one (an implicit table has none, for both).
    if let Some(v) = fast::<Spanned<Sv>>(text) {
        let spanned: Result<Spanned<Sv>, _> = toml::from_str(text);
        assert_eq!(Some(&v), spanned.as_ref().ok(), "{what}: spans differ:\n{text}");
    }
    // `from_str` is the toml crate's answer, value or error.
    let answer: Result<toml::Value, _> = from_str(text);
    match (&answer, &reference) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "{what}"),
        (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{what}"),
        _ => panic!("{what}: from_str and toml disagree on\n{text}"),
    }
    fast_value.is_some()
}

/// Wherever the fast reader reads `text` as `T`, the `toml` crate reads the
/// same (by `Debug`, spans included); whether the fast reader read it.
pub fn agree_as<T: serde::de::DeserializeOwned + std::fmt::Debug>(text: &str) -> Result<bool, String> {
    let Some(v) = fast::<T>(text) else { return Ok(false) };
    let reference: T = toml::from_str(text).map_err(|e| format!("toml refuses what the fast reader read: {e}\n{text}"))?;
    let (v, reference) = (format!("{v:?}"), format!("{reference:?}"));
    if v == reference {
        Ok(true)
    } else {
        Err(format!("the fast reader reads\n{v}\nwhere toml reads\n{reference}\nfrom\n{text}"))
    }
}

/// [`agree_as`] for every raw type a year's files are read into; how many read `text`.
pub fn agree_as_every_raw_type(text: &str) -> Result<usize, String> {
    type Check = fn(&str) -> Result<bool, String>;
    let checks: [Check; 10] = [
        agree_as::<RawIndexFile>,
        agree_as::<RawTreeFile>,
        agree_as::<RawExemptionsFile>,
        agree_as::<RawUnitsFile>,
        agree_as::<RawScoresFile>,
        agree_as::<RawFactsFile>,
        agree_as::<RawPreviousFile>,
        agree_as::<RawSelfFile>,
        agree_as::<RawRoundsFile>,
        agree_as::<RawSurveyFile>,
    ];
    let mut read = 0;
    for check in checks {
        read += usize::from(check(text)?);
    }
    Ok(read)
}
