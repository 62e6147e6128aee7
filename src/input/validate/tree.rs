//! The criteria tree: every `[[node]]` of `tree/*.toml`, pre-ordered, with
//! maxima per kind summed into parents in checked arithmetic.

use std::collections::{BTreeMap, HashMap};

use rust_decimal::Decimal;

use super::{legal_ref, suggest, with_help, At};
use crate::diag::{Code, Diagnostics};
use crate::input::load::RawYear;
use crate::input::model::{LeafRule, Node};
use crate::input::raw::{RawMax, RawNode};
use crate::input::validate::header::Header;

fn parent_id(id: &str) -> Option<&str> {
    id.rfind('.').map(|i| &id[..i])
}

/// The params of a rule as canonical text, for explanations and fingerprints.
pub(crate) fn params_text(params: &toml::Table) -> String {
    toml::to_string(params).unwrap_or_default().trim().replace('\n', ", ")
}

/// Converts a TOML value of `params` to a rhai value; numbers become Decimal.
pub(crate) fn toml_to_dynamic(v: &toml::Value) -> Result<rhai::Dynamic, String> {
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

/// The largest maximum a criterion may have: anything above is a typing
/// error, not a scale.
pub const MAX_POINTS: i64 = 1_000_000;

/// The tree as the later steps look at it: ids, subtrees and parts.
pub(super) struct Tree<'a> {
    pub nodes: Vec<&'a Node>,
    pub ids: rustc_hash::FxHashMap<&'a str, usize>,
    /// Per node: one past the last node of its subtree (nodes are pre-ordered).
    pub end: Vec<usize>,
    /// Per part: the nodes where it starts (`part_root`).
    pub part_roots: Vec<Vec<usize>>,
}

impl<'a> Tree<'a> {
    pub fn new(nodes: &'a [Node]) -> Self {
        Tree::of(nodes.iter().collect())
    }

    /// The tree of a model's shared nodes.
    pub fn shared(nodes: &'a [std::sync::Arc<Node>]) -> Self {
        Tree::of(nodes.iter().map(|n| &**n).collect())
    }

    fn of(nodes: Vec<&'a Node>) -> Self {
        let ids = nodes.iter().enumerate().map(|(i, n)| (n.id.as_str(), i)).collect();
        let mut end: Vec<usize> = (1..=nodes.len()).collect();
        for i in (0..nodes.len()).rev() {
            if let Some(p) = nodes[i].parent {
                end[p] = end[p].max(end[i]);
            }
        }
        let parts = nodes.iter().filter_map(|n| n.part).max().map_or(0, |p| p + 1);
        let mut part_roots = vec![Vec::new(); parts];
        for (i, n) in nodes.iter().enumerate() {
            if let (Some(p), true) = (n.part, n.part_root) {
                part_roots[p].push(i);
            }
        }
        Tree { nodes, ids, end, part_roots }
    }

    pub fn get(&self, id: &str) -> Option<usize> {
        self.ids.get(id).copied()
    }

    pub fn roots_of_part(&self, part: usize) -> &[usize] {
        self.part_roots.get(part).map_or(&[], Vec::as_slice)
    }

    /// Whether `a` is `b` or one of its ancestors.
    pub fn contains(&self, a: usize, b: usize) -> bool {
        a <= b && b < self.end[a]
    }

    /// `i` and its ancestors, nearest first.
    pub fn up(&self, i: usize) -> impl Iterator<Item = usize> + '_ {
        std::iter::successors(Some(i), |&j| self.nodes[j].parent)
    }

    pub fn help(&self, word: &str) -> Option<String> {
        suggest(word, self.nodes.iter().map(|n| n.id.as_str()))
    }
}

/// Sorts sibling ids as `compare_ids` orders them: by their last segment,
/// numerically where both are numbers.
fn sort_siblings(ids: &mut Vec<&str>) {
    let mut keyed: Vec<(Option<u64>, &str, &str)> = ids
        .iter()
        .map(|id| {
            let last = id.rsplit('.').next().unwrap_or(id);
            (last.parse::<u64>().ok(), last, *id)
        })
        .collect();
    keyed.sort_by(|a, b| match (a.0, b.0) {
        (Some(m), Some(n)) => m.cmp(&n),
        _ => a.1.cmp(b.1),
    });
    ids.clear();
    ids.extend(keyed.into_iter().map(|(_, _, id)| id));
}

