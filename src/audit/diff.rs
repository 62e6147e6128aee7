//! Diff: what changed between two years' rule sets, and what it does.
//!
//! Criteria added, removed and renamed (same id, new name); every criterion,
//! at every level of the tree, whose maximum, rule, parameters, part or legal
//! basis changed; unit kinds, parts and units added or removed; exemptions
//! per unit and criterion, with each unit's scale before and after; targets
//! and rounding; and every rule script edited, as a line diff. Criteria are
//! matched by id: a decision that renumbers criteria shows as removals and
//! additions. Comments and spacing of a script do not count as an edit.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use rust_decimal::Decimal;
use serde::Serialize;

use crate::input::fingerprint::canonical;
use crate::input::model::Model;
use crate::input::targets::TargetSet;
use crate::report::plain;
use crate::score::ruleset::RuleSet;

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Change {
    /// What changed: `criterion 7.3.3`, `exemption khong-sipas`, `rounding index`, ...
    pub what: String,
    pub before: String,
    pub after: String,
}

/// A unit's exemption from one criterion added, removed or changed.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ExemptionChange {
    pub unit: String,
    pub unit_name: String,
    pub criterion: String,
    pub criterion_name: String,
    /// `added` (not evaluated from now on), `removed` (evaluated again) or `changed` (another exemption).
    pub change: &'static str,
    /// The exemption before and after, by id; `None` when there is none.
    pub before: Option<String>,
    pub after: Option<String>,
    /// The reason of the exemption in force after (or before, when removed).
    pub reason: String,
    /// The criterion's maximum for the unit's kind that leaves (or joins) its scale.
    pub max: Option<String>,
}

/// A unit whose scale (the sum of the maxima it is evaluated on) changed.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ScaleChange {
    pub unit: String,
    pub unit_name: String,
    pub before: String,
    pub after: String,
}

/// A rule script edited, added or no longer used, with its line diff.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ScriptChange {
    pub rule: String,
    /// `edited`, `added` or `removed`.
    pub change: &'static str,
    pub before: Option<String>,
    pub after: Option<String>,
    /// A unified diff of the two scripts' lines (empty unless edited).
    pub diff: String,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct RuleSetDiff {
    pub from: u16,
    pub to: u16,
    pub added: Vec<Change>,
    pub removed: Vec<Change>,
    pub renamed: Vec<Change>,
    /// Maxima changed at every level of the tree.
    pub maxima: Vec<Change>,
    /// Rules and parameters of rule-scored criteria changed.
    pub rules: Vec<Change>,
    /// Parts and legal bases of criteria, and the legal basis of the whole index, changed.
    pub legal: Vec<Change>,
    pub kinds: Vec<Change>,
    pub parts: Vec<Change>,
    /// Units added or removed.
    pub units: Vec<Change>,
    /// Exemptions declared, by id: reason and legal basis.
    pub exemptions: Vec<Change>,
    /// Each unit's exemptions per criterion.
    pub exempt: Vec<ExemptionChange>,
    pub scales: Vec<ScaleChange>,
    pub targets: Vec<Change>,
    pub rounding: Vec<Change>,
    pub scripts: Vec<ScriptChange>,
}

fn max_text(m: &Model, i: usize) -> String {
    let n = &m.nodes[i];
    let per: Vec<String> = m.kinds.iter().zip(&n.max).filter_map(|(k, v)| v.map(|v| format!("{} {}", k.id, plain(v)))).collect();
    if per.is_empty() {
        "—".into()
    } else {
        per.join(", ")
    }
}

/// The kind of `b` named by the kind of `a` it replaces, so continuing kinds are compared.
fn kind_name(m: &Model, k: usize, earlier: Option<&Model>) -> String {
    let kind = &m.kinds[k];
    match (&kind.replaces, earlier) {
        (Some(r), Some(e)) if e.kinds.iter().any(|x| &x.id == r) && !e.kinds.iter().any(|x| x.id == kind.id) => r.clone(),
        _ => kind.id.clone(),
    }
}

/// The maxima of a node by unit kind.
fn max_of(m: &Model, i: usize, earlier: Option<&Model>) -> BTreeMap<String, String> {
    (0..m.kinds.len()).filter_map(|k| m.nodes[i].max[k].map(|v| (kind_name(m, k, earlier), plain(v)))).collect()
}

fn ch(what: impl Into<String>, before: impl Into<String>, after: impl Into<String>) -> Change {
    Change { what: what.into(), before: before.into(), after: after.into() }
}

fn opt(s: Option<String>) -> String {
    s.unwrap_or_else(|| "—".into())
}

