//! Serve: the live year as a local web page beside the editor.
//!
//! An `axum` server on `tokio` over one [`Engine`]: the year's tables, a page
//! per unit (its explanation), the targets and indicator tables, what changed
//! at the last reload, a rule-set diff, and the banner of a rejected edit;
//! each also as JSON under `/api/`. The engine's [`Watcher`] reloads on every
//! save; each outcome is recorded in [`Live`] and announced on a broadcast
//! channel that every open page listens to through server-sent events
//! (`/events`), so pages refresh themselves within a debounce of the save.
//!
//! Safe by construction: the server has no route that writes, reads a path
//! from the request, or runs anything but a rendering of the live snapshot
//! (or, for a diff, the rule set of a year given as a number). Every text
//! from the files is escaped by the templates (`report::page`). A slow or
//! vanished client never holds anything up: the watcher's send on the
//! broadcast channel never waits, and a receiver that falls behind is dropped
//! (its page reconnects and refetches). A handler's error is a response,
//! never the server's end.

mod api;
mod pages;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::SystemTime;

use axum::http::header;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use serde::Serialize;
use tokio::sync::broadcast;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::StreamExt as _;

use crate::diag::Diagnostics;
use crate::lang::Lang;
use crate::live::engine::Engine;
use crate::live::watch::{WatchEvent, WatchOptions, Watcher};
use crate::report::page::{SCRIPT, STYLE};

/// How many updates a page may fall behind before it is dropped (and reconnects).
const CHANNEL: usize = 16;

/// An edit that was not served.
#[derive(Debug, Clone)]
pub struct Rejected {
    pub diagnostics: Diagnostics,
    /// The generation still serving, and when it was loaded.
    pub generation: u64,
    pub serving_since: SystemTime,
    /// When the edit was rejected.
    pub at: SystemTime,
}

/// What the pages show besides the snapshot: the last reload's outcome.
#[derive(Debug, Default)]
pub struct Status {
    /// The last edit, when it was rejected and nothing valid was saved since.
    pub rejected: Option<Rejected>,
    /// The changes of the last applied reload (the `changes` JSON), with its generation.
    pub last_changes: Option<(u64, serde_json::Value)>,
}

/// What every open page is told after a reload.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Update {
    /// `hello` (on connecting), `applied`, `rejected` or `unchanged`.
    pub kind: &'static str,
    /// The generation serving.
    pub generation: u64,
}

/// The server's shared state: the engine, the language, the last outcome, the channel.
#[derive(Debug)]
pub struct Live {
    pub engine: Arc<Engine>,
    pub lang: Lang,
    status: Mutex<Status>,
    events: broadcast::Sender<Update>,
}

impl Live {
    pub fn new(engine: Arc<Engine>, lang: Lang) -> Live {
        let (events, _) = broadcast::channel(CHANNEL);
        Live { engine, lang, status: Mutex::new(Status::default()), events }
    }

    /// The last outcome; held only while a page copies what it shows.
    pub fn status(&self) -> MutexGuard<'_, Status> {
        self.status.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Records a watcher event and tells every page; never waits for a page.
    pub fn record(&self, event: WatchEvent) {
        let update = {
            let mut status = self.status();
            match event {
                WatchEvent::Reloaded { snapshot, changes } => {
                    status.rejected = None;
                    status.last_changes = Some((snapshot.generation, serde_json::to_value(&changes).unwrap_or_default()));
                    Update { kind: "applied", generation: snapshot.generation }
                }
                WatchEvent::Rejected { diagnostics, serving } => {
                    status.rejected = Some(Rejected {
                        diagnostics,
                        generation: serving.generation,
                        serving_since: serving.loaded_at(),
                        at: SystemTime::now(),
                    });
                    Update { kind: "rejected", generation: serving.generation }
                }
                // The files mean the live set again (an edit undone): nothing is rejected any more.
                WatchEvent::Unchanged { generation } => {
                    status.rejected = None;
                    Update { kind: "unchanged", generation }
                }
                _ => return,
            }
        };
        // No receiver is not an error: no page is open.
        let _ = self.events.send(update);
    }

    /// A new listener for updates.
    pub fn subscribe(&self) -> broadcast::Receiver<Update> {
        self.events.subscribe()
    }
}

