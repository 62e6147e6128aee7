//! Validate: turn a year's raw files into the checked [`Model`].
//!
//! Every problem is collected with its file, line and column; validation goes
//! on after an error wherever the rest can still be checked, so one `check`
//! run lists everything wrong. What validation proves (ids exist and are
//! unique, every unit is in exactly one group, every leaf has a maximum and a
//! part) is not checked again downstream.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};

use rust_decimal::Decimal;
use toml::Spanned;

use crate::diag::{did_you_mean, Code, Diagnostic, Diagnostics, Location};
use crate::input::load::{RawYear, Source};
use crate::input::model::*;
use crate::input::name::Name;
use crate::input::raw::*;

/// Builds diagnostics pointing into one source file.
struct At<'a>(&'a Source);

impl At<'_> {
    fn err<T>(&self, code: Code, span: &Spanned<T>, msg: impl Into<String>) -> Diagnostic {
        Diagnostic::error(code, msg).at_offset(&self.0.path, &self.0.text, span.span().start)
    }
    fn loc<T>(&self, span: &Spanned<T>) -> Location {
        Location::from_offset(&self.0.path, &self.0.text, span.span().start)
    }
}

/// Orders dotted ids segment by segment, numerically where both are numbers:
/// `1.2` < `1.10` < `2`.
pub fn compare_ids(a: &str, b: &str) -> Ordering {
    let mut x = a.split('.');
    let mut y = b.split('.');
    loop {
        match (x.next(), y.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(p), Some(q)) => {
                let o = match (p.parse::<u64>(), q.parse::<u64>()) {
                    (Ok(m), Ok(n)) => m.cmp(&n),
                    _ => p.cmp(q),
                };
                if o != Ordering::Equal {
                    return o;
                }
            }
        }
    }
}

fn parent_id(id: &str) -> Option<&str> {
    id.rfind('.').map(|i| &id[..i])
}

fn suggest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    did_you_mean(word, candidates).map(|c| format!("did you mean `{c}`?"))
}

fn with_help(d: Diagnostic, help: Option<String>) -> Diagnostic {
    match help {
        Some(h) => d.help(h),
        None => d,
    }
}

/// Parses `"<legal id>"` or `"<legal id>: article"` against the declared legal documents.
fn legal_ref(text: &str, legal: &[Legal]) -> Result<LegalRef, String> {
    let (id, article) = match text.split_once(':') {
        Some((id, a)) => (id.trim(), Some(a.trim().to_string())),
        None => (text.trim(), None),
    };
    legal.iter().position(|l| l.id == id).map(|legal| LegalRef { legal, article }).ok_or_else(|| format!("unknown legal reference `{id}`"))
}

/// Converts a TOML value of `params` to a rhai value; numbers become Decimal.
fn toml_to_dynamic(v: &toml::Value) -> Result<rhai::Dynamic, String> {
    Ok(match v {
        toml::Value::Integer(i) => rhai::Dynamic::from_decimal(Decimal::from(*i)),
        toml::Value::Float(f) => rhai::Dynamic::from_decimal(crate::input::raw::literal_decimal(*f)?),
        toml::Value::String(s) => rhai::Dynamic::from(s.clone()),
        toml::Value::Boolean(b) => rhai::Dynamic::from_bool(*b),
        toml::Value::Array(a) => rhai::Dynamic::from_array(a.iter().map(toml_to_dynamic).collect::<Result<_, _>>()?),
        toml::Value::Table(t) => {
            let mut m = rhai::Map::new();
            for (k, v) in t {
                m.insert(k.as_str().into(), toml_to_dynamic(v)?);
            }
            rhai::Dynamic::from_map(m)
        }
        toml::Value::Datetime(d) => rhai::Dynamic::from(d.to_string()),
    })
}

