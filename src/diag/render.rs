//! Rendering diagnostics as text, with the lines of the files they point at.
//!
//! [`render`] is the one renderer every front end calls: errors first, then
//! warnings; each as `severity[CODE]: message`, `--> file:line:col`, the
//! source line with the whole span underlined, secondary labels with their
//! messages, then notes for the unit, the criterion and the help. A run of
//! warnings of one code and one message shape is cut after a few examples
//! ("… and 17 more like this"), and a closing line counts errors and
//! warnings. The layout is codespan-reporting's, in plain ASCII; colour only
//! when asked for (a terminal).

use std::ops::Range;

use codespan_reporting::diagnostic as cs;
use codespan_reporting::files::{Error as FilesError, Files};
use codespan_reporting::term;

use crate::diag::{Diagnostic, Diagnostics, Location, Severity};
use crate::lang::{Lang, Text};
use crate::source::map::{FileId, SourceMap};

/// How [`render`] shows diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RenderOptions {
    /// ANSI colours (for a terminal).
    pub colour: bool,
    /// How many warnings of one code and message shape are shown before
    /// the rest are counted ("… and 17 more like this"); 0 shows all.
    pub examples: usize,
    /// End with the line `N errors, M warnings`.
    pub totals: bool,
    /// The language of the frame: the severity word, a title per code, the
    /// unit, criterion and help notes and the totals. Messages stay as
    /// written and codes are never translated.
    pub lang: Lang,
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions { colour: false, examples: 3, totals: true, lang: Lang::En }
    }
}

/// Every diagnostic of `diags` as text, with the lines of the files of
/// `map` (a file not in the map is named without its line).
pub fn render(diags: &Diagnostics, map: &SourceMap, opts: RenderOptions) -> String {
    let mut blocks: Vec<String> = diags.iter().filter(|d| d.is_error()).map(|d| render_one(d, map, opts.colour, opts.lang)).collect();
    // Warnings grouped by code and message shape, in order of first appearance.
    let mut groups: Vec<((crate::diag::Code, String), Vec<&Diagnostic>)> = Vec::new();
    for d in diags.iter().filter(|d| !d.is_error()) {
        let key = (d.code, shape(&d.message));
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => v.push(d),
            None => groups.push((key, vec![d])),
        }
    }
    for (_, group) in &groups {
        // Cutting one would say no more than showing it.
        let shown = if opts.examples == 0 || group.len() <= opts.examples + 1 { group.len() } else { opts.examples };
        blocks.extend(group[..shown].iter().map(|d| render_one(d, map, opts.colour, opts.lang)));
        if shown < group.len() {
            if let Some(last) = blocks.last_mut() {
                let more = group.len() - shown;
                last.push_str(&match opts.lang {
                    Lang::En => format!("\n… and {more} more like this"),
                    Lang::Vi => format!("\n… và {more} cảnh báo tương tự"),
                });
            }
        }
    }
    let mut out = blocks.join("\n\n");
    if !out.is_empty() {
        out.push('\n');
    }
    if opts.totals {
        let errors = diags.errors().count();
        out.push_str(&crate::diag::totals(errors, diags.len() - errors, opts.lang));
        out.push('\n');
    }
    out
}

/// The shape of a message: names in backticks, parenthesised text and
/// numbers left out, so "unit `a` (A) is missing from table `t`" and "unit
/// `b` (B) is missing from table `t`" are alike.
fn shape(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut chars = message.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '`' | '(' => {
                let close = if c == '`' { '`' } else { ')' };
                for x in chars.by_ref() {
                    if x == close {
                        break;
                    }
                }
                out.push(c);
                out.push(close);
            }
            c if c.is_ascii_digit() => {
                while chars.peek().is_some_and(|x| x.is_ascii_digit() || *x == '.' || *x == ',') {
                    chars.next();
                }
                out.push('#');
            }
            c => out.push(c),
        }
    }
    out
}

