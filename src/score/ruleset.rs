//! RuleSet: one year loaded, validated and compiled, ready to evaluate.
//!
//! Building a [`RuleSet`] runs the whole front of the pipeline (load →
//! validate → compile every script → gather data → fingerprint) and either
//! succeeds completely or returns every problem found. A rule set is
//! immutable once built: reloads build a new one beside it.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use crate::data::Data;
use crate::diag::{Diagnostics, Severity};
use crate::formula::compile::Plan;
use crate::formula::rules::{CompiledScript, Rules};
use crate::input::fingerprint::{
    file_digest, fingerprint_with_data, hash_files_known, path_key, rule_files, text_digest, Fingerprint, Kept, Known,
};
use crate::input::indicators::{load_indicators, IndicatorData, UnitRef};
use crate::input::load::{load_year_meanwhile, read_self_assessment, self_assessment_path, RawYear, SelfRead, Source, READ_BY_NAME};
use crate::input::model::Model;
use crate::input::par::{spawn_beside, Stay};
use crate::input::raw::RawUnitsFile;
use crate::input::raw_round::RawSelfFile;
use crate::input::unread::{unread, Read};
use crate::input::validate::{
    evidence_required, self_scores_of, validate_early, validate_rest, validate_round, validate_self_scores, validate_survey, Early,
    SelfScored,
};
use crate::score::eval::Shape;
use crate::source::map::SourceMap;

/// The self-assessment as its thread hands it over: the file read (its
/// self-scores moved out when they were validated there) and those
/// self-scores validated.
type SelfChecked = (SelfRead, Option<SelfScored>);

/// Where the loading thread hands the early validation to the
/// self-assessment's thread, with whether the year requires evidence.
type GiveEarly = std::sync::mpsc::SyncSender<(Arc<Early>, bool)>;

/// A year's complete, valid rule set.
#[derive(Debug, Clone)]
pub struct RuleSet {
    pub root: PathBuf,
    pub model: Model,
    pub scripts: Vec<CompiledScript>,
    pub rules: Rules,
    pub data: Data,
    pub indicators: Arc<IndicatorData>,
    pub fingerprint: Fingerprint,
    /// Per node: how its rule runs (native or interpreted); `None` for nodes without a rule.
    pub plans: Vec<Option<Plan>>,
    /// Per unit kind: every node's status and maximum for a unit with no
    /// exemption and no awarded points, so most units cost a copy.
    pub templates: Vec<Shape>,
    /// Per unit: the nodes it is exempt from (node, exemption) and awarded
    /// points at, sorted by node; empty for most units.
    pub unit_exempt: Vec<Vec<(usize, usize)>>,
    pub unit_awarded: Vec<Vec<usize>>,
    /// Warnings found while loading (unmatched names, missing table rows).
    pub warnings: Diagnostics,
    /// Size and modification time of every data file, to tell a reload
    /// whether the data can be shared with this set.
    pub data_stamp: Vec<(PathBuf, u64, Option<SystemTime>)>,
    /// The warnings of the indicator tables, kept with them when shared.
    indicator_warnings: Diagnostics,
    /// The units as read from the data files, shared with the next load while they are unchanged.
    raw_units: Option<Arc<(Source, RawUnitsFile)>>,
    pub loaded_at: SystemTime,
    /// The text of every file of the year as read, for showing diagnostics.
    pub sources: Arc<SourceMap>,
}

/// The model's units as the data modules see them.
pub fn unit_refs(model: &Model) -> Vec<UnitRef<'_>> {
    model.units.iter().map(|u| UnitRef { id: &u.id, name: &u.name, aliases: &u.aliases, kind: &model.kinds[u.kind].id }).collect()
}

impl RuleSet {
    /// Loads, validates and compiles `year` under `root` with the shared `rules` engine.
    pub fn load(root: &Path, year: u16, rules: &Rules) -> Result<RuleSet, Diagnostics> {
        RuleSet::load_with(root, year, year, rules)
    }

    /// Loads the criteria of `year` with the data of `data_year`.
    pub fn load_with(root: &Path, year: u16, data_year: u16, rules: &Rules) -> Result<RuleSet, Diagnostics> {
        RuleSet::load_inner(root, year, data_year, Engine::Given(rules), None)
    }

