//! Work over many items on rayon's pool, and over few on the calling thread.
//!
//! Starting the pool and waking its threads costs more than a province's
//! work: its 28 units' rows, names or table are done before the threads
//! would have woken. Every `par_iter` starts the pool, even over one item.

use rayon::prelude::*;

/// `f` of every item, in order: on the calling thread when there are at
/// most `per_task` items, else in parallel, at least `per_task` items a task.
pub(crate) fn map<T: Sync, R: Send>(items: &[T], per_task: usize, f: impl Fn(&T) -> R + Sync + Send) -> Vec<R> {
    if items.len() <= per_task {
        items.iter().map(f).collect()
    } else {
        items.par_iter().with_min_len(per_task.max(1)).map(f).collect()
    }
}

/// Spawns `f` on `scope` on another processor than the caller's, when
/// there is one it may run on, and lets it start there at once.
///
/// Linux starts a new thread on its parent's processor, or beside it,
/// and moves it only at a balancing tick, milliseconds later: a province's
/// load is over by then. Started on the parent's processor, a thread ran
/// only once its parent waited for it; two threads of 2 ms of work each
/// took 4 ms together, and 2.1 ms once the second moves itself (a move of
/// about 0.1 ms). So the new thread moves itself off the caller's
/// processor first, and the caller yields its processor once so that a
/// thread placed beside it gets there.
pub(crate) fn spawn_beside<'scope, T: Send + 'scope>(
    scope: &'scope std::thread::Scope<'scope, '_>,
    f: impl FnOnce() -> T + Send + 'scope,
) -> std::thread::ScopedJoinHandle<'scope, T> {
    let here = Processor::here();
    let handle = scope.spawn(move || {
        here.move_off();
        f()
    });
    std::thread::yield_now();
    handle
}

/// Keeps the calling thread on the processor it runs on until dropped,
/// then lets it run anywhere it could before: while a province loads, so
/// that the threads [spawned beside it](spawn_beside) keep the others. A
/// thread woken from a wait is often moved to the processor of the thread
/// that woke it, and there it waited for the threads beside it while its
/// own processor stood idle.
pub(crate) struct Stay(#[cfg(target_os = "linux")] Option<rustix::thread::CpuSet>);

impl Stay {
    pub(crate) fn here() -> Stay {
        #[cfg(target_os = "linux")]
        {
            let before = rustix::thread::sched_getaffinity(None).ok().filter(|set| set.count() > 1);
            let pinned = before.as_ref().and_then(|_| {
                let mut one = rustix::thread::CpuSet::new();
                one.set(rustix::thread::sched_getcpu());
                rustix::thread::sched_setaffinity(None, &one).ok()
            });
            Stay(pinned.and(before))
        }
        #[cfg(not(target_os = "linux"))]
        Stay()
    }
}

impl Drop for Stay {
    fn drop(&mut self) {
        #[cfg(target_os = "linux")]
        if let Some(before) = &self.0 {
            let _ = rustix::thread::sched_setaffinity(None, before);
        }
    }
}

/// The processor a thread runs on.
#[derive(Clone, Copy, Debug)]
struct Processor(Option<usize>);

impl Processor {
    /// The calling thread's.
    fn here() -> Processor {
        #[cfg(target_os = "linux")]
        return Processor(Some(rustix::thread::sched_getcpu()));
        #[cfg(not(target_os = "linux"))]
        Processor(None)
    }

    /// Moves the calling thread onto the other processors it may run on
    /// (none: it stays).
    fn move_off(self) {
        #[cfg(target_os = "linux")]
        if let (Some(cpu), Ok(mut set)) = (self.0, rustix::thread::sched_getaffinity(None)) {
            if set.is_set(cpu) && set.count() > 1 {
                set.unset(cpu);
                let _ = rustix::thread::sched_setaffinity(None, &set);
            }
        }
    }
}
