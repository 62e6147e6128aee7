//! Validate: turn a year's raw files into the checked [`Model`].
//!
//! Every problem is collected with its file, line and column; validation goes
//! on after an error wherever the rest can still be checked, so one `check`
//! run lists everything wrong. What validation proves (ids exist and are
//! unique, every unit is in exactly one group, every leaf has a maximum and a
//! part, maxima add up without overflow, points are awarded once per branch,
//! only where the unit is evaluated and within the maximum, last year's
//! results are of the right year and in range) is not checked again
//! downstream.
//!
//! One constructor per concern, each in its own file, in the order the
//! model is built:
//!
//! | step | file | builds |
//! |---|---|---|
//! | header | `validate/header.rs` | year, legal documents, kinds, parts, scripts |
//! | tree | `validate/tree.rs` | the pre-ordered criteria, maxima summed with checked arithmetic |
//! | units | `validate/units.rs` | units and their ranking groups |
//! | exemptions | `validate/exemptions.rs` | who is not evaluated on what, and exemptions that change nothing |
//! | awarded | `validate/awarded.rs` | the appraisal council's points, with their contradictions |
//! | facts | `validate/facts.rs` | raw facts read by rules |
//! | previous | `validate/previous.rs` | last year's results and the year they are of |
//! | appraisal | `validate/appraisal.rs` | the units' self-assessment and the council's appraisal rounds |
//! | survey | `validate/survey.rs` | the survey's questionnaires, aggregated per unit |

mod appraisal;
mod awarded;
mod exemptions;
mod facts;
mod header;
mod previous;
mod survey;
mod tree;
mod units;

use crate::input::model::PairMap;
use std::cmp::Ordering;
use std::collections::HashMap;

use toml::Spanned;

use crate::diag::{did_you_mean, Code, Diagnostic, Diagnostics, Location};
use crate::input::load::{RawYear, Source};
use crate::input::model::*;

/// Builds diagnostics pointing into one source file, finding lines through
/// the file's line index (so a file of 60,000 criteria costs a binary
/// search per location, not a scan from the top). Every location carries
/// the span of what it points at, for the underline.
pub(crate) struct At<'a> {
    src: &'a Source,
    /// The file's path, shared by every location made here.
    path: std::sync::Arc<std::path::Path>,
}

impl<'a> At<'a> {
    pub(crate) fn new(src: &'a Source) -> Self {
        At { src, path: std::sync::Arc::from(src.path.as_path()) }
    }

    pub(crate) fn path(&self) -> &std::path::Path {
        &self.src.path
    }

    /// The token at byte `offset`.
    fn token(&self, offset: usize) -> std::ops::Range<usize> {
        offset..crate::diag::token_end(&self.src.text, offset)
    }

    pub(crate) fn loc_at(&self, offset: usize) -> Location {
        Location::in_shared(self.src, self.path.clone(), self.token(offset))
    }

    pub(crate) fn loc<T>(&self, span: &Spanned<T>) -> Location {
        Location::in_shared(self.src, self.path.clone(), span.span())
    }

    /// `d` located at the token at byte `offset`, with the line for display.
    pub(crate) fn put(&self, d: Diagnostic, offset: usize) -> Diagnostic {
        d.in_source(self.src, self.token(offset))
    }

    pub(crate) fn err<T>(&self, code: Code, span: &Spanned<T>, msg: impl Into<String>) -> Diagnostic {
        Diagnostic::error(code, msg).in_source(self.src, span.span())
    }
}

/// Orders dotted ids segment by segment, numerically where both are numbers:
/// `1.2` < `1.10` < `2`.
pub fn compare_ids(a: &str, b: &str) -> Ordering {
    let mut x = a.split('.');
    let mut y = b.split('.');
    loop {
        match (x.next(), y.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(p), Some(q)) => {
                let o = match (p.parse::<u64>(), q.parse::<u64>()) {
                    (Ok(m), Ok(n)) => m.cmp(&n),
                    _ => p.cmp(q),
                };
                if o != Ordering::Equal {
                    return o;
                }
            }
        }
    }
}

/// What a variant (`live::variant`) re-checks of a model it changed in
/// memory, with the functions the files are checked with.
pub mod recheck {
    use crate::diag::Diagnostic;
    use crate::input::model::{Exemption, Model};

