//! CSV files as the officials save them: read whole, decoded, and split into
//! records by the `csv` crate (RFC 4180: quoted fields, `""` for a quote,
//! line breaks inside quotes as Excel writes Alt+Enter, CRLF).
//!
//! A file is UTF-8, with or without a byte order mark, unless its
//! declaration says `encoding = "windows-1258"` (what Excel's plain "CSV
//! (Comma delimited)" writes on a Vietnamese Windows); text that is not
//! UTF-8 otherwise is refused (`ENCODING`) at its line and column, with the
//! fix. A byte order mark anywhere but at the start (two files joined) is
//! refused too. Lines starting with `#` and blank lines are skipped.
//!
//! Every record keeps the line and byte where it starts, so that a
//! diagnostic points at the line and column of the very field, even in a
//! record that spans lines.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::diag::{Code, Diagnostic};

/// The text encoding of a CSV file, as a declaration names it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub enum Encoding {
    /// UTF-8, with or without a byte order mark (Excel's "CSV UTF-8").
    #[default]
    #[serde(rename = "utf-8")]
    Utf8,
    /// The Vietnamese Windows code page (Excel's plain "CSV" on a Vietnamese Windows).
    #[serde(rename = "windows-1258")]
    Windows1258,
}

/// What to tell the user to do about a file that is not UTF-8.
pub(crate) const UTF8_FIX: &str = "save it from Excel as \"CSV UTF-8 (Comma delimited)\"";

/// Reads `path` (shown as `shown`) and decodes it as `encoding`; `fix` says
/// what to do about text that is not UTF-8.
pub(crate) fn read_text(path: &Path, shown: &Path, encoding: Encoding, fix: &str) -> Result<String, Diagnostic> {
    let bytes =
        std::fs::read(path).map_err(|e| Diagnostic::error(Code::Io, format!("cannot read `{}`: {e}", shown.display())).in_file(shown))?;
    decode(shown, bytes, encoding, fix)
}

/// The text of a CSV file's bytes: the leading byte order mark removed,
/// Windows-1258 composed into the forms UTF-8 files write (NFC).
pub(crate) fn decode(shown: &Path, bytes: Vec<u8>, encoding: Encoding, fix: &str) -> Result<String, Diagnostic> {
    let text = match encoding {
        Encoding::Utf8 => {
            let mut bytes = bytes;
            if bytes.starts_with(b"\xEF\xBB\xBF") {
                bytes.drain(..3);
            }
            String::from_utf8(bytes).map_err(|e| not_utf8(shown, e, fix))?
        }
        Encoding::Windows1258 => {
            use unicode_normalization::UnicodeNormalization;
            // A byte order mark says UTF-8 whatever the declaration.
            let (text, _, _) = encoding_rs::WINDOWS_1258.decode(&bytes);
            text.nfc().collect()
        }
    };
    if let Some(at) = memchr::memmem::find(text.as_bytes(), "\u{feff}".as_bytes()) {
        return Err(Diagnostic::error(Code::Encoding, "a byte order mark in the middle of the file")
            .at_offset(shown, &text, at)
            .help("two files were joined: remove the invisible mark at this place, or save the file again from Excel"));
    }
    Ok(text)
}

fn not_utf8(shown: &Path, e: std::string::FromUtf8Error, fix: &str) -> Diagnostic {
    let at = e.utf8_error().valid_up_to();
    let bytes = e.into_bytes();
    // The text before the first bad byte is UTF-8: it places the byte.
    let before = String::from_utf8_lossy(&bytes[..at]).into_owned();
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = before.matches('\n').count() + 1;
    let column = before[line_start..].chars().count() + 1;
    let byte = bytes.get(at).copied().unwrap_or_default();
    let mut d = Diagnostic::error(
        Code::Encoding,
        format!("`{}` is not UTF-8 text (byte 0x{byte:02X} at line {line}, column {column})", shown.display()),
    )
    .at(crate::diag::Location::at(shown, line, column))
    .help(format!("{fix}; a file of Excel's plain \"CSV\" on a Vietnamese Windows is Windows-1258"));
    let rest = bytes[line_start..].split(|&b| b == b'\n').next().unwrap_or_default();
    d.source_line = Some(String::from_utf8_lossy(rest).trim_end_matches('\r').to_owned());
    d
}

/// One record of a CSV text, with where it starts.
#[derive(Debug)]
pub(crate) struct Record<'r> {
    /// The 1-based line the record starts on.
    pub line: usize,
    /// The byte offset in the text where the record starts.
    pub start: usize,
    pub fields: &'r csv::ByteRecord,
}

