//! Unit matching: printed unit names and ids to the units of the year.
//!
//! A cell names a unit by its id (exact) or by its name or an alias, after
//! normalising: composed (NFC), whitespace collapsed, Unicode lowercase;
//! diacritics are kept ("Mường Tè" is not "Muong Te").

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use rustc_hash::FxHashMap;

use super::store::UnitIds;
use super::UnitRef;
use crate::diag::{closest, Code, Diagnostic};

/// Composed (NFC), whitespace collapsed, Unicode lowercase; diacritics kept.
pub(crate) fn normalize_name(s: &str) -> String {
    use unicode_normalization::{is_nfc_quick, IsNormalized, UnicodeNormalization};
    // A name typed or exported with combining marks ("ư" then U+0300)
    // reads as its composed form ("ừ"), as most files write it.
    let composed: String;
    let s = if s.is_ascii() || is_nfc_quick(s.chars()) == IsNormalized::Yes {
        s
    } else {
        composed = s.nfc().collect();
        &composed
    };
    let mut out = String::with_capacity(s.len());
    if s.is_ascii() {
        for word in s.split_whitespace() {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(word);
        }
        out.make_ascii_lowercase();
        return out;
    }
    for word in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.extend(word.chars().flat_map(char::to_lowercase));
    }
    out
}

/// Finds units by id (exact) or by name or alias (normalised).
pub(crate) struct UnitMatcher<'u, 'a> {
    pub(super) units: &'u [UnitRef<'a>],
    /// The data's units by id.
    pub(super) by_id: &'u UnitIds,
    /// Where a name two units share is reported.
    file: PathBuf,
    /// Units by normalised name or alias (the first unit for a name two
    /// share), and the warnings about names shared: made when a cell first
    /// names a unit other than by its id (a national table names its units
    /// by id, and a million names take seconds to normalise).
    by_name: OnceLock<(FxHashMap<String, usize>, Vec<Diagnostic>)>,
}

impl<'u, 'a> UnitMatcher<'u, 'a> {
    /// The matcher of `units`; a name shared by two units is reported by
    /// [`UnitMatcher::name_warnings`] (a warning in `file`) and matches the first.
    pub(super) fn new(units: &'u [UnitRef<'a>], by_id: &'u UnitIds, file: &Path) -> Self {
        UnitMatcher { units, by_id, file: file.to_path_buf(), by_name: OnceLock::new() }
    }

    fn names(&self) -> &FxHashMap<String, usize> {
        &self.by_name.get_or_init(|| self.make_names()).0
    }

    fn make_names(&self) -> (FxHashMap<String, usize>, Vec<Diagnostic>) {
        let units = self.units;
        let names = units.iter().map(|u| 1 + u.aliases.len()).sum();
        let mut by_name: FxHashMap<String, usize> = FxHashMap::with_capacity_and_hasher(names, Default::default());
        let mut warnings = Vec::new();
        // Normalising is most of the work: done for every unit in parallel
        // (4,096 a task), inserted in order.
        let keys: Vec<Vec<String>> = crate::input::par::map(units, 4096, |u| {
            std::iter::once(u.name).chain(u.aliases.iter().map(String::as_str)).map(normalize_name).collect()
        });
        for ((i, u), keys) in units.iter().enumerate().zip(keys) {
            for (n, key) in std::iter::once(u.name).chain(u.aliases.iter().map(String::as_str)).zip(keys) {
                match by_name.get(key.as_str()) {
                    Some(&j) if j != i => warnings.push(
                        Diagnostic::warning(
                            Code::Duplicate,
                            format!("name `{n}` belongs to units `{}` and `{}`; it matches `{}`", units[j].id, u.id, units[j].id),
                        )
                        .in_file(&self.file),
                    ),
                    Some(_) => {}
                    None => {
                        by_name.insert(key, i);
                    }
                }
            }
        }
        (by_name, warnings)
    }

    /// The warnings about names two units share, once a cell named a unit
    /// other than by its id: only then can a name match the wrong unit.
    pub(super) fn name_warnings(&mut self) -> Vec<Diagnostic> {
        self.by_name.take().map(|(_, w)| w).unwrap_or_default()
    }

    /// The index of the unit with this id, name or alias.
    pub(crate) fn find(&self, text: &str) -> Option<usize> {
        let t = text.trim();
        self.by_id.index(t).or_else(|| self.names().get(&normalize_name(t)).copied())
    }

    /// "closest unit is `Sở Tài chính` (`so-tc`)".
    pub(crate) fn closest_help(&self, text: &str) -> Option<String> {
        let cands = self
            .units
            .iter()
            .enumerate()
            .flat_map(|(i, u)| std::iter::once((u.name, i)).chain(u.aliases.iter().map(move |a| (a.as_str(), i))));
        let cands: Vec<(&str, usize)> = cands.collect();
        let best = closest(text.trim(), cands.iter().map(|c| c.0))?;
        let i = cands.iter().find(|c| c.0 == best)?.1;
        let u = &self.units[i];
        Some(format!("closest unit is `{}` (`{}`)", u.name, u.id))
    }
}
