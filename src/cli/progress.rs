//! Progress on a terminal, for work that can take more than a moment: a bar
//! of known length (the variants of a `whatif --vary` sweep, the passes of
//! `--rounding-robustness`) or a spinner naming the phase under way
//! ("reading data", "scoring", "writing").
//!
//! Drawn on stderr, and only when stderr is a terminal, the command's output
//! is not JSON and `PARINDEX_NO_PROGRESS` is not set ([`enabled`]). Even
//! then nothing shows until the work has lasted [`DELAY`], so a short run (the
//! province's 28 units) prints nothing extra; and it is cleared when done, and
//! before anything else is printed on stderr, so no line of it stays among the
//! diagnostics.

use std::borrow::Cow;
use std::ffi::OsStr;
use std::io::IsTerminal as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle, WeakProgressBar};

/// The environment variable that turns progress off (any value but empty).
pub(crate) const NO_PROGRESS: &str = "PARINDEX_NO_PROGRESS";

/// How long work goes on before its progress is shown.
pub(crate) const DELAY: Duration = Duration::from_millis(300);

/// How often a shown progress is redrawn (the spinner turns) without a tick.
const REDRAW: Duration = Duration::from_millis(100);

/// Whether progress is drawn: only on a terminal (`stderr_terminal`), not
/// for a JSON output (`json`), and not when `PARINDEX_NO_PROGRESS` (its value:
/// `no_progress`) is set to anything but an empty value, as `NO_COLOR` is read.
pub(crate) fn enabled(stderr_terminal: bool, json: bool, no_progress: Option<&OsStr>) -> bool {
    let off = no_progress.is_some_and(|v| !v.is_empty());
    stderr_terminal && !json && !off
}

/// [`enabled`] for this process: its stderr and its environment.
pub(crate) fn wanted(json: bool) -> bool {
    enabled(std::io::stderr().is_terminal(), json, std::env::var_os(NO_PROGRESS).as_deref())
}

/// A spinner for writing the output: not while the output goes to the same
/// terminal (it would be drawn through it), nor for JSON.
pub(crate) fn writing(json: bool) -> Progress {
    Progress::spinner("writing", wanted(json) && !std::io::stdout().is_terminal())
}

/// The progress shown now, if any, with its number: cleared before the
/// process ends early, and set aside while a line is printed on stderr.
static SHOWN: Mutex<Option<(u64, WeakProgressBar)>> = Mutex::new(None);

/// The number of the next progress made, to know which one is shown.
static NEXT_ID: AtomicU64 = AtomicU64::new(0);

fn shown() -> Option<ProgressBar> {
    SHOWN.lock().unwrap_or_else(PoisonError::into_inner).as_ref().and_then(|(_, bar)| bar.upgrade())
}

/// Clears the progress shown, if any: before the process exits without
/// unwinding (a closed pipe), which would leave it on the terminal.
pub(crate) fn clear_shown() {
    if let Some(bar) = shown() {
        bar.finish_and_clear();
    }
}

/// Runs `f` (which prints on stderr) with the progress shown, if any, set
/// aside: the line printed stays, and the progress is drawn again below it.
pub(crate) fn above<R>(f: impl FnOnce() -> R) -> R {
    match shown() {
        Some(bar) => bar.suspend(f),
        None => f(),
    }
}

/// A bar of `len` steps, or a spinner without; drawn nowhere yet.
fn bar_of(len: Option<u64>, message: impl Into<Cow<'static, str>>) -> ProgressBar {
    let style = match len {
        Some(_) => ProgressStyle::with_template("{spinner} {msg} [{bar:30}] {pos}/{len} ({elapsed}, about {eta} left)")
            .map(|s| s.progress_chars("=> "))
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        None => ProgressStyle::with_template("{spinner} {msg}… ({elapsed})").unwrap_or_else(|_| ProgressStyle::default_spinner()),
    };
    ProgressBar::with_draw_target(len, ProgressDrawTarget::hidden()).with_style(style).with_message(message)
}

/// What shows the progress once [`DELAY`] has passed, unless told to stop first.
struct Reveal {
    stop: mpsc::Sender<()>,
    thread: JoinHandle<()>,
}

/// A progress bar or spinner; cleared when finished or dropped.
pub(crate) struct Progress {
    id: u64,
    bar: ProgressBar,
    reveal: Option<Reveal>,
}

impl Progress {
    /// A bar of `len` steps, ticked by [`Progress::inc`] (from any thread).
    pub(crate) fn bar(len: u64, message: impl Into<Cow<'static, str>>, on: bool) -> Progress {
        Progress::start(bar_of(Some(len), message), on.then(ProgressDrawTarget::stderr), DELAY)
    }

    /// A spinner with a message, for a phase of unknown length.
    pub(crate) fn spinner(message: impl Into<Cow<'static, str>>, on: bool) -> Progress {
        Progress::start(bar_of(None, message), on.then(ProgressDrawTarget::stderr), DELAY)
    }

