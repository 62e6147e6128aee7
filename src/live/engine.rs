//! Engine: the live year behind an atomic swap, and reloads that never break it.
//!
//! An [`Engine`] serves one year's [`Snapshot`]: the compiled rule set, its
//! evaluated outcome and the shown report, built together and never changed.
//! Readers take the snapshot with [`Engine::current`] and keep it as long as
//! they like: an evaluation in flight finishes on the set it started with.
//!
//! [`Engine::reload`] builds the complete new snapshot beside the live one
//! (load, validate, compile every script, evaluate once, report) and swaps it
//! in atomically only when all of that succeeds. A half-finished or wrong edit
//! is returned as [`ReloadOutcome::Rejected`] with its diagnostics while the
//! last good snapshot keeps serving. What a reload changed is computed by
//! [`changes`], which other commands can use on any two snapshots.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use arc_swap::ArcSwap;
use rayon::prelude::*;
use rust_decimal::Decimal;
use serde::Serialize;

use crate::diag::Diagnostics;
use crate::formula::rules::Rules;
use crate::input::name::Name;
use crate::report::shown::Shown;
use crate::report::{plain, Report};
use crate::score::eval::{evaluate_after, EvalStats, Outcome};
use crate::score::ruleset::stamp;
use crate::score::ruleset::RuleSet;

/// One year's complete results: a valid rule set and what it evaluates to.
#[derive(Debug)]
pub struct Snapshot {
    pub rule_set: RuleSet,
    pub outcome: Outcome,
    pub report: Report,
    /// 1 for the set the engine opened with, one more for each applied reload.
    pub generation: u64,
    /// How many rule leaves were computed, and how many kept from the previous set.
    pub stats: EvalStats,
}

impl Snapshot {
    /// Loads, evaluates and reports `year` under `root`; any error rejects the whole set.
    pub fn build(root: &Path, year: u16, rules: &Rules, generation: u64) -> Result<Snapshot, Diagnostics> {
        let rule_set = RuleSet::load(root, year, rules)?;
        Snapshot::from_rule_set(rule_set, generation)
    }

    /// Evaluates a loaded rule set once: a set is valid only if it also evaluates.
    pub fn from_rule_set(rule_set: RuleSet, generation: u64) -> Result<Snapshot, Diagnostics> {
        let (outcome, stats) = evaluate_after(&rule_set, None).map_err(|d| with_warnings(d, &rule_set))?;
        let report = Report::new(&rule_set, &outcome);
        Ok(Snapshot { rule_set, outcome, report, generation, stats })
    }

    /// Evaluates a reloaded rule set, keeping the points of the leaves the
    /// edit did not touch from `previous`.
    pub fn after(rule_set: RuleSet, previous: &Snapshot) -> Result<Snapshot, Diagnostics> {
        let (outcome, stats) =
            evaluate_after(&rule_set, Some((&previous.rule_set, &previous.outcome))).map_err(|d| with_warnings(d, &rule_set))?;
        let report = Report::new(&rule_set, &outcome);
        Ok(Snapshot { rule_set, outcome, report, generation: previous.generation + 1, stats })
    }

    /// When the rule set was loaded.
    pub fn loaded_at(&self) -> SystemTime {
        self.rule_set.loaded_at
    }
}

/// The errors of an evaluation with the load's warnings after them: a
/// misnamed file the load warned of is often why points are missing.
fn with_warnings(mut errors: Diagnostics, rule_set: &RuleSet) -> Diagnostics {
    errors.0.extend(rule_set.warnings.0.iter().cloned());
    errors
}

/// What a reload did.
#[derive(Debug)]
#[non_exhaustive]
pub enum ReloadOutcome {
    /// The new set is live.
    Applied {
        /// What moved between the previous set and the new one.
        changes: Changes,
        /// The snapshot now serving.
        snapshot: Arc<Snapshot>,
    },
    /// The edited files do not make a valid set; the previous one keeps serving.
    Rejected {
        /// Every problem found in the edited files.
        diagnostics: Diagnostics,
        /// When the set still serving was loaded.
        serving_since: SystemTime,
        /// The generation still serving.
        generation: u64,
    },
    /// The files mean the same as the live set's (equal fingerprint): nothing to swap.
    Unchanged {
        /// The generation still serving.
        generation: u64,
    },
}

/// A year's live results, swapped atomically on reload.
#[derive(Debug)]
pub struct Engine {
    root: PathBuf,
    year: u16,
    rules: Rules,
    live: ArcSwap<Snapshot>,
    /// Reloads run one at a time, so generations only grow and no swap is lost.
    reloading: Mutex<()>,
}

