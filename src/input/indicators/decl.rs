//! The indicator declaration as serde reads it
//! (`fixtures/<year>/indicators.toml`); `check_table` in the parent module
//! turns each table into its checked [`TableMeta`](super::TableMeta).

use serde::Deserialize;
use toml::Spanned;

use super::Layout;
use crate::input::csvread::Encoding;
use crate::input::numfmt::NumberFormat;

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDecl {
    #[serde(default)]
    pub(super) table: Vec<RawTable>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTable {
    #[schemars(with = "String")]
    pub(super) id: Spanned<String>,
    #[serde(default)]
    pub(super) name: Option<String>,
    #[schemars(with = "String")]
    pub(super) file: Spanned<String>,
    pub(super) layout: Layout,
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub(super) separator: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) encoding: Encoding,
    #[serde(default)]
    pub(super) number_format: Option<NumberFormat>,
    pub(super) measured_on: String,
    #[serde(default)]
    pub(super) source: Option<String>,
    #[serde(default)]
    pub(super) indicator: Vec<RawIndicator>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct RawIndicator {
    #[schemars(with = "String")]
    pub(super) id: Spanned<String>,
    pub(super) name: String,
    #[serde(default)]
    pub(super) unit: Option<String>,
    #[schemars(with = "Vec<String>")]
    pub(super) applies_to: Vec<Spanned<String>>,
    #[serde(default)]
    #[schemars(with = "Option<Vec<String>>")]
    pub(super) expected_units: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    pub(super) note: Option<String>,
}