/// Whether unit `u` is exempt from node `n` or one of its ancestors: the exemption.
fn exempt_at(m: &Model, u: usize, n: usize) -> Option<usize> {
    let mut at = Some(n);
    while let Some(i) = at {
        if let Some(&e) = m.exempt.get(&(u, i)) {
            return Some(e);
        }
        at = m.nodes[i].parent;
    }
    None
}

/// A unit's scale as the criteria declare it: the sum of the maxima of the
/// leaves it is evaluated on. `None` on an overflow.
pub fn declared_scale(m: &Model, u: usize) -> Option<Decimal> {
    let kind = m.units[u].kind;
    let mut sum = Decimal::ZERO;
    for (n, node) in m.nodes.iter().enumerate() {
        if let (true, Some(max)) = (node.is_leaf(), node.max[kind]) {
            if exempt_at(m, u, n).is_none() {
                sum = sum.checked_add(max)?;
            }
        }
    }
    Some(sum)
}

/// The (unit id, criterion id) pairs an exemption names, with the exemption.
fn exempt_pairs(m: &Model) -> BTreeMap<(String, String), usize> {
    m.exempt.iter().map(|(&(u, n), &e)| ((m.units[u].id.to_string(), m.nodes[n].id.clone()), e)).collect()
}

fn legal_text(m: &Model, r: Option<&crate::input::model::LegalRef>) -> String {
    r.map_or_else(|| "—".into(), |r| m.legal_text(r))
}

/// Compares the rule sets `a` (earlier) and `b` (later), with their targets.
pub fn diff(a: &RuleSet, b: &RuleSet, ta: &TargetSet, tb: &TargetSet) -> RuleSetDiff {
    let (ma, mb) = (&a.model, &b.model);
    let mut d = RuleSetDiff { from: ma.year, to: mb.year, ..RuleSetDiff::default() };
    nodes(ma, mb, &mut d);
    named_sets(ma, mb, &mut d);
    exemptions(ma, mb, &mut d);
    let (ra, rb) = (ma.rounding, mb.rounding);
    for (name, x, y) in [
        ("leaf", ra.leaf, rb.leaf),
        ("points", ra.points, rb.points),
        ("index", ra.index, rb.index),
        ("component", ra.component, rb.component),
        ("average", ra.average, rb.average),
    ] {
        if x != y {
            d.rounding.push(ch(format!("rounding {name}"), x.to_string(), y.to_string()));
        }
    }
    d.scripts = scripts(a, b);
    let targets = |t: &TargetSet| -> BTreeMap<String, String> {
        t.targets.iter().map(|x| (format!("{} ({})", x.id, x.year), format!("{} {}", x.name, x.threshold_text))).collect()
    };
    diff_named(targets(ta), targets(tb), "target", &mut d.targets);
    d
}

/// Every criterion added, removed, renamed, or whose maximum, rule, part or legal basis changed.
fn nodes(ma: &Model, mb: &Model, d: &mut RuleSetDiff) {
    let rule = |m: &Model, k: usize| m.nodes[k].rule.as_ref().map(|r| m.scripts[r.script].name.clone());
    let params = |m: &Model, k: usize| m.nodes[k].rule.as_ref().map(|r| r.params_text.clone());
    let inputs = |m: &Model, k: usize| {
        m.nodes[k].rule.as_ref().map(|r| r.inputs.iter().map(|(n, key)| format!("{n} = {key}")).collect::<Vec<_>>().join(", "))
    };
    let part = |m: &Model, k: usize| m.nodes[k].part.map(|p| m.parts[p].id.clone());
    for (i, n) in ma.nodes.iter().enumerate() {
        let Some(j) = mb.node_index(&n.id) else {
            d.removed.push(ch(format!("criterion {}", n.id), format!("{} (max {})", n.name, max_text(ma, i)), "—"));
            continue;
        };
        let c = format!("criterion {}", n.id);
        let m = &mb.nodes[j];
        if n.name != m.name {
            d.renamed.push(ch(&c, &n.name, &m.name));
        }
        if max_of(ma, i, None) != max_of(mb, j, Some(ma)) {
            d.maxima.push(ch(&c, max_text(ma, i), max_text(mb, j)));
        }
        if rule(ma, i) != rule(mb, j) {
            d.rules.push(ch(format!("{c} rule"), opt(rule(ma, i)), opt(rule(mb, j))));
        }
        if params(ma, i) != params(mb, j) && rule(ma, i).is_some() && rule(mb, j).is_some() {
            d.rules.push(ch(format!("{c} params"), opt(params(ma, i)), opt(params(mb, j))));
        }
        if inputs(ma, i) != inputs(mb, j) && rule(ma, i).is_some() && rule(mb, j).is_some() {
            d.rules.push(ch(format!("{c} inputs"), opt(inputs(ma, i)), opt(inputs(mb, j))));
        }
        if part(ma, i) != part(mb, j) {
            d.legal.push(ch(format!("{c} part"), opt(part(ma, i)), opt(part(mb, j))));
        }
        let (la, lb) = (legal_text(ma, n.legal.as_ref()), legal_text(mb, m.legal.as_ref()));
        if la != lb {
            d.legal.push(ch(format!("{c} legal basis"), la, lb));
        }
    }
    for (j, n) in mb.nodes.iter().enumerate() {
        if ma.node_index(&n.id).is_none() {
            d.added.push(ch(format!("criterion {}", n.id), "—", format!("{} (max {})", n.name, max_text(mb, j))));
        }
    }
    let basis = |m: &Model| m.index_legal.iter().map(|&l| m.legal[l].title.clone()).collect::<Vec<_>>().join("; ");
    if basis(ma) != basis(mb) {
        d.legal.push(ch("legal basis of the index", basis(ma), basis(mb)));
    }
    if ma.name.replace(&ma.year.to_string(), "") != mb.name.replace(&mb.year.to_string(), "") {
        d.legal.push(ch("title of the index", &ma.name, &mb.name));
    }
}

