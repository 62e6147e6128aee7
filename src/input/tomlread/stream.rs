//! The document read as serde asks for it, without a tree of its tables:
//! the shape of a year's largest files (the points and the self-assessment,
//! a table per unit). Key/value pairs at the root, then `[name]` tables of
//! key/value pairs, each name and each key once; every value is read into
//! the reader's small tree and handed to serde as [`ValueDe`] hands it, and
//! freed before the next.
//!
//! Anything else bails: an array of tables, a dotted header, a header table
//! asked for as `Spanned` (its end is not known before its last value), a
//! duplicate, a syntax error. The caller then reads the text into the
//! tree, which may hand it on to the `toml` crate; so this path only ever
//! answers what the tree would.

use std::borrow::Cow;

use rustc_hash::FxHashSet;
use serde::de::{self, DeserializeSeed, MapAccess, Visitor};

use super::de::{is_spanned, Bail, KeyDe, ValueDe};
use super::Parser;

/// The rest of a deserializer of a table that is read as it goes: a
/// struct read as a map, `Spanned` refused (the table's end is not known
/// before its last value), everything else through `deserialize_any`.
macro_rules! unspanned_table {
    () => {
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            name: &'static str,
            fields: &'static [&'static str],
            visitor: V,
        ) -> Result<V::Value, Bail> {
            if is_spanned(name, fields) {
                return Err(Bail);
            }
            self.deserialize_any(visitor)
        }

        fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Bail> {
            visitor.visit_some(self)
        }

        fn deserialize_newtype_struct<V: Visitor<'de>>(self, _: &'static str, visitor: V) -> Result<V::Value, Bail> {
            visitor.visit_newtype_struct(self)
        }

        serde::forward_to_deserialize_any! {
            bool u8 u16 u32 u64 i8 i16 i32 i64 f32 f64 char str string seq
            bytes byte_buf map unit ignored_any unit_struct tuple_struct tuple identifier enum
        }
    };
}

/// The whole document, as the root table.
pub(super) struct DocDe<'p, 'a>(pub(super) &'p mut Parser<'a>);

impl<'de> de::Deserializer<'de> for DocDe<'_, '_> {
    type Error = Bail;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Bail> {
        if self.0.text.starts_with('\u{feff}') {
            return Err(Bail);
        }
        let value = visitor.visit_map(Root { p: self.0, names: FxHashSet::default(), keys: FxHashSet::default(), header: false })?;
        // Everything read: a visitor that stopped early leaves text unread.
        match self.0.peek() {
            None => Ok(value),
            Some(_) => Err(Bail),
        }
    }

    unspanned_table!();
}

/// The root's entries: its key/value pairs, then one entry per `[name]`
/// table. `names` holds every name the root has, `keys` those of the table
/// being read (the root's own before the first header).
struct Root<'p, 'a> {
    p: &'p mut Parser<'a>,
    names: FxHashSet<Cow<'a, str>>,
    keys: FxHashSet<Cow<'a, str>>,
    /// Set between a header's key and its table's value.
    header: bool,
}

impl<'a> Root<'_, 'a> {
    /// Past blank lines and comments to the next key (`Some(false)`), header
    /// (`Some(true)`) or the end (`None`); bails on a bad line.
    fn next_line(&mut self) -> Result<Option<bool>, Bail> {
        let p = &mut *self.p;
        loop {
            p.ws();
            match p.peek() {
                None => return Ok(None),
                Some(b'#') => {
                    p.comment().ok_or(Bail)?;
                    if p.peek().is_some() {
                        p.newline().ok_or(Bail)?;
                    }
                }
                Some(b'\n' | b'\r') => p.newline().ok_or(Bail)?,
                Some(b'[') => return Ok(Some(true)),
                Some(_) => return Ok(Some(false)),
            }
        }
    }

    /// A key of the table being read, refused when the table has it already.
    fn key(&mut self) -> Result<super::Key<'a>, Bail> {
        let key = self.p.simple_key().ok_or(Bail)?;
        if !self.keys.insert(key.text.clone()) {
            return Err(Bail);
        }
        Ok(key)
    }

    /// `= value` and the rest of its line, after a key.
    fn value(&mut self) -> Result<super::Item<'a>, Bail> {
        let p = &mut *self.p;
        p.ws();
        if p.peek() != Some(b'=') {
            return Err(Bail);
        }
        p.pos += 1;
        p.ws();
        let item = p.value(0).ok_or(Bail)?;
        p.line_end().ok_or(Bail)?;
        Ok(item)
    }
}

