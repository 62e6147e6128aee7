//! The JSON endpoints, and the documents both they and the pages are made of.
//!
//! | endpoint | document |
//! |---|---|
//! | `/api/report` | the live report (`parindex score --format json`), with `generation` |
//! | `/api/unit/{id}` | the unit's explanation (`parindex explain --format json`), its report `row` and `history` |
//! | `/api/targets` | the targets (`parindex targets --format json`) |
//! | `/api/changes` | the changes of the last applied reload, with its `generation` |
//! | `/api/diagnostics` | the rejected edit's diagnostics and the set still serving; the live set's warnings |
//! | `/api/diff?to=Y` | `parindex diff <year> Y --data <year> --format json` |

use std::path::Path;
use std::sync::Arc;

use axum::extract::{Path as UrlPath, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json, Response};
use serde::Deserialize;
use serde_json::{json, Value};

use super::Live;
use crate::formula::rules::Rules;
use crate::input::targets::{evaluate, load_targets, TargetReport};
use crate::live::engine::Snapshot;
use crate::report::page::{iso_utc, HistoryRow};
use crate::score::ruleset::{unit_refs, RuleSet};

/// `?to=2025`, read as text so that a word or a number out of range is
/// answered in the page's words, not the framework's.
#[derive(Debug, Deserialize)]
pub(super) struct DiffQuery {
    pub to: Option<String>,
}

impl DiffQuery {
    /// The year asked for: `None` when none is, `Err` with the text given when it is no year.
    pub(super) fn year(&self) -> Option<Result<u16, String>> {
        let to = self.to.as_deref()?.trim();
        Some(to.parse::<u16>().map_err(|_| to.to_string()))
    }
}

pub(super) async fn report(State(live): State<Arc<Live>>) -> Json<Value> {
    let snap = live.engine.current();
    let mut v = snap.report.to_json();
    v["generation"] = json!(snap.generation);
    Json(v)
}

pub(super) async fn unit(State(live): State<Arc<Live>>, UrlPath(id): UrlPath<String>) -> Response {
    let snap = live.engine.current();
    match unit_document(&live, &snap, &id) {
        Some((v, _)) => Json(v).into_response(),
        None => (StatusCode::NOT_FOUND, Json(json!({ "error": format!("no unit `{id}` in {}", snap.report.year) }))).into_response(),
    }
}

pub(super) async fn targets(State(live): State<Arc<Live>>) -> Json<Value> {
    let report = blocking(move || target_report(&live)).await.flatten();
    Json(report.map_or(Value::Null, |r| r.to_json()))
}

pub(super) async fn changes(State(live): State<Arc<Live>>) -> Json<Value> {
    let generation = live.engine.current().generation;
    let last = live.status().last_changes.clone();
    Json(match last {
        Some((g, c)) => json!({ "generation": generation, "changed_at_generation": g, "changes": c }),
        None => json!({ "generation": generation, "changed_at_generation": null, "changes": null }),
    })
}

pub(super) async fn diagnostics(State(live): State<Arc<Live>>) -> Json<Value> {
    let snap = live.engine.current();
    let root = live.engine.root().to_path_buf();
    let mut warnings = snap.rule_set.warnings.clone();
    warnings.strip_root(&root);
    let rejected = live.status().rejected.clone();
    Json(match rejected {
        Some(mut r) => {
            r.diagnostics.strip_root(&root);
            json!({
                "rejected": true,
                "diagnostics": r.diagnostics,
                "serving": { "generation": r.generation, "loaded_at": iso_utc(r.serving_since) },
                "rejected_at": iso_utc(r.at),
                "warnings": warnings,
            })
        }
        None => json!({
            "rejected": false,
            "diagnostics": [],
            "serving": { "generation": snap.generation, "loaded_at": iso_utc(snap.loaded_at()) },
            "warnings": warnings,
        }),
    })
}

