//! Diff: what changed between two years' rule sets.
//!
//! Criteria added, removed and renamed (same id, new name), maxima changed
//! per unit kind, unit kinds and parts added or removed, exemptions and
//! targets changed, rounding changed, and rule scripts added, removed or
//! edited. Criteria are matched by id: a decision that renumbers criteria
//! shows as removals and additions.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

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

#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct RuleSetDiff {
    pub from: u16,
    pub to: u16,
    pub added: Vec<Change>,
    pub removed: Vec<Change>,
    pub renamed: Vec<Change>,
    pub maxima: Vec<Change>,
    pub kinds: Vec<Change>,
    pub parts: Vec<Change>,
    pub exemptions: Vec<Change>,
    pub targets: Vec<Change>,
    pub rounding: Vec<Change>,
    pub scripts: Vec<Change>,
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

/// The maxima of a node by unit kind, naming each kind of `b` by the kind of
/// `a` it replaces, so continuing kinds are compared.
fn max_of(m: &Model, i: usize, earlier: Option<&Model>) -> BTreeMap<String, String> {
    m.kinds
        .iter()
        .zip(&m.nodes[i].max)
        .filter_map(|(k, v)| {
            let name = match (&k.replaces, earlier) {
                (Some(r), Some(e)) if e.kinds.iter().any(|x| &x.id == r) && !e.kinds.iter().any(|x| x.id == k.id) => r.clone(),
                _ => k.id.clone(),
            };
            v.map(|v| (name, plain(v)))
        })
        .collect()
}

fn exemption_pairs(m: &Model) -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for e in &m.exemptions {
        out.entry(e.id.clone()).or_default();
    }
    for (&(u, n), &e) in &m.exempt {
        // Only the nodes named (not inherited), as unit:criterion.
        out.entry(m.exemptions[e].id.clone()).or_default().insert(format!("{}:{}", m.units[u].id, m.nodes[n].id));
    }
    out
}

fn ch(what: impl Into<String>, before: impl Into<String>, after: impl Into<String>) -> Change {
    Change { what: what.into(), before: before.into(), after: after.into() }
}

/// Compares the rule sets `a` (earlier) and `b` (later), with their targets.
pub fn diff(a: &RuleSet, b: &RuleSet, ta: &TargetSet, tb: &TargetSet) -> RuleSetDiff {
    let (ma, mb) = (&a.model, &b.model);
    let mut d = RuleSetDiff { from: ma.year, to: mb.year, ..RuleSetDiff::default() };
    for (i, n) in ma.nodes.iter().enumerate() {
        match mb.node_index(&n.id) {
            None => d.removed.push(ch(format!("criterion {}", n.id), format!("{} (max {})", n.name, max_text(ma, i)), "—")),
            Some(j) => {
                if n.name != mb.nodes[j].name {
                    d.renamed.push(ch(format!("criterion {}", n.id), &n.name, &mb.nodes[j].name));
                }
                let (x, y) = (max_of(ma, i, None), max_of(mb, j, Some(ma)));
                if x != y && (n.is_leaf() || mb.nodes[j].is_leaf() || n.parent.is_none()) {
                    d.maxima.push(ch(format!("criterion {}", n.id), max_text(ma, i), max_text(mb, j)));
                }
                let rule = |m: &Model, k: usize| {
                    m.nodes[k].rule.as_ref().map(|r| format!("{} {}", m.scripts[r.script].name, r.params_text)).unwrap_or_default()
                };
                if rule(ma, i) != rule(mb, j) {
                    d.maxima.push(ch(format!("criterion {} rule", n.id), rule(ma, i), rule(mb, j)));
                }
            }
        }
    }
    for (j, n) in mb.nodes.iter().enumerate() {
        if ma.node_index(&n.id).is_none() {
            d.added.push(ch(format!("criterion {}", n.id), "—", format!("{} (max {})", n.name, max_text(mb, j))));
        }
    }
    let ids = |v: Vec<(String, String)>| v.into_iter().collect::<BTreeMap<_, _>>();
    let diff_named = |x: BTreeMap<String, String>, y: BTreeMap<String, String>, label: &str, out: &mut Vec<Change>| {
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
    };
    diff_named(
        ids(ma.kinds.iter().map(|k| (k.id.clone(), k.name.clone())).collect()),
        ids(mb.kinds.iter().map(|k| (k.id.clone(), k.name.clone())).collect()),
        "unit kind",
        &mut d.kinds,
    );
    diff_named(
        ids(ma.parts.iter().map(|k| (k.id.clone(), k.name.clone())).collect()),
        ids(mb.parts.iter().map(|k| (k.id.clone(), k.name.clone())).collect()),
        "part",
        &mut d.parts,
    );
    let ex = |m: &Model| -> BTreeMap<String, String> {
        let pairs = exemption_pairs(m);
        m.exemptions
            .iter()
            .map(|e| {
                let n = pairs.get(&e.id).map_or(0, BTreeSet::len);
                (e.id.clone(), format!("{} ({n} unit-criterion pairs)", e.reason))
            })
            .collect()
    };
    diff_named(ex(ma), ex(mb), "exemption", &mut d.exemptions);
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
    let script_text = |rs: &RuleSet| -> BTreeMap<String, String> {
        rs.model
            .scripts
            .iter()
            .map(|s| {
                let text = std::fs::read_to_string(rs.root.join(&s.path)).unwrap_or_default();
                (s.name.clone(), canonical(&s.path, &text).unwrap_or_default())
            })
            .collect()
    };
    let (sa, sb) = (script_text(a), script_text(b));
    for (k, v) in &sa {
        match sb.get(k) {
            None => d.scripts.push(ch(format!("rule {k}"), "used", "not used")),
            Some(w) if w != v => d.scripts.push(ch(format!("rule {k}"), "formula before", "formula edited")),
            _ => {}
        }
    }
    for k in sb.keys().filter(|k| !sa.contains_key(*k)) {
        d.scripts.push(ch(format!("rule {k}"), "not used", "used"));
    }
    let targets = |t: &TargetSet| -> BTreeMap<String, String> {
        t.targets.iter().map(|x| (format!("{} ({})", x.id, x.year), format!("{} {}", x.name, x.threshold_text))).collect()
    };
    diff_named(targets(ta), targets(tb), "target", &mut d.targets);
    d
}

impl RuleSetDiff {
    pub fn is_empty(&self) -> bool {
        self.sections().iter().all(|(_, v)| v.is_empty())
    }

    fn sections(&self) -> [(&'static str, &Vec<Change>); 10] {
        [
            ("criteria added", &self.added),
            ("criteria removed", &self.removed),
            ("criteria renamed", &self.renamed),
            ("maxima and rules changed", &self.maxima),
            ("unit kinds", &self.kinds),
            ("parts", &self.parts),
            ("exemptions", &self.exemptions),
            ("targets", &self.targets),
            ("rounding", &self.rounding),
            ("rule scripts", &self.scripts),
        ]
    }

    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "rule set {} → {}", self.from, self.to);
        for (title, list) in self.sections() {
            if list.is_empty() {
                continue;
            }
            let _ = writeln!(out, "\n{title} ({}):", list.len());
            for c in list {
                let _ = writeln!(out, "  {}: {} → {}", c.what, c.before, c.after);
            }
        }
        if self.is_empty() {
            let _ = writeln!(out, "no differences");
        }
        out
    }
}