impl<'de, 'a> MapAccess<'de> for Root<'_, 'a> {
    type Error = Bail;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, Bail> {
        match self.next_line()? {
            None => Ok(None),
            // The root's own pairs, before any header: names of the root too.
            Some(false) => {
                let key = self.key()?;
                self.names.insert(key.text.clone());
                seed.deserialize(KeyDe(key)).map(Some)
            }
            Some(true) => {
                let header = self.p.header().ok_or(Bail)?;
                if header.array || header.path.len() != 1 {
                    return Err(Bail);
                }
                self.p.line_end().ok_or(Bail)?;
                let Some(key) = header.path.into_iter().next() else { return Err(Bail) };
                if !self.names.insert(key.text.clone()) {
                    return Err(Bail);
                }
                self.keys.clear();
                self.header = true;
                seed.deserialize(KeyDe(key)).map(Some)
            }
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Bail> {
        match std::mem::take(&mut self.header) {
            false => seed.deserialize(ValueDe(self.value()?)),
            true => {
                let value = seed.deserialize(TableDe(self))?;
                // The table read to its end: the next header or the text's end.
                match self.p.peek() {
                    None | Some(b'[') => Ok(value),
                    Some(_) => Err(Bail),
                }
            }
        }
    }
}

/// A `[name]` table, read as its pairs are asked for.
struct TableDe<'r, 'p, 'a>(&'r mut Root<'p, 'a>);

impl<'de> de::Deserializer<'de> for TableDe<'_, '_, '_> {
    type Error = Bail;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Bail> {
        visitor.visit_map(Pairs { root: self.0, value: false })
    }

    unspanned_table!();
}

/// The pairs of a `[name]` table, up to the next header or the end.
struct Pairs<'r, 'p, 'a> {
    root: &'r mut Root<'p, 'a>,
    /// A key was given and its value not yet.
    value: bool,
}

impl<'de> MapAccess<'de> for Pairs<'_, '_, '_> {
    type Error = Bail;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, Bail> {
        match self.root.next_line()? {
            None | Some(true) => Ok(None),
            Some(false) => {
                let key = self.root.key()?;
                self.value = true;
                seed.deserialize(KeyDe(key)).map(Some)
            }
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Bail> {
        if !std::mem::take(&mut self.value) {
            return Err(Bail);
        }
        seed.deserialize(ValueDe(self.root.value()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::raw::RawScoresFile;
    use crate::input::raw_round::RawSelfFile;
    use serde::Deserialize;
    use std::path::Path;

    fn streamed<T: serde::de::DeserializeOwned>(text: &str) -> Option<T> {
        T::deserialize(DocDe(&mut Parser::new(text))).ok()
    }

    fn read(rel: &str) -> String {
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)).unwrap()
    }

    #[test]
    fn the_points_and_the_self_assessment_are_read_without_a_tree() {
        let scores = read("fixtures/2023/scores.toml");
        let by_stream: RawScoresFile = streamed(&scores).expect("the points are of the streamed shape");
        let by_toml: RawScoresFile = toml::from_str(&scores).unwrap();
        assert_eq!(format!("{by_stream:?}"), format!("{by_toml:?}"), "values and spans");
        let own = read("fixtures/2023/self-assessment.toml");
        let by_stream: RawSelfFile = streamed(&own).expect("the self-assessment is of the streamed shape");
        let by_toml: RawSelfFile = toml::from_str(&own).unwrap();
        assert_eq!(format!("{by_stream:?}"), format!("{by_toml:?}"), "values and spans");
        for text in [scores.as_str(), own.as_str()] {
            assert_eq!(streamed::<toml::Value>(text), toml::from_str::<toml::Value>(text).ok());
        }
    }

    #[test]
    fn other_shapes_and_every_doubt_go_to_the_tree() {
        type Points = std::collections::BTreeMap<String, std::collections::BTreeMap<String, i64>>;
        assert!(streamed::<Points>("a = { x = 1 }\n[b]\nx = 2\n").is_some());
        for text in [
            "[a]\nx = 1\n[a]\ny = 2\n",        // a table twice
            "a = { x = 1 }\n[a]\ny = 2\n",     // a pair and a table of one name
            "[a]\nx = 1\nx = 2\n",             // a key twice
            "[[a]]\nx = 1\n",                  // an array of tables
            "[a.b]\nx = 1\n",                  // a dotted header
            "[a]\nx.y = 1\n",                  // a dotted key
            "[a]\nx = 1 y\n",                  // more on the line
            "\u{feff}[a]\nx = 1\n",            // a byte order mark
            "[a]\nx = \"\"\"\nmany\n\"\"\"\n", // a multi-line string
        ] {
            assert!(streamed::<toml::Value>(text).is_none(), "{text:?}");
            // The reader still answers what the `toml` crate answers.
            assert_eq!(super::super::from_str::<toml::Value>(text).ok(), toml::from_str::<toml::Value>(text).ok(), "{text:?}");
        }
        // A table asked for with its span: the end of a table is its last value's.
        #[derive(Debug, Deserialize)]
        struct Spans {
            #[allow(dead_code)]
            a: toml::Spanned<std::collections::BTreeMap<String, i64>>,
        }
        assert!(streamed::<Spans>("[a]\nx = 1\n").is_none());
        assert!(super::super::fast::<Spans>("[a]\nx = 1\n").is_some());
    }
}
