//! Fingerprint: a SHA-256 of the canonical content of everything a result used.
//!
//! Three parts are hashed separately so a replay can say what changed:
//! - **rules**: the year's criteria files and the rule scripts it names;
//! - **data**: the year's fixture files (units, scores, facts, indicator tables, previous results);
//! - **engine**: the engine's name and version.
//!
//! Each file's own digest is kept too (`files`, path → SHA-256 of its
//! canonical content), and each part is the SHA-256 of its files' paths and
//! digests: an archive holding them can say which file changed since, and a
//! sealed year's check names it.
//!
//! Content is canonical, not textual: a TOML file is parsed and re-serialised
//! with sorted keys, so whitespace, comments and key order do not count, but
//! every value does; a rhai script loses its comments and runs of whitespace;
//! a CSV file is hashed with normalised line ends. Paths are relative to the
//! root with `/` separators, so the same inputs give the same fingerprint on
//! any machine.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::diag::{Code, Diagnostic};

/// The engine's identity as hashed into every fingerprint.
pub const ENGINE: &str = concat!("parindex ", env!("CARGO_PKG_VERSION"));

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint {
    /// SHA-256 over the three parts below, hex.
    pub sha256: String,
    pub rules: String,
    pub data: String,
    pub engine: String,
    /// The engine version hashed into `engine`.
    pub engine_version: String,
    /// Every input file (path relative to the root, `/` separators) → the
    /// SHA-256 of its canonical content, hex. The parts are hashed from these.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub files: BTreeMap<String, String>,
}

/// The digests of a set of files: the part's hash and each file's own.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Digests {
    /// SHA-256 over every file's path and digest, in path order, hex.
    pub part: String,
    /// Path → SHA-256 of the file's canonical content, hex.
    pub files: BTreeMap<String, String>,
}

impl Fingerprint {
    /// The first 12 hex digits, for display.
    pub fn short(&self) -> &str {
        &self.sha256[..12]
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Canonical content of one file by its kind.
pub fn canonical(path: &Path, text: &str) -> Result<String, String> {
    match path.extension().and_then(|e| e.to_str()) {
        Some("toml") => Ok(strip_toml(text)),
        Some("rhai") => Ok(strip_script(text)),
        _ => Ok(text.replace("\r\n", "\n")),
    }
}

/// A TOML text without comments and without whitespace outside strings, but
/// for the line breaks that end a key/value pair or a table header (those
/// are meaningful; line breaks inside arrays and inline tables are not).
/// Two texts that differ only in formatting and comments give the same
/// result; any change of a key or a value gives a different one.
fn strip_toml(text: &str) -> String {
    let out = strip_toml_bytes(text.as_bytes());
    // Only whole characters are dropped (ASCII whitespace, and comments up
    // to a line break), so what is left of a text is a text.
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// The bytes that end a run of bytes [`strip_toml_bytes`] copies as they
/// are, as a table: a run is found a byte a step without a branch per kind.
const TOML_SPECIAL: [bool; 256] = {
    let mut t = [false; 256];
    let special = *b"#\"'[{]}\n \t\r";
    let mut i = 0;
    while i < special.len() {
        t[special[i] as usize] = true;
        i += 1;
    }
    t
};

/// [`strip_toml`] on bytes: runs of ordinary bytes are copied at once.
fn strip_toml_bytes(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(b.len());
    strip_toml_into(b, &mut out);
    while out.last() == Some(&b'\n') {
        out.pop();
    }
    out
}

/// Where canonical TOML goes as it is made: a buffer, or a hash.
trait CanonOut {
    fn put(&mut self, bytes: &[u8]);
    fn put_byte(&mut self, c: u8);
    /// The last byte put, if any.
    fn last_put(&self) -> Option<u8>;
}

impl CanonOut for Vec<u8> {
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
    fn put_byte(&mut self, c: u8) {
        self.push(c);
    }
    fn last_put(&self) -> Option<u8> {
        self.last().copied()
    }
}

/// Canonical TOML hashed as it is made, through a small buffer, without a
/// copy of the whole text: the line breaks at the end of what is put so far
/// are held back until something else follows, as the canonical text ends
/// without one. Hashing the 2023 data files without their canonical copies
/// saves allocating and touching 400 KB a load.
struct HashOut<'h> {
    h: &'h mut Sha256,
    buf: Vec<u8>,
    held: usize,
    last: Option<u8>,
}

impl HashOut<'_> {
    const FLUSH: usize = 8 << 10;

    fn finish(self) {
        self.h.update(&self.buf);
    }

    fn release_held(&mut self) {
        if self.held > 0 {
            self.buf.resize(self.buf.len() + self.held, b'\n');
            self.held = 0;
        }
    }

    /// Hashes the buffer once it holds [`HashOut::FLUSH`] bytes.
    fn flush_full(&mut self) {
        if self.buf.len() >= Self::FLUSH {
            self.h.update(&self.buf);
            self.buf.clear();
        }
    }
}

impl CanonOut for HashOut<'_> {
    fn put(&mut self, bytes: &[u8]) {
        let Some(&end) = bytes.last() else { return };
        self.last = Some(end);
        let keep = if end == b'\n' { bytes.iter().rposition(|&c| c != b'\n').map_or(0, |k| k + 1) } else { bytes.len() };
        if keep > 0 {
            self.release_held();
            self.buf.extend_from_slice(&bytes[..keep]);
            self.flush_full();
        }
        self.held += bytes.len() - keep;
    }
    fn put_byte(&mut self, c: u8) {
        self.last = Some(c);
        if c == b'\n' {
            self.held += 1;
            return;
        }
        self.release_held();
        self.buf.push(c);
        self.flush_full();
    }
    fn last_put(&self) -> Option<u8> {
        self.last
    }
}

