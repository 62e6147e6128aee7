//! Archive and replay: published results kept as evidence, recomputed at will.
//!
//! `results/<year>.json` ([`Archive`]) holds a year's report as shown, every
//! node's exact points and maximum for every unit, the fingerprint of the
//! inputs, and a `digest`: the SHA-256 of the document's canonical content
//! without that key ([`digest_of`]). Reading an archive ([`read`]) checks the
//! digest, so an archive edited by hand after it was written is reported as
//! such ([`ArchiveError::Edited`]) instead of trusted.
//!
//! Writing ([`write`]) is atomic (a temporary file in the same folder, flushed
//! to disk, then renamed over the target, so a reader finds the old file or
//! the new one, never half of one) and exclusive (a lock on
//! `results/.<year>.json.lock` held from reading the old archive to renaming
//! the new one, so of two writers at once the second sees what the first
//! wrote). An archive holding another result, another year, or anything that
//! is not a valid archive is never replaced unless forced.
//!
//! Replaying ([`replay`]) compares an archive with a fresh recomputation field
//! by field and names every difference.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::input::fingerprint::Fingerprint;
use crate::report::{plain, Report};
use crate::score::eval::{Outcome, Status};
use crate::score::ruleset::RuleSet;

/// The `format` of the archives this engine writes and reads.
pub const FORMAT: &str = "parindex-archive-2";

/// How long a writer waits for another one to finish before giving up.
const LOCK_WAIT: Duration = Duration::from_secs(10);

/// A year's archived result: `results/<year>.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Archive {
    /// Always [`FORMAT`].
    pub format: String,
    pub year: u16,
    /// The fingerprint of the criteria, scripts, data and engine used.
    pub fingerprint: Fingerprint,
    /// The report as shown (rounded as the rules declare).
    pub report: ArchivedReport,
    /// Unit id → node id → exact points and maximum, for every node that
    /// applies to the unit, in the model's order.
    pub detail: IndexMap<String, IndexMap<String, ArchivedNode>>,
    /// SHA-256 (hex) of the canonical serialisation of every other key.
    pub digest: String,
}

/// The shown report of a year, as archived.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArchivedReport {
    pub year: u16,
    pub name: String,
    pub fingerprint: Fingerprint,
    pub units: Vec<ArchivedUnit>,
    pub averages: Vec<ArchivedAverage>,
}