/// Validates everything read for a year. Returns the model when there is no error.
pub fn validate(raw: &RawYear) -> (Option<Model>, Diagnostics) {
    let mut diags = Diagnostics::default();
    let Some((isrc, index)) = &raw.index else {
        return (None, diags);
    };
    let ia = At(isrc);

    if index.index.year.get_ref() != &i64::from(raw.year) {
        diags.push(ia.err(
            Code::BadValue,
            &index.index.year,
            format!("`year` is {} but the file is in the folder of {}", index.index.year.get_ref(), raw.year),
        ));
    }

    // Legal documents, kinds, parts.
    let mut legal = Vec::new();
    for l in &index.legal {
        if legal.iter().any(|x: &Legal| &x.id == l.id.get_ref()) {
            diags.push(ia.err(Code::Duplicate, &l.id, format!("legal document `{}` is declared twice", l.id.get_ref())));
        }
        legal.push(Legal { id: l.id.get_ref().clone(), title: l.title.clone() });
    }
    let mut index_legal = Vec::new();
    for l in &index.index.legal {
        match legal.iter().position(|x| &x.id == l) {
            Some(i) => index_legal.push(i),
            None => diags.push(Diagnostic::error(Code::UnknownReference, format!("unknown legal reference `{l}`")).in_file(&isrc.path)),
        }
    }
    let mut kinds: Vec<Kind> = Vec::new();
    for k in &index.kind {
        if kinds.iter().any(|x| &x.id == k.id.get_ref()) {
            diags.push(ia.err(Code::Duplicate, &k.id, format!("unit kind `{}` is declared twice", k.id.get_ref())));
        }
        kinds.push(Kind { id: k.id.get_ref().clone(), name: k.name.clone(), replaces: k.replaces.clone() });
    }
    let mut parts: Vec<Part> = Vec::new();
    for p in &index.part {
        if parts.iter().any(|x| &x.id == p.id.get_ref()) {
            diags.push(ia.err(Code::Duplicate, &p.id, format!("part `{}` is declared twice", p.id.get_ref())));
        }
        parts.push(Part { id: p.id.get_ref().clone(), name: p.name.clone() });
    }
    let kind_index = |k: &str| kinds.iter().position(|x| x.id == k);
    let part_index = |p: &str| parts.iter().position(|x| x.id == p);

    // Scripts, in the order the index names them.
    let scripts: Vec<Script> = index
        .index
        .scripts
        .iter()
        .map(|s| Script { name: s.get_ref().clone(), path: crate::input::load::script_path(raw.year, s.get_ref()) })
        .collect();

    // The criteria tree.
    let nodes = build_tree(raw, &kinds, &parts, &legal, &scripts, &mut diags);

    // Units.
    let mut units: Vec<Unit> = Vec::new();
    let mut unit_ids: HashMap<&str, usize> = HashMap::new();
    if let Some((usrc, ufile)) = raw.units.as_deref() {
        let ua = At(usrc);
        for u in &ufile.unit {
            let id = u.id.get_ref();
            if unit_ids.contains_key(id.as_str()) {
                diags.push(ua.err(Code::Duplicate, &u.id, format!("unit `{id}` is declared twice")));
                continue;
            }
            // In a what-if, a kind of another year maps to the kind that replaces it.
            let continued = || {
                if !raw.what_if {
                    return None;
                }
                let later = kinds.iter().position(|k| k.replaces.as_deref() == Some(u.kind.get_ref()));
                let earlier = raw
                    .data_kinds
                    .iter()
                    .find(|k| k.id.get_ref() == u.kind.get_ref())
                    .and_then(|k| k.replaces.as_deref())
                    .and_then(kind_index);
                later.or(earlier)
            };
            let kind = match kind_index(u.kind.get_ref()).or_else(continued) {
                Some(k) => k,
                None => {
                    let help = suggest(u.kind.get_ref(), kinds.iter().map(|k| k.id.as_str()));
                    diags.push(with_help(
                        ua.err(Code::UnknownReference, &u.kind, format!("unknown unit kind `{}`", u.kind.get_ref())).unit(id),
                        help,
                    ));
                    continue;
                }
            };
            unit_ids.insert(id.as_str(), units.len());
            units.push(Unit { id: id.clone(), name: u.name.clone(), aliases: u.aliases.clone(), kind, group: usize::MAX });
        }
    }
    let unit_names: Vec<Name> = units.iter().map(|u| u.id.clone()).collect();
    let unit_help = |w: &str| suggest(w, unit_names.iter().map(|n| n.as_str()));

    // Ranking groups: each unit in exactly one, of its own kind.
    let mut groups: Vec<Group> = Vec::new();
    let mut member_of: Vec<Vec<usize>> = vec![Vec::new(); units.len()];
    for g in &index.group {
        let kind = match kind_index(g.kind.get_ref()) {
            Some(k) => k,
            None => {
                diags.push(ia.err(Code::UnknownReference, &g.kind, format!("unknown unit kind `{}`", g.kind.get_ref())));
                continue;
            }
        };
        let gi = groups.len();
        let mut members = Vec::new();
        if g.all_of_kind {
            if !g.units.is_empty() {
                diags.push(ia.err(Code::BadValue, &g.id, format!("group `{}` has both `units` and `all_of_kind`", g.id.get_ref())));
            }
            for (ui, u) in units.iter().enumerate() {
                if u.kind == kind {
                    member_of[ui].push(gi);
                    members.push(ui);
                }
            }
        }
        for u in &g.units {
            match unit_ids.get(u.get_ref().as_str()) {
                Some(&ui) => {
                    if units[ui].kind != kind {
                        diags.push(
                            ia.err(
                                Code::GroupMembership,
                                u,
                                format!(
                                    "unit `{}` is a `{}` but group `{}` ranks `{}`",
                                    u.get_ref(),
                                    kinds[units[ui].kind].id,
                                    g.id.get_ref(),
                                    kinds[kind].id
                                ),
                            )
                            .unit(u.get_ref()),
                        );
                    }
                    member_of[ui].push(gi);
                    members.push(ui);
                }
                None => diags.push(with_help(
                    ia.err(Code::UnknownUnit, u, format!("group `{}` names unknown unit `{}`", g.id.get_ref(), u.get_ref())),
                    unit_help(u.get_ref()),
                )),
            }
        }
        groups.push(Group { id: g.id.get_ref().clone(), name: g.name.clone(), kind, units: members });
    }
    for (ui, gs) in member_of.iter().enumerate() {
        match gs.as_slice() {
            [g] => units[ui].group = *g,
            // A what-if ranks the units no group names in one group per kind.
            [] if raw.what_if => {
                let kind = units[ui].kind;
                let id = format!("{} (what-if)", kinds[kind].id);
                let g = match groups.iter().position(|g| g.id == id) {
                    Some(g) => g,
                    None => {
                        groups.push(Group { id, name: kinds[kind].name.clone(), kind, units: Vec::new() });
                        groups.len() - 1
                    }
                };
                groups[g].units.push(ui);
                units[ui].group = g;
            }
            [] => diags.push(
                Diagnostic::error(Code::GroupMembership, format!("unit `{}` is in no ranking group", units[ui].id))
                    .in_file(&isrc.path)
                    .unit(&units[ui].id)
                    .help("add it to the `units` of one `[[group]]`"),
            ),
            many => diags.push(
                Diagnostic::error(
                    Code::GroupMembership,
                    format!(
                        "unit `{}` is in {} ranking groups: {}",
                        units[ui].id,
                        many.len(),
                        many.iter().map(|g| format!("`{}`", groups[*g].id)).collect::<Vec<_>>().join(", ")
                    ),
                )
                .in_file(&isrc.path)
                .unit(&units[ui].id)
                .help("a unit is ranked in exactly one group"),
            ),
        }
    }

    let node_ids: HashMap<&str, usize> = nodes.iter().enumerate().map(|(i, n)| (n.id.as_str(), i)).collect();
    let node_help = |w: &str| suggest(w, nodes.iter().map(|n| n.id.as_str()));

    // Exemptions.
    let mut exemptions = Vec::new();
    let mut exempt: HashMap<(usize, usize), usize> = HashMap::new();
    if let Some((esrc, efile)) = &raw.exemptions {
        let ea = At(esrc);
        for e in &efile.exemption {
            let ei = exemptions.len();
            let lref = match e.legal.as_deref().map(|t| legal_ref(t, &legal)) {
                Some(Ok(r)) => Some(r),
                Some(Err(m)) => {
                    diags.push(ea.err(Code::UnknownReference, &e.id, m));
                    None
                }
                None => None,
            };
            exemptions.push(Exemption { id: e.id.get_ref().clone(), reason: e.reason.clone(), legal: lref, location: ea.loc(&e.id) });
            let mut targets = Vec::new();
            for c in &e.criteria {
                match node_ids.get(c.get_ref().as_str()) {
                    Some(&ni) => targets.push(ni),
                    None => diags.push(with_help(
                        ea.err(
                            Code::UnknownCriterion,
                            c,
                            format!("exemption `{}` names unknown criterion `{}`", e.id.get_ref(), c.get_ref()),
                        )
                        .criterion(c.get_ref()),
                        node_help(c.get_ref()),
                    )),
                }
            }
            for p in &e.parts {
                match part_index(p.get_ref()) {
                    Some(pi) => targets.extend(nodes.iter().enumerate().filter(|(_, n)| n.part_root && n.part == Some(pi)).map(|(i, _)| i)),
                    None => diags.push(with_help(
                        ea.err(Code::UnknownReference, p, format!("exemption `{}` names unknown part `{}`", e.id.get_ref(), p.get_ref())),
                        suggest(p.get_ref(), parts.iter().map(|p| p.id.as_str())),
                    )),
                }
            }
            for u in &e.units {
                match unit_ids.get(u.get_ref().as_str()) {
                    Some(&ui) => {
                        for &ni in &targets {
                            exempt.insert((ui, ni), ei);
                        }
                    }
                    None => diags.push(with_help(
                        ea.err(Code::UnknownUnit, u, format!("exemption `{}` names unknown unit `{}`", e.id.get_ref(), u.get_ref())),
                        unit_help(u.get_ref()),
                    )),
                }
            }
        }
    }

    // Awarded points.
    let mut awarded = HashMap::new();
    if let Some((ssrc, sfile)) = &raw.scores {
        let sa = At(ssrc);
        for (unit, entries) in sfile {
            let Some(&ui) = unit_ids.get(unit.get_ref().as_str()) else {
                diags.push(with_help(
                    sa.err(Code::UnknownUnit, unit, format!("points for unknown unit `{}`", unit.get_ref())),
                    unit_help(unit.get_ref()),
                ));
                continue;
            };
            for (key, points) in entries {
                let target = match node_ids.get(key.get_ref().as_str()) {
                    Some(&ni) => Some(ni),
                    None => part_index(key.get_ref()).and_then(|pi| {
                        let roots: Vec<usize> = nodes
                            .iter()
                            .enumerate()
                            .filter(|(_, n)| n.part_root && n.part == Some(pi) && n.max[units[ui].kind].is_some())
                            .map(|(i, _)| i)
                            .collect();
                        if roots.len() == 1 {
                            Some(roots[0])
                        } else {
                            diags.push(
                                sa.err(Code::BadValue, key, format!("points for part `{}` span {} criteria", key.get_ref(), roots.len()))
                                    .unit(unit.get_ref())
                                    .help("give the points of each criterion of this part"),
                            );
                            None
                        }
                    }),
                };
                let Some(ni) = target else {
                    if part_index(key.get_ref()).is_none() {
                        diags.push(with_help(
                            sa.err(Code::UnknownCriterion, key, format!("points for unknown criterion `{}`", key.get_ref()))
                                .unit(unit.get_ref())
                                .criterion(key.get_ref()),
                            node_help(key.get_ref()),
                        ));
                    }
                    continue;
                };
                awarded.insert((ui, ni), Awarded { points: points.get_ref().0, location: sa.loc(points) });
            }
        }
    }

    // Raw facts.
    let mut facts: Vec<HashMap<String, Fact>> = vec![HashMap::new(); units.len()];
    if let Some((fsrc, ffile)) = &raw.facts {
        let fa = At(fsrc);
        for (unit, entries) in ffile {
            let Some(&ui) = unit_ids.get(unit.get_ref().as_str()) else {
                diags.push(with_help(
                    fa.err(Code::UnknownUnit, unit, format!("facts for unknown unit `{}`", unit.get_ref())),
                    unit_help(unit.get_ref()),
                ));
                continue;
            };
            for (key, v) in entries {
                let value = match v.get_ref() {
                    RawFact::Bool(b) => Value::Bool(*b),
                    RawFact::Number(d) => Value::Number(d.0),
                    RawFact::Text(t) => Value::Text(t.clone()),
                };
                let loc = fa.loc(v);
                let source = format!("{}:{}", loc.file.display(), loc.line.unwrap_or(0));
                facts[ui].insert(key.get_ref().clone(), Fact { value, source });
            }
        }
    }

    // Last year's results.
    let mut previous: Vec<Option<Previous>> = vec![None; units.len()];
    let mut previous_year = None;
    if let Some((psrc, pfile)) = &raw.previous {
        let pa = At(psrc);
        previous_year = u16::try_from(pfile.year).ok();
        for p in &pfile.unit {
            match unit_ids.get(p.id.get_ref().as_str()) {
                Some(&ui) => previous[ui] = Some(Previous { index: p.index.0, rank: p.rank }),
                None => diags.push(with_help(
                    pa.err(Code::UnknownUnit, &p.id, format!("previous results for unknown unit `{}`", p.id.get_ref())),
                    unit_help(p.id.get_ref()),
                )),
            }
        }
    }

    let year_name = index.index.name.clone();
    if raw.what_if {
        // What does not fit another year's data is reported, not refused.
        for d in &mut diags.0 {
            if matches!(d.code, Code::UnknownUnit | Code::UnknownCriterion) || (d.code == Code::UnknownReference && d.unit.is_some()) {
                d.severity = crate::diag::Severity::Warning;
            }
        }
    }
    if diags.has_errors() {
        return (None, diags);
    }
    let rounding = RoundingPolicy {
        leaf: index.rounding.leaf,
        points: index.rounding.points,
        index: index.rounding.index,
        component: index.rounding.component,
        average: index.rounding.average,
    };
    let model = Model {
        year: raw.year,
        name: year_name,
        legal,
        index_legal,
        rounding,
        kinds,
        parts,
        groups,
        nodes,
        units,
        exemptions,
        exempt,
        awarded,
        facts,
        scripts,
        previous_year,
        previous,
        what_if: raw.what_if,
    };
    (Some(model), diags)
}

