//! Places in files: byte spans, locations with line and column, and the
//! secondary labels of a diagnostic.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;

use crate::source::map::{SourceFile, SourceMap};

/// A byte range of a file: `start..end`, `end` excluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(range: Range<usize>) -> Self {
        Span { start: range.start, end: range.end.max(range.start) }
    }

    pub fn range(self) -> Range<usize> {
        self.start..self.end
    }
}

impl From<Range<usize>> for Span {
    fn from(r: Range<usize>) -> Self {
        Span::new(r)
    }
}

/// A place in a file: 1-based line and column (in characters), and the
/// byte range it covers when known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Location {
    /// Shared by the places of one file: a load locates thousands (each
    /// point and self-score), which copied the path each time.
    #[serde(serialize_with = "path_text")]
    pub file: Arc<Path>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
    /// The bytes of `file` this place covers; a diagnostic made `at` this
    /// place takes it as its [`Diagnostic::span`], where it is serialised.
    #[serde(skip)]
    pub span: Option<Span>,
}

impl Location {
    pub fn file(file: impl Into<PathBuf>) -> Self {
        Location { file: Arc::from(file.into()), line: None, column: None, span: None }
    }

    pub fn at(file: impl Into<PathBuf>, line: usize, column: usize) -> Self {
        Location { file: Arc::from(file.into()), line: Some(line), column: Some(column), span: None }
    }

    /// The location of byte `offset` in `source`, the text of `file`.
    ///
    /// Scans `source` up to `offset`: for one diagnostic. Code that locates
    /// many places of one file uses [`Location::in_source`], which looks
    /// them up in the file's line index.
    pub fn from_offset(file: impl Into<PathBuf>, source: &str, offset: usize) -> Self {
        let (line, column) = line_col(source, offset);
        Location { span: Some(Span::new(offset..token_end(source, offset))), ..Location::at(file, line, column) }
    }

    /// The place of `range` in a registered file, from its line index.
    pub fn in_source(file: &SourceFile, range: Range<usize>) -> Self {
        Location::in_shared(file, Arc::from(file.path.as_path()), range)
    }

    /// [`Location::in_source`] with the file's path already shared: `path`
    /// is `file.path`.
    pub fn in_shared(file: &SourceFile, path: Arc<Path>, range: Range<usize>) -> Self {
        debug_assert_eq!(*path, *file.path, "a location's shared path is its file's");
        let (line, column) = file.line_col(range.start);
        Location { file: path, line: Some(line), column: Some(column), span: Some(Span::new(range)) }
    }

    /// `file`'s bytes `range`; line and column are found when rendering.
    pub fn span(file: impl Into<PathBuf>, range: Range<usize>) -> Self {
        Location { span: Some(Span::new(range)), ..Location::file(file) }
    }

    /// Fills the line and column from the span, or the span from the line
    /// and column, with the file's text from `map`.
    pub fn resolve(&mut self, map: &SourceMap) {
        let Some(f) = map.file(&self.file) else { return };
        match (self.span, self.line) {
            (Some(s), None) => {
                let (l, c) = f.line_col(s.start);
                self.line = Some(l);
                self.column = Some(c);
            }
            (None, Some(l)) => {
                if let Some(at) = f.offset(l, self.column.unwrap_or(1)) {
                    let csv = self.file.extension().is_some_and(|x| x.eq_ignore_ascii_case("csv"));
                    let end = match self.column {
                        Some(_) if csv => cell_end(&f.text, at),
                        Some(_) => token_end(&f.text, at),
                        None => f.offset(l, usize::MAX).unwrap_or(at),
                    };
                    self.span = Some(Span::new(at..end));
                }
            }
            _ => {}
        }
    }

    /// `file:line:col`, `file:line` or `file`.
    pub fn display(&self) -> String {
        match (self.line, self.column) {
            (Some(l), Some(c)) => format!("{}:{l}:{c}", self.file.display()),
            (Some(l), None) => format!("{}:{l}", self.file.display()),
            _ => self.file.display().to_string(),
        }
    }
}

