//! One unit: its tree with every node's maximum, points, exemption, data,
//! rule, parameters and legal basis (what `parindex explain` shows, read from
//! its JSON), its component indices with bars, and its history.

use maud::{html, Markup};
use serde_json::Value;

use super::{bar, s, signed, Mode};
use crate::lang::{Lang, Text};
use crate::report::UnitRow;

/// A unit's published or archived result of one year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryRow {
    pub year: u16,
    pub index: String,
    pub rank: u32,
    /// Where the row comes from: `results/2023.json`, `previous.toml`, or the live set.
    pub source: String,
}

/// The unit page; `explain` is the document of `parindex explain --format json`.
pub fn unit_view(explain: &Value, row: &UnitRow, history: &[HistoryRow], lang: Lang, mode: Mode) -> Markup {
    let t = |x: Text| x.get(lang);
    let unit = &explain["unit"];
    let empty = Vec::new();
    let nodes = explain["nodes"].as_array().unwrap_or(&empty);
    html! {
        section.unit id={ "unit-" (s(unit, "id")) } {
            h1 { (s(unit, "name")) " " span.muted { "(" (s(unit, "id")) ")" } }
            p {
                (t(Text::IndexPercent)) ": " strong.index { (row.index) } " " (bar(row.index.as_str()))
                " · " (t(Text::TotalScore)) " " (row.total) " / " (row.scale)
                " · " (t(Text::RankInGroup)) " " strong.rank { (row.rank) } " " (t(Text::Of)) " " (explain["rank"]["units"].as_u64().unwrap_or(0))
                @if let (Some(c), Some(p)) = (&row.change, &row.previous) {
                    " · " (t(Text::ChangeAgainst)) " " (p.year) ": " (signed(c.index.as_str())) " (" (t(Text::Rank)) " " (signed(&c.rank.to_string())) ")"
                }
            }
            @for l in explain["legal"].as_array().unwrap_or(&empty) {
                p.muted { (t(Text::LegalBasis)) ": " (l.as_str().unwrap_or("")) }
            }
            h2 { (t(Text::ComponentIndices)) }
            table {
                thead { tr { th { (t(Text::Criterion)) } th { (t(Text::Points)) } th { (t(Text::Maximum)) } th { (t(Text::IndexPercent)) } } }
                tbody {
                    @for c in &row.components {
                        tr {
                            td { (c.id) ". " (c.name) }
                            @match (&c.score, &c.index) {
                                (Some(p), Some(i)) => { td.num { (p) } td.num { (c.scale) } td.num { (i) "% " (bar(i.as_str())) } },
                                _ => { td { (t(Text::NotEvaluated)) } td.num { (c.scale) } td {} },
                            }
                        }
                    }
                }
            }
            h2 { (t(Text::Criterion)) }
            table.tree {
                thead { tr { th { (t(Text::Criterion)) } th { (t(Text::Maximum)) } th { (t(Text::Points)) } th { (t(Text::Source)) } } }
                tbody {
                    @for n in nodes {
                        @if s(n, "status") != "not_applicable" {
                            (node_row(n, lang))
                        }
                    }
                }
            }
            h2 { (t(Text::Parts)) }
            p {
                @for (k, v) in explain["parts"].as_object().into_iter().flatten() { code { (k) } " " (v.as_str().unwrap_or("")) "; " }
            }
            ul {
                li { (t(Text::ScaleFormula)) ": " code { (terms(s(&explain["scale"], "formula"))) " = " (s(&explain["scale"], "exact")) } }
                li { (t(Text::TotalFormula)) ": " code { (terms(s(&explain["total"], "formula"))) " = " (s(&explain["total"], "exact")) } ", " (t(Text::Shown)) " " (s(&explain["total"], "shown")) " (" (s(&explain["total"], "rounding")) ")" }
                li { (t(Text::IndexFormula)) ": " code { (s(&explain["index"], "formula")) " = " (s(&explain["index"], "exact")) } ", " (t(Text::Shown)) " " (s(&explain["index"], "shown")) "% (" (s(&explain["index"], "rounding")) ")" }
            }
            h2 { (t(Text::History)) }
            @if history.is_empty() {
                p.muted { (t(Text::NoHistory)) }
            } @else {
                table.history {
                    thead { tr { th { (t(Text::Year)) } th { (t(Text::IndexPercent)) } th { (t(Text::Rank)) } th { (t(Text::Source)) } } }
                    tbody { @for h in history { tr { td { (h.year) } td.num { (h.index) " " (bar(&h.index)) } td.num { (h.rank) } td.muted { (h.source) } } } }
                }
            }
            @if mode == Mode::Live { p.noprint { a href="/" { "← " (t(Text::BackToTables)) } } }
        }
    }
}

/// One node of the tree: id and name indented by depth, maximum, points and where they came from.
fn node_row(n: &Value, lang: Lang) -> Markup {
    let t = |x: Text| x.get(lang);
    let status = s(n, "status");
    let depth = n["depth"].as_u64().unwrap_or(0).min(4);
    let max = if status == "exempt" { n["declared_max"].as_str().unwrap_or("-") } else { s(n, "max") };
    html! {
        tr class=(status) data-node=(s(n, "id")) {
            td class={ "name d" (depth) } { (s(n, "id")) " " (s(n, "name")) }
            td.num { (max) }
            td.num.points { (n["points"].as_str().unwrap_or("")) }
            td.detail {
                @match status {
                    "exempt" => {
                        (t(Text::Exempt))
                        @if let Some(e) = n.get("exemption").filter(|e| e.is_object()) {
                            ": " (t(Text::Exemption)) " " code { (s(e, "id")) } ", " (s(e, "reason")) " [" (s(e, "declared_at")) "]"
                            @if let Some(l) = e["legal"].as_str() { br; (t(Text::LegalBasis)) ": " (l) }
                        } @else { " (" (t(Text::WithParent)) ")" }
                    },
                    "covered" => { (t(Text::CoveredBy)) " " (s(n, "covered_by")) },
                    "awarded" => { (t(Text::Awarded)) " [" (s(n, "awarded_at")) "]" },
                    "no_data" => { (t(Text::NoData)) },
                    "scored" => {
                        @let rule = &n["rule"];
                        (t(Text::ScoredByRule)) " " code.rule { (s(rule, "rule")) } " (" (s(rule, "script")) ")"
                        br;
                        (t(Text::DataRead)) ": "
                        @for i in rule["inputs"].as_array().into_iter().flatten() {
                            span.input { code { (s(i, "name")) } " = " strong { (i["value"].as_str().unwrap_or("?")) } " (" (s(i, "key")) @if let Some(src) = i["source"].as_str() { ", " (src) } ")" } "; "
                        }
                        br;
                        (t(Text::Params)) ": " code.params { (s(rule, "params")) } "; " (t(Text::RoundedTo)) " " (s(rule, "rounding"))
                    },
                    _ => { (t(Text::SumOfChildren)) },
                }
                @if let Some(p) = n["part"].as_str() { br; (t(Text::CountsTowardsPart)) " " code { (p) } }
                @if let Some(l) = n["legal"].as_str() { br; (t(Text::LegalBasis)) ": " (l) }
            }
        }
    }
}

/// The terms of an explanation's sum (`30 + 10 + ...`), without its English lead-in.
fn terms(formula: &str) -> &str {
    formula.split_once(": ").map_or(formula, |(_, terms)| terms)
}