    pub use super::tree::MAX_POINTS;

    /// Every award of `awards` (unit, node) against `model` as it stands,
    /// the tree's index built once and each unit's awards listed once.
    pub fn awards(model: &Model, awards: impl IntoIterator<Item = (usize, usize)>) -> Vec<Diagnostic> {
        let awards: Vec<(usize, usize)> = awards.into_iter().collect();
        if awards.is_empty() {
            return Vec::new();
        }
        let tree = super::tree::Tree::shared(&model.nodes);
        let mut of_unit: std::collections::HashMap<usize, Vec<usize>> = awards.iter().map(|&(u, _)| (u, Vec::new())).collect();
        for &(u, n) in model.awarded.keys() {
            if let Some(list) = of_unit.get_mut(&u) {
                list.push(n);
            }
        }
        awards
            .into_iter()
            .filter_map(|(u, n)| {
                let a = model.awarded.get(&(u, n))?;
                let others = of_unit.get(&u).map_or(&[][..], Vec::as_slice);
                super::awarded::recheck(model, &tree, u, n, a.points, others).map(|d| d.at(a.location.clone()))
            })
            .collect()
    }

    /// (unit, node) → exemption of the exemptions `enabled` keeps.
    pub fn exempt_map(exemptions: &[Exemption], enabled: impl Fn(usize) -> bool) -> super::PairMap<usize> {
        super::exemptions::exempt_map(exemptions, enabled)
    }

    /// A TOML value of a rule's `params` as the rule reads it.
    pub fn param_value(v: &toml::Value) -> Result<rhai::Dynamic, String> {
        super::tree::toml_to_dynamic(v)
    }

    /// The canonical text of a rule's `params`.
    pub fn params_text(params: &toml::Table) -> String {
        super::tree::params_text(params)
    }
}

pub(crate) fn suggest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    did_you_mean(word, candidates).map(|c| format!("did you mean `{c}`?"))
}

pub(crate) fn with_help(d: Diagnostic, help: Option<String>) -> Diagnostic {
    match help {
        Some(h) => d.help(h),
        None => d,
    }
}

/// "file:line" of a location, for helps that point at a first declaration.
pub(crate) fn file_line(l: &Location) -> String {
    format!("{}:{}", l.file.display(), l.line.unwrap_or(0))
}

/// Parses `"<legal id>"` or `"<legal id>: article"` against the declared legal documents.
pub(crate) fn legal_ref(text: &str, legal: &[Legal]) -> Result<LegalRef, String> {
    let (id, article) = match text.split_once(':') {
        Some((id, a)) => (id.trim(), Some(a.trim().to_string())),
        None => (text.trim(), None),
    };
    legal.iter().position(|l| l.id == id).map(|legal| LegalRef { legal, article }).ok_or_else(|| format!("unknown legal reference `{id}`"))
}

/// Validates everything read for a year. Returns the model when there is no error.
pub fn validate(raw: &mut RawYear) -> (Option<Model>, Diagnostics) {
    match validate_early(raw) {
        Some(early) => {
            let self_scored = self_scores_of(raw, &early);
            let survey = validate_survey(raw, &early);
            let round = validate_round(raw, self_scored, &early);
            validate_rest(raw, early, round, survey)
        }
        None => (None, Diagnostics::default()),
    }
}

/// The self-scores read, taken out of `raw` for [`validate_self_scores`]
/// to move into the model; their file's text stays in `raw`.
pub fn take_self_scores(raw: &mut RawYear) -> Option<crate::input::raw_round::RawSelfFile> {
    raw.self_assessment.as_mut().map(|(_, f)| std::mem::take(f))
}

/// What validation finds before the appraisal's files and the survey: the
/// criteria, units, exemptions, awarded points, facts and last year's
/// results, with their problems. A load makes it while the self-assessment
/// is still being read.
#[derive(Clone)]
pub struct Early {
    diags: Diagnostics,
    head: header::Header,
    nodes: Vec<Node>,
    units: units::Units,
    groups: Vec<Group>,
    exemptions: Vec<Exemption>,
    exempt: exemptions::Exempt,
    awarded: PairMap<Awarded>,
    facts: Vec<HashMap<String, Fact>>,
    previous: (Option<u16>, Vec<Option<Previous>>),
    /// The index's name and rounding, from `index.toml`.
    name: String,
    rounding: RoundingPolicy,
}