/// The files of a source map as codespan-reporting reads them.
struct MapFiles<'a>(&'a SourceMap);

impl<'a> Files<'a> for MapFiles<'a> {
    type FileId = FileId;
    type Name = String;
    type Source = &'a str;

    fn name(&'a self, id: FileId) -> Result<String, FilesError> {
        self.0.get(id).map(|f| f.path.display().to_string()).ok_or(FilesError::FileMissing)
    }

    fn source(&'a self, id: FileId) -> Result<&'a str, FilesError> {
        self.0.get(id).map(|f| f.text.as_str()).ok_or(FilesError::FileMissing)
    }

    fn line_index(&'a self, id: FileId, byte_index: usize) -> Result<usize, FilesError> {
        self.0.get(id).map(|f| f.lines().line_index(byte_index)).ok_or(FilesError::FileMissing)
    }

    fn line_range(&'a self, id: FileId, line_index: usize) -> Result<Range<usize>, FilesError> {
        let f = self.0.get(id).ok_or(FilesError::FileMissing)?;
        let lines = f.lines();
        let too_large = || FilesError::LineTooLarge { given: line_index, max: lines.lines().saturating_sub(1) };
        let start = lines.line_start(line_index).ok_or_else(too_large)?;
        let end = lines.line_start(line_index + 1).ok_or_else(too_large)?;
        Ok(start..end)
    }
}

/// The file and byte range of a location in `map`, when its file is there.
fn place(loc: &Location, span: Option<crate::diag::Span>, map: &SourceMap) -> Option<(FileId, Range<usize>)> {
    let id = map.id(&loc.file)?;
    let mut loc = loc.clone();
    if loc.span.is_none() {
        loc.span = span;
    }
    loc.resolve(map);
    let s = loc.span?;
    let len = map.get(id)?.text.len();
    Some((id, s.start.min(len)..s.end.min(len)))
}

/// The notes under a diagnostic: unit and criterion, then the help.
fn notes(d: &Diagnostic, lang: Lang) -> Vec<String> {
    let (unit, criterion, help) = (Text::DiagUnit.get(lang), Text::DiagCriterion.get(lang), Text::DiagHelp.get(lang));
    let mut out = Vec::new();
    match (&d.unit, &d.criterion) {
        (Some(u), Some(c)) => out.push(format!("{unit} `{u}`, {criterion} `{c}`")),
        (Some(u), None) => out.push(format!("{unit} `{u}`")),
        (None, Some(c)) => out.push(format!("{criterion} `{c}`")),
        (None, None) => {}
    }
    if let Some(h) = &d.help {
        out.push(format!("{help}: {h}"));
    }
    out
}

/// The head of a diagnostic in English (`error[CODE]: `, as
/// codespan-reporting writes it) and in `lang`: in Vietnamese the severity
/// word is translated and the code's title follows the code.
fn heads(d: &Diagnostic, lang: Lang) -> (String, String) {
    let english = match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let written = format!("{english}[{}]: ", d.code);
    let word = match d.severity {
        Severity::Error => Text::Error.get(lang),
        Severity::Warning => Text::Warning.get(lang),
    };
    let shown = match lang {
        Lang::En => written.clone(),
        Lang::Vi => format!("{word}[{}] ({}): ", d.code, crate::diag::title(d.code, lang)),
    };
    (written, shown)
}

fn config() -> term::Config {
    term::Config { chars: term::Chars::ascii(), ..term::Config::default() }
}

