//! The source map: every file read for a year, with its text and the start
//! of each of its lines.
//!
//! A file is registered once; its line index is built once, in one pass, and
//! then answers "which line and column is byte `n`" by a binary search, so
//! locating every entry of a 20,000-line file costs one pass plus a
//! logarithm per entry, not a scan from the start for each. Columns count
//! characters, not bytes, as an editor shows them. Diagnostics point into
//! files by path and byte range; the renderer looks their text up here.

use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The byte offset where each line of a text starts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineIndex {
    /// `starts[i]` is the byte offset of line `i` (0-based); `starts[0] == 0`.
    starts: Vec<usize>,
    /// Length of the text in bytes.
    len: usize,
}

impl LineIndex {
    /// One pass over `text`.
    pub fn new(text: &str) -> Self {
        let mut starts = Vec::with_capacity(text.len() / 32 + 1);
        starts.push(0);
        starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        LineIndex { starts, len: text.len() }
    }

    /// How many lines the text has (a final line without a newline counts).
    pub fn lines(&self) -> usize {
        self.starts.len()
    }

    /// The 0-based line holding byte `offset` (the last line past the end).
    pub fn line_index(&self, offset: usize) -> usize {
        match self.starts.binary_search(&offset.min(self.len)) {
            Ok(i) => i,
            Err(i) => i - 1,
        }
    }

    /// The byte offset where 0-based line `line` starts; the end of the
    /// text for the line after the last, `None` past that.
    pub fn line_start(&self, line: usize) -> Option<usize> {
        match line.cmp(&self.starts.len()) {
            std::cmp::Ordering::Less => Some(self.starts[line]),
            std::cmp::Ordering::Equal => Some(self.len),
            std::cmp::Ordering::Greater => None,
        }
    }

    /// The byte range of 0-based line `line`, without its line break;
    /// an empty range at the end for a line past the last.
    pub fn line_range(&self, text: &str, line: usize) -> Range<usize> {
        let Some(&start) = self.starts.get(line) else { return self.len..self.len };
        let end = self.starts.get(line + 1).map_or(self.len, |&next| next - 1);
        let end = if end > start && text.as_bytes().get(end - 1) == Some(&b'\r') { end - 1 } else { end };
        start..end.max(start)
    }

    /// 1-based line and column (in characters) of byte `offset` of `text`.
    pub fn line_col(&self, text: &str, offset: usize) -> (usize, usize) {
        let offset = floor_char_boundary(text, offset.min(text.len()));
        let line = self.line_index(offset);
        let start = self.starts[line].min(offset);
        (line + 1, text[start..offset].chars().count() + 1)
    }

    /// The byte offset of 1-based `line` and `column` (in characters), if
    /// the text has that line; a column past the end of the line gives the
    /// line's end.
    pub fn offset(&self, text: &str, line: usize, column: usize) -> Option<usize> {
        let range = self.line_range(text, line.checked_sub(1)?);
        if line > self.lines() {
            return None;
        }
        let skip = column.saturating_sub(1);
        let within = text[range.clone()].char_indices().nth(skip).map_or(range.end - range.start, |(i, _)| i);
        Some(range.start + within)
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// One file as read: its path (relative to the root, as shown in
/// diagnostics), its text and its line index.
#[derive(Debug, Clone, Default)]
pub struct SourceFile {
    /// Path relative to the root, with `/` separators, as shown in diagnostics.
    pub path: PathBuf,
    pub text: String,
    lines: LineIndex,
}

impl SourceFile {
    pub fn new(path: impl Into<PathBuf>, text: impl Into<String>) -> Self {
        let text = text.into();
        SourceFile { path: path.into(), lines: LineIndex::new(&text), text }
    }

    pub fn lines(&self) -> &LineIndex {
        &self.lines
    }

    /// 1-based line and column (in characters) of byte `offset`.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        self.lines.line_col(&self.text, offset)
    }

    /// The byte offset of 1-based `line` and `column`.
    pub fn offset(&self, line: usize, column: usize) -> Option<usize> {
        self.lines.offset(&self.text, line, column)
    }

    /// The text of 1-based line `line`, without its line break.
    pub fn line_text(&self, line: usize) -> Option<&str> {
        let i = line.checked_sub(1).filter(|&i| i < self.lines.lines())?;
        Some(&self.text[self.lines.line_range(&self.text, i)])
    }
}

/// Where a file is in a [`SourceMap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub usize);

/// Every file read, each once, by path.
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    files: Vec<Arc<SourceFile>>,
    by_path: HashMap<PathBuf, FileId>,
}

impl SourceMap {
    pub fn new() -> Self {
        SourceMap::default()
    }

