//! Watch: reload the live year when its files change on disk.
//!
//! A [`Watcher`] watches the folders of an [`Engine`]'s year (`criteria/<year>/`,
//! `fixtures/<year>/`, `rules/<year>/`), not single files, so a file deleted and
//! created again, or replaced by renaming a temporary file over it, is still
//! seen. Editors save in bursts (a temporary file, several writes, a rename):
//! events are debounced here, on the trailing edge, so a burst becomes one
//! [`Engine::reload`]. Events that do not touch content (access, attributes)
//! and editors' temporary and backup files (`*.tmp`, `*~`, `.#*`, `*.swp`) are
//! ignored. The debouncer is our own rather than a debouncer crate's so it can
//! see each event's kind.
//!
//! Native file events are used when they work; [`WatchOptions::poll`] selects
//! polling for file systems where they never arrive, and polling is also the
//! fallback when native events cannot start. The watcher thread never panics
//! or stops on an error: errors, like each reload's outcome, are handed to the
//! caller as [`WatchEvent`]s and watching goes on.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use notify::event::{AccessKind, AccessMode, MetadataKind, ModifyKind};
use notify::{Event, EventKind, PollWatcher, RecommendedWatcher, RecursiveMode, Watcher as _};

use crate::diag::Diagnostics;
use crate::live::engine::{Changes, Engine, ReloadOutcome, Snapshot};
pub use crate::source::files::is_scratch;

/// How to watch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WatchOptions {
    /// Quiet time after the last change before reloading: a burst of writes becomes one reload.
    pub debounce: Duration,
    /// Poll the files every this often instead of waiting for native file events.
    pub poll: Option<Duration>,
}

impl Default for WatchOptions {
    fn default() -> Self {
        WatchOptions { debounce: Duration::from_millis(200), poll: None }
    }
}

/// The poll interval used when native file events cannot start.
pub const FALLBACK_POLL: Duration = Duration::from_millis(500);

/// How changes are noticed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The operating system's file events.
    Native,
    /// Polling at this interval.
    Poll(Duration),
}

/// What the watcher reports to its caller.
#[derive(Debug)]
#[non_exhaustive]
pub enum WatchEvent {
    /// A valid new set is live.
    Reloaded { snapshot: Arc<Snapshot>, changes: Changes },
    /// The edited files do not make a valid set; `serving` keeps serving.
    Rejected { diagnostics: Diagnostics, serving: Arc<Snapshot> },
    /// Files changed but mean the same as the live set (comments, spacing).
    Unchanged { generation: u64 },
    /// Something went wrong with watching itself; watching goes on.
    Error { message: String },
}

/// Counts of what the watcher did, since it started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WatchStats {
    /// Reloads run (each debounced burst of changes is one).
    pub reloads: u64,
    pub applied: u64,
    pub rejected: u64,
    pub unchanged: u64,
    pub errors: u64,
}

#[derive(Default)]
struct Counters {
    reloads: AtomicU64,
    applied: AtomicU64,
    rejected: AtomicU64,
    unchanged: AtomicU64,
    errors: AtomicU64,
}

enum Message {
    Fs(notify::Result<Event>),
    Stop,
}

/// A running watcher; dropping it stops watching.
pub struct Watcher {
    notify: Option<Box<dyn notify::Watcher + Send>>,
    backend: Backend,
    stop: mpsc::Sender<Message>,
    thread: Option<JoinHandle<()>>,
    counters: Arc<Counters>,
}

impl std::fmt::Debug for Watcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watcher").field("backend", &self.backend).field("stats", &self.stats()).finish_non_exhaustive()
    }
}