impl Record<'_> {
    /// Field `i` as text; "" past the last field.
    pub fn get(&self, i: usize) -> &str {
        self.fields.get(i).and_then(|f| std::str::from_utf8(f).ok()).unwrap_or_default()
    }

    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// Field `i` as a number of ASCII digits between ASCII spaces, without
    /// reading it as text first; `None` for any other field (read as text
    /// then, its error told in its words).
    pub fn digits(&self, i: usize) -> Option<usize> {
        let f = self.fields.get(i)?.trim_ascii();
        if f.is_empty() || f.len() > 9 || !f.iter().all(u8::is_ascii_digit) {
            return None;
        }
        Some(f.iter().fold(0, |n, &d| n * 10 + usize::from(d - b'0')))
    }
}

/// Reads the records of `text` split at `sep`, calling `f` on each; stops
/// at the first syntax error, which it returns located in `shown`.
pub(crate) fn for_each_record(text: &str, sep: u8, shown: &Path, mut f: impl FnMut(&Record)) -> Result<(), Diagnostic> {
    let mut reader =
        csv::ReaderBuilder::new().delimiter(sep).has_headers(false).flexible(true).comment(Some(b'#')).from_reader(text.as_bytes());
    let mut fields = csv::ByteRecord::new();
    let mut last_start = None;
    // Lines counted from the byte offsets (the crate's own count skips
    // comments and blank lines): line `line` starts before byte `counted`.
    let (mut counted, mut line) = (0usize, 1usize);
    loop {
        match reader.read_byte_record(&mut fields) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let byte = e.position().map_or(counted, |p| p.byte() as usize);
                let d = Diagnostic::error(Code::CsvSyntax, format!("unreadable record: {e}"));
                return Err(at_line(d, shown, text, line, counted, byte));
            }
        }
        let start = record_start(text.as_bytes(), fields.position().map_or(0, |p| p.byte() as usize));
        line += memchr::memchr_iter(b'\n', &text.as_bytes()[counted.min(start)..start]).count();
        counted = start;
        last_start = Some((line, start));
        // A line of spaces, or a comment after spaces.
        if fields.len() == 1 && fields.get(0).is_some_and(|f| f.trim_ascii().is_empty()) {
            continue;
        }
        if fields.get(0).is_some_and(|f| f.trim_ascii_start().starts_with(b"#")) {
            continue;
        }
        f(&Record { line, start, fields: &fields });
    }
    // A quote never closed swallows the rest of the file into the last record.
    if let Some((line, start)) = last_start {
        if let Err(open) = scan(text.as_bytes(), start, sep) {
            let d = Diagnostic::error(Code::CsvSyntax, "unterminated quoted field")
                .help("a field that opens with `\"` must close with `\"`; write a quote inside it as `\"\"`");
            return Err(at_line(d, shown, text, line, start, open));
        }
    }
    Ok(())
}

/// Reads the one record of `line` (no line break, no quote) into `fields`.
pub(crate) fn read_line_record(line: &[u8], sep: u8, fields: &mut csv::ByteRecord) -> bool {
    let mut reader = csv::ReaderBuilder::new().delimiter(sep).has_headers(false).flexible(true).from_reader(line);
    reader.read_byte_record(fields).unwrap_or(false)
}

/// Where the record read from byte `from` on starts: the crate places a
/// record where the one before it ended, before line breaks and comments.
fn record_start(text: &[u8], from: usize) -> usize {
    let mut pos = from.min(text.len());
    loop {
        match text.get(pos) {
            Some(b'\r' | b'\n') => pos += 1,
            Some(b'#') if pos == 0 || text[pos - 1] == b'\n' => match memchr::memchr(b'\n', &text[pos..]) {
                Some(n) => pos += n + 1,
                None => return text.len(),
            },
            _ => return pos,
        }
    }
}

/// Where each field of the record starting at byte `start` begins, and
/// where the record ends; `Err` with the offset of a quote never closed.
///
/// The `csv` crate gives no byte offset per field, and reads a quote never
/// closed as running to the end of the file; this scan, the same reading of
/// quotes, runs only to locate a diagnostic and on the last record.
fn scan(text: &[u8], start: usize, sep: u8) -> Result<(Vec<usize>, usize), usize> {
    let mut starts = Vec::new();
    scan_into(text, start, sep, &mut starts).map(|end| (starts, end))
}

