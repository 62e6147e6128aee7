//! Unit matching: printed unit names and ids to the units of the year.
//!
//! A cell names a unit by its id (exact) or by its name or an alias, after
//! normalising: composed (NFC), whitespace collapsed, Unicode lowercase;
//! diacritics are kept ("Mường Tè" is not "Muong Te").

use std::path::Path;

use rustc_hash::FxHashMap;

use super::store::UnitIds;
use super::UnitRef;
use crate::diag::{closest, Code, Diagnostic, Diagnostics};

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
    /// Units by normalised name or alias; the first unit for a name two share.
    by_name: FxHashMap<String, usize>,
}

impl<'u, 'a> UnitMatcher<'u, 'a> {
    /// The matcher of `units`; a name shared by two units is reported
    /// (a warning in `file`) and matches the first.
    pub(super) fn new(units: &'u [UnitRef<'a>], by_id: &'u UnitIds, file: &Path, diags: &mut Diagnostics) -> Self {
        use rayon::prelude::*;
        let names = units.iter().map(|u| 1 + u.aliases.len()).sum();
        let mut by_name: FxHashMap<String, usize> = FxHashMap::with_capacity_and_hasher(names, Default::default());
        // Normalising is most of the work: done for every unit in parallel, inserted in order.
        let keys: Vec<Vec<String>> = units
            .par_iter()
            .with_min_len(4096)
            .map(|u| std::iter::once(u.name).chain(u.aliases.iter().map(String::as_str)).map(normalize_name).collect())
            .collect();
        for ((i, u), keys) in units.iter().enumerate().zip(keys) {
            for (n, key) in std::iter::once(u.name).chain(u.aliases.iter().map(String::as_str)).zip(keys) {
                match by_name.get(key.as_str()) {
                    Some(&j) if j != i => diags.push(
                        Diagnostic::warning(
                            Code::Duplicate,
                            format!("name `{n}` belongs to units `{}` and `{}`; it matches `{}`", units[j].id, u.id, units[j].id),
                        )
                        .in_file(file),
                    ),
                    Some(_) => {}
                    None => {
                        by_name.insert(key, i);
                    }
                }
            }
        }
        UnitMatcher { units, by_id, by_name }
    }

    /// The index of the unit with this id, name or alias.
    pub(crate) fn find(&self, text: &str) -> Option<usize> {
        let t = text.trim();
        self.by_id.index(t).or_else(|| self.by_name.get(&normalize_name(t)).copied())
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