/// How many times a reload re-reads files that changed while it was reading them.
const STABLE_ATTEMPTS: usize = 3;

impl Engine {
    /// Opens `year` under `root` with a new shared rules engine.
    pub fn open(root: impl Into<PathBuf>, year: u16) -> Result<Engine, Diagnostics> {
        Engine::open_with(root, year, Rules::default())
    }

    /// Opens `year` under `root` with the given rules engine (and its limits).
    pub fn open_with(root: impl Into<PathBuf>, year: u16, rules: Rules) -> Result<Engine, Diagnostics> {
        let root = root.into();
        let snapshot = Snapshot::build(&root, year, &rules, 1)?;
        Ok(Engine { root, year, rules, live: ArcSwap::from_pointee(snapshot), reloading: Mutex::new(()) })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn year(&self) -> u16 {
        self.year
    }

    /// The folders whose files make up the year: `criteria/<year>/`, `fixtures/<year>/`, `rules/<year>/`.
    pub fn sources(&self) -> Vec<PathBuf> {
        let year = self.year.to_string();
        vec![self.root.join("criteria").join(&year), self.root.join("fixtures").join(&year), self.root.join("rules").join(&year)]
    }

    /// The live snapshot. Holding it keeps it alive across reloads.
    pub fn current(&self) -> Arc<Snapshot> {
        self.live.load_full()
    }

    /// Builds the set now on disk beside the live one and swaps it in if it is valid.
    pub fn reload(&self) -> ReloadOutcome {
        let _one_at_a_time = self.reloading.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let old = self.current();
        let rule_set = match self.load_stable(&old) {
            Ok(rs) => rs,
            Err(diagnostics) => return rejected(diagnostics, &old),
        };
        if rule_set.fingerprint == old.rule_set.fingerprint {
            return ReloadOutcome::Unchanged { generation: old.generation };
        }
        let new = match Snapshot::after(rule_set, &old) {
            Ok(s) => Arc::new(s),
            Err(diagnostics) => return rejected(diagnostics, &old),
        };
        self.live.store(Arc::clone(&new));
        let changes = changes(&old, &new);
        // Freeing the replaced snapshot (a national year's results are
        // hundreds of thousands of allocations) is no part of the reload.
        rayon::spawn(move || drop(old));
        ReloadOutcome::Applied { changes, snapshot: new }
    }

    /// Loads the rule set, re-reading it when a file changed while it was read
    /// (an editor still saving): a set is kept only when every file's size and
    /// modification time are the same after reading as before, so the set and
    /// its fingerprint describe one state of the files.
    fn load_stable(&self, previous: &Snapshot) -> Result<RuleSet, Diagnostics> {
        let sources = self.sources();
        let mut attempt = 0;
        loop {
            attempt += 1;
            let before = stamp(&sources);
            let rs = RuleSet::load_after(&previous.rule_set, &self.rules)?;
            if stamp(&sources) == before || attempt >= STABLE_ATTEMPTS {
                return Ok(rs);
            }
        }
    }
}

fn rejected(diagnostics: Diagnostics, serving: &Snapshot) -> ReloadOutcome {
    ReloadOutcome::Rejected { diagnostics, serving_since: serving.loaded_at(), generation: serving.generation }
}

/// A value before and after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Moved<T> {
    pub old: T,
    pub new: T,
}

impl<T: PartialEq> Moved<T> {
    /// `Some` only when the value moved.
    pub fn between(old: T, new: T) -> Option<Moved<T>> {
        (old != new).then_some(Moved { old, new })
    }
}

/// One criterion of one unit whose points or maximum changed. `None` stands
/// for "does not count for the unit" (absent, not applicable, exempt, or
/// covered by points awarded higher up).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CriterionChange {
    pub id: Name,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub points: Option<Moved<Option<Decimal>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<Moved<Option<Decimal>>>,
}

/// One unit whose shown results or criteria changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnitChange {
    pub id: Name,
    pub name: Name,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<Moved<Shown>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scale: Option<Moved<Shown>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<Moved<Shown>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rank: Option<Moved<u32>>,
    /// In tree order.
    pub criteria: Vec<CriterionChange>,
}

/// An average per unit kind that moved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AverageChange {
    pub kind: String,
    pub index: Moved<Shown>,
}

/// What moved between two snapshots of a year.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Changes {
    /// Units present in both whose total, scale, index, rank or criteria moved, in the new report's order.
    pub units: Vec<UnitChange>,
    /// Unit ids only in the new snapshot.
    pub added: Vec<Name>,
    /// Unit ids only in the old snapshot.
    pub removed: Vec<Name>,
    pub averages: Vec<AverageChange>,
}

