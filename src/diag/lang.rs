//! Diagnostics in the interface's language: a title per [`Code`] and the
//! frame of the text rendering (severity word, the unit, criterion and help
//! labels, the closing totals). Messages themselves stay as written; codes
//! are never translated. In English the frame is the `Display` one, byte for
//! byte.

use std::fmt::Write as _;

use super::{Code, Diagnostic, Diagnostics, Severity};
use crate::lang::{Lang, Text};

/// A short title of a kind of problem, in `lang`.
pub fn title(code: Code, lang: Lang) -> &'static str {
    let (vi, en) = match code {
        Code::Io => ("không đọc được tệp", "a file could not be read"),
        Code::TomlSyntax => ("tệp TOML sai cú pháp hoặc sai khóa", "TOML syntax or key error"),
        Code::CsvSyntax => ("tệp CSV sai định dạng", "malformed CSV"),
        Code::UnknownCriterion => ("tiêu chí không tồn tại", "unknown criterion"),
        Code::UnknownUnit => ("đơn vị không tồn tại", "unknown unit"),
        Code::UnknownReference => ("tham chiếu không tồn tại", "unknown reference"),
        Code::Duplicate => ("khai báo trùng", "declared twice"),
        Code::OrphanCriterion => ("tiêu chí không có tiêu chí cha", "criterion without its parent"),
        Code::ScoreAboveMax => ("điểm vượt điểm tối đa", "points above the maximum"),
        Code::ScoreBelowZero => ("điểm âm", "points below zero"),
        Code::MissingData => ("thiếu số liệu", "missing data"),
        Code::BadValue => ("giá trị không dùng được", "unusable value"),
        Code::AmbiguousNumber => ("số viết không rõ định dạng", "ambiguous number"),
        Code::ScriptCompile => ("tệp quy tắc không biên dịch được", "rule script does not compile"),
        Code::ScriptRuntime => ("tệp quy tắc lỗi khi chạy", "rule script failed"),
        Code::ScriptNotNumber => ("quy tắc không trả về số", "rule did not return a number"),
        Code::GroupMembership => ("đơn vị không thuộc đúng một nhóm xếp hạng", "ranking group membership"),
        Code::BadMaximum => ("điểm tối đa khai báo không nhất quán", "inconsistent maximum"),
        Code::CheckFailed => ("kiểm tra số liệu không đạt", "consistency check failed"),
        Code::UnmatchedName => ("tên không khớp đơn vị nào", "unmatched name"),
        Code::BadTarget => ("chỉ tiêu khai báo sai", "malformed target"),
        Code::ExpectationFailed => ("kết quả mong đợi không đúng", "expectation failed"),
        // Codes added later show their code until they are given a title.
        #[allow(unreachable_patterns)]
        _ => (code.as_str(), code.as_str()),
    };
    match lang {
        Lang::Vi => vi,
        Lang::En => en,
    }
}

/// One diagnostic as text in `lang`: in English exactly its `Display`; in
/// Vietnamese the same frame with the severity, title and labels translated.
pub fn render(d: &Diagnostic, lang: Lang) -> String {
    if lang == Lang::En {
        return d.to_string();
    }
    let t = |x: Text| x.get(lang);
    let sev = match d.severity {
        Severity::Error => t(Text::Error),
        Severity::Warning => t(Text::Warning),
    };
    let mut f = String::new();
    let _ = write!(f, "{sev}[{}] ({}): {}", d.code, title(d.code, lang), d.message);
    if let Some(loc) = &d.location {
        let _ = write!(f, "\n  --> {}", loc.file.display());
        if let (Some(l), Some(c)) = (loc.line, loc.column) {
            let _ = write!(f, ":{l}:{c}");
            if let Some(src) = &d.source_line {
                let gutter = l.to_string().len();
                let _ = write!(f, "\n{:gutter$} |\n{l} | {src}\n{:gutter$} | {:>c$}", "", "", "^");
            }
        }
    }
    let (unit, criterion) = (t(Text::DiagUnit), t(Text::DiagCriterion));
    match (&d.unit, &d.criterion) {
        (Some(u), Some(c)) => {
            let _ = write!(f, "\n  = {unit} `{u}`, {criterion} `{c}`");
        }
        (Some(u), None) => {
            let _ = write!(f, "\n  = {unit} `{u}`");
        }
        (None, Some(c)) => {
            let _ = write!(f, "\n  = {criterion} `{c}`");
        }
        (None, None) => {}
    }
    if let Some(h) = &d.help {
        let _ = write!(f, "\n  = {}: {h}", t(Text::DiagHelp));
    }
    f
}

/// Every diagnostic as [`Diagnostics`]' `Display` lays them out, in `lang`.
pub fn render_all(diags: &Diagnostics, lang: Lang) -> String {
    if lang == Lang::En {
        return diags.to_string();
    }
    let mut out = String::new();
    for (i, d) in diags.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let _ = writeln!(out, "{}", render(d, lang));
    }
    out
}

/// The closing line of `check`: `2 errors, 1 warnings` / `2 lỗi, 1 cảnh báo`.
pub fn totals(errors: usize, warnings: usize, lang: Lang) -> String {
    format!("{errors} {}, {warnings} {}", Text::Errors.get(lang), Text::Warnings.get(lang))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Location;

    fn sample() -> Diagnostic {
        let mut d = Diagnostic::error(Code::ScoreAboveMax, "points 12 above the maximum 10")
            .at(Location::at("criteria/2023/tree/8.toml", 4, 7))
            .unit("so-tttt")
            .criterion("8.2")
            .help("lower the points");
        d.source_line = Some("max = 10".into());
        d
    }

    #[test]
    fn english_is_the_display_frame() {
        let d = sample();
        assert_eq!(render(&d, Lang::En), d.to_string());
    }

    #[test]
    fn vietnamese_translates_the_frame_not_the_code() {
        let text = render(&sample(), Lang::Vi);
        assert!(text.starts_with("lỗi[SCORE_ABOVE_MAX] (điểm vượt điểm tối đa): "), "{text}");
        assert!(text.contains("= đơn vị `so-tttt`, tiêu chí `8.2`"), "{text}");
        assert!(text.contains("= gợi ý: lower the points"), "{text}");
        assert!(text.contains("--> criteria/2023/tree/8.toml:4:7"), "{text}");
    }
}
