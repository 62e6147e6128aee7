//! Raw file formats: what serde reads from the TOML files, unchecked.
//!
//! Every struct denies unknown fields, so a misspelt key is an error with a
//! line and column rather than a silently ignored setting. Ids keep their
//! spans so validation can point at them. Nothing after `validate` sees
//! these types.

use std::collections::BTreeMap;
use std::fmt;

use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;
use toml::Spanned;

use crate::input::name::Name;
use crate::input::round::Rounding;

/// An exact decimal read from TOML: an integer, a string ("62.77") or a
/// float literal. A TOML float is taken by its shortest round-trip text, which
/// is the literal as written for any number of up to 15 significant digits,
/// so `62.77` reads as exactly 62.77. Longer numbers must be written as strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dec(pub Decimal);

impl<'de> Deserialize<'de> for Dec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Dec;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number such as 1.5 or \"1.5\"")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Dec, E> {
                Ok(Dec(Decimal::from(v)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Dec, E> {
                Ok(Dec(Decimal::from(v)))
            }
            // The one place a binary float appears: the TOML parser's carrier
            // for a literal, turned back into the literal's own digits.
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Dec, E> {
                literal_decimal(v).map(Dec).map_err(E::custom)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Dec, E> {
                // Exact: a text of more digits than a decimal holds is refused, not rounded.
                Decimal::from_str_exact(v.trim()).map(Dec).map_err(|e| match e {
                    rust_decimal::Error::Underflow | rust_decimal::Error::ExceedsMaximumPossibleValue => {
                        E::custom(format!("`{v}` has more digits than an exact decimal holds: write at most 28"))
                    }
                    _ => E::custom(format!("`{v}` is not a number")),
                })
            }
        }
        d.deserialize_any(V)
    }
}

impl JsonSchema for Dec {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Decimal".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "An exact decimal: a number of up to 15 significant digits (62.77), or a string (\"62.77\") for more.",
            "anyOf": [
                { "type": "number" },
                { "type": "string", "pattern": "^\\s*[-+]?[0-9]+(\\.[0-9]+)?\\s*$" }
            ]
        })
    }
}

/// The decimal a TOML float literal was written as: its shortest round-trip
/// text, which is the literal itself for up to 15 significant digits.
pub fn literal_decimal(v: f64) -> Result<Decimal, String> {
    short_decimal(v).map_or_else(|| formatted_decimal(v), Ok)
}

/// [`literal_decimal`] by formatting `v` to its shortest text and reading it.
fn formatted_decimal(v: f64) -> Result<Decimal, String> {
    let text = v.to_string();
    if text.chars().filter(char::is_ascii_digit).count() > 15 {
        return Err(format!("`{text}` has more than 15 significant digits; write it as a string"));
    }
    text.parse::<Decimal>().map_err(|e| format!("`{text}`: {e}"))
}

/// What [`literal_decimal`] gives for a float that is the nearest to a
/// decimal of at most 4 decimals, below 10^11, found without formatting
/// it (most points are written so; formatting took 3% of the 2023
/// province's `score`). The fewest decimals `k` for which `v × 10^k`
/// rounds to an `m` whose quotient `m / 10^k` is `v` again give the
/// shortest text that reads back as `v`: the division of two exact floats
/// is rounded as the reading of the decimal is. Below 10^11 neighbouring
/// floats are less than 2·10^-5 apart, so a decimal that reads back as `v`
/// is within 10^-5 of it: of at most 4 decimals, only the nearest `m` can
/// be, and `v × 10^k` is then within 0.1 of `m`, too far from a half for
/// its rounding to miss it.
fn short_decimal(v: f64) -> Option<Decimal> {
    const POWERS: [f64; 5] = [1.0, 10.0, 100.0, 1000.0, 10000.0];
    if !v.is_finite() || v == 0.0 || v.abs() >= 1e11 {
        return None;
    }
    POWERS.iter().zip(0u32..).find_map(|(&p, k)| {
        let m = (v * p).round();
        // `m` below 10^15 is exact as an integer, at most 15 digits.
        (m.abs() < 1e15 && m / p == v).then(|| Decimal::new(m as i64, k))
    })
}