/// Hashes the canonical TOML of `b` into `h`: what hashing [`strip_toml_bytes`] gives.
fn hash_toml(b: &[u8], h: &mut Sha256) {
    let mut out = HashOut { h, buf: Vec::with_capacity(HashOut::FLUSH + 4096), held: 0, last: None };
    strip_toml_into(b, &mut out);
    out.finish();
}

/// Puts the canonical TOML of `b` into `out`, line breaks at its end and all.
///
/// The canonical text is `b` with bytes left out (comments, whitespace
/// outside strings, line breaks but those that end a pair or a header), so
/// it is put as the runs of bytes between those left out: a run goes on
/// through strings, brackets and ordinary bytes, and is put when a byte is
/// left out. Put a token at a time, the 2023 self-assessment's digest took
/// 3.5 M instructions besides the hash's own; a run at a time, 3.1 M.
fn strip_toml_into(b: &[u8], out: &mut impl CanonOut) {
    let mut depth = 0usize;
    let mut i = 0;
    // The run of kept bytes not put yet: `b[from..i]`.
    let mut from = 0;
    let starts = |i: usize, pat: &[u8]| b.len() >= i + pat.len() && &b[i..i + pat.len()] == pat;
    while i < b.len() {
        let c = b[i];
        match c {
            b'#' => {
                out.put(&b[from..i]);
                i = memchr::memchr(b'\n', &b[i..]).map_or(b.len(), |n| i + n);
                from = i;
            }
            b'"' | b'\'' => {
                let multi: &[u8] = if c == b'"' { b"\"\"\"" } else { b"\'\'\'" };
                if starts(i, multi) {
                    i += 3;
                    while i < b.len() && !starts(i, multi) {
                        // A backslash and the byte after it, whatever they are.
                        i += if c == b'"' && b[i] == b'\\' && i + 1 < b.len() { 2 } else { 1 };
                    }
                    // Up to two quotes may close a multi-line string with content.
                    while i < b.len() && b[i] == c {
                        i += 1;
                    }
                    continue;
                }
                i += 1;
                // The string's text up to its closing quote or the line's end, escapes and all.
                loop {
                    let rest = &b[i..];
                    let stop = if c == b'"' { memchr::memchr3(c, b'\n', b'\\', rest) } else { memchr::memchr2(c, b'\n', rest) };
                    i += stop.unwrap_or(rest.len());
                    if i < b.len() && b[i] == b'\\' {
                        // A backslash and the byte after it, whatever it is.
                        i = (i + 2).min(b.len());
                        continue;
                    }
                    break;
                }
                if i < b.len() && b[i] == c {
                    i += 1;
                }
            }
            b'[' | b'{' => {
                depth += 1;
                i += 1;
            }
            b']' | b'}' => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            b'\n' => {
                let last = if from < i { Some(b[i - 1]) } else { out.last_put() };
                out.put(&b[from..i]);
                if depth == 0 && last.is_some_and(|l| l != b'\n') {
                    out.put_byte(b'\n');
                }
                i += 1;
                from = i;
            }
            b' ' | b'\t' | b'\r' => {
                out.put(&b[from..i]);
                i += 1;
                while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\r') {
                    i += 1;
                }
                from = i;
            }
            _ => i += b[i..].iter().position(|&x| TOML_SPECIAL[x as usize]).unwrap_or(b.len() - i),
        }
    }
    out.put(&b[from..]);
}

