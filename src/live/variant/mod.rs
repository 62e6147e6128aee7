//! Variant: a loaded year with a few of its inputs changed in memory.
//!
//! "If criterion 8.2's maximum were 12, or this exemption were dropped, who
//! would change rank?" [`apply`] takes a loaded [`RuleSet`] and applies
//! [`Override`]s to a copy of its checked model without reading any file:
//! a leaf's maximum (for one unit kind or all), a rule's parameter, an
//! exemption dropped or kept, a unit added to or taken out of an exemption
//! (a unit exempt anew has its points at the exempted criteria set aside,
//! as they would no longer count), the points the council awarded a unit. It checks what each override
//! touches with the functions the files are checked with (an unknown
//! criterion, unit, kind, exemption or parameter, with a suggestion; a
//! maximum below the points awarded under it; points outside `0..=max`;
//! points where the unit is exempt), and rebuilds only what depends on what
//! changed. [`variant`] evaluates the result after the base (rule leaves the
//! override did not touch keep their points) and returns it with its
//! [`Changes`] against the base. [`rounding`] bounds how far the council's
//! rounding can move each unit's index and rank.
//!
//! Everything here is `Send + Sync` and borrows the base immutably, so
//! variants of one base run in parallel ([`variants`]).

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use rayon::prelude::*;
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};

use crate::diag::{did_you_mean, Code, Diagnostic, Diagnostics};
use crate::input::fingerprint::Fingerprint;
use crate::input::model::{Awarded, Model};
use crate::input::validate::recheck;
use crate::live::engine::{changes, Changes, Snapshot};
use crate::score::ruleset::RuleSet;

pub mod rounding;

/// One change of a year's inputs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Override {
    /// A leaf criterion's maximum, for one unit kind or (`None`) every kind it applies to.
    Max { node: String, kind: Option<String>, value: Decimal },
    /// One parameter of a rule leaf, as a TOML value (`60`, `[[95, 1], [90, 0.5]]`, `true`).
    Param { node: String, name: String, value: String },
    /// An exemption of `exemptions.toml` kept (`true`) or dropped (`false`);
    /// with a unit, that unit added to it (`true`) or taken out of it (`false`).
    Exemption { id: String, unit: Option<String>, enabled: bool },
    /// The points the council awarded `unit` at `node`.
    Points { unit: String, node: String, value: Decimal },
}

impl fmt::Display for Override {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let on = |b: bool| if b { "on" } else { "off" };
        match self {
            Override::Max { node, kind: None, value } => write!(f, "{node}.max={value}"),
            Override::Max { node, kind: Some(k), value } => write!(f, "{node}.max.{k}={value}"),
            Override::Param { node, name, value } => write!(f, "{node}.params.{name}={value}"),
            Override::Exemption { id, unit: None, enabled } => write!(f, "exemption:{id}={}", on(*enabled)),
            Override::Exemption { id, unit: Some(u), enabled } => write!(f, "exemption:{id}:{u}={}", on(*enabled)),
            Override::Points { unit, node, value } => write!(f, "points:{unit}:{node}={value}"),
        }
    }
}

impl Override {
    /// What the override sets, without its value (`8.2.max`,
    /// `exemption:khong-sipas:so-tttt`): two overrides of one target in one
    /// variant leave the first without effect.
    pub fn target(&self) -> String {
        let text = self.to_string();
        let value = match self {
            Override::Max { value, .. } | Override::Points { value, .. } => value.to_string(),
            Override::Param { value, .. } => value.clone(),
            Override::Exemption { enabled, .. } => if *enabled { "on" } else { "off" }.to_string(),
        };
        text[..text.len() - value.len() - 1].to_string()
    }
}

/// The first override whose target an earlier one already set, as (earlier,
/// later) positions: the earlier would have no effect.
pub fn repeated(overrides: &[Override]) -> Option<(usize, usize)> {
    let mut seen = std::collections::HashMap::new();
    overrides.iter().enumerate().find_map(|(i, o)| seen.insert(o.target(), i).map(|j| (j, i)))
}

