//! The year's tables as the report prints them: Biểu 1 (departments), Biểu 2
//! (districts), one section per ranking group, a bar per index, the average.

use maud::{html, Markup};

use super::{bar, signed, Mode};
use crate::lang::{Lang, Text};
use crate::report::{Report, UnitRow};
use crate::score::ruleset::RuleSet;

fn roman(n: usize) -> String {
    ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X"].get(n.wrapping_sub(1)).map_or_else(|| n.to_string(), |s| (*s).to_string())
}

/// One table per unit kind (Biểu 1, Biểu 2, ...), with every group's units
/// in rank order; columns sortable on the live page.
pub fn tables_view(report: &Report, rs: &RuleSet, lang: Lang, mode: Mode) -> Markup {
    let m = &rs.model;
    let t = |x: Text| x.get(lang);
    let kinds: Vec<(usize, &crate::input::model::Kind, Vec<&UnitRow>)> = m
        .kinds
        .iter()
        .enumerate()
        .map(|(ki, kind)| (ki, kind, report.units.iter().filter(|u| u.kind == kind.id).collect::<Vec<_>>()))
        .filter(|(_, _, rows)| !rows.is_empty())
        .collect();
    html! {
        h1 { (report.name) }
        @if mode == Mode::Live { p.muted.noprint { (t(Text::SortHint)) } }
        @for (number, (ki, kind, rows)) in kinds.iter().enumerate() {
            @let (ki, number) = (*ki, number + 1);
            {
                @let parts: Vec<(&str, &str)> = m.parts.iter().enumerate().filter(|(pi, _)| m.part_applies(*pi, ki)).map(|(_, p)| (p.id.as_str(), p.name.as_str())).collect();
                @let groups: Vec<&crate::input::model::Group> = m.groups.iter().filter(|g| g.kind == ki).collect();
                section.kind {
                    h2 { (t(Text::Table)) " " (number) ": " (kind.name) " (" (rows.len()) " " (t(Text::UnitsCount)) ")" }
                    table.sortable.results data-kind=(kind.id) {
                        thead { tr {
                            th data-sort="" data-col="0" { (t(Text::Stt)) }
                            th data-sort="" data-col="1" { (t(Text::Unit)) }
                            @for (i, (_, name)) in parts.iter().enumerate() { th data-sort="" data-col=(i + 2) { (name) } }
                            th data-sort="" data-col=(parts.len() + 2) { (t(Text::TotalScore)) }
                            th data-sort="" data-col=(parts.len() + 3) { (t(Text::Scale)) }
                            th data-sort="" data-col=(parts.len() + 4) { (t(Text::IndexPercent)) }
                            th data-sort="" data-col=(parts.len() + 5) { (t(Text::IndexChange)) }
                            th data-sort="" data-col=(parts.len() + 6) { (t(Text::RankChange)) }
                            th data-sort="" data-col=(parts.len() + 7) { (t(Text::Rank)) }
                        } }
                        @for (gi, g) in groups.iter().enumerate() {
                            @if groups.len() > 1 {
                                tbody.group { tr.group { td { (roman(gi + 1)) } td colspan=(parts.len() + 7) { (g.name) } } }
                            }
                            tbody.rows {
                                @for (n, u) in rows.iter().filter(|u| u.group == g.id).enumerate() {
                                    tr data-unit=(u.id) {
                                        td.num data-v=(n + 1) { (n + 1) }
                                        td.name {
                                            @if mode == Mode::Live { a href={ "/unit/" (u.id) } { (u.name) } } @else { a href={ "#unit-" (u.id) } { (u.name) } }
                                        }
                                        @for (p, _) in &parts {
                                            @match u.parts.get(p) {
                                                Some(v) => td.num data-v=(v) { (v) },
                                                None => td data-v="-1" { (t(Text::NotEvaluated)) },
                                            }
                                        }
                                        td.num data-v=(u.total) { (u.total) }
                                        td.num data-v=(u.scale) { (u.scale) }
                                        td.num.index data-v=(u.index) { span.value { (u.index) } " " (bar(u.index.as_str())) }
                                        @match &u.change {
                                            Some(c) => {
                                                td.num data-v=(c.index) { (signed(c.index.as_str())) }
                                                td.num data-v=(c.rank) { (signed(&c.rank.to_string())) }
                                            }
                                            None => { td.num data-v="" { "-" } td.num data-v="" { "-" } }
                                        }
                                        td.num.rank data-v=(u.rank) { (u.rank) }
                                    }
                                }
                            }
                        }
                        @if let Some(a) = report.averages.iter().find(|a| a.kind == kind.id) {
                            tfoot { tr.average {
                                td {} td colspan=(parts.len() + 3) { (t(Text::Average)) }
                                td.num data-v=(a.index) { (a.index) "% " (bar(a.index.as_str())) }
                                td colspan="3" {}
                            } }
                        }
                    }
                    (components_view(rows, lang))
                }
            }
        }
    }
}

/// The component indices of a kind's units: one bar per unit and component.
fn components_view(rows: &[&UnitRow], lang: Lang) -> Markup {
    let Some(first) = rows.first() else { return html! {} };
    html! {
        details.components open {
            summary { (Text::ComponentIndices.get(lang)) }
            table.sortable {
                thead { tr {
                    th data-sort="" data-col="0" { (Text::Unit.get(lang)) }
                    @for (i, c) in first.components.iter().enumerate() { th data-sort="" data-col=(i + 1) title=(c.name) { (c.id) ". " (c.name) } }
                } }
                tbody.rows {
                    @for u in rows {
                        tr {
                            td { (u.name) }
                            @for c in &u.components {
                                @match &c.index {
                                    Some(i) => td.num data-v=(i) { (i) "% " (bar(i.as_str())) },
                                    None => td data-v="-1" { (Text::NotEvaluated.get(lang)) },
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