/// A script without comments, with each run of whitespace outside strings as one space.
fn strip_script(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let mut pending_space = false;
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'/') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
                pending_space = true;
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut prev = ' ';
                for c in chars.by_ref() {
                    if prev == '*' && c == '/' {
                        break;
                    }
                    prev = c;
                }
                pending_space = true;
            }
            '"' | '`' | '\'' => {
                if pending_space && !out.is_empty() {
                    out.push(' ');
                }
                pending_space = false;
                out.push(c);
                let mut escaped = false;
                for d in chars.by_ref() {
                    out.push(d);
                    if d == c && !escaped {
                        break;
                    }
                    escaped = d == '\\' && !escaped;
                }
            }
            c if c.is_whitespace() => pending_space = true,
            c => {
                if pending_space && !out.is_empty() {
                    out.push(' ');
                }
                pending_space = false;
                out.push(c);
            }
        }
    }
    out
}

/// All files under `root/rel` (recursively), relative to root, sorted.
fn files_under(root: &Path, rel: &Path) -> Vec<PathBuf> {
    crate::source::files::files(&root.join(rel), true).into_iter().map(|(p, _)| rel.join(p)).collect()
}

/// A path relative to the root with `/` separators.
pub fn path_key(rel: &Path) -> String {
    let name: Vec<String> = rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
    name.join("/")
}

/// The SHA-256 of one file's canonical content, hex.
pub fn file_digest(root: &Path, rel: &Path) -> Result<String, Diagnostic> {
    let cannot = |e: std::io::Error| Diagnostic::error(Code::Io, format!("cannot read file: {e}")).in_file(rel);
    match rel.extension().and_then(|e| e.to_str()) {
        Some("toml" | "rhai") => {
            let bytes = std::fs::read(root.join(rel)).map_err(cannot)?;
            // Checked as UTF-8 first: `from_utf8_lossy` walks a valid text
            // more slowly (78 µs against 51 µs for the 2023 self-assessment).
            let text = match std::str::from_utf8(&bytes) {
                Ok(t) => std::borrow::Cow::Borrowed(t),
                Err(_) => String::from_utf8_lossy(&bytes),
            };
            Ok(text_digest(rel, &text))
        }
        _ => {
            // Other files (CSV) as they are, with line ends normalised (every
            // `\r` left out), read a piece at a time: a national table is
            // never held whole a second time beside the one being read.
            use std::io::Read;
            let mut h = Sha256::new();
            let mut file = std::fs::File::open(root.join(rel)).map_err(cannot)?;
            // At most 1 MiB, and no more than the file needs: a buffer of
            // 128 KiB or more is a mapping of its own, made and unmade for
            // each small table (two system calls, and the unmapping
            // interrupts the other threads' processors to flush their views).
            let size = file.metadata().map_or(1 << 20, |m| usize::try_from(m.len()).unwrap_or(1 << 20));
            let mut buf = vec![0u8; size.saturating_add(1).clamp(4 << 10, 1 << 20)];
            loop {
                let n = match file.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(cannot(e)),
                };
                update_without_cr(&mut h, &buf[..n]);
            }
            Ok(hex(&h.finalize()))
        }
    }
}