fn diff_named(x: BTreeMap<String, String>, y: BTreeMap<String, String>, label: &str, out: &mut Vec<Change>) {
    for (k, v) in &x {
        match y.get(k) {
            None => out.push(ch(format!("{label} {k}"), v, "—")),
            Some(w) if w != v => out.push(ch(format!("{label} {k}"), v, w)),
            _ => {}
        }
    }
    for (k, w) in &y {
        if !x.contains_key(k) {
            out.push(ch(format!("{label} {k}"), "—", w));
        }
    }
}

/// Unit kinds, parts and units added or removed (or renamed).
fn named_sets(ma: &Model, mb: &Model, d: &mut RuleSetDiff) {
    let kinds = |m: &Model| m.kinds.iter().map(|k| (k.id.clone(), k.name.clone())).collect();
    diff_named(kinds(ma), kinds(mb), "unit kind", &mut d.kinds);
    let parts = |m: &Model| m.parts.iter().map(|k| (k.id.clone(), k.name.clone())).collect();
    diff_named(parts(ma), parts(mb), "part", &mut d.parts);
    let units = |m: &Model| m.units.iter().map(|u| (u.id.to_string(), u.name.to_string())).collect();
    diff_named(units(ma), units(mb), "unit", &mut d.units);
}

/// Exemptions by id, then per unit and criterion, and the scales they move.
fn exemptions(ma: &Model, mb: &Model, d: &mut RuleSetDiff) {
    let decl = |m: &Model| -> BTreeMap<String, String> {
        m.exemptions
            .iter()
            .map(|e| {
                let legal = e.legal.as_ref().map(|r| format!(" ({})", m.legal_text(r))).unwrap_or_default();
                (e.id.clone(), format!("{}{legal}", e.reason))
            })
            .collect()
    };
    diff_named(decl(ma), decl(mb), "exemption", &mut d.exemptions);

    let (pa, pb) = (exempt_pairs(ma), exempt_pairs(mb));
    let keys: BTreeSet<&(String, String)> = pa.keys().chain(pb.keys()).collect();
    for key in keys {
        let (ea, eb) = (pa.get(key).map(|&e| &ma.exemptions[e]), pb.get(key).map(|&e| &mb.exemptions[e]));
        let change = match (ea, eb) {
            (None, Some(_)) => "added",
            (Some(_), None) => "removed",
            (Some(x), Some(y)) if x.id != y.id => "changed",
            _ => continue,
        };
        let (unit, criterion) = key;
        // The names and maximum from the year the exemption is in force.
        let (m, e) = match (eb, ea) {
            (Some(e), _) => (mb, e),
            (None, Some(e)) => (ma, e),
            (None, None) => continue,
        };
        let ui = m.units.iter().position(|u| u.id == unit.as_str());
        let ni = m.node_index(criterion);
        d.exempt.push(ExemptionChange {
            unit: unit.clone(),
            unit_name: ui.map(|u| m.units[u].name.to_string()).unwrap_or_default(),
            criterion: criterion.clone(),
            criterion_name: ni.map(|n| m.nodes[n].name.clone()).unwrap_or_default(),
            change,
            before: ea.map(|e| e.id.clone()),
            after: eb.map(|e| e.id.clone()),
            reason: e.reason.clone(),
            max: ui.zip(ni).and_then(|(u, n)| m.nodes[n].max[m.units[u].kind]).map(plain),
        });
    }

    for (u, unit) in mb.units.iter().enumerate() {
        let Some(v) = ma.units.iter().position(|x| x.id == unit.id) else { continue };
        let (before, after) = (declared_scale(ma, v), declared_scale(mb, u));
        if before != after {
            d.scales.push(ScaleChange {
                unit: unit.id.to_string(),
                unit_name: unit.name.to_string(),
                before: opt(before.map(plain)),
                after: opt(after.map(plain)),
            });
        }
    }
}