/// One unit's row of the report. Numbers are decimal strings as shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArchivedUnit {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub group: String,
    pub scale: String,
    pub total: String,
    pub index: String,
    pub rank: u32,
    /// Part id → points shown; `null` when the unit is exempt from the part.
    pub parts: IndexMap<String, Option<String>>,
    pub components: Vec<ArchivedComponent>,
    pub previous: Option<ArchivedPrevious>,
    pub change: Option<ArchivedChange>,
    pub exact: ArchivedExact,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArchivedComponent {
    pub id: String,
    pub name: String,
    pub score: Option<String>,
    pub scale: String,
    pub index: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArchivedPrevious {
    pub year: u16,
    pub index: String,
    pub rank: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArchivedChange {
    pub index: String,
    pub rank: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArchivedExact {
    pub total: String,
    pub scale: String,
    pub index: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArchivedAverage {
    pub kind: String,
    pub name: String,
    pub index: String,
    pub units: usize,
}

/// A node's exact points (`null` when it has none: not evaluated, exempt)
/// and maximum for one unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArchivedNode {
    pub points: Option<String>,
    pub max: String,
}

/// The archive file of a year under `root`.
pub fn archive_path(root: &Path, year: u16) -> PathBuf {
    root.join("results").join(format!("{year}.json"))
}

/// The lock file writers of `path` hold while they write it.
pub fn lock_path(path: &Path) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    path.with_file_name(format!(".{name}.lock"))
}

impl Archive {
    /// The archive of a result, with its digest.
    pub fn new(rs: &RuleSet, outcome: &Outcome, report: &Report) -> Archive {
        let m = &rs.model;
        let mut detail = IndexMap::with_capacity(outcome.units.len());
        for res in &outcome.units {
            let mut nodes = IndexMap::new();
            for (i, n) in m.nodes.iter().enumerate() {
                let r = res.node(i);
                if r.status == Status::NotApplicable {
                    continue;
                }
                let points = r.status.has_points().then(|| plain(r.points));
                nodes.insert(n.id.clone(), ArchivedNode { points, max: plain(r.max) });
            }
            detail.insert(m.units[res.unit].id.to_string(), nodes);
        }
        let text = |s: &dyn std::fmt::Display| s.to_string();
        let units = report
            .units
            .iter()
            .map(|u| ArchivedUnit {
                id: text(&u.id),
                name: text(&u.name),
                kind: text(&u.kind),
                group: text(&u.group),
                scale: text(&u.scale),
                total: text(&u.total),
                index: text(&u.index),
                rank: u.rank,
                parts: u.parts.iter().map(|(p, v)| (p.to_string(), v.map(|v| v.to_string()))).collect(),
                components: u
                    .components
                    .iter()
                    .map(|c| ArchivedComponent {
                        id: text(&c.id),
                        name: text(&c.name),
                        score: c.score.as_ref().map(|s| s.to_string()),
                        scale: text(&c.scale),
                        index: c.index.as_ref().map(|s| s.to_string()),
                    })
                    .collect(),
                previous: u.previous.as_ref().map(|p| ArchivedPrevious { year: p.year, index: text(&p.index), rank: p.rank }),
                change: u.change.as_ref().map(|c| ArchivedChange { index: text(&c.index), rank: c.rank }),
                exact: ArchivedExact { total: text(&u.exact.total), scale: text(&u.exact.scale), index: text(&u.exact.index) },
            })
            .collect();
        let averages = report
            .averages
            .iter()
            .map(|a| ArchivedAverage { kind: a.kind.clone(), name: a.name.clone(), index: text(&a.index), units: a.units })
            .collect();
        let mut archive = Archive {
            format: FORMAT.to_string(),
            year: m.year,
            fingerprint: rs.fingerprint.clone(),
            report: ArchivedReport {
                year: report.year,
                name: report.name.clone(),
                fingerprint: report.fingerprint.clone(),
                units,
                averages,
            },
            detail,
            digest: String::new(),
        };
        archive.seal();
        archive
    }

    /// Sets `digest` to the digest of the rest of the document.
    pub fn seal(&mut self) {
        self.digest = digest_of(&self.to_value());
    }

    /// The document as JSON.
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// The document as written to disk: pretty JSON and a final line break.
    pub fn to_text(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }
}

/// `v` with the keys of every object sorted (byte order of their UTF-8).
fn sorted(v: &Value) -> Value {
    match v {
        Value::Object(o) => {
            let mut keys: Vec<&String> = o.keys().collect();
            keys.sort();
            Value::Object(keys.into_iter().map(|k| (k.clone(), sorted(&o[k]))).collect::<Map<_, _>>())
        }
        Value::Array(a) => Value::Array(a.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

/// The digest of an archive document: the SHA-256 (lowercase hex) of its
/// canonical serialisation without its top-level `digest` key, that is
/// compact JSON (no whitespace) with the keys of every object sorted and
/// strings escaped as `serde_json` does. Layout and key order therefore do
/// not count; every key and value does.
pub fn digest_of(doc: &Value) -> String {
    let mut doc = doc.clone();
    if let Value::Object(o) = &mut doc {
        o.shift_remove("digest");
    }
    let bytes = serde_json::to_vec(&sorted(&doc)).unwrap_or_default();
    Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// What `score --archive` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Archived {
    Written(PathBuf),
    /// The archive already held this very result.
    Unchanged(PathBuf),
}

/// Why an archive could not be read, or was not written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ArchiveError {
    /// There is no archive at `path`.
    #[error("there is no archive `{path}`")]
    Missing { path: PathBuf },
    /// The file could not be read or written.
    #[error("cannot {action} `{path}`: {source}")]
    Io { path: PathBuf, action: &'static str, source: io::Error },
    /// The file is not JSON.
    #[error("`{path}` is not an archive: it is not valid JSON (line {line}, column {column}: {message})")]
    NotJson { path: PathBuf, line: usize, column: usize, message: String },
    /// The file is JSON, but not a parindex archive.
    #[error("`{path}` is not an archive: it has no `format` of a parindex archive")]
    NotAnArchive { path: PathBuf },
    /// An archive of a format this engine does not read.
    #[error("`{path}` is an archive of format `{format}`, not `{FORMAT}`{hint}", hint = format_hint(format))]
    UnknownFormat { path: PathBuf, format: String },
    /// The document does not hash to its recorded digest: it was changed
    /// after it was written. `archive` is the edited document, when it
    /// still has the shape of one, to show what differs.
    #[error("`{path}`: the archive was edited after it was written (its digest is {recorded}, its content hashes to {computed})")]
    Edited { path: PathBuf, recorded: String, computed: String, archive: Option<Box<Archive>> },
    /// The digest holds but a key or value is not what an archive holds.
    #[error("`{path}` is not a valid archive: {message}")]
    Malformed { path: PathBuf, message: String },
    /// The archive holds the results of another year.
    #[error("`{path}` holds the results of {found}, not {expected}")]
    OtherYear { path: PathBuf, found: u16, expected: u16 },
    /// A different result is archived; replacing it needs `force`.
    #[error("`{path}` holds a different result (fingerprint {archived}); pass --force to replace it")]
    Different { path: PathBuf, archived: String },
    /// The file at the archive's place cannot be read as this year's archive;
    /// replacing it needs `force`.
    #[error("{reason}; it was not replaced: pass --force to replace it")]
    Kept { reason: Box<ArchiveError> },
    /// Another writer held the lock for too long.
    #[error("another process is writing `{path}` (it holds `{lock}`); try again when it has finished")]
    Busy { path: PathBuf, lock: PathBuf },
}

fn format_hint(format: &str) -> &'static str {
    if format == "parindex-archive-1" {
        ": an older format without a digest; archive the year again with `parindex score --archive --force`"
    } else {
        ""
    }
}

/// Reads and checks the archive at `path`: JSON, an archive of [`FORMAT`],
/// unedited since it was written (its digest holds), every key as an
/// archive holds it.
pub fn read(path: &Path) -> Result<Archive, ArchiveError> {
    match fs::read(path) {
        Ok(bytes) => parse(path, &bytes),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Err(ArchiveError::Missing { path: path.to_path_buf() }),
        Err(source) => Err(ArchiveError::Io { path: path.to_path_buf(), action: "read", source }),
    }
}

/// Checks the bytes of an archive as [`read`] does; `path` names it in errors.
pub fn parse(path: &Path, bytes: &[u8]) -> Result<Archive, ArchiveError> {
    let path = path.to_path_buf();
    let doc: Value = serde_json::from_slice(bytes).map_err(|e| ArchiveError::NotJson {
        path: path.clone(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    let format = match doc.get("format").and_then(Value::as_str) {
        Some(f) if f.starts_with("parindex-archive") => f,
        _ => return Err(ArchiveError::NotAnArchive { path }),
    };
    if format != FORMAT {
        return Err(ArchiveError::UnknownFormat { path, format: format.to_string() });
    }
    let typed = |doc: Value| serde_json::from_value::<Archive>(doc).map_err(|e| e.to_string());
    let Some(recorded) = doc.get("digest").and_then(Value::as_str).map(str::to_owned) else {
        return Err(ArchiveError::Malformed { path, message: "it has no `digest`".into() });
    };
    let computed = digest_of(&doc);
    if computed != recorded {
        let archive = typed(doc).ok().map(Box::new);
        return Err(ArchiveError::Edited { path, recorded, computed, archive });
    }
    typed(doc).map_err(|message| ArchiveError::Malformed { path, message })
}

/// Writes `path` atomically: `write` fills a temporary file beside it, which
/// replaces `path` only once complete and on disk. If `write` fails, the
/// temporary file is removed and `path` is untouched.
pub fn write_atomic(path: &Path, write: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> io::Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    let tmp = dir.join(format!(".{name}.{}.{nanos}.tmp", std::process::id()));
    let result = (|| {
        let mut f = fs::OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        {
            let mut w = io::BufWriter::new(&mut f);
            write(&mut w)?;
            w.flush()?;
        }
        f.sync_all()?;
        fs::rename(&tmp, path)?;
        if let Ok(d) = fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// An exclusive lock on a file beside the archive, released when dropped
/// (and by the system when the process ends, however it ends). The lock
/// file itself stays: removing it would let a third writer lock a new file
/// while a second still waits on the old one.
struct Lock(fs::File);

impl Lock {
    fn take(path: &Path) -> Result<Lock, ArchiveError> {
        let lock = lock_path(path);
        let io_err = |source| ArchiveError::Io { path: lock.clone(), action: "lock", source };
        if let Some(dir) = lock.parent() {
            fs::create_dir_all(dir).map_err(io_err)?;
        }
        let file = fs::OpenOptions::new().read(true).write(true).create(true).truncate(false).open(&lock).map_err(io_err)?;
        let start = Instant::now();
        loop {
            // Called through the trait: newer std has methods of the same names.
            match fs4::FileExt::try_lock(&file) {
                Ok(()) => return Ok(Lock(file)),
                Err(fs4::TryLockError::WouldBlock) => {}
                Err(fs4::TryLockError::Error(e)) => return Err(io_err(e)),
            }
            if start.elapsed() > LOCK_WAIT {
                return Err(ArchiveError::Busy { path: path.to_path_buf(), lock });
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = fs4::FileExt::unlock(&self.0);
    }
}

/// Writes the archive of `rs`'s year, under its lock. Without `force` it
/// replaces nothing but a missing file: a different result, another
/// year's, an edited archive or a file that is not one are kept, and the
/// error says why.
pub fn write(rs: &RuleSet, doc: &Archive, force: bool) -> Result<Archived, ArchiveError> {
    let path = archive_path(&rs.root, doc.year);
    let _lock = Lock::take(&path)?;
    let keep = |reason: ArchiveError| if force { Ok(()) } else { Err(ArchiveError::Kept { reason: Box::new(reason) }) };
    match read(&path) {
        Ok(old) if old == *doc => return Ok(Archived::Unchanged(path)),
        Ok(old) if old.year != doc.year => keep(ArchiveError::OtherYear { path: path.clone(), found: old.year, expected: doc.year })?,
        Ok(old) if !force => return Err(ArchiveError::Different { path, archived: old.fingerprint.sha256 }),
        Ok(_) | Err(ArchiveError::Missing { .. }) => {}
        Err(e) => keep(e)?,
    }
    let text = doc.to_text();
    write_atomic(&path, |w| w.write_all(text.as_bytes())).map_err(|source| ArchiveError::Io {
        path: path.clone(),
        action: "write",
        source,
    })?;
    Ok(Archived::Written(path))
}

/// One field that differs between the archive and the recomputation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// The unit the field belongs to; `None` for the year's own fields
    /// (`year`, `fingerprint.data`, `averages[district].index`, ...).
    pub unit: Option<String>,
    /// The field's path within the unit or the year: `total`,
    /// `parts.appraisal`, `components[4].score`, `exact.total`,
    /// `change.index`, `criterion 3.4.1 points`, `unit` (present or absent).
    pub what: String,
    /// The value archived, as text (`absent` when the field is missing, `—` for null).
    pub archived: String,
    pub recomputed: String,
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(u) = &self.unit {
            write!(f, "{u} ")?;
        }
        write!(f, "{}: archived {} → recomputed {}", self.what, self.archived, self.recomputed)
    }
}

/// The outcome of a replay.
#[derive(Debug, Clone)]
pub struct Replay {
    pub archived: Fingerprint,
    pub recomputed: Fingerprint,
    pub differences: Vec<Difference>,
}

impl Replay {
    pub fn identical(&self) -> bool {
        self.differences.is_empty() && self.archived.sha256 == self.recomputed.sha256
    }

    /// Which inputs changed: "the rules", "the data", "the engine".
    pub fn changed_inputs(&self) -> Vec<&'static str> {
        let (a, b) = (&self.archived, &self.recomputed);
        let mut v = Vec::new();
        if a.rules != b.rules {
            v.push("the rules");
        }
        if a.data != b.data {
            v.push("the data");
        }
        if a.engine != b.engine || a.engine_version != b.engine_version {
            v.push("the engine");
        }
        v
    }
}

fn shown(v: Option<&Value>) -> String {
    match v {
        None => "absent".into(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) => "—".into(),
        Some(other) => other.to_string(),
    }
}

/// Collects the differences of one unit (or of the year's own fields, `unit: None`).
struct Differ<'a> {
    unit: Option<&'a str>,
    out: &'a mut Vec<Difference>,
}

impl Differ<'_> {
    fn push(&mut self, what: String, a: Option<&Value>, b: Option<&Value>) {
        self.out.push(Difference { unit: self.unit.map(str::to_owned), what, archived: shown(a), recomputed: shown(b) });
    }

    /// Every leaf of `a` and `b` that differs, named by its path under `path`.
    fn value(&mut self, path: &str, a: Option<&Value>, b: Option<&Value>) {
        let join = |k: &str| if path.is_empty() { k.to_string() } else { format!("{path}.{k}") };
        match (a, b) {
            (Some(Value::Object(x)), Some(Value::Object(y))) => {
                for k in x.keys().chain(y.keys().filter(|k| !x.contains_key(*k))) {
                    self.value(&join(k), x.get(k), y.get(k));
                }
            }
            (Some(Value::Array(x)), Some(Value::Array(y))) => match (keyed(x, "id"), keyed(y, "id")) {
                (Some(kx), Some(ky)) => self.list(path, &kx, &ky),
                _ => {
                    for i in 0..x.len().max(y.len()) {
                        self.value(&format!("{path}[{i}]"), x.get(i), y.get(i));
                    }
                }
            },
            _ if a != b => self.push(path.to_string(), a, b),
            _ => {}
        }
    }

    /// Two lists of records matched by key: a record present in one only,
    /// or more than once, is a difference; the others are compared field by field.
    fn list(&mut self, path: &str, x: &[(&str, &Value)], y: &[(&str, &Value)]) {
        let (gx, gy) = (group(x.iter().copied()), group(y.iter().copied()));
        for k in union(&gx, &gy) {
            let none = Vec::new();
            let (ax, ay) = (gx.get(k).unwrap_or(&none), gy.get(k).unwrap_or(&none));
            let what = format!("{path}[{k}]");
            if ax.len() != 1 || ay.len() != 1 {
                let count = |n: usize| Value::String(presence(n));
                self.push(what.clone(), Some(&count(ax.len())), Some(&count(ay.len())));
            }
            if let (Some(a), Some(b)) = (ax.first(), ay.first()) {
                self.value(&what, Some(a), Some(b));
            }
        }
    }
}

/// Items grouped by key, in the order keys are first met.
fn group<'k, V>(items: impl Iterator<Item = (&'k str, V)>) -> IndexMap<&'k str, Vec<V>> {
    let mut g: IndexMap<&str, Vec<V>> = IndexMap::new();
    for (k, v) in items {
        g.entry(k).or_default().push(v);
    }
    g
}

/// The keys of `a`, then those of `b` that `a` lacks.
fn union<'k, A, B>(a: &IndexMap<&'k str, A>, b: &IndexMap<&'k str, B>) -> Vec<&'k str> {
    a.keys().chain(b.keys().filter(|k| !a.contains_key(*k))).copied().collect()
}

fn presence(n: usize) -> String {
    match n {
        0 => "absent".into(),
        1 => "present".into(),
        n => format!("present {n} times"),
    }
}

/// The records of a list by the string at `key`, if every element has one.
fn keyed<'v>(list: &'v [Value], key: &str) -> Option<Vec<(&'v str, &'v Value)>> {
    list.iter().map(|v| v.get(key).and_then(Value::as_str).map(|k| (k, v))).collect()
}

fn json<T: Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// Compares an archive with a fresh one, field by field: the year, the
/// fingerprint, the report's year, name and fingerprint, every unit's row
/// (name, kind, group, parts, components, scale, total, index, rank,
/// previous result, change, exact values), the averages, and every node's
/// exact points and maximum.
pub fn replay<'a>(archived: &'a Archive, fresh: &'a Archive) -> Replay {
    let mut differences = Vec::new();
    let mut year = Differ { unit: None, out: &mut differences };
    year.value("year", Some(&json(&archived.year)), Some(&json(&fresh.year)));
    year.value("fingerprint", Some(&json(&archived.fingerprint)), Some(&json(&fresh.fingerprint)));
    let (ra, rb) = (&archived.report, &fresh.report);
    year.value("report.year", Some(&json(&ra.year)), Some(&json(&rb.year)));
    year.value("report.name", Some(&json(&ra.name)), Some(&json(&rb.name)));
    year.value("report.fingerprint", Some(&json(&ra.fingerprint)), Some(&json(&rb.fingerprint)));

    let units = |r: &'a ArchivedReport| group(r.units.iter().map(|u| (u.id.as_str(), u)));
    let (ua, ub) = (units(ra), units(rb));
    let detail = |a: &'a Archive| group(a.detail.iter().map(|(id, d)| (id.as_str(), d)));
    let (da, db) = (detail(archived), detail(fresh));
    let mut ids = union(&ua, &ub);
    ids.extend(union(&da, &db).into_iter().filter(|id| !ua.contains_key(id) && !ub.contains_key(id)));
    for id in ids {
        let mut unit = Differ { unit: Some(id), out: &mut differences };
        let none = Vec::new();
        let (a, b) = (ua.get(id).unwrap_or(&none), ub.get(id).unwrap_or(&none));
        if a.len() != 1 || b.len() != 1 {
            let count = |n: usize| Value::String(presence(n));
            unit.push("unit".into(), Some(&count(a.len())), Some(&count(b.len())));
        }
        if let (Some(a), Some(b)) = (a.first(), b.first()) {
            if a != b {
                unit.value("", Some(&json(a)), Some(&json(b)));
            }
        }
        let (da, db) = (da.get(id).and_then(|d| d.first()).copied(), db.get(id).and_then(|d| d.first()).copied());
        let empty = IndexMap::new();
        let (da, db) = (da.unwrap_or(&empty), db.unwrap_or(&empty));
        let nodes = da.keys().chain(db.keys().filter(|k| !da.contains_key(*k)));
        for n in nodes {
            let (na, nb) = (da.get(n), db.get(n));
            match (na, nb) {
                (Some(na), Some(nb)) if na == nb => {}
                (Some(na), Some(nb)) => {
                    let (na, nb) = (json(na), json(nb));
                    unit.value(&format!("criterion {n} points"), na.get("points"), nb.get("points"));
                    unit.value(&format!("criterion {n} max"), na.get("max"), nb.get("max"));
                }
                _ => {
                    let p = |x: Option<&ArchivedNode>| Value::String(presence(usize::from(x.is_some())));
                    unit.push(format!("criterion {n}"), Some(&p(na)), Some(&p(nb)));
                }
            }
        }
    }

    let averages = |r: &ArchivedReport| r.averages.iter().map(json).collect::<Vec<_>>();
    let (aa, ab) = (averages(ra), averages(rb));
    let mut year = Differ { unit: None, out: &mut differences };
    match (keyed(&aa, "kind"), keyed(&ab, "kind")) {
        (Some(x), Some(y)) => year.list("averages", &x, &y),
        _ => year.value("averages", Some(&Value::Array(aa.clone())), Some(&Value::Array(ab.clone()))),
    }
    Replay { archived: archived.fingerprint.clone(), recomputed: fresh.fingerprint.clone(), differences }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_write_leaves_the_old_file_and_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("2023.json");
        write_atomic(&path, |w| w.write_all(b"old complete result")).unwrap();
        // The writer dies halfway: half the new content, then an error.
        let err = write_atomic(&path, |w| {
            w.write_all(b"{\"half\": ")?;
            Err(io::Error::other("killed"))
        });
        assert!(err.is_err());
        assert_eq!(fs::read_to_string(&path).unwrap(), "old complete result");
        let names: Vec<_> = fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, vec![std::ffi::OsString::from("2023.json")], "no temporary file is left");
        write_atomic(&path, |w| w.write_all(b"new complete result")).unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "new complete result");
    }

    #[test]
    fn the_digest_ignores_layout_and_key_order_but_not_values() {
        let a: Value = serde_json::from_str(r#"{"format": "x", "b": {"y": "1", "x": [1, 2]}, "digest": "d"}"#).unwrap();
        let b: Value = serde_json::from_str(r#"{"b":{"x":[1,2],"y":"1"},"format":"x"}"#).unwrap();
        assert_eq!(digest_of(&a), digest_of(&b));
        let c: Value = serde_json::from_str(r#"{"b":{"x":[2,1],"y":"1"},"format":"x"}"#).unwrap();
        assert_ne!(digest_of(&a), digest_of(&c));
    }

    #[test]
    fn lists_are_matched_by_id_and_duplicates_are_named() {
        let a: Value = serde_json::from_str(r#"[{"id": "1", "v": "a"}, {"id": "2", "v": "b"}]"#).unwrap();
        let b: Value = serde_json::from_str(r#"[{"id": "2", "v": "c"}, {"id": "1", "v": "a"}, {"id": "1", "v": "a"}]"#).unwrap();
        let mut out = Vec::new();
        Differ { unit: None, out: &mut out }.value("c", Some(&a), Some(&b));
        let shown: Vec<String> = out.iter().map(|d| d.to_string()).collect();
        assert_eq!(shown, ["c[1]: archived present → recomputed present 2 times", "c[2].v: archived b → recomputed c"]);
    }
}
