//! TOML read fast: one pass over the text into a small tree, deserialised
//! by serde, with the `toml` crate as the reference for every answer.
//!
//! The `toml` crate builds a whole editable document (every key's and
//! value's formatting and comments) before serde sees a value; for the
//! scoring round's files (a self-assessment of 184 kB) that was most of the
//! time a `score` took. Kept against the crate by `cargo bench --bench load
//! -- toml`: the 2023 self-assessment into its raw type takes 16.0 ms with
//! `toml` 0.8 and 4.0 ms here, where the whole one-province process has a
//! goal of 5 ms (`toml` 1.x reads it in about 7.6 ms). This reader accepts the TOML the year's files are
//! written in (tables, arrays of tables, dotted table headers, key/value
//! pairs with bare or quoted keys, basic and literal strings on one line,
//! decimal integers and floats, booleans, arrays and inline tables) and
//! gives serde the same values, in the same order, with the same spans
//! (`toml::Spanned`) as the `toml` crate does.
//!
//! Anything else, and anything wrong, it does not judge: a multi-line
//! string, a date, a dotted key, an escape it does not know, a duplicate
//! key, a syntax error or a value serde refuses all make [`from_str`] hand
//! the text to `toml::from_str`, whose value or error is the answer. So an
//! error is always the `toml` crate's, word for word, and a value is the
//! one it would give (`tests/tomlread.rs` checks both on every TOML file of
//! the project and on random edits of them).

use rustc_hash::FxHashMap;
use std::borrow::Cow;
use std::ops::Range;

use serde::de::DeserializeOwned;

mod de;
mod stream;
use de::ValueDe;

/// Parses `text` as TOML into `T`: the fast reader's value when it reads
/// the text and serde accepts what it read, else `toml::from_str`'s answer.
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, toml::de::Error> {
    match fast(text) {
        Some(v) => Ok(v),
        None => toml::from_str(text),
    }
}

/// The fast reader alone: `None` where it leaves the text to the `toml` crate.
pub fn fast<T: DeserializeOwned>(text: &str) -> Option<T> {
    // A year's largest files are read without a tree of their tables.
    if let Ok(v) = T::deserialize(stream::DocDe(&mut Parser::new(text))) {
        return Some(v);
    }
    let root = Parser::new(text).document()?;
    T::deserialize(ValueDe(root)).ok()
}

/// How deep arrays and inline tables may nest before the reader gives up
/// (the `toml` crate's own limit is 80).
const MAX_DEPTH: usize = 64;

/// Tables with more entries than this find keys through a hash index: a
/// unit's table of a year's points has 30 to 40, whose keys a scan compared
/// by the hundred (finding and adding keys in a 2023 load: 2.9 million
/// instructions with 64 here, 2.8 with 16, the finding halved).
const INDEXED: usize = 16;

#[derive(Debug)]
struct Key<'a> {
    text: Cow<'a, str>,
    span: Range<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `{ … }`: a value, never extended.
    Inline,
    /// Opened by a `[header]` (or an element of `[[header]]`), or the root.
    Header,
    /// Made on the way to a deeper header (`[a.b]` makes `a`).
    Implicit,
}

#[derive(Debug)]
struct Table<'a> {
    entries: Vec<(Key<'a>, Item<'a>)>,
    kind: Kind,
    /// Key → entry, once the table has more than [`INDEXED`] entries.
    index: Option<Box<Index<'a>>>,
}

/// The entries of a large table by key: keys as written by the text, and
/// the few with escapes, which are looked through.
#[derive(Debug, Default)]
struct Index<'a> {
    borrowed: FxHashMap<&'a str, usize>,
    owned: Vec<usize>,
}

impl<'a> Index<'a> {
    fn add(&mut self, key: &Key<'a>, at: usize) {
        match &key.text {
            Cow::Borrowed(k) => {
                self.borrowed.insert(k, at);
            }
            Cow::Owned(_) => self.owned.push(at),
        }
    }
}

impl<'a> Table<'a> {
    fn new(kind: Kind) -> Self {
        Table { entries: Vec::new(), kind, index: None }
    }

