//! The fast reader's tree handed to serde as the `toml` crate's
//! deserializer hands its values: keys and values in document order, and
//! `toml::Spanned` given the same start and end.

use std::borrow::Cow;
use std::ops::Range;

use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor};

use super::{Item, Key, Val};

/// Any failure: the text goes to the `toml` crate.
#[derive(Debug)]
pub(super) struct Bail;

impl std::fmt::Display for Bail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("left to the toml crate")
    }
}

impl std::error::Error for Bail {}

impl de::Error for Bail {
    fn custom<T: std::fmt::Display>(_: T) -> Self {
        Bail
    }
}

pub(super) fn is_spanned(name: &'static str, fields: &'static [&'static str]) -> bool {
    serde_spanned::__unstable::is_spanned(name, fields)
}

/// A struct from `d`: `toml::Spanned` given `span` (refused where there is
/// none, as for an implicit table), any other struct read as a map.
fn struct_or_spanned<'de, D, V>(
    d: D,
    span: Option<Range<usize>>,
    (name, fields): (&'static str, &'static [&'static str]),
    visitor: V,
) -> Result<V::Value, Bail>
where
    D: de::Deserializer<'de, Error = Bail>,
    V: Visitor<'de>,
{
    if is_spanned(name, fields) {
        return visitor.visit_map(SpannedDe::new(span.ok_or(Bail)?, d));
    }
    d.deserialize_any(visitor)
}

/// `Spanned`'s three fields: start, end, value.
struct SpannedDe<D> {
    span: Range<usize>,
    step: u8,
    value: Option<D>,
}

impl<D> SpannedDe<D> {
    fn new(span: Range<usize>, value: D) -> Self {
        SpannedDe { span, step: 0, value: Some(value) }
    }
}

impl<'de, D: de::Deserializer<'de, Error = Bail>> MapAccess<'de> for SpannedDe<D> {
    type Error = Bail;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, Bail> {
        use serde::de::value::BorrowedStrDeserializer;
        let field = match self.step {
            0 => serde_spanned::__unstable::START_FIELD,
            1 => serde_spanned::__unstable::END_FIELD,
            2 => serde_spanned::__unstable::VALUE_FIELD,
            _ => return Ok(None),
        };
        seed.deserialize(BorrowedStrDeserializer::<Bail>::new(field)).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Bail> {
        self.step += 1;
        match self.step {
            1 => seed.deserialize(self.span.start.into_deserializer()),
            2 => seed.deserialize(self.span.end.into_deserializer()),
            _ => seed.deserialize(self.value.take().ok_or(Bail)?),
        }
    }
}

/// A value, as the `toml` crate's `ValueDeserializer` gives it.
pub(super) struct ValueDe<'a>(pub(super) Item<'a>);

impl<'de> de::Deserializer<'de> for ValueDe<'_> {
    type Error = Bail;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Bail> {
        match self.0.val {
            Val::Str(Cow::Borrowed(s)) => visitor.visit_str(s),
            Val::Str(Cow::Owned(s)) => visitor.visit_string(s),
            Val::Int(i) => visitor.visit_i64(i),
            Val::Float(f) => visitor.visit_f64(f),
            Val::Bool(b) => visitor.visit_bool(b),
            Val::Array(items, _) => visitor.visit_seq(SeqDe(items.into_iter())),
            Val::Table(t) => visitor.visit_map(MapDe { iter: t.entries.into_iter(), value: None }),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Bail> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _: &'static str, visitor: V) -> Result<V::Value, Bail> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Bail> {
        let span = self.0.span.clone();
        struct_or_spanned(self, span, (name, fields), visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(self, _: &'static str, _: &'static [&'static str], visitor: V) -> Result<V::Value, Bail> {
        match self.0.val {
            Val::Str(s) => visitor.visit_enum(de::value::CowStrDeserializer::<Bail>::new(s)),
            _ => Err(Bail),
        }
    }

    serde::forward_to_deserialize_any! {
        bool u8 u16 u32 u64 i8 i16 i32 i64 f32 f64 char str string seq
        bytes byte_buf map unit ignored_any unit_struct tuple_struct tuple identifier
    }
}

struct SeqDe<'a>(std::vec::IntoIter<Item<'a>>);

impl<'de> SeqAccess<'de> for SeqDe<'_> {
    type Error = Bail;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, Bail> {
        match self.0.next() {
            Some(item) => seed.deserialize(ValueDe(item)).map(Some),
            None => Ok(None),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.0.len())
    }
}

struct MapDe<'a> {
    iter: std::vec::IntoIter<(Key<'a>, Item<'a>)>,
    value: Option<Item<'a>>,
}

impl<'de> MapAccess<'de> for MapDe<'_> {
    type Error = Bail;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, Bail> {
        match self.iter.next() {
            Some((k, v)) => {
                self.value = Some(v);
                seed.deserialize(KeyDe(k)).map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Bail> {
        seed.deserialize(ValueDe(self.value.take().ok_or(Bail)?))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.iter.len())
    }
}

/// A key, as the `toml` crate's `KeyDeserializer` gives it.
pub(super) struct KeyDe<'a>(pub(super) Key<'a>);

impl<'de> de::Deserializer<'de> for KeyDe<'_> {
    type Error = Bail;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Bail> {
        match self.0.text {
            Cow::Borrowed(s) => visitor.visit_str(s),
            Cow::Owned(s) => visitor.visit_string(s),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Bail> {
        let span = Some(self.0.span.clone());
        struct_or_spanned(self, span, (name, fields), visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(self, _: &'static str, _: &'static [&'static str], visitor: V) -> Result<V::Value, Bail> {
        visitor.visit_enum(de::value::CowStrDeserializer::<Bail>::new(self.0.text))
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _: &'static str, visitor: V) -> Result<V::Value, Bail> {
        visitor.visit_newtype_struct(self)
    }

    serde::forward_to_deserialize_any! {
        bool u8 u16 u32 u64 i8 i16 i32 i64 f32 f64 char str string seq
        bytes byte_buf map option unit ignored_any unit_struct tuple_struct tuple identifier
    }
}