/// The first part of [`validate`]: everything but the appraisal (the
/// self-scores and the rounds) and the survey; `None` without an `index.toml`.
pub fn validate_early(raw: &RawYear) -> Option<Early> {
    let mut diags = Diagnostics::default();
    let (isrc, index) = raw.index.as_ref()?;
    let ia = At::new(isrc);
    let head = header::Header::from_raw(raw, &ia, index, &mut diags);
    let nodes = tree::build(raw, &head, &mut diags);
    let tree = tree::Tree::new(&nodes);
    let units = units::Units::from_raw(raw, &head, &mut diags);
    let (units, groups) = units::groups(raw, &ia, index, &head, units, &mut diags);
    let (exemptions, exempt) = exemptions::from_raw(raw, &head, &tree, &units, &mut diags);
    let awarded = awarded::from_raw(raw, &head, &tree, &units, &exempt, &exemptions, &mut diags);
    let facts = facts::from_raw(raw, &units, &mut diags);
    let previous = previous::from_raw(raw, &ia, index, &units, &mut diags);
    let r = &index.rounding;
    let rounding = RoundingPolicy { leaf: r.leaf, points: r.points, index: r.index, component: r.component, average: r.average };
    let name = index.index.name.clone();
    Some(Early { diags, head, nodes, units, groups, exemptions, exempt, awarded, facts, previous, name, rounding })
}

impl Early {
    /// The units, as the indicators' tables are matched to them: those of
    /// the model that [`validate_rest`] makes of this.
    pub fn unit_refs(&self) -> Vec<crate::input::indicators::UnitRef<'_>> {
        let kind = |k: usize| self.head.kinds[k].id.as_str();
        self.units
            .list
            .iter()
            .map(|u| crate::input::indicators::UnitRef { id: &u.id, name: &u.name, aliases: &u.aliases, kind: kind(u.kind) })
            .collect()
    }
}

/// The scoring round validated ([`validate_round`]), for [`validate_rest`].
pub struct Round {
    appraisal: Option<crate::input::appraisal::Appraisal>,
    diags: Diagnostics,
    consistency: Diagnostics,
}

pub use appraisal::SelfScored;

/// The self-scores of `file` (the self-assessment read from `src`), for
/// the same year as `early`: [`validate_round`] takes them. They may be
/// validated on another thread than the rest, once `early` is made: the
/// thread that read the file, where its values are.
pub fn validate_self_scores(
    early: &Early,
    src: &Source,
    file: crate::input::raw_round::RawSelfFile,
    evidence_required: bool,
) -> SelfScored {
    let tree = tree::Tree::new(&early.nodes);
    appraisal::check_self_scores(&early.head, &tree, &early.units, &early.exempt, &early.exemptions, src, file, evidence_required)
}

/// Whether `raw`'s rounds require evidence for the self-scores.
pub fn evidence_required(raw: &RawYear) -> bool {
    appraisal::evidence_required(raw)
}

/// The self-scores of `raw`, taken out of it ([`take_self_scores`]) and
/// validated; none in a what-if (another year's data under these
/// criteria: its scoring round is of its own criteria).
pub fn self_scores_of(raw: &mut RawYear, early: &Early) -> Option<SelfScored> {
    let file = take_self_scores(raw).filter(|_| !raw.what_if)?;
    let (src, _) = raw.self_assessment.as_ref()?;
    Some(validate_self_scores(early, src, file, evidence_required(raw)))
}

/// The scoring round of the same `raw` as `early`: the self-scores
/// ([`validate_self_scores`]), moved into the result, and the rounds. It
/// only reads `early`, which may be read beside it.
pub fn validate_round(raw: &RawYear, self_scored: Option<SelfScored>, early: &Early) -> Round {
    let tree = tree::Tree::new(&early.nodes);
    let (mut diags, mut consistency) = (Diagnostics::default(), Diagnostics::default());
    let appraisal = appraisal::from_raw(
        raw,
        self_scored,
        &early.head,
        &tree,
        &early.units,
        &early.exempt,
        &early.exemptions,
        &early.awarded,
        (&mut diags, &mut consistency),
    );
    Round { appraisal, diags, consistency }
}