    fn find(&self, key: &str) -> Option<usize> {
        match &self.index {
            Some(ix) => ix.borrowed.get(key).copied().or_else(|| ix.owned.iter().copied().find(|&i| self.entries[i].0.text == key)),
            None => self.entries.iter().position(|(k, _)| k.text == key),
        }
    }

    /// Adds an entry whose key is not yet in the table.
    fn push(&mut self, key: Key<'a>, item: Item<'a>) {
        let at = self.entries.len();
        if let Some(ix) = &mut self.index {
            ix.add(&key, at);
        }
        self.entries.push((key, item));
        if self.index.is_none() && self.entries.len() > INDEXED {
            let mut ix = Box::<Index>::default();
            for (i, (k, _)) in self.entries.iter().enumerate() {
                ix.add(k, i);
            }
            self.index = Some(ix);
        }
    }
}

#[derive(Debug)]
enum Val<'a> {
    Str(Cow<'a, str>),
    Int(i64),
    Float(f64),
    Bool(bool),
    /// The elements, and whether they are an array of tables (`[[name]]`).
    Array(Vec<Item<'a>>, bool),
    Table(Table<'a>),
}

#[derive(Debug)]
struct Item<'a> {
    /// As the `toml` crate spans it: a value's text; a header table from its
    /// `[` to the end of its last value; an array of tables from its first
    /// table's start to its last one's end; none for an implicit table.
    span: Option<Range<usize>>,
    val: Val<'a>,
}

struct Parser<'a> {
    text: &'a str,
    b: &'a [u8],
    pos: usize,
}