/// Builds the pre-ordered node list from all tree files.
fn build_tree(raw: &RawYear, kinds: &[Kind], parts: &[Part], legal: &[Legal], scripts: &[Script], diags: &mut Diagnostics) -> Vec<Node> {
    struct Item<'a> {
        raw: &'a RawNode,
        src: &'a Source,
    }
    let mut by_id: BTreeMap<String, Item> = BTreeMap::new();
    for (src, file) in &raw.tree {
        let at = At(src);
        for n in &file.node {
            let id = n.id.get_ref();
            if id.is_empty() || id.split('.').any(str::is_empty) {
                diags.push(at.err(Code::BadValue, &n.id, format!("criterion id `{id}` is not of the form `1`, `1.2`, `1.2.3`")));
                continue;
            }
            if let Some(prev) = by_id.get(id) {
                let l = At(prev.src).loc(&prev.raw.id);
                diags.push(at.err(Code::Duplicate, &n.id, format!("criterion `{id}` is declared twice")).criterion(id).help(format!(
                    "first declared at {}:{}",
                    l.file.display(),
                    l.line.unwrap_or(0)
                )));
                continue;
            }
            by_id.insert(id.clone(), Item { raw: n, src });
        }
    }
    let mut ids: Vec<&String> = by_id.keys().collect();
    ids.sort_by(|a, b| compare_ids(a, b));

    // Children lists, then a pre-order walk.
    let mut children: HashMap<&str, Vec<&str>> = HashMap::new();
    let mut roots = Vec::new();
    for id in &ids {
        match parent_id(id) {
            Some(p) if by_id.contains_key(p) => children.entry(p).or_default().push(id.as_str()),
            Some(p) => {
                let it = &by_id[id.as_str()];
                diags.push(
                    At(it.src)
                        .err(Code::OrphanCriterion, &it.raw.id, format!("criterion `{id}` has no parent `{p}`"))
                        .criterion(id.as_str())
                        .help(format!("declare `{p}` or fix the id")),
                );
            }
            None => roots.push(id.as_str()),
        }
    }
    let mut order = Vec::new();
    let mut stack: Vec<(&str, Option<usize>, usize)> = roots.iter().rev().map(|r| (*r, None, 0)).collect();
    let mut nodes: Vec<Node> = Vec::new();
    while let Some((id, parent, depth)) = stack.pop() {
        let it = &by_id[id];
        let at = At(it.src);
        let r = it.raw;
        let idx = nodes.len();
        order.push(id);
        // Part: declared or inherited.
        let declared_part = r.part.as_ref().and_then(|p| match parts.iter().position(|x| &x.id == p.get_ref()) {
            Some(pi) => Some(pi),
            None => {
                diags.push(with_help(
                    at.err(Code::UnknownReference, p, format!("unknown part `{}`", p.get_ref())).criterion(id),
                    suggest(p.get_ref(), parts.iter().map(|p| p.id.as_str())),
                ));
                None
            }
        });
        let inherited = parent.and_then(|p| nodes[p].part);
        let part = declared_part.or(inherited);
        let part_root = part.is_some() && (parent.is_none() || inherited != part);
        let is_leaf = !children.contains_key(id);

        // Maximum per kind (leaves only).
        let mut max = vec![None; kinds.len()];
        match (&r.max, is_leaf) {
            (Some(m), true) => match m.get_ref() {
                RawMax::All(d) => max.iter_mut().for_each(|x| *x = Some(d.0)),
                RawMax::PerKind(per) => {
                    for (k, d) in per {
                        match kinds.iter().position(|x| &x.id == k) {
                            Some(ki) => max[ki] = Some(d.0),
                            None => diags.push(with_help(
                                at.err(Code::UnknownReference, m, format!("maximum for unknown unit kind `{k}`")).criterion(id),
                                suggest(k, kinds.iter().map(|k| k.id.as_str())),
                            )),
                        }
                    }
                }
            },
            (None, true) => diags.push(
                at.err(Code::BadMaximum, &r.id, format!("criterion `{id}` has no sub-criteria and no `max`"))
                    .criterion(id)
                    .help("a leaf needs `max = <points>` or `max = { <kind> = <points>, ... }`"),
            ),
            (Some(m), false) => diags.push(
                at.err(Code::BadMaximum, m, format!("criterion `{id}` has sub-criteria; its maximum is the sum of theirs"))
                    .criterion(id)
                    .help("remove `max` here and set it on the sub-criteria"),
            ),
            (None, false) => {}
        }
        for v in max.iter().flatten() {
            if v.is_sign_negative() {
                diags.push(at.err(Code::BadMaximum, &r.id, format!("criterion `{id}` has a negative maximum")).criterion(id));
            }
        }
        if is_leaf && part.is_none() {
            diags.push(
                at.err(Code::UnknownReference, &r.id, format!("criterion `{id}` belongs to no part"))
                    .criterion(id)
                    .help("set `part = \"...\"` on it or on a parent"),
            );
        }

        // Rule.
        let rule = match &r.rule {
            Some(name) if !is_leaf => {
                diags.push(at.err(Code::BadValue, name, format!("criterion `{id}` has sub-criteria and cannot have a rule")).criterion(id));
                None
            }
            Some(name) => match scripts.iter().position(|s| &s.name == name.get_ref()) {
                Some(si) => {
                    let params = match toml_to_dynamic(&toml::Value::Table(r.params.clone())) {
                        Ok(d) => d.cast::<rhai::Map>(),
                        Err(m) => {
                            diags.push(at.err(Code::BadValue, name, format!("bad `params`: {m}")).criterion(id));
                            rhai::Map::new()
                        }
                    };
                    Some(LeafRule {
                        script: si,
                        inputs: r.inputs.iter().map(|(k, v)| (k.clone(), v.get_ref().clone())).collect(),
                        params,
                        params_text: toml::to_string(&r.params).unwrap_or_default().trim().replace('\n', ", "),
                    })
                }
                None => {
                    diags.push(with_help(
                        at.err(Code::UnknownReference, name, format!("unknown rule `{}`", name.get_ref()))
                            .criterion(id)
                            .help("rules are listed in `scripts` of index.toml"),
                        suggest(name.get_ref(), scripts.iter().map(|s| s.name.as_str())),
                    ));
                    None
                }
            },
            None => None,
        };
        let lref = match r.legal.as_deref().map(|t| legal_ref(t, legal)) {
            Some(Ok(x)) => Some(x),
            Some(Err(m)) => {
                diags.push(at.err(Code::UnknownReference, &r.id, m).criterion(id));
                None
            }
            None => None,
        };
        nodes.push(Node {
            id: id.to_string(),
            name: r.name.clone(),
            parent,
            children: Vec::new(),
            depth,
            part,
            part_root,
            max,
            rule,
            legal: lref,
            note: r.note.clone(),
            location: at.loc(&r.id),
        });
        if let Some(p) = parent {
            nodes[p].children.push(idx);
        }
        if let Some(ch) = children.get(id) {
            for c in ch.iter().rev() {
                stack.push((c, Some(idx), depth + 1));
            }
        }
    }
    // Inner maxima: sums of the children's, per kind (children come after parents).
    for i in (0..nodes.len()).rev() {
        if nodes[i].children.is_empty() {
            continue;
        }
        let mut sums: Vec<Option<Decimal>> = vec![None; kinds.len()];
        for &c in &nodes[i].children {
            for (k, m) in nodes[c].max.iter().enumerate() {
                if let Some(m) = m {
                    sums[k] = Some(sums[k].unwrap_or_default() + m);
                }
            }
        }
        nodes[i].max = sums;
    }
    nodes
}