impl Watcher {
    /// Starts watching `engine`'s folders; `on_event` is called, on the
    /// watcher's thread, with each reload's outcome and each error.
    ///
    /// Fails only when neither native events nor polling can watch the folders.
    pub fn spawn(
        engine: Arc<Engine>,
        options: WatchOptions,
        on_event: impl Fn(WatchEvent) + Send + 'static,
    ) -> Result<Watcher, notify::Error> {
        let (tx, rx) = mpsc::channel();
        let dirs = engine.sources();
        let mut early_errors = Vec::new();
        let (notify, backend) = match options.poll {
            Some(every) => (start_poll(&dirs, every, tx.clone())?, Backend::Poll(every)),
            None => match start_native(&dirs, tx.clone()) {
                Ok(w) => (w, Backend::Native),
                Err(e) => {
                    early_errors.push(format!("native file events are unavailable ({e}); polling every {} ms", FALLBACK_POLL.as_millis()));
                    (start_poll(&dirs, FALLBACK_POLL, tx.clone())?, Backend::Poll(FALLBACK_POLL))
                }
            },
        };
        let counters = Arc::new(Counters::default());
        let thread = {
            let counters = Arc::clone(&counters);
            std::thread::Builder::new().name("parindex-watch".into()).spawn(move || {
                let emit = |e: WatchEvent| {
                    if catch_unwind(AssertUnwindSafe(|| on_event(e))).is_err() {
                        counters.errors.fetch_add(1, Ordering::Relaxed);
                    }
                };
                for message in early_errors {
                    counters.errors.fetch_add(1, Ordering::Relaxed);
                    emit(WatchEvent::Error { message });
                }
                run(&engine, options.debounce, &rx, &counters, &emit);
            })?
        };
        Ok(Watcher { notify: Some(notify), backend, stop: tx, thread: Some(thread), counters })
    }

    /// How changes are noticed: native events, or polling (asked for or fallen back to).
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Whether the watching thread is still at work (it ends only when the
    /// watcher is dropped).
    pub fn is_running(&self) -> bool {
        self.thread.as_ref().is_some_and(|t| !t.is_finished())
    }

    pub fn stats(&self) -> WatchStats {
        let c = &self.counters;
        WatchStats {
            reloads: c.reloads.load(Ordering::Relaxed),
            applied: c.applied.load(Ordering::Relaxed),
            rejected: c.rejected.load(Ordering::Relaxed),
            unchanged: c.unchanged.load(Ordering::Relaxed),
            errors: c.errors.load(Ordering::Relaxed),
        }
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        self.notify = None;
        let _ = self.stop.send(Message::Stop);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn start_native(dirs: &[PathBuf], tx: mpsc::Sender<Message>) -> notify::Result<Box<dyn notify::Watcher + Send>> {
    let mut w = RecommendedWatcher::new(
        move |e| {
            let _ = tx.send(Message::Fs(e));
        },
        notify::Config::default(),
    )?;
    for d in dirs {
        w.watch(d, RecursiveMode::Recursive)?;
    }
    Ok(Box::new(w))
}

fn start_poll(dirs: &[PathBuf], every: Duration, tx: mpsc::Sender<Message>) -> notify::Result<Box<dyn notify::Watcher + Send>> {
    // Contents are compared too: a write within the file system's time
    // granularity leaves the modification time as it was.
    let config = notify::Config::default().with_poll_interval(every).with_compare_contents(true);
    let mut w = PollWatcher::new(
        move |e| {
            let _ = tx.send(Message::Fs(e));
        },
        config,
    )?;
    for d in dirs {
        w.watch(d, RecursiveMode::Recursive)?;
    }
    Ok(Box::new(w))
}

/// The debounce loop: wait for a relevant change, then for `debounce` of
/// quiet (but no longer than `MAX_WAIT_FACTOR` debounces in all, so a file
/// rewritten without pause still gets reloaded), then reload.
fn run(engine: &Engine, debounce: Duration, rx: &mpsc::Receiver<Message>, counters: &Counters, emit: &dyn Fn(WatchEvent)) {
    const MAX_WAIT_FACTOR: u32 = 10;
    let mut first: Option<Instant> = None;
    let mut deadline: Option<Instant> = None;
    loop {
        let message = match deadline {
            Some(d) => rx.recv_timeout(d.saturating_duration_since(Instant::now())),
            None => rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
        };
        match message {
            Ok(Message::Fs(Ok(event))) => {
                if is_relevant(&event) {
                    let now = Instant::now();
                    let start = *first.get_or_insert(now);
                    // Saturating: a debounce too long to add to the clock waits for the longest it can.
                    let after = |from: Instant, wait: Duration| {
                        from.checked_add(wait).or_else(|| from.checked_add(Duration::from_secs(86_400 * 365))).unwrap_or(from)
                    };
                    let longest = debounce.checked_mul(MAX_WAIT_FACTOR).unwrap_or(Duration::MAX);
                    deadline = Some(after(now, debounce).min(after(start, longest)));
                }
            }
            Ok(Message::Fs(Err(e))) => {
                counters.errors.fetch_add(1, Ordering::Relaxed);
                emit(WatchEvent::Error { message: format!("file watching: {e}") });
            }
            Ok(Message::Stop) | Err(RecvTimeoutError::Disconnected) => return,
            Err(RecvTimeoutError::Timeout) => {
                first = None;
                deadline = None;
                reload(engine, counters, emit);
            }
        }
    }
}

fn reload(engine: &Engine, counters: &Counters, emit: &dyn Fn(WatchEvent)) {
    counters.reloads.fetch_add(1, Ordering::Relaxed);
    let event = match catch_unwind(AssertUnwindSafe(|| engine.reload())) {
        Ok(ReloadOutcome::Applied { changes, snapshot }) => {
            counters.applied.fetch_add(1, Ordering::Relaxed);
            WatchEvent::Reloaded { snapshot, changes }
        }
        Ok(ReloadOutcome::Rejected { diagnostics, .. }) => {
            counters.rejected.fetch_add(1, Ordering::Relaxed);
            WatchEvent::Rejected { diagnostics, serving: engine.current() }
        }
        Ok(ReloadOutcome::Unchanged { generation }) => {
            counters.unchanged.fetch_add(1, Ordering::Relaxed);
            WatchEvent::Unchanged { generation }
        }
        Err(_) => {
            counters.errors.fetch_add(1, Ordering::Relaxed);
            WatchEvent::Error { message: "the reload failed unexpectedly; the previous set keeps serving".into() }
        }
    };
    emit(event);
}

/// Whether an event may change what the year's files mean.
fn is_relevant(event: &Event) -> bool {
    let kind_counts = match event.kind {
        // A finished write is the clearest sign new content is there.
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) => false,
        // Polling reports a content change as a new modification time.
        EventKind::Modify(ModifyKind::Metadata(MetadataKind::WriteTime)) => true,
        EventKind::Modify(ModifyKind::Metadata(_)) => false,
        _ => true,
    };
    kind_counts && event.paths.iter().any(|p| !is_scratch(p))
}

/// A time of day as `HH:MM:SS UTC`.
pub fn clock_utc(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()) % 86_400;
    format!("{:02}:{:02}:{:02} UTC", secs / 3600, secs / 60 % 60, secs % 60)
}

#[cfg(test)]
mod tests {
    use super::*;
    use notify::event::{CreateKind, DataChange, RenameMode};