/// The path of a header and its span.
struct Header<'a> {
    path: Vec<Key<'a>>,
    span: Range<usize>,
    array: bool,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Self {
        Parser { text, b: text.as_bytes(), pos: 0 }
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
    }

    /// A comment from `#` to the end of its line (not the line break).
    fn comment(&mut self) -> Option<()> {
        debug_assert_eq!(self.peek(), Some(b'#'));
        let rest = &self.b[self.pos + 1..];
        let n = rest.iter().position(|&c| is_control(c)).unwrap_or(rest.len());
        self.pos += 1 + n;
        match self.peek() {
            None | Some(b'\n' | b'\r') => Some(()),
            Some(_) => None,
        }
    }

    /// A line break (`\n` or `\r\n`).
    fn newline(&mut self) -> Option<()> {
        match self.peek()? {
            b'\n' => self.pos += 1,
            b'\r' if self.b.get(self.pos + 1) == Some(&b'\n') => self.pos += 2,
            _ => return None,
        }
        Some(())
    }

    /// Spaces, an optional comment, then a line break or the end.
    fn line_end(&mut self) -> Option<()> {
        self.ws();
        if self.peek() == Some(b'#') {
            self.comment()?;
        }
        match self.peek() {
            None => Some(()),
            Some(_) => self.newline(),
        }
    }

    /// Spaces, comments and line breaks, as between the values of an array.
    fn ws_comments_newlines(&mut self) -> Option<()> {
        loop {
            self.ws();
            match self.peek() {
                Some(b'#') => {
                    self.comment()?;
                    self.newline()?;
                }
                Some(b'\n' | b'\r') => self.newline()?,
                _ => return Some(()),
            }
        }
    }

    fn document(mut self) -> Option<Item<'a>> {
        if self.text.starts_with('\u{feff}') {
            return None;
        }
        let mut root = Table::new(Kind::Header);
        let mut root_span = 0..0;
        // The table being filled and its header; `None`: the root.
        let mut current: Option<(Header<'a>, Table<'a>, Range<usize>)> = None;
        loop {
            self.ws();
            match self.peek() {
                None => break,
                Some(b'#') => {
                    self.comment()?;
                    if self.peek().is_some() {
                        self.newline()?;
                    }
                }
                Some(b'\n' | b'\r') => self.newline()?,
                Some(b'[') => {
                    let header = self.header()?;
                    self.line_end()?;
                    if let Some((h, t, span)) = current.take() {
                        place(&mut root, h, t, span)?;
                    }
                    let span = header.span.clone();
                    current = Some((header, Table::new(Kind::Header), span));
                }
                Some(_) => {
                    let (key, item) = self.keyval(0)?;
                    self.line_end()?;
                    let end = item.span.as_ref().map_or(0, |s| s.end);
                    let (table, span) = match &mut current {
                        Some((_, t, span)) => (t, span),
                        None => (&mut root, &mut root_span),
                    };
                    if table.find(&key.text).is_some() {
                        return None;
                    }
                    span.end = end;
                    table.push(key, item);
                }
            }
        }
        if let Some((h, t, span)) = current.take() {
            place(&mut root, h, t, span)?;
        }
        Some(Item { span: Some(root_span), val: Val::Table(root) })
    }

    /// `[a.b]` or `[[a.b]]`.
    fn header(&mut self) -> Option<Header<'a>> {
        let start = self.pos;
        let array = self.b.get(self.pos + 1) == Some(&b'[');
        self.pos += if array { 2 } else { 1 };
        let mut path = Vec::new();
        loop {
            self.ws();
            path.push(self.simple_key()?);
            self.ws();
            match self.peek()? {
                b'.' => self.pos += 1,
                b']' => break,
                _ => return None,
            }
            if path.len() >= MAX_DEPTH {
                return None;
            }
        }
        self.pos += 1;
        if array {
            if self.peek() != Some(b']') {
                return None;
            }
            self.pos += 1;
        }
        Some(Header { path, span: start..self.pos, array })
    }

    /// A bare or quoted key.
    fn simple_key(&mut self) -> Option<Key<'a>> {
        let start = self.pos;
        let text = match self.peek()? {
            b'"' => {
                if self.b[self.pos..].starts_with(b"\"\"\"") {
                    return None;
                }
                self.basic_string()?
            }
            b'\'' => {
                if self.b[self.pos..].starts_with(b"'''") {
                    return None;
                }
                Cow::Borrowed(self.literal_string()?)
            }
            _ => {
                while matches!(self.peek(), Some(b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_')) {
                    self.pos += 1;
                }
                if self.pos == start {
                    return None;
                }
                Cow::Borrowed(&self.text[start..self.pos])
            }
        };
        Some(Key { text, span: start..self.pos })
    }

    /// `key = value`, the key not dotted, the value at nesting `depth`.
    fn keyval(&mut self, depth: usize) -> Option<(Key<'a>, Item<'a>)> {
        let key = self.simple_key()?;
        self.ws();
        if self.peek()? != b'=' {
            return None;
        }
        self.pos += 1;
        self.ws();
        let item = self.value(depth)?;
        Some((key, item))
    }

    fn value(&mut self, depth: usize) -> Option<Item<'a>> {
        if depth >= MAX_DEPTH {
            return None;
        }
        let start = self.pos;
        let val = match self.peek()? {
            b'"' => {
                if self.b[self.pos..].starts_with(b"\"\"\"") {
                    return None;
                }
                Val::Str(self.basic_string()?)
            }
            b'\'' => {
                if self.b[self.pos..].starts_with(b"'''") {
                    return None;
                }
                Val::Str(Cow::Borrowed(self.literal_string()?))
            }
            b'[' => self.array(depth)?,
            b'{' => self.inline_table(depth)?,
            b't' if self.b[self.pos..].starts_with(b"true") => {
                self.pos += 4;
                Val::Bool(true)
            }
            b'f' if self.b[self.pos..].starts_with(b"false") => {
                self.pos += 5;
                Val::Bool(false)
            }
            b'+' | b'-' | b'0'..=b'9' => self.number()?,
            _ => return None,
        };
        Some(Item { span: Some(start..self.pos), val })
    }

    /// A decimal integer or float without underscores; anything else that
    /// starts like a number (a date, hexadecimal, `inf`) is left to `toml`.
    fn number(&mut self) -> Option<Val<'a>> {
        let start = self.pos;
        while matches!(self.peek(), Some(b'0'..=b'9' | b'a'..=b'z' | b'A'..=b'Z' | b'_' | b'+' | b'-' | b'.' | b':')) {
            self.pos += 1;
        }
        let token = &self.text[start..self.pos];
        let t = token.as_bytes();
        let mut i = usize::from(matches!(t.first(), Some(b'+' | b'-')));
        let digits = |i: &mut usize| {
            let from = *i;
            while t.get(*i).is_some_and(u8::is_ascii_digit) {
                *i += 1;
            }
            *i - from
        };
        let int_start = i;
        let n = digits(&mut i);
        if n == 0 || (n > 1 && t[int_start] == b'0') {
            return None;
        }
        let mut float = false;
        if t.get(i) == Some(&b'.') {
            i += 1;
            if digits(&mut i) == 0 {
                return None;
            }
            float = true;
        }
        if matches!(t.get(i), Some(b'e' | b'E')) {
            i += 1;
            if matches!(t.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            if digits(&mut i) == 0 {
                return None;
            }
            float = true;
        }
        if i != t.len() {
            return None;
        }
        if float {
            let v: f64 = token.parse().ok()?;
            // The `toml` crate refuses a float beyond the largest.
            (v != f64::INFINITY).then_some(Val::Float(v))
        } else {
            token.parse().ok().map(Val::Int)
        }
    }

    /// `"…"` on one line, with the escapes of TOML 1.0.
    fn basic_string(&mut self) -> Option<Cow<'a, str>> {
        self.pos += 1;
        let start = self.pos;
        let mut owned: Option<String> = None;
        let mut run = start;
        loop {
            // The plain characters up to a quote, an escape or a control character.
            let rest = &self.b[self.pos..];
            self.pos += rest.iter().position(|&c| STRING_STOP[c as usize])?;
            let c = self.b[self.pos];
            match c {
                b'"' => {
                    let s = match owned {
                        None => Cow::Borrowed(&self.text[start..self.pos]),
                        Some(mut o) => {
                            o.push_str(&self.text[run..self.pos]);
                            Cow::Owned(o)
                        }
                    };
                    self.pos += 1;
                    return Some(s);
                }
                b'\\' => {
                    let o = owned.get_or_insert_with(String::new);
                    o.push_str(&self.text[run..self.pos]);
                    self.pos += 1;
                    let e = self.peek()?;
                    self.pos += 1;
                    let ch = match e {
                        b'b' => '\u{8}',
                        b't' => '\t',
                        b'n' => '\n',
                        b'f' => '\u{c}',
                        b'r' => '\r',
                        b'"' => '"',
                        b'\\' => '\\',
                        b'u' | b'U' => {
                            let n = if e == b'u' { 4 } else { 8 };
                            let hex = self.b.get(self.pos..self.pos + n)?;
                            if !hex.iter().all(u8::is_ascii_hexdigit) {
                                return None;
                            }
                            let code = u32::from_str_radix(&self.text[self.pos..self.pos + n], 16).ok()?;
                            self.pos += n;
                            char::from_u32(code)?
                        }
                        _ => return None,
                    };
                    o.push(ch);
                    run = self.pos;
                }
                _ => return None,
            }
        }
    }

    /// `'…'` on one line.
    fn literal_string(&mut self) -> Option<&'a str> {
        self.pos += 1;
        let start = self.pos;
        let rest = &self.b[start..];
        let n = rest.iter().position(|&c| c == b'\'' || is_control(c))?;
        if rest[n] != b'\'' {
            return None;
        }
        self.pos += n + 1;
        Some(&self.text[start..start + n])
    }

    fn array(&mut self, depth: usize) -> Option<Val<'a>> {
        self.pos += 1;
        let mut items = Vec::new();
        loop {
            self.ws_comments_newlines()?;
            if self.peek()? == b']' {
                break;
            }
            items.push(self.value(depth + 1)?);
            self.ws_comments_newlines()?;
            match self.peek()? {
                b',' => self.pos += 1,
                b']' => break,
                _ => return None,
            }
        }
        self.pos += 1;
        Some(Val::Array(items, false))
    }

    fn inline_table(&mut self, depth: usize) -> Option<Val<'a>> {
        self.pos += 1;
        let mut table = Table::new(Kind::Inline);
        self.ws();
        if self.peek()? == b'}' {
            self.pos += 1;
            return Some(Val::Table(table));
        }
        loop {
            self.ws();
            let (key, item) = self.keyval(depth + 1)?;
            if table.find(&key.text).is_some() {
                return None;
            }
            table.push(key, item);
            self.ws();
            match self.peek()? {
                b',' => self.pos += 1,
                b'}' => break,
                _ => return None,
            }
        }
        self.pos += 1;
        Some(Val::Table(table))
    }
}