/// [`scan`] into `starts` (cleared first), returning where the record ends.
fn scan_into(text: &[u8], start: usize, sep: u8, starts: &mut Vec<usize>) -> Result<usize, usize> {
    starts.clear();
    starts.push(start);
    let mut pos = start;
    loop {
        if text.get(pos) == Some(&b'"') {
            let open = pos;
            pos += 1;
            loop {
                match memchr::memchr(b'"', text.get(pos..).unwrap_or_default()) {
                    None => return Err(open),
                    Some(n) if text.get(pos + n + 1) == Some(&b'"') => pos += n + 2,
                    Some(n) => {
                        pos += n + 1;
                        break;
                    }
                }
            }
        }
        match memchr::memchr3(sep, b'\n', b'\r', text.get(pos..).unwrap_or_default()) {
            Some(n) if text[pos + n] == sep => {
                pos += n + 1;
                starts.push(pos);
            }
            Some(n) => return Ok(pos + n),
            None => return Ok(text.len()),
        }
    }
}

/// The byte offset where field `i` of `record` starts, or where the record
/// ends when it has fewer fields.
pub(crate) fn field_offset(text: &str, record: &Record, sep: u8, i: usize) -> usize {
    match scan(text.as_bytes(), record.start, sep) {
        Ok((starts, end)) => starts.get(i).copied().unwrap_or(end),
        Err(_) => record.start,
    }
}

/// Where the fields of `record` are: each one's start and the record's
/// end, found in one pass and kept in `starts` between records.
pub(crate) struct Fields {
    starts: Vec<usize>,
    end: usize,
}

impl Fields {
    pub(crate) fn new() -> Fields {
        Fields { starts: Vec::new(), end: 0 }
    }

    /// Locates the fields of `record`, which starts in `text`.
    pub(crate) fn locate(&mut self, text: &str, record: &Record, sep: u8) {
        self.end = scan_into(text.as_bytes(), record.start, sep, &mut self.starts).unwrap_or_else(|_| {
            self.starts.clear();
            self.starts.push(record.start);
            record.start
        });
    }

    /// Where `value`, the text read from field `i` (trimmed, unquoted), is
    /// in `text`: at its first occurrence in the field, else at the field's start.
    pub(crate) fn span(&self, text: &str, i: usize, value: &str) -> std::ops::Range<usize> {
        let from = self.starts.get(i).copied().unwrap_or(self.end);
        let to = self.starts.get(i + 1).map_or(self.end, |next| next - 1).max(from);
        let field = text.get(from..to).unwrap_or_default();
        // Most fields are the value itself, maybe between spaces: found
        // without a search, whose set-up took a tenth of reading 10,000 units.
        let trimmed = field.trim_start();
        let skip =
            if !value.is_empty() && trimmed.starts_with(value) { field.len() - trimmed.len() } else { field.find(value).unwrap_or(0) };
        from + skip..from + skip + value.len()
    }
}

/// The byte offset where `record` ends (before its line break).
pub(crate) fn record_end(text: &str, record: &Record, sep: u8) -> usize {
    scan(text.as_bytes(), record.start, sep).map_or(record.start, |(_, end)| end)
}

/// Points `d` at byte `offset` of `text`, in the record starting on `line`
/// at byte `start`: only the record is read to find the line and column.
pub(crate) fn at_line(mut d: Diagnostic, shown: &Path, text: &str, line: usize, start: usize, offset: usize) -> Diagnostic {
    let offset = floor_boundary(text, offset.min(text.len()));
    let start = floor_boundary(text, start.min(offset));
    let between = &text[start..offset];
    let line = line + memchr::memchr_iter(b'\n', between.as_bytes()).count();
    let line_start = memchr::memrchr(b'\n', &text.as_bytes()[..offset]).map_or(0, |i| i + 1);
    let column = text[line_start..offset].chars().count() + 1;
    let line_end = memchr::memchr(b'\n', &text.as_bytes()[offset..]).map_or(text.len(), |n| offset + n);
    d.source_line = Some(text[line_start..line_end].trim_end_matches('\r').to_owned());
    d.at(crate::diag::Location::at(shown, line, column))
}

/// A diagnostic at field `i` of `record`.
pub(crate) fn at_field(d: Diagnostic, shown: &Path, text: &str, record: &Record, sep: u8, i: usize) -> Diagnostic {
    let offset = field_offset(text, record, sep, i);
    at_line(d, shown, text, record.line, record.start, offset)
}

