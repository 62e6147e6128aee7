//! Languages: every word the page, the HTML report and the command line's
//! text show, in Vietnamese and English, from one typed catalogue.
//!
//! A [`Text`] names one piece of wording; [`Text::get`] gives it in a
//! [`Lang`]. The match is exhaustive, so a wording missing in one language
//! does not compile. Codes (`SCORE_ABOVE_MAX`, criterion and unit ids) and
//! JSON keys are never translated.

use std::fmt;

/// A language of the interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    /// Tiếng Việt: the default of the page and the HTML report.
    #[default]
    Vi,
    En,
}

impl Lang {
    /// `vi`, `en`, and locale names such as `vi_VN.UTF-8` or `en_US`; `None` for anything else
    /// (`C`, `POSIX`, blank).
    pub fn parse(s: &str) -> Option<Lang> {
        let s = s.trim().to_ascii_lowercase();
        let base = s.split(['_', '-', '.', '@']).next().unwrap_or("");
        match base {
            "vi" => Some(Lang::Vi),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The language the environment asks for: `PARINDEX_LANG`, then `LANG`.
    pub fn from_env() -> Option<Lang> {
        ["PARINDEX_LANG", "LANG"].iter().find_map(|v| std::env::var(v).ok().and_then(|s| Lang::parse(&s)))
    }

    /// The code used in `<html lang>` and `--lang`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

macro_rules! catalogue {
    ($($name:ident => $vi:literal, $en:literal;)*) => {
        /// One piece of wording of the interface.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Text {
            $($name,)*
        }

        impl Text {
            /// The wording in `lang`.
            pub fn get(self, lang: Lang) -> &'static str {
                match (self, lang) {
                    $((Text::$name, Lang::Vi) => $vi, (Text::$name, Lang::En) => $en,)*
                }
            }

            /// Every wording, for tests of the catalogue.
            pub const ALL: &'static [Text] = &[$(Text::$name,)*];
        }
    };
}

catalogue! {
    // The page and the HTML report.
    AppTitle => "Chỉ số cải cách hành chính", "Public Administration Reform index";
    NavTables => "Bảng xếp hạng", "Rankings";
    NavTargets => "Chỉ tiêu", "Targets";
    NavChanges => "Thay đổi", "Changes";
    NavDiff => "So sánh năm", "Compare years";
    Table => "Biểu", "Table";
    Rank => "Thứ hạng", "Rank";
    Stt => "STT", "No.";
    Unit => "Đơn vị", "Unit";
    TotalScore => "Tổng điểm", "Total";
    Scale => "Thang điểm", "Scale";
    IndexPercent => "Chỉ số %", "Index %";
    IndexChange => "Tăng/giảm chỉ số", "Index change";
    RankChange => "Tăng/giảm thứ hạng", "Rank change";
    NotEvaluated => "Không đánh giá", "Not evaluated";
    Average => "Chỉ số trung bình", "Average index";
    UnitsCount => "đơn vị", "units";
    Fingerprint => "Dấu vân tay", "Fingerprint";
    RuleSetGeneration => "bộ quy tắc số", "rule set";
    LoadedAt => "nạp lúc", "loaded at";
    SortHint => "Bấm vào tiêu đề cột để sắp xếp", "Click a column heading to sort";
    ComponentIndices => "Chỉ số thành phần", "Component indices";
    Criterion => "Tiêu chí", "Criterion";
    Maximum => "Điểm tối đa", "Maximum";
    Points => "Điểm đạt", "Points";
    Source => "Nguồn điểm", "Where the points come from";
    Awarded => "Hội đồng chấm", "Awarded";
    AwardedAt => "chấm tại", "awarded at";
    ScoredByRule => "Tính theo quy tắc", "Scored by rule";
    SumOfChildren => "Tổng các tiêu chí con", "Sum of its sub-criteria";
    CoveredBy => "Đã tính trong điểm chấm ở", "Included in the points awarded at";
    NoData => "Không có số liệu", "No data";
    Exempt => "Không đánh giá", "Not evaluated";
    WithParent => "cùng tiêu chí cha", "with its parent";
    Exemption => "Miễn đánh giá", "Exemption";
    Reason => "lý do", "reason";
    DeclaredAt => "khai báo tại", "declared at";
    Rule => "Quy tắc", "Rule";
    Script => "Tệp quy tắc", "Script";
    Params => "Tham số", "Parameters";
    DataRead => "Số liệu đọc", "Data read";
    RoundedTo => "làm tròn", "rounded";
    LegalBasis => "Căn cứ", "Legal basis";
    CountsTowardsPart => "tính vào phần", "counts towards part";
    Parts => "Các phần điểm", "Parts";
    ScaleFormula => "Thang điểm: tổng điểm tối đa của các chỉ số thành phần được đánh giá", "Scale: sum of the maxima of the evaluated components";
    TotalFormula => "Tổng điểm: tổng điểm các chỉ số thành phần", "Total: sum of the components' points";
    IndexFormula => "Chỉ số", "Index";
    Shown => "công bố", "shown";
    RankInGroup => "Xếp hạng trong nhóm", "Rank in group";
    Of => "trên", "of";
    History => "Lịch sử các năm đã lưu", "History across archived years";
    Year => "Năm", "Year";
    NoHistory => "Chưa có năm nào được lưu (results/*.json)", "No archived years yet (results/*.json)";
    ChangeAgainst => "so với năm", "against";
    UnknownUnitPage => "Không có đơn vị này", "No such unit";
    UnknownPage => "Không có trang này", "No such page";
    BackToTables => "Về bảng xếp hạng", "Back to the rankings";
    // Targets and indicators.
    TargetsOfYear => "Chỉ tiêu năm", "Targets of";
    IndicatorsOfYear => "số liệu năm", "indicator data of";
    Target => "Chỉ tiêu", "Target";
    Threshold => "Mức chỉ tiêu", "Threshold";
    Value => "Giá trị", "Value";
    Gap => "Chênh lệch", "Gap";
    Status => "Kết quả", "Status";
    Met => "đạt", "met";
    NotMet => "không đạt", "not met";
    NoNumericTarget => "không có chỉ tiêu số", "no numeric target";
    NoTargets => "Năm này không có chỉ tiêu (criteria/<năm>/targets.toml)", "No targets for this year (criteria/<year>/targets.toml)";
    IndicatorTables => "Bảng số liệu chỉ tiêu", "Indicator tables";
    Indicator => "Chỉ tiêu thống kê", "Indicator";
    MeasuredOn => "số liệu ngày", "measured on";
    // Changes, diff and diagnostics.
    WhatChanged => "Thay đổi sau lần nạp gần nhất", "What changed at the last reload";
    NothingChangedYet => "Chưa có thay đổi nào kể từ khi mở", "Nothing has changed since the page opened";
    NoChange => "Các tệp đã thay đổi nhưng kết quả không đổi", "Files changed; the results did not";
    Added => "thêm", "added";
    Removed => "bỏ", "removed";
    DiffTitle => "So sánh bộ tiêu chí", "Rule sets compared";
    DiffNone => "Hai bộ tiêu chí giống nhau", "The two rule sets are the same";
    DiffData => "Số liệu năm chấm theo hai bộ tiêu chí", "The data of a year scored under both rule sets";
    DiffChoose => "So sánh với năm", "Compare with year";
    DiffCannotLoad => "Không nạp được bộ tiêu chí năm", "Cannot load the rule set of";
    NotAYear => "không phải là một năm", "is not a year";
    RankMove => "Thay đổi thứ hạng", "Rank move";
    Adjusted => "điều chỉnh", "adjusted";
    RejectedTitle => "Bản sửa bị từ chối: các tệp chưa hợp lệ", "Edit rejected: the files are not valid";
    StillServing => "Vẫn đang dùng bộ quy tắc số", "Still serving rule set";
    Since => "nạp lúc", "loaded at";
    DiagnosticsNone => "Không có lỗi", "No problems";
    Live => "Tự cập nhật khi lưu tệp", "Updates itself when a file is saved";
    Disconnected => "Mất kết nối với máy chủ; đang kết nối lại…", "Lost the server; reconnecting…";
    ReportGenerated => "Báo cáo tạo bởi parindex", "Report made by parindex";
    Page => "Trang", "Page";
    // Diagnostics and the command line's text.
    Error => "lỗi", "error";
    Warning => "cảnh báo", "warning";
    DiagUnit => "đơn vị", "unit";
    DiagCriterion => "tiêu chí", "criterion";
    DiagHelp => "gợi ý", "help";
    Errors => "lỗi", "errors";
    Warnings => "cảnh báo", "warnings";
    RejectedEdit => "bản sửa bị từ chối:", "rejected edit:";
    StillServingAt => "vẫn đang dùng bộ quy tắc nạp lúc", "still serving the rule set loaded at";
    ChangedRuleSet => "thay đổi (bộ quy tắc", "changed (rule set";
    FilesChangedNoResult => "tệp đã thay đổi; kết quả không đổi", "files changed; the results did not";
    WatchError => "lỗi theo dõi", "watch error";
    Watching => "đang theo dõi", "watching";
    CtrlCToStop => "Ctrl-C để dừng", "Ctrl-C to stop";
    RankingGroup => "nhóm xếp hạng", "ranking group";
    ExplainParts => "các phần", "parts";
    ExplainScale => "thang điểm", "scale";
    ExplainTotal => "tổng điểm", "total";
    ExplainIndex => "chỉ số", "index";
    ExplainRank => "thứ hạng", "rank";
    InGroup => "trong nhóm", "in group";
    DiffRuleSets => "bộ tiêu chí", "rule set";
    DiffNoDifferences => "không có khác biệt", "no differences";
    RuleSetHasErrors => "có lỗi", "has errors";
    ServingAt => "parindex đang phục vụ năm", "parindex is serving";
    ServeStop => "Trang tự cập nhật khi các tệp được lưu; Ctrl-C để dừng", "The page updates itself when the files are saved; Ctrl-C to stop";
    CannotServe => "không mở được máy chủ tại", "cannot serve at";
    Wrote => "đã ghi", "wrote";
    CannotWrite => "không ghi được", "cannot write";
    ReplayIdentical => "trùng khớp", "identical";
    ReplayDifferentFrom => "khác với", "different from";
    FingerprintWord => "dấu vân tay", "fingerprint";
    ReplayInputs => "dữ liệu đầu vào", "inputs";
    ReplayInputsChanged => "đã thay đổi", "changed";
    ReplayArchived => "lưu trữ", "archived";
    ReplayRecomputed => "tính lại", "recomputed";
    ReplayDifferences => "khác biệt", "differences";
    ReplayCannotRecompute => "không tính lại được năm này: các tệp của năm có lỗi", "the year cannot be recomputed: its files have errors";
    TestPassed => "đạt", "passed";
    TestFailed => "không đạt", "failed";
    TestCannotBeScored => "không chấm được", "cannot be scored";
    TestCannotRun => "không chạy được các kết quả mong đợi", "the expectations cannot be run";
}

/// A status word of a target (`met`, `not_met`, ...) in `lang`; the code itself when unknown.
pub fn target_status(status: &str, lang: Lang) -> &str {
    match status {
        "met" => Text::Met.get(lang),
        "not_met" => Text::NotMet.get(lang),
        "no_numeric_target" => Text::NoNumericTarget.get(lang),
        "no_data" => Text::NoData.get(lang),
        other => other,
    }
}

/// The title of a list of a rule-set diff's JSON (`added`, `maxima`, ...) in `lang`;
/// a list without a title shows its key.
pub fn diff_section(key: &str, lang: Lang) -> String {
    let (vi, en) = match key {
        "added" => ("tiêu chí thêm", "criteria added"),
        "removed" => ("tiêu chí bỏ", "criteria removed"),
        "renamed" => ("tiêu chí đổi tên", "criteria renamed"),
        "maxima" => ("điểm tối đa và quy tắc thay đổi", "maxima and rules changed"),
        "kinds" => ("loại đơn vị", "unit kinds"),
        "parts" => ("các phần điểm", "parts"),
        "exemptions" => ("miễn đánh giá", "exemptions"),
        "targets" => ("chỉ tiêu", "targets"),
        "rounding" => ("làm tròn", "rounding"),
        "scripts" => ("tệp quy tắc", "rule scripts"),
        other => return other.replace('_', " "),
    };
    match lang {
        Lang::Vi => vi.to_string(),
        Lang::En => en.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_text_has_both_languages() {
        for t in Text::ALL {
            assert!(!t.get(Lang::Vi).is_empty() && !t.get(Lang::En).is_empty(), "{t:?}");
        }
    }

    #[test]
    fn locale_names_choose_a_language() {
        assert_eq!(Lang::parse("vi_VN.UTF-8"), Some(Lang::Vi));
        assert_eq!(Lang::parse("en_US"), Some(Lang::En));
        assert_eq!(Lang::parse("EN"), Some(Lang::En));
        assert_eq!(Lang::parse("C.UTF-8"), None);
        assert_eq!(Lang::parse(""), None);
    }
}