/// The survey validated ([`validate_survey`]), for [`validate_rest`].
pub struct Surveyed {
    survey: Option<crate::input::appraisal::Survey>,
    diags: Diagnostics,
    consistency: Diagnostics,
}

/// The survey and its answers of the same `raw` as `early`, which need
/// nothing of the scoring round: a load validates them while the
/// self-scores are. Their problems and disagreements with the points are
/// told after the round's.
pub fn validate_survey(raw: &RawYear, early: &Early) -> Surveyed {
    let tree = tree::Tree::new(&early.nodes);
    let (mut diags, mut consistency) = (Diagnostics::default(), Diagnostics::default());
    let survey = survey::from_raw(raw, &early.head, &tree, &early.units, &early.awarded, (&mut diags, &mut consistency));
    Surveyed { survey, diags, consistency }
}

/// The rest of [`validate`] after [`validate_early`], [`validate_round`]
/// and [`validate_survey`] of the same `raw`: the model. `raw` is only
/// read, and may be read beside it (the fingerprint hashes its texts).
pub fn validate_rest(raw: &RawYear, early: Early, round: Round, surveyed: Surveyed) -> (Option<Model>, Diagnostics) {
    let Early {
        mut diags,
        head,
        nodes,
        units,
        groups,
        exemptions,
        exempt,
        awarded,
        facts,
        previous: (previous_year, previous),
        name,
        rounding,
    } = early;
    let Surveyed { survey, diags: survey_diags, consistency: survey_consistency } = surveyed;
    let Round { appraisal, diags: round_diags, mut consistency } = round;
    diags.extend(round_diags);
    diags.extend(survey_diags);
    consistency.extend(survey_consistency);

    if raw.what_if {
        // What does not fit another year's data is reported, not refused.
        for d in &mut diags.0 {
            let other_year = matches!(d.code, Code::UnknownUnit | Code::UnknownCriterion | Code::PointsNotEvaluated)
                || (d.code == Code::UnknownReference && d.unit.is_some());
            if other_year {
                d.severity = crate::diag::Severity::Warning;
            }
        }
    }
    if diags.has_errors() {
        return (None, diags);
    }
    let node_ids: HashMap<String, usize> = nodes.iter().enumerate().map(|(i, n)| (n.id.clone(), i)).collect();
    let model = Model {
        year: raw.year,
        name,
        legal: head.legal,
        index_legal: head.index_legal,
        rounding,
        kinds: head.kinds,
        parts: head.parts,
        groups,
        nodes: nodes.into_iter().map(std::sync::Arc::new).collect(),
        node_ids: std::sync::Arc::new(node_ids),
        units: units.list,
        exemptions,
        exempt,
        awarded: std::sync::Arc::new(awarded),
        facts: std::sync::Arc::new(facts),
        scripts: head.scripts,
        previous_year,
        previous,
        what_if: raw.what_if,
        appraisal: appraisal.map(Into::into),
        survey: survey.map(Into::into),
        consistency,
    };
    (Some(model), diags)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_order_numerically() {
        assert_eq!(compare_ids("1.2", "1.10"), Ordering::Less);
        assert_eq!(compare_ids("1.10", "2"), Ordering::Less);
        assert_eq!(compare_ids("3", "3.1"), Ordering::Less);
    }

    #[test]
    fn lines_and_columns_come_from_the_index() {
        let src = Source::new("f.toml", "a = 1\nbé = x\r\nlast");
        let at = At::new(&src);
        for off in [0, 3, 6, src.text.find('x').unwrap(), src.text.find("last").unwrap(), src.text.len()] {
            let (l, c) = crate::diag::line_col(&src.text, off);
            let loc = at.loc_at(off);
            assert_eq!((loc.line, loc.column), (Some(l), Some(c)), "offset {off}");
        }
        let d = at.put(Diagnostic::error(Code::BadValue, "x"), src.text.find('x').unwrap());
        assert_eq!(d.source_line.as_deref(), Some("bé = x"));
        assert_eq!(d.span.map(|s| s.end - s.start), Some(1));
    }
}