impl Changes {
    /// Whether no shown number and no criterion moved.
    pub fn is_empty(&self) -> bool {
        self.units.is_empty() && self.added.is_empty() && self.removed.is_empty() && self.averages.is_empty()
    }

    /// The change of one unit, by id.
    pub fn unit(&self, id: &str) -> Option<&UnitChange> {
        self.units.iter().find(|u| u.id == id)
    }
}

/// A node's points and maximum as they count for a unit: `None` when the
/// node does not count (not applicable, exempt, covered higher up).
fn counted(r: &crate::score::eval::NodeResult) -> (Option<Decimal>, Option<Decimal>) {
    let counts = r.status.in_scale();
    ((counts && r.status.has_points()).then_some(r.points), counts.then_some(r.max))
}

/// What moved from `old` to `new`: each unit whose shown total, scale, index
/// or rank moved, with every criterion whose points or maximum changed, and
/// the averages that moved. Units and criteria are matched by id.
pub fn changes(old: &Snapshot, new: &Snapshot) -> Changes {
    let (om, nm) = (&old.rule_set.model, &new.rule_set.model);
    // The old unit of each new one: by position when the units are the same
    // (as after any edit of the criteria), else by id.
    let old_unit: Vec<Option<usize>> = if om.units.len() == nm.units.len() && om.units.iter().zip(&nm.units).all(|(a, b)| a.id == b.id) {
        (0..nm.units.len()).map(Some).collect()
    } else {
        let old_units: HashMap<&str, usize> = om.units.iter().enumerate().map(|(i, u)| (u.id.as_str(), i)).collect();
        nm.units.iter().map(|u| old_units.get(u.id.as_str()).copied()).collect()
    };
    let mut kept = vec![false; om.units.len()];
    for a in old_unit.iter().flatten() {
        kept[*a] = true;
    }
    // Each unit's row in the old report.
    let mut old_row = vec![usize::MAX; om.units.len()];
    for (at, row) in old.report.units.iter().enumerate() {
        old_row[row.unit] = at;
    }
    let mut criteria = criteria_moved(old, new, &old_unit);
    // One change per unit that moved, in the new report's order, built in parallel.
    let in_order: Vec<Vec<CriterionChange>> = new.report.units.iter().map(|row| std::mem::take(&mut criteria[row.unit])).collect();
    let units = new
        .report
        .units
        .par_iter()
        .zip(in_order)
        .filter_map(|(nu, criteria)| {
            let ou = &old.report.units[old_row[old_unit[nu.unit]?]];
            let shown = (ou.total, ou.scale, ou.index, ou.rank) != (nu.total, nu.scale, nu.index, nu.rank);
            (shown || !criteria.is_empty()).then(|| UnitChange {
                id: nu.id.clone(),
                name: nu.name.clone(),
                total: Moved::between(ou.total, nu.total),
                scale: Moved::between(ou.scale, nu.scale),
                index: Moved::between(ou.index, nu.index),
                rank: Moved::between(ou.rank, nu.rank),
                criteria,
            })
        })
        .collect();
    let added = new.report.units.iter().filter(|u| old_unit[u.unit].is_none()).map(|u| u.id.clone()).collect();
    let removed = old.report.units.iter().filter(|u| !kept[u.unit]).map(|u| u.id.clone()).collect();
    let mut averages = Vec::new();
    for na in &new.report.averages {
        if let Some(oa) = old.report.averages.iter().find(|a| a.kind == na.kind) {
            if let Some(index) = Moved::between(oa.index, na.index) {
                averages.push(AverageChange { kind: na.kind.clone(), index });
            }
        }
    }
    Changes { units, added, removed, averages }
}