/// A location's file as the text of its path.
fn path_text<S: serde::Serializer>(path: &Arc<Path>, out: S) -> Result<S::Ok, S::Error> {
    path.as_ref().serialize(out)
}

/// 1-based line and column (in characters) of a byte offset, by a scan of
/// `source` up to it; see [`SourceFile::line_col`] for many look-ups.
pub fn line_col(source: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(source.len());
    let before = &source[..floor_char_boundary(source, offset)];
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let line_start = before.bytes().rposition(|b| b == b'\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The end of the token starting at byte `at`: a quoted string through its
/// closing quote, else a run of characters up to a space or punctuation
/// that separates values; at least one character, never past the line.
pub fn token_end(source: &str, at: usize) -> usize {
    let at = floor_char_boundary(source, at.min(source.len()));
    let rest = &source[at..];
    let line = &rest[..rest.find(['\n', '\r']).unwrap_or(rest.len())];
    let mut chars = line.char_indices();
    let Some((_, first)) = chars.next() else { return at };
    let len = if first == '"' || first == '\'' {
        let mut escaped = false;
        line.char_indices()
            .skip(1)
            .find(|&(_, c)| {
                let end = c == first && !escaped;
                escaped = c == '\\' && !escaped;
                end
            })
            .map_or(line.len(), |(i, c)| i + c.len_utf8())
    } else if is_separator(first) {
        first.len_utf8()
    } else {
        line.char_indices().find(|&(_, c)| is_separator(c)).map_or(line.len(), |(i, _)| i)
    };
    at + len
}

/// The end of the CSV cell starting at byte `at`: up to the next `;` or
/// `,` (a quoted cell through its closing quote); at least one character.
pub fn cell_end(source: &str, at: usize) -> usize {
    let at = floor_char_boundary(source, at.min(source.len()));
    let rest = &source[at..];
    if rest.starts_with('"') {
        return token_end(source, at);
    }
    let line = &rest[..rest.find(['\n', '\r']).unwrap_or(rest.len())];
    let cell = line[..line.find([';', ',']).unwrap_or(line.len())].trim_end();
    at + cell.len().max(line.chars().next().map_or(0, char::len_utf8))
}

fn is_separator(c: char) -> bool {
    c.is_whitespace() || matches!(c, ',' | ';' | '=' | '[' | ']' | '{' | '}' | '(' | ')' | '"' | '#')
}

/// A second place a diagnostic points at, with what it is ("first
/// declared here").
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Label {
    #[serde(flatten)]
    pub location: Location,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub span: Option<Span>,
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_and_cells() {
        let src = "max = \"a \\\" b\" # note\nx = 13.5, y\nhai_long;Sở Y tế;93,90%\n";
        let at = |p: &str| src.find(p).unwrap();
        assert_eq!(&src[at("\"a")..token_end(src, at("\"a"))], "\"a \\\" b\"");
        assert_eq!(&src[at("13.5")..token_end(src, at("13.5"))], "13.5");
        assert_eq!(&src[at("=")..token_end(src, at("="))], "=");
        assert_eq!(token_end(src, src.len()), src.len());
        assert_eq!(&src[at("Sở")..cell_end(src, at("Sở"))], "Sở Y tế");
        assert_eq!(&src[at("93")..cell_end(src, at("93"))], "93");
        assert_eq!(&src[at(";Sở")..cell_end(src, at(";Sở"))], ";");
    }

    #[test]
    fn a_location_is_completed_from_the_map() {
        let mut map = SourceMap::new();
        map.add_text("u.csv", "id;name\nso-yt;Sở Y tế\n");
        let mut l = Location::at("u.csv", 2, 7);
        l.resolve(&map);
        assert_eq!(l.span, Some(Span::new(14..25)));
        let mut l = Location::span("u.csv", 8..13);
        l.resolve(&map);
        assert_eq!((l.line, l.column), (Some(2), Some(1)));
        assert_eq!(l.display(), "u.csv:2:1");
    }
}