fn floor_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(text: &str, sep: u8) -> Result<Vec<(usize, Vec<String>)>, Diagnostic> {
        let mut out = Vec::new();
        for_each_record(text, sep, Path::new("t.csv"), |r| {
            out.push((r.line, (0..r.len()).map(|i| r.get(i).to_owned()).collect()));
        })?;
        Ok(out)
    }

    #[test]
    fn quotes_escapes_line_breaks_and_crlf() {
        let got = records("a;b\r\n\"x;y\";\"say \"\"hi\"\"\"\r\n# note\r\n\r\n\"two\nlines\";3\r\nlast;4", b';').unwrap();
        let want: Vec<(usize, Vec<String>)> = vec![
            (1, vec!["a".into(), "b".into()]),
            (2, vec!["x;y".into(), "say \"hi\"".into()]),
            (5, vec!["two\nlines".into(), "3".into()]),
            (7, vec!["last".into(), "4".into()]),
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn an_unterminated_quote_is_located_at_its_opening() {
        let d = records("a,b\n1,2\n3,\"open\n4,5\n", b',').unwrap_err();
        assert_eq!(d.code, Code::CsvSyntax);
        let loc = d.location.unwrap();
        assert_eq!((loc.line, loc.column), (Some(3), Some(3)));
    }

    #[test]
    fn fields_are_located_in_records_that_span_lines() {
        let text = "h1,h2,h3\n\"a\nb\",\"c\",d\n";
        let mut offsets = Vec::new();
        for_each_record(text, b',', Path::new("t.csv"), |r| {
            offsets.push((0..4).map(|i| field_offset(text, r, b',', i)).collect::<Vec<_>>());
        })
        .unwrap();
        assert_eq!(offsets[1], [9, 15, 19, 20]);
        let mut col = None;
        for_each_record(text, b',', Path::new("t.csv"), |r| {
            if r.line == 2 {
                let d = at_field(Diagnostic::error(Code::CsvSyntax, "x"), Path::new("t.csv"), text, r, b',', 2);
                col = d.location.map(|l| (l.line, l.column));
            }
        })
        .unwrap();
        assert_eq!(col, Some((Some(3), Some(8))));
    }

    #[test]
    fn values_are_spanned_inside_their_own_field() {
        // Field 1 is quoted with spaces; field 2 repeats field 1's value; field 3 escapes a quote.
        let text = "h\nx,\" ab \",ab,\"a\"\"b\"\n";
        let mut spans = Vec::new();
        let mut fields = Fields::new();
        for_each_record(text, b',', Path::new("t.csv"), |r| {
            fields.locate(text, r, b',');
            spans.push((0..r.len()).map(|i| fields.span(text, i, r.get(i).trim())).collect::<Vec<_>>());
        })
        .unwrap();
        let row = &spans[1];
        assert_eq!(&text[row[0].clone()], "x");
        assert_eq!(&text[row[1].clone()], "ab");
        assert_eq!(row[1].start, 6);
        assert_eq!(row[2].start, 11, "the value of field 2, not field 1's");
        // `a"b` is not in the field's text as written: the field's start.
        assert_eq!(row[3].start, 14);
        // Unquoted, after spaces, and empty.
        let text = "h\n  x , ,  yx y\n";
        let mut spans = Vec::new();
        for_each_record(text, b',', Path::new("t.csv"), |r| {
            fields.locate(text, r, b',');
            spans.push((0..r.len()).map(|i| fields.span(text, i, r.get(i).trim())).collect::<Vec<_>>());
        })
        .unwrap();
        assert_eq!(spans[1], [4..5, 7..7, 11..15]);
    }

    #[test]
    fn encodings_and_byte_order_marks() {
        let p = Path::new("t.csv");
        assert_eq!(decode(p, b"\xEF\xBB\xBFa,b".to_vec(), Encoding::Utf8, UTF8_FIX).unwrap(), "a,b");
        // "Sở" in Windows-1258: S, o with horn (0xF5), combining hook above (0xD2).
        assert_eq!(decode(p, b"S\xF5\xD2".to_vec(), Encoding::Windows1258, UTF8_FIX).unwrap(), "Sở");
        let d = decode(p, b"a,b\nS\xF5\xD2,1\n".to_vec(), Encoding::Utf8, UTF8_FIX).unwrap_err();
        assert_eq!(d.code, Code::Encoding);
        assert_eq!(d.location.map(|l| (l.line, l.column)), Some((Some(2), Some(2))));
        let d = decode(p, "a,b\n\u{feff}c,d\n".as_bytes().to_vec(), Encoding::Utf8, UTF8_FIX).unwrap_err();
        assert_eq!(d.location.map(|l| (l.line, l.column)), Some((Some(2), Some(1))));
    }
}
