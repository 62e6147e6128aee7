//! Units (`units.toml` or `units.csv`) and the ranking groups of `index.toml`.

use std::collections::HashMap;

use rustc_hash::FxHashMap;

use super::{suggest, with_help, At};
use crate::diag::{Code, Diagnostic, Diagnostics, Location};
use crate::input::load::RawYear;
use crate::input::model::{Group, Unit};
use crate::input::name::Name;
use crate::input::raw::RawIndexFile;
use crate::input::validate::header::Header;

/// The units, each id once, with where each is declared.
#[derive(Clone)]
pub(super) struct Units {
    pub list: Vec<Unit>,
    /// Each id's unit; hashed with `FxHasher` (a national year has a million).
    pub ids: FxHashMap<Name, usize>,
    /// Per unit: where its id is declared.
    pub locations: Vec<Location>,
}

impl Units {
    pub fn get(&self, id: &str) -> Option<usize> {
        self.ids.get(id).copied()
    }

    pub fn help(&self, word: &str) -> Option<String> {
        suggest(word, self.list.iter().map(|u| u.id.as_str()))
    }

    pub fn from_raw(raw: &RawYear, head: &Header, diags: &mut Diagnostics) -> Units {
        let mut units = Units { list: Vec::new(), ids: FxHashMap::default(), locations: Vec::new() };
        let Some((usrc, ufile)) = raw.units.as_deref() else {
            return units;
        };
        units.ids.reserve(ufile.unit.len());
        units.list.reserve(ufile.unit.len());
        let ua = At::new(usrc);
        for u in &ufile.unit {
            let id = u.id.get_ref();
            if let Some(&first) = units.ids.get(id) {
                diags.push(
                    ua.err(Code::Duplicate, &u.id, format!("unit `{id}` is declared twice"))
                        .unit(id.as_str())
                        .label_at(units.locations[first].clone(), "first declared here"),
                );
                continue;
            }
            // In a what-if, a kind of another year maps to the kind that replaces it.
            let continued = || {
                if !raw.what_if {
                    return None;
                }
                let later = head.kinds.iter().position(|k| k.replaces.as_deref() == Some(u.kind.get_ref()));
                let earlier = raw
                    .data_kinds
                    .iter()
                    .find(|k| k.id.get_ref() == u.kind.get_ref())
                    .and_then(|k| k.replaces.as_deref())
                    .and_then(|k| head.kind_index(k));
                later.or(earlier)
            };
            let Some(kind) = head.kind_index(u.kind.get_ref()).or_else(continued) else {
                let help = suggest(u.kind.get_ref(), head.kinds.iter().map(|k| k.id.as_str()));
                diags.push(with_help(
                    ua.err(Code::UnknownReference, &u.kind, format!("unknown unit kind `{}`", u.kind.get_ref())).unit(id.as_str()),
                    help,
                ));
                continue;
            };
            units.ids.insert(id.clone(), units.list.len());
            units.locations.push(ua.loc(&u.id));
            units.list.push(Unit { id: id.clone(), name: u.name.clone(), aliases: u.aliases.clone(), kind, group: usize::MAX });
        }
        units
    }
}