    /// [`RuleSet::load_with`] with a rule engine of the default limits of its
    /// own, built on a thread beside the reading of the files once the
    /// self-assessment is handed over: what a process that loads one year does
    /// (building the engine takes about 0.3–0.4 ms, a fifth of reading a
    /// province's files). The same thread then hashes a small year's data
    /// files that the load does not read.
    pub fn load_own(root: &Path, year: u16, data_year: u16) -> Result<RuleSet, Diagnostics> {
        RuleSet::load_inner(root, year, data_year, Engine::Own, None)
    }

    /// Loads `year` again after `previous`: when no data file changed since
    /// `previous` was loaded, its indicator tables and the data part of its
    /// fingerprint are shared instead of read and hashed again.
    pub fn load_after(previous: &RuleSet, rules: &Rules) -> Result<RuleSet, Diagnostics> {
        let (root, year, data_year) = (previous.root.as_path(), previous.model.year, previous.data_year());
        RuleSet::load_inner(root, year, data_year, Engine::Given(rules), Some(previous))
    }

    /// The year of the data this set was loaded with.
    pub fn data_year(&self) -> u16 {
        self.indicators.year()
    }

    fn load_inner(root: &Path, year: u16, data_year: u16, rules: Engine, previous: Option<&RuleSet>) -> Result<RuleSet, Diagnostics> {
        let data_stamp = stamp(&[root.join("fixtures").join(data_year.to_string())]);
        let shared =
            previous.filter(|p| p.root == root && p.data_year() == data_year && p.model.year == year && p.data_stamp == data_stamp);
        let small = data_size(&data_stamp) <= SMALL;
        // A small year's data files that no step of the load reads (the
        // published components, the expectations) are hashed for the
        // fingerprint by the engine's thread once the engine is built.
        let unread: Vec<PathBuf> = match (&rules, shared) {
            (Engine::Own, None) if small => unread_data_files(root, data_year, &data_stamp),
            _ => Vec::new(),
        };
        let hashes_unread = !unread.is_empty();
        let digest = shared.is_none();
        // A large year's tables (its files other than TOML) are hashed from
        // disk on a thread of their own from the start, while the loading
        // thread reads and validates the rest alone: at 100,000 units the
        // hashing took the only processor at work for 50 ms after the
        // tables were read.
        let tables: Vec<PathBuf> = if digest && !small { table_files(root, &data_stamp) } else { Vec::new() };
        let has_self = root.join(self_assessment_path(data_year)).is_file();
        std::thread::scope(|scope| {
            let tables = (!tables.is_empty()).then(|| spawn_beside(scope, move || digests_from_disk(root, tables)));
            // The self-assessment, most of a province's data, is read on a
            // thread of its own from the start. Its self-scores are
            // validated there, where their values are, once the loading
            // thread has validated the criteria, units and points they are
            // checked against (the loading thread meanwhile validates the
            // survey and reads the indicators); the file is then handed
            // over, and hashed from a copy of its text. The rule engine is
            // built on another thread while the self-scores wait, and that
            // thread hashes the files no step reads once the file is handed
            // over. The threads share a processor, on which the one running
            // keeps it to its end (no tick comes within a few
            // milliseconds): each step waits for the one before it.
            let (hand, take) = std::sync::mpsc::sync_channel::<SelfChecked>(1);
            let (give_early, get_early) = std::sync::mpsc::sync_channel::<(Arc<Early>, bool)>(1);
            let (read, wait) = std::sync::mpsc::channel::<()>();
            let (handed, is_handed) = std::sync::mpsc::channel::<()>();
            let (give_rules, get_rules) = std::sync::mpsc::sync_channel::<Rules>(1);
            let (put_digest, get_digest) = std::sync::mpsc::sync_channel::<Option<(PathBuf, String)>>(1);
            let reading = has_self.then(|| {
                spawn_beside(scope, move || {
                    let (file, diags) = read_self_assessment(root, data_year);
                    drop(read);
                    let early = file.as_ref().and_then(|_| get_early.recv().ok());
                    // Let go of before the file is handed over: the loading
                    // thread then holds the only hold on its validation.
                    drop(get_early);
                    let (file, scored) = match (file, early) {
                        (Some((src, raw_file)), Some((early, evidence))) => {
                            let scored = validate_self_scores(&early, &src, raw_file, evidence);
                            drop(early);
                            (Some((src, RawSelfFile::default())), Some(scored))
                        }
                        (file, _) => (file, None),
                    };
                    let text = file.as_ref().filter(|_| digest).map(|(src, _)| (src.path.clone(), src.text.clone()));
                    let _ = hand.send(((file, diags), scored));
                    let _ = put_digest.send(text.map(|(path, text)| {
                        let d = text_digest(&path, &text);
                        (path, d)
                    }));
                    drop(handed);
                })
            });
            let (given, hashing) = match rules {
                Engine::Given(given) => {
                    drop((wait, give_rules, is_handed));
                    (Some(given), None)
                }
                Engine::Own => (
                    None,
                    Some(spawn_beside(scope, move || {
                        let _ = wait.recv();
                        let _ = give_rules.send(Rules::default());
                        if hashes_unread {
                            let _ = is_handed.recv();
                        }
                        digests_from_disk(root, unread)
                    })),
                ),
            };
            // A province's load is over before the processors' balancing
            // would spread its threads: they are placed, and the load stays
            // where it started (a national year's is long enough to be
            // balanced).
            let stay = small.then(Stay::here);
            // Nothing sent: the thread stopped, and the scope tells why.
            let give_early = reading.is_some().then_some(give_early);
            let self_read = move || match reading {
                Some(_) => take.recv().unwrap_or_else(|_| panic!("the self-assessment's thread stopped")),
                None => ((None, Diagnostics::default()), None),
            };
            let rules = move || match given {
                Some(given) => given.clone(),
                None => get_rules.recv().unwrap_or_else(|_| panic!("the rule engine's thread stopped")),
            };
            // No digest of the self-assessment sent: none was asked for, or
            // its thread stopped. The engine's thread is waited for only
            // when it hashes files; otherwise the scope joins it.
            let digests = move || {
                let mut digests: Vec<(PathBuf, String)> = get_digest.recv().ok().flatten().into_iter().collect();
                for h in [hashing.filter(|_| hashes_unread), tables].into_iter().flatten() {
                    digests.extend(h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)));
                }
                digests
            };
            let loaded = RuleSet::load_in(root, (year, data_year), (rules, (self_read, give_early), digests), (shared, data_stamp));
            drop(stay);
            loaded
        })
    }

    fn load_in(
        root: &Path,
        (year, data_year): (u16, u16),
        (rules, (self_read, give_early), digests): (
            impl FnOnce() -> Rules,
            (impl FnOnce() -> SelfChecked, Option<GiveEarly>),
            impl FnOnce() -> Vec<(PathBuf, String)> + Send,
        ),
        (shared, data_stamp): (Option<&RuleSet>, DataStamp),
    ) -> Result<RuleSet, Diagnostics> {
        // Unchanged data files: their units are shared, not read again.
        let units = shared.and_then(|p| p.raw_units.clone());
        // While the self-assessment is read: the criteria, units and points
        // are validated, then handed to the self-assessment's thread, which
        // validates the self-scores, unless the data are another year's;
        // meanwhile the survey is validated and a new load's indicator
        // tables are read. Validation runs on files read without an error
        // (`meanwhile` was called), and has nothing to validate without an
        // `index.toml`.
        let checked = std::cell::Cell::new(None);
        let self_read = || {
            let (read, scored) = self_read();
            checked.set(scored);
            read
        };
        let meanwhile = |raw: &RawYear| {
            let early = validate_early(raw).map(Arc::new);
            if let (Some(early), Some(give)) = (&early, give_early.filter(|_| !raw.what_if)) {
                let _ = give.send((Arc::clone(early), evidence_required(raw)));
            }
            early.map(|early| {
                let surveyed = validate_survey(raw, &early);
                let indicators = shared.is_none().then(|| load_indicators(root, data_year, &early.unit_refs()));
                (early, surveyed, indicators)
            })
        };
        let (mut raw, mut diags, early) = load_year_meanwhile(root, year, data_year, units, self_read, meanwhile);
        // The self-assessment's thread let go of the early validation before
        // it handed the file over: this is the only hold on it.
        let (early, surveyed, indicators) = match early {
            Some(Some((early, surveyed, indicators))) if !diags.has_errors() => {
                (Some(Arc::try_unwrap(early).unwrap_or_else(|e| (*e).clone())), Some(surveyed), indicators)
            }
            _ => (None, None, None),
        };
        let self_scored = checked.take().or_else(|| early.as_ref().and_then(|e| self_scores_of(&mut raw, e)));
        // The data files (those the stamp found) are hashed for the
        // fingerprint, unless the previous set's digests are shared: the
        // self-assessment by its own thread, the others from the texts the
        // load read or from disk (a small year's unread files by the
        // engine's thread, when the load has one). A large year's are
        // hashed on a thread beside the scoring round's validation, with
        // the digests the other threads made (its tables' from the start of
        // the load); a small year's after it (a
        // thread beside it waited for a processor about as long as the
        // hashing takes), those the load holds the texts of first, while
        // the other threads finish their digests.
        let self_path = self_assessment_path(data_year);
        let own_text = |p: &Path| p != self_path && raw.source(p).is_some();
        let mut files: Vec<PathBuf> = data_stamp.iter().filter_map(|(p, _, _)| p.strip_prefix(root).ok().map(Path::to_path_buf)).collect();
        files.sort_by_key(|p| !own_text(p));
        let hash_data = |known: Known| hash_files_known(root, &files, known);
        let mut digests = Some(digests);
        let hashed_beside = digests.take_if(|_| early.is_some() && shared.is_none() && data_size(&data_stamp) > SMALL);
        let (round, hashed) = std::thread::scope(|scope| {
            let (raw, early, hash_data) = (&raw, &early, &hash_data);
            let hashed = hashed_beside.map(|digests| {
                scope.spawn(move || {
                    let theirs = digests();
                    hash_data(&|p: &Path| held(raw, &theirs, p))
                })
            });
            let round = early.as_ref().map(|early| validate_round(raw, self_scored, early));
            (round, hashed.map(|h| h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))))
        });
        let (model, vdiags) = match (early, round, surveyed) {
            (Some(early), Some(round), Some(surveyed)) => validate_rest(&raw, early, round, surveyed),
            _ => (None, Diagnostics::default()),
        };
        diags.extend(vdiags);
        let Some(model) = model else {
            // A misnamed file is often why: it is told beside what is missing.
            diags.extend(unread_listed(root, (year, data_year), &data_stamp, None, None, None));
            return Err(diags);
        };

        let rules = rules();
        let mut scripts = Vec::with_capacity(model.scripts.len());
        for s in &model.scripts {
            let Some(src) = raw.source(&s.path) else { continue };
            match rules.compile(&s.name, src) {
                Ok(c) => scripts.push(c),
                Err(d) => diags.push(d),
            }
        }

        // The fingerprint hashes every file, those read from their texts.
        let script_paths: Vec<PathBuf> = model.scripts.iter().map(|s| s.path.clone()).collect();
        let same_units =
            |p: &RuleSet| p.model.units.len() == model.units.len() && p.model.units.iter().zip(&model.units).all(|(a, b)| a.id == b.id);
        let known = |p: &Path| raw.kept(p);
        let ((indicators, mut idiags), fp) = match shared.filter(|p| same_units(p)) {
            Some(p) => (
                (Arc::clone(&p.indicators), p.indicator_warnings.clone()),
                fingerprint_with_data(root, year, &script_paths, &p.fingerprint.data_digests(), &known),
            ),
            None => {
                let (ind, d) = indicators.unwrap_or_else(|| load_indicators(root, data_year, &unit_refs(&model)));
                // The other threads' digests are waited for at the first
                // file without a text, the self-assessment's included.
                let data = hashed.unwrap_or_else(|| {
                    let theirs = std::cell::OnceCell::new();
                    let digests = std::cell::RefCell::new(digests);
                    let made = || theirs.get_or_init(|| digests.borrow_mut().take().map_or_else(Vec::new, |f| f()));
                    hash_data(&|p: &Path| if own_text(p) { raw.kept(p) } else { held(&raw, made(), p) })
                });
                let fp = data.and_then(|data| fingerprint_with_data(root, year, &script_paths, &data, &known));
                ((Arc::new(ind), d), fp)
            }
        };
        if model.what_if {
            // Another year's tables may name units this model left out.
            for d in &mut idiags.0 {
                if matches!(d.code, crate::diag::Code::UnknownUnit | crate::diag::Code::UnmatchedName) {
                    d.severity = crate::diag::Severity::Warning;
                }
            }
        }
        let indicator_warnings = idiags.clone();
        diags.extend(idiags);
        let data = Data::new(&model, indicators.clone());
        check_inputs(&model, &data, &mut diags);
        diags.extend(crate::formula::params::check_criteria(&model, &scripts, |p| raw.source(p).map(|s| s.text.as_str())));

        let fp = match fp {
            Ok(f) => Some(f),
            Err(d) => {
                diags.push(d);
                None
            }
        };
        // Every file of the year's folders the fingerprint hashed is read, or told.
        let mut declared: Vec<PathBuf> = indicators.tables().iter().map(|t| t.file.clone()).collect();
        declared.extend(raw.survey_answers.iter().map(|s| s.path.clone()));
        // Evidence sent with the self-assessment, where it is kept in the data folder.
        let evidence = || {
            let each = model.appraisal.iter().flat_map(|a| a.self_scores.values()).flat_map(|s| &s.evidence);
            each.filter_map(|e| e.file.clone()).collect::<Vec<String>>()
        };
        let told = match &fp {
            Some(f) => unread(
                root,
                Read {
                    year,
                    data_year,
                    files: &mut f.files.keys().map(String::as_str),
                    declared: Some(&declared),
                    evidence: Some(&evidence),
                    scripts: Some(&script_paths),
                },
            ),
            None => unread_listed(root, (year, data_year), &data_stamp, Some(&declared), Some(&evidence), Some(&script_paths)),
        };
        diags.extend(told);
        if diags.has_errors() {
            return Err(diags);
        }
        let Some(fingerprint) = fp else { return Err(diags) };
        let plans = plans(&model, &scripts, &rules);
        let templates = crate::score::eval::templates(&model);
        let (unit_exempt, unit_awarded) = per_unit(&model);
        let raw_units = raw.units.clone();
        let sources = Arc::new(source_map(raw));
        let warnings = Diagnostics(diags.0.into_iter().filter(|d| d.severity == Severity::Warning).collect());
        Ok(RuleSet {
            plans,
            templates,
            unit_exempt,
            unit_awarded,
            root: root.to_path_buf(),
            model,
            scripts,
            rules,
            data,
            indicators,
            fingerprint,
            warnings,
            data_stamp,
            indicator_warnings,
            raw_units,
            loaded_at: SystemTime::now(),
            sources,
        })
    }
}

