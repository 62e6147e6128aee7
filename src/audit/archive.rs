//! Archive and replay: published results kept as files, recomputed at will.
//!
//! `results/<year>.json` holds a year's report, every node's exact points for
//! every unit, and the fingerprint of the inputs. It is written atomically
//! (a temporary file in the same folder, flushed to disk, then renamed over
//! the target), so a reader finds the old file or the new one, never half of
//! one. Replaying recomputes the year and compares it with the archive number
//! by number, and says whether the rules, the data or the engine changed.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value};

use crate::input::fingerprint::Fingerprint;
use crate::report::{plain, Report};
use crate::score::eval::{Outcome, Status};
use crate::score::ruleset::RuleSet;

/// The archive file of a year under `root`.
pub fn archive_path(root: &Path, year: u16) -> PathBuf {
    root.join("results").join(format!("{year}.json"))
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
        let mut f = fs::File::create(&tmp)?;
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

/// The archive document of a result.
pub fn archive_document(rs: &RuleSet, outcome: &Outcome, report: &Report) -> Value {
    let m = &rs.model;
    let mut detail = Map::new();
    for res in &outcome.units {
        let mut nodes = Map::new();
        for (i, n) in m.nodes.iter().enumerate() {
            let r = res.node(i);
            if r.status == Status::NotApplicable {
                continue;
            }
            let points = if r.status.has_points() { Value::String(plain(r.points)) } else { Value::Null };
            nodes.insert(n.id.clone(), json!({ "points": points, "max": plain(r.max) }));
        }
        detail.insert(m.units[res.unit].id.to_string(), Value::Object(nodes));
    }
    json!({
        "format": "parindex-archive-1",
        "year": m.year,
        "fingerprint": rs.fingerprint,
        "report": report.to_json(),
        "detail": detail,
    })
}

/// What `score --archive` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Archived {
    Written(PathBuf),
    /// The archive already held this very result.
    Unchanged(PathBuf),
}

/// Why an archive was not written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ArchiveError {
    /// A different result is archived; overwriting needs `force`.
    #[error("`{path}` holds a different result (fingerprint {archived}); pass --force to replace it")]
    Different { path: PathBuf, archived: String },
    /// The file could not be read or written.
    #[error("cannot write `{path}`: {source}")]
    Io { path: PathBuf, source: io::Error },
}

/// Writes the archive of a year, refusing to replace a different one unless `force`.
pub fn archive(rs: &RuleSet, doc: &Value, force: bool) -> Result<Archived, ArchiveError> {
    let path = archive_path(&rs.root, rs.model.year);
    if let Ok(text) = fs::read_to_string(&path) {
        if let Ok(old) = serde_json::from_str::<Value>(&text) {
            if &old == doc {
                return Ok(Archived::Unchanged(path));
            }
            if !force {
                let archived = old["fingerprint"]["sha256"].as_str().unwrap_or("?").to_string();
                return Err(ArchiveError::Different { path, archived });
            }
        }
    }
    let text = serde_json::to_string_pretty(doc).unwrap_or_default();
    write_atomic(&path, |w| {
        w.write_all(text.as_bytes())?;
        w.write_all(b"\n")
    })
    .map_err(|source| ArchiveError::Io { path: path.clone(), source })?;
    Ok(Archived::Written(path))
}

/// One number that differs between the archive and the recomputation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    pub unit: String,
    /// `total`, `index`, `part appraisal`, `criterion 3.4.1`, ...
    pub what: String,
    pub archived: String,
    pub recomputed: String,
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
        if a.engine != b.engine {
            v.push("the engine");
        }
        v
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "—".into(),
        other => other.to_string(),
    }
}

fn compare(unit: &str, what: String, a: &Value, b: &Value, out: &mut Vec<Difference>) {
    if a != b {
        out.push(Difference { unit: unit.to_string(), what, archived: text(a), recomputed: text(b) });
    }
}

/// Compares an archive document with a fresh one, number by number.
pub fn replay(archived: &Value, fresh: &Value) -> Replay {
    let fp = |v: &Value| serde_json::from_value::<Fingerprint>(v["fingerprint"].clone()).ok();
    let empty = Fingerprint::default();
    let mut differences = Vec::new();
    let units = |v: &Value| v["report"]["units"].as_array().cloned().unwrap_or_default();
    let (old_units, new_units) = (units(archived), units(fresh));
    let find = |list: &[Value], id: &str| list.iter().find(|u| u["id"] == id).cloned();
    let mut ids: Vec<String> = old_units.iter().chain(&new_units).filter_map(|u| u["id"].as_str().map(str::to_owned)).collect();
    ids.dedup();
    let mut seen = std::collections::HashSet::new();
    for id in ids.into_iter().filter(|i| seen.insert(i.clone())) {
        let (Some(a), Some(b)) = (find(&old_units, &id), find(&new_units, &id)) else {
            let present = |l: &[Value]| if find(l, &id).is_some() { "present" } else { "absent" };
            differences.push(Difference {
                unit: id.clone(),
                what: "unit".into(),
                archived: present(&old_units).into(),
                recomputed: present(&new_units).into(),
            });
            continue;
        };
        for key in ["scale", "total", "index", "rank"] {
            compare(&id, key.into(), &a[key], &b[key], &mut differences);
        }
        let keys = |v: &Value| v.as_object().map(|o| o.keys().cloned().collect::<Vec<_>>()).unwrap_or_default();
        let mut parts = keys(&a["parts"]);
        parts.extend(keys(&b["parts"]).into_iter().filter(|k| !a["parts"].as_object().is_some_and(|o| o.contains_key(k))));
        for p in parts {
            compare(&id, format!("part {p}"), &a["parts"][&p], &b["parts"][&p], &mut differences);
        }
        compare(&id, "change".into(), &a["change"], &b["change"], &mut differences);
        let (da, db) = (&archived["detail"][&id], &fresh["detail"][&id]);
        let mut nodes = keys(da);
        nodes.extend(keys(db).into_iter().filter(|k| !da.as_object().is_some_and(|o| o.contains_key(k))));
        for n in nodes {
            compare(&id, format!("criterion {n} points"), &da[&n]["points"], &db[&n]["points"], &mut differences);
            compare(&id, format!("criterion {n} max"), &da[&n]["max"], &db[&n]["max"], &mut differences);
        }
    }
    Replay { archived: fp(archived).unwrap_or_else(|| empty.clone()), recomputed: fp(fresh).unwrap_or(empty), differences }
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
}
