//! Raw file formats of the scoring round: the units' self-assessment, the
//! council's appraisal rounds and the survey's questionnaires, as serde
//! reads them, unchecked (see [`raw`](crate::input::raw) for the rest).
//!
//! | file | holds |
//! |---|---|
//! | `fixtures/<year>/self-assessment.toml` | per unit and criterion: the unit's points, its evidence, its note |
//! | `fixtures/<year>/rounds.toml` | the year's settings and reason codes; per round the council's cuts and the units' explanations |
//! | `fixtures/<year>/survey.toml` | the questionnaire: questions, weights, answer options, questionnaires sent |
//! | `fixtures/<year>/survey/answers.csv` | one row per questionnaire returned: the unit and the option chosen per question |

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;
use toml::Spanned;

use crate::input::raw::Dec;
use crate::input::round::Rounding;

/// `fixtures/<year>/self-assessment.toml`: `[<unit id>] "<criterion or part id>" = { points = …, evidence = […], note = "…" }`.
pub type RawSelfFile = BTreeMap<Spanned<String>, BTreeMap<Spanned<String>, Spanned<RawSelfEntry>>>;

/// A unit's self-assessment of one criterion.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawSelfEntry {
    /// The points the unit gives itself.
    #[schemars(with = "Dec")]
    pub points: Spanned<Dec>,
    /// The evidence documents (tài liệu kiểm chứng) the points rest on.
    #[serde(default)]
    pub evidence: Vec<RawEvidence>,
    /// The unit's note.
    #[serde(default)]
    pub note: Option<String>,
}

/// One evidence document: its number, date and title, and where it is (a file or a link).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawEvidence {
    /// The document's number (số hiệu), e.g. `12/KH-STTTT`.
    pub number: String,
    /// The document's date, `YYYY-MM-DD`.
    #[schemars(with = "String")]
    pub date: Spanned<String>,
    pub title: String,
    /// The file as sent with the self-assessment report.
    #[serde(default)]
    pub file: Option<String>,
    /// A link to the document.
    #[serde(default)]
    pub link: Option<String>,
}

/// `fixtures/<year>/rounds.toml`: the appraisal rounds of the year.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawRoundsFile {
    pub appraisal: RawAppraisalSettings,
    /// The reasons a cut may give, by code.
    #[serde(default)]
    pub reason: Vec<RawReason>,
    /// The rounds, in order; the last one's points are the council's points of `scores.toml`.
    #[serde(default)]
    pub round: Vec<RawRound>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawAppraisalSettings {
    /// Whether every self-score above 0 must name at least one evidence document.
    #[serde(default)]
    pub evidence_required: bool,
    /// The council's report lists units whose self-assessed total exceeds the final one by more than this.
    #[schemars(with = "Dec")]
    pub margin: Spanned<Dec>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawReason {
    #[schemars(with = "String")]
    pub code: Spanned<String>,
    pub title: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawRound {
    /// 1, 2, …: the rounds in order.
    #[schemars(with = "u32")]
    pub id: Spanned<u32>,
    /// First day, `YYYY-MM-DD`.
    #[schemars(with = "String")]
    pub from: Spanned<String>,
    /// Last day, `YYYY-MM-DD`.
    #[schemars(with = "String")]
    pub to: Spanned<String>,
    /// The council's points where they differ from the self-score.
    #[serde(default)]
    pub cut: Vec<RawCut>,
    /// The units' explanations of this round's cuts, and the next round's decision on each.
    #[serde(default)]
    pub explanation: Vec<RawExplanation>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawCut {
    #[schemars(with = "String")]
    pub unit: Spanned<String>,
    #[schemars(with = "String")]
    pub criterion: Spanned<String>,
    #[schemars(with = "Dec")]
    pub points: Spanned<Dec>,
    /// A reason code of `[[reason]]`; required when the points are below the self-score.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub reason: Option<Spanned<String>>,
    /// The council's words.
    #[serde(default)]
    pub text: Option<String>,
}

/// The next round's decision on an explanation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RawDecision {
    /// The explanation is accepted: the self-score is restored.
    Accepted,
    /// Accepted in part: some points are restored.
    Partly,
    /// Rejected: the cut stands.
    Rejected,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawExplanation {
    #[schemars(with = "String")]
    pub unit: Spanned<String>,
    #[schemars(with = "String")]
    pub criterion: Spanned<String>,
    /// The unit's explanation (giải trình).
    pub text: String,
    /// The next round's decision; none yet: pending.
    #[serde(default)]
    #[schemars(with = "Option<RawDecision>")]
    pub decision: Option<Spanned<RawDecision>>,
}

/// `fixtures/<year>/survey.toml`: the sociological survey's questionnaire.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawSurveyFile {
    pub survey: RawSurveyMeta,
    #[serde(default)]
    pub question: Vec<RawQuestion>,
    /// Questionnaires sent, per unit id.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, u32>")]
    pub sent: BTreeMap<Spanned<String>, Spanned<u32>>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawSurveyMeta {
    /// The criterion (or part) the survey scores, e.g. `8.1`.
    #[schemars(with = "String")]
    pub criterion: Spanned<String>,
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
    /// The CSV of answers, relative to `fixtures/<year>/`.
    #[schemars(with = "String")]
    pub answers: Spanned<String>,
    /// A unit with fewer questionnaires returned is reported.
    pub min_responses: u32,
    /// Rounding of each unit's survey points.
    pub points: Rounding,
    /// Rounding of response rates (the report truncates: 94.62%).
    pub rate: Rounding,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawQuestion {
    /// The question's id, also the column of the answers CSV (the sub-criterion it measures, e.g. `8.1.1`).
    #[schemars(with = "String")]
    pub id: Spanned<String>,
    pub text: String,
    /// Points of the question: a unit whose every respondent chose the first option gets them all.
    #[schemars(with = "Dec")]
    pub weight: Spanned<Dec>,
    /// The coefficient of each answer option (option 1 first), between 0 and 1.
    #[schemars(with = "Vec<Dec>")]
    pub options: Vec<Spanned<Dec>>,
}