/// [`unread`] of the files listed here: the data folder's from its stamp,
/// the criteria folder's walked (a load that ends before its fingerprint).
fn unread_listed(
    root: &Path,
    (year, data_year): (u16, u16),
    stamp: &DataStamp,
    declared: Option<&[PathBuf]>,
    evidence: Option<&dyn Fn() -> Vec<String>>,
    scripts: Option<&[PathBuf]>,
) -> Diagnostics {
    let mut keys: Vec<String> = stamp.iter().filter_map(|(p, _, _)| p.strip_prefix(root).ok()).map(path_key).collect();
    keys.extend(rule_files(root, year, &[]).iter().map(|p| path_key(p)));
    unread(root, Read { year, data_year, files: &mut keys.iter().map(String::as_str), declared, evidence, scripts })
}

/// What a load holds of the data file `p` for its digest: the digest one
/// of its other threads made of it (`theirs`), else its text.
fn held<'a>(raw: &'a RawYear, theirs: &'a [(PathBuf, String)], p: &Path) -> Option<Kept<'a>> {
    theirs.iter().find(|(d, _)| d == p).map(|(_, d)| Kept::Digest(d.as_str())).or_else(|| raw.kept(p))
}

/// A year whose data files are this size or less in all is small. Its
/// data are hashed on the loading thread after validation, not on a thread
/// beside it: started there, a thread waited for a processor about as long
/// as the hashing takes, and the 2023 province's `score` (0.5 MB of data)
/// took 7.25 ms with it, 7.05 ms without. Its loading thread also keeps its
/// processor while it loads ([`Stay`]), and the engine's thread hashes its
/// unread files.
const SMALL: u64 = 4 << 20;

