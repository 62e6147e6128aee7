//! The HTML pages: each renders the live snapshot and the last outcome with
//! the views of `report::page`, inside the live document.

use std::sync::Arc;

use axum::extract::{Path as UrlPath, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use maud::{html, Markup};

use super::api::{blocking, diff_document, history, target_report, unit_document, DiffQuery};
use super::Live;
use crate::lang::Text;
use crate::live::engine::Snapshot;
use crate::report::page::{
    banner, changes_view, diff_view, document, indicators_view, tables_view, targets_view, time, unit_view, BannerInfo, Mode,
};

/// A page of the live document: the banner of a rejected edit (if any), the
/// set serving, then `body`.
fn page(live: &Live, snap: &Snapshot, title: &str, body: Markup) -> Html<String> {
    let lang = live.lang;
    let t = |x: Text| x.get(lang);
    let mut rejected = live.status().rejected.clone();
    if let Some(r) = &mut rejected {
        r.diagnostics.strip_root(live.engine.root());
    }
    let status = html! {
        @if let Some(r) = rejected {
            (banner(&r.diagnostics, BannerInfo { generation: r.generation, serving_since: r.serving_since }, lang))
        }
        p.muted.serving data-generation=(snap.generation) {
            (t(Text::RuleSetGeneration)) " " strong { (snap.generation) } ", " (t(Text::LoadedAt)) " " (time(snap.loaded_at()))
            " · " (t(Text::Fingerprint)) " " code { (snap.report.fingerprint.sha256) }
        }
    };
    Html(document(lang, Mode::Live, title, &snap.report.fingerprint.sha256, status, body).into_string())
}

pub(super) async fn tables(State(live): State<Arc<Live>>) -> Html<String> {
    let snap = live.engine.current();
    let last = live.status().last_changes.clone();
    let body = html! {
        (tables_view(&snap.report, &snap.rule_set, live.lang, Mode::Live))
        @if let Some((g, c)) = &last { (changes_view(Some((*g, c)), live.lang)) }
    };
    page(&live, &snap, &snap.report.name, body)
}

pub(super) async fn unit(State(live): State<Arc<Live>>, UrlPath(id): UrlPath<String>) -> Response {
    let snap = live.engine.current();
    let Some((doc, row)) = unit_document(&live, &snap, &id) else {
        return not_found_page(&live, &snap, Text::UnknownUnitPage).into_response();
    };
    let history = history(live.engine.root(), &snap, row);
    let r = &snap.report.units[row];
    page(&live, &snap, r.name.as_str(), unit_view(&doc, r, &history, live.lang, Mode::Live)).into_response()
}

pub(super) async fn targets(State(live): State<Arc<Live>>) -> Html<String> {
    let report = blocking({
        let live = Arc::clone(&live);
        move || target_report(&live)
    })
    .await
    .flatten();
    let snap = live.engine.current();
    let body = html! {
        (targets_view(report.as_ref(), live.lang))
        (indicators_view(&snap.rule_set.indicators, &snap.rule_set.model, live.lang))
    };
    page(&live, &snap, Text::NavTargets.get(live.lang), body)
}

pub(super) async fn changes(State(live): State<Arc<Live>>) -> Html<String> {
    let snap = live.engine.current();
    let last = live.status().last_changes.clone();
    let body = changes_view(last.as_ref().map(|(g, c)| (*g, c)), live.lang);
    page(&live, &snap, Text::NavChanges.get(live.lang), body)
}

pub(super) async fn diff(State(live): State<Arc<Live>>, Query(q): Query<DiffQuery>) -> Html<String> {
    let lang = live.lang;
    let t = |x: Text| x.get(lang);
    let (root, year) = (live.engine.root().to_path_buf(), live.engine.year());
    let asked = q.year();
    let result = match &asked {
        Some(Ok(to)) => {
            let to = *to;
            Some((to.to_string(), blocking(move || diff_document(&root, year, to)).await))
        }
        Some(Err(_)) | None => None,
    };
    let not_a_year = asked.as_ref().and_then(|a| a.as_ref().err());
    let snap = live.engine.current();
    let body = html! {
        form.noprint method="get" action="/diff" {
            label { (t(Text::DiffChoose)) " " input type="number" name="to" min="2000" max="2100" value=[asked.as_ref().and_then(|a| a.as_ref().ok())]; }
            " " button type="submit" { "OK" }
        }
        @match &result {
            Some((_, Some(Ok(doc)))) => (diff_view(doc, lang)),
            Some((to, Some(Err(e)))) => p.banner { (t(Text::DiffCannotLoad)) " " (to) ": " (e) },
            Some((to, None)) => p.banner { (t(Text::DiffCannotLoad)) " " (to) },
            None => {
                @if let Some(text) = not_a_year { p.banner { "“" (text) "” " (t(Text::NotAYear)) } }
            },
        }
    };
    page(&live, &snap, t(Text::NavDiff), body)
}

/// Any other address: a JSON error under `/api/`, else a page that says there is no such page.
pub(super) async fn not_found(State(live): State<Arc<Live>>, uri: axum::http::Uri) -> Response {
    if uri.path().starts_with("/api/") {
        let error = serde_json::json!({ "error": format!("no such address: {}", uri.path()) });
        return (StatusCode::NOT_FOUND, axum::Json(error)).into_response();
    }
    let snap = live.engine.current();
    not_found_page(&live, &snap, Text::UnknownPage).into_response()
}

fn not_found_page(live: &Live, snap: &Snapshot, what: Text) -> (StatusCode, Html<String>) {
    let t = |x: Text| x.get(live.lang);
    let body = html! { h1 { (t(what)) } p { a href="/" { (t(Text::BackToTables)) } } };
    (StatusCode::NOT_FOUND, page(live, snap, t(what), body))
}
