//! Name: an identifier or name shared, not copied.
//!
//! A unit's id and name are read once and then appear in every report row,
//! change list and explanation of every reload; a [`Name`] is one shared
//! string, so each of those is a reference count, not a copy. It reads,
//! compares, hashes, orders and serialises exactly as the string it holds.

use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Name(Arc<str>);

impl Name {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for Name {
    fn default() -> Name {
        Name::from("")
    }
}

impl Deref for Name {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for Name {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Name {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Name {
    fn from(s: &str) -> Name {
        Name(Arc::from(s))
    }
}

impl From<String> for Name {
    fn from(s: String) -> Name {
        Name(Arc::from(s))
    }
}

impl From<&String> for Name {
    fn from(s: &String) -> Name {
        Name::from(s.as_str())
    }
}

impl From<&Name> for String {
    fn from(n: &Name) -> String {
        n.0.to_string()
    }
}

impl From<Name> for String {
    fn from(n: Name) -> String {
        n.0.to_string()
    }
}

impl PartialEq<str> for Name {
    fn eq(&self, other: &str) -> bool {
        &*self.0 == other
    }
}

impl PartialEq<&str> for Name {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}

impl PartialEq<String> for Name {
    fn eq(&self, other: &String) -> bool {
        *self.0 == **other
    }
}

impl PartialEq<Name> for str {
    fn eq(&self, other: &Name) -> bool {
        self == &*other.0
    }
}

impl PartialEq<Name> for &str {
    fn eq(&self, other: &Name) -> bool {
        *self == &*other.0
    }
}

impl PartialEq<Name> for String {
    fn eq(&self, other: &Name) -> bool {
        **self == *other.0
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&*self.0, f)
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl Serialize for Name {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Name {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Name, D::Error> {
        String::deserialize(d).map(Name::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn a_name_is_its_string() {
        let n = Name::from("Sở Nội vụ");
        assert_eq!(n, "Sở Nội vụ");
        assert_eq!("Sở Nội vụ", n);
        assert_eq!(n, "Sở Nội vụ".to_string());
        assert_ne!(n, "Sở Tư pháp");
        assert_eq!(n.to_string(), "Sở Nội vụ");
        assert_eq!(format!("{n:?}"), format!("{:?}", "Sở Nội vụ"));
        assert_eq!(serde_json::to_string(&n).unwrap(), serde_json::to_string("Sở Nội vụ").unwrap());
        let mut names = vec![Name::from("u10"), Name::from("u2"), Name::from("u1")];
        names.sort();
        assert_eq!(names, ["u1", "u10", "u2"], "ordered as their strings are");
        let mut by_name = HashMap::new();
        by_name.insert(n.clone(), 1);
        assert_eq!(by_name.get("Sở Nội vụ"), Some(&1));
    }

    #[test]
    fn clones_share_one_string() {
        let n = Name::from("u1");
        let m = n.clone();
        assert!(std::ptr::eq(n.as_str(), m.as_str()));
    }
}