/// The size of a year's data files in all.
fn data_size(stamp: &DataStamp) -> u64 {
    stamp.iter().map(|(_, n, _)| n).sum()
}

/// The TOML files at the root of a year's data that the load does not read
/// by name ([`READ_BY_NAME`]), relative to `root`.
fn unread_data_files(root: &Path, data_year: u16, stamp: &DataStamp) -> Vec<PathBuf> {
    let dir = PathBuf::from("fixtures").join(data_year.to_string());
    stamp
        .iter()
        .filter_map(|(p, _, _)| p.strip_prefix(root).ok())
        .filter(|rel| rel.parent() == Some(dir.as_path()) && rel.extension().is_some_and(|e| e == "toml"))
        .filter(|rel| rel.file_name().and_then(|n| n.to_str()).is_some_and(|n| !READ_BY_NAME.contains(&n)))
        .map(Path::to_path_buf)
        .collect()
}

/// The digests of `files` (relative to `root`) that can be read; a file
/// that cannot is read again by the fingerprint, which reports it.
fn digests_from_disk(root: &Path, files: Vec<PathBuf>) -> Vec<(PathBuf, String)> {
    files.into_iter().filter_map(|rel| file_digest(root, &rel).ok().map(|d| (rel, d))).collect()
}

/// The data files of `stamp` other than TOML, relative to `root`: the
/// tables, hashed as their bytes are ([`file_digest`]).
fn table_files(root: &Path, stamp: &DataStamp) -> Vec<PathBuf> {
    let toml = |rel: &Path| rel.extension().is_some_and(|e| e == "toml" || e == "rhai");
    stamp.iter().filter_map(|(p, _, _)| p.strip_prefix(root).ok()).filter(|rel| !toml(rel)).map(Path::to_path_buf).collect()
}

