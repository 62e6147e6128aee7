//! Diagnostics in the interface's language: a title per [`Code`] and the
//! frame of the text rendering (severity word, the unit, criterion and help
//! labels, the closing totals). Messages themselves stay as written; codes
//! are never translated. The renderer (`render.rs`) lays the frame out in
//! the language of its options; in English it is the `Display` one.

use super::Code;
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
        Code::PointsNotEvaluated => ("chấm điểm ở tiêu chí đơn vị không được đánh giá", "points where the unit is not evaluated"),
        Code::OverlappingPoints => ("chấm điểm cả tiêu chí và tiêu chí con", "points at a criterion and at its sub-criteria"),
        Code::RedundantExemption => ("miễn đánh giá không thay đổi gì", "an exemption that changes nothing"),
        Code::WrongYear => ("số liệu không đúng năm", "results of the wrong year"),
        Code::NoPrevious => ("không có kết quả năm trước", "no results of the previous year"),
        Code::NoExpectations => ("không có kết quả mong đợi để kiểm tra", "no expectations to check"),
        Code::ScriptImport => ("tệp quy tắc nạp tệp khác", "rule script imports a file"),
        Code::RuleParam => ("tham số quy tắc sai", "malformed rule parameter"),
        Code::ScriptOverflow => ("phép tính vượt giới hạn số", "arithmetic overflow"),
        Code::PublishedStatementFails => ("số liệu công bố không khớp", "a published statement does not hold"),
        Code::SealedYearChanged => ("tệp của năm đã lưu trữ bị thay đổi", "a file of a sealed year changed"),
        Code::Encoding => ("tệp không đúng bảng mã", "text not in its declared encoding"),
        Code::WorkbookShape => ("bảng tính không đúng mẫu", "workbook not in the template's shape"),
        Code::CutWithoutReason => ("trừ điểm không nêu lý do", "points cut without a reason"),
        Code::ExplanationNotCut => ("giải trình cho tiêu chí không bị trừ điểm", "an explanation for a criterion not cut"),
        Code::EvidenceMissing => ("tự chấm điểm không có tài liệu kiểm chứng", "self-score without evidence"),
        Code::RoundFinalMismatch => ("điểm vòng thẩm định cuối khác điểm của Hội đồng", "last round differs from the council's points"),
        Code::SurveyFewResponses => ("số phiếu điều tra thu về dưới mức tối thiểu", "too few questionnaires returned"),
        Code::SurveyMismatch => ("điểm điều tra từ phiếu khác điểm đã chấm", "survey points differ from the questionnaires"),
        Code::UnknownRound => ("vòng thẩm định không tồn tại", "unknown appraisal round"),
        Code::DecisionNotApplied => ("điểm vòng sau không theo quyết định về giải trình", "next round does not follow its decision"),
        Code::UnreadFile => ("tệp không được đọc", "a file nothing reads"),
        // Codes added later show their code until they are given a title.
        #[allow(unreachable_patterns)]
        _ => (code.as_str(), code.as_str()),
    };
    match lang {
        Lang::Vi => vi,
        Lang::En => en,
    }
}

/// The closing line of `check`: `2 errors, 1 warnings` / `2 lỗi, 1 cảnh báo`.
pub fn totals(errors: usize, warnings: usize, lang: Lang) -> String {
    format!("{errors} {}, {warnings} {}", Text::Errors.get(lang), Text::Warnings.get(lang))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::{render, Diagnostic, Diagnostics, Location, RenderOptions, SourceMap};

    fn sample() -> Diagnostics {
        let mut d = Diagnostic::error(Code::ScoreAboveMax, "points 12 above the maximum 10")
            .at(Location::at("criteria/2023/tree/8.toml", 4, 7))
            .unit("so-tttt")
            .criterion("8.2")
            .help("lower the points");
        d.source_line = Some("max = 10".into());
        Diagnostics(vec![d])
    }

    #[test]
    fn english_is_the_display_frame() {
        let d = sample();
        let text = render(&d, &SourceMap::new(), RenderOptions { totals: false, ..RenderOptions::default() });
        assert_eq!(text.trim_end(), d.0[0].to_string());
    }

    #[test]
    fn vietnamese_translates_the_frame_not_the_code() {
        let text = render(&sample(), &SourceMap::new(), RenderOptions { lang: Lang::Vi, ..RenderOptions::default() });
        assert!(text.starts_with("lỗi[SCORE_ABOVE_MAX] (điểm vượt điểm tối đa): points 12"), "{text}");
        assert!(text.contains("= đơn vị `so-tttt`, tiêu chí `8.2`"), "{text}");
        assert!(text.contains("= gợi ý: lower the points"), "{text}");
        assert!(text.contains("--> criteria/2023/tree/8.toml:4:7"), "{text}");
        assert!(text.ends_with("1 lỗi, 0 cảnh báo\n"), "{text}");
    }
}