/// Builds the pre-ordered node list from all tree files.
pub(super) fn build(raw: &RawYear, head: &Header, diags: &mut Diagnostics) -> Vec<Node> {
    let (kinds, parts, legal, scripts) = (&head.kinds, &head.parts, &head.legal, &head.scripts);
    let files: Vec<At> = raw.tree.iter().map(|(src, _)| At::new(src)).collect();
    let mut by_id: BTreeMap<&str, (&RawNode, usize)> = BTreeMap::new();
    for (fi, (_, file)) in raw.tree.iter().enumerate() {
        let at = &files[fi];
        for n in &file.node {
            let id = n.id.get_ref();
            if id.is_empty() || id.split('.').any(str::is_empty) {
                diags.push(at.err(Code::BadValue, &n.id, format!("criterion id `{id}` is not of the form `1`, `1.2`, `1.2.3`")));
                continue;
            }
            if let Some((prev, pf)) = by_id.get(id.as_str()) {
                let l = files[*pf].loc(&prev.id);
                diags.push(
                    at.err(Code::Duplicate, &n.id, format!("criterion `{id}` is declared twice"))
                        .criterion(id)
                        .label_at(l, "first declared here"),
                );
                continue;
            }
            by_id.insert(id, (n, fi));
        }
    }
    // Children lists, then a pre-order walk. Siblings differ only in their
    // last segment: each list is sorted by it, parsed once (sorting whole
    // ids would split every id at every comparison).
    let mut children: HashMap<&str, Vec<&str>> = HashMap::new();
    let mut roots = Vec::new();
    for &id in by_id.keys() {
        match parent_id(id) {
            Some(p) if by_id.contains_key(p) => children.entry(p).or_default().push(id),
            Some(p) => {
                let (n, fi) = by_id[id];
                diags.push(
                    files[fi]
                        .err(Code::OrphanCriterion, &n.id, format!("criterion `{id}` has no parent `{p}`"))
                        .criterion(id)
                        .help(format!("declare `{p}` or fix the id")),
                );
            }
            None => roots.push(id),
        }
    }
    sort_siblings(&mut roots);
    children.values_mut().for_each(|c| sort_siblings(c));
    let mut stack: Vec<(&str, Option<usize>, usize)> = roots.iter().rev().map(|r| (*r, None, 0)).collect();
    let mut nodes: Vec<Node> = Vec::with_capacity(by_id.len());
    while let Some((id, parent, depth)) = stack.pop() {
        let (r, fi) = by_id[id];
        let at = &files[fi];
        let idx = nodes.len();
        // Part: declared or inherited.
        let declared_part = r.part.as_ref().and_then(|p| match head.part_index(p.get_ref()) {
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
            (Some(m), true) => {
                match m.get_ref() {
                    RawMax::All(d) => max.iter_mut().for_each(|x| *x = Some(d.0)),
                    RawMax::PerKind(per) => {
                        for (k, d) in per {
                            match head.kind_index(k) {
                                Some(ki) => max[ki] = Some(d.0),
                                None => diags.push(with_help(
                                    at.err(Code::UnknownReference, m, format!("maximum for unknown unit kind `{k}`")).criterion(id),
                                    suggest(k, kinds.iter().map(|k| k.id.as_str())),
                                )),
                            }
                        }
                    }
                }
                if max.iter().flatten().any(|v| v.is_sign_negative() && !v.is_zero()) {
                    diags.push(at.err(Code::BadMaximum, m, format!("criterion `{id}` has a negative maximum")).criterion(id));
                } else if max.iter().flatten().any(|v| *v > Decimal::from(MAX_POINTS)) {
                    diags.push(
                        at.err(Code::BadMaximum, m, format!("criterion `{id}` has a maximum above {MAX_POINTS} points"))
                            .criterion(id)
                            .help("maxima are points: write the maximum the decision gives"),
                    );
                }
            }
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
                        params_text: params_text(&r.params),
                        params_table: r.params.clone(),
                        input_at: r.inputs.values().map(|v| at.loc(v)).collect(),
                        rule_at: at.loc(name),
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
    sum_maxima(&mut nodes, kinds.len(), diags);
    nodes
}

/// Inner maxima: the sums of the children's, per kind (children come after
/// parents), and the sum of the components (a unit's whole scale), all in
/// checked arithmetic: a sum that overflows is an error at the criterion
/// whose maximum made it overflow.
fn sum_maxima(nodes: &mut [Node], kinds: usize, diags: &mut Diagnostics) {
    let overflow = |n: &Node, what: &str| {
        crate::diag::Diagnostic::error(Code::BadMaximum, format!("the maximum of criterion `{}` is too large: {what} overflows", n.id))
            .at(n.location.clone())
            .criterion(&n.id)
            .help("maxima are points: write the maximum the decision gives")
    };
    for i in (0..nodes.len()).rev() {
        if nodes[i].children.is_empty() {
            continue;
        }
        let mut sums: Vec<Option<Decimal>> = vec![None; kinds];
        let mut failed = false;
        for &c in &nodes[i].children {
            for (k, m) in nodes[c].max.iter().enumerate() {
                if let Some(m) = m {
                    match sums[k].unwrap_or_default().checked_add(*m) {
                        Some(s) => sums[k] = Some(s),
                        None if !failed => {
                            failed = true;
                            let what = format!("the sum of the maxima of `{}`", nodes[i].id);
                            diags.push(overflow(&nodes[c], &what));
                        }
                        None => {}
                    }
                }
            }
        }
        nodes[i].max = sums;
    }
    for k in 0..kinds {
        let mut scale = Decimal::ZERO;
        for n in nodes.iter().filter(|n| n.parent.is_none()) {
            if let Some(m) = n.max[k] {
                match scale.checked_add(m) {
                    Some(s) => scale = s,
                    None => {
                        diags.push(overflow(n, "the whole scale"));
                        break;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Location;

    fn node(id: &str, parent: Option<usize>, max: Option<Decimal>) -> Node {
        Node {
            id: id.into(),
            name: id.into(),
            parent,
            children: Vec::new(),
            depth: 0,
            part: Some(0),
            part_root: parent.is_none(),
            max: vec![max],
            rule: None,
            legal: None,
            note: None,
            location: Location::file("t.toml"),
        }
    }

    /// 1 { 1.1 { 1.1.1, 1.1.2 }, 1.2 }, 2, pre-ordered.
    fn small() -> Vec<Node> {
        let mut n = vec![
            node("1", None, None),
            node("1.1", Some(0), None),
            node("1.1.1", Some(1), Some(Decimal::ONE)),
            node("1.1.2", Some(1), Some(Decimal::ONE)),
            node("1.2", Some(0), Some(Decimal::TWO)),
            node("2", None, Some(Decimal::TEN)),
        ];
        n[0].children = vec![1, 4];
        n[1].children = vec![2, 3];
        n
    }

    #[test]
    fn siblings_sort_as_ids_do() {
        let mut ids = vec!["3.10", "3.2", "3.1", "3.b", "3.a"];
        sort_siblings(&mut ids);
        let mut by_ids = ids.clone();
        by_ids.sort_by(|a, b| super::super::compare_ids(a, b));
        assert_eq!(ids, vec!["3.1", "3.2", "3.10", "3.a", "3.b"]);
        assert_eq!(ids, by_ids);
    }

    #[test]
    fn subtrees_end_where_the_next_branch_starts() {
        let nodes = small();
        let t = Tree::new(&nodes);
        assert_eq!(t.end, vec![5, 4, 3, 4, 5, 6]);
        assert!(t.contains(0, 3) && t.contains(1, 1) && !t.contains(1, 4) && !t.contains(4, 5));
        assert_eq!(t.up(3).collect::<Vec<_>>(), vec![3, 1, 0]);
        assert_eq!(t.roots_of_part(0), &[0, 5]);
    }

    #[test]
    fn maxima_are_summed_into_parents() {
        let mut nodes = small();
        let mut d = Diagnostics::default();
        sum_maxima(&mut nodes, 1, &mut d);
        assert!(d.is_empty());
        assert_eq!(nodes[1].max[0], Some(Decimal::TWO));
        assert_eq!(nodes[0].max[0], Some(Decimal::from(4)));
    }

    #[test]
    fn a_sum_of_maxima_that_overflows_is_an_error_at_the_criterion() {
        let mut nodes = small();
        nodes[3].max[0] = Some(Decimal::MAX);
        let mut d = Diagnostics::default();
        sum_maxima(&mut nodes, 1, &mut d);
        assert_eq!(d.codes(), vec![Code::BadMaximum]);
        assert_eq!(d.0[0].criterion.as_deref(), Some("1.1.2"));
        // The whole scale too: two components of half the largest decimal each, and one more.
        let mut nodes = small();
        nodes[4].max[0] = Some(Decimal::MAX / Decimal::TWO);
        nodes[5].max[0] = Some(Decimal::MAX / Decimal::TWO);
        let mut d = Diagnostics::default();
        sum_maxima(&mut nodes, 1, &mut d);
        assert_eq!(d.codes(), vec![Code::BadMaximum]);
        assert_eq!(d.0[0].criterion.as_deref(), Some("2"));
    }
}