/// Per node: its rule traced into a plan. Leaves that call the same script
/// with the same input names and parameters share one trace (most of a
/// year's leaves: a province's 80 criteria have three).
fn plans(model: &Model, scripts: &[CompiledScript], rules: &Rules) -> Vec<Option<Plan>> {
    let mut traced: rustc_hash::FxHashMap<(usize, Vec<&str>, &str), Plan> = Default::default();
    let mut plans = Vec::with_capacity(model.nodes.len());
    for n in &model.nodes {
        plans.push(n.rule.as_ref().map(|r| {
            let names: Vec<&str> = r.inputs.iter().map(|(k, _)| k.as_str()).collect();
            if r.params_text.is_empty() && !r.params_table.is_empty() {
                // Parameters without a text to tell them apart are traced alone.
                let names: Vec<String> = names.iter().map(|&k| k.to_owned()).collect();
                return rules.trace(&scripts[r.script], &names, &r.params);
            }
            traced
                .entry((r.script, names, r.params_text.as_str()))
                .or_insert_with_key(|(_, names, _)| {
                    let names: Vec<String> = names.iter().map(|&k| k.to_owned()).collect();
                    rules.trace(&scripts[r.script], &names, &r.params)
                })
                .clone()
        }));
    }
    plans
}

/// The rule engine a load uses: the caller's, or one of its own built beside the reading.
enum Engine<'r> {
    Given(&'r Rules),
    Own,
}