/// The SHA-256 of the canonical content of the file `rel` whose text is
/// `text`, hex: what [`file_digest`] gives for a file that holds `text`.
pub fn text_digest(rel: &Path, text: &str) -> String {
    let mut h = Sha256::new();
    match rel.extension().and_then(|e| e.to_str()) {
        // The canonical TOML of a text is a text: hashed as bytes as it is made.
        Some("toml") => hash_toml(text.as_bytes(), &mut h),
        Some("rhai") => h.update(strip_script(text).as_bytes()),
        _ => update_without_cr(&mut h, text.as_bytes()),
    }
    hex(&h.finalize())
}

/// Hashes `piece` with every `\r` left out.
fn update_without_cr(h: &mut Sha256, piece: &[u8]) {
    let mut from = 0;
    for cr in memchr::memchr_iter(b'\r', piece) {
        h.update(&piece[from..cr]);
        from = cr + 1;
    }
    h.update(&piece[from..]);
}

/// What a load holds already of a file it read: the text, or the digest
/// made of the text ([`text_digest`]) by the thread that read it.
#[derive(Debug, Clone, Copy)]
pub enum Kept<'a> {
    Text(&'a str),
    Digest(&'a str),
}

/// What is held of files already read, by path relative to the root:
/// hashed from memory, or taken as hashed, instead of read again. A text
/// must be the file's whole content as read (UTF-8, nothing decoded or
/// dropped); the digest is then the file's and proves the very text the
/// result was computed from.
pub type Known<'a> = &'a dyn Fn(&Path) -> Option<Kept<'a>>;

/// No file known: every file is read.
pub fn none_known(_: &Path) -> Option<Kept<'static>> {
    None
}

/// The digests of `files` (relative to `root`).
pub fn hash_files(root: &Path, files: &[PathBuf]) -> Result<Digests, Diagnostic> {
    hash_files_known(root, files, &none_known)
}

/// [`hash_files`], the files `known` gives a text for hashed from it.
pub fn hash_files_known(root: &Path, files: &[PathBuf], known: Known) -> Result<Digests, Diagnostic> {
    let mut out = BTreeMap::new();
    for rel in files {
        let digest = match known(rel) {
            Some(Kept::Text(text)) => text_digest(rel, text),
            Some(Kept::Digest(d)) => d.to_owned(),
            None => file_digest(root, rel)?,
        };
        out.insert(path_key(rel), digest);
    }
    Ok(Digests { part: part_of(&out), files: out })
}

fn part_of(files: &BTreeMap<String, String>) -> String {
    let mut h = Sha256::new();
    for (name, digest) in files {
        h.update(name.as_bytes());
        h.update([0]);
        h.update(digest.as_bytes());
        h.update([0]);
    }
    hex(&h.finalize())
}

/// The files the criteria of `year` are read from: `criteria/<year>/` and the scripts it names.
pub fn rule_files(root: &Path, year: u16, scripts: &[PathBuf]) -> Vec<PathBuf> {
    let mut files = files_under(root, &Path::new("criteria").join(year.to_string()));
    files.extend(scripts.iter().cloned());
    files
}

/// The files of the data of `data_year`: `fixtures/<data_year>/`.
pub fn data_files(root: &Path, data_year: u16) -> Vec<PathBuf> {
    files_under(root, &Path::new("fixtures").join(data_year.to_string()))
}

/// The fingerprint of the criteria of `year` with the data of `data_year`
/// under `root`, and the scripts the criteria name.
pub fn fingerprint(root: &Path, year: u16, data_year: u16, scripts: &[PathBuf]) -> Result<Fingerprint, Diagnostic> {
    let data = hash_files(root, &data_files(root, data_year))?;
    fingerprint_with_data(root, year, scripts, &data, &none_known)
}

