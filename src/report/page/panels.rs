//! The panels around the tables: the banner of a rejected edit, what changed
//! at the last reload, a rule-set diff, the targets and the indicator tables.

use std::time::SystemTime;

use maud::{html, Markup};
use serde_json::Value;

use super::{bar, s, signed, time};
use crate::diag::{Diagnostics, Severity};
use crate::input::indicators::IndicatorData;
use crate::input::model::Model;
use crate::input::targets::TargetReport;
use crate::lang::{diff_section, target_status, Lang, Text};

/// The set still serving while an edit is rejected.
#[derive(Debug, Clone, Copy)]
pub struct BannerInfo {
    pub generation: u64,
    pub serving_since: SystemTime,
}

/// The banner of a rejected edit: every diagnostic with `file:line:col`, and
/// which rule set is still served, since when.
pub fn banner(diagnostics: &Diagnostics, info: BannerInfo, lang: Lang) -> Markup {
    let t = |x: Text| x.get(lang);
    html! {
        div.banner role="alert" data-generation=(info.generation) {
            h2 { (t(Text::RejectedTitle)) }
            p { (t(Text::StillServing)) " " strong { (info.generation) } ", " (t(Text::Since)) " " (time(info.serving_since)) "." }
            ul.diagnostics {
                @for d in diagnostics.iter() {
                    li class=(if d.severity == Severity::Error { "error" } else { "warning" }) {
                        strong { (if d.is_error() { t(Text::Error) } else { t(Text::Warning) }) "[" (d.code) "]" } " "
                        @if let Some(l) = &d.location {
                            span.loc {
                                (l.file.display())
                                @if let (Some(line), Some(col)) = (l.line, l.column) { ":" (line) ":" (col) }
                            }
                            " "
                        }
                        (crate::diag::title(d.code, lang)) ": " (d.message)
                        @if let Some(src) = &d.source_line { pre { (src) } }
                        @if let Some(u) = &d.unit { br; (t(Text::DiagUnit)) " " code { (u) } }
                        @if let Some(c) = &d.criterion { br; (t(Text::DiagCriterion)) " " code { (c) } }
                        @if let Some(h) = &d.help { br; (t(Text::DiagHelp)) ": " (h) }
                    }
                }
            }
        }
    }
}