/// Per unit: the nodes it is exempt from (node, exemption) and awarded points at, sorted by node.
#[allow(clippy::type_complexity)]
fn per_unit(model: &Model) -> (Vec<Vec<(usize, usize)>>, Vec<Vec<usize>>) {
    let mut unit_exempt = vec![Vec::new(); model.units.len()];
    for (&(u, n), &e) in &model.exempt {
        unit_exempt[u].push((n, e));
    }
    let mut unit_awarded = vec![Vec::new(); model.units.len()];
    for &(u, n) in model.awarded.keys() {
        unit_awarded[u].push(n);
    }
    for v in &mut unit_exempt {
        v.sort_unstable();
    }
    for v in &mut unit_awarded {
        v.sort_unstable();
    }
    (unit_exempt, unit_awarded)
}

impl RuleSet {
    /// This set with its model replaced by `model` (the same units, criteria
    /// and scripts, with other maxima, exemptions, points or parameters, as
    /// a what-if makes them) and the plans of the nodes in `plans` replaced:
    /// what depends on the model is rebuilt, the rest (compiled scripts, data,
    /// sources) shared. `fingerprint` is the new set's.
    pub fn with_model(&self, model: Model, plans: Vec<(usize, Plan)>, fingerprint: Fingerprint) -> RuleSet {
        let templates = crate::score::eval::templates(&model);
        let (unit_exempt, unit_awarded) = per_unit(&model);
        let mut all_plans = self.plans.clone();
        for (n, p) in plans {
            all_plans[n] = Some(p);
        }
        RuleSet {
            root: self.root.clone(),
            model,
            scripts: self.scripts.clone(),
            rules: self.rules.clone(),
            data: self.data.clone(),
            indicators: Arc::clone(&self.indicators),
            fingerprint,
            plans: all_plans,
            templates,
            unit_exempt,
            unit_awarded,
            warnings: Diagnostics::default(),
            data_stamp: self.data_stamp.clone(),
            indicator_warnings: self.indicator_warnings.clone(),
            raw_units: self.raw_units.clone(),
            loaded_at: self.loaded_at,
            sources: Arc::clone(&self.sources),
        }
    }