/// The forms an override is written in, for messages.
pub const FORMS: &str = "`<criterion>.max=<points>`, `<criterion>.max.<kind>=<points>`, `<criterion>.params.<name>=<value>`, \
                         `exemption:<id>=on|off`, `exemption:<id>:<unit>=on|off` or `points:<unit>:<criterion>=<points>`";

impl FromStr for Override {
    type Err = String;

    /// `8.2.max=12`, `8.2.max.district=12`, `7.3.2.params.target=60`,
    /// `exemption:khong-sipas=off`, `exemption:khong-sipas:so-tttt=on`, `points:so-tttt:1=11`.
    fn from_str(s: &str) -> Result<Override, String> {
        let (lhs, rhs) = s.split_once('=').ok_or_else(|| format!("`{s}` has no `=`: write {FORMS}"))?;
        let (lhs, rhs) = (lhs.trim(), rhs.trim());
        let number = |v: &str| -> Result<Decimal, String> {
            Decimal::from_str_exact(v).map_err(|_| format!("`{v}` in `{s}` is not a number (write points with a dot, e.g. `10.5`)"))
        };
        let name_ok = |v: &str| !v.is_empty() && !v.contains(char::is_whitespace);
        if let Some(rest) = lhs.strip_prefix("exemption:") {
            let enabled = match rhs {
                "on" | "true" => true,
                "off" | "false" => false,
                _ => return Err(format!("`{s}`: an exemption can be set `on` or `off`, not `{rhs}`")),
            };
            let (id, unit) = match rest.split_once(':') {
                Some((id, u)) => (id, Some(u)),
                None => (rest, None),
            };
            if !name_ok(id) || unit.is_some_and(|u| !name_ok(u)) {
                return Err(format!("`{s}`: write `exemption:<id>=on|off` or `exemption:<id>:<unit>=on|off`"));
            }
            return Ok(Override::Exemption { id: id.to_string(), unit: unit.map(str::to_string), enabled });
        }
        if let Some(rest) = lhs.strip_prefix("points:") {
            let (unit, node) = rest
                .split_once(':')
                .filter(|(u, n)| name_ok(u) && name_ok(n))
                .ok_or_else(|| format!("`{s}` names no unit and criterion: write `points:<unit>:<criterion>=<points>`"))?;
            return Ok(Override::Points { unit: unit.to_string(), node: node.to_string(), value: number(rhs)? });
        }
        if let Some((node, name)) = lhs.split_once(".params.") {
            if !name_ok(node) || !name_ok(name) || rhs.is_empty() {
                return Err(format!("`{s}`: write `<criterion>.params.<name>=<value>`"));
            }
            param_value(rhs).map_err(|e| format!("`{s}`: {e}"))?;
            return Ok(Override::Param { node: node.to_string(), name: name.to_string(), value: rhs.to_string() });
        }
        if let Some(at) = lhs.rfind(".max") {
            let (node, tail) = (&lhs[..at], &lhs[at + 4..]);
            let kind = match tail {
                "" => None,
                t if t.starts_with('.') && name_ok(&t[1..]) => Some(t[1..].to_string()),
                _ => return Err(format!("`{s}`: write `<criterion>.max=<points>` or `<criterion>.max.<kind>=<points>`")),
            };
            if name_ok(node) {
                return Ok(Override::Max { node: node.to_string(), kind, value: number(rhs)? });
            }
        }
        Err(format!("`{s}` is not an override: write {FORMS}"))
    }
}

/// A TOML value as written after `=` in a tree file's `params`.
fn param_value(text: &str) -> Result<toml::Value, String> {
    let table: toml::Table = toml::from_str(&format!("v = {text}")).map_err(|_| format!("`{text}` is not a TOML value"))?;
    table.get("v").cloned().ok_or_else(|| format!("`{text}` is not a TOML value"))
}

/// A variant's results and what moved against its base.
#[derive(Debug)]
pub struct Variant {
    pub snapshot: Snapshot,
    pub changes: Changes,
}