/// One diagnostic as text, without a final line break.
pub(crate) fn render_one(d: &Diagnostic, map: &SourceMap, colour: bool, lang: Lang) -> String {
    let primary = d.location.as_ref().and_then(|l| place(l, d.span, map));
    let Some((file, range)) = primary else { return render_plain(d, lang) };
    let mut labels = vec![cs::Label::primary(file, range)];
    let mut label_notes = Vec::new();
    for l in &d.labels {
        match place(&l.location, l.span, map) {
            Some((f, r)) => labels.push(cs::Label::secondary(f, r).with_message(&l.message)),
            None => label_notes.push(format!("{}: {}", l.location.display(), l.message)),
        }
    }
    let severity = match d.severity {
        Severity::Error => cs::Severity::Error,
        Severity::Warning => cs::Severity::Warning,
    };
    let diagnostic = cs::Diagnostic::new(severity)
        .with_code(d.code.as_str())
        .with_message(&d.message)
        .with_labels(labels)
        .with_notes(label_notes.into_iter().chain(notes(d, lang)).collect());
    let files = MapFiles(map);
    let text = if colour { emit_coloured(&files, &diagnostic) } else { term::emit_into_string(&config(), &files, &diagnostic).ok() };
    match text {
        Some(t) if lang == Lang::En => t.trim_end().to_string(),
        Some(t) => {
            let (written, shown) = heads(d, lang);
            t.trim_end().replacen(&written, &shown, 1)
        }
        None => render_plain(d, lang),
    }
}

fn emit_coloured(files: &MapFiles<'_>, diagnostic: &cs::Diagnostic<FileId>) -> Option<String> {
    use term::termcolor::Buffer;
    let mut buffer = Buffer::ansi();
    let styles = term::Styles::default();
    let mut writer = term::StylesWriter::new(&mut buffer, &styles);
    term::emit_to_write_style(&mut writer, &config(), files, diagnostic).ok()?;
    String::from_utf8(buffer.into_inner()).ok()
}