/// Ranking groups: each unit in exactly one, of its own kind, named once.
pub(super) fn groups(
    raw: &RawYear,
    ia: &At,
    index: &RawIndexFile,
    head: &Header,
    mut units: Units,
    diags: &mut Diagnostics,
) -> (Units, Vec<Group>) {
    let kinds = &head.kinds;
    let mut groups: Vec<Group> = Vec::new();
    let mut member_of = Memberships::new(units.list.len());
    for g in &index.group {
        let Some(kind) = head.kind_index(g.kind.get_ref()) else {
            diags.push(ia.err(Code::UnknownReference, &g.kind, format!("unknown unit kind `{}`", g.kind.get_ref())));
            continue;
        };
        let gi = groups.len();
        let mut members = Vec::new();
        if g.all_of_kind {
            if !g.units.is_empty() {
                diags.push(ia.err(Code::BadValue, &g.id, format!("group `{}` has both `units` and `all_of_kind`", g.id.get_ref())));
            }
            for (ui, u) in units.list.iter().enumerate() {
                if u.kind == kind {
                    member_of.push(ui, gi);
                    members.push(ui);
                }
            }
        }
        for u in &g.units {
            let Some(ui) = units.get(u.get_ref()) else {
                diags.push(with_help(
                    ia.err(Code::UnknownUnit, u, format!("group `{}` names unknown unit `{}`", g.id.get_ref(), u.get_ref())),
                    units.help(u.get_ref()),
                ));
                continue;
            };
            if member_of.last(ui) == Some(gi) {
                diags.push(
                    ia.err(Code::Duplicate, u, format!("group `{}` names unit `{}` twice", g.id.get_ref(), u.get_ref())).unit(u.get_ref()),
                );
                continue;
            }
            if units.list[ui].kind != kind {
                diags.push(
                    ia.err(
                        Code::GroupMembership,
                        u,
                        format!(
                            "unit `{}` is a `{}` but group `{}` ranks `{}`",
                            u.get_ref(),
                            kinds[units.list[ui].kind].id,
                            g.id.get_ref(),
                            kinds[kind].id
                        ),
                    )
                    .unit(u.get_ref()),
                );
            }
            member_of.push(ui, gi);
            members.push(ui);
        }
        groups.push(Group { id: g.id.get_ref().clone(), name: g.name.clone(), kind, units: members });
    }
    let mut what_if_group: HashMap<usize, usize> = HashMap::new();
    for ui in 0..units.list.len() {
        let unit = &units.list[ui];
        match member_of.of(ui) {
            (Some(g), None) => units.list[ui].group = g,
            // A what-if ranks the units no group names in one group per kind.
            (None, _) if raw.what_if => {
                let kind = unit.kind;
                let g = *what_if_group.entry(kind).or_insert_with(|| {
                    groups.push(Group {
                        id: format!("{} (what-if)", kinds[kind].id),
                        name: kinds[kind].name.clone(),
                        kind,
                        units: Vec::new(),
                    });
                    groups.len() - 1
                });
                groups[g].units.push(ui);
                units.list[ui].group = g;
            }
            (None, _) => diags.push(
                Diagnostic::error(Code::GroupMembership, format!("unit `{}` is in no ranking group", unit.id))
                    .at(units.locations[ui].clone())
                    .unit(&unit.id)
                    .help("add it to the `units` of one `[[group]]` of index.toml"),
            ),
            (Some(first), Some(more)) => diags.push(
                Diagnostic::error(
                    Code::GroupMembership,
                    format!(
                        "unit `{}` is in {} ranking groups: {}",
                        unit.id,
                        1 + more.len(),
                        std::iter::once(&first).chain(more).map(|g| format!("`{}`", groups[*g].id)).collect::<Vec<_>>().join(", ")
                    ),
                )
                .in_file(ia.path())
                .unit(&unit.id)
                .help("a unit is ranked in exactly one group"),
            ),
        }
    }
    (units, groups)
}

/// Each unit's ranking groups, in the order they name it: its first held
/// per unit, any others (an error) aside. A vector per unit took a million
/// allocations for a national year.
struct Memberships {
    first: Vec<Option<usize>>,
    more: FxHashMap<usize, Vec<usize>>,
}

impl Memberships {
    fn new(units: usize) -> Memberships {
        Memberships { first: vec![None; units], more: FxHashMap::default() }
    }

    fn push(&mut self, unit: usize, group: usize) {
        match self.first[unit] {
            None => self.first[unit] = Some(group),
            Some(_) => self.more.entry(unit).or_default().push(group),
        }
    }

    /// The group that named `unit` last.
    fn last(&self, unit: usize) -> Option<usize> {
        self.more.get(&unit).and_then(|m| m.last().copied()).or(self.first[unit])
    }

    /// The first group of `unit`, and the others.
    fn of(&self, unit: usize) -> (Option<usize>, Option<&[usize]>) {
        (self.first[unit], self.more.get(&unit).map(Vec::as_slice))
    }
}