    /// `bar`, drawn on `target` once `delay` has passed (never without a target).
    fn start(bar: ProgressBar, target: Option<ProgressDrawTarget>, delay: Duration) -> Progress {
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        let Some(target) = target else { return Progress { id, bar, reveal: None } };
        let (stop, stopped) = mpsc::channel::<()>();
        let later = bar.clone();
        let thread = std::thread::Builder::new().name("progress".into()).spawn(move || {
            // Told to stop (or its sender dropped) before the delay: nothing is drawn.
            if let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(delay) {
                later.set_draw_target(target);
                later.enable_steady_tick(REDRAW);
                *SHOWN.lock().unwrap_or_else(PoisonError::into_inner) = Some((id, later.downgrade()));
            }
        });
        // Without a thread, no progress: the work goes on all the same.
        let reveal = thread.ok().map(|thread| Reveal { stop, thread });
        Progress { id, bar, reveal }
    }

    /// One step done.
    pub(crate) fn inc(&self) {
        self.bar.inc(1);
    }

    /// Names the phase under way.
    pub(crate) fn set_message(&self, message: impl Into<Cow<'static, str>>) {
        self.bar.set_message(message);
    }

    /// Done: cleared from the terminal (as when dropped).
    pub(crate) fn finish(self) {}
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(Reveal { stop, thread }) = self.reveal.take() {
            // Stopped and joined first: it cannot be drawn after it is cleared.
            let _ = stop.send(());
            let _ = thread.join();
        }
        let mut slot = SHOWN.lock().unwrap_or_else(PoisonError::into_inner);
        if slot.as_ref().is_some_and(|(id, _)| *id == self.id) {
            *slot = None;
        }
        drop(slot);
        self.bar.finish_and_clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn progress_is_drawn_only_on_a_terminal_without_json_or_the_variable() {
        let set = Some(OsStr::new("1"));
        let empty = Some(OsStr::new(""));
        assert!(enabled(true, false, None));
        assert!(!enabled(false, false, None), "stderr piped or in a file: nothing");
        assert!(!enabled(true, true, None), "--format json: nothing");
        assert!(!enabled(true, false, set), "PARINDEX_NO_PROGRESS=1: nothing");
        assert!(!enabled(true, false, Some(OsStr::new("0"))), "any value turns it off");
        assert!(enabled(true, false, empty), "an empty value is as if unset, as for NO_COLOR");
        assert!(!enabled(false, true, set));
        assert!(!enabled(false, false, empty));
    }

    /// A terminal that keeps what is written to it.
    #[derive(Debug, Default, Clone)]
    struct Screen(Arc<Mutex<Vec<String>>>);

    impl Screen {
        fn log(&self, s: String) -> std::io::Result<()> {
            self.0.lock().unwrap().push(s);
            Ok(())
        }
        fn written(&self) -> Vec<String> {
            self.0.lock().unwrap().clone()
        }
    }

    impl indicatif::TermLike for Screen {
        fn width(&self) -> u16 {
            80
        }
        fn move_cursor_up(&self, n: usize) -> std::io::Result<()> {
            self.log(format!("up {n}"))
        }
        fn move_cursor_down(&self, n: usize) -> std::io::Result<()> {
            self.log(format!("down {n}"))
        }
        fn move_cursor_right(&self, n: usize) -> std::io::Result<()> {
            self.log(format!("right {n}"))
        }
        fn move_cursor_left(&self, n: usize) -> std::io::Result<()> {
            self.log(format!("left {n}"))
        }
        fn write_line(&self, s: &str) -> std::io::Result<()> {
            self.log(format!("line {s}"))
        }
        fn write_str(&self, s: &str) -> std::io::Result<()> {
            self.log(format!("str {s}"))
        }
        fn clear_line(&self) -> std::io::Result<()> {
            self.log("clear".into())
        }
        fn flush(&self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// A bar of 10 steps drawn on `screen` after `delay`.
    fn on(screen: &Screen, delay: Duration) -> Progress {
        Progress::start(bar_of(Some(10), "testing"), Some(ProgressDrawTarget::term_like(Box::new(screen.clone()))), delay)
    }

    #[test]
    fn short_work_draws_nothing() {
        let screen = Screen::default();
        let p = on(&screen, Duration::from_secs(5));
        for _ in 0..10 {
            p.inc();
        }
        p.finish();
        assert!(screen.written().is_empty(), "drawn before its delay: {:?}", screen.written());
    }

    #[test]
    fn long_work_is_drawn_then_cleared() {
        let screen = Screen::default();
        let p = on(&screen, Duration::from_millis(20));
        p.inc();
        // Drawn soon after its delay: waited for up to 10 s on a busy machine.
        let drawn_at = |s: &Screen| s.written().iter().any(|l| l.contains("testing"));
        let start = std::time::Instant::now();
        while !drawn_at(&screen) && start.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(20));
        }
        let drawn = screen.written();
        assert!(drawn.iter().any(|l| l.contains("testing")), "not drawn after its delay: {drawn:?}");
        p.finish();
        let after = screen.written();
        // Finishing clears its line, and writes nothing after.
        let last_clear = after.iter().rposition(|l| l == "clear");
        assert!(last_clear.is_some_and(|at| at >= drawn.len()), "not cleared: {after:?}");
        let tail = &after[last_clear.unwrap_or(0)..];
        assert!(!tail.iter().any(|l| l.starts_with("str ") || l.starts_with("line ")), "written after it was cleared: {after:?}");
    }

    #[test]
    fn a_progress_off_never_draws() {
        let p = Progress::spinner("testing", false);
        assert!(p.reveal.is_none());
        std::thread::sleep(DELAY + Duration::from_millis(100));
        assert!(p.bar.is_hidden());
    }
}