    fn ev(kind: EventKind, paths: &[&str]) -> Event {
        paths.iter().fold(Event::new(kind), |e, p| e.add_path(PathBuf::from(p)))
    }

    #[test]
    fn metadata_and_access_events_are_ignored() {
        assert!(!is_relevant(&ev(EventKind::Modify(ModifyKind::Metadata(MetadataKind::Any)), &["a.toml"])));
        assert!(!is_relevant(&ev(EventKind::Access(AccessKind::Read), &["a.toml"])));
        assert!(!is_relevant(&ev(EventKind::Access(AccessKind::Close(AccessMode::Read)), &["a.toml"])));
        assert!(is_relevant(&ev(EventKind::Modify(ModifyKind::Data(DataChange::Any)), &["a.toml"])));
        assert!(is_relevant(&ev(EventKind::Modify(ModifyKind::Metadata(MetadataKind::WriteTime)), &["a.toml"])));
        assert!(is_relevant(&ev(EventKind::Create(CreateKind::File), &["a.toml"])));
    }

    #[test]
    fn scratch_files_are_ignored_but_a_rename_onto_a_real_file_is_not() {
        for p in ["a.toml.tmp", "a.toml~", ".#a.toml", ".a.toml.swp", "4913"] {
            assert!(!is_relevant(&ev(EventKind::Modify(ModifyKind::Data(DataChange::Any)), &[p])), "{p}");
        }
        let rename = EventKind::Modify(ModifyKind::Name(RenameMode::Both));
        assert!(is_relevant(&ev(rename, &["a.toml.tmp", "a.toml"])));
    }

    #[test]
    fn clock_is_utc_time_of_day() {
        assert_eq!(clock_utc(UNIX_EPOCH + Duration::from_secs(86_400 * 3 + 3600 * 13 + 60 * 5 + 9)), "13:05:09 UTC");
    }
}