/// `base` with `overrides` applied in order, evaluated, and its changes against `base`.
pub fn variant(base: &Snapshot, overrides: &[Override]) -> Result<Variant, Diagnostics> {
    let rule_set = apply(&base.rule_set, overrides)?;
    let snapshot = Snapshot::after(rule_set, base)?;
    let changes = changes(base, &snapshot);
    Ok(Variant { snapshot, changes })
}

/// Many variants of one base, in parallel; each result in the order of
/// `each`. Every variant's results are kept: for a long sweep, map each
/// [`variant`] to what is needed of it instead (as `parindex whatif --vary`
/// keeps only the changes).
pub fn variants(base: &Snapshot, each: &[Vec<Override>]) -> Vec<Result<Variant, Diagnostics>> {
    each.par_iter().map(|os| variant(base, os)).collect()
}

/// What the overrides changed, to rebuild and re-check only that.
#[derive(Default)]
struct Touched {
    /// Exemptions whose units changed: the exemption map is rebuilt.
    exemptions: bool,
    /// (unit, node) awards to check again.
    awards: BTreeSet<(usize, usize)>,
    /// Rule leaves whose parameters changed.
    params: BTreeSet<usize>,
}

/// A copy of `base` with `overrides` applied in order; every problem found is returned.
pub fn apply(base: &RuleSet, overrides: &[Override]) -> Result<RuleSet, Diagnostics> {
    let mut model = base.model.clone();
    let mut diags = Diagnostics::default();
    let mut touched = Touched::default();
    for o in overrides {
        if let Err(d) = apply_one(base, &mut model, o, &mut touched) {
            diags.push(*d);
        }
    }
    if diags.has_errors() {
        return Err(diags);
    }
    if touched.exemptions {
        model.exempt = recheck::exempt_map(&model.exemptions, |_| true);
    }
    diags.0.extend(recheck::awards(&model, touched.awards.iter().copied()));
    let mut plans = Vec::new();
    if !touched.params.is_empty() {
        diags.extend(crate::formula::params::check_criteria(&model, &base.scripts, |_| None));
        for &n in &touched.params {
            let Some(rule) = &model.nodes[n].rule else { continue };
            let names: Vec<String> = rule.inputs.iter().map(|(k, _)| k.clone()).collect();
            plans.push((n, base.rules.trace(&base.scripts[rule.script], &names, &rule.params)));
        }
    }
    if diags.has_errors() {
        return Err(diags);
    }
    let fingerprint = fingerprint(&base.fingerprint, overrides);
    Ok(base.with_model(model, plans, fingerprint))
}

/// The base's fingerprint with the overrides hashed into it: a variant is
/// another result than its base's, over the same data.
fn fingerprint(base: &Fingerprint, overrides: &[Override]) -> Fingerprint {
    let hash = |part: &str| {
        let mut h = Sha256::new();
        h.update(part.as_bytes());
        for o in overrides {
            h.update(b"\n");
            h.update(o.to_string().as_bytes());
        }
        h.finalize().iter().map(|b| format!("{b:02x}")).collect::<String>()
    };
    Fingerprint { sha256: hash(&base.sha256), rules: hash(&base.rules), ..base.clone() }
}

fn boxed(d: Diagnostic) -> Box<Diagnostic> {
    Box::new(d)
}

fn suggest(d: Diagnostic, word: &str, candidates: Vec<&str>) -> Box<Diagnostic> {
    boxed(match did_you_mean(word, candidates) {
        Some(s) => d.help(format!("did you mean `{s}`?")),
        None => d,
    })
}

fn node_of(model: &Model, id: &str) -> Result<usize, Box<Diagnostic>> {
    model.node_index(id).ok_or_else(|| {
        let d = Diagnostic::error(Code::UnknownCriterion, format!("override names criterion `{id}`, which the year does not have"))
            .criterion(id);
        suggest(d, id, model.nodes.iter().map(|n| n.id.as_str()).collect())
    })
}

fn unit_of(model: &Model, id: &str) -> Result<usize, Box<Diagnostic>> {
    model.find_unit(id).ok_or_else(|| {
        let d = Diagnostic::error(Code::UnknownUnit, format!("override names unit `{id}`, which the year does not have")).unit(id);
        suggest(d, id, model.units.iter().map(|u| u.id.as_str()).collect())
    })
}

