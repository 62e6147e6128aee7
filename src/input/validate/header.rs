//! The index's header: its year, legal documents, unit kinds, score parts and scripts.

use std::collections::HashMap;

use super::At;
use crate::diag::{Code, Diagnostic, Diagnostics, Location};
use crate::input::load::RawYear;
use crate::input::model::{Kind, Legal, Part, Script};
use crate::input::raw::RawIndexFile;

/// What every later step looks names up in.
#[derive(Clone)]
pub(super) struct Header {
    pub legal: Vec<Legal>,
    pub index_legal: Vec<usize>,
    pub kinds: Vec<Kind>,
    pub parts: Vec<Part>,
    pub scripts: Vec<Script>,
}

impl Header {
    pub fn kind_index(&self, id: &str) -> Option<usize> {
        self.kinds.iter().position(|k| k.id == id)
    }

    pub fn part_index(&self, id: &str) -> Option<usize> {
        self.parts.iter().position(|p| p.id == id)
    }

    pub fn from_raw(raw: &RawYear, ia: &At, index: &RawIndexFile, diags: &mut Diagnostics) -> Header {
        if index.index.year.get_ref() != &i64::from(raw.year) {
            diags.push(ia.err(
                Code::BadValue,
                &index.index.year,
                format!("`year` is {} but the file is in the folder of {}", index.index.year.get_ref(), raw.year),
            ));
        }
        // Every list of declarations, each id once.
        let mut first: HashMap<(String, String), Location> = HashMap::new();
        let mut once = |what: &str, id: &toml::Spanned<String>, diags: &mut Diagnostics| {
            let key = (what.to_string(), id.get_ref().clone());
            match first.get(&key) {
                Some(l) => diags.push(
                    ia.err(Code::Duplicate, id, format!("{what} `{}` is declared twice", id.get_ref()))
                        .label_at(l.clone(), "first declared here"),
                ),
                None => {
                    first.insert(key, ia.loc(id));
                }
            }
        };
        let mut legal = Vec::new();
        for l in &index.legal {
            once("legal document", &l.id, diags);
            legal.push(Legal { id: l.id.get_ref().clone(), title: l.title.clone() });
        }
        let mut index_legal = Vec::new();
        for l in &index.index.legal {
            match legal.iter().position(|x| &x.id == l) {
                Some(i) => index_legal.push(i),
                None => diags.push(Diagnostic::error(Code::UnknownReference, format!("unknown legal reference `{l}`")).in_file(ia.path())),
            }
        }
        let mut kinds = Vec::new();
        for k in &index.kind {
            once("unit kind", &k.id, diags);
            kinds.push(Kind { id: k.id.get_ref().clone(), name: k.name.clone(), replaces: k.replaces.clone() });
        }
        let mut parts = Vec::new();
        for p in &index.part {
            once("part", &p.id, diags);
            parts.push(Part { id: p.id.get_ref().clone(), name: p.name.clone() });
        }
        for g in &index.group {
            once("group", &g.id, diags);
        }
        // Scripts, in the order the index names them.
        let mut scripts = Vec::new();
        for s in &index.index.scripts {
            once("rule script", s, diags);
            scripts.push(Script { name: s.get_ref().clone(), path: crate::input::load::script_path(raw.year, s.get_ref()) });
        }
        Header { legal, index_legal, kinds, parts, scripts }
    }
}