/// The fingerprint with the data part already known (data files unchanged
/// or hashed already), the rule files `known` gives a text for hashed from it.
pub fn fingerprint_with_data(root: &Path, year: u16, scripts: &[PathBuf], data: &Digests, known: Known) -> Result<Fingerprint, Diagnostic> {
    let rules = hash_files_known(root, &rule_files(root, year, scripts), known)?;
    let engine = hex(&Sha256::digest(ENGINE.as_bytes()));
    let mut h = Sha256::new();
    for part in [&rules.part, &data.part, &engine] {
        h.update(part.as_bytes());
    }
    let mut files = rules.files;
    files.extend(data.files.iter().map(|(k, v)| (k.clone(), v.clone())));
    Ok(Fingerprint {
        sha256: hex(&h.finalize()),
        rules: rules.part,
        data: data.part.clone(),
        engine,
        engine_version: ENGINE.to_string(),
        files,
    })
}

impl Fingerprint {
    /// The data part with its files' digests, to share with a reload whose data files did not change.
    pub fn data_digests(&self) -> Digests {
        let files = self.files.iter().filter(|(k, _)| k.starts_with("fixtures/")).map(|(k, v)| (k.clone(), v.clone())).collect();
        Digests { part: self.data.clone(), files }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The canonical TOML as it was first written, byte by byte: the reference.
    fn strip_toml_reference(text: &str) -> String {
        let b = text.as_bytes();
        let mut out = Vec::with_capacity(b.len());
        let mut depth = 0usize;
        let mut i = 0;
        let starts = |i: usize, pat: &[u8]| b.len() >= i + pat.len() && &b[i..i + pat.len()] == pat;
        while i < b.len() {
            let c = b[i];
            match c {
                b'#' => {
                    while i < b.len() && b[i] != b'\n' {
                        i += 1;
                    }
                    continue;
                }
                b'"' | b'\'' => {
                    let multi: &[u8] = if c == b'"' { b"\"\"\"" } else { b"\'\'\'" };
                    if starts(i, multi) {
                        out.extend_from_slice(multi);
                        i += 3;
                        while i < b.len() && !starts(i, multi) {
                            if c == b'"' && b[i] == b'\\' && i + 1 < b.len() {
                                out.push(b[i]);
                                i += 1;
                            }
                            out.push(b[i]);
                            i += 1;
                        }
                        // Up to two quotes may close a multi-line string with content.
                        while i < b.len() && b[i] == c {
                            out.push(c);
                            i += 1;
                        }
                        continue;
                    }
                    out.push(c);
                    i += 1;
                    while i < b.len() && b[i] != c && b[i] != b'\n' {
                        if c == b'"' && b[i] == b'\\' && i + 1 < b.len() {
                            out.push(b[i]);
                            i += 1;
                        }
                        out.push(b[i]);
                        i += 1;
                    }
                    if i < b.len() && b[i] == c {
                        out.push(c);
                        i += 1;
                    }
                    continue;
                }
                b'[' | b'{' => depth += 1,
                b']' | b'}' => depth = depth.saturating_sub(1),
                b'\n' => {
                    if depth == 0 && out.last().is_some_and(|&l| l != b'\n') {
                        out.push(b'\n');
                    }
                    i += 1;
                    continue;
                }
                b' ' | b'\t' | b'\r' => {
                    i += 1;
                    continue;
                }
                _ => {}
            }
            out.push(c);
            i += 1;
        }
        while out.last() == Some(&b'\n') {
            out.pop();
        }
        String::from_utf8_lossy(&out).into_owned()
    }

    #[test]
    fn canonical_toml_is_the_reference_on_every_file_and_on_edits() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut texts: Vec<String> = Vec::new();
        for dir in ["criteria", "fixtures", "fuzz"] {
            for (p, _) in crate::source::files::files(&root.join(dir), true) {
                if p.extension().is_some_and(|e| e == "toml") {
                    texts.push(std::fs::read_to_string(root.join(dir).join(p)).unwrap());
                }
            }
        }
        assert!(texts.len() > 20);
        let pieces = ["\"", "'", "\\", "\"\"\"", "'''", "#", "\n", "\r\n", " ", "\t", "[", "]", "{", "}", "é", "x"];
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n.max(1) as u64) as usize
        };
        let mut cases = texts.clone();
        for _ in 0..3000 {
            let t = &texts[next(texts.len())];
            let bounds: Vec<usize> = t.char_indices().map(|(i, _)| i).chain([t.len()]).collect();
            let a = next(bounds.len());
            let (a, b) = (bounds[a], bounds[(a + 400).min(bounds.len() - 1)]);
            let mut piece = t[a..b].to_string();
            for _ in 0..3 {
                let pb: Vec<usize> = piece.char_indices().map(|(i, _)| i).chain([piece.len()]).collect();
                let at = pb[next(pb.len())];
                piece.insert_str(at, pieces[next(pieces.len())]);
            }
            cases.push(piece);
        }
        for text in &cases {
            let reference = strip_toml_reference(text);
            assert_eq!(strip_toml(text), reference, "{text}");
            // Hashed as it is made, the canonical text gives its own digest.
            let mut h = Sha256::new();
            hash_toml(text.as_bytes(), &mut h);
            assert_eq!(h.finalize(), Sha256::digest(reference.as_bytes()), "{text}");
        }
    }

    #[test]
    fn a_texts_digest_is_its_files_digest() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut kinds = std::collections::BTreeSet::new();
        for dir in ["criteria", "fixtures", "rules"] {
            for (p, _) in crate::source::files::files(&root.join(dir), true) {
                let rel = Path::new(dir).join(&p);
                let text = std::fs::read_to_string(root.join(&rel)).unwrap();
                assert_eq!(text_digest(&rel, &text), file_digest(root, &rel).unwrap(), "{}", rel.display());
                kinds.extend(rel.extension().map(|e| e.to_string_lossy().into_owned()));
            }
        }
        assert!(["toml", "rhai", "csv"].iter().all(|k| kinds.contains(*k)), "{kinds:?}");
        // Line ends do not count in a table; a change of a value does.
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("t.csv"), "a,b\r\n1,2\r\n").unwrap();
        let from_disk = file_digest(dir.path(), Path::new("t.csv")).unwrap();
        assert_eq!(text_digest(Path::new("t.csv"), "a,b\n1,2\n"), from_disk);
        assert_ne!(text_digest(Path::new("t.csv"), "a,b\n1,3\n"), from_disk);
        // A table larger than the buffer, read in several pieces.
        let row = "unit,2023,x\r\n".repeat(3 << 17);
        std::fs::write(dir.path().join("big.csv"), &row).unwrap();
        assert!(row.len() > 3 << 20);
        assert_eq!(file_digest(dir.path(), Path::new("big.csv")).unwrap(), text_digest(Path::new("big.csv"), &row.replace('\r', "")));
    }

    #[test]
    fn toml_formatting_and_comments_do_not_count_but_values_do() {
        let p = Path::new("a.toml");
        let a = canonical(p, "# c\n[x]\nb = 1.5\na = \"t\"\n").unwrap();
        let b = canonical(p, "[x]\n  b=1.5   # other comment\n\n a = \"t\" # \"quoted\" # not a string").unwrap();
        let c = canonical(p, "[x]\nb = 1.6\na = \"t\"\n").unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
        // Arrays may be laid out on several lines; strings keep their spaces and hashes.
        assert_eq!(canonical(p, "u = [\n  \"a\",\n  \"b\",\n]\n").unwrap(), canonical(p, "u = [\"a\", \"b\",]").unwrap());
        assert_ne!(canonical(p, "n = \"a b\"").unwrap(), canonical(p, "n = \"ab\"").unwrap());
        assert_ne!(canonical(p, "n = \"a#b\"").unwrap(), canonical(p, "n = \"a\"").unwrap());
        // A line break between pairs is meaningful.
        assert_ne!(canonical(p, "a = 1\nb = 2").unwrap(), canonical(p, "a = 1b = 2").unwrap());
    }

    #[test]
    fn script_comments_and_spacing_do_not_count_but_code_and_strings_do() {
        let p = Path::new("r.rhai");
        let a = canonical(p, "// rule\nfn score(x) {\n    x.v * 2 // double\n}\n").unwrap();
        let b = canonical(p, "fn score(x) { /* block */ x.v * 2 }").unwrap();
        let c = canonical(p, "fn score(x) { x.v * 3 }").unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(canonical(p, "\"a  b\"").unwrap(), canonical(p, "\"a b\"").unwrap());
    }
}