fn exemption_of(model: &Model, id: &str) -> Result<usize, Box<Diagnostic>> {
    model.exemptions.iter().position(|x| x.id == id).ok_or_else(|| {
        let d = Diagnostic::error(Code::UnknownReference, format!("override names exemption `{id}`, which the year does not have"))
            .help("exemptions are the `id`s of `exemptions.toml`");
        suggest(d, id, model.exemptions.iter().map(|x| x.id.as_str()).collect())
    })
}

fn apply_one(base: &RuleSet, model: &mut Model, o: &Override, touched: &mut Touched) -> Result<(), Box<Diagnostic>> {
    match o {
        Override::Max { node, kind, value } => set_max(model, node, kind.as_deref(), *value, touched),
        Override::Param { node, name, value } => {
            let n = node_of(model, node)?;
            let Some(rule) = std::sync::Arc::make_mut(&mut model.nodes[n]).rule.as_mut() else {
                return Err(boxed(
                    Diagnostic::error(Code::RuleParam, format!("criterion `{node}` has no rule, so no parameter `{name}`"))
                        .criterion(node.as_str())
                        .help("parameters belong to the criteria scored by a rule script"),
                ));
            };
            let v = param_value(value).map_err(|m| boxed(Diagnostic::error(Code::BadValue, m).criterion(node.as_str())))?;
            let mut table = rule.params_table.clone();
            table.insert(name.clone(), v);
            let params = recheck::param_value(&toml::Value::Table(table.clone()))
                .map_err(|m| boxed(Diagnostic::error(Code::BadValue, format!("bad `params`: {m}")).criterion(node.as_str())))?;
            rule.params = params.cast::<rhai::Map>();
            rule.params_text = recheck::params_text(&table);
            rule.params_table = table;
            touched.params.insert(n);
            Ok(())
        }
        Override::Exemption { id, unit, enabled } => {
            let e = exemption_of(model, id)?;
            let units = match unit {
                None if *enabled => base.model.exemptions[e].units.clone(),
                None => Vec::new(),
                Some(u) => {
                    let u = unit_of(model, u)?;
                    let mut units = model.exemptions[e].units.clone();
                    units.retain(|&x| x != u);
                    if *enabled {
                        units.push(u);
                    }
                    units
                }
            };
            // Units exempt anew or no longer: their points are checked again
            // (where they no longer count; over criteria of different parts).
            let before = &model.exemptions[e].units;
            let moved: Vec<usize> =
                units.iter().filter(|u| !before.contains(u)).chain(before.iter().filter(|u| !units.contains(u))).copied().collect();
            // A unit exempt anew no longer counts the points it was awarded
            // at the exemption's criteria or below them: they are set aside.
            let targets = model.exemptions[e].targets.clone();
            let fresh: Vec<usize> = units.iter().filter(|u| !before.contains(u)).copied().collect();
            let nodes = &model.nodes;
            let under = |mut n: usize| loop {
                if targets.contains(&n) {
                    return true;
                }
                match nodes[n].parent {
                    Some(p) => n = p,
                    None => return false,
                }
            };
            std::sync::Arc::make_mut(&mut model.awarded).retain(|&(u, n), _| !(fresh.contains(&u) && under(n)));
            for u in moved {
                touched.awards.extend(model.awarded.keys().filter(|&&(v, _)| v == u).copied());
            }
            model.exemptions[e].units = units;
            touched.exemptions = true;
            Ok(())
        }
        Override::Points { unit, node, value } => {
            let u = unit_of(model, unit)?;
            let n = node_of(model, node)?;
            let location = match model.awarded.get(&(u, n)) {
                Some(a) => a.location.clone(),
                None => model.nodes[n].location.clone(),
            };
            std::sync::Arc::make_mut(&mut model.awarded).insert((u, n), Awarded { points: *value, location });
            touched.awards.insert((u, n));
            Ok(())
        }
    }
}