/// `criteria/<year>/index.toml`: the index's metadata, kinds, parts, groups and rounding.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawIndexFile {
    pub index: RawIndexMeta,
    pub rounding: RawRounding,
    #[serde(default)]
    pub legal: Vec<RawLegal>,
    #[serde(default)]
    pub kind: Vec<RawKind>,
    #[serde(default)]
    pub part: Vec<RawPart>,
    #[serde(default)]
    pub group: Vec<RawGroup>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawIndexMeta {
    #[schemars(with = "i64")]
    pub year: Spanned<i64>,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    /// Legal basis ids (see `[[legal]]`) that govern the whole index.
    #[serde(default)]
    pub legal: Vec<String>,
    /// The rule scripts this year uses, by name: `rules/<name>.rhai`.
    #[schemars(with = "Vec<String>")]
    pub scripts: Vec<Spanned<String>>,
    /// The year the change columns compare with, when it is not the year
    /// before (`previous.toml` must hold that year's results).
    #[serde(default)]
    #[schemars(with = "Option<i64>")]
    pub previous_year: Option<Spanned<i64>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawRounding {
    /// Points of a rule-scored leaf.
    pub leaf: Rounding,
    /// Points, parts and totals as shown.
    pub points: Rounding,
    /// Index % of a unit as shown.
    pub index: Rounding,
    /// Index % of a component as shown.
    pub component: Rounding,
    /// Averages per unit kind as shown.
    pub average: Rounding,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawLegal {
    #[schemars(with = "String")]
    pub id: Spanned<String>,
    pub title: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawKind {
    #[schemars(with = "String")]
    pub id: Spanned<String>,
    pub name: String,
    /// The kind of an earlier year this one continues (communes replace
    /// districts in 2025): `diff` compares their maxima.
    #[serde(default)]
    pub replaces: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawPart {
    #[schemars(with = "String")]
    pub id: Spanned<String>,
    pub name: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawGroup {
    #[schemars(with = "String")]
    pub id: Spanned<String>,
    pub name: String,
    #[schemars(with = "String")]
    pub kind: Spanned<String>,
    /// The units ranked in this group, by id.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub units: Vec<Spanned<String>>,
    /// Instead of `units`: every unit of the group's kind (for data sets of
    /// thousands of units).
    #[serde(default)]
    pub all_of_kind: bool,
}

/// A file of the criteria tree: `criteria/<year>/tree/*.toml`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawTreeFile {
    #[serde(default)]
    pub node: Vec<RawNode>,
}

/// One criterion at any level; its parent is its id without the last `.part`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawNode {
    #[schemars(with = "String")]
    pub id: Spanned<String>,
    pub name: String,
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub part: Option<Spanned<String>>,
    /// Leaves only: the maximum, one number or one per unit kind.
    #[serde(default)]
    #[schemars(with = "Option<RawMax>")]
    pub max: Option<Spanned<RawMax>>,
    /// Leaves only: the rule script that scores it.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub rule: Option<Spanned<String>>,
    /// Rule input name → data key (`portal.hai_long`).
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, String>")]
    pub inputs: BTreeMap<String, Spanned<String>>,
    /// Constants passed to the rule.
    #[serde(default)]
    #[schemars(with = "serde_json::Map<String, serde_json::Value>")]
    pub params: toml::Table,
    /// Legal reference: `"<legal id>"` or `"<legal id>: article"`.
    #[serde(default)]
    pub legal: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum RawMax {
    All(Dec),
    PerKind(BTreeMap<String, Dec>),
}

/// `criteria/<year>/exemptions.toml`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawExemptionsFile {
    #[serde(default)]
    pub exemption: Vec<RawExemption>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawExemption {
    #[schemars(with = "String")]
    pub id: Spanned<String>,
    #[schemars(with = "Vec<String>")]
    pub units: Vec<Spanned<String>>,
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub criteria: Vec<Spanned<String>>,
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub parts: Vec<Spanned<String>>,
    pub reason: String,
    #[serde(default)]
    pub legal: Option<String>,
}

/// `fixtures/<year>/units.toml` (or `units.csv`).
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawUnitsFile {
    #[serde(default)]
    pub unit: Vec<RawUnit>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawUnit {
    #[schemars(with = "String")]
    pub id: Spanned<Name>,
    #[schemars(with = "String")]
    pub name: Name,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[schemars(with = "String")]
    pub kind: Spanned<String>,
}

/// `fixtures/<year>/scores.toml`: points awarded by the appraisal council,
/// `[<unit id>] "<criterion id or part id>" = points`.
pub type RawScoresFile = BTreeMap<Spanned<String>, BTreeMap<Spanned<String>, Spanned<Dec>>>;

/// `fixtures/<year>/facts.toml`: raw facts, `[<unit id>] "<key>" = value`.
pub type RawFactsFile = BTreeMap<Spanned<String>, BTreeMap<Spanned<String>, Spanned<RawFact>>>;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum RawFact {
    Bool(bool),
    Number(Dec),
    Text(String),
}

/// `fixtures/<year>/previous.toml`: last year's published results.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawPreviousFile {
    /// The year these results are of.
    #[schemars(with = "i64")]
    pub year: Spanned<i64>,
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub unit: Vec<RawPrevious>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawPrevious {
    #[schemars(with = "String")]
    pub id: Spanned<String>,
    #[schemars(with = "Dec")]
    pub index: Spanned<Dec>,
    #[schemars(with = "u32")]
    pub rank: Spanned<u32>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]

        /// Points as they are written, of up to 6 decimals: read as their text reads.
        #[test]
        fn a_written_decimal_reads_as_its_text(m in -10_000_000_000_000i64..10_000_000_000_000, k in 0u32..7) {
            let v: f64 = Decimal::new(m, k).to_string().parse().unwrap();
            let fast = literal_decimal(v).map_err(|_| ());
            let slow = formatted_decimal(v).map_err(|_| ());
            prop_assert_eq!(fast, slow);
            if let Ok(d) = fast {
                prop_assert_eq!(d.scale(), formatted_decimal(v).unwrap().scale());
            }
        }

        /// Any float at all: the same decimal, scale and all, or the same refusal.
        #[test]
        fn any_float_reads_as_its_shortest_text(bits in any::<u64>()) {
            let v = f64::from_bits(bits);
            prop_assume!(v.is_finite());
            let fast = literal_decimal(v);
            let slow = formatted_decimal(v);
            prop_assert_eq!(fast.is_ok(), slow.is_ok());
            if let (Ok(a), Ok(b)) = (fast, slow) {
                prop_assert_eq!((a, a.scale()), (b, b.scale()));
            }
        }
    }

    #[test]
    fn short_decimals_are_found_without_formatting() {
        for (v, text) in
            [(2.08, "2.08"), (-1.25, "-1.25"), (20.0, "20"), (0.5, "0.5"), (62.77, "62.77"), (99_999_999_999.5, "99999999999.5")]
        {
            let d = short_decimal(v).expect(text);
            assert_eq!(d.to_string(), text);
        }
        // Beyond 4 decimals, or 10^11, or zero: formatted.
        assert_eq!(short_decimal(0.12345), None);
        assert_eq!(short_decimal(1e11), None);
        assert_eq!(short_decimal(0.0), None);
        assert_eq!(literal_decimal(0.12345).unwrap().to_string(), "0.12345");
    }
}