    /// Registers a file; a file registered again under the same path
    /// replaces the earlier text (a reload read it anew).
    pub fn add(&mut self, file: impl Into<Arc<SourceFile>>) -> FileId {
        let file = file.into();
        match self.by_path.get(&file.path) {
            Some(&id) => {
                self.files[id.0] = file;
                id
            }
            None => {
                let id = FileId(self.files.len());
                self.by_path.insert(file.path.clone(), id);
                self.files.push(file);
                id
            }
        }
    }

    /// Registers `text` as the file `path`.
    pub fn add_text(&mut self, path: impl Into<PathBuf>, text: impl Into<String>) -> FileId {
        self.add(SourceFile::new(path, text))
    }

    pub fn id(&self, path: &Path) -> Option<FileId> {
        self.by_path.get(path).copied()
    }

    pub fn get(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id.0).map(|f| &**f)
    }

    pub fn file(&self, path: &Path) -> Option<&SourceFile> {
        self.id(path).and_then(|id| self.get(id))
    }

    pub fn contains(&self, path: &Path) -> bool {
        self.by_path.contains_key(path)
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &SourceFile> {
        self.files.iter().map(|f| &**f)
    }

    /// Every file of `other` not yet here.
    pub fn merge(&mut self, other: &SourceMap) {
        for f in &other.files {
            if !self.contains(&f.path) {
                self.add(Arc::clone(f));
            }
        }
    }

    /// Reads `path` (relative to `root`) from disk unless it is here already;
    /// a file that cannot be read as text is left out.
    pub fn read(&mut self, root: &Path, path: &Path) -> Option<FileId> {
        if let Some(id) = self.id(path) {
            return Some(id);
        }
        let full = if path.is_absolute() { path.to_path_buf() } else { root.join(path) };
        let meta = std::fs::metadata(&full).ok()?;
        // Only files of a size one reads to show a line of.
        if !meta.is_file() || meta.len() > 256 << 20 {
            return None;
        }
        let text = std::fs::read_to_string(full).ok()?;
        Some(self.add_text(path, text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_columns_count_characters() {
        let f = SourceFile::new("a.toml", "a = 1\nbé = x\r\n\nlast");
        assert_eq!(f.line_col(0), (1, 1));
        assert_eq!(f.line_col(f.text.find('x').unwrap()), (2, 6));
        assert_eq!(f.line_col(f.text.find("last").unwrap()), (4, 1));
        assert_eq!(f.line_col(f.text.len() + 10), (4, 5));
        assert_eq!(f.line_text(2), Some("bé = x"));
        assert_eq!(f.line_text(3), Some(""));
        assert_eq!(f.line_text(5), None);
        assert_eq!(f.offset(2, 6), f.text.find('x'));
        assert_eq!(f.offset(2, 99), f.text.find('\r'));
        assert_eq!(f.offset(9, 1), None);
        // Inside a multi-byte character: the character's column.
        assert_eq!(f.line_col(f.text.find('é').unwrap() + 1), (2, 2));
    }

    #[test]
    fn a_20000_entry_scores_file_is_located_from_one_index() {
        let mut text = String::new();
        let mut offsets = Vec::new();
        for u in 0..2_000 {
            text.push_str(&format!("[don-vi-{u}]\n"));
            for c in 0..10 {
                offsets.push((text.len() + 6, u * 11 + c + 2));
                text.push_str(&format!("\"{c}\" = 1{}.5\n", c % 10));
            }
        }
        let f = SourceFile::new("fixtures/x/scores.toml", text);
        assert_eq!(f.lines().lines(), 22_001);
        assert_eq!(offsets.len(), 20_000);
        for &(offset, line) in &offsets {
            assert_eq!(f.line_col(offset), (line, 7));
            assert_eq!(f.offset(line, 7), Some(offset));
        }
    }

    #[test]
    fn a_map_holds_each_file_once() {
        let mut m = SourceMap::new();
        let a = m.add_text("a.toml", "x = 1\n");
        let b = m.add_text("b.toml", "y = 2\n");
        assert_ne!(a, b);
        assert_eq!(m.add_text("a.toml", "x = 3\n"), a);
        assert_eq!(m.len(), 2);
        assert_eq!(m.file(Path::new("a.toml")).map(|f| f.text.as_str()), Some("x = 3\n"));
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("c.csv"), "id\n1\n").unwrap();
        let c = m.read(dir.path(), Path::new("c.csv")).unwrap();
        assert_eq!(m.get(c).and_then(|f| f.line_text(2)), Some("1"));
        assert!(m.read(dir.path(), Path::new("missing.csv")).is_none());
    }
}