/// What moved at a reload, from the JSON of the engine's `changes`; `None` before any reload.
pub fn changes_view(changes: Option<(u64, &Value)>, lang: Lang) -> Markup {
    let t = |x: Text| x.get(lang);
    let moved = |v: &Value| -> String {
        let show = |x: &Value| match x {
            Value::Null => "—".to_string(),
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        format!("{} → {}", show(&v["old"]), show(&v["new"]))
    };
    html! {
        section.changes {
            h2 { (t(Text::WhatChanged)) }
            @match changes {
                None => p.muted { (t(Text::NothingChangedYet)) },
                Some((generation, c)) => {
                    p.muted { (t(Text::RuleSetGeneration)) " " (generation) }
                    @let units = c["units"].as_array().map(Vec::as_slice).unwrap_or(&[]);
                    @if units.is_empty() && c["averages"].as_array().map_or(true, Vec::is_empty) {
                        p { (t(Text::NoChange)) }
                    }
                    ul {
                        @for u in units {
                            li {
                                a href={ "/unit/" (s(u, "id")) } { (s(u, "name")) } " (" (s(u, "id")) ")"
                                @for (key, label) in [("total", Text::TotalScore), ("scale", Text::Scale), ("index", Text::IndexPercent), ("rank", Text::Rank)] {
                                    @if u.get(key).is_some() { " · " (t(label)) " " (moved(&u[key])) }
                                }
                                ul {
                                    @for c in u["criteria"].as_array().into_iter().flatten() {
                                        li {
                                            code { (s(c, "id")) }
                                            @if c.get("max").is_some() { " " (t(Text::Maximum)) " " (moved(&c["max"])) }
                                            @if c.get("points").is_some() { " " (t(Text::Points)) " " (moved(&c["points"])) }
                                        }
                                    }
                                }
                            }
                        }
                        @for a in c["averages"].as_array().into_iter().flatten() {
                            li { (t(Text::Average)) " " code { (s(a, "kind")) } " " (moved(&a["index"])) }
                        }
                        @for id in c["added"].as_array().into_iter().flatten() { li { (t(Text::Added)) " " code { (id.as_str().unwrap_or("")) } } }
                        @for id in c["removed"].as_array().into_iter().flatten() { li { (t(Text::Removed)) " " code { (id.as_str().unwrap_or("")) } } }
                    }
                }
            }
        }
    }
}

/// A rule-set diff, from the JSON of `parindex diff --format json`: every
/// list of changes it holds, then the data scored under both sets when present.
pub fn diff_view(diff: &Value, lang: Lang) -> Markup {
    let t = |x: Text| x.get(lang);
    let lists: Vec<(&String, &Vec<Value>)> =
        diff.as_object().into_iter().flatten().filter_map(|(k, v)| v.as_array().map(|a| (k, a))).filter(|(_, a)| !a.is_empty()).collect();
    html! {
        h2 { (t(Text::DiffTitle)) " " (diff["from"]) " → " (diff["to"]) }
        @if lists.is_empty() { p { (t(Text::DiffNone)) } }
        @for (key, list) in &lists {
            h3 { (diff_section(key, lang)) " (" (list.len()) ")" }
            table {
                tbody {
                    @for c in list.iter() {
                        tr { td { code { (s(c, "what")) } } td { (s(c, "before")) } td { "→" } td { (s(c, "after")) } }
                    }
                }
            }
        }
        @if let Some(data) = diff.get("data").filter(|d| d.is_object()) {
            h2 { (t(Text::DiffData)) " " (data["year"]) }
            @if let Some(e) = data["error"].as_str() { pre { (e) } }
            @if let Some(units) = data["units"].as_array() {
                table.sortable {
                    thead { tr {
                        th data-sort="" data-col="0" { (t(Text::Unit)) }
                        th data-sort="" data-col="1" { (t(Text::IndexPercent)) " " (diff["from"]) }
                        th data-sort="" data-col="2" { (t(Text::Rank)) " " (diff["from"]) }
                        th data-sort="" data-col="3" { (t(Text::IndexPercent)) " " (diff["to"]) }
                        th data-sort="" data-col="4" { (t(Text::Rank)) " " (diff["to"]) }
                        th data-sort="" data-col="5" { (t(Text::RankMove)) }
                    } }
                    tbody.rows {
                        @for u in units {
                            tr {
                                td { (s(u, "id")) }
                                td.num data-v=(s(&u["from"], "index")) { (s(&u["from"], "index")) " " (bar(s(&u["from"], "index"))) }
                                td.num { (u["from"]["rank"]) }
                                td.num data-v=(s(&u["to"], "index")) { (s(&u["to"], "index")) " " (bar(s(&u["to"], "index"))) }
                                td.num { (u["to"]["rank"]) }
                                td.num { (signed(&u["rank_move"].to_string())) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Every target against the indicator data: met, not met, no numeric target or no data, with the gap.
pub fn targets_view(report: Option<&TargetReport>, lang: Lang) -> Markup {
    let t = |x: Text| x.get(lang);
    let Some(report) = report.filter(|r| !r.targets.is_empty()) else {
        return html! { h2 { (t(Text::NavTargets)) } p.muted { (t(Text::NoTargets)) } };
    };
    html! {
        h2 { (t(Text::TargetsOfYear)) " " (report.year) " (" (t(Text::IndicatorsOfYear)) " " (report.indicators_year) ")" }
        @for target in &report.targets {
            section.target {
                h3 { @if let Some(n) = &target.stt { (n) ". " } (target.name) " — " (target.year) }
                p.muted {
                    (t(Text::Threshold)) ": " (if target.threshold_text.is_empty() { "—" } else { &target.threshold_text })
                    @if let Some(m) = &target.measure { " · " (t(Text::Indicator)) " " code { (m) } }
                    " · " span.status-met { (t(Text::Met)) " " (target.summary.met) } ", "
                    span.status-not_met { (t(Text::NotMet)) " " (target.summary.not_met) } ", "
                    (t(Text::NoNumericTarget)) " " (target.summary.no_numeric_target) ", "
                    (t(Text::NoData)) " " (target.summary.no_data)
                }
                @if target.units.iter().any(|u| u.value.is_some()) {
                    table.sortable {
                        thead { tr {
                            th data-sort="" data-col="0" { (t(Text::Unit)) }
                            th data-sort="" data-col="1" { (t(Text::Value)) }
                            th data-sort="" data-col="2" { (t(Text::Gap)) }
                            th data-sort="" data-col="3" { (t(Text::Status)) }
                        } }
                        tbody.rows {
                            @for u in &target.units {
                                tr {
                                    td { (u.name) }
                                    td.num data-v=(u.value.map(|v| v.to_string()).unwrap_or_default()) {
                                        @if let Some(v) = u.value { (v) " " (bar(&v.to_string())) } @else { "—" }
                                    }
                                    td.num { @if let Some(g) = u.gap { (signed(&g.to_string())) } @else { "—" } }
                                    td class={ "status-" (u.status.as_str()) } { (target_status(u.status.as_str(), lang)) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The indicator tables: one row per unit, one column per indicator, as read from the files.
pub fn indicators_view(data: &IndicatorData, model: &Model, lang: Lang) -> Markup {
    let t = |x: Text| x.get(lang);
    let keys: Vec<&str> = data.keys().collect();
    if keys.is_empty() {
        return html! {};
    }
    html! {
        h2 { (t(Text::IndicatorTables)) " " (data.year()) }
        table.sortable.indicators {
            thead { tr {
                th data-sort="" data-col="0" { (t(Text::Unit)) }
                @for (i, k) in keys.iter().enumerate() {
                    @let meta = data.indicator(k);
                    th data-sort="" data-col=(i + 1) title=(k) {
                        (meta.map_or(*k, |m| m.name.as_str()))
                        @if let Some(c) = data.column(k) { br; span.muted { (t(Text::MeasuredOn)) " " (c.measured_on().as_ref()) } }
                    }
                }
            } }
            tbody.rows {
                @for u in &model.units {
                    tr {
                        td { (u.name) }
                        @for k in &keys {
                            @let v = data.unit_index(&u.id).and_then(|i| data.column(k).and_then(|c| c.value(i)));
                            @match v {
                                Some(v) => td.num data-v=(v) { (v) },
                                None => td.num data-v="" { "—" },
                            }
                        }
                    }
                }
            }
        }
    }
}