/// A diagnostic whose file is not at hand: its place, and its line when
/// the diagnostic kept it.
pub(crate) fn render_plain(d: &Diagnostic, lang: Lang) -> String {
    use std::fmt::Write as _;
    let (_, head) = heads(d, lang);
    let mut f = format!("{head}{}", d.message);
    if let Some(loc) = &d.location {
        let _ = write!(f, "\n  --> {}", loc.display());
        if let (Some(l), Some(c), Some(src)) = (loc.line, loc.column, &d.source_line) {
            let gutter = l.to_string().len();
            let width = d.span.map_or(1, |s| {
                let start = src.char_indices().nth(c - 1).map_or(src.len(), |(i, _)| i);
                src[start..].chars().take(s.end.saturating_sub(s.start)).count().max(1)
            });
            let _ = write!(f, "\n{:gutter$} |\n{l} | {src}\n{:gutter$} | {:>c$}{}", "", "", "^", "^".repeat(width - 1));
        }
    }
    for l in &d.labels {
        let _ = write!(f, "\n  = {}: {}", l.location.display(), l.message);
    }
    for n in notes(d, lang) {
        let _ = write!(f, "\n  = {n}");
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Code;

    fn map() -> SourceMap {
        let mut m = SourceMap::new();
        m.add_text("fixtures/2023/scores.toml", "[so-tttt]\n\"1\" = 14.31\n\"2\" = 3\n");
        m.add_text("criteria/2023/tree/01.toml", "[[node]]\nid = \"1\"\nmax = 13.5\n");
        m
    }

    #[test]
    fn a_span_is_underlined_whole_with_its_line() {
        let d = Diagnostic::error(Code::ScoreAboveMax, "too many points")
            .span("fixtures/2023/scores.toml", 16..21)
            .label("criteria/2023/tree/01.toml", 24..28, "its maximum")
            .unit("so-tttt")
            .criterion("1");
        let text = render(&Diagnostics(vec![d]), &map(), RenderOptions::default());
        assert!(text.contains("--> fixtures/2023/scores.toml:2:7"), "{text}");
        assert!(text.contains("2 | \"1\" = 14.31\n  |       ^^^^^"), "{text}");
        assert!(text.contains("criteria/2023/tree/01.toml:3:7"), "{text}");
        assert!(text.contains("---- its maximum"), "{text}");
        assert!(text.contains("= unit `so-tttt`, criterion `1`"), "{text}");
        assert!(text.ends_with("1 errors, 0 warnings\n"), "{text}");
        assert!(!text.contains('\u{1b}'), "no colour unless asked: {text}");
        let coloured = render(
            &Diagnostics(vec![Diagnostic::error(Code::Io, "x").span("fixtures/2023/scores.toml", 0..1)]),
            &map(),
            RenderOptions { colour: true, ..RenderOptions::default() },
        );
        assert!(coloured.contains('\u{1b}'), "{coloured}");
    }

    #[test]
    fn errors_come_first_and_a_run_of_warnings_is_counted() {
        let mut diags = Diagnostics::default();
        for u in 0..20 {
            diags.push(
                Diagnostic::warning(Code::UnmatchedName, format!("unit `u{u}` (Unit {u}) is missing from table `portal`")).in_file("x.csv"),
            );
        }
        diags.push(Diagnostic::warning(Code::CheckFailed, "check `range` fails").in_file("y.toml"));
        diags.push(Diagnostic::error(Code::BadValue, "bad").at(Location::at("fixtures/2023/scores.toml", 3, 7)));
        let text = render(&diags, &map(), RenderOptions::default());
        assert!(text.starts_with("error[BAD_VALUE]: bad\n  --> fixtures/2023/scores.toml:3:7"), "{text}");
        assert!(text.contains("3 | \"2\" = 3\n  |       ^"), "{text}");
        assert_eq!(text.matches("warning[UNMATCHED_NAME]").count(), 3, "{text}");
        assert!(text.contains("… and 17 more like this"), "{text}");
        assert!(text.contains("warning[CHECK_FAILED]"), "{text}");
        assert!(text.ends_with("1 errors, 21 warnings\n"), "{text}");
        let all = render(&diags, &map(), RenderOptions { examples: 0, ..RenderOptions::default() });
        assert_eq!(all.matches("warning[UNMATCHED_NAME]").count(), 20);
    }

    #[test]
    fn without_the_file_the_place_and_kept_line_are_shown() {
        let src = "a = 1\nb = \"wrong\"\n";
        let d = Diagnostic::error(Code::BadValue, "bad").at_offset(std::path::Path::new("a.toml"), src, 10);
        let text = d.to_string();
        assert!(text.contains("--> a.toml:2:5"), "{text}");
        assert!(text.contains("2 | b = \"wrong\"\n  |     ^^^^^^^"), "{text}");
    }

    #[test]
    fn a_span_over_lines_and_past_the_end_still_renders() {
        let d = Diagnostic::error(Code::BadValue, "over lines").span("fixtures/2023/scores.toml", 2..14);
        let text = render(&Diagnostics(vec![d]), &map(), RenderOptions::default());
        assert!(text.contains("--> fixtures/2023/scores.toml:1:3"), "{text}");
        let d = Diagnostic::error(Code::BadValue, "past the end").span("fixtures/2023/scores.toml", 900..990);
        let text = render(&Diagnostics(vec![d]), &map(), RenderOptions::default());
        assert!(text.contains("past the end"), "{text}");
        let d = Diagnostic::error(Code::BadValue, "no such line").at(Location::at("fixtures/2023/scores.toml", 99, 1));
        let text = render(&Diagnostics(vec![d]), &map(), RenderOptions::default());
        assert!(text.contains("--> fixtures/2023/scores.toml:99:1"), "{text}");
    }

    #[test]
    fn message_shapes() {
        assert_eq!(shape("unit `so-tc` (Sở Tài chính) is missing"), shape("unit `so-yt` (Sở Y tế) is missing"));
        assert_eq!(shape("row 12: 3.5% off"), shape("row 7: 10% off"));
        assert_ne!(shape("check `range` fails"), shape("check `range` holds"));
    }
}