/// A leaf's maximum for one kind or every kind it applies to; the maxima
/// above it summed again, in checked arithmetic.
fn set_max(model: &mut Model, node: &str, kind: Option<&str>, value: Decimal, touched: &mut Touched) -> Result<(), Box<Diagnostic>> {
    let n = node_of(model, node)?;
    if !model.nodes[n].is_leaf() {
        return Err(boxed(
            Diagnostic::error(Code::BadMaximum, format!("criterion `{node}` has sub-criteria; its maximum is the sum of theirs"))
                .criterion(node)
                .help("set the maximum of one of its sub-criteria instead"),
        ));
    }
    if value.is_sign_negative() && !value.is_zero() {
        return Err(boxed(
            Diagnostic::error(Code::BadMaximum, format!("maximum {value} of criterion `{node}` is below 0")).criterion(node),
        ));
    }
    if value > Decimal::from(recheck::MAX_POINTS) {
        return Err(boxed(
            Diagnostic::error(Code::BadMaximum, format!("maximum {value} of criterion `{node}` is above {} points", recheck::MAX_POINTS))
                .criterion(node)
                .help("maxima are points: write the maximum the decision gives"),
        ));
    }
    let kinds: Vec<usize> = match kind {
        Some(k) => match model.kinds.iter().position(|x| x.id == k) {
            Some(i) => vec![i],
            None => {
                let d = Diagnostic::error(Code::UnknownReference, format!("override names unit kind `{k}`, which the year does not have"));
                return Err(suggest(d, k, model.kinds.iter().map(|x| x.id.as_str()).collect()));
            }
        },
        None => (0..model.kinds.len()).filter(|&k| model.nodes[n].max[k].is_some()).collect(),
    };
    let too_large = || {
        boxed(
            Diagnostic::error(Code::BadMaximum, format!("maximum {value} of criterion `{node}` is too large: a sum of maxima overflows"))
                .criterion(node),
        )
    };
    for &k in &kinds {
        std::sync::Arc::make_mut(&mut model.nodes[n]).max[k] = Some(value);
        let mut at = model.nodes[n].parent;
        while let Some(i) = at {
            let mut sum: Option<Decimal> = None;
            for &c in &model.nodes[i].children {
                if let Some(m) = model.nodes[c].max[k] {
                    sum = Some(sum.unwrap_or_default().checked_add(m).ok_or_else(too_large)?);
                }
            }
            std::sync::Arc::make_mut(&mut model.nodes[i]).max[k] = sum;
            at = model.nodes[i].parent;
        }
        let mut scale = Decimal::ZERO;
        for c in model.components().collect::<Vec<_>>() {
            scale = scale.checked_add(model.nodes[c].max[k].unwrap_or_default()).ok_or_else(too_large)?;
        }
    }
    // Points awarded at the leaf or above it must still fit.
    let up: Vec<usize> = std::iter::successors(Some(n), |&i| model.nodes[i].parent).collect();
    touched.awards.extend(model.awarded.keys().filter(|&&(u, a)| kinds.contains(&model.units[u].kind) && up.contains(&a)).copied());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_parse_and_print_back() {
        for s in [
            "8.2.max=12",
            "8.2.max.district=1.5",
            "7.3.2.params.target=60",
            "3.4.1.params.bands=[[98, 1], [90, 0.5]]",
            "exemption:khong-sipas=off",
            "exemption:khong-sipas:so-tttt=on",
            "points:so-tttt:1=11",
        ] {
            let o: Override = s.parse().expect(s);
            assert_eq!(o.to_string(), s);
        }
        for bad in [
            "8.2=12",
            "8.2.max=twelve",
            "8.2.max",
            "exemption:x=maybe",
            "exemption:=off",
            "points:so-tttt=3",
            "7.3.2.params.target=[1,",
            ".max=3",
            "8.2.maximum=3",
        ] {
            assert!(bad.parse::<Override>().is_err(), "{bad} should not parse");
        }
    }

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn variants_are_send_and_sync() {
        assert_send_sync::<Variant>();
        assert_send_sync::<Override>();
        assert_send_sync::<Snapshot>();
    }
}