pub(super) async fn diff(State(live): State<Arc<Live>>, Query(q): Query<DiffQuery>) -> Response {
    let to = match q.year() {
        Some(Ok(to)) => to,
        Some(Err(text)) => {
            return (StatusCode::BAD_REQUEST, Json(json!({ "error": format!("`{text}` is not a year: /api/diff?to=2025") })))
                .into_response()
        }
        None => return (StatusCode::BAD_REQUEST, Json(json!({ "error": "give the other year: /api/diff?to=2025" }))).into_response(),
    };
    let (root, year) = (live.engine.root().to_path_buf(), live.engine.year());
    match blocking(move || diff_document(&root, year, to)).await {
        Some(Ok(v)) => Json(v).into_response(),
        Some(Err(message)) => (StatusCode::UNPROCESSABLE_ENTITY, Json(json!({ "error": message }))).into_response(),
        None => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// Runs file-reading work off the server's threads; `None` if it panicked.
pub(super) async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    tokio::task::spawn_blocking(f).await.ok()
}

/// A unit's explanation JSON with its report `row` and `history` added, and its report row's position.
pub(super) fn unit_document(live: &Live, snap: &Snapshot, key: &str) -> Option<(Value, usize)> {
    let m = &snap.rule_set.model;
    let unit = m.find_unit(key)?;
    let row = snap.report.units.iter().position(|r| r.unit == unit)?;
    let mut v = crate::audit::explain::explain(&snap.rule_set, &snap.outcome, unit).to_json();
    v["row"] = serde_json::to_value(&snap.report.units[row]).unwrap_or_default();
    let history: Vec<Value> = history(live.engine.root(), snap, row)
        .into_iter()
        .map(|h| json!({ "year": h.year, "index": h.index, "rank": h.rank, "source": h.source }))
        .collect();
    v["history"] = Value::Array(history);
    Some((v, row))
}

/// A unit's index and rank in every archived year (`results/*.json`), last
/// year's published result, and the live one; by year.
pub(super) fn history(root: &Path, snap: &Snapshot, row: usize) -> Vec<HistoryRow> {
    let r = &snap.report.units[row];
    let mut out = Vec::new();
    if let Some(p) = &r.previous {
        out.push(HistoryRow { year: p.year, index: p.index.to_string(), rank: p.rank, source: "previous.toml".into() });
    }
    let mut files: Vec<_> = std::fs::read_dir(root.join("results"))
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort_by_key(|e| e.file_name());
    for e in files.iter().take(100) {
        let Ok(text) = std::fs::read_to_string(e.path()) else { continue };
        let Ok(doc) = serde_json::from_str::<Value>(&text) else { continue };
        let Some(year) = doc["year"].as_u64().and_then(|y| u16::try_from(y).ok()) else { continue };
        let found = doc["report"]["units"].as_array().into_iter().flatten().find(|u| u["id"].as_str() == Some(r.id.as_str()));
        if let Some(u) = found {
            let index = u["index"].as_str().unwrap_or("").to_string();
            let rank = u["rank"].as_u64().and_then(|x| u32::try_from(x).ok()).unwrap_or(0);
            out.push(HistoryRow { year, index, rank, source: format!("results/{}", e.file_name().to_string_lossy()) });
        }
    }
    out.push(HistoryRow { year: snap.report.year, index: r.index.to_string(), rank: r.rank, source: format!("live #{}", snap.generation) });
    out.sort_by_key(|h| h.year);
    out
}

/// The year's targets against the latest indicator data; `None` when the year declares none.
pub(super) fn target_report(live: &Live) -> Option<TargetReport> {
    let (root, year) = (live.engine.root(), live.engine.year());
    let (set, _) = load_targets(root, year);
    if set.targets.is_empty() {
        return None;
    }
    let snap = live.engine.current();
    if set.indicators_year == year {
        return Some(evaluate(&set, &snap.rule_set.indicators, &unit_refs(&snap.rule_set.model)));
    }
    let rs = RuleSet::load(root, set.indicators_year, &Rules::default()).ok()?;
    Some(evaluate(&set, &rs.indicators, &unit_refs(&rs.model)))
}

/// `parindex diff <year> <to> --data <year> --format json`: the rule-set
/// diff, and this year's units scored under both sets.
pub(super) fn diff_document(root: &Path, year: u16, to: u16) -> Result<Value, String> {
    let rules = Rules::default();
    let load = |y: u16| RuleSet::load(root, y, &rules).map_err(|d| format!("the rule set of {y} has {} errors", d.errors().count()));
    let (a, b) = (load(year)?, load(to)?);
    let (ta, _) = load_targets(root, year);
    let (tb, _) = load_targets(root, to);
    let mut v = serde_json::to_value(crate::audit::diff::diff(&a, &b, &ta, &tb)).unwrap_or_default();
    let scored = |y: u16| {
        RuleSet::load_with(root, y, year, &rules)
            .and_then(|rs| Snapshot::from_rule_set(rs, 1))
            .map_err(|d| format!("the data of {year} cannot be scored under the rule set of {y}: {} errors", d.errors().count()))
    };
    v["data"] = match (scored(year), scored(to)) {
        (Ok(sa), Ok(sb)) => {
            let units: Vec<Value> = sa
                .report
                .units
                .iter()
                .filter_map(|ua| {
                    let ub = sb.report.units.iter().find(|u| u.id == ua.id)?;
                    let side = |s: &Snapshot, u: &crate::report::UnitRow| {
                        json!({ "group": u.group, "total": u.total, "scale": u.scale, "index": u.index, "rank": u.rank, "adjusted": s.outcome.units[u.unit].adjusted })
                    };
                    Some(json!({ "id": ua.id, "from": side(&sa, ua), "to": side(&sb, ub), "rank_move": i64::from(ua.rank) - i64::from(ub.rank) }))
                })
                .collect();
            json!({ "year": year, "units": units })
        }
        (a, b) => {
            let errors: Vec<String> = [a.err(), b.err()].into_iter().flatten().collect();
            json!({ "year": year, "error": errors.join("; ") })
        }
    };
    Ok(v)
}
