//! The checked model of one year: what validation proved, indexed for evaluation.
//!
//! Everything is referred to by position (`usize` into the model's vectors),
//! never by name, so evaluation does no lookups by string. Nodes are stored
//! in pre-order (a parent before its children, siblings in id order), so one
//! backward pass over them aggregates children into parents.

use std::collections::HashMap;
use std::sync::Arc;

use rust_decimal::Decimal;

use crate::diag::Location;
use crate::input::name::Name;
use crate::input::round::Rounding;

/// A map keyed by (unit, node): hashed by `rustc-hash`, not SipHash, since
/// its keys are the model's own indices (the exemptions alone were looked
/// up about 4,900 times in a 2023 load, a fifth of a million instructions
/// per thousand lookups with SipHash).
pub type PairMap<V> = rustc_hash::FxHashMap<(usize, usize), V>;

/// A legal document the criteria cite.
#[derive(Debug, Clone)]
pub struct Legal {
    pub id: String,
    pub title: String,
}

/// A reference from a node or exemption to a legal document, with an article.
#[derive(Debug, Clone)]
pub struct LegalRef {
    pub legal: usize,
    pub article: Option<String>,
}

/// The rounding the rules declare for each kind of number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RoundingPolicy {
    /// Points of a rule-scored leaf, applied to the rule's result.
    pub leaf: Rounding,
    /// Points, parts and totals as shown.
    pub points: Rounding,
    /// A unit's index % as shown.
    pub index: Rounding,
    /// A component's index % as shown.
    pub component: Rounding,
    /// Averages as shown.
    pub average: Rounding,
}

#[derive(Debug, Clone)]
pub struct Kind {
    pub id: String,
    pub name: String,
    /// The kind of an earlier year this one continues.
    pub replaces: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Part {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone)]
pub struct Group {
    pub id: String,
    pub name: String,
    pub kind: usize,
    pub units: Vec<usize>,
}

/// How a leaf is scored by a rule script.
#[derive(Debug, Clone)]
pub struct LeafRule {
    /// Index into [`Model::scripts`].
    pub script: usize,
    /// Rule input name → data key, in name order.
    pub inputs: Vec<(String, String)>,
    /// Constants passed to the rule, as written.
    pub params: rhai::Map,
    /// The params as canonical text, for explanations and fingerprints.
    pub params_text: String,
    /// The params as written in TOML, from which `params` and `params_text` are made.
    pub params_table: toml::Table,
    /// Where each input's data key is written (in the order of `inputs`), and
    /// where the rule is named: what the diagnostics of evaluation point at.
    pub input_at: Vec<Location>,
    pub rule_at: Location,
}

impl LeafRule {
    /// Where the input reading data key `key` is written.
    pub fn input_location(&self, key: &str) -> Option<&Location> {
        self.inputs.iter().position(|(_, k)| k == key).and_then(|i| self.input_at.get(i))
    }
}

/// One criterion at any level.
#[derive(Debug, Clone)]
pub struct Node {
    pub id: String,
    pub name: String,
    pub parent: Option<usize>,
    pub children: Vec<usize>,
    pub depth: usize,
    /// The score part this node counts towards (inherited); `None` only for
    /// nodes whose children belong to different parts.
    pub part: Option<usize>,
    /// True when this node's part differs from its parent's: its points are
    /// added to that part.
    pub part_root: bool,
    /// Maximum per unit kind (`None`: not evaluated for that kind). For inner
    /// nodes, the sum of the children's.
    pub max: Vec<Option<Decimal>>,
    pub rule: Option<LeafRule>,
    pub legal: Option<LegalRef>,
    pub note: Option<String>,
    /// Where the node's `id` is written (with its span).
    pub location: Location,
}

impl Node {
    pub fn is_leaf(&self) -> bool {
        self.children.is_empty()
    }
}

#[derive(Debug, Clone)]
pub struct Unit {
    pub id: Name,
    pub name: Name,
    pub aliases: Vec<String>,
    pub kind: usize,
    pub group: usize,
}

/// A decision that some units are not evaluated on some nodes.
#[derive(Debug, Clone)]
pub struct Exemption {
    pub id: String,
    pub reason: String,
    pub legal: Option<LegalRef>,
    pub location: Location,
    /// The units it names (in file order) and the nodes it takes them out of
    /// (named directly or as the roots of a part).
    pub units: Vec<usize>,
    pub targets: Vec<usize>,
}