    /// The same rule set with every rule run by rhai for each unit: the
    /// reference the native programs are checked against.
    pub fn interpreted(mut self) -> RuleSet {
        for p in self.plans.iter_mut().flatten() {
            *p = Plan::Interpreted("interpretation requested".into());
        }
        self
    }

    /// How many rule leaves run natively, and how many are interpreted.
    pub fn plan_counts(&self) -> (usize, usize) {
        let native = self.plans.iter().flatten().filter(|p| matches!(p, Plan::Native(_))).count();
        (native, self.plans.iter().flatten().count() - native)
    }
}

/// Every file read for the year, registered once, its text moved out of
/// `raw`; the values read from large files are freed on a thread of their
/// own. Copying the texts and freeing the values here (most of them the
/// self-assessment's evidence) took 1 to 3 ms of the 2023 province's
/// one-process `score` (17.9–22.1 ms before, 16.5–19.8 ms after).
fn source_map(mut raw: crate::input::load::RawYear) -> SourceMap {
    /// Files up to this size in all are freed here, in less time than a thread takes to start.
    const FREED_HERE: usize = 128 << 10;
    let mut map = SourceMap::new();
    let mut size = 0;
    for s in raw.take_sources() {
        size += s.text.len();
        map.add(s);
    }
    if size > FREED_HERE {
        // Without a thread to spare, `raw` is freed here, with the closure.
        drop(std::thread::Builder::new().name("free".into()).spawn(move || drop(raw)));
    }
    map
}

/// Size and modification time of every data file.
type DataStamp = Vec<(PathBuf, u64, Option<SystemTime>)>;

/// Size and modification time of every file under `dirs`, sorted: what tells
/// a reload whether files changed without reading them.
pub fn stamp(dirs: &[PathBuf]) -> Vec<(PathBuf, u64, Option<SystemTime>)> {
    let mut out = Vec::new();
    for d in dirs {
        out.extend(crate::source::files::files(d, true).into_iter().map(|(p, m)| (d.join(p), m.len(), m.modified().ok())));
    }
    out
}

/// Every input key a rule names must exist in some data source.
fn check_inputs(model: &Model, data: &Data, diags: &mut Diagnostics) {
    use crate::diag::{did_you_mean, Code, Diagnostic};
    for n in &model.nodes {
        let Some(rule) = &n.rule else { continue };
        for (_, key) in &rule.inputs {
            if !data.has_key(key) {
                let keys: Vec<&str> = data.keys().collect();
                let d =
                    Diagnostic::error(Code::UnknownReference, format!("criterion `{}` reads `{key}`, which no data file provides", n.id))
                        .at(n.location.clone())
                        .criterion(&n.id);
                let mut d = match did_you_mean(key, keys) {
                    Some(s) => d.help(format!("did you mean `{s}`?")),
                    None => d.help("data keys come from facts.toml or the tables of indicators.toml"),
                };
                if model.what_if {
                    // Another year's data: the leaf is left out of the scale.
                    d.severity = crate::diag::Severity::Warning;
                }
                diags.push(d);
            }
        }
    }
}