/// Every route of the page and its JSON.
pub fn router(live: Arc<Live>) -> Router {
    Router::new()
        .route("/", get(pages::tables))
        .route("/unit/{id}", get(pages::unit))
        .route("/targets", get(pages::targets))
        .route("/changes", get(pages::changes))
        .route("/diff", get(pages::diff))
        .route("/events", get(events))
        .route("/assets/style.css", get(|| async { ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], STYLE) }))
        .route("/assets/app.js", get(|| async { ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], SCRIPT) }))
        .route("/api/report", get(api::report))
        .route("/api/unit/{id}", get(api::unit))
        .route("/api/targets", get(api::targets))
        .route("/api/changes", get(api::changes))
        .route("/api/diagnostics", get(api::diagnostics))
        .route("/api/diff", get(api::diff))
        .fallback(pages::not_found)
        .with_state(live)
}

/// `/events`: a `hello` with the generation serving, then one `update` per
/// reload. A listener that falls behind the channel is ended; the page's
/// `EventSource` reconnects and refetches.
async fn events(axum::extract::State(live): axum::extract::State<Arc<Live>>) -> impl IntoResponse {
    let hello = Update { kind: "hello", generation: live.engine.current().generation };
    let stream = tokio_stream::once(hello).chain(updates(live.subscribe())).map(sse_event);
    Sse::new(stream).keep_alive(KeepAlive::default())
}

/// The updates a listener receives, ending as soon as it has fallen behind.
fn updates(rx: broadcast::Receiver<Update>) -> impl tokio_stream::Stream<Item = Update> {
    BroadcastStream::new(rx).map_while(Result::ok)
}

fn sse_event(u: Update) -> Result<Event, Infallible> {
    Ok(Event::default().event(if u.kind == "hello" { "hello" } else { "update" }).data(serde_json::to_string(&u).unwrap_or_default()))
}

/// Where and how to serve.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub addr: SocketAddr,
    pub lang: Lang,
    pub watch: WatchOptions,
}

/// Serves `engine` until the process is stopped: watches its files, binds
/// `options.addr` and calls `ready` with the address bound (port 0 picks a
/// free one). Returns only on an error starting up or on Ctrl-C.
pub fn run(engine: Arc<Engine>, options: ServeOptions, ready: impl FnOnce(SocketAddr)) -> std::io::Result<()> {
    let live = Arc::new(Live::new(Arc::clone(&engine), options.lang));
    let recorder = Arc::clone(&live);
    let _watcher = Watcher::spawn(engine, options.watch, move |event| recorder.record(event)).map_err(std::io::Error::other)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(options.addr).await?;
        ready(listener.local_addr()?);
        let app = router(live);
        tokio::select! {
            served = axum::serve(listener, app) => served,
            _ = tokio::signal::ctrl_c() => Ok(()),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn live() -> Live {
        let engine = Engine::open(env!("CARGO_MANIFEST_DIR"), 2023).expect("the shipped 2023 set");
        Live::new(Arc::new(engine), Lang::Vi)
    }

    #[tokio::test]
    async fn a_listener_that_falls_behind_is_dropped_and_never_holds_up_a_reload() {
        let live = live();
        let slow = live.subscribe();
        // Far more updates than the channel holds, with a listener that reads none: recording never waits.
        for generation in 0..(CHANNEL as u64 * 4) {
            live.record(WatchEvent::Unchanged { generation });
        }
        let mut slow = Box::pin(updates(slow));
        assert!(slow.next().await.is_none(), "the listener that fell behind is ended");
        // Another listener still gets what comes next.
        let mut fresh = Box::pin(updates(live.subscribe()));
        live.record(WatchEvent::Unchanged { generation: 99 });
        assert_eq!(fresh.next().await.map(|u| (u.kind, u.generation)), Some(("unchanged", 99)));
    }

    #[test]
    fn an_undone_edit_clears_the_banner() {
        let live = live();
        let serving = live.engine.current();
        live.record(WatchEvent::Rejected { diagnostics: Diagnostics::default(), serving });
        assert!(live.status().rejected.is_some());
        live.record(WatchEvent::Unchanged { generation: 1 });
        assert!(live.status().rejected.is_none(), "the files mean the live set again");
    }
}