/// Points the appraisal council awarded to a unit at a node.
#[derive(Debug, Clone)]
pub struct Awarded {
    pub points: Decimal,
    /// Where the points are written in `scores.toml` (with their span).
    pub location: Location,
}

/// A raw fact read by rules.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Number(Decimal),
    Bool(bool),
    Text(String),
}

/// Where a fact came from, for explanations.
#[derive(Debug, Clone)]
pub struct Fact {
    pub value: Value,
    pub source: String,
}

/// Last year's published results for a unit.
#[derive(Debug, Clone, Copy)]
pub struct Previous {
    pub index: Decimal,
    pub rank: u32,
}

#[derive(Debug, Clone)]
pub struct Script {
    pub name: String,
    pub path: std::path::PathBuf,
}

/// The checked model of one year.
#[derive(Debug, Clone)]
pub struct Model {
    pub year: u16,
    pub name: String,
    pub legal: Vec<Legal>,
    pub index_legal: Vec<usize>,
    pub rounding: RoundingPolicy,
    pub kinds: Vec<Kind>,
    pub parts: Vec<Part>,
    pub groups: Vec<Group>,
    /// Pre-order; see the module docs. Each node shared, so a copy of the
    /// model (a what-if variant) costs a pointer per node until one changes.
    pub nodes: Vec<Arc<Node>>,
    /// Node id → position in `nodes`.
    pub node_ids: Arc<HashMap<String, usize>>,
    pub units: Vec<Unit>,
    pub exemptions: Vec<Exemption>,
    /// (unit, node) → exemption, for nodes named directly or through a part.
    pub exempt: PairMap<usize>,
    /// Shared until a variant changes some points.
    pub awarded: Arc<PairMap<Awarded>>,
    /// Facts by unit then data key; shared by a what-if's variants.
    pub facts: Arc<Vec<HashMap<String, Fact>>>,
    pub scripts: Vec<Script>,
    pub previous_year: Option<u16>,
    /// Per unit, last year's results.
    pub previous: Vec<Option<Previous>>,
    /// The data of another year under these criteria: leaves without data
    /// leave the scale instead of failing (see `Status::NoData`).
    pub what_if: bool,
    /// The units' self-assessment and the council's rounds, when the year
    /// has them; shared, as the survey is, by the variants of a what-if (a
    /// copy of the 2023 model took 0.2 ms with them copied).
    pub appraisal: Option<Arc<crate::input::appraisal::Appraisal>>,
    /// The survey's questionnaires aggregated, when the year has them.
    pub survey: Option<Arc<crate::input::appraisal::Survey>>,
    /// Where the last appraisal round or the survey's questionnaires disagree
    /// with the council's points of `scores.toml` (`ROUND_FINAL_MISMATCH`,
    /// `SURVEY_MISMATCH`): errors of `check`, and of the commands that show
    /// the rounds or the survey. The council's points are scored regardless.
    pub consistency: crate::diag::Diagnostics,
}

impl Model {
    pub fn node_index(&self, id: &str) -> Option<usize> {
        self.node_ids.get(id).copied()
    }

    /// A unit by id, or by name or alias as tables match them (case,
    /// spacing and the composition of diacritics aside).
    pub fn find_unit(&self, key: &str) -> Option<usize> {
        use crate::input::indicators::normalize_name;
        let k = normalize_name(key);
        self.units
            .iter()
            .position(|u| u.id == key.trim())
            .or_else(|| self.units.iter().position(|u| normalize_name(&u.name) == k || u.aliases.iter().any(|a| normalize_name(a) == k)))
    }

    /// Whether part `part` has any criterion for units of kind `kind`.
    pub fn part_applies(&self, part: usize, kind: usize) -> bool {
        self.nodes.iter().any(|n| n.part == Some(part) && n.part_root && n.max[kind].is_some())
    }

    /// The top-level nodes: the components.
    pub fn components(&self) -> impl Iterator<Item = usize> + '_ {
        self.nodes.iter().enumerate().filter(|(_, n)| n.parent.is_none()).map(|(i, _)| i)
    }

    pub fn legal_text(&self, r: &LegalRef) -> String {
        let l = &self.legal[r.legal];
        match &r.article {
            Some(a) => format!("{}, {a}", l.title),
            None => l.title.clone(),
        }
    }
}