/// Each script's text, by rule name: as written, and canonical (what counts).
fn script_texts(rs: &RuleSet) -> BTreeMap<String, (String, String, String)> {
    rs.model
        .scripts
        .iter()
        .map(|s| {
            let text = std::fs::read_to_string(rs.root.join(&s.path)).unwrap_or_default();
            let canon = canonical(&s.path, &text).unwrap_or_default();
            let path = crate::input::fingerprint::path_key(&s.path);
            (s.name.clone(), (path, text, canon))
        })
        .collect()
}

fn scripts(a: &RuleSet, b: &RuleSet) -> Vec<ScriptChange> {
    let (sa, sb) = (script_texts(a), script_texts(b));
    let mut out = Vec::new();
    for (k, (pa, ta, ca)) in &sa {
        match sb.get(k) {
            None => {
                out.push(ScriptChange { rule: k.clone(), change: "removed", before: Some(pa.clone()), after: None, diff: String::new() })
            }
            Some((pb, tb, cb)) if cb != ca => {
                let diff = similar::TextDiff::from_lines(ta, tb).unified_diff().context_radius(2).header(pa, pb).to_string();
                out.push(ScriptChange { rule: k.clone(), change: "edited", before: Some(pa.clone()), after: Some(pb.clone()), diff });
            }
            _ => {}
        }
    }
    for (k, (pb, _, _)) in sb.iter().filter(|(k, _)| !sa.contains_key(*k)) {
        out.push(ScriptChange { rule: k.clone(), change: "added", before: None, after: Some(pb.clone()), diff: String::new() });
    }
    out
}

impl RuleSetDiff {
    pub fn is_empty(&self) -> bool {
        self.sections().iter().all(|(_, v)| v.is_empty()) && self.exempt.is_empty() && self.scales.is_empty() && self.scripts.is_empty()
    }

    fn sections(&self) -> [(&'static str, &Vec<Change>); 11] {
        [
            ("criteria added", &self.added),
            ("criteria removed", &self.removed),
            ("criteria renamed", &self.renamed),
            ("maxima changed", &self.maxima),
            ("rules and parameters changed", &self.rules),
            ("parts, legal bases and titles changed", &self.legal),
            ("unit kinds", &self.kinds),
            ("parts", &self.parts),
            ("units", &self.units),
            ("exemptions declared", &self.exemptions),
            ("targets", &self.targets),
        ]
    }

    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "rule set {} → {}", self.from, self.to);
        let sections = self.sections();
        let (before, after) = sections.split_at(10);
        for (title, list) in before {
            section(&mut out, title, list);
        }
        if !self.exempt.is_empty() {
            let _ = writeln!(out, "\nexemptions per unit and criterion ({}):", self.exempt.len());
            for e in &self.exempt {
                let max = e.max.as_deref().map(|m| format!(", max {m}")).unwrap_or_default();
                let what = match e.change {
                    "added" => format!("not evaluated from {} (`{}`: {})", self.to, opt(e.after.clone()), e.reason),
                    "removed" => format!("evaluated again in {} (was `{}`: {})", self.to, opt(e.before.clone()), e.reason),
                    _ => format!("exemption `{}` → `{}` ({})", opt(e.before.clone()), opt(e.after.clone()), e.reason),
                };
                let _ = writeln!(out, "  {} ({}), criterion {} ({}{max}): {what}", e.unit, e.unit_name, e.criterion, e.criterion_name);
            }
        }
        if !self.scales.is_empty() {
            let _ = writeln!(out, "\nscales changed ({}):", self.scales.len());
            for s in &self.scales {
                let _ = writeln!(out, "  {} ({}): {} → {}", s.unit, s.unit_name, s.before, s.after);
            }
        }
        for (title, list) in after {
            section(&mut out, title, list);
        }
        section(&mut out, "rounding", &self.rounding);
        if !self.scripts.is_empty() {
            let _ = writeln!(out, "\nrule scripts ({}):", self.scripts.len());
            for s in &self.scripts {
                let _ = writeln!(out, "  rule {}: {} ({} → {})", s.rule, s.change, opt(s.before.clone()), opt(s.after.clone()));
                for line in s.diff.lines() {
                    let _ = writeln!(out, "    {line}");
                }
            }
        }
        if self.is_empty() {
            let _ = writeln!(out, "no differences");
        }
        out
    }
}

fn section(out: &mut String, title: &str, list: &[Change]) {
    if list.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n{title} ({}):", list.len());
    for c in list {
        let _ = writeln!(out, "  {}: {} → {}", c.what, c.before, c.after);
    }
}