/// A byte TOML allows in no string or comment: a control character other than tab.
fn is_control(c: u8) -> bool {
    (c < 0x20 && c != b'\t') || c == 0x7f
}

/// The bytes that end the plain text of a basic string: its quote, an
/// escape, a control character; looked up in a table, a byte a step.
const STRING_STOP: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        t[c] = (c < 0x20 && c != 0x09) || c == 0x7f || c == b'"' as usize || c == b'\\' as usize;
        c += 1;
    }
    t
};

/// Puts the table of `header`, filled, where its path says, as the `toml`
/// crate does; `None` where the `toml` crate would refuse it or move keys.
fn place<'a>(root: &mut Table<'a>, header: Header<'a>, table: Table<'a>, span: Range<usize>) -> Option<()> {
    let mut path = header.path;
    let last = path.pop()?;
    let mut parent = root;
    for key in path {
        let i = match parent.find(&key.text) {
            Some(i) => i,
            None => {
                parent.push(key, Item { span: None, val: Val::Table(Table::new(Kind::Implicit)) });
                parent.entries.len() - 1
            }
        };
        parent = match &mut parent.entries[i].1.val {
            Val::Table(t) if t.kind != Kind::Inline => t,
            Val::Array(items, true) => match items.last_mut().map(|t| &mut t.val) {
                Some(Val::Table(t)) => t,
                _ => return None,
            },
            _ => return None,
        };
    }
    let item = Item { span: Some(span.clone()), val: Val::Table(table) };
    match (parent.find(&last.text), header.array) {
        (None, false) => parent.push(last, item),
        (None, true) => parent.push(last, Item { span: Some(span), val: Val::Array(vec![item], true) }),
        (Some(i), true) => match &mut parent.entries[i].1 {
            Item { span: Some(s), val: Val::Array(items, true) } => {
                s.end = span.end;
                items.push(item);
            }
            _ => return None,
        },
        // A table defined twice, or an implicit one defined now (which the
        // `toml` crate moves to the end of its parent): left to it.
        (Some(_), false) => return None,
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn both(text: &str) -> (Option<toml::Value>, Result<toml::Value, toml::de::Error>) {
        (fast(text), toml::from_str(text))
    }

    #[test]
    fn reads_what_toml_reads() {
        for text in [
            "a = 1\nb = -2.5\nc = \"x\\ty\"\nd = 'lit'\ne = true\nf = [1, [2, 3], { g = 'h' }]\n",
            "[x]\na = 1\n[x.y]\nb = 2\n[[z]]\nc = 3\n[[z]]\nc = 4\n[z.w]\nd = 5\n",
            "\"quoted key\" = { a = 1, 'b' = [ ] }\n# comment\r\nx = [\n  1, # one\n  2,\n]\n",
            "n = 1e3\nm = 0.1\no = +7\np = -0\nq = \"\\u00e9\\U0001F600\"\n",
        ] {
            let (f, t) = both(text);
            assert_eq!(f.as_ref(), Some(t.as_ref().unwrap()), "{text}");
        }
    }

    #[test]
    fn leaves_the_rest_to_toml() {
        for text in [
            "a = 1\na = 2\n",
            "a.b = 1\n",
            "a = \"\"\"x\"\"\"\n",
            "d = 1979-05-27\n",
            "x = 0x10\n",
            "x = 1_000\n",
            "x = 01\n",
            "x = inf\n",
            "[a]\n[a]\n",
            "[a.b]\n[a]\n",
            "a = { b = 1, }\n",
            "a = [1,,2]\n",
            "a = 1 b = 2\n",
            "a = \"\\e\"\n",
            "a = 'x\n",
            "\u{feff}a = 1\n",
            "a = 1\r",
            "x = 1e400\n",
        ] {
            let (f, _) = both(text);
            assert!(f.is_none(), "{text}");
        }
    }
}