/// The criteria whose points or maximum moved, per new unit (in tree order:
/// the new set's criteria, then those it dropped). Criterion by criterion
/// over runs of units in parallel, so each criterion's points are read side
/// by side, and a criterion whose column is the same for a whole run is
/// passed over at once.
fn criteria_moved(old: &Snapshot, new: &Snapshot, old_unit: &[Option<usize>]) -> Vec<Vec<CriterionChange>> {
    let (om, nm) = (&old.rule_set.model, &new.rule_set.model);
    // The same criteria in the same order (any edit of points, maxima,
    // exemptions or rules; every what-if variant): matched by position.
    let same_tree = om.nodes.len() == nm.nodes.len() && om.nodes.iter().zip(&nm.nodes).all(|(a, b)| a.id == b.id);
    let pairs: Vec<(&str, Option<usize>, Option<usize>)> = if same_tree {
        nm.nodes.iter().enumerate().map(|(j, n)| (n.id.as_str(), Some(j), Some(j))).collect()
    } else {
        let old_nodes: HashMap<&str, usize> = om.nodes.iter().enumerate().map(|(i, n)| (n.id.as_str(), i)).collect();
        let new_nodes: HashMap<&str, usize> = nm.nodes.iter().enumerate().map(|(i, n)| (n.id.as_str(), i)).collect();
        let mut pairs: Vec<(&str, Option<usize>, Option<usize>)> =
            nm.nodes.iter().enumerate().map(|(j, n)| (n.id.as_str(), old_nodes.get(n.id.as_str()).copied(), Some(j))).collect();
        pairs.extend(
            om.nodes
                .iter()
                .enumerate()
                .filter(|(_, n)| !new_nodes.contains_key(n.id.as_str()))
                .map(|(i, n)| (n.id.as_str(), Some(i), None)),
        );
        pairs
    };
    let none = (None, None);
    const RUN: usize = crate::score::eval::CHUNK;
    let (ou, nu) = (&old.outcome.units, &new.outcome.units);
    // Whether the units `range` are one run with one shape in both results,
    // at the same places: then a criterion whose column is the same in both
    // moved for none of them.
    let one_run = |range: std::ops::Range<usize>| {
        range.clone().all(|b| old_unit[b] == Some(b)) && old.outcome.one_run(range.clone()) && new.outcome.one_run(range)
    };
    (0..nm.units.len())
        .step_by(RUN)
        .collect::<Vec<_>>()
        .into_par_iter()
        .flat_map_iter(|first| {
            let units = first..(first + RUN).min(nm.units.len());
            let mut moved: Vec<Vec<CriterionChange>> = vec![Vec::new(); units.len()];
            let whole = one_run(units.clone());
            for (id, oi, ni) in &pairs {
                if let (true, Some(i), Some(j)) = (whole, *oi, *ni) {
                    let (o, n) = (&ou[first], &nu[first]);
                    if o.shape()[i] == n.shape()[j] && o.run_points(i) == n.run_points(j) {
                        continue;
                    }
                }
                for (k, b) in units.clone().enumerate() {
                    let Some(a) = old_unit[b] else { continue };
                    let (or, nr) = (&ou[a], &nu[b]);
                    let (op, omax) = oi.map_or(none, |i| counted(&or.node(i)));
                    let (np, nmax) = ni.map_or(none, |j| counted(&nr.node(j)));
                    // Compared as values; normalised only to be shown.
                    if op != np || omax != nmax {
                        let norm = |d: Option<Decimal>| d.map(|x| x.normalize());
                        moved[k].push(CriterionChange {
                            id: Name::from(*id),
                            points: Moved::between(norm(op), norm(np)),
                            max: Moved::between(norm(omax), norm(nmax)),
                        });
                    }
                }
            }
            moved
        })
        .collect()
}

fn shown(d: Option<Decimal>) -> String {
    d.map_or_else(|| "—".to_string(), plain)
}

/// One line per unit that moved, its changed criteria indented below.
impl fmt::Display for Changes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return writeln!(f, "no result moved");
        }
        for u in &self.units {
            let mut moved = Vec::new();
            if let Some(m) = &u.total {
                moved.push(format!("total {} → {}", m.old, m.new));
            }
            if let Some(m) = &u.scale {
                moved.push(format!("scale {} → {}", m.old, m.new));
            }
            if let Some(m) = &u.index {
                moved.push(format!("index {}% → {}%", m.old, m.new));
            }
            if let Some(m) = &u.rank {
                moved.push(format!("rank {} → {}", m.old, m.new));
            }
            if moved.is_empty() {
                moved.push("shown results unchanged".to_string());
            }
            writeln!(f, "{} ({}): {}", u.name, u.id, moved.join(", "))?;
            for c in &u.criteria {
                let mut parts = Vec::new();
                if let Some(m) = &c.points {
                    parts.push(format!("points {} → {}", shown(m.old), shown(m.new)));
                }
                if let Some(m) = &c.max {
                    parts.push(format!("max {} → {}", shown(m.old), shown(m.new)));
                }
                writeln!(f, "    {}: {}", c.id, parts.join(", "))?;
            }
        }
        for id in &self.added {
            writeln!(f, "added unit {id}")?;
        }
        for id in &self.removed {
            writeln!(f, "removed unit {id}")?;
        }
        for a in &self.averages {
            writeln!(f, "average of {}: {}% → {}%", a.kind, a.index.old, a.index.new)?;
        }
        Ok(())
    }
}
