//! Explain: why a unit has each of its points.
//!
//! For one unit, every node of the tree with its maximum, where its points
//! came from (awarded by the council, computed by a rule from named data,
//! summed from sub-criteria, included in points awarded higher up), or that
//! it is not evaluated and by which exemption; then how the scale, the total
//! and the index were computed and rounded. Legal references declared in the
//! criteria appear on the lines they govern. When the previous year is
//! archived, each component's points and index % are set beside that year's
//! ([`year_on_year`]).

use std::fmt::Write as _;

use rust_decimal::Decimal;
use serde::Serialize;

use crate::audit::archive::Archive;
use crate::input::fingerprint::Fingerprint;
use crate::lang::{Lang, Text};
use crate::report::{plain, UnitRow};
use crate::score::eval::{covering_ancestor, Outcome, Status};
use crate::score::ruleset::RuleSet;

#[derive(Debug, Clone, Serialize)]
pub struct InputUsed {
    pub name: String,
    pub key: String,
    pub value: Option<String>,
    pub source: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RuleUsed {
    pub rule: String,
    pub script: String,
    pub params: String,
    pub inputs: Vec<InputUsed>,
    pub rounding: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ExemptionUsed {
    pub id: String,
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub legal: Option<String>,
    pub declared_at: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct NodeLine {
    pub id: String,
    pub name: String,
    pub depth: usize,
    /// The node's maximum for this unit's kind as declared (or summed).
    pub declared_max: Option<String>,
    /// The maximum counted in this unit's scale.
    pub max: String,
    /// not_applicable | exempt | covered | awarded | scored | sum
    pub status: &'static str,
    pub points: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub part: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub awarded_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub covered_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<RuleUsed>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exemption: Option<ExemptionUsed>,
    /// The exemption is the parent's, not named for this node.
    #[serde(skip)]
    pub inherited_exemption: bool,
    /// Where the node's points come from: published, derived, reconstructed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provenance: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub legal: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Computation {
    pub exact: String,
    pub shown: String,
    pub rounding: String,
    pub formula: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Explanation {
    pub year: u16,
    pub fingerprint: Fingerprint,
    pub unit: UnitInfo,
    pub legal: Vec<String>,
    pub nodes: Vec<NodeLine>,
    pub parts: serde_json::Map<String, serde_json::Value>,
    pub scale: Computation,
    pub total: Computation,
    pub index: Computation,
    pub rank: RankInfo,
    /// The change against the previous year, per component, when that year's archive holds it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub year_on_year: Option<YearOnYear>,
}

/// A unit's result against the previous year's archived one.
#[derive(Debug, Clone, Serialize)]
pub struct YearOnYear {
    /// The year compared with, and the archive its numbers are read from.
    pub year: u16,
    pub archive: String,
    pub components: Vec<ComponentChange>,
    pub index: Change,
    pub rank: Change,
}

/// One component's points, scale and index % in both years, as shown.
#[derive(Debug, Clone, Serialize)]
pub struct ComponentChange {
    pub id: String,
    pub name: String,
    /// `None` when the component is new, or was not evaluated for the unit.
    pub before: Option<ComponentShown>,
    pub after: Option<ComponentShown>,
    /// Points and index % gained (negative: lost); `None` unless evaluated in both years.
    pub points: Option<String>,
    pub index: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ComponentShown {
    pub score: String,
    pub scale: String,
    pub index: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Change {
    pub before: String,
    pub after: String,
    pub change: String,
}

fn dec(s: &str) -> Option<Decimal> {
    s.parse().ok()
}

/// The difference `after − before` of two shown numbers, with a sign.
fn signed(before: &str, after: &str) -> Option<String> {
    let d = dec(after)?.checked_sub(dec(before)?)?;
    Some(if d.is_sign_negative() { d.to_string() } else { format!("+{d}") })
}

/// The change of `row`'s unit against its row in the previous year's archive
/// (`archive_name` names the file); `None` when the archive has no such unit.
pub fn year_on_year(row: &UnitRow, previous: &Archive, archive_name: &str) -> Option<YearOnYear> {
    let old = previous.report.units.iter().find(|u| u.id == row.id.as_str())?;
    let shown = |score: Option<&str>, scale: &str, index: Option<&str>| {
        Some(ComponentShown { score: score?.to_string(), scale: scale.to_string(), index: index?.to_string() })
    };
    let mut components: Vec<ComponentChange> = Vec::new();
    for c in &row.components {
        let before = old.components.iter().find(|o| o.id == c.id.as_str());
        let after = shown(c.score.as_deref(), &c.scale, c.index.as_deref());
        let before = before.and_then(|o| shown(o.score.as_deref(), &o.scale, o.index.as_deref()));
        let both = before.as_ref().zip(after.as_ref());
        components.push(ComponentChange {
            id: c.id.to_string(),
            name: c.name.to_string(),
            points: both.and_then(|(b, a)| signed(&b.score, &a.score)),
            index: both.and_then(|(b, a)| signed(&b.index, &a.index)),
            before,
            after,
        });
    }
    for o in old.components.iter().filter(|o| !row.components.iter().any(|c| c.id == o.id.as_str())) {
        let before = shown(o.score.as_deref(), &o.scale, o.index.as_deref());
        components.push(ComponentChange { id: o.id.clone(), name: o.name.clone(), before, after: None, points: None, index: None });
    }
    let rank_change = i64::from(old.rank) - i64::from(row.rank);
    Some(YearOnYear {
        year: previous.year,
        archive: archive_name.to_string(),
        components,
        index: Change {
            before: old.index.clone(),
            after: row.index.to_string(),
            change: signed(&old.index, &row.index).unwrap_or_default(),
        },
        rank: Change { before: old.rank.to_string(), after: row.rank.to_string(), change: format!("{rank_change:+}") },
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct UnitInfo {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub group: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct RankInfo {
    pub rank: u32,
    pub group: String,
    pub units: usize,
}

fn status_name(s: Status) -> &'static str {
    match s {
        Status::NotApplicable => "not_applicable",
        Status::Exempt(_) => "exempt",
        Status::Covered => "covered",
        Status::NoData => "no_data",
        Status::Awarded => "awarded",
        Status::Scored => "scored",
        Status::Sum => "sum",
    }
}

fn location_text(l: &crate::diag::Location) -> String {
    match l.line {
        Some(line) => format!("{}:{line}", l.file.display()),
        None => l.file.display().to_string(),
    }
}

/// Explains the result of unit `unit` (an index into the model's units).
pub fn explain(rs: &RuleSet, outcome: &Outcome, unit: usize) -> Explanation {
    let m = &rs.model;
    let r = m.rounding;
    let res = &outcome.units[unit];
    let u = &m.units[unit];
    let mut provenance = crate::audit::published::provenance(rs, &u.id);
    let nodes = m
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let nr = res.node(i);
            let rule = (nr.status == Status::Scored).then(|| {
                let rule = n.rule.as_ref().expect("scored nodes have a rule");
                RuleUsed {
                    rule: m.scripts[rule.script].name.clone(),
                    script: m.scripts[rule.script].path.display().to_string(),
                    params: rule.params_text.clone(),
                    inputs: rule
                        .inputs
                        .iter()
                        .map(|(name, key)| {
                            let cell = rs.data.get(key, unit);
                            InputUsed {
                                name: name.clone(),
                                key: key.clone(),
                                value: cell.as_ref().map(|c| c.value_text()),
                                source: cell.map(|c| c.source.to_string()),
                            }
                        })
                        .collect(),
                    rounding: r.leaf.to_string(),
                }
            });
            let exemption = match nr.status {
                Status::Exempt(e) => {
                    let ex = &m.exemptions[e as usize];
                    Some(ExemptionUsed {
                        id: ex.id.clone(),
                        reason: ex.reason.clone(),
                        legal: ex.legal.as_ref().map(|l| m.legal_text(l)),
                        declared_at: location_text(&ex.location),
                    })
                }
                _ => None,
            };
            NodeLine {
                id: n.id.clone(),
                name: n.name.clone(),
                depth: n.depth,
                declared_max: n.max[u.kind].map(plain),
                max: plain(nr.max),
                status: status_name(nr.status),
                points: nr.status.has_points().then(|| plain(nr.points)),
                part: n.part.filter(|_| n.part_root).map(|p| m.parts[p].id.clone()),
                awarded_at: (nr.status == Status::Awarded).then(|| location_text(&m.awarded[&(unit, i)].location)),
                covered_by: (nr.status == Status::Covered).then(|| covering_ancestor(m, res.shape(), i).map(|p| m.nodes[p].id.clone())).flatten(),
                rule,
                inherited_exemption: matches!((nr.status, n.parent.map(|p| res.node(p).status)), (Status::Exempt(e), Some(Status::Exempt(f))) if e == f),
                exemption,
                legal: n.legal.as_ref().map(|l| m.legal_text(l)),
                provenance: provenance.remove(&n.id),
            }
        })
        .collect();
    let mut parts = serde_json::Map::new();
    for (pi, p) in m.parts.iter().enumerate() {
        if let Some(v) = res.parts[pi] {
            parts.insert(p.id.clone(), serde_json::Value::String(plain(v)));
        }
    }
    let comps: Vec<usize> = m.components().filter(|&c| res.node(c).status.in_scale()).collect();
    let sum_text = |f: &dyn Fn(usize) -> Decimal| comps.iter().map(|&c| plain(f(c))).collect::<Vec<_>>().join(" + ");
    let group = &m.groups[u.group];
    Explanation {
        year: m.year,
        fingerprint: rs.fingerprint.clone(),
        unit: UnitInfo { id: u.id.to_string(), name: u.name.to_string(), kind: m.kinds[u.kind].id.clone(), group: group.id.clone() },
        legal: m.index_legal.iter().map(|&l| m.legal[l].title.clone()).collect(),
        nodes,
        parts,
        scale: Computation {
            exact: plain(res.scale),
            shown: plain(res.scale),
            rounding: "none".into(),
            formula: format!("sum of the maxima of the evaluated components: {}", sum_text(&|c| res.node(c).max)),
        },
        total: Computation {
            exact: plain(res.total),
            shown: r.points.apply(res.total).to_string(),
            rounding: r.points.to_string(),
            formula: format!("sum of the components' points: {}", sum_text(&|c| res.node(c).points)),
        },
        index: Computation {
            exact: plain(res.index),
            shown: r.index.apply(res.index).to_string(),
            rounding: r.index.to_string(),
            formula: format!("{} / {} × 100", plain(res.total), plain(res.scale)),
        },
        rank: RankInfo { rank: res.rank, group: group.id.clone(), units: group.units.len() },
        year_on_year: None,
    }
}

impl Explanation {
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }

    /// The tree as indented text, one node a line, then the computation, in English.
    pub fn to_text(&self) -> String {
        self.to_text_in(Lang::En)
    }

    /// The tree as indented text in `lang`: the labels are translated, ids,
    /// names, data keys and numbers are as declared.
    pub fn to_text_in(&self, lang: Lang) -> String {
        let t = |x: Text| x.get(lang);
        let vi = lang == Lang::Vi;
        let mut out = String::new();
        let _ = writeln!(out, "{} {} ({}, {} {})", self.unit.id, self.unit.name, self.unit.kind, t(Text::RankingGroup), self.unit.group);
        for l in &self.legal {
            let _ = writeln!(out, "  căn cứ: {l}");
        }
        let _ = writeln!(out, "  {} {}\n", if vi { "dấu vân tay" } else { "fingerprint" }, self.fingerprint.sha256);
        for n in &self.nodes {
            let indent = "  ".repeat(n.depth);
            let head = format!("{indent}{} {}", n.id, n.name);
            let detail = match n.status {
                "not_applicable" => continue,
                "exempt" if n.inherited_exemption => {
                    format!("không đánh giá (max {}), {}", n.declared_max.as_deref().unwrap_or("-"), t(Text::WithParent))
                }
                "exempt" => {
                    let e = n.exemption.as_ref().expect("exempt nodes carry their exemption");
                    format!(
                        "không đánh giá (max {}): {} `{}`, {} [{}]",
                        n.declared_max.as_deref().unwrap_or("-"),
                        if vi { "miễn đánh giá" } else { "exemption" },
                        e.id,
                        e.reason,
                        e.declared_at
                    )
                }
                "covered" => format!(
                    "max {}: {} {}",
                    n.max,
                    if vi { "đã tính trong điểm chấm ở" } else { "included in the points awarded at" },
                    n.covered_by.as_deref().unwrap_or("?")
                ),
                "awarded" => format!(
                    "{} / {}: {} [{}]",
                    n.points.as_deref().unwrap_or("?"),
                    n.max,
                    if vi { "hội đồng chấm" } else { "awarded" },
                    n.awarded_at.as_deref().unwrap_or("")
                ),
                "scored" => {
                    let rule = n.rule.as_ref().expect("scored nodes carry their rule");
                    let inputs: Vec<String> = rule
                        .inputs
                        .iter()
                        .map(|i| {
                            format!(
                                "{} = {} ({}{})",
                                i.name,
                                i.value.as_deref().unwrap_or("?"),
                                i.key,
                                i.source.as_ref().map(|s| format!(", {s}")).unwrap_or_default()
                            )
                        })
                        .collect();
                    let (rule_word, with, params, rounded) =
                        if vi { ("quy tắc", "với", "tham số", "làm tròn") } else { ("rule", "with", "params", "rounded to") };
                    format!(
                        "{} / {}: {rule_word} `{}` {with} {}; {params} {}; {rounded} {}",
                        n.points.as_deref().unwrap_or("?"),
                        n.max,
                        rule.rule,
                        inputs.join(", "),
                        rule.params,
                        rule.rounding
                    )
                }
                "no_data" if vi => format!("max {}: không có số liệu", n.max),
                _ => format!(
                    "{} / {}: {}",
                    n.points.as_deref().unwrap_or("?"),
                    n.max,
                    if vi { "tổng các tiêu chí con" } else { "sum of its sub-criteria" }
                ),
            };
            let from = n.provenance.as_ref().map(|p| format!(" ({p})")).unwrap_or_default();
            let _ = writeln!(out, "{head}  —  {detail}{from}");
            if let Some(part) = &n.part {
                let _ = writeln!(out, "{indent}    {} `{part}`", t(Text::CountsTowardsPart));
            }
            if let Some(l) = &n.legal {
                let _ = writeln!(out, "{indent}    căn cứ: {l}");
            }
        }
        let _ = writeln!(out);
        let parts: Vec<String> = self.parts.iter().map(|(k, v)| format!("{k} {}", v.as_str().unwrap_or(""))).collect();
        let _ = writeln!(out, "{}: {}", t(Text::ExplainParts), parts.join(", "));
        let formula = |f: &str| -> String {
            if !vi {
                return f.to_string();
            }
            match f.split_once(": ") {
                Some((lead, terms)) if lead.starts_with("sum of the maxima") => {
                    format!("tổng điểm tối đa của các chỉ số thành phần được đánh giá: {terms}")
                }
                Some((lead, terms)) if lead.starts_with("sum of the components") => format!("tổng điểm các chỉ số thành phần: {terms}"),
                _ => f.to_string(),
            }
        };
        let shown = if vi { "công bố" } else { "shown" };
        // `2 decimals, half_up` as the official reads it; the mode's key stays beside it.
        let rounding = |r: &str| -> String {
            if !vi {
                return r.to_string();
            }
            match r.split_once(" decimals, ") {
                Some((n, mode)) => {
                    let how = match mode {
                        "half_up" => "làm tròn",
                        "half_even" => "làm tròn về số chẵn",
                        "down" => "bỏ phần thập phân thừa",
                        "up" => "làm tròn lên",
                        _ => mode,
                    };
                    format!("{n} chữ số thập phân, {how}: {mode}")
                }
                None if r == "none" => "không làm tròn".to_string(),
                None => r.to_string(),
            }
        };
        let _ = writeln!(out, "{}: {} = {}", t(Text::ExplainScale), self.scale.exact, formula(&self.scale.formula));
        let _ = writeln!(
            out,
            "{}: {} = {}; {shown} {} ({})",
            t(Text::ExplainTotal),
            self.total.exact,
            formula(&self.total.formula),
            self.total.shown,
            rounding(&self.total.rounding)
        );
        let _ = writeln!(
            out,
            "{}: {} = {}; {shown} {}% ({})",
            t(Text::ExplainIndex),
            self.index.exact,
            self.index.formula,
            self.index.shown,
            rounding(&self.index.rounding)
        );
        let _ = writeln!(
            out,
            "{}: {} {} {} {} {}",
            t(Text::ExplainRank),
            self.rank.rank,
            t(Text::Of),
            self.rank.units,
            t(Text::InGroup),
            self.rank.group
        );
        if let Some(y) = &self.year_on_year {
            let head = if vi { "so với năm" } else { "change against" };
            let _ = writeln!(out, "\n{head} {} ({}):", y.year, y.archive);
            let text = |c: &Option<ComponentShown>| {
                c.as_ref().map_or_else(|| "không đánh giá".to_string(), |c| format!("{} / {} ({}%)", c.score, c.scale, c.index))
            };
            for c in &y.components {
                let change = match (&c.points, &c.index) {
                    (Some(p), Some(i)) => format!(": {p} {}, {i}%", if vi { "điểm" } else { "points" }),
                    _ => String::new(),
                };
                let _ = writeln!(out, "  {} {}: {} → {}{change}", c.id, c.name, text(&c.before), text(&c.after));
            }
            let _ = writeln!(out, "  index: {}% → {}%: {}", y.index.before, y.index.after, y.index.change);
            let _ = writeln!(out, "  rank: {} → {}: {}", y.rank.before, y.rank.after, y.rank.change);
        }
        out
    }
}
